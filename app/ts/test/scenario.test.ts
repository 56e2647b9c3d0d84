// The SDK against a scenario the Rust client ran in the real runtime
// (app/sandbox/tests/ts_scenario.rs): every account decodes to the values
// the program's own types read from the same bytes, and every preview,
// margin figure, liquidation price, remaining-account list, error and
// compute-budget instruction matches what the Rust client computes, to the
// unit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { address, type Address } from '@solana/kit';
import {
  accountHealth,
  buildTransactionMessage,
  computeBudgetInstructions,
  describeProgramError,
  getExchangeDecoder,
  getInsuranceStakeDecoder,
  getMarketDecoder,
  getProposalDecoder,
  getTraderAccountDecoder,
  limitPriceFor,
  liquidationPrice,
  LONG,
  marketName,
  previewTrade,
  PriceBook,
  programErrorFromLogs,
  remainingAccounts,
  takeoverAccounts,
  tradeSizeArgs,
  traderAccountView,
  transactionSize,
  VammMathError,
  VAMM_PROGRAM_ADDRESS,
  type Market,
  type MarketAccount,
  type MarketPrice,
  type TraderAccount,
} from '../src/index';

type Json = null | boolean | string | number | Json[] | { [key: string]: Json };
type Outcome = { ok: Json } | { error: string };

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/scenario.json', import.meta.url), 'utf8'),
) as {
  nowTs: string;
  oraclePrices: { marketIndex: number; price: string }[];
  accounts: { kind: string; name?: string; address: string; account: { owner: string; data: string }; decoded: Json }[];
  trades: { marketIndex: number; direction: 0 | 1; size: { kind: 'base' | 'quote'; amount: string }; result: Outcome }[];
  health: { trader: string; nowTs: string; prices: string[]; result: Outcome }[];
  liquidationPrices: { trader: string; marketIndex: number; price: string | null }[];
  accountsNeeded: {
    remaining: { trader: string; except: number | null; accounts: string[] }[];
    takeover: { liquidatee: string; liquidator: string; except: number; accounts: string[] };
  };
  errors: { code: number; name: string | null; message?: string }[];
  computeBudgets: {
    unitLimit: number;
    microLamportsPerUnit: string;
    instructions: { programAddress: string; accounts: number; data: string }[];
  }[];
};

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

const hex = (data: ArrayLike<number>): string => Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');

/** The decoders' output in the vectors' notation: integers as decimal
 * strings, byte arrays as hex, addresses and kinds as they are. */
function normalise(value: unknown): Json {
  if (typeof value === 'bigint' || typeof value === 'number') return value.toString();
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value as Json;
}

const decoders = {
  exchange: getExchangeDecoder(),
  market: getMarketDecoder(),
  traderAccount: getTraderAccountDecoder(),
  insuranceStake: getInsuranceStakeDecoder(),
  proposal: getProposalDecoder(),
} as const;

const markets: MarketAccount[] = [];
const traders = new Map<string, TraderAccount>();
for (const entry of vectors.accounts) {
  const decoded = decoders[entry.kind as keyof typeof decoders].decode(bytes(entry.account.data));
  if (entry.kind === 'market') markets.push({ address: address(entry.address), market: decoded as Market });
  if (entry.kind === 'traderAccount') traders.set(entry.name ?? '', decoded as TraderAccount);
}
const nowTs = BigInt(vectors.nowTs);
const trader = (name: string): TraderAccount => traders.get(name) ?? assert.fail(`no trader ${name}`);
const withPrices = (prices: readonly (string | bigint)[]): MarketPrice[] =>
  markets.map(({ market }, i) => ({ market, oraclePrice: BigInt(prices[i] ?? assert.fail('a price per market')) }));
const currentPrices = withPrices(vectors.oraclePrices.map((p) => p.price));

function expectOutcome(expected: Outcome, compute: () => Json, what: string): void {
  if ('ok' in expected) {
    assert.deepStrictEqual(compute(), expected.ok, what);
    return;
  }
  assert.throws(compute, (e: unknown) => e instanceof VammMathError && e.code === expected.error, `${what}: ${expected.error}`);
}

test('every account decodes to the values the program reads from the same bytes', () => {
  const kinds = new Set<string>();
  for (const entry of vectors.accounts) {
    const decoded = decoders[entry.kind as keyof typeof decoders].decode(bytes(entry.account.data));
    assert.deepStrictEqual(normalise(decoded), entry.decoded, `${entry.kind} ${entry.name ?? entry.address}`);
    kinds.add(entry.kind);
  }
  assert.deepStrictEqual([...kinds].sort(), Object.keys(decoders).sort());
  assert.deepStrictEqual(markets.map((m) => marketName(m.market)), ['SOL-PERP', 'BTC-PERP', 'ETH-PERP']);
  // The scenario covers one and two oracles, positions in several markets, a claim and a liquidation.
  assert.deepStrictEqual(markets.map((m) => m.market.oracle.secondarySource !== 0), [true, false, false]);
  assert.ok(trader('alice').positions.filter((p) => p.base !== 0n).length >= 3);
  assert.ok(trader('alice').positions.some((p) => p.pendingProfit > 0n));
  assert.equal(trader('carol').liquidationCount, 1n);
});

test('trade previews match the program to the unit, refusals by name', () => {
  let refused = 0;
  for (const v of vectors.trades) {
    const market = markets[v.marketIndex]?.market ?? assert.fail('market');
    const size = { kind: v.size.kind, amount: BigInt(v.size.amount) };
    if ('error' in v.result) refused++;
    expectOutcome(
      v.result,
      () => normalise(previewTrade(market, v.direction, size)),
      `market ${v.marketIndex} ${v.direction ? 'short' : 'long'} ${v.size.kind} ${v.size.amount}`,
    );
  }
  assert.ok(refused > 0 && refused < vectors.trades.length, 'the grid has fills and refusals');
});

test("limit prices from a preview pass the program's limit check at the previewed fill", () => {
  for (const v of vectors.trades) {
    if (!('ok' in v.result)) continue;
    const market = markets[v.marketIndex]?.market ?? assert.fail('market');
    const preview = previewTrade(market, v.direction, { kind: v.size.kind, amount: BigInt(v.size.amount) });
    const exact = limitPriceFor(preview, v.direction, 0n);
    const loose = limitPriceFor(preview, v.direction, 150n);
    if (v.direction === LONG) {
      // The program refuses a long whose average, rounded up, is above the limit.
      assert.equal(exact, preview.averagePriceRoundedUp);
      assert.ok(loose >= exact && preview.averagePriceRoundedUp <= loose);
    } else {
      assert.equal(exact, preview.averagePrice);
      assert.ok(loose <= exact);
    }
  }
  assert.deepStrictEqual(tradeSizeArgs({ kind: 'quote', amount: 5n }), { __kind: 'Quote', fields: [5n] });
  assert.throws(() => previewTrade(markets[0]!.market, LONG, { kind: 'base', amount: -1n }), RangeError);
  assert.throws(() => previewTrade(markets[0]!.market, LONG, { kind: 'base', amount: 1n << 64n }), RangeError);
});

test('margin, health, free collateral and leverage match the program at every price and time', () => {
  const states = new Set<string>();
  for (const v of vectors.health) {
    const book = PriceBook.of(withPrices(v.prices), BigInt(v.nowTs));
    expectOutcome(v.result, () => normalise(accountHealth(book, trader(v.trader))), `${v.trader} at ${v.prices.join(', ')} (${v.nowTs})`);
    if ('ok' in v.result) states.add((v.result.ok as { health: string }).health);
  }
  // Healthy through bankrupt all occur in the grid.
  assert.deepStrictEqual([...states].sort(), ['0', '1', '2', '3']);
});

test('liquidation prices match the Rust bisection to the unit', () => {
  let found = 0;
  for (const v of vectors.liquidationPrices) {
    const price = liquidationPrice(currentPrices, trader(v.trader), v.marketIndex, nowTs);
    assert.equal(price === null ? null : price.toString(), v.price, `${v.trader} in market ${v.marketIndex}`);
    if (v.price !== null) found++;
  }
  assert.ok(found >= 4);
});

test('remaining accounts are built from the trader account as the Rust client builds them', () => {
  for (const v of vectors.accountsNeeded.remaining) {
    const got = remainingAccounts(trader(v.trader), markets, v.except ?? undefined);
    assert.deepStrictEqual(got, v.accounts, `${v.trader} except ${v.except}`);
  }
  const t = vectors.accountsNeeded.takeover;
  assert.deepStrictEqual(takeoverAccounts(trader(t.liquidatee), trader(t.liquidator), markets, t.except), t.accounts);
});

test('program errors decode to the names and messages of the Rust table', () => {
  for (const v of vectors.errors) {
    const got = describeProgramError(v.code);
    if (v.name === null) assert.equal(got, null, `code ${v.code}`);
    else assert.deepStrictEqual(got, { code: v.code, name: v.name, message: v.message }, `code ${v.code}`);
  }
  const insufficient = vectors.errors.find((e) => e.name === 'InsufficientMargin') ?? assert.fail('in the table');
  const logs = [
    'Program log: Instruction: OpenPosition',
    `Program log: AnchorError thrown in programs/vamm/src/math/margin.rs:245. Error Code: InsufficientMargin. Error Number: ${insufficient.code}. Error Message: x.`,
  ];
  assert.equal(programErrorFromLogs(logs)?.name, 'InsufficientMargin');
  const failed = (program: string) => [`Program ${program} failed: custom program error: 0x${insufficient.code.toString(16)}`];
  assert.equal(programErrorFromLogs(failed(VAMM_PROGRAM_ADDRESS))?.name, 'InsufficientMargin');
  assert.equal(programErrorFromLogs(failed('Other11111111111111111111111111111111111111')), null);
  assert.equal(programErrorFromLogs(['Program log: nothing wrong']), null);
  // Errors are attributed by the invoke lines: another program's are not this program's.
  const vamm = 'vAMMDEMo1111111111111111111111111111111111' as Address;
  const other = 'Other11111111111111111111111111111111111111';
  const nested = [
    `Program ${vamm} invoke [1]`,
    `Program ${other} invoke [2]`,
    `Program log: AnchorError occurred. Error Code: Whatever. Error Number: ${insufficient.code}. Error Message: x.`,
    `Program ${other} failed: custom program error: 0x${insufficient.code.toString(16)}`,
    `Program ${vamm} failed: custom program error: 0x${(insufficient.code + 1).toString(16)}`,
  ];
  assert.equal(programErrorFromLogs(nested, vamm)?.code, insufficient.code + 1);
  assert.equal(programErrorFromLogs(nested.slice(0, 4), vamm), null);
});

test('compute-budget instructions are byte for byte the Rust ones', () => {
  for (const v of vectors.computeBudgets) {
    const got = computeBudgetInstructions({ unitLimit: v.unitLimit, microLamportsPerUnit: BigInt(v.microLamportsPerUnit) });
    assert.deepStrictEqual(
      got.map((i) => ({ programAddress: i.programAddress, accounts: i.accounts?.length ?? 0, data: hex(i.data ?? []) })),
      v.instructions,
    );
  }
});

test('a transaction carries its budget first and shrinks against the lookup table', async () => {
  const alice = trader('alice');
  const accounts = remainingAccounts(alice, markets);
  const feePayer = alice.owner;
  const instruction = {
    programAddress: address('11111111111111111111111111111111'),
    accounts: accounts.map((a: Address) => ({ address: a, role: 0 as const })),
    data: new Uint8Array([1, 2, 3]),
  };
  const lifetime = { blockhash: 'EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N' as never, lastValidBlockHeight: 100n };
  const plan = { feePayer, instructions: [instruction], budget: { unitLimit: 400_000, microLamportsPerUnit: 1_000n }, lifetime };
  const plain = buildTransactionMessage(plan);
  assert.deepStrictEqual(
    plain.instructions.map((i) => i.programAddress),
    ['ComputeBudget111111111111111111111111111111', 'ComputeBudget111111111111111111111111111111', instruction.programAddress],
  );
  const table = { address: address('AddressLookupTab1e1111111111111111111111111'), addresses: accounts };
  const compressed = buildTransactionMessage({ ...plan, lookupTable: table });
  // Each of the 8 addresses costs 32 bytes inline and 1 through the table.
  const saved = transactionSize(plain) - transactionSize(compressed);
  assert.ok(saved >= accounts.length * 31 - 40, `saved ${saved} bytes`);
});

test('decimal views keep every unit', () => {
  const view = traderAccountView(trader('alice'));
  assert.match(view.collateral, /^\d+\.\d{6}$/);
  const sol = view.positions.find((p) => p.marketIndex === 0) ?? assert.fail('a SOL position');
  assert.equal(sol.base, '10.000000000');
  assert.match(sol.entryPrice, /^15\d\.\d{6}$/);
});

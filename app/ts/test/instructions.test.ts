// Every instruction vector the Rust builders wrote (app/client/tests/
// ts_vectors.rs): the generated decoder must read the Rust bytes back to
// the Rust arguments, and the generated builder, given those arguments and
// the named accounts, must produce the same bytes and account list.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AccountRole, address, createNoopSigner, type Address, type Instruction } from '@solana/kit';
import * as sdk from '../src/index';

type AccountVector = { name?: string; address: string; signer: boolean; writable: boolean };
type InstructionVector = {
  instruction: string;
  args: Record<string, unknown>;
  accounts: AccountVector[];
  remaining: AccountVector[];
  data: string;
};
const vectors = JSON.parse(readFileSync(new URL('./vectors/instructions.json', import.meta.url), 'utf8')) as {
  instructions: InstructionVector[];
  pdas: Record<string, unknown> & {
    programAddress: string;
    exchange: string;
    vault: string;
    insuranceVault: string;
    markets: { index: number; address: string }[];
    traderAccounts: { owner: string; subAccountId: number; address: string }[];
    insuranceStake: { owner: string; address: string };
    proposals: { id: string; address: string }[];
  };
};

const pascal = (snake: string) => snake.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
const camel = (snake: string) => {
  const name = pascal(snake);
  return name.charAt(0).toLowerCase() + name.slice(1);
};
const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const hex = (data: Uint8Array) => Buffer.from(data).toString('hex');

/** Decoded values in the vectors' notation: bigints as strings, options
 * as null or their value. */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record['__option'] === 'None') return null;
    if (record['__option'] === 'Some') return normalize(record['value']);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

function role(account: { signer: boolean; writable: boolean }): AccountRole {
  if (account.signer) return account.writable ? AccountRole.WRITABLE_SIGNER : AccountRole.READONLY_SIGNER;
  return account.writable ? AccountRole.WRITABLE : AccountRole.READONLY;
}

const generated = sdk as unknown as Record<string, (...args: unknown[]) => unknown>;

for (const [i, vector] of vectors.instructions.entries()) {
  const name = pascal(vector.instruction);
  test(`${vector.instruction} #${i}: decodes the Rust bytes and rebuilds them`, () => {
    const data = bytes(vector.data);
    const decoder = generated[`get${name}InstructionDataDecoder`]!() as { decode(b: Uint8Array): Record<string, unknown> };
    const { discriminator, ...args } = decoder.decode(data);
    assert.equal(hex(discriminator as Uint8Array), vector.data.slice(0, 16), 'discriminator');
    assert.deepEqual(normalize(args), vector.args);

    const input: Record<string, unknown> = { ...args };
    for (const account of vector.accounts) {
      // An absent optional account is the program's address (Anchor's
      // convention, and the generated builders' default).
      if (account.address === vectors.pdas.programAddress) continue;
      const key = address(account.address);
      input[camel(account.name!)] = account.signer ? createNoopSigner(key) : key;
    }
    const built = generated[`get${name}Instruction`]!(input) as Instruction;
    // Remaining accounts share one role per instruction (read-only, or
    // written for a bankruptcy's claim markets).
    const writable = vector.remaining.some((r) => r.writable);
    const withRemaining = sdk.withRemainingAccounts(
      built,
      vector.remaining.map((r) => address(r.address)),
      writable ? AccountRole.WRITABLE : AccountRole.READONLY,
    );
    assert.equal(hex(withRemaining.data as Uint8Array), vector.data, 'data bytes');
    const expected = [...vector.accounts, ...vector.remaining].map((a) => ({ address: a.address, role: role(a) }));
    const actual = (withRemaining.accounts ?? []).map((a: { address: Address; role: AccountRole }) => ({ address: a.address as string, role: a.role }));
    assert.deepEqual(actual, expected);
  });
}

test('every instruction of the IDL has a vector, and remaining accounts are non-signers of one role', () => {
  const idl = JSON.parse(readFileSync(new URL('../../../idl/vamm.json', import.meta.url), 'utf8')) as {
    instructions: { name: string }[];
  };
  const covered = new Set(vectors.instructions.map((v) => v.instruction));
  assert.deepEqual(idl.instructions.map((i) => i.name).filter((n) => !covered.has(n)), []);
  for (const vector of vectors.instructions) {
    const writable = vector.instruction === 'resolve_bankruptcy';
    for (const account of vector.remaining) {
      assert.deepEqual([account.signer, account.writable], [false, writable], vector.instruction);
    }
  }
});

test('deposit resolves the exchange PDA itself', async () => {
  const vector = vectors.instructions.find((v) => v.instruction === 'deposit')!;
  const named = Object.fromEntries(vector.accounts.map((a) => [camel(a.name!), a]));
  const ix = await sdk.getDepositInstructionAsync({
    authority: createNoopSigner(address(named['authority']!.address)),
    traderAccount: address(named['traderAccount']!.address),
    source: address(named['source']!.address),
    vault: address(named['vault']!.address),
    collateralMint: address(named['collateralMint']!.address),
    amount: 1_234_567_890n,
  });
  assert.deepEqual(
    ix.accounts.map((a) => a.address as string),
    vector.accounts.map((a) => a.address),
  );
});

test('PDAs match the Rust derivations', async () => {
  const p = vectors.pdas;
  assert.equal(sdk.VAMM_PROGRAM_ADDRESS, p.programAddress);
  const [exchange] = await sdk.findExchangePda();
  assert.equal(exchange, p.exchange);
  assert.equal((await sdk.findVaultPda({ exchange }))[0], p.vault);
  assert.equal((await sdk.findInsuranceVaultPda({ exchange }))[0], p.insuranceVault);
  for (const market of p.markets) {
    assert.equal((await sdk.findMarketPda(market.index))[0], market.address);
  }
  for (const trader of p.traderAccounts) {
    const seeds = { owner: address(trader.owner) as Address, subAccountId: trader.subAccountId };
    assert.equal((await sdk.findTraderAccountPda(seeds))[0], trader.address);
  }
  const stake = p.insuranceStake;
  assert.equal((await sdk.findStakePda({ owner: address(stake.owner) }))[0], stake.address);
  for (const proposal of p.proposals) {
    assert.equal((await sdk.findProposalPda({ id: BigInt(proposal.id) }))[0], proposal.address);
  }
  await assert.rejects(() => sdk.findMarketPda(65_536), RangeError);
});

test('fixed-point strings round-trip exactly', () => {
  assert.equal(sdk.formatFixed(1_234_567_890n, sdk.BASE_DECIMALS), '1.234567890');
  assert.equal(sdk.formatFixed(-1_500_000n, sdk.QUOTE_DECIMALS), '-1.500000');
  assert.equal(sdk.parseFixed('12.5', sdk.QUOTE_DECIMALS), 12_500_000n);
  assert.equal(sdk.parseFixed('-0.000001', sdk.PRICE_DECIMALS), -1n);
  assert.throws(() => sdk.parseFixed('1.0000001', sdk.QUOTE_DECIMALS), RangeError);
  assert.throws(() => sdk.parseFixed('abc', sdk.QUOTE_DECIMALS), SyntaxError);
  for (const value of [0n, 1n, 10n ** 18n + 7n, -(2n ** 63n)]) {
    assert.equal(sdk.parseFixed(sdk.formatFixed(value, 9), 9), value);
  }
});

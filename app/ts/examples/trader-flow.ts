// A trader's flow with the SDK: create a trader account, deposit USDC,
// open a long with a slippage limit from the preview, read the account's
// health, close with a limit, withdraw everything that is free.
//
//   node --import tsx examples/trader-flow.ts <rpc-url> <ws-url> <keypair.json> [sub-account] [market] [base] [usdc]
//
// The wallet pays the fees and holds USDC in its associated token account
// (the local validator's `localnet-out/newcomer.json` does). Each step
// prints one JSON line; the local validator's end-to-end test runs it.
import { readFileSync } from 'node:fs';
import {
  createKeyPairSignerFromBytes,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  getSignatureFromTransaction,
  sendAndConfirmTransactionFactory,
  signTransactionMessageWithSigners,
  type Instruction,
  type TransactionSigner,
} from '@solana/kit';
import {
  accountHealth,
  buildTransactionMessage,
  decodeProgramError,
  fetchExchangeAccount,
  fetchMarkets,
  fetchTraderAccountOf,
  findAssociatedTokenAddress,
  findTraderAccountPda,
  formatPrice,
  formatQuote,
  getClosePositionInstructionAsync,
  getCreateTraderAccountInstructionAsync,
  getDepositInstructionAsync,
  getOpenPositionInstructionAsync,
  getWithdrawInstructionAsync,
  HealthState,
  lastAcceptedPrices,
  limitPriceFor,
  LONG,
  parseFixed,
  previewTrade,
  PriceBook,
  remainingAccounts,
  SHORT,
  tradeSizeArgs,
  traderAccountView,
  withRemainingAccounts,
  type MarketAccount,
} from '../src/index';

const [rpcUrl, wsUrl, keypairPath, subAccountArg = '0', marketArg = '0', baseArg = '1', usdcArg = '500'] =
  process.argv.slice(2);
if (!rpcUrl || !wsUrl || !keypairPath) {
  console.error('usage: trader-flow.ts <rpc-url> <ws-url> <keypair.json> [sub-account] [market] [base] [usdc]');
  process.exit(2);
}
const rpc = createSolanaRpc(rpcUrl);
const sendAndConfirm = sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions: createSolanaRpcSubscriptions(wsUrl) });
const owner = await createKeyPairSignerFromBytes(Uint8Array.from(JSON.parse(readFileSync(keypairPath, 'utf8'))));
const subAccountId = Number(subAccountArg);
const marketIndex = Number(marketArg);
/** 2% worse than the preview's average price. */
const SLIPPAGE_BPS = 200n;

/** Sends `instructions` with a compute-unit limit, confirmed; a program
 * error is reported by name. */
async function send(step: string, instructions: Instruction[], payer: TransactionSigner = owner): Promise<string> {
  const { value: lifetime } = await rpc.getLatestBlockhash().send();
  const message = buildTransactionMessage({ feePayer: payer, instructions, budget: { unitLimit: 400_000 }, lifetime });
  const signed = await signTransactionMessageWithSigners(message);
  try {
    await sendAndConfirm(signed as Parameters<typeof sendAndConfirm>[0], { commitment: 'confirmed' });
  } catch (error) {
    const program = decodeProgramError(error);
    throw new Error(`${step} failed: ${program ? `${program.name}: ${program.message}` : String(error)}`);
  }
  return getSignatureFromTransaction(signed);
}

const print = (step: string, fields: Record<string, unknown>): void =>
  console.log(JSON.stringify({ step, ...fields }, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));

const exchange = await fetchExchangeAccount(rpc);
const usdc = await findAssociatedTokenAddress(owner.address, exchange.collateralMint);
const [traderAddress] = await findTraderAccountPda({ owner: owner.address, subAccountId });

// 1. Create the trader account.
const created = await send('create', [
  await getCreateTraderAccountInstructionAsync({ owner, subAccountId, delegate: null }),
]);
print('create', { traderAccount: traderAddress, signature: created });

// 2. Deposit.
const amount = parseFixed(usdcArg, 6);
const deposit = await getDepositInstructionAsync({
  authority: owner,
  traderAccount: traderAddress,
  source: usdc,
  vault: exchange.vault,
  collateralMint: exchange.collateralMint,
  amount,
});
print('deposit', { amount: formatQuote(amount), signature: await send('deposit', [deposit]) });

// 3. Open a long with a limit price from the preview.
let markets: MarketAccount[] = await fetchMarkets(rpc);
const market = markets.find((m) => m.market.marketIndex === marketIndex) ?? (() => { throw new Error(`no market ${marketIndex}`); })();
const base = parseFixed(baseArg, 9);
const size = { kind: 'base', amount: base } as const;
const preview = previewTrade(market.market, LONG, size);
const limitPrice = limitPriceFor(preview, LONG, SLIPPAGE_BPS);
const trader = (await fetchTraderAccountOf(rpc, owner.address, subAccountId))?.trader;
if (!trader) throw new Error('the trader account was not created');
const tradeAccounts = {
  authority: owner,
  market: market.address,
  traderAccount: traderAddress,
  primaryOracle: market.market.oracle.primary,
  ...(market.market.oracle.secondarySource !== 0 ? { secondaryOracle: market.market.oracle.secondary } : {}),
};
const open = await getOpenPositionInstructionAsync({
  ...tradeAccounts,
  direction: LONG,
  size: tradeSizeArgs(size),
  limitPrice,
  reduceOnly: false,
});
const opened = await send('open', [withRemainingAccounts(open, remainingAccounts(trader, markets, marketIndex))]);
print('open', {
  base: baseArg,
  previewAveragePrice: formatPrice(preview.averagePrice),
  previewFee: formatQuote(preview.fee),
  limitPrice: formatPrice(limitPrice),
  signature: opened,
});

// 4. Read the account's health at the prices the program last accepted.
markets = await fetchMarkets(rpc);
const afterOpen = (await fetchTraderAccountOf(rpc, owner.address, subAccountId))?.trader;
if (!afterOpen) throw new Error('the trader account vanished');
const health = accountHealth(PriceBook.of(lastAcceptedPrices(markets), BigInt(Math.floor(Date.now() / 1000))), afterOpen);
print('health', {
  health: HealthState[health.health],
  freeCollateral: formatQuote(health.freeCollateral),
  account: traderAccountView(afterOpen),
});

// 5. Close the whole position, no worse than 2% under the previewed fill.
const closing = previewTrade(market.market, SHORT, size);
const close = await getClosePositionInstructionAsync({
  ...tradeAccounts,
  baseAmount: null,
  limitPrice: limitPriceFor(closing, SHORT, SLIPPAGE_BPS),
});
const closed = await send('close', [withRemainingAccounts(close, remainingAccounts(afterOpen, markets, marketIndex))]);
print('close', { signature: closed });

// 6. Withdraw everything: no position is left, so all collateral is free.
const flat = (await fetchTraderAccountOf(rpc, owner.address, subAccountId))?.trader;
if (!flat) throw new Error('the trader account vanished');
const withdraw = await getWithdrawInstructionAsync({
  owner,
  traderAccount: traderAddress,
  destination: usdc,
  vault: exchange.vault,
  collateralMint: exchange.collateralMint,
  amount: flat.collateral,
});
const withdrawn = await send('withdraw', [withRemainingAccounts(withdraw, remainingAccounts(flat, markets))]);
const final = (await fetchTraderAccountOf(rpc, owner.address, subAccountId))?.trader;
print('withdraw', { amount: formatQuote(flat.collateral), collateralAfter: formatQuote(final?.collateral ?? 0n), signature: withdrawn });

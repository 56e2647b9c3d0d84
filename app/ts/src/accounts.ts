// Fetching the accounts a trader or bot needs, the remaining accounts the
// program values an account with, and decimal views of the stored numbers.
// Decoded accounts keep every amount as the program stores it (`bigint`,
// native units); the `format*` helpers turn them into exact decimal strings
// by their documented precision.
import type { Address, GetAccountInfoApi, GetMultipleAccountsApi, Rpc } from '@solana/kit';
import {
  fetchAllMaybeMarket,
  fetchExchange,
  fetchMaybeTraderAccount,
  findExchangePda,
  findTraderAccountPda,
  type Exchange,
  type Market,
  type TraderAccount,
} from './generated/index';
import { findMarketPda } from './pdas';
import { VammMathError } from './math/checked';
import { averageEntryPrice } from './math/margin';
import { openPositions } from './preview';
import { BASE_DECIMALS, formatFixed, PRICE_DECIMALS, QUOTE_DECIMALS } from './units';

/** What the helpers call: getAccountInfo and getMultipleAccounts. */
type AccountsRpc = Rpc<GetAccountInfoApi & GetMultipleAccountsApi>;

/** A listed market and its address. */
export interface MarketAccount {
  address: Address;
  market: Market;
}

/** getMultipleAccounts answers at most 100 accounts per call. */
const ACCOUNTS_PER_CALL = 100;

export async function fetchExchangeAccount(rpc: AccountsRpc): Promise<Exchange> {
  const [address] = await findExchangePda();
  return (await fetchExchange(rpc, address)).data;
}

/** Every listed market, in index order: one call for the exchange, then one
 * per 100 markets. */
export async function fetchMarkets(rpc: AccountsRpc): Promise<MarketAccount[]> {
  const { marketCount } = await fetchExchangeAccount(rpc);
  const addresses: Address[] = [];
  for (let index = 0; index < marketCount; index++) addresses.push((await findMarketPda(index))[0]);
  const out: MarketAccount[] = [];
  for (let start = 0; start < addresses.length; start += ACCOUNTS_PER_CALL) {
    const found = await fetchAllMaybeMarket(rpc, addresses.slice(start, start + ACCOUNTS_PER_CALL));
    for (const account of found) {
      if (account.exists) out.push({ address: account.address, market: account.data });
    }
  }
  return out;
}

/** The trader account of `owner`'s sub-account, or `null` when it does not exist. */
export async function fetchTraderAccountOf(
  rpc: AccountsRpc,
  owner: Address,
  subAccountId = 0,
): Promise<{ address: Address; trader: TraderAccount } | null> {
  const [address] = await findTraderAccountPda({ owner, subAccountId });
  const account = await fetchMaybeTraderAccount(rpc, address);
  return account.exists ? { address, trader: account.data } : null;
}

/** The accounts that value one market: the market, its primary oracle and
 * its secondary oracle when it has one. */
export function valuationAccounts({ address, market }: MarketAccount): Address[] {
  const keys = [address, market.oracle.primary];
  if (market.oracle.secondarySource !== 0) keys.push(market.oracle.secondary);
  return keys;
}

/** The remaining accounts of a trade, withdrawal or liquidation: every
 * market (with its oracles) `trader` has a position or claim in, except
 * the market the instruction names (`except`), in slot order. */
export function remainingAccounts(
  trader: TraderAccount,
  markets: readonly MarketAccount[],
  except?: number,
): Address[] {
  return openPositions(trader)
    .filter((p) => p.marketIndex !== except)
    .flatMap((p) => {
      const market = markets.find((m) => m.market.marketIndex === p.marketIndex);
      return market ? valuationAccounts(market) : [];
    });
}

/** Remaining accounts of a liquidation by takeover: the markets of both
 * accounts, once each (the liquidatee's first). */
export function takeoverAccounts(
  liquidatee: TraderAccount,
  liquidator: TraderAccount,
  markets: readonly MarketAccount[],
  except?: number,
): Address[] {
  const keys = remainingAccounts(liquidatee, markets, except);
  for (const key of remainingAccounts(liquidator, markets, except)) {
    if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** USDC amounts (quote native, 6 decimals) as a decimal string. */
export const formatQuote = (value: bigint): string => formatFixed(value, QUOTE_DECIMALS);
/** Prices (`PRICE_PRECISION`, 6 decimals) as a decimal string. */
export const formatPrice = (value: bigint): string => formatFixed(value, PRICE_DECIMALS);
/** Base amounts (`BASE_PRECISION`, 9 decimals) as a decimal string. */
export const formatBase = (value: bigint): string => formatFixed(value, BASE_DECIMALS);

/** A market's name as stored (ASCII, zero-padded). */
export function marketName(market: Market): string {
  const bytes = Array.from(market.name);
  const end = bytes.indexOf(0);
  return String.fromCharCode(...(end < 0 ? bytes : bytes.slice(0, end)));
}

/** A position's stored numbers as decimal strings. */
export interface PositionView {
  marketIndex: number;
  /** Signed base: positive long, negative short. */
  base: string;
  entryPrice: string;
  entryNotional: string;
  pendingProfit: string;
  unpaidLoss: string;
  realisedPnl: string;
  feesPaid: string;
}

/** The average entry price as a decimal string; `n/a` where it does not
 * fit a u64 (a dust position with a large cost basis). */
function entryPrice(base: bigint, entryNotional: bigint): string {
  try {
    return formatPrice(averageEntryPrice(base, entryNotional));
  } catch (error) {
    if (error instanceof VammMathError) return 'n/a';
    throw error;
  }
}

/** The account's collateral and open positions as decimal strings. */
export function traderAccountView(trader: TraderAccount): { collateral: string; positions: PositionView[] } {
  return {
    collateral: formatQuote(trader.collateral),
    positions: openPositions(trader).map((p) => ({
      marketIndex: p.marketIndex,
      base: formatBase(p.base),
      entryPrice: entryPrice(p.base, p.entryNotional),
      entryNotional: formatQuote(p.entryNotional),
      pendingProfit: formatQuote(p.pendingProfit),
      unpaidLoss: formatQuote(p.unpaidLoss),
      realisedPnl: formatQuote(p.realisedPnl),
      feesPaid: formatQuote(p.feesPaid),
    })),
  };
}

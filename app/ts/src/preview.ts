// Previews over decoded accounts, following the program's math and rounding
// to the unit (checked against vectors the Rust client computes with the
// program's own code): what a market order would fill at, and an account's
// margin, health, free collateral and liquidation price at oracle prices.
//
// Oracle prices are inputs (`PRICE_PRECISION`): read them from the oracle
// accounts or a price service. A market given without a price (`null`)
// values nothing, as a market whose oracle the program refuses.
import type { Market, Position, TraderAccount } from './generated/index';
import type { TradeSizeArgs } from './generated/index';
import {
  averagePriceRoundedUp,
  LONG,
  priceImpact,
  type Curve,
  type PriceImpact,
  type Size,
  type TradeDirection,
} from './math/amm';
import { abs, add, fail, mulDivU64, saturating, sub, U64_MAX, VammMathError } from './math/checked';
import { MARKET_STATUS_SETTLED } from './math/constants';
import {
  accountMargin,
  accrue,
  feeFor,
  finalShare,
  freeCollateral,
  fundingPayment,
  health,
  HealthState,
  leverage,
  stepToward,
  type AccountMargin,
  type MarginParams,
  type PositionRisk,
} from './math/margin';

/** A `PodU128` (16 little-endian bytes) as a bigint. */
export function podU128(pod: { leBytes: ArrayLike<number> }): bigint {
  let value = 0n;
  for (let i = 15; i >= 0; i--) value = (value << 8n) | BigInt(pod.leBytes[i] ?? 0);
  return value;
}

export function marketCurve(market: Market): Curve {
  return {
    baseReserve: podU128(market.amm.baseReserve),
    quoteReserve: podU128(market.amm.quoteReserve),
    peg: market.amm.peg,
    minPrice: market.amm.minPrice,
    maxPrice: market.amm.maxPrice,
  };
}

/** What a market order would do, before sending it. */
export interface TradePreview {
  /** `BASE_PRECISION`. */
  base: bigint;
  /** Quote native before the fee: paid by a long, received by a short. */
  quote: bigint;
  /** `PRICE_PRECISION`, rounded down. */
  averagePrice: bigint;
  /** The average rounded up: what the program compares a long's limit with. */
  averagePriceRoundedUp: bigint;
  /** Taker fee, quote native (rounded up). */
  fee: bigint;
  markBefore: bigint;
  markAfter: bigint;
  /** The mark's move, bps of the mark before (rounded up). */
  impactBps: bigint;
}

/** The fill of one swap of `size` against `market`'s curve, as the Rust
 * client's `preview::preview_trade` computes it with the program's curve:
 * throws `VammMathError` where the curve refuses (`AmmRangeExceeded`,
 * `TradeTooSmall`, ...) and `RangeError` for a size no `u64` holds.
 *
 * It is the curve, not the whole order: the program also refuses a zero
 * size (`ZeroAmount`), a fill under 0.01 USDC, a market that is not
 * active, a limit price, margin or circuit breaker the fill would break,
 * and prices an order that flips a position as two swaps (a close, then
 * an open), whose sum can differ from one swap by rounding units. */
export function previewTrade(market: Market, direction: TradeDirection, size: Size): TradePreview {
  if (size.amount < 0n || size.amount > U64_MAX) throw new RangeError(`size ${size.amount} is not a u64`);
  const impact: PriceImpact = priceImpact(marketCurve(market), direction, size);
  return {
    base: impact.swap.base,
    quote: impact.swap.quote,
    averagePrice: impact.averagePrice,
    averagePriceRoundedUp: averagePriceRoundedUp(impact.swap.base, impact.swap.quote),
    fee: feeFor(impact.swap.quote, BigInt(market.fees.takerFeeBps)),
    markBefore: impact.markBefore,
    markAfter: impact.markAfter,
    impactBps: impact.impactBps,
  };
}

/** The limit price for an order previewed as `preview`, allowing its
 * average to be `slippageBps` worse: a long's limit from the average
 * rounded up (the program compares that), raised and rounded up; a short's
 * from the average rounded down, lowered and rounded down. With 0 bps the
 * order fills only at the previewed price or better. */
export function limitPriceFor(preview: TradePreview, direction: TradeDirection, slippageBps: bigint): bigint {
  if (slippageBps < 0n || slippageBps > 10_000n) throw new RangeError(`slippage ${slippageBps} bps is not in [0, 10000]`);
  if (direction === LONG) return mulDivU64(preview.averagePriceRoundedUp, 10_000n + slippageBps, 10_000n, true);
  return mulDivU64(preview.averagePrice, 10_000n - slippageBps, 10_000n, false);
}

/** A preview size as the generated instruction argument (`TradeSize`). */
export function tradeSizeArgs(size: Size): TradeSizeArgs {
  return size.kind === 'base' ? { __kind: 'Base', fields: [size.amount] } : { __kind: 'Quote', fields: [size.amount] };
}

/** A market and the oracle price to value it at (`PRICE_PRECISION`), or
 * why there is none: a `VammMathError` with the program's reason
 * (`OracleStale`, ...), or `null` (reported as `MissingOracleAccount`). */
export interface MarketPrice {
  market: Market;
  oraclePrice: bigint | VammMathError | null;
}

/** Each market at the last oracle price the program accepted for it
 * (`market.oracle.lastPrice`): written when an instruction on that market
 * read its own oracle and accepted the price (not by reads through other
 * instructions' remaining accounts, nor for a price the jump guard holds),
 * so it is as fresh as the market's last such instruction. Pass live
 * prices for anything that must be current. */
export function lastAcceptedPrices(markets: readonly { market: Market }[]): MarketPrice[] {
  return markets.map(({ market }) => ({
    market,
    oraclePrice: market.oracle.lastPrice === 0n ? null : market.oracle.lastPrice,
  }));
}

interface BookEntry {
  marketIndex: number;
  params: MarginParams;
  cumulativeLong: bigint;
  cumulativeShort: bigint;
  stablePrice: bigint;
  pnlPool: bigint;
  unpaidProfit: bigint;
  price: bigint | VammMathError;
}

/** The cumulative funding indices (long, short) accrued to `nowTs`. */
export function accruedIndices(market: Market, nowTs: bigint): [bigint, bigint] {
  const f = market.funding;
  const end = nowTs < f.rateUntilTs ? nowTs : f.rateUntilTs;
  const elapsed = saturating(end - f.lastAccrualTs, 'i64');
  const moved = accrue({
    perPeriod: f.perPeriodPayment,
    periodSecs: BigInt(f.periodSecs),
    elapsedSecs: elapsed < 0n ? 0n : elapsed,
    longBase: abs(market.amm.baseLong),
    shortBase: abs(market.amm.baseShort),
    feePool: market.pools.feePool,
  });
  return [add(f.cumulativeLong, moved.longDelta, 'i64'), add(f.cumulativeShort, moved.shortDelta, 'i64')];
}

/** Oracle prices, margin parameters and accrued funding of markets, as the
 * program's health cache (`controller::price_book`) gathers them. */
export class PriceBook {
  private readonly entries = new Map<number, BookEntry>();

  /** Every market at its given price (`overrides` replaces some, by
   * market index), funding accrued to `nowTs` (unix seconds). A market
   * whose funding cannot be accrued is left out, as the Rust client does. */
  static of(markets: readonly MarketPrice[], nowTs: bigint, overrides: ReadonlyMap<number, bigint> = new Map()): PriceBook {
    const book = new PriceBook();
    for (const { market, oraclePrice } of markets) {
      const price = overrides.get(market.marketIndex) ?? oraclePrice;
      try {
        book.insert(market, price ?? new VammMathError('MissingOracleAccount'), nowTs);
      } catch (error) {
        if (!(error instanceof VammMathError)) throw error;
      }
    }
    return book;
  }

  insert(market: Market, oraclePrice: bigint | VammMathError, nowTs: bigint): void {
    const settled = market.status === MARKET_STATUS_SETTLED;
    // A settled market is valued at its settlement price, oracle or not.
    const price = settled ? market.settlementPrice : oraclePrice;
    const [cumulativeLong, cumulativeShort] = accruedIndices(market, nowTs);
    let stablePrice: bigint;
    if (price instanceof VammMathError) stablePrice = market.stablePrice.price;
    else if (settled) stablePrice = price;
    else stablePrice = stepToward(market.stablePrice.price, price, saturating(nowTs - market.stablePrice.updatedTs, 'i64'));
    this.entries.set(market.marketIndex, {
      marketIndex: market.marketIndex,
      params: {
        initialRatio: BigInt(market.risk.initialRatio),
        maintenanceRatio: BigInt(market.risk.maintenanceRatio),
        initialImfFactor: BigInt(market.risk.initialImfFactor),
        maintenanceImfFactor: BigInt(market.risk.maintenanceImfFactor),
        initialProfitWeightBps: BigInt(market.stablePrice.initialProfitWeightBps),
      },
      cumulativeLong,
      cumulativeShort,
      stablePrice,
      pnlPool: market.pools.pnlPool,
      unpaidProfit: market.pools.unpaidProfit,
      price,
    });
  }

  /** The price a market is valued at, or why there is none. */
  price(marketIndex: number): bigint {
    const entry = this.entries.get(marketIndex) ?? fail('MissingMarketAccount');
    if (entry.price instanceof VammMathError) throw entry.price;
    return entry.price;
  }

  positionRisk(position: Position): PositionRisk {
    const entry = this.entries.get(position.marketIndex);
    const found = (): BookEntry => entry ?? fail('MissingMarketAccount');
    // A claim counts only as far as its market's PnL pool could pay it now.
    const pendingProfit =
      position.pendingProfit === 0n ? 0n : finalShare(position.pendingProfit, found().pnlPool, found().unpaidProfit);
    const zero = { initialRatio: 0n, maintenanceRatio: 0n, initialImfFactor: 0n, maintenanceImfFactor: 0n, initialProfitWeightBps: 0n };
    const risk: PositionRisk = {
      base: position.base,
      entryNotional: position.entryNotional,
      pendingProfit,
      unpaidLoss: position.unpaidLoss,
      unsettledFunding: 0n,
      oraclePrice: 0n,
      stablePrice: 0n,
      params: zero,
    };
    if (position.base !== 0n) {
      const market = found();
      risk.oraclePrice = this.price(position.marketIndex);
      risk.stablePrice = market.stablePrice;
      risk.params = market.params;
      const index = position.base >= 0n ? market.cumulativeLong : market.cumulativeShort;
      risk.unsettledFunding = fundingPayment(position.base, sub(index, position.fundingIndex, 'i64'));
    }
    return risk;
  }

  /** The whole account valued at these prices; throws the first reason a
   * needed price is missing. */
  margin(trader: TraderAccount): AccountMargin {
    return accountMargin(trader.collateral, openPositions(trader).map((p) => this.positionRisk(p)));
  }
}

/** Slots in use: holding base, an unpaid claim or an unpaid loss. */
export function openPositions(trader: TraderAccount): Position[] {
  return trader.positions.filter((p) => p.base !== 0n || p.pendingProfit !== 0n || p.unpaidLoss !== 0n);
}

/** An account's margin and health at a book's prices. */
export interface AccountHealth {
  margin: AccountMargin;
  health: HealthState;
  /** Quote native that may be withdrawn. */
  freeCollateral: bigint;
  /** Total notional over equity, ppm (`u64::MAX` when equity <= 0). */
  leverage: bigint;
}

export function accountHealth(book: PriceBook, trader: TraderAccount): AccountHealth {
  const margin = book.margin(trader);
  return { margin, health: health(margin), freeCollateral: freeCollateral(margin), leverage: leverage(margin) };
}

/** The oracle price of `marketIndex` (`PRICE_PRECISION`) at which the
 * account becomes liquidatable, other markets held at their prices: the
 * same bisection as the Rust client's (`preview::liquidation_price`), so
 * the same answer to the unit. A long is searched in [1, current], a short
 * in [current, 100x current]; the current price is returned when the
 * account is liquidatable already. `null` when no price in that range
 * does it, when the account holds no base in the market, when the market
 * has no price, or when the account cannot be valued at all (a market it
 * holds is missing or priceless). The bisection assumes health worsens
 * monotonically as the price moves against the position, which holds
 * unless a size-based margin ratio rises faster than the position loses
 * (IMF factors far above the listed ones). A settled market is valued at
 * its settlement price whatever the oracle, so there the answer is the
 * current price or `null`. */
export function liquidationPrice(
  markets: readonly MarketPrice[],
  trader: TraderAccount,
  marketIndex: number,
  nowTs: bigint,
): bigint | null {
  const current = markets.find((m) => m.market.marketIndex === marketIndex)?.oraclePrice;
  if (typeof current !== 'bigint') return null;
  const position = openPositions(trader).find((p) => p.marketIndex === marketIndex);
  if (!position || position.base === 0n) return null;
  const liquidatable = (price: bigint): boolean => {
    try {
      const book = PriceBook.of(markets, nowTs, new Map([[marketIndex, price]]));
      return accountHealth(book, trader).health >= HealthState.Liquidatable;
    } catch (error) {
      if (error instanceof VammMathError) return false;
      throw error;
    }
  };
  // Longs fail as the price falls, shorts as it rises.
  let safe = current;
  let unsafe = position.base > 0n ? 1n : current * 100n > U64_MAX ? U64_MAX : current * 100n;
  if (liquidatable(safe)) return current;
  if (!liquidatable(unsafe)) return null;
  while ((safe > unsafe ? safe - unsafe : unsafe - safe) > 1n) {
    const mid = safe / 2n + unsafe / 2n + ((safe % 2n) + (unsafe % 2n)) / 2n;
    if (liquidatable(mid)) unsafe = mid;
    else safe = mid;
  }
  return unsafe;
}

export { HealthState };

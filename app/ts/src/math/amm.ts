// The virtual AMM's swap and price impact, as programs/vamm/src/math/amm.rs
// computes them: constant product over virtual reserves, rounded against
// the trader, refused past the governance price range. Reserves are
// `BASE_PRECISION` units; prices `PRICE_PRECISION`; quote native (USDC, 6
// decimals).
import { add, cast, divCeil, fail, max, mul, mulDiv, mulDivU64, sub, toU64 } from './checked';
import { BASE_PRECISION } from './constants';

/** 0: the trader buys base (long); 1: the trader sells base (short), as the
 * generated `Direction` enum. */
export type TradeDirection = 0 | 1;
export const LONG: TradeDirection = 0;
export const SHORT: TradeDirection = 1;

/** A trade size: exact base (`BASE_PRECISION`) or exact quote notional
 * (quote native: what a long pays or a short receives, before fees). */
export type Size = { kind: 'base'; amount: bigint } | { kind: 'quote'; amount: bigint };

/** The curve state the math needs, copied out of a market account. */
export interface Curve {
  /** Virtual base reserve X, `BASE_PRECISION`. */
  baseReserve: bigint;
  /** Virtual quote reserve Y, `BASE_PRECISION` units of `peg` quote each. */
  quoteReserve: bigint;
  /** Quote value of one unit of Y, `PRICE_PRECISION`. */
  peg: bigint;
  minPrice: bigint;
  maxPrice: bigint;
}

export interface Swap {
  direction: TradeDirection;
  /** Base moved, `BASE_PRECISION`: received by a long, given by a short. */
  base: bigint;
  /** Quote native moved before fees: paid by a long, received by a short. */
  quote: bigint;
  baseReserveAfter: bigint;
  quoteReserveAfter: bigint;
}

/** `Y * peg / X`, `PRICE_PRECISION`, rounded down. */
export function priceOf(baseReserve: bigint, quoteReserve: bigint, peg: bigint): bigint {
  return toU64(mulDiv(quoteReserve, peg, baseReserve, false));
}

export const markPrice = (curve: Curve): bigint => priceOf(curve.baseReserve, curve.quoteReserve, curve.peg);

/** Average fill price of `quote` native for `base`, `PRICE_PRECISION`, rounded down. */
export const averagePrice = (base: bigint, quote: bigint): bigint =>
  toU64(mulDiv(quote, BASE_PRECISION, base, false));

/** The average rounded up: what the program compares a long's limit price with. */
export const averagePriceRoundedUp = (base: bigint, quote: bigint): bigint =>
  toU64(mulDiv(quote, BASE_PRECISION, base, true));

const quoteUnitsToNative = (curve: Curve, units: bigint, roundUp: boolean): bigint =>
  toU64(mulDiv(units, curve.peg, BASE_PRECISION, roundUp));

const nativeToQuoteUnits = (curve: Curve, quote: bigint, roundUp: boolean): bigint =>
  mulDiv(quote, BASE_PRECISION, curve.peg, roundUp);

/** The swap without the dust check (`swap_any_size`). */
export function swapAnySize(curve: Curve, direction: TradeDirection, size: Size): Swap {
  const x = curve.baseReserve;
  const y = curve.quoteReserve;
  const k = mul(x, y, 'u256');
  const reserveAt = (other: bigint): bigint => cast(divCeil(k, other), 'u128');
  let base: bigint;
  let quote: bigint;
  let xAfter: bigint;
  let yAfter: bigint;
  if (direction === LONG && size.kind === 'base') {
    if (size.amount >= x) fail('AmmRangeExceeded');
    base = size.amount;
    xAfter = sub(x, base, 'u128');
    yAfter = reserveAt(xAfter);
    quote = quoteUnitsToNative(curve, sub(yAfter, y, 'u128'), true);
  } else if (direction === LONG) {
    quote = size.amount;
    yAfter = add(y, nativeToQuoteUnits(curve, quote, false), 'u128');
    xAfter = reserveAt(yAfter);
    base = sub(x, xAfter, 'u128');
  } else if (size.kind === 'base') {
    base = size.amount;
    xAfter = add(x, base, 'u128');
    yAfter = reserveAt(xAfter);
    quote = quoteUnitsToNative(curve, sub(y, yAfter, 'u128'), false);
  } else {
    quote = size.amount;
    const units = nativeToQuoteUnits(curve, quote, true);
    if (units >= y) fail('AmmRangeExceeded');
    yAfter = sub(y, units, 'u128');
    xAfter = reserveAt(yAfter);
    base = sub(xAfter, x, 'u128');
  }
  // In 256 bits, as the program compares: a price past the range may not fit a u64.
  if (xAfter === 0n) fail('DivisionByZero');
  const priceAfter = mul(yAfter, curve.peg, 'u256') / xAfter;
  if (direction === LONG ? priceAfter > curve.maxPrice : priceAfter < curve.minPrice) {
    fail('AmmRangeExceeded');
  }
  base = toU64(base);
  if (base === 0n) fail('TradeTooSmall');
  return { direction, base, quote, baseReserveAfter: xAfter, quoteReserveAfter: yAfter };
}

/** A swap the program would execute: trades that round to nothing are refused. */
export function swap(curve: Curve, direction: TradeDirection, size: Size): Swap {
  const result = swapAnySize(curve, direction, size);
  if (result.base === 0n || result.quote === 0n) fail('TradeTooSmall');
  return result;
}

export interface PriceImpact {
  swap: Swap;
  /** `PRICE_PRECISION`, rounded down. */
  averagePrice: bigint;
  markBefore: bigint;
  markAfter: bigint;
  /** The mark's move in bps of the mark before, rounded up. */
  impactBps: bigint;
}

export function priceImpact(curve: Curve, direction: TradeDirection, size: Size): PriceImpact {
  const executed = swap(curve, direction, size);
  const markBefore = markPrice(curve);
  const average = averagePrice(executed.base, executed.quote);
  const markAfter = markPrice({
    ...curve,
    baseReserve: executed.baseReserveAfter,
    quoteReserve: executed.quoteReserveAfter,
  });
  const moved = markAfter > markBefore ? markAfter - markBefore : markBefore - markAfter;
  const impactBps = mulDivU64(moved, 10_000n, max(markBefore, 1n), true);
  return { swap: executed, averagePrice: average, markBefore, markAfter, impactBps };
}

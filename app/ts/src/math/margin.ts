// Position value, funding accrual, the stable price and cross-margin, as
// the program computes them (programs/vamm/src/math/{position, funding,
// stable_price, margin}.rs and controller/claims.rs). Quote native (USDC,
// 6 decimals), base `BASE_PRECISION`, prices `PRICE_PRECISION`, ratios ppm.
import {
  abs,
  add,
  checked,
  fail,
  isqrt,
  max,
  min,
  mul,
  mulDiv,
  mulDivU64,
  saturating,
  sub,
  toI64,
  toU64,
  U64_MAX,
} from './checked';
import {
  BASE_PRECISION,
  BPS_DENOMINATOR,
  FUNDING_INDEX_SCALE,
  RATIO_PRECISION,
  STABLE_PRICE_MAX_STEP_SECS,
  STABLE_PRICE_MOVE_BPS_PER_HOUR,
} from './constants';

/** Quote value of `|base|` at `price`, quote native. */
export const notional = (base: bigint, price: bigint, roundUp: boolean): bigint =>
  toU64(mulDiv(abs(base), price, BASE_PRECISION, roundUp));

/** Unrealised PnL at `price`, quote native, rounded against the trader. */
export function unrealisedPnl(base: bigint, entryNotional: bigint, price: bigint): bigint {
  if (base === 0n) return 0n;
  return base > 0n
    ? sub(toI64(notional(base, price, false)), toI64(entryNotional), 'i64')
    : sub(toI64(entryNotional), toI64(notional(base, price, true)), 'i64');
}

/** Average entry price, `PRICE_PRECISION` (0 for a flat position). */
export const averageEntryPrice = (base: bigint, entryNotional: bigint): bigint =>
  base === 0n ? 0n : toU64(mulDiv(entryNotional, BASE_PRECISION, abs(base), false));

/** Fee on `notional` quote native at `feeBps`, rounded up. */
export const feeFor = (notionalQuote: bigint, feeBps: bigint): bigint =>
  mulDivU64(notionalQuote, feeBps, BPS_DENOMINATOR, true);

/** A claim's share of the PnL pool when claims exceed it, rounded down. */
export const finalShare = (claim: bigint, pool: bigint, claims: bigint): bigint =>
  pool >= claims ? claim : mulDivU64(claim, pool, claims, false);

/** Quote native owed for an index move of `delta`: positive pays (rounded
 * up), negative receives (rounded down). */
export function fundingPayment(base: bigint, delta: bigint): bigint {
  if (base === 0n || delta === 0n) return 0n;
  const amount = toI64(mulDiv(abs(base), abs(delta), BASE_PRECISION * FUNDING_INDEX_SCALE, delta > 0n));
  return delta > 0n ? amount : -amount;
}

export interface Accrual {
  /** Quote native per whole base per period, positive: longs pay. */
  perPeriod: bigint;
  periodSecs: bigint;
  elapsedSecs: bigint;
  /** Open interest of each side, `BASE_PRECISION`. */
  longBase: bigint;
  shortBase: bigint;
  /** Quote native in the market's fee pool. */
  feePool: bigint;
}

const sideAmount = (base: bigint, delta: bigint): bigint =>
  toU64(mulDiv(base, delta, BASE_PRECISION * FUNDING_INDEX_SCALE, false));

/** The cumulative index moves of one accrual (long, short): the receivers'
 * move is scaled down when payers and the fee pool cannot cover it. */
export function accrue(input: Accrual): { longDelta: bigint; shortDelta: bigint } {
  if (input.periodSecs <= 0n) fail('InvalidMarketParameter');
  const zero = { longDelta: 0n, shortDelta: 0n };
  if (input.perPeriod === 0n || input.elapsedSecs === 0n) return zero;
  const delta = mulDiv(mul(abs(input.perPeriod), FUNDING_INDEX_SCALE, 'u128'), input.elapsedSecs, input.periodSecs, false);
  if (delta === 0n) return zero;
  const longsPay = input.perPeriod > 0n;
  const [payers, receivers] = longsPay ? [input.longBase, input.shortBase] : [input.shortBase, input.longBase];
  const paidByPayers = sideAmount(payers, delta);
  const nominalOwed = sideAmount(receivers, delta);
  let receiveDelta = delta;
  if (receivers > payers) {
    const ammOwes = saturating(nominalOwed - paidByPayers, 'u64');
    const contribution = min(ammOwes, input.feePool);
    if (contribution < ammOwes) {
      const covered = add(paidByPayers, contribution, 'u128');
      receiveDelta = min(mulDiv(covered, BASE_PRECISION * FUNDING_INDEX_SCALE, receivers, false), delta);
    }
  }
  // The program computes what receivers are owed here too, and fails if it does not fit.
  void sideAmount(receivers, receiveDelta);
  const pay = toI64(delta);
  const receive = -toI64(receiveDelta);
  return longsPay ? { longDelta: pay, shortDelta: receive } : { longDelta: receive, shortDelta: pay };
}

/** The stable price after `elapsedSecs` of following `price`; 0 seeds it. */
export function stepToward(stable: bigint, price: bigint, elapsedSecs: bigint): bigint {
  if (stable === 0n) return price;
  const elapsed = elapsedSecs < 0n ? 0n : min(elapsedSecs, STABLE_PRICE_MAX_STEP_SECS);
  const maxMove = toU64(
    mulDiv(stable, mul(STABLE_PRICE_MOVE_BPS_PER_HOUR, elapsed, 'u128'), mul(BPS_DENOMINATOR, 3_600n, 'u128'), false),
  );
  return price > stable
    ? min(price, saturating(stable + maxMove, 'u64'))
    : max(price, saturating(stable - maxMove, 'u64'));
}

/** The less favourable of the oracle and stable price for a side (0: none). */
export function conservativePrice(base: bigint, oracle: bigint, stable: bigint): bigint {
  if (stable === 0n) return oracle;
  return base > 0n ? min(oracle, stable) : max(oracle, stable);
}

/** A market's margin parameters: ratios and IMF factors ppm, weight bps. */
export interface MarginParams {
  initialRatio: bigint;
  maintenanceRatio: bigint;
  initialImfFactor: bigint;
  maintenanceImfFactor: bigint;
  initialProfitWeightBps: bigint;
}

/** `max(base_ratio, imf * sqrt(notional in whole USDC))`, capped at 100%, ppm. */
export function progressiveRatio(baseRatio: bigint, imfFactor: bigint, notionalQuote: bigint): bigint {
  const sizeRatio = mulDiv(imfFactor, isqrt(notionalQuote), 1_000n, true);
  return toU64(min(max(baseRatio, sizeRatio), RATIO_PRECISION));
}

/** One position as margin sees it. */
export interface PositionRisk {
  base: bigint;
  entryNotional: bigint;
  /** The claim's part the PnL pool could pay, quote native. */
  pendingProfit: bigint;
  unpaidLoss: bigint;
  /** Positive: owed by the trader; negative: owed to the trader. */
  unsettledFunding: bigint;
  oraclePrice: bigint;
  stablePrice: bigint;
  params: MarginParams;
}

/** 0 Healthy, 1 Warning (below initial), 2 Liquidatable (below
 * maintenance), 3 Bankrupt (equity below zero), as the program orders them. */
export enum HealthState {
  Healthy = 0,
  Warning = 1,
  Liquidatable = 2,
  Bankrupt = 3,
}

/** The whole account at oracle prices, quote native. */
export interface AccountMargin {
  collateral: bigint;
  unpaidLoss: bigint;
  fundingOwed: bigint;
  fundingReceivable: bigint;
  unrealisedPnl: bigint;
  /** Sum of the negative unrealised PnLs only (<= 0). */
  unrealisedLoss: bigint;
  /** Unrealised PnL as initial margin counts it (conservative price, weighted profit). */
  initialPnl: bigint;
  pendingProfit: bigint;
  totalNotional: bigint;
  initialRequired: bigint;
  maintenanceRequired: bigint;
}

export function accountMargin(collateral: bigint, positions: readonly PositionRisk[]): AccountMargin {
  const m: AccountMargin = {
    collateral,
    unpaidLoss: 0n,
    fundingOwed: 0n,
    fundingReceivable: 0n,
    unrealisedPnl: 0n,
    unrealisedLoss: 0n,
    initialPnl: 0n,
    pendingProfit: 0n,
    totalNotional: 0n,
    initialRequired: 0n,
    maintenanceRequired: 0n,
  };
  for (const p of positions) {
    m.pendingProfit = add(m.pendingProfit, p.pendingProfit, 'u128');
    m.unpaidLoss = add(m.unpaidLoss, p.unpaidLoss, 'u128');
    if (p.unsettledFunding > 0n) m.fundingOwed = add(m.fundingOwed, p.unsettledFunding, 'u128');
    else m.fundingReceivable = add(m.fundingReceivable, -p.unsettledFunding, 'u128');
    if (p.base === 0n) continue;
    // Requirements round up: the protocol never under-asks for margin.
    const size = notional(p.base, p.oraclePrice, true);
    const pnl = unrealisedPnl(p.base, p.entryNotional, p.oraclePrice);
    const initial = progressiveRatio(p.params.initialRatio, p.params.initialImfFactor, size);
    const maintenance = progressiveRatio(p.params.maintenanceRatio, p.params.maintenanceImfFactor, size);
    m.totalNotional = add(m.totalNotional, size, 'u128');
    m.unrealisedPnl = add(m.unrealisedPnl, pnl, 'i128');
    m.unrealisedLoss = add(m.unrealisedLoss, min(pnl, 0n), 'i128');
    const conservative = conservativePrice(p.base, p.oraclePrice, p.stablePrice);
    const pnlConservative = unrealisedPnl(p.base, p.entryNotional, conservative);
    const initialPnl =
      pnlConservative > 0n
        ? mulDiv(pnlConservative, p.params.initialProfitWeightBps, 10_000n, false)
        : pnlConservative;
    m.initialPnl = add(m.initialPnl, min(initialPnl, pnl), 'i128');
    m.initialRequired = add(m.initialRequired, mulDivU64(size, initial, RATIO_PRECISION, true), 'u128');
    m.maintenanceRequired = add(m.maintenanceRequired, mulDivU64(size, maintenance, RATIO_PRECISION, true), 'u128');
  }
  return m;
}

/** Account value, quote native (may be negative). */
export function equity(m: AccountMargin): bigint {
  let value = add(m.collateral, m.unrealisedPnl, 'i128');
  value = add(value, checked(m.pendingProfit, 'i128'), 'i128');
  value = add(value, checked(m.fundingReceivable, 'i128'), 'i128');
  value = sub(value, checked(m.fundingOwed, 'i128'), 'i128');
  return sub(value, checked(m.unpaidLoss, 'i128'), 'i128');
}

/** Equity as the initial margin of new risk counts it. */
export const initialEquity = (m: AccountMargin): bigint =>
  add(sub(equity(m), m.unrealisedPnl, 'i128'), m.initialPnl, 'i128');

export function health(m: AccountMargin): HealthState {
  const value = equity(m);
  if (value < 0n) return HealthState.Bankrupt;
  if (value < m.maintenanceRequired) return HealthState.Liquidatable;
  if (initialEquity(m) < m.initialRequired) return HealthState.Warning;
  return HealthState.Healthy;
}

/** Collateral that may leave the account, quote native: unrealised profit,
 * funding receivable and unpaid claims never count. */
export function freeCollateral(m: AccountMargin): bigint {
  let backed = add(m.collateral, m.unrealisedLoss, 'i128');
  backed = sub(backed, checked(m.unpaidLoss, 'i128'), 'i128');
  backed = sub(backed, checked(m.fundingOwed, 'i128'), 'i128');
  backed = sub(backed, checked(m.initialRequired, 'i128'), 'i128');
  return backed < 0n ? 0n : min(backed, m.collateral);
}

/** Total notional over equity, ppm (`u64::MAX` when equity <= 0). */
export function leverage(m: AccountMargin): bigint {
  const value = equity(m);
  if (value <= 0n) return U64_MAX;
  return min(mulDiv(m.totalNotional, RATIO_PRECISION, value, true), U64_MAX);
}


// The program's precisions (programs/vamm/src/constants.rs) as bigints.

/** Quote (USDC) native units per whole USDC. */
export const QUOTE_PRECISION = 1_000_000n;
/** Price units per whole quote per whole base. */
export const PRICE_PRECISION = 1_000_000n;
/** Base native units per whole base unit. */
export const BASE_PRECISION = 1_000_000_000n;
/** Margin ratios: parts per million. */
export const RATIO_PRECISION = 1_000_000n;
/** Funding index units per whole USDC per whole base unit: 0.5 USDC per
 * SOL is 500,000,000. */
export const FUNDING_INDEX_PRECISION = 1_000_000_000n;
/** Funding index units per quote native per whole base unit (1,000). */
export const FUNDING_INDEX_SCALE = FUNDING_INDEX_PRECISION / PRICE_PRECISION;
export const BPS_DENOMINATOR = 10_000n;
/** How far the stable price may move in an hour, bps of itself. */
export const STABLE_PRICE_MOVE_BPS_PER_HOUR = 2_000n;
/** Longest gap one stable-price step covers, seconds. */
export const STABLE_PRICE_MAX_STEP_SECS = 86_400n;
/** `MarketStatus::Settled` as stored. */
export const MARKET_STATUS_SETTLED = 3;

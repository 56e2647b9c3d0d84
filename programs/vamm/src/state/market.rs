use crate::error::VammError;
use crate::math::amm::Curve;
use crate::math::fees::FeeShares;
use crate::math::margin::MarginParams;
use crate::state::PodU128;
use anchor_lang::prelude::*;

/// Lifecycle of a market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub enum MarketStatus {
    /// All trading allowed. Stored as 0.
    Active,
    /// Only trades that reduce a position. Stored as 1.
    ReduceOnly,
    /// No trading. Stored as 2.
    Paused,
    /// Final: positions are settled at a fixed price. Stored as 3.
    Settled,
}

impl MarketStatus {
    pub fn from_u8(value: u8) -> Result<Self> {
        Ok(match value {
            0 => Self::Active,
            1 => Self::ReduceOnly,
            2 => Self::Paused,
            3 => Self::Settled,
            _ => return err!(VammError::InvalidMarketParameter),
        })
    }
}

/// Which oracle program a configured source reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize, InitSpace)]
pub enum OracleSource {
    /// Pyth pull oracle `PriceUpdateV2`. Stored as 1.
    Pyth,
    /// Switchboard On-Demand `PullFeedAccountData`. Stored as 2.
    Switchboard,
}

impl OracleSource {
    /// Stored form; 0 is reserved for "none".
    pub fn to_u8(self) -> u8 {
        match self {
            Self::Pyth => 1,
            Self::Switchboard => 2,
        }
    }

    /// 0 means "no source configured".
    pub fn from_u8(value: u8) -> Result<Option<Self>> {
        Ok(match value {
            0 => None,
            1 => Some(Self::Pyth),
            2 => Some(Self::Switchboard),
            _ => return err!(VammError::InvalidOracleConfig),
        })
    }
}

/// Virtual AMM state. Reserves in `BASE_PRECISION`; prices in
/// `PRICE_PRECISION`; base amounts in `BASE_PRECISION`.
#[zero_copy]
#[derive(Debug, Default)]
pub struct AmmState {
    /// Virtual base reserve X.
    pub base_reserve: PodU128,
    /// Virtual quote reserve Y (units worth `peg` quote each).
    pub quote_reserve: PodU128,
    /// Depth sqrt(k) at listing or at the last depth change.
    pub sqrt_k: PodU128,
    /// Quote value of one unit of Y, `PRICE_PRECISION`.
    pub peg: u64,
    /// Lowest price the curve may reach, `PRICE_PRECISION`.
    pub min_price: u64,
    /// Highest price the curve may reach, `PRICE_PRECISION`.
    pub max_price: u64,
    /// Mark price after the last trade, `PRICE_PRECISION`.
    pub last_mark_price: u64,
    /// Sum of all long positions, `BASE_PRECISION` (>= 0).
    pub base_long: i64,
    /// Sum of all short positions, `BASE_PRECISION` (<= 0).
    pub base_short: i64,
}

impl AmmState {
    pub fn curve(&self) -> Curve {
        Curve {
            base_reserve: self.base_reserve.get(),
            quote_reserve: self.quote_reserve.get(),
            peg: self.peg,
            min_price: self.min_price,
            max_price: self.max_price,
        }
    }

    /// The AMM's own net base position: minus the traders' net,
    /// `BASE_PRECISION`.
    pub fn net_base(&self) -> Result<i64> {
        self.base_long
            .checked_add(self.base_short)
            .and_then(i64::checked_neg)
            .ok_or_else(|| error!(VammError::MathOverflow))
    }
}

/// Where the market's prices come from and how strictly they are checked.
#[zero_copy]
#[derive(Debug, Default)]
pub struct OracleConfig {
    /// Pinned primary oracle account.
    pub primary: Pubkey,
    /// Pinned secondary oracle account (`Pubkey::default()` when none).
    pub secondary: Pubkey,
    /// Pyth feed id, or Switchboard feed hash, of the primary.
    pub primary_feed_id: [u8; 32],
    /// Feed id or feed hash of the secondary.
    pub secondary_feed_id: [u8; 32],
    /// Sequence of the last primary update used: its publish time (Pyth,
    /// unix seconds) or its result slot (Switchboard). Older updates are
    /// refused.
    pub last_primary_sequence: i64,
    /// Sequence of the last secondary update used, as above.
    pub last_secondary_sequence: i64,
    /// Last valid oracle price used, `PRICE_PRECISION`.
    pub last_price: u64,
    /// Maximum age of an update, seconds.
    pub max_staleness_secs: u32,
    /// Maximum confidence (Pyth) or std-dev (Switchboard) as bps of price.
    pub max_confidence_bps: u16,
    /// Maximum gap between primary and secondary, bps of the lower price.
    pub consensus_band_bps: u16,
    /// `OracleSource` of the primary.
    pub primary_source: u8,
    /// `OracleSource` of the secondary, 0 when none.
    pub secondary_source: u8,
    /// A price further than this from the oracle TWAP is held until it
    /// persists for `PriceGuard::confirmation_secs`, bps of the TWAP.
    pub max_jump_bps: u16,
    /// Fewest oracle samples a Switchboard result must aggregate.
    pub min_samples: u8,
    pub padding: [u8; 3],
}

/// The oracle-jump circuit breaker's parameter and state (see
/// `math::price_guard`): a price outside the jump band is held, and
/// accepted as the new level once prices on that side have been observed
/// for `confirmation_secs`.
#[zero_copy]
#[derive(Debug, Default)]
pub struct PriceGuard {
    /// How long an out-of-band price must persist to be accepted, seconds.
    pub confirmation_secs: u32,
    /// `HoldSide` of the hold in progress: 0 none, 1 above, 2 below the band.
    pub hold_side: u8,
    pub padding: [u8; 3],
    /// Cluster time the hold was first recorded, unix seconds (0 when no
    /// hold).
    pub hold_since_ts: i64,
    /// Least extreme price held so far (nearest the reference): the level
    /// a confirmation accepts, `PRICE_PRECISION` (0 when no hold).
    pub hold_price: u64,
    /// Holds that ended with the new level accepted.
    pub holds_confirmed: u32,
    /// Holds that ended with the price back inside the band.
    pub holds_reverted: u32,
    /// Sequence of the primary update that started the hold: only a newer
    /// one can confirm it.
    pub hold_sequence: i64,
}

impl PriceGuard {
    pub fn hold(&self) -> crate::math::price_guard::Hold {
        crate::math::price_guard::Hold {
            side: crate::math::price_guard::HoldSide::from_u8(self.hold_side),
            since_ts: self.hold_since_ts,
            sequence: self.hold_sequence,
            price: self.hold_price,
        }
    }

    /// Whether the market is waiting for a new price level to be confirmed.
    pub fn is_holding(&self) -> bool {
        self.hold_side != 0
    }

    /// When the hold in progress can be confirmed at the earliest, cluster
    /// unix seconds (None when no hold).
    pub fn confirmable_at(&self) -> Option<i64> {
        self.is_holding().then(|| self.hold_since_ts.saturating_add(self.confirmation_secs as i64))
    }
}

/// Risk limits, ratios in ppm (`RATIO_PRECISION`), notionals quote native.
#[zero_copy]
#[derive(Debug, Default)]
pub struct RiskParams {
    /// Base initial margin ratio, ppm (100_000 = 10% = 10x).
    pub initial_ratio: u32,
    /// Base maintenance margin ratio, ppm.
    pub maintenance_ratio: u32,
    /// Size factor of the initial ratio, ppm per sqrt(whole USDC notional).
    pub initial_imf_factor: u32,
    /// Size factor of the maintenance ratio, ppm per sqrt(whole USDC).
    pub maintenance_imf_factor: u32,
    /// Risk-increasing trades may not leave the mark further than this
    /// from the oracle (unless they move it closer), bps.
    pub mark_oracle_band_bps: u16,
    /// Risk-increasing trades may not move the mark further than this from
    /// where it started the slot (unless they move it towards the oracle), bps.
    pub max_slot_move_bps: u16,
    pub padding: [u8; 4],
    /// Cap on each side's open interest valued at the oracle, quote native.
    pub max_open_interest: u64,
    /// Cap on one account's position valued at the oracle, quote native.
    pub max_position_notional: u64,
}

/// The stable price (see `math::stable_price`) and the weight of
/// unrealised profit in the initial margin of new risk.
#[zero_copy]
#[derive(Debug, Default)]
pub struct StablePrice {
    /// `PRICE_PRECISION`; follows accepted oracle prices at a bounded rate.
    pub price: u64,
    /// When it last moved, unix seconds.
    pub updated_ts: i64,
    /// Share of unrealised profit, valued at the less favourable of the
    /// oracle and the stable price, that counts toward the initial margin
    /// of new risk, bps (0 .. 9,500; withdrawals never count it).
    pub initial_profit_weight_bps: u16,
    pub padding: [u8; 6],
}

/// Fee rate and split, bps.
#[zero_copy]
#[derive(Debug, Default)]
pub struct FeeParams {
    /// Fee on traded notional, bps.
    pub taker_fee_bps: u16,
    /// Share of each fee for the insurance fund, bps of the fee.
    pub insurance_share_bps: u16,
    /// Share of each fee for the market's PnL pool, bps of the fee.
    pub pnl_pool_share_bps: u16,
    /// Share of each fee for the market's fee pool, bps of the fee. The
    /// treasury gets the rest.
    pub fee_pool_share_bps: u16,
}

impl FeeParams {
    pub fn shares(&self) -> FeeShares {
        FeeShares {
            insurance_bps: self.insurance_share_bps,
            pnl_pool_bps: self.pnl_pool_share_bps,
            fee_pool_bps: self.fee_pool_share_bps,
        }
    }
}

/// Balances the market holds inside the exchange vault, quote native. Their
/// sum over markets plus all trader collateral equals the vault balance.
#[zero_copy]
#[derive(Debug, Default)]
pub struct MarketPools {
    /// Settled losses and a fee share; pays realised profit.
    pub pnl_pool: u64,
    /// Fee share that pays the AMM's costs (funding imbalance, repegs).
    pub fee_pool: u64,
    /// Protocol revenue.
    pub treasury: u64,
    /// Insurance fund's fee share not yet moved to the insurance vault.
    pub insurance_pending: u64,
    /// Realised profit owed to traders that the PnL pool could not pay yet
    /// (a liability, not held tokens).
    pub unpaid_profit: u64,
    /// Realised losses of longs and of shorts that collateral could not
    /// cover and `resolve_bankruptcy` has not resolved yet (owed to the
    /// pool, not held tokens).
    pub unpaid_loss_long: u64,
    pub unpaid_loss_short: u64,
}

/// Funding state. Indices in `FUNDING_INDEX_PRECISION` (quote native per
/// whole base unit x 1,000: what one whole unit of that side has paid in
/// total, negative when it received); prices `PRICE_PRECISION`; times unix
/// seconds.
#[zero_copy]
#[derive(Debug, Default)]
pub struct FundingState {
    pub cumulative_long: i64,
    pub cumulative_short: i64,
    /// Window-weighted average of the mark, window = funding period.
    pub mark_twap: u64,
    /// Window-weighted average of the oracle price.
    pub oracle_twap: u64,
    pub mark_twap_ts: i64,
    pub oracle_twap_ts: i64,
    /// Start of the period of the last crank.
    pub last_funding_ts: i64,
    /// Rate set by the last crank, parts per billion of the oracle TWAP per
    /// period (+ longs pay).
    pub last_rate_ppb: i64,
    /// The same rate as a payment per whole base unit per period, quote
    /// native (+ longs pay); accrues continuously.
    pub per_period_payment: i64,
    /// Up to when the indices have accrued, unix seconds.
    pub last_accrual_ts: i64,
    /// The rate accrues until then at most (one period after its crank).
    pub rate_until_ts: i64,
    /// Funding period, seconds.
    pub period_secs: u32,
    /// Clamp on one period's rate, bps of the oracle TWAP.
    pub max_rate_bps: u16,
    pub padding: [u8; 2],
}

/// Liquidation parameters.
#[zero_copy]
#[derive(Debug, Default)]
pub struct LiquidationParams {
    /// Fee on the notional a liquidation closes, bps.
    pub fee_bps: u16,
    /// Liquidator's share of that fee, bps of the fee; the insurance fund
    /// gets the rest.
    pub liquidator_share_bps: u16,
    /// Most of a position one step may close, bps of it.
    pub max_fraction_bps: u16,
    pub padding: [u8; 2],
    /// Target above maintenance a step restores, ppm of total notional.
    pub buffer_ratio: u32,
    pub padding2: [u8; 4],
}

/// Lifetime statistics, quote native.
#[zero_copy]
#[derive(Debug, Default)]
pub struct MarketStats {
    pub volume: u64,
    pub fees: u64,
    pub trade_count: u64,
    /// Liquidation steps of either kind.
    pub liquidation_count: u64,
    /// The liquidation steps that moved the position to the liquidator.
    pub takeover_count: u64,
    /// Quote native the fee pool paid for the AMM's side of funding.
    pub funding_paid_by_fee_pool: u64,
    /// Bad debt the insurance fund covered.
    pub bad_debt_insured: u64,
    /// Bad debt charged to open positions through the funding index.
    pub bad_debt_socialised: u64,
    /// Bad debt with no open position left to bear it, or beyond the cap
    /// on what one socialisation may charge a base unit.
    pub bad_debt_unrecovered: u64,
    /// Profit claims written off in a settled market: the part of each
    /// claim beyond its pro-rata share of the final PnL pool.
    pub claims_written_off: u64,
}

/// The permissionless repeg: once the mark has stayed more than `gap_bps`
/// from the oracle for `delay_secs`, anyone may re-centre the curve on the
/// oracle (the admin may at any time); the fee pool pays, as for any repeg.
#[zero_copy]
#[derive(Debug, Default)]
pub struct RepegRule {
    /// Mark-oracle gap that starts the clock, bps of the oracle price (0:
    /// only the admin repegs).
    pub gap_bps: u16,
    pub padding: [u8; 2],
    /// How long the gap must last, seconds.
    pub delay_secs: u32,
    /// When an observation (a TWAP update, or a trade or liquidation after
    /// it moved the mark) first saw the mark beyond the gap, unix seconds
    /// (0 since one saw it within).
    pub gap_since_ts: i64,
}

impl RepegRule {
    /// When anyone may repeg at the earliest, unix seconds (None while the
    /// mark is within the gap or the rule is off).
    pub fn due_at(&self) -> Option<i64> {
        (self.gap_bps != 0 && self.gap_since_ts != 0)
            .then(|| self.gap_since_ts.saturating_add(self.delay_secs as i64))
    }
}

/// Where the mark started the current slot, for the per-slot limit.
#[zero_copy]
#[derive(Debug, Default)]
pub struct SlotBreaker {
    pub slot: u64,
    /// `PRICE_PRECISION`.
    pub slot_start_mark: u64,
}

/// One perpetual market, PDA `["market", market_index as u16 LE]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Market {
    pub exchange: Pubkey,
    /// ASCII name, zero-padded (for example `SOL-PERP`).
    pub name: [u8; 16],
    pub amm: AmmState,
    pub oracle: OracleConfig,
    pub risk: RiskParams,
    pub fees: FeeParams,
    pub pools: MarketPools,
    pub funding: FundingState,
    pub liquidation: LiquidationParams,
    pub stats: MarketStats,
    /// Unix seconds of listing.
    pub created_ts: i64,
    pub market_index: u16,
    /// `MarketStatus`.
    pub status: u8,
    pub bump: u8,
    pub padding: [u8; 4],
    pub slot_breaker: SlotBreaker,
    /// Price every position settles at once the market is `Settled`,
    /// `PRICE_PRECISION` (0 before).
    pub settlement_price: u64,
    pub price_guard: PriceGuard,
    /// Once a settled market is final (no position, no unresolved loss):
    /// the PnL pool and the claims outstanding at that moment, quote
    /// native. Every claim is then paid `claim * pool / claims`, whatever
    /// the order (0 before).
    pub final_payout_pool: u64,
    pub final_payout_claims: u64,
    pub stable_price: StablePrice,
    pub repeg_rule: RepegRule,
    pub reserved: [u8; 88],
}

impl Market {
    pub const SIZE: usize = 8 + std::mem::size_of::<Market>();

    pub fn status(&self) -> Result<MarketStatus> {
        MarketStatus::from_u8(self.status)
    }

    pub fn margin_params(&self) -> MarginParams {
        MarginParams {
            initial_ratio: self.risk.initial_ratio,
            maintenance_ratio: self.risk.maintenance_ratio,
            initial_imf_factor: self.risk.initial_imf_factor,
            maintenance_imf_factor: self.risk.maintenance_imf_factor,
            initial_profit_weight_bps: self.stable_price.initial_profit_weight_bps,
        }
    }

    /// Open interest of each side in base, `BASE_PRECISION`.
    pub fn open_interest_base(&self) -> (u64, u64) {
        (self.amm.base_long.unsigned_abs(), self.amm.base_short.unsigned_abs())
    }

    /// The cumulative funding index of the side `base` is on.
    pub fn funding_index(&self, base: i64) -> i64 {
        if base >= 0 {
            self.funding.cumulative_long
        } else {
            self.funding.cumulative_short
        }
    }
}

const _: () = assert!(std::mem::size_of::<AmmState>() == 96);
const _: () = assert!(std::mem::size_of::<OracleConfig>() == 168);
const _: () = assert!(std::mem::size_of::<PriceGuard>() == 40);
const _: () = assert!(std::mem::size_of::<Market>() == 832);
const _: () = assert!(std::mem::align_of::<Market>() <= 8);

//! Events for indexers and UIs. Quote amounts are quote native (6
//! decimals), base amounts `BASE_PRECISION` (9 decimals), prices
//! `PRICE_PRECISION` (6 decimals), times unix seconds.

use crate::instructions::MarketParamsUpdate;
use crate::math::amm::Direction;
use crate::state::{GovernanceAction, MarketStatus};
use anchor_lang::prelude::*;

#[event]
#[derive(Debug, PartialEq)]
pub struct ExchangeInitialized {
    pub admin: Pubkey,
    pub guardian: Pubkey,
    pub collateral_mint: Pubkey,
    pub vault: Pubkey,
    pub insurance_vault: Pubkey,
}

/// `propose_admin`: `proposed` may accept; `replaced` is the proposal it
/// replaced (the default key if none).
#[event]
#[derive(Debug, PartialEq)]
pub struct AdminProposed {
    pub admin: Pubkey,
    pub proposed: Pubkey,
    pub replaced: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct AdminTransferCancelled {
    pub admin: Pubkey,
    pub cancelled: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct AdminAccepted {
    pub previous: Pubkey,
    pub admin: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct GuardianSet {
    pub previous: Pubkey,
    pub guardian: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct LookupTableSet {
    pub previous: Pubkey,
    pub lookup_table: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct MarketCreated {
    pub market_index: u16,
    pub market: Pubkey,
    pub name: [u8; 16],
    /// Initial peg = oracle price at listing, `PRICE_PRECISION`.
    pub peg: u64,
    /// `BASE_PRECISION`.
    pub sqrt_k: u128,
    pub min_price: u64,
    pub max_price: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct TraderAccountCreated {
    pub trader_account: Pubkey,
    pub owner: Pubkey,
    pub sub_account_id: u16,
    pub delegate: Pubkey,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct TraderAccountClosed {
    pub trader_account: Pubkey,
    pub owner: Pubkey,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct DelegateSet {
    pub trader_account: Pubkey,
    pub delegate: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct CollateralDeposited {
    pub trader_account: Pubkey,
    pub depositor: Pubkey,
    pub amount: u64,
    pub collateral_after: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct CollateralWithdrawn {
    pub trader_account: Pubkey,
    pub amount: u64,
    pub collateral_after: u64,
    /// Free collateral left after the withdrawal.
    pub free_collateral_after: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct TradeExecuted {
    pub trader_account: Pubkey,
    pub market_index: u16,
    pub direction: Direction,
    /// Base traded, `BASE_PRECISION`.
    pub base: u64,
    /// Quote traded before fees, quote native.
    pub quote: u64,
    /// Average fill price, `PRICE_PRECISION`.
    pub average_price: u64,
    /// Fee charged, quote native.
    pub fee: u64,
    /// PnL realised by the trade before fees, quote native.
    pub realised_pnl: i64,
    /// Realised profit paid from the PnL pool during this trade.
    pub profit_paid: u64,
    /// Position after the trade, `BASE_PRECISION`.
    pub base_after: i64,
    pub entry_notional_after: u64,
    pub mark_price_after: u64,
    /// Oracle price used for margin (0 when none was valid and the trade
    /// was a pure reduction).
    pub oracle_price: u64,
    pub collateral_after: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct FundingSettled {
    pub market_index: u16,
    /// `PRICE_PRECISION`.
    pub mark_twap: u64,
    pub oracle_twap: u64,
    /// The rate set for the coming period: paying side, parts per billion
    /// of the oracle TWAP per period (positive: longs pay).
    pub rate_ppb: i64,
    /// The accrual this crank applied at the previous rate (since the last
    /// touch of the market): index moves, `FUNDING_INDEX_PRECISION`.
    pub long_index_delta: i64,
    pub short_index_delta: i64,
    /// Quote native owed by the paying side and to the receiving side.
    pub paid_by_payers: u64,
    pub owed_to_receivers: u64,
    /// Quote native the fee pool paid for the AMM's side.
    pub fee_pool_contribution: u64,
    /// The receiving side's rate was scaled down: the fee pool could not
    /// cover the AMM's side.
    pub capped: bool,
    /// Whole periods since the previous settlement (only one is charged).
    pub periods_elapsed: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct Liquidated {
    pub market_index: u16,
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    /// The position moved to the liquidator's account at the oracle price
    /// (false: it was closed into the curve).
    pub takeover: bool,
    /// `BASE_PRECISION`.
    pub base_closed: u64,
    /// Quote native.
    pub quote: u64,
    pub realised_pnl: i64,
    pub fee: u64,
    pub liquidator_reward: u64,
    pub insurance_share: u64,
    /// `BASE_PRECISION`.
    pub base_after: i64,
    /// The liquidator's position in the market after the step, `BASE_PRECISION`.
    pub liquidator_base_after: i64,
    /// Equity minus maintenance requirement before and after, quote native.
    pub surplus_before: i64,
    pub surplus_after: i64,
    /// `PRICE_PRECISION`.
    pub oracle_price: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct BankruptcyResolved {
    pub market_index: u16,
    pub trader_account: Pubkey,
    /// Quote native; the five parts sum to `deficit`.
    pub deficit: u64,
    pub from_collateral: u64,
    pub from_claims: u64,
    pub from_insurance: u64,
    /// Socialised over the open longs (losses of shorts) and over the open
    /// shorts (losses of longs).
    pub socialised_onto_longs: u64,
    pub socialised_onto_shorts: u64,
    /// No position left to bear it, or beyond the per-base-unit cap.
    pub unrecovered: u64,
    /// Moves of the longs' and shorts' funding indices,
    /// `FUNDING_INDEX_PRECISION`.
    pub long_index_delta: i64,
    pub short_index_delta: i64,
    /// Claims in other markets paid into collateral first, quote native.
    pub claims_netted: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct InsuranceFeesSwept {
    pub market_index: u16,
    /// Quote native moved from the vault to the insurance vault.
    pub amount: u64,
    pub insurance_balance_after: u64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct InsuranceStaked {
    pub owner: Pubkey,
    /// Quote native.
    pub amount: u64,
    pub shares: u64,
    pub insurance_balance_after: u64,
    pub total_shares_after: u64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct UnstakeRequested {
    pub owner: Pubkey,
    pub shares: u64,
    /// Unix seconds from which `unstake` pays.
    pub available_ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct Unstaked {
    pub owner: Pubkey,
    pub shares: u64,
    /// Quote native paid.
    pub amount: u64,
    pub insurance_balance_after: u64,
    pub total_shares_after: u64,
}

/// A market's parameters changed, at once (`update_market_params`, risk
/// reducing only) or through the timelock (`proposal` is its id).
#[event]
#[derive(Debug, PartialEq)]
pub struct MarketParamsUpdated {
    pub market_index: u16,
    /// The fields set (the others are `None`).
    pub update: MarketParamsUpdate,
    /// Their values before, the same fields set.
    pub previous: MarketParamsUpdate,
    /// The admin, or whoever executed the proposal.
    pub by: Pubkey,
    pub proposal: Option<u64>,
}

/// `queue_proposal`: `action` may be executed by anyone from
/// `executable_ts` to `expires_ts`; `previous` holds the values it would
/// replace as they stood when queued (`None` for a listing).
#[event]
#[derive(Debug, PartialEq)]
pub struct ProposalQueued {
    pub id: u64,
    pub proposal: Pubkey,
    pub action: GovernanceAction,
    pub previous: Option<GovernanceAction>,
    pub proposer: Pubkey,
    pub executable_ts: i64,
    pub expires_ts: i64,
}

/// A proposal was carried out; `previous` holds the values it replaced.
#[event]
#[derive(Debug, PartialEq)]
pub struct ProposalExecuted {
    pub id: u64,
    pub action: GovernanceAction,
    pub previous: Option<GovernanceAction>,
    pub executor: Pubkey,
    pub ts: i64,
}

/// A proposal was cancelled by the admin or the guardian.
#[event]
#[derive(Debug, PartialEq)]
pub struct ProposalCancelled {
    pub id: u64,
    pub action: GovernanceAction,
    pub by: Pubkey,
    pub ts: i64,
}

/// `withdraw_treasury` moved a market's protocol fees to the treasury
/// token account, quote native.
#[event]
#[derive(Debug, PartialEq)]
pub struct TreasuryWithdrawn {
    pub market_index: u16,
    pub treasury: Pubkey,
    pub amount: u64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct MarketStatusChanged {
    pub market_index: u16,
    pub from: MarketStatus,
    pub to: MarketStatus,
    pub by: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct MarketRepegged {
    pub market_index: u16,
    /// `PRICE_PRECISION`.
    pub old_peg: u64,
    pub new_peg: u64,
    pub oracle_price: u64,
    pub mark_price: u64,
    /// Quote native paid by the fee pool (negative: the AMM gained).
    pub cost: i64,
    pub fee_pool_after: u64,
    pub by: Pubkey,
    /// Whether it ran under the permissionless rule (not the admin).
    pub by_rule: bool,
}

/// A depth change (`UpdateDepth` through the timelock) was applied.
#[event]
#[derive(Debug, PartialEq)]
pub struct MarketDepthChanged {
    pub market_index: u16,
    /// `BASE_PRECISION`.
    pub old_sqrt_k: u128,
    pub new_sqrt_k: u128,
    /// Quote native paid by the fee pool (negative: the AMM gained).
    pub cost: i64,
    pub fee_pool_after: u64,
    /// `PRICE_PRECISION`.
    pub mark_price: u64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct MarketSettled {
    pub market_index: u16,
    /// `PRICE_PRECISION`.
    pub settlement_price: u64,
    /// Quote native moved from the fee pool to the PnL pool.
    pub fee_pool_moved: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct PositionSettled {
    pub market_index: u16,
    pub trader_account: Pubkey,
    /// `BASE_PRECISION`.
    pub base: i64,
    /// `PRICE_PRECISION`.
    pub settlement_price: u64,
    /// Quote native.
    pub realised_pnl: i64,
    pub profit_paid: u64,
}

/// The market's oracle price left the jump band: the market holds (no new
/// risk, no liquidation, funding, repeg or settlement at that price) until
/// the level persists for the confirmation time.
#[event]
#[derive(Debug, PartialEq)]
pub struct OraclePriceHeld {
    pub market_index: u16,
    /// The held price and the reference it left the band around (the
    /// oracle TWAP), `PRICE_PRECISION`.
    pub price: u64,
    pub reference: u64,
    /// `HoldSide`: 1 above the band, 2 below.
    pub side: u8,
    /// Cluster time the hold began, unix seconds.
    pub since_ts: i64,
    /// Earliest cluster time a newer update can confirm the level.
    pub confirmable_at_ts: i64,
}

/// A hold ended: `confirmed` when the new level persisted and became the
/// reference, otherwise the price came back inside the band.
#[event]
#[derive(Debug, PartialEq)]
pub struct OraclePriceHoldEnded {
    pub market_index: u16,
    pub confirmed: bool,
    /// The price that ended the hold, `PRICE_PRECISION`.
    pub price: u64,
    /// When confirmed, the level accepted as the new reference (the least
    /// extreme held price), `PRICE_PRECISION`; 0 otherwise.
    pub level: u64,
    /// Cluster seconds since the hold was first recorded.
    pub held_secs: i64,
    pub ts: i64,
}

/// A profit claim paid from a market's PnL pool by `settle_pnl`. Quote
/// native.
#[event]
#[derive(Debug, PartialEq)]
pub struct PnlSettled {
    pub market_index: u16,
    pub trader_account: Pubkey,
    pub paid: u64,
    /// The part of the claim beyond its pro-rata share of a settled
    /// market's final pool.
    pub written_off: u64,
    /// Claim left after this payment.
    pub remaining: u64,
    pub pnl_pool_after: u64,
    pub collateral_after: u64,
    pub ts: i64,
}

/// A final settled market's PnL pool left after every claim was paid,
/// moved to the treasury, quote native.
#[event]
#[derive(Debug, PartialEq)]
pub struct FinalSurplusReleased {
    pub market_index: u16,
    pub amount: u64,
}

//! One liquidation step of an under-margined account, in one of two ways:
//!
//! - by takeover (`controller::takeover`): part of the position moves to
//!   the liquidator's trader account at the oracle price. The curve does
//!   not move, so a crowd of liquidations cannot push the mark away from
//!   the oracle and trigger the next one. The default path.
//! - into the curve (`liquidate_into_curve`): the position is closed
//!   against the vAMM, bounded by the mark-oracle band and the per-step
//!   fraction. The fallback when no liquidator takes the position on.
//!
//! Both charge the same fee on the notional closed, split between the
//! liquidator and the insurance fund, and both must strictly improve the
//! account's maintenance surplus.

use crate::constants::BPS_DENOMINATOR;
use crate::controller::funding::{accrue_funding, observe_repeg_gap, update_twaps};
use crate::controller::price_book::PriceBook;
use crate::controller::settlement::{
    book_realised_pnl, pay_pending_profit, settle_position_funding, side_of,
};
use crate::controller::trade::apply_swap;
use crate::error::VammError;
use crate::math::amm::{Curve, Direction, TradeSize};
use crate::math::fees::fee_for;
use crate::math::liquidation::{base_to_liquidate, LiquidationInput};
use crate::math::margin::{progressive_ratio, AccountMargin, HealthState};
use crate::math::position::notional;
use crate::math::safe::{mul_div_u64, SafeMath};
use crate::state::{Market, MarketStatus, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationOutcome {
    /// Whether the position moved to the liquidator (false: into the curve).
    pub takeover: bool,
    /// `BASE_PRECISION`.
    pub base_closed: u64,
    /// Quote the close traded (curve) or the transfer was priced at
    /// (takeover, at the oracle price), quote native.
    pub quote: u64,
    pub realised_pnl: i64,
    /// Liquidation fee charged, quote native, and its split.
    pub fee: u64,
    pub liquidator_reward: u64,
    pub insurance_share: u64,
    pub base_after: i64,
    /// The liquidator's position in this market after the step,
    /// `BASE_PRECISION` (unchanged by a liquidation into the curve).
    pub liquidator_base_after: i64,
    /// Equity minus maintenance before and after, quote native.
    pub surplus_before: i64,
    pub surplus_after: i64,
    pub oracle_price: u64,
    pub mark_price_after: u64,
}

/// What both modes establish before any base moves.
pub(crate) struct Step {
    pub slot: usize,
    /// The liquidatee's position before the step, `BASE_PRECISION`.
    pub base_before: i64,
    pub margin_before: AccountMargin,
    /// `PRICE_PRECISION`.
    pub oracle_price: u64,
    /// Base that restores the account's buffer, capped per step by
    /// `max_fraction_bps`, `BASE_PRECISION`.
    pub wanted: u64,
}

/// Accrues the market, settles the position's funding and checks that the
/// account may be liquidated in this market now (a valid oracle price,
/// below maintenance, and the riskiest market when asked).
pub(crate) fn begin_step(
    market: &mut Market,
    liquidatee: &mut TraderAccount,
    prices: &PriceBook,
    now_ts: i64,
    riskiest_first: bool,
    max_fraction_bps: u16,
) -> Result<Step> {
    // Paused is an emergency stop: no trading, liquidation or funding.
    require!(
        matches!(market.status()?, MarketStatus::Active | MarketStatus::ReduceOnly),
        VammError::MarketNotActive
    );
    let index = market.market_index;
    // A liquidation never uses an invalid price.
    let oracle_price = prices.price(index)?;
    accrue_funding(market, now_ts)?;
    update_twaps(market, now_ts, Some(oracle_price))?;
    let slot = liquidatee
        .positions
        .iter()
        .position(|p| p.base != 0 && p.market_index == index)
        .ok_or_else(|| error!(VammError::NoPosition))?;
    settle_position_funding(market, liquidatee, slot)?;

    // Valued against the pool as it stands after settling the funding.
    let margin_before = prices.with_pools(market).margin(liquidatee)?;
    require!(margin_before.health()? >= HealthState::Liquidatable, VammError::NotLiquidatable);
    if riskiest_first {
        require!(prices.riskiest_market(liquidatee)? == Some(index), VammError::NotRiskiestMarket);
    }
    let base_before = liquidatee.positions[slot].base;
    let size = notional(base_before, oracle_price, true)?;
    let maintenance_ratio =
        progressive_ratio(market.risk.maintenance_ratio, market.risk.maintenance_imf_factor, size)?;
    let wanted = base_to_liquidate(&LiquidationInput {
        margin: margin_before,
        base: base_before,
        oracle_price,
        maintenance_ratio,
        buffer_ratio: market.liquidation.buffer_ratio,
        fee_bps: market.liquidation.fee_bps,
        max_fraction_bps,
    })?;
    Ok(Step { slot, base_before, margin_before, oracle_price, wanted })
}

/// The liquidation fee on `quote` (quote native), charged after the close
/// was booked and paid only from what the account is still worth: at most
/// its collateral and its equity at oracle prices, so a fee never adds to
/// a bankrupt account's debt and the insurance fund never pays a
/// liquidator (a liquidator slicing a bankrupt position into small steps
/// earns nothing from it). The liquidator's share goes to its account,
/// the rest to the insurance fund. Returns (fee, reward, insurance share).
pub(crate) fn charge_liquidation_fee(
    market: &mut Market,
    liquidatee: &mut TraderAccount,
    slot: usize,
    liquidator: &mut TraderAccount,
    quote: u64,
    prices: &PriceBook,
) -> Result<(u64, u64, u64)> {
    let equity = prices.with_pools(market).margin(liquidatee)?.equity()?.max(0);
    let affordable = (liquidatee.collateral as i128).min(equity) as u64;
    let fee = fee_for(quote, market.liquidation.fee_bps)?.min(affordable);
    let reward = mul_div_u64(fee, market.liquidation.liquidator_share_bps as u64, BPS_DENOMINATOR, false)?;
    let insurance_share = fee.safe_sub(reward)?;
    liquidatee.collateral = liquidatee.collateral.safe_sub(fee)?;
    liquidatee.positions[slot].fees_paid = liquidatee.positions[slot].fees_paid.safe_add(fee)?;
    liquidator.collateral = liquidator.collateral.safe_add(reward)?;
    market.pools.insurance_pending = market.pools.insurance_pending.safe_add(insurance_share)?;
    Ok((fee, reward, insurance_share))
}

/// Counts the step and refuses it unless the liquidatee's maintenance
/// surplus strictly improved. Returns the surplus before and after.
pub(crate) fn finish_step(
    market: &mut Market,
    liquidatee: &mut TraderAccount,
    step: &Step,
    prices: &PriceBook,
) -> Result<(i64, i64)> {
    let base_after = liquidatee.positions[step.slot].base;
    liquidatee.positions[step.slot].funding_index = market.funding_index(base_after);
    liquidatee.liquidation_count = liquidatee.liquidation_count.safe_add(1)?;
    market.stats.liquidation_count = market.stats.liquidation_count.safe_add(1)?;
    let after = prices.with_pools(market).margin(liquidatee)?;
    let surplus_before = step.margin_before.maintenance_surplus()?;
    let surplus_after = after.maintenance_surplus()?;
    require!(surplus_after > surplus_before, VammError::LiquidationDidNotImprove);
    let clamp = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    Ok((clamp(surplus_before), clamp(surplus_after)))
}

/// Liquidates up to `max_base` (or the computed step) of `liquidatee`'s
/// position in `market` by closing it into the curve. `prices` must value
/// every market of the liquidatee. Refuses healthy accounts, invalid
/// oracles, closes that would take the mark outside the mark-oracle band
/// and steps that would not strictly improve the maintenance surplus.
pub fn liquidate_into_curve(
    market: &mut Market,
    liquidatee: &mut TraderAccount,
    liquidator: &mut TraderAccount,
    prices: &PriceBook,
    now_ts: i64,
    max_base: Option<u64>,
    riskiest_first: bool,
) -> Result<LiquidationOutcome> {
    let max_fraction = market.liquidation.max_fraction_bps;
    let step = begin_step(market, liquidatee, prices, now_ts, riskiest_first, max_fraction)?;
    let (slot, base_before, oracle_price) = (step.slot, step.base_before, step.oracle_price);
    let direction = if base_before > 0 { Direction::Short } else { Direction::Long };
    let within_band = base_within_band(market, direction, oracle_price)?;
    let base = step.wanted.min(max_base.unwrap_or(u64::MAX)).min(within_band);
    require!(within_band > 0, VammError::MarkOracleDivergence);
    require!(base > 0, VammError::ZeroAmount);

    // Closing the whole position is accepted at any size.
    let curve = market.amm.curve();
    let fill = if base == base_before.unsigned_abs() {
        curve.swap_any_size(direction, TradeSize::Base(base))?
    } else {
        curve.swap(direction, TradeSize::Base(base))?
    };
    let realised = apply_swap(market, liquidatee, slot, &fill)?;
    observe_repeg_gap(market, now_ts, market.amm.last_mark_price, oracle_price)?;
    book_realised_pnl(market, liquidatee, slot, realised, side_of(base_before))?;
    pay_pending_profit(market, liquidatee, slot)?;
    let (fee, liquidator_reward, insurance_share) =
        charge_liquidation_fee(market, liquidatee, slot, liquidator, fill.quote, prices)?;
    market.stats.volume = market.stats.volume.safe_add(fill.quote)?;
    let (surplus_before, surplus_after) = finish_step(market, liquidatee, &step, prices)?;
    let liquidator_base_after =
        liquidator.open_positions().find(|p| p.market_index == market.market_index).map_or(0, |p| p.base);
    Ok(LiquidationOutcome {
        takeover: false,
        base_closed: fill.base,
        quote: fill.quote,
        realised_pnl: realised,
        fee,
        liquidator_reward,
        insurance_share,
        base_after: liquidatee.positions[slot].base,
        liquidator_base_after,
        surplus_before,
        surplus_after,
        oracle_price,
        mark_price_after: market.amm.last_mark_price,
    })
}

/// No per-step fraction: a takeover at the oracle price closes just what
/// restores the buffer.
pub(crate) const TAKEOVER_MAX_FRACTION_BPS: u16 = BPS_DENOMINATOR as u16;

/// Most base a liquidation in `direction` may trade before the mark leaves
/// the mark-oracle band (or the curve's range), `BASE_PRECISION`.
fn base_within_band(market: &Market, direction: Direction, oracle_price: u64) -> Result<u64> {
    let curve: Curve = market.amm.curve();
    let band = mul_div_u64(oracle_price, market.risk.mark_oracle_band_bps as u64, BPS_DENOMINATOR, false)?;
    let room = match direction {
        Direction::Short => {
            let floor = oracle_price.saturating_sub(band).max(curve.min_price).max(1);
            curve.base_reserve_at_price(floor)?.saturating_sub(curve.base_reserve)
        }
        Direction::Long => {
            let ceiling = oracle_price.safe_add(band)?.min(curve.max_price);
            curve.base_reserve.saturating_sub(curve.base_reserve_at_price(ceiling)?.safe_add(1)?)
        }
    };
    Ok(room.min(u64::MAX as u128) as u64)
}

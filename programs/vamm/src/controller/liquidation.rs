//! One liquidation step: close part of an under-margined account's
//! position against the vAMM, charge the liquidation fee, and pay the
//! liquidator and the insurance fund.

use crate::constants::BPS_DENOMINATOR;
use crate::controller::funding::{accrue_funding, update_twaps};
use crate::controller::price_book::PriceBook;
use crate::controller::settlement::{
    book_realised_pnl, pay_pending_profit, settle_position_funding, side_of,
};
use crate::controller::trade::apply_swap;
use crate::error::VammError;
use crate::math::amm::{Curve, Direction, TradeSize};
use crate::math::fees::fee_for;
use crate::math::liquidation::{base_to_liquidate, LiquidationInput};
use crate::math::margin::{progressive_ratio, HealthState};
use crate::math::position::notional;
use crate::math::safe::{mul_div_u64, SafeMath};
use crate::state::{Market, MarketStatus, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationOutcome {
    /// `BASE_PRECISION`.
    pub base_closed: u64,
    /// Quote the close traded, quote native.
    pub quote: u64,
    pub realised_pnl: i64,
    /// Liquidation fee charged, quote native, and its split.
    pub fee: u64,
    pub liquidator_reward: u64,
    pub insurance_share: u64,
    pub base_after: i64,
    /// Equity minus maintenance before and after, quote native.
    pub surplus_before: i64,
    pub surplus_after: i64,
    pub oracle_price: u64,
    pub mark_price_after: u64,
}

/// Liquidates up to `max_base` (or the computed step) of `liquidatee`'s
/// position in `market`. `prices` must value every market of the
/// liquidatee. Refuses healthy accounts, invalid oracles and steps that
/// would not strictly improve the account's maintenance surplus.
pub fn liquidate(
    market: &mut Market,
    liquidatee: &mut TraderAccount,
    liquidator: &mut TraderAccount,
    prices: &PriceBook,
    now_ts: i64,
    max_base: Option<u64>,
    riskiest_first: bool,
) -> Result<LiquidationOutcome> {
    require!(market.status()? != MarketStatus::Settled, VammError::MarketNotActive);
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

    let before = prices.margin(liquidatee)?;
    require!(before.health()? >= HealthState::Liquidatable, VammError::NotLiquidatable);
    if riskiest_first {
        require!(prices.riskiest_market(liquidatee)? == Some(index), VammError::NotRiskiestMarket);
    }

    let base_before = liquidatee.positions[slot].base;
    let size = notional(base_before, oracle_price, true)?;
    let maintenance_ratio = progressive_ratio(market.risk.maintenance_ratio, market.risk.imf_factor, size)?;
    let wanted = base_to_liquidate(&LiquidationInput {
        margin: before,
        base: base_before,
        oracle_price,
        maintenance_ratio,
        buffer_ratio: market.liquidation.buffer_ratio,
        fee_bps: market.liquidation.fee_bps,
        max_fraction_bps: market.liquidation.max_fraction_bps,
    })?;
    let direction = if base_before > 0 { Direction::Short } else { Direction::Long };
    let within_band = base_within_band(market, direction, oracle_price)?;
    let base = wanted.min(max_base.unwrap_or(u64::MAX)).min(within_band);
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
    book_realised_pnl(market, liquidatee, slot, realised, side_of(base_before))?;
    pay_pending_profit(market, liquidatee, slot)?;

    // The fee comes from what collateral is left; the liquidator's share
    // moves to the liquidator's account, the rest to the insurance fund.
    let fee = fee_for(fill.quote, market.liquidation.fee_bps)?.min(liquidatee.collateral);
    let liquidator_reward =
        mul_div_u64(fee, market.liquidation.liquidator_share_bps as u64, BPS_DENOMINATOR, false)?;
    let insurance_share = fee.safe_sub(liquidator_reward)?;
    liquidatee.collateral = liquidatee.collateral.safe_sub(fee)?;
    liquidatee.positions[slot].fees_paid = liquidatee.positions[slot].fees_paid.safe_add(fee)?;
    liquidator.collateral = liquidator.collateral.safe_add(liquidator_reward)?;
    market.pools.insurance_pending = market.pools.insurance_pending.safe_add(insurance_share)?;

    let base_after = liquidatee.positions[slot].base;
    liquidatee.positions[slot].funding_index = market.funding_index(base_after);
    liquidatee.liquidation_count = liquidatee.liquidation_count.safe_add(1)?;
    market.stats.liquidation_count = market.stats.liquidation_count.safe_add(1)?;
    market.stats.volume = market.stats.volume.safe_add(fill.quote)?;

    let after = prices.with_pools(market).margin(liquidatee)?;
    let surplus_before = before.maintenance_surplus()?;
    let surplus_after = after.maintenance_surplus()?;
    require!(surplus_after > surplus_before, VammError::LiquidationDidNotImprove);
    Ok(LiquidationOutcome {
        base_closed: fill.base,
        quote: fill.quote,
        realised_pnl: realised,
        fee,
        liquidator_reward,
        insurance_share,
        base_after,
        surplus_before: surplus_before.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
        surplus_after: surplus_after.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
        oracle_price,
        mark_price_after: market.amm.last_mark_price,
    })
}

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

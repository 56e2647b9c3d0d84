//! Liquidation by takeover: part of an under-margined account's position
//! moves to the liquidator's trader account at the oracle price, without
//! touching the curve. The liquidatee closes at a fair price instead of
//! walking down a thin curve, and the mark stays where the market left it,
//! so liquidations cannot cascade. The liquidator is paid its share of the
//! liquidation fee in collateral on top: for an account that can pay the
//! fee this is worth the same as receiving the position at the oracle
//! price moved by that share in its favour, and an account that cannot
//! pay never turns the reward into bad debt for the insurance fund.
//!
//! A takeover is refused (`CurvePaysMore`) while the mark sits more than
//! `TAKEOVER_MARK_TOLERANCE_BPS` on the far side of the oracle: there the
//! curve pays the liquidatee more than the oracle, so a liquidation into
//! the curve comes first.
//!
//! The liquidator takes on risk like a trader opening a position: when the
//! step adds to (or flips) its position, the market must be active, the
//! position within its cap and the liquidator's account at or above its
//! initial margin afterwards; when the step only nets against an opposite
//! position of the liquidator, its account may not end worse below
//! maintenance. Open interest moves with both positions; the AMM's net
//! position does not change, since no base changes hands with it.

use crate::constants::BPS_DENOMINATOR;
use crate::controller::liquidation::{
    begin_step, charge_liquidation_fee, finish_step, LiquidationOutcome, TAKEOVER_MAX_FRACTION_BPS,
};
use crate::controller::price_book::PriceBook;
use crate::controller::settlement::{
    book_realised_pnl, pay_pending_profit, settle_position_funding, side_of,
};
use crate::controller::trade::{apply_to_position, check_position_cap, MIN_TRADE_NOTIONAL};
use crate::error::VammError;
use crate::math::amm::Direction;
use crate::math::margin::check_trade_margin;
use crate::math::position::notional;
use crate::math::safe::{mul_div_u64, to_i64, SafeMath};
use crate::state::{Market, MarketStatus, TraderAccount};
use anchor_lang::prelude::*;

/// How far the mark may sit on the far side of the oracle (above it when a
/// long is closed, below it for a short) before a takeover is refused in
/// favour of the curve, bps of the oracle price.
pub const TAKEOVER_MARK_TOLERANCE_BPS: u64 = 10;

/// Liquidates up to `max_base` (or the computed step) of `liquidatee`'s
/// position in `market` by moving it to `liquidator` at the oracle price.
/// `prices` must value every market of both accounts.
pub fn take_over(
    market: &mut Market,
    liquidatee: &mut TraderAccount,
    liquidator: &mut TraderAccount,
    prices: &PriceBook,
    now_ts: i64,
    max_base: Option<u64>,
    riskiest_first: bool,
) -> Result<LiquidationOutcome> {
    let step = begin_step(market, liquidatee, prices, now_ts, riskiest_first, TAKEOVER_MAX_FRACTION_BPS)?;
    let (slot, base_before, oracle_price) = (step.slot, step.base_before, step.oracle_price);
    let long = base_before > 0;
    // While the mark lags on the far side of the oracle the curve pays the
    // liquidatee more than the oracle, and closing into it moves the mark
    // towards the oracle: a takeover would hand that difference to the
    // liquidator and, for an account near bankruptcy, make it bad debt.
    let mark = market.amm.curve().mark_price()?;
    let tolerance = mul_div_u64(oracle_price, TAKEOVER_MARK_TOLERANCE_BPS, BPS_DENOMINATOR, false)?;
    let curve_pays_more = if long {
        mark > oracle_price.safe_add(tolerance)?
    } else {
        mark.safe_add(tolerance)? < oracle_price
    };
    require!(!curve_pays_more, VammError::CurvePaysMore);

    let base = step.wanted.min(max_base.unwrap_or(u64::MAX));
    require!(base > 0, VammError::ZeroAmount);
    let whole = base == base_before.unsigned_abs();
    // The transfer price rounds in the liquidator's favour: a long is sold
    // to it for the notional rounded down, a short bought back rounded up.
    let quote = notional(to_i64(base as u128)?, oracle_price, !long)?;
    require!(whole || quote >= MIN_TRADE_NOTIONAL, VammError::TradeTooSmall);

    let index = market.market_index;
    let liquidator_slot = liquidator.position_slot(index)?;
    settle_position_funding(market, liquidator, liquidator_slot)?;
    let liquidator_before = prices.with_pools(market).margin(liquidator)?;
    let liquidator_base_before = liquidator.positions[liquidator_slot].base;

    // The liquidatee sells its long (or buys back its short), pays the fee
    // and must be better off, judged before the liquidator's side moves
    // the pool.
    let (liquidatee_side, liquidator_side) =
        if long { (Direction::Short, Direction::Long) } else { (Direction::Long, Direction::Short) };
    let realised = apply_to_position(market, liquidatee, slot, liquidatee_side, base, quote)?;
    book_realised_pnl(market, liquidatee, slot, realised, side_of(base_before))?;
    pay_pending_profit(market, liquidatee, slot)?;
    let (fee, liquidator_reward, insurance_share) =
        charge_liquidation_fee(market, liquidatee, slot, liquidator, quote, prices)?;
    let (surplus_before, surplus_after) = finish_step(market, liquidatee, &step, prices)?;

    // The liquidator takes the other side: first netting against an
    // opposite position of its own, then opening the rest.
    let opposite = liquidator_base_before != 0 && (liquidator_base_before > 0) != long;
    let nets = if opposite { base.min(liquidator_base_before.unsigned_abs()) } else { 0 };
    let net_quote = mul_div_u64(quote, nets, base, false)?;
    if nets > 0 {
        let realised =
            apply_to_position(market, liquidator, liquidator_slot, liquidator_side, nets, net_quote)?;
        book_realised_pnl(market, liquidator, liquidator_slot, realised, side_of(liquidator_base_before))?;
    }
    let opens = base.safe_sub(nets)?;
    if opens > 0 {
        apply_to_position(
            market,
            liquidator,
            liquidator_slot,
            liquidator_side,
            opens,
            quote.safe_sub(net_quote)?,
        )?;
    }
    pay_pending_profit(market, liquidator, liquidator_slot)?;
    let liquidator_base_after = liquidator.positions[liquidator_slot].base;
    liquidator.positions[liquidator_slot].funding_index = market.funding_index(liquidator_base_after);
    market.stats.takeover_count = market.stats.takeover_count.safe_add(1)?;

    let liquidator_after = prices.with_pools(market).margin(liquidator)?;
    let adds_risk = opens > 0;
    if adds_risk {
        require!(market.status()? == MarketStatus::Active, VammError::MarketReduceOnly);
        check_position_cap(market, liquidator_base_after, oracle_price)?;
    }
    check_trade_margin(&liquidator_before, &liquidator_after, adds_risk)?;
    Ok(LiquidationOutcome {
        takeover: true,
        base_closed: base,
        quote,
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

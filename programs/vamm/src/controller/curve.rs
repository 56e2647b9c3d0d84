//! Governance-level changes to a market's curve: re-centring it on the
//! oracle (`repeg`) and changing its depth (`UpdateDepth` through the
//! timelock). Both change what traders would receive for closing their net
//! position; the fee pool pays that cost into the PnL pool, and a change it
//! cannot pay is refused. A gain for the AMM stays in the PnL pool, which
//! backs traders' profits.

use crate::controller::funding::accrue_funding;
use crate::error::VammError;
use crate::math::amm::{depth_change_cost, net_position_closes_within_range, peg_within_budget, repeg_cost};
use crate::math::safe::{mul_div_u128, mul_div_u64, to_u64, SafeMath};
use crate::state::{Market, MarketStatus};
use anchor_lang::prelude::*;

/// What a curve change did, quote native and `PRICE_PRECISION`.
pub struct CurveChange {
    /// Paid by the fee pool into the PnL pool (negative: the AMM gained).
    pub cost: i64,
    pub mark_price: u64,
}

/// A settled market's pools are final (claims are paid pro rata from
/// them), so its curve no longer changes.
fn require_not_settled(market: &Market) -> Result<()> {
    require!(market.status()? != MarketStatus::Settled, VammError::MarketNotActive);
    Ok(())
}

/// Moves the fee pool's `cost` (if positive) into the PnL pool, refusing
/// when the fee pool cannot pay.
fn pay_from_fee_pool(market: &mut Market, cost: i64, error: VammError) -> Result<()> {
    if cost > 0 {
        let cost = cost as u64;
        if cost > market.pools.fee_pool {
            return Err(error.into());
        }
        market.pools.fee_pool = market.pools.fee_pool.safe_sub(cost)?;
        market.pools.pnl_pool = market.pools.pnl_pool.safe_add(cost)?;
    }
    Ok(())
}

/// Re-centres the curve on `oracle_price`: the peg moves so the mark
/// equals it (or, with a `budget` in quote native, as far towards it as
/// the budget pays for), and the price range moves with it, keeping its
/// proportions. Funding accrues first on the fee pool as it was.
pub fn repeg_to(
    market: &mut Market,
    oracle_price: u64,
    budget: Option<u64>,
    now_ts: i64,
) -> Result<CurveChange> {
    require_not_settled(market)?;
    accrue_funding(market, now_ts)?;
    let curve = market.amm.curve();
    // mark = Y * peg / X, so the peg that marks at the oracle is oracle * X / Y.
    let new_peg =
        to_u64(mul_div_u128(oracle_price as u128, curve.base_reserve, curve.quote_reserve, false)?)?;
    require!(new_peg > 0, VammError::InvalidMarketParameter);
    let traders_net_base =
        market.amm.net_base()?.checked_neg().ok_or_else(|| error!(VammError::MathOverflow))?;
    let new_peg = match budget {
        Some(budget) => peg_within_budget(&curve, traders_net_base, new_peg, budget)?,
        None => new_peg,
    };
    let cost = repeg_cost(&curve, traders_net_base, new_peg)?;
    pay_from_fee_pool(market, cost, VammError::RepegCostExceedsFeePool)?;
    let old_peg = curve.peg;
    let scale = |price: u64, round_up| mul_div_u64(price, new_peg, old_peg, round_up);
    market.amm.min_price = scale(curve.min_price, true)?.max(1);
    market.amm.max_price = scale(curve.max_price, false)?;
    market.amm.peg = new_peg;
    let mark = market.amm.curve().mark_price()?;
    require!(market.amm.min_price <= mark && mark <= market.amm.max_price, VammError::InvalidMarketParameter);
    market.amm.last_mark_price = mark;
    market.repeg_rule.gap_since_ts = 0;
    Ok(CurveChange { cost, mark_price: mark })
}

/// Changes the curve's depth to `new_sqrt_k` (`BASE_PRECISION`), keeping
/// the mark and the price range, for a cost of at most `max_cost` (quote
/// native). A deeper curve must still absorb the traders' net position
/// within the range; a shallower one each side's whole open interest, so
/// no position is stranded however the others close. Funding accrues first.
pub fn change_depth(
    market: &mut Market,
    new_sqrt_k: u128,
    max_cost: u64,
    now_ts: i64,
) -> Result<CurveChange> {
    require_not_settled(market)?;
    accrue_funding(market, now_ts)?;
    let before = market.amm.curve();
    let after = before.with_depth(market.amm.sqrt_k.get(), new_sqrt_k)?;
    let traders_net_base =
        market.amm.net_base()?.checked_neg().ok_or_else(|| error!(VammError::MathOverflow))?;
    let closes = if new_sqrt_k >= market.amm.sqrt_k.get() {
        net_position_closes_within_range(&after, traders_net_base)?
    } else {
        net_position_closes_within_range(&after, market.amm.base_long)?
            && net_position_closes_within_range(&after, market.amm.base_short)?
    };
    require!(closes, VammError::AmmRangeExceeded);
    let mark = after.mark_price()?;
    require!(after.min_price <= mark && mark <= after.max_price, VammError::AmmRangeExceeded);
    let cost = depth_change_cost(&before, &after, traders_net_base)?;
    require!(cost <= max_cost as i64, VammError::DepthCostExceedsFeePool);
    pay_from_fee_pool(market, cost, VammError::DepthCostExceedsFeePool)?;
    market.amm.base_reserve.set(after.base_reserve);
    market.amm.quote_reserve.set(after.quote_reserve);
    market.amm.sqrt_k.set(new_sqrt_k);
    market.amm.last_mark_price = mark;
    Ok(CurveChange { cost, mark_price: mark })
}

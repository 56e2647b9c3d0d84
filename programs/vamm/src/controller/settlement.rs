//! Moving realised PnL, funding and fees between a trader account and its
//! market's pools. Every transfer here is between ledger entries inside
//! the one vault, so the vault balance never changes and conservation
//! holds.

use crate::math::fees::{split_fee, FeeSplit};
use crate::math::funding::funding_payment;
use crate::math::safe::SafeMath;
use crate::state::{Market, TraderAccount};
use anchor_lang::prelude::*;

/// 1 for a long, -1 for a short, 0 for flat.
pub fn side_of(base: i64) -> i8 {
    base.signum() as i8
}

/// Books realised PnL of the position in `slot`: a loss is paid from
/// collateral into the PnL pool (what collateral cannot cover becomes the
/// slot's unpaid loss, recorded on side `loss_side`, 1 long or -1 short,
/// in the slot and in the market's per-side totals); a profit becomes a
/// claim on the PnL pool.
pub fn book_realised_pnl(
    market: &mut Market,
    trader: &mut TraderAccount,
    slot: usize,
    realised: i64,
    loss_side: i8,
) -> Result<()> {
    if realised > 0 {
        let profit = realised as u64;
        trader.positions[slot].pending_profit = trader.positions[slot].pending_profit.safe_add(profit)?;
        market.pools.unpaid_profit = market.pools.unpaid_profit.safe_add(profit)?;
    } else if realised < 0 {
        let loss = realised.unsigned_abs();
        let paid = loss.min(trader.collateral);
        trader.collateral = trader.collateral.safe_sub(paid)?;
        market.pools.pnl_pool = market.pools.pnl_pool.safe_add(paid)?;
        let shortfall = loss.safe_sub(paid)?;
        if shortfall > 0 {
            let position = &mut trader.positions[slot];
            position.unpaid_loss = position.unpaid_loss.safe_add(shortfall)?;
            if loss_side < 0 {
                position.unpaid_loss_short = position.unpaid_loss_short.safe_add(shortfall)?;
                market.pools.unpaid_loss_short = market.pools.unpaid_loss_short.safe_add(shortfall)?;
            } else {
                market.pools.unpaid_loss_long = market.pools.unpaid_loss_long.safe_add(shortfall)?;
            }
        }
    }
    Ok(())
}

/// Settles the funding (and socialised losses) the position in `slot` has
/// accrued since its snapshot, booked like realised PnL, and moves the
/// snapshot to the current index. Returns what the position paid (negative
/// when it received), quote native.
pub fn settle_position_funding(market: &mut Market, trader: &mut TraderAccount, slot: usize) -> Result<i64> {
    let base = trader.positions[slot].base;
    let index = market.funding_index(base);
    let delta = index.safe_sub(trader.positions[slot].funding_index)?;
    trader.positions[slot].funding_index = index;
    let payment = funding_payment(base, delta)?;
    if payment != 0 {
        let position = &mut trader.positions[slot];
        position.funding_paid = position.funding_paid.safe_add(payment)?;
        book_realised_pnl(market, trader, slot, 0i64.safe_sub(payment)?, side_of(base))?;
    }
    Ok(payment)
}

/// Funding the position in `slot` has accrued but not settled, quote
/// native (positive owed by the trader), from the market's indices.
pub fn unsettled_funding(
    cumulative_long: i64,
    cumulative_short: i64,
    base: i64,
    snapshot: i64,
) -> Result<i64> {
    let index = if base >= 0 { cumulative_long } else { cumulative_short };
    funding_payment(base, index.safe_sub(snapshot)?)
}

/// Pays as much of the slot's profit claim as the PnL pool holds. In a
/// settled market claims wait for the final pro-rata payout instead
/// (`controller::claims`), so this pays nothing there.
/// Returns the amount paid, quote native.
pub fn pay_pending_profit(market: &mut Market, trader: &mut TraderAccount, slot: usize) -> Result<u64> {
    if market.status == crate::state::MarketStatus::Settled as u8 {
        return Ok(0);
    }
    let position = &mut trader.positions[slot];
    let paid = position.pending_profit.min(market.pools.pnl_pool);
    if paid == 0 {
        return Ok(0);
    }
    position.pending_profit = position.pending_profit.safe_sub(paid)?;
    market.pools.pnl_pool = market.pools.pnl_pool.safe_sub(paid)?;
    market.pools.unpaid_profit = market.pools.unpaid_profit.safe_sub(paid)?;
    trader.collateral = trader.collateral.safe_add(paid)?;
    Ok(paid)
}

/// Takes `fee` from collateral and splits it into the market's pools.
pub fn charge_fee(
    market: &mut Market,
    trader: &mut TraderAccount,
    slot: usize,
    fee: u64,
) -> Result<FeeSplit> {
    trader.collateral = trader.collateral.safe_sub(fee)?;
    trader.positions[slot].fees_paid = trader.positions[slot].fees_paid.safe_add(fee)?;
    let split = split_fee(fee, &market.fees.shares())?;
    let pools = &mut market.pools;
    pools.insurance_pending = pools.insurance_pending.safe_add(split.insurance)?;
    pools.pnl_pool = pools.pnl_pool.safe_add(split.pnl_pool)?;
    pools.fee_pool = pools.fee_pool.safe_add(split.fee_pool)?;
    pools.treasury = pools.treasury.safe_add(split.treasury)?;
    market.stats.fees = market.stats.fees.safe_add(fee)?;
    Ok(split)
}

//! Moving realised PnL and fees between a trader account and its market's
//! pools. Every transfer here is between ledger entries inside the one
//! vault, so the vault balance never changes and conservation holds.

use crate::math::fees::{split_fee, FeeSplit};
use crate::math::safe::SafeMath;
use crate::state::{Market, TraderAccount};
use anchor_lang::prelude::*;

/// Books realised PnL of the position in `slot`: a loss is paid from
/// collateral into the PnL pool (what collateral cannot cover becomes an
/// unpaid loss); a profit becomes a claim on the PnL pool.
pub fn book_realised_pnl(
    market: &mut Market,
    trader: &mut TraderAccount,
    slot: usize,
    realised: i64,
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
        trader.unpaid_loss = trader.unpaid_loss.safe_add(loss.safe_sub(paid)?)?;
    }
    Ok(())
}

/// Pays as much of the slot's profit claim as the PnL pool holds.
/// Returns the amount paid, quote native.
pub fn pay_pending_profit(market: &mut Market, trader: &mut TraderAccount, slot: usize) -> Result<u64> {
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

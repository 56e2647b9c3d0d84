//! Resolving an unpaid loss once an account holds no positions: its own
//! collateral first, then its profit claim in the same market, then the
//! insurance fund, and what is left is socialised over the open positions
//! on the other side of the market through their funding index.

use crate::controller::settlement::side_of;
use crate::error::VammError;
use crate::math::funding::socialised_loss_delta;
use crate::math::safe::SafeMath;
use crate::state::{InsuranceFund, Market, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BankruptcyOutcome {
    /// The unpaid loss resolved, quote native; the parts below sum to it.
    pub deficit: u64,
    pub from_collateral: u64,
    pub from_claims: u64,
    pub from_insurance: u64,
    pub socialised: u64,
    pub unrecovered: u64,
    /// Side that bears the socialised part: 1 longs, -1 shorts, 0 none.
    pub socialised_side: i8,
    /// How far that side's funding index moved, `FUNDING_INDEX_PRECISION`.
    pub index_delta: i64,
}

/// Splits the unpaid loss of `trader`'s position in `market`. The caller
/// moves `from_insurance` tokens from the insurance vault to the vault.
pub fn resolve(
    market: &mut Market,
    trader: &mut TraderAccount,
    insurance: &mut InsuranceFund,
) -> Result<BankruptcyOutcome> {
    require!(!trader.has_base(), VammError::BankruptcyNeedsLiquidation);
    let index = market.market_index;
    let slot = trader
        .positions
        .iter()
        .position(|p| p.market_index == index && p.unpaid_loss > 0)
        .ok_or_else(|| error!(VammError::NoBadDebt))?;
    // A claim in another market must be paid into collateral first (where
    // it covers the loss); otherwise the fund would pay a debt the account
    // can still pay itself.
    require!(
        trader.positions.iter().all(|p| p.pending_profit == 0 || p.market_index == index),
        VammError::ClaimsOutstanding
    );
    let deficit = trader.positions[slot].unpaid_loss;
    let mut left = deficit;

    let from_collateral = left.min(trader.collateral);
    trader.collateral = trader.collateral.safe_sub(from_collateral)?;
    market.pools.pnl_pool = market.pools.pnl_pool.safe_add(from_collateral)?;
    left = left.safe_sub(from_collateral)?;

    // A claim the pool owes this account cancels against what it owes.
    let from_claims = left.min(trader.positions[slot].pending_profit);
    trader.positions[slot].pending_profit = trader.positions[slot].pending_profit.safe_sub(from_claims)?;
    market.pools.unpaid_profit = market.pools.unpaid_profit.safe_sub(from_claims)?;
    left = left.safe_sub(from_claims)?;

    let from_insurance = left.min(insurance.balance);
    insurance.balance = insurance.balance.safe_sub(from_insurance)?;
    insurance.bad_debt_paid = insurance.bad_debt_paid.safe_add(from_insurance)?;
    market.pools.pnl_pool = market.pools.pnl_pool.safe_add(from_insurance)?;
    market.stats.bad_debt_insured = market.stats.bad_debt_insured.safe_add(from_insurance)?;
    left = left.safe_sub(from_insurance)?;

    // The other side of the bankrupt position bears the rest.
    let bearing_side = -trader.positions[slot].loss_side;
    let (long_base, short_base) = market.open_interest_base();
    let side_base = match bearing_side {
        1 => long_base,
        -1 => short_base,
        _ => 0,
    };
    let mut outcome =
        BankruptcyOutcome { deficit, from_collateral, from_claims, from_insurance, ..Default::default() };
    if left > 0 && side_base > 0 {
        let delta = socialised_loss_delta(left, side_base)?;
        let funding = &mut market.funding;
        if bearing_side == 1 {
            funding.cumulative_long = funding.cumulative_long.safe_add(delta)?;
        } else {
            funding.cumulative_short = funding.cumulative_short.safe_add(delta)?;
        }
        market.stats.bad_debt_socialised = market.stats.bad_debt_socialised.safe_add(left)?;
        outcome.socialised = left;
        outcome.socialised_side = side_of(bearing_side as i64);
        outcome.index_delta = delta;
    } else if left > 0 {
        market.stats.bad_debt_unrecovered = market.stats.bad_debt_unrecovered.safe_add(left)?;
        outcome.unrecovered = left;
    }
    trader.positions[slot].unpaid_loss = 0;
    trader.positions[slot].loss_side = 0;
    Ok(outcome)
}

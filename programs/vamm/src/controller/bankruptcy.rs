//! Resolving unpaid losses. Order: the account's collateral, its profit
//! claim in the same market, the insurance fund, then each side's part is
//! socialised over the open positions of the other side through their
//! funding index, at most `MAX_SOCIALISED_LOSS_BPS` of the market's price
//! per base unit; the rest is recorded as unrecovered.

use crate::constants::{BASE_PRECISION, BPS_DENOMINATOR, MAX_SOCIALISED_LOSS_BPS};
use crate::error::VammError;
use crate::math::funding::socialised_loss_delta;
use crate::math::safe::{mul_div_u128, mul_div_u64, to_u64, SafeMath};
use crate::state::{InsuranceFund, Market, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BankruptcyOutcome {
    /// The unpaid loss resolved, quote native; the parts below sum to it.
    pub deficit: u64,
    pub from_collateral: u64,
    pub from_claims: u64,
    pub from_insurance: u64,
    pub socialised_onto_longs: u64,
    pub socialised_onto_shorts: u64,
    pub unrecovered: u64,
    /// `FUNDING_INDEX_PRECISION`.
    pub long_index_delta: i64,
    pub short_index_delta: i64,
}

/// Splits the unpaid loss of `trader`'s position in `market`. The caller
/// moves `from_insurance` tokens from the insurance vault to the vault, and
/// has paid the account's claims in other markets into its collateral
/// first (as far as those pools could). The account must hold no base
/// anywhere: while it does, its positions may still pay its loss (the loss
/// counts against its margin, so keepers liquidate it when it must).
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
    let position = trader.positions[slot];
    let deficit = position.unpaid_loss;
    let mut left = deficit;

    let from_collateral = left.min(trader.collateral);
    trader.collateral = trader.collateral.safe_sub(from_collateral)?;
    market.pools.pnl_pool = market.pools.pnl_pool.safe_add(from_collateral)?;
    left = left.safe_sub(from_collateral)?;

    // A claim the pool owes this account cancels against what it owes.
    let from_claims = left.min(position.pending_profit);
    trader.positions[slot].pending_profit = position.pending_profit.safe_sub(from_claims)?;
    market.pools.unpaid_profit = market.pools.unpaid_profit.safe_sub(from_claims)?;
    left = left.safe_sub(from_claims)?;

    let from_insurance = left.min(insurance.balance);
    insurance.balance = insurance.balance.safe_sub(from_insurance)?;
    insurance.bad_debt_paid = insurance.bad_debt_paid.safe_add(from_insurance)?;
    market.pools.pnl_pool = market.pools.pnl_pool.safe_add(from_insurance)?;
    market.stats.bad_debt_insured = market.stats.bad_debt_insured.safe_add(from_insurance)?;
    left = left.safe_sub(from_insurance)?;

    let mut outcome =
        BankruptcyOutcome { deficit, from_collateral, from_claims, from_insurance, ..Default::default() };
    // What is left is split between the sides in proportion to where the
    // loss was realised; the short part is borne by the longs.
    let left_of_shorts = mul_div_u64(left, position.unpaid_loss_short, deficit, false)?;
    let left_of_longs = left.safe_sub(left_of_shorts)?;
    let (onto_longs, long_delta) = socialise(market, true, left_of_shorts)?;
    let (onto_shorts, short_delta) = socialise(market, false, left_of_longs)?;
    outcome.socialised_onto_longs = onto_longs;
    outcome.socialised_onto_shorts = onto_shorts;
    outcome.long_index_delta = long_delta;
    outcome.short_index_delta = short_delta;
    outcome.unrecovered = left.safe_sub(onto_longs)?.safe_sub(onto_shorts)?;
    market.stats.bad_debt_socialised =
        market.stats.bad_debt_socialised.safe_add(onto_longs.safe_add(onto_shorts)?)?;
    market.stats.bad_debt_unrecovered = market.stats.bad_debt_unrecovered.safe_add(outcome.unrecovered)?;

    market.pools.unpaid_loss_short = market.pools.unpaid_loss_short.safe_sub(position.unpaid_loss_short)?;
    market.pools.unpaid_loss_long = market.pools.unpaid_loss_long.safe_sub(position.unpaid_loss_long())?;
    trader.positions[slot].unpaid_loss = 0;
    trader.positions[slot].unpaid_loss_short = 0;
    Ok(outcome)
}

/// Charges up to `loss` to the open positions of one side (`longs` or
/// shorts) through its funding index, capped per base unit. Returns what
/// was charged and the index move.
fn socialise(market: &mut Market, longs: bool, loss: u64) -> Result<(u64, i64)> {
    let (long_base, short_base) = market.open_interest_base();
    let side_base = if longs { long_base } else { short_base };
    if loss == 0 || side_base == 0 {
        return Ok((0, 0));
    }
    let cap = max_socialised(market, side_base)?;
    let charged = loss.min(cap);
    if charged == 0 {
        return Ok((0, 0));
    }
    let delta = socialised_loss_delta(charged, side_base)?;
    let funding = &mut market.funding;
    if longs {
        funding.cumulative_long = funding.cumulative_long.safe_add(delta)?;
    } else {
        funding.cumulative_short = funding.cumulative_short.safe_add(delta)?;
    }
    Ok((charged, delta))
}

/// Most one socialisation may charge `side_base`, quote native:
/// `MAX_SOCIALISED_LOSS_BPS` of the market's price per whole base unit, so
/// a dust position is never charged many times its value.
fn max_socialised(market: &Market, side_base: u64) -> Result<u64> {
    let price = if market.settlement_price > 0 { market.settlement_price } else { market.oracle.last_price };
    let per_base = mul_div_u64(price, MAX_SOCIALISED_LOSS_BPS, BPS_DENOMINATOR, false)?;
    to_u64(mul_div_u128(per_base as u128, side_base as u128, BASE_PRECISION as u128, false)?)
}

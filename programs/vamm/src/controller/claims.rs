//! Paying profit claims from a market's PnL pool.
//!
//! In a market that trades (active, reduce-only or paused), a claim is paid
//! as far as the pool holds money, like every other payment from it. In a
//! settled market claims wait until the market is final (no position left
//! and no unresolved loss, so no money will ever enter its pool again);
//! then every claim is paid the same fraction, `pool / claims` as they
//! stood at that moment (capped at 1), whatever the order in which
//! positions were settled or claims are paid, and the unpaid part of each
//! claim is written off.

use crate::controller::settlement::pay_pending_profit;
use crate::error::VammError;
use crate::events::FinalSurplusReleased;
use crate::math::safe::{mul_div_u64, SafeMath};
use crate::state::{Market, MarketStatus, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClaimPayout {
    /// Quote native paid into collateral.
    pub paid: u64,
    /// Quote native written off (settled markets only).
    pub written_off: u64,
    /// Claim left, quote native.
    pub remaining: u64,
}

/// Pays `trader`'s claim in `market` as far as the rules above allow.
pub fn settle_claim(market: &mut Market, trader: &mut TraderAccount) -> Result<ClaimPayout> {
    let index = market.market_index;
    let slot = trader
        .positions
        .iter()
        .position(|p| p.is_open() && p.market_index == index && p.pending_profit > 0)
        .ok_or_else(|| error!(VammError::NoClaim))?;
    if market.status()? != MarketStatus::Settled {
        let paid = pay_pending_profit(market, trader, slot)?;
        require!(paid > 0, VammError::PnlPoolEmpty);
        return Ok(ClaimPayout { paid, written_off: 0, remaining: trader.positions[slot].pending_profit });
    }
    require!(is_final(market), VammError::SettlementNotFinal);
    if market.final_payout_claims == 0 {
        market.final_payout_pool = market.pools.pnl_pool;
        market.final_payout_claims = market.pools.unpaid_profit;
    }
    let claim = trader.positions[slot].pending_profit;
    let paid =
        final_share(claim, market.final_payout_pool, market.final_payout_claims)?.min(market.pools.pnl_pool);
    let written_off = claim.safe_sub(paid)?;
    trader.positions[slot].pending_profit = 0;
    trader.collateral = trader.collateral.safe_add(paid)?;
    let pools = &mut market.pools;
    pools.pnl_pool = pools.pnl_pool.safe_sub(paid)?;
    pools.unpaid_profit = pools.unpaid_profit.safe_sub(claim)?;
    market.stats.claims_written_off = market.stats.claims_written_off.safe_add(written_off)?;
    Ok(ClaimPayout { paid, written_off, remaining: 0 })
}

/// Once a settled market is final and every claim on it is paid, what its
/// PnL pool still holds (a surplus, or rounding dust of the pro-rata
/// payout) belongs to no one: it moves to the treasury so nothing stays
/// stuck. Returns the amount moved, quote native.
pub fn release_final_surplus(market: &mut Market) -> Result<u64> {
    if !is_final(market) || market.pools.unpaid_profit != 0 || market.pools.pnl_pool == 0 {
        return Ok(0);
    }
    let surplus = market.pools.pnl_pool;
    market.pools.pnl_pool = 0;
    market.pools.treasury = market.pools.treasury.safe_add(surplus)?;
    emit_event!(FinalSurplusReleased { market_index: market.market_index, amount: surplus });
    Ok(surplus)
}

/// A settled market is final once no position and no unresolved loss is
/// left in it.
pub fn is_final(market: &Market) -> bool {
    market.status == MarketStatus::Settled as u8
        && market.amm.base_long == 0
        && market.amm.base_short == 0
        && market.pools.unpaid_loss_long == 0
        && market.pools.unpaid_loss_short == 0
}

/// A claim's pro-rata share of the final pool, rounded down (in the
/// pool's favour), never more than the claim.
pub fn final_share(claim: u64, pool: u64, claims: u64) -> Result<u64> {
    if pool >= claims {
        return Ok(claim);
    }
    mul_div_u64(claim, pool, claims, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_covered_claim_is_paid_whole() {
        assert_eq!(final_share(500, 2_000, 1_000).unwrap(), 500);
    }

    proptest! {
        /// Paying claims one by one at the frozen ratio never pays out more
        /// than the pool, in any order.
        #[test]
        fn pro_rata_never_exceeds_the_pool(claims in proptest::collection::vec(1u64..1 << 40, 1..20), pool in 0u64..1 << 44) {
            let total: u64 = claims.iter().sum();
            let paid: u64 = claims.iter().map(|c| final_share(*c, pool, total).unwrap()).sum();
            if pool >= total {
                prop_assert_eq!(paid, total);
            } else {
                // At most one unit of rounding dust per claim stays behind.
                prop_assert!(paid <= pool && pool - paid <= claims.len() as u64);
            }
        }
    }
}

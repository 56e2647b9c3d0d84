//! Cross-margin valuation at oracle prices.
//!
//! Progressive margin: a position's required ratio is
//!
//! ```text
//! ratio(notional) = max(base_ratio, imf_factor * sqrt(notional_usdc))   (capped at 100%)
//! ```
//!
//! with ratios in ppm (`RATIO_PRECISION`) and `imf_factor` in ppm per
//! square root of one whole USDC of notional. With an IMF factor of 100 a
//! 10,000 USDC position needs at least 1%, a 1,000,000 USDC position 10%.
//! The initial ratio uses `initial_imf_factor` over `initial_ratio`, the
//! maintenance ratio `maintenance_imf_factor` over `maintenance_ratio`;
//! governance keeps the initial ratio strictly above the maintenance ratio
//! at every size up to the position cap, so a position opened at the limit
//! is never liquidatable at once.
//!
//! Account value (equity) = collateral + unrealised PnL + profit claims
//! waiting for the PnL pool - unpaid losses - funding owed + funding
//! receivable (funding not yet settled into collateral). Health compares
//! equity with the summed requirements. Free collateral, what may be
//! withdrawn, counts unrealised losses and funding owed but never
//! unrealised profit, funding receivable or unpaid claims.

use crate::constants::{QUOTE_PRECISION, RATIO_PRECISION};
use crate::error::VammError;
use crate::math::position::{notional, unrealised_pnl};
use crate::math::safe::{isqrt_u128, mul_div_u128, mul_div_u64, to_u64, SafeMath};
use crate::math::stable_price::conservative_price;
use anchor_lang::prelude::*;

/// A market's margin parameters, ppm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarginParams {
    pub initial_ratio: u32,
    pub maintenance_ratio: u32,
    /// Size factor of the initial ratio, ppm per sqrt(whole USDC of notional).
    pub initial_imf_factor: u32,
    /// Size factor of the maintenance ratio, ppm per sqrt(whole USDC).
    pub maintenance_imf_factor: u32,
    /// Share of unrealised profit (valued at the conservative price) that
    /// counts toward the initial margin of new risk, bps (below 100%).
    pub initial_profit_weight_bps: u16,
}

/// Required ratio for a position of `notional` quote native, ppm.
pub fn progressive_ratio(base_ratio: u32, imf_factor: u32, notional: u64) -> Result<u64> {
    // sqrt(notional_native) = sqrt(usdc) * sqrt(QUOTE_PRECISION) = sqrt(usdc) * 1000.
    let sqrt_native = isqrt_u128(notional as u128);
    let size_ratio = mul_div_u128(imf_factor as u128, sqrt_native, 1_000, true)?;
    let ratio = (base_ratio as u128).max(size_ratio).min(RATIO_PRECISION as u128);
    to_u64(ratio)
}

const _: () = assert!(QUOTE_PRECISION == 1_000_000, "sqrt scaling above assumes 6 decimals");

/// One position as margin sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionRisk {
    pub base: i64,
    pub entry_notional: u64,
    /// Realised profit not yet paid from the PnL pool, quote native.
    pub pending_profit: u64,
    /// Realised loss not yet covered, quote native.
    pub unpaid_loss: u64,
    /// Funding accrued but not settled, quote native: positive owed by the
    /// trader, negative owed to the trader.
    pub unsettled_funding: i64,
    /// Oracle price, `PRICE_PRECISION`.
    pub oracle_price: u64,
    /// The market's stable price, `PRICE_PRECISION` (0: none, use the oracle).
    pub stable_price: u64,
    pub params: MarginParams,
}

/// Health states, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, AnchorSerialize, AnchorDeserialize)]
pub enum HealthState {
    /// At or above initial margin.
    Healthy,
    /// Below initial margin: may only reduce risk.
    Warning,
    /// Below maintenance margin: may be liquidated.
    Liquidatable,
    /// Equity below zero: losses exceed collateral.
    Bankrupt,
}

/// The whole account valued at oracle prices, quote native.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountMargin {
    pub collateral: u64,
    pub unpaid_loss: u128,
    pub funding_owed: u128,
    pub funding_receivable: u128,
    pub unrealised_pnl: i128,
    /// Sum of the negative unrealised PnLs only (<= 0).
    pub unrealised_loss: i128,
    /// Unrealised PnL as the initial margin of new risk counts it: each
    /// position at its conservative price, a profit weighted by its
    /// market's `initial_profit_weight_bps`.
    pub initial_pnl: i128,
    pub pending_profit: u128,
    pub total_notional: u128,
    pub initial_required: u128,
    pub maintenance_required: u128,
}

impl AccountMargin {
    pub fn new(collateral: u64, positions: &[PositionRisk]) -> Result<Self> {
        let mut margin = AccountMargin { collateral, ..Default::default() };
        for position in positions {
            margin.add(position)?;
        }
        Ok(margin)
    }

    fn add(&mut self, p: &PositionRisk) -> Result<()> {
        self.pending_profit = self.pending_profit.safe_add(p.pending_profit as u128)?;
        self.unpaid_loss = self.unpaid_loss.safe_add(p.unpaid_loss as u128)?;
        let funding = p.unsettled_funding.unsigned_abs() as u128;
        if p.unsettled_funding > 0 {
            self.funding_owed = self.funding_owed.safe_add(funding)?;
        } else {
            self.funding_receivable = self.funding_receivable.safe_add(funding)?;
        }
        if p.base == 0 {
            return Ok(());
        }
        // Requirements round up: the protocol never under-asks for margin.
        let size = notional(p.base, p.oracle_price, true)?;
        let pnl = unrealised_pnl(p.base, p.entry_notional, p.oracle_price)? as i128;
        let initial = progressive_ratio(p.params.initial_ratio, p.params.initial_imf_factor, size)?;
        let maintenance =
            progressive_ratio(p.params.maintenance_ratio, p.params.maintenance_imf_factor, size)?;
        self.total_notional = self.total_notional.safe_add(size as u128)?;
        self.unrealised_pnl = self.unrealised_pnl.safe_add(pnl)?;
        self.unrealised_loss = self.unrealised_loss.safe_add(pnl.min(0))?;
        let conservative = conservative_price(p.base, p.oracle_price, p.stable_price);
        let pnl_conservative = unrealised_pnl(p.base, p.entry_notional, conservative)? as i128;
        let initial_pnl = if pnl_conservative > 0 {
            mul_div_u128(pnl_conservative as u128, p.params.initial_profit_weight_bps as u128, 10_000, false)?
                as i128
        } else {
            pnl_conservative
        };
        self.initial_pnl = self.initial_pnl.safe_add(initial_pnl.min(pnl))?;
        self.initial_required =
            self.initial_required.safe_add(mul_div_u64(size, initial, RATIO_PRECISION, true)? as u128)?;
        self.maintenance_required =
            self.maintenance_required
                .safe_add(mul_div_u64(size, maintenance, RATIO_PRECISION, true)? as u128)?;
        Ok(())
    }

    /// Account value, quote native (may be negative).
    pub fn equity(&self) -> Result<i128> {
        (self.collateral as i128)
            .safe_add(self.unrealised_pnl)?
            .safe_add(self.pending_profit as i128)?
            .safe_add(self.funding_receivable as i128)?
            .safe_sub(self.funding_owed as i128)?
            .safe_sub(self.unpaid_loss as i128)
    }

    /// Equity as the initial margin of new risk sees it: unrealised PnL
    /// counted as `initial_pnl` (conservative price, weighted profit).
    pub fn initial_equity(&self) -> Result<i128> {
        self.equity()?.safe_sub(self.unrealised_pnl)?.safe_add(self.initial_pnl)
    }

    /// Equity minus the maintenance requirement.
    pub fn maintenance_surplus(&self) -> Result<i128> {
        self.equity()?.safe_sub(self.maintenance_required as i128)
    }

    pub fn health(&self) -> Result<HealthState> {
        let equity = self.equity()?;
        Ok(if equity < 0 {
            HealthState::Bankrupt
        } else if equity < self.maintenance_required as i128 {
            HealthState::Liquidatable
        } else if self.initial_equity()? < self.initial_required as i128 {
            HealthState::Warning
        } else {
            HealthState::Healthy
        })
    }

    /// Collateral that may leave the account: never more than the deposited
    /// collateral, reduced by unrealised losses, unpaid losses and the
    /// initial requirement; unrealised profit and unpaid claims never count.
    pub fn free_collateral(&self) -> Result<u64> {
        let backed = (self.collateral as i128)
            .safe_add(self.unrealised_loss)?
            .safe_sub(self.unpaid_loss as i128)?
            .safe_sub(self.funding_owed as i128)?
            .safe_sub(self.initial_required as i128)?;
        Ok(backed.clamp(0, self.collateral as i128) as u64)
    }

    /// Leverage: total notional over equity, ppm (`u64::MAX` when equity <= 0).
    pub fn leverage(&self) -> Result<u64> {
        let equity = self.equity()?;
        if equity <= 0 {
            return Ok(u64::MAX);
        }
        let lev = mul_div_u128(self.total_notional, RATIO_PRECISION as u128, equity as u128, true)?;
        Ok(lev.min(u64::MAX as u128) as u64)
    }
}

/// Whether a trade may leave the account in state `after`, given the state
/// `before` it.
///
/// A trade that increases risk must leave its initial equity (unrealised
/// profit at the conservative price and weighted) at or above the initial
/// requirement. A trade that only reduces risk must leave the account above
/// maintenance, or at least no further below it than it was.
pub fn check_trade_margin(before: &AccountMargin, after: &AccountMargin, increases_risk: bool) -> Result<()> {
    if increases_risk {
        require!(after.initial_equity()? >= after.initial_required as i128, VammError::InsufficientMargin);
        return Ok(());
    }
    let surplus_after = after.maintenance_surplus()?;
    require!(
        surplus_after >= 0 || surplus_after >= before.maintenance_surplus()?,
        VammError::MaintenanceMarginWorsened
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::BASE_PRECISION;
    use proptest::prelude::*;

    const PARAMS: MarginParams = MarginParams {
        initial_ratio: 100_000,
        maintenance_ratio: 50_000,
        initial_imf_factor: 100,
        maintenance_imf_factor: 50,
        initial_profit_weight_bps: 5_000,
    };
    const ONE: i64 = BASE_PRECISION as i64;
    const USDC: u64 = 1_000_000;

    fn long(base: i64, entry: u64, price: u64) -> PositionRisk {
        PositionRisk {
            base,
            entry_notional: entry,
            pending_profit: 0,
            unpaid_loss: 0,
            unsettled_funding: 0,
            oracle_price: price,
            stable_price: 0,
            params: PARAMS,
        }
    }

    #[test]
    fn paper_profit_backs_new_risk_only_weighted_at_the_stable_price() {
        // 10 SOL long from 100, oracle pumped to 300, stable price still 105.
        let p = PositionRisk { stable_price: 105 * USDC, ..long(10 * ONE, 1_000 * USDC, 300 * USDC) };
        let m = AccountMargin::new(100 * USDC, &[p]).unwrap();
        assert_eq!(m.equity().unwrap(), 2_100 * USDC as i128);
        // Profit at 105 is 50, half of it counts: 100 + 25.
        assert_eq!(m.initial_equity().unwrap(), 125 * USDC as i128);
        // Requirement ~10% of 3,000: below initial, so it may only reduce.
        assert_eq!(m.health().unwrap(), HealthState::Warning);
        // A loss counts in full at the worse of the two prices.
        let short = PositionRisk { stable_price: 105 * USDC, ..long(-10 * ONE, 1_000 * USDC, 100 * USDC) };
        let m = AccountMargin::new(100 * USDC, &[short]).unwrap();
        assert_eq!(m.initial_equity().unwrap(), 50 * USDC as i128);
    }

    #[test]
    fn ratio_grows_with_size() {
        assert_eq!(progressive_ratio(100_000, 100, 10_000 * USDC).unwrap(), 100_000);
        // 100 ppm * sqrt(1e8 USDC) = 100 * 10_000 = 1_000_000 ppm: capped at 100%.
        assert_eq!(progressive_ratio(100_000, 100, 100_000_000 * USDC).unwrap(), 1_000_000);
        // sqrt(4e6) = 2000 -> 200_000 ppm = 20%.
        assert_eq!(progressive_ratio(100_000, 100, 4_000_000 * USDC).unwrap(), 200_000);
    }

    #[test]
    fn health_states_in_order() {
        // 10 SOL long at 100 USDC entry, 100 USDC collateral.
        let at = |price| AccountMargin::new(100 * USDC, &[long(10 * ONE, 1_000 * USDC, price)]).unwrap();
        assert_eq!(at(100 * USDC).health().unwrap(), HealthState::Healthy);
        assert_eq!(at(99 * USDC).health().unwrap(), HealthState::Warning);
        assert_eq!(at(94 * USDC).health().unwrap(), HealthState::Liquidatable);
        assert_eq!(at(89 * USDC).health().unwrap(), HealthState::Bankrupt);
    }

    #[test]
    fn unrealised_profit_is_not_withdrawable() {
        let m = AccountMargin::new(100 * USDC, &[long(ONE, 100 * USDC, 200 * USDC)]).unwrap();
        // Requirement 10% of 200 = 20; profit 100 must not count.
        assert_eq!(m.free_collateral().unwrap(), 80 * USDC);
        let loss = AccountMargin::new(100 * USDC, &[long(ONE, 100 * USDC, 50 * USDC)]).unwrap();
        assert_eq!(loss.free_collateral().unwrap(), 45 * USDC);
    }

    #[test]
    fn funding_owed_counts_against_withdrawals_receivable_does_not() {
        let owed = PositionRisk { unsettled_funding: 30 * USDC as i64, ..long(ONE, 100 * USDC, 100 * USDC) };
        let m = AccountMargin::new(100 * USDC, &[owed]).unwrap();
        assert_eq!(m.free_collateral().unwrap(), 60 * USDC);
        assert_eq!(m.equity().unwrap(), 70 * USDC as i128);
        let due = PositionRisk { unsettled_funding: -30 * (USDC as i64), ..owed };
        let m = AccountMargin::new(100 * USDC, &[due]).unwrap();
        assert_eq!(m.free_collateral().unwrap(), 90 * USDC);
        assert_eq!(m.equity().unwrap(), 130 * USDC as i128);
    }

    #[test]
    fn reducing_trade_may_not_worsen_maintenance() {
        let before = AccountMargin::new(10 * USDC, &[long(10 * ONE, 1_000 * USDC, 95 * USDC)]).unwrap();
        let mut after = before;
        after.collateral = 0;
        assert!(check_trade_margin(&before, &after, false).is_err());
        assert!(check_trade_margin(&before, &before, false).is_ok());
    }

    proptest! {
        #[test]
        fn free_collateral_never_exceeds_collateral(collateral in any::<u64>(), base in -(1i64 << 50)..(1i64 << 50), entry in 0u64..1 << 55, price in 1u64..1 << 40, pending in 0u64..1 << 50) {
            let p = PositionRisk { pending_profit: pending, ..long(base, entry, price) };
            if let Ok(m) = AccountMargin::new(collateral, &[p]) {
                prop_assert!(m.free_collateral().unwrap() <= collateral);
                prop_assert!(m.maintenance_required <= m.initial_required);
            }
        }

        #[test]
        fn ratio_is_monotonic(a in any::<u64>(), b in any::<u64>()) {
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(progressive_ratio(50_000, 100, lo).unwrap() <= progressive_ratio(50_000, 100, hi).unwrap());
        }
    }
}

//! Trading fees in basis points, rounded in the protocol's favour, and
//! their split between the insurance fund, the market's PnL pool, the
//! market's fee pool and the treasury.

use crate::constants::BPS_DENOMINATOR;
use crate::error::VammError;
use crate::math::safe::{mul_div_u64, SafeMath};
use anchor_lang::prelude::*;

/// Fee on `notional` quote native at `fee_bps`, rounded up.
pub fn fee_for(notional: u64, fee_bps: u16) -> Result<u64> {
    mul_div_u64(notional, fee_bps as u64, BPS_DENOMINATOR, true)
}

/// Shares of each fee, in bps of the fee. The treasury takes the remainder,
/// so it also collects every rounding unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeShares {
    pub insurance_bps: u16,
    pub pnl_pool_bps: u16,
    pub fee_pool_bps: u16,
}

impl FeeShares {
    pub fn validate(&self) -> Result<()> {
        let total = self.insurance_bps as u64 + self.pnl_pool_bps as u64 + self.fee_pool_bps as u64;
        require!(total <= BPS_DENOMINATOR, VammError::InvalidMarketParameter);
        Ok(())
    }
}

/// Where one fee goes, quote native. The parts always sum to the fee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeSplit {
    pub insurance: u64,
    pub pnl_pool: u64,
    pub fee_pool: u64,
    pub treasury: u64,
}

pub fn split_fee(fee: u64, shares: &FeeShares) -> Result<FeeSplit> {
    shares.validate()?;
    let insurance = mul_div_u64(fee, shares.insurance_bps as u64, BPS_DENOMINATOR, false)?;
    let pnl_pool = mul_div_u64(fee, shares.pnl_pool_bps as u64, BPS_DENOMINATOR, false)?;
    let fee_pool = mul_div_u64(fee, shares.fee_pool_bps as u64, BPS_DENOMINATOR, false)?;
    let treasury = fee.safe_sub(insurance)?.safe_sub(pnl_pool)?.safe_sub(fee_pool)?;
    Ok(FeeSplit { insurance, pnl_pool, fee_pool, treasury })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fee_rounds_up() {
        assert_eq!(fee_for(1, 10).unwrap(), 1);
        assert_eq!(fee_for(10_000, 10).unwrap(), 10);
        assert_eq!(fee_for(10_001, 10).unwrap(), 11);
        assert_eq!(fee_for(0, 10).unwrap(), 0);
    }

    #[test]
    fn shares_above_whole_are_refused() {
        let shares = FeeShares { insurance_bps: 5_000, pnl_pool_bps: 5_000, fee_pool_bps: 1 };
        assert!(split_fee(100, &shares).is_err());
    }

    proptest! {
        #[test]
        fn fee_is_never_below_exact(notional in any::<u64>(), bps in 0u16..=10_000) {
            let fee = fee_for(notional, bps).unwrap();
            prop_assert!(fee as u128 * 10_000 >= notional as u128 * bps as u128);
            prop_assert!(fee <= notional);
        }

        #[test]
        fn split_sums_to_fee(fee in any::<u64>(), a in 0u16..=4_000, b in 0u16..=3_000, c in 0u16..=3_000) {
            let split = split_fee(fee, &FeeShares { insurance_bps: a, pnl_pool_bps: b, fee_pool_bps: c }).unwrap();
            prop_assert_eq!(split.insurance as u128 + split.pnl_pool as u128 + split.fee_pool as u128 + split.treasury as u128, fee as u128);
        }
    }
}

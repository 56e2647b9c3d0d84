//! Insurance fund share accounting.
//!
//! Shares are priced against the fund's ledger balance (never the token
//! account's balance, so tokens sent to the vault directly change nothing)
//! plus a virtual offset of `VIRTUAL_SHARES` shares backed by
//! `VIRTUAL_ASSETS` quote native: 1,000 shares per quote native at the
//! start. The ledger defeats donation-based inflation outright; the offset
//! makes rounding attacks on a nearly empty fund cost the attacker more
//! than they can take (a victim loses at most 1/1,000 of a quote unit per
//! share of rounding). Minting and redeeming both round down, in the
//! fund's favour, and a redemption never pays more than the balance.

use crate::math::safe::{mul_div_u128, to_u64};
use anchor_lang::prelude::*;

/// Virtual shares: 1,000 shares per quote native at the start.
pub const VIRTUAL_SHARES: u128 = 1_000;
/// Virtual assets backing them, quote native.
pub const VIRTUAL_ASSETS: u128 = 1;

/// Shares minted for depositing `amount` into a fund holding `balance` with
/// `total_shares` outstanding.
pub fn shares_for_deposit(amount: u64, balance: u64, total_shares: u64) -> Result<u64> {
    to_u64(mul_div_u128(
        amount as u128,
        total_shares as u128 + VIRTUAL_SHARES,
        balance as u128 + VIRTUAL_ASSETS,
        false,
    )?)
}

/// Quote native paid for redeeming `shares`.
pub fn assets_for_shares(shares: u64, balance: u64, total_shares: u64) -> Result<u64> {
    let assets = to_u64(mul_div_u128(
        shares as u128,
        balance as u128 + VIRTUAL_ASSETS,
        total_shares as u128 + VIRTUAL_SHARES,
        false,
    )?)?;
    // After losses of nearly all the fund the virtual unit could make the
    // last shares worth more than is left.
    Ok(assets.min(balance))
}

/// Whether losses wiped the fund out: its share price fell below a
/// thousandth of the first one (`VIRTUAL_ASSETS / VIRTUAL_SHARES`), i.e. it
/// lost more than 99.9%. Minting
/// against such a price would overflow or hand a new staker nearly all of
/// a fund that is already gone, so the program starts a new share epoch
/// instead (the old shares are void; what dust is left stays in the fund).
pub fn is_wiped_out(balance: u64, total_shares: u64) -> bool {
    total_shares > 0
        && (balance as u128 + VIRTUAL_ASSETS) * 1_000 * VIRTUAL_SHARES < total_shares as u128 + VIRTUAL_SHARES
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_deposit_mints_a_thousand_shares_per_unit() {
        assert_eq!(shares_for_deposit(500, 0, 0).unwrap(), 500_000);
        assert_eq!(assets_for_shares(500_000, 500, 500_000).unwrap(), 500);
    }

    #[test]
    fn all_shares_redeem_within_the_balance_after_losses() {
        // 1,000 staked, 750 lost: all shares are worth what is left.
        assert_eq!(assets_for_shares(1_000_000, 250, 1_000_000).unwrap(), 250);
    }

    #[test]
    fn an_emptied_fund_is_wiped_out_and_a_healthy_one_is_not() {
        assert!(is_wiped_out(0, 1_000_000_000_000));
        assert!(!is_wiped_out(0, 0));
        assert!(!is_wiped_out(1_000_000, 1_000_000_000));
        // A 99% loss is not a wipe-out; 99.99% is.
        assert!(!is_wiped_out(10_000, 1_000_000_000));
        assert!(is_wiped_out(100, 1_000_000_000));
    }

    proptest! {
        /// Outside a wipe-out, minting 1M USDC or less never overflows.
        #[test]
        fn minting_outside_a_wipe_out_fits(amount in 0u64..1 << 40, balance in 0u64..1 << 53, shares in 0u64..1 << 53) {
            prop_assume!(!is_wiped_out(balance, shares));
            prop_assert!(shares_for_deposit(amount, balance, shares).is_ok());
        }

        /// Depositing then redeeming never returns more than was deposited.
        #[test]
        fn round_trip_never_gains(amount in 0u64..1 << 44, balance in 0u64..1 << 44, shares in 0u64..1 << 50) {
            let minted = shares_for_deposit(amount, balance, shares).unwrap();
            let back = assets_for_shares(minted, balance + amount, shares + minted).unwrap();
            prop_assert!(back <= amount);
        }

        /// A deposit keeps the share price (up to rounding in the fund's favour).
        #[test]
        fn deposits_do_not_dilute(amount in 1u64..1 << 40, balance in 0u64..1 << 40, shares in 0u64..1 << 50, probe in 1u64..1 << 30) {
            let before = assets_for_shares(probe, balance, shares).unwrap();
            let minted = shares_for_deposit(amount, balance, shares).unwrap();
            let after = assets_for_shares(probe, balance + amount, shares + minted).unwrap();
            prop_assert!(after >= before);
        }
    }
}

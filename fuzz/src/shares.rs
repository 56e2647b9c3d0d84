//! Insurance fund shares over a sequence of stakes, redemptions, losses
//! and fee income by several stakers.
//!
//! Asserts after every step: all outstanding shares together never redeem
//! for more than the fund holds; a stake never lowers what existing
//! shares are worth; a stake redeemed at once never returns more than was
//! staked; a fund that losses wiped out starts a new share epoch (as the
//! program does) and the next stake mints normally.

use crate::{documented, Checked};
use arbitrary::Arbitrary;
use vamm::error::VammError;
use vamm::math::shares::{assets_for_shares, is_wiped_out, shares_for_deposit};

#[derive(Arbitrary, Debug, Clone)]
pub enum Step {
    /// Staker (of four) stakes `amount` quote native (up to a billion USDC).
    Stake { staker: u8, amount: u64 },
    /// Staker redeems `percent` of its shares.
    Redeem { staker: u8, percent: u8 },
    /// The fund pays bad debt: `percent` of its balance.
    Loss { percent: u8 },
    /// Fee income of `amount` quote native.
    Income { amount: u32 },
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    pub steps: Vec<Step>,
}

impl Checked for Input {
    fn check(&self) {
        check(self)
    }
}

pub fn check(input: &Input) {
    let mut balance: u64 = 0;
    let mut total_shares: u64 = 0;
    let mut shares = [0u64; 4];
    for step in input.steps.iter().take(64) {
        match *step {
            Step::Stake { staker, amount } => {
                let amount = amount % 1_000_000_000_000_001;
                if is_wiped_out(balance, total_shares) {
                    // The program voids the old shares: a new epoch.
                    total_shares = 0;
                    shares = [0; 4];
                }
                // More shares than a u64 holds: the program refuses the stake.
                let allowed = [VammError::CastOverflow];
                let Some(minted) =
                    documented(shares_for_deposit(amount, balance, total_shares), &allowed, input)
                else {
                    continue;
                };
                if total_shares.checked_add(minted).is_none() {
                    continue;
                }
                let largest = shares.iter().copied().max().unwrap_or(0);
                let worth_before = assets_for_shares(largest, balance, total_shares).unwrap();
                let back = assets_for_shares(minted, balance + amount, total_shares + minted).unwrap();
                assert!(back <= amount, "a stake redeemed at once returns {back} > {amount}: {input:?}");
                balance += amount;
                total_shares += minted;
                shares[staker as usize % 4] += minted;
                let worth_after = assets_for_shares(largest, balance, total_shares).unwrap();
                assert!(worth_after >= worth_before, "a stake diluted existing shares: {input:?}");
            }
            Step::Redeem { staker, percent } => {
                let held = shares[staker as usize % 4];
                let redeemed = (held as u128 * (percent % 101) as u128 / 100) as u64;
                let paid = assets_for_shares(redeemed, balance, total_shares).unwrap();
                assert!(paid <= balance, "redemption above the balance: {input:?}");
                balance -= paid;
                total_shares -= redeemed;
                shares[staker as usize % 4] -= redeemed;
            }
            Step::Loss { percent } => {
                balance -= (balance as u128 * (percent % 101) as u128 / 100) as u64;
            }
            Step::Income { amount } => balance += amount as u64,
        }
        let redeemable: u128 =
            shares.iter().map(|s| assets_for_shares(*s, balance, total_shares).unwrap() as u128).sum();
        assert!(
            redeemable <= balance as u128,
            "shares redeem for {redeemable} > the fund's {balance}: {input:?}"
        );
    }
}

//! Cross-margin valuation of an account of up to four positions.
//!
//! Asserts: the initial requirement is never below maintenance when the
//! parameters keep the initial ratio and size factor at or above the
//! maintenance ones (as governance does); free collateral never exceeds
//! the collateral, and withdrawing all of it never leaves the account
//! below maintenance; a long's equity never falls when its price rises
//! (nor a short's when its price falls); leverage times equity covers the
//! notional. Errors allowed: a value too large for its integer type.

use crate::{documented, magnitude, Checked};
use arbitrary::Arbitrary;
use vamm::constants::RATIO_PRECISION;
use vamm::error::VammError;
use vamm::math::margin::{AccountMargin, MarginParams, PositionRisk};

#[derive(Arbitrary, Debug, Clone)]
pub struct PositionSpec {
    pub base: u64,
    pub base_scale: u8,
    pub short: bool,
    pub entry: u64,
    pub entry_scale: u8,
    pub pending_profit: u32,
    pub unpaid_loss: u32,
    pub funding: i32,
    pub price: u64,
    pub price_scale: u8,
    pub stable_offset_bps: i16,
    pub maintenance_ratio: u32,
    pub initial_extra: u32,
    pub maintenance_imf: u16,
    pub initial_imf_extra: u16,
    pub profit_weight_bps: u16,
}

impl PositionSpec {
    /// Up to a million whole units at up to a million USDC each.
    pub fn build(&self) -> PositionRisk {
        let size = magnitude(self.base, self.base_scale, 15) as i64;
        let price = 1 + magnitude(self.price, self.price_scale, 12);
        let stable = (price as i128 + price as i128 * self.stable_offset_bps as i128 / 10_000).max(0) as u64;
        let maintenance_ratio = 1_000 + self.maintenance_ratio % 500_000;
        let initial_ratio =
            (maintenance_ratio * 5 / 4 + self.initial_extra % 300_000).min(RATIO_PRECISION as u32);
        let maintenance_imf_factor = self.maintenance_imf as u32 % 1_000;
        PositionRisk {
            base: if self.short { -size } else { size },
            entry_notional: magnitude(self.entry, self.entry_scale, 18),
            pending_profit: self.pending_profit as u64,
            unpaid_loss: self.unpaid_loss as u64,
            unsettled_funding: self.funding as i64,
            oracle_price: price,
            stable_price: stable,
            params: MarginParams {
                initial_ratio,
                maintenance_ratio,
                initial_imf_factor: maintenance_imf_factor * 5 / 4 + self.initial_imf_extra as u32 % 500,
                maintenance_imf_factor,
                initial_profit_weight_bps: self.profit_weight_bps % 10_000,
            },
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Input {
    pub collateral: u64,
    pub collateral_scale: u8,
    pub positions: [Option<PositionSpec>; 4],
    pub probe: u8,
    pub price_rise: u32,
}

impl Checked for Input {
    fn check(&self) {
        check(self)
    }
}

const ALLOWED: [VammError; 1] = [VammError::CastOverflow];

pub fn check(input: &Input) {
    let collateral = magnitude(input.collateral, input.collateral_scale, 16);
    let positions: Vec<PositionRisk> = input.positions.iter().flatten().map(PositionSpec::build).collect();
    let Some(margin) = documented(AccountMargin::new(collateral, &positions), &ALLOWED, input) else {
        return;
    };
    assert!(margin.initial_required >= margin.maintenance_required, "initial below maintenance: {input:?}");
    let equity = margin.equity().expect("equity of a valued account");
    let free = margin.free_collateral().expect("free collateral");
    assert!(free <= collateral, "free collateral above the collateral: {input:?}");
    if free > 0 {
        let after =
            AccountMargin::new(collateral - free, &positions).expect("the same account with less collateral");
        let equity_after = after.equity().unwrap();
        assert!(
            equity_after >= after.maintenance_required as i128,
            "withdrawing the free {free} leaves equity {equity_after} below maintenance {}: {input:?}",
            after.maintenance_required
        );
    }
    let leverage = margin.leverage().unwrap();
    // `u64::MAX` stands for any leverage beyond it.
    if equity > 0 && leverage < u64::MAX {
        assert!(
            leverage as u128 * equity as u128 >= margin.total_notional * RATIO_PRECISION as u128,
            "leverage understated: {input:?}"
        );
    }
    if positions.is_empty() {
        return;
    }
    let probe = input.probe as usize % positions.len();
    let mut moved = positions.clone();
    let rise = input.price_rise as u64 % moved[probe].oracle_price.max(1) + 1;
    moved[probe].oracle_price += rise;
    moved[probe].stable_price = moved[probe].stable_price.saturating_add(rise);
    let Some(moved_margin) = documented(AccountMargin::new(collateral, &moved), &ALLOWED, input) else {
        return;
    };
    let moved_equity = moved_margin.equity().unwrap();
    let base = positions[probe].base;
    if base > 0 {
        assert!(moved_equity >= equity, "a long lost value as its price rose: {input:?}");
    } else if base < 0 {
        assert!(moved_equity <= equity, "a short gained value as its price rose: {input:?}");
    }
}

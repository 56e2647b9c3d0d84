//! The oracle-jump circuit breaker, with a bounded delay.
//!
//! A valid oracle price within `band_bps` of the reference (the market's
//! oracle TWAP) is accepted. A price outside the band is *held*: the market
//! does not use it (no new risk, no liquidation, no funding, no repeg, no
//! settlement at it) until prices on the same side of the band have been
//! observed for `confirmation_secs`, measured between the oracle's own
//! observation times of the first held price and the latest one. The latest
//! price is then accepted as the market's new level and becomes the
//! reference. A price back inside the band ends the hold (a spike that
//! reverted); a price beyond the band on the other side starts a new hold.
//!
//! Whatever the size of the move, a level that persists is accepted
//! `confirmation_secs` after it was first observed, so a market can never
//! be frozen by a move larger than its band; a single print that reverts
//! before then is never used.

use crate::constants::BPS_DENOMINATOR;
use crate::error::VammError;
use crate::math::safe::SafeMath;
use anchor_lang::prelude::*;

/// Which side of the band a held price is on. Stored as a `u8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldSide {
    /// No hold. Stored as 0.
    None,
    /// Above `reference * (1 + band)`. Stored as 1.
    Above,
    /// Below `reference * (1 - band)`. Stored as 2.
    Below,
}

impl HoldSide {
    pub fn to_u8(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Above => 1,
            Self::Below => 2,
        }
    }

    pub fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Above,
            2 => Self::Below,
            _ => Self::None,
        }
    }
}

/// A hold in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hold {
    pub side: HoldSide,
    /// Oracle observation time of the first held price, unix seconds.
    pub since_ts: i64,
}

impl Hold {
    pub const NONE: Hold = Hold { side: HoldSide::None, since_ts: 0 };
}

/// What the guard decides about one observed price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardDecision {
    /// Inside the band: use it. `ended_hold` is true when a hold was in
    /// progress and the price came back (the move reverted).
    Accept { ended_hold: bool },
    /// Outside the band and not yet confirmed: do not use it. `started`
    /// is true when this observation starts the hold.
    Hold { hold: Hold, started: bool },
    /// Held for the confirmation time: use it and make it the reference.
    Confirm { held_secs: i64 },
}

impl GuardDecision {
    /// Whether the price may be used.
    pub fn accepts(&self) -> bool {
        !matches!(self, GuardDecision::Hold { .. })
    }
}

/// Inputs of one decision. Prices `PRICE_PRECISION`, times unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardInput {
    pub price: u64,
    /// The market's oracle TWAP; 0 accepts anything (nothing to compare with).
    pub reference: u64,
    pub band_bps: u16,
    pub confirmation_secs: u32,
    /// When the oracle observed `price`.
    pub observed_ts: i64,
    pub hold: Hold,
}

/// Decides whether `input.price` is used, held, or confirmed.
pub fn assess(input: &GuardInput) -> Result<GuardDecision> {
    let side = band_side(input.price, input.reference, input.band_bps)?;
    if side == HoldSide::None {
        return Ok(GuardDecision::Accept { ended_hold: input.hold.side != HoldSide::None });
    }
    if input.hold.side != side {
        let hold = Hold { side, since_ts: input.observed_ts };
        return Ok(GuardDecision::Hold { hold, started: true });
    }
    // An observation can never count as older than the hold's start.
    let held_secs = input.observed_ts.saturating_sub(input.hold.since_ts).max(0);
    if held_secs >= input.confirmation_secs as i64 {
        return Ok(GuardDecision::Confirm { held_secs });
    }
    Ok(GuardDecision::Hold { hold: input.hold, started: false })
}

/// Where `price` lies relative to the band of `band_bps` around `reference`.
pub fn band_side(price: u64, reference: u64, band_bps: u16) -> Result<HoldSide> {
    if reference == 0 {
        return Ok(HoldSide::None);
    }
    // Exact comparison: a price exactly at the edge is inside.
    let scaled_gap = (price.abs_diff(reference) as u128).safe_mul(BPS_DENOMINATOR as u128)?;
    if scaled_gap <= (band_bps as u128).safe_mul(reference as u128)? {
        return Ok(HoldSide::None);
    }
    Ok(if price > reference { HoldSide::Above } else { HoldSide::Below })
}

/// Refuses a price that is held.
pub fn require_accepted(decision: &GuardDecision) -> Result<()> {
    require!(decision.accepts(), VammError::OracleJumpUnconfirmed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: u64 = 1_000_000;

    fn input(price: u64, observed_ts: i64, hold: Hold) -> GuardInput {
        GuardInput { price, reference: 100 * P, band_bps: 2_500, confirmation_secs: 60, observed_ts, hold }
    }

    /// Feeds `prints` (price, observed time) through the guard as the
    /// program does; returns each decision.
    fn run(prints: &[(u64, i64)]) -> Vec<GuardDecision> {
        let mut hold = Hold::NONE;
        let mut reference = 100 * P;
        let mut out = Vec::new();
        for &(price, ts) in prints {
            let decision = assess(&GuardInput { reference, ..input(price, ts, hold) }).unwrap();
            match decision {
                GuardDecision::Accept { .. } => hold = Hold::NONE,
                GuardDecision::Hold { hold: h, .. } => hold = h,
                GuardDecision::Confirm { .. } => {
                    hold = Hold::NONE;
                    reference = price;
                }
            }
            out.push(decision);
        }
        out
    }

    #[test]
    fn inside_the_band_is_accepted_and_the_edge_is_inside() {
        assert_eq!(
            assess(&input(125 * P, 0, Hold::NONE)).unwrap(),
            GuardDecision::Accept { ended_hold: false }
        );
        assert_eq!(
            assess(&input(75 * P, 0, Hold::NONE)).unwrap(),
            GuardDecision::Accept { ended_hold: false }
        );
        assert!(matches!(assess(&input(125 * P + 100, 0, Hold::NONE)).unwrap(), GuardDecision::Hold { .. }));
    }

    #[test]
    fn a_persistent_level_is_confirmed_after_the_confirmation_time() {
        let decisions =
            run(&[(61 * P, 1_000), (61 * P, 1_030), (61 * P, 1_059), (61 * P, 1_060), (61 * P, 1_090)]);
        assert_eq!(
            decisions[0],
            GuardDecision::Hold { hold: Hold { side: HoldSide::Below, since_ts: 1_000 }, started: true }
        );
        assert!(matches!(decisions[1], GuardDecision::Hold { started: false, .. }));
        assert!(matches!(decisions[2], GuardDecision::Hold { started: false, .. }));
        assert_eq!(decisions[3], GuardDecision::Confirm { held_secs: 60 });
        assert_eq!(decisions[4], GuardDecision::Accept { ended_hold: false });
    }

    #[test]
    fn a_spike_that_reverts_is_never_used() {
        let decisions = run(&[(200 * P, 1_000), (101 * P, 1_030), (200 * P, 1_061)]);
        assert!(!decisions[0].accepts());
        assert_eq!(decisions[1], GuardDecision::Accept { ended_hold: true });
        // A second spike starts a new hold: the earlier one does not count.
        assert_eq!(
            decisions[2],
            GuardDecision::Hold { hold: Hold { side: HoldSide::Above, since_ts: 1_061 }, started: true }
        );
    }

    #[test]
    fn crossing_to_the_other_side_restarts_the_hold() {
        let decisions = run(&[(50 * P, 1_000), (150 * P, 1_050), (150 * P, 1_100)]);
        assert!(matches!(decisions[1], GuardDecision::Hold { started: true, .. }));
        assert!(!decisions[2].accepts());
    }

    #[test]
    fn an_observation_older_than_the_hold_does_not_confirm_it() {
        let hold = Hold { side: HoldSide::Below, since_ts: 1_000 };
        assert_eq!(assess(&input(50 * P, 900, hold)).unwrap(), GuardDecision::Hold { hold, started: false });
    }

    proptest! {
        /// Any level, however far from the reference, observed at least
        /// every `step` seconds, is accepted within the confirmation time
        /// of its first observation (plus the gap to the next observation).
        #[test]
        fn any_persistent_level_is_accepted_within_the_bound(
            level in 1u64..=1_000_000 * P,
            step in 1i64..=120,
            confirmation in 10u32..=3_600,
            band in 100u16..=5_000,
        ) {
            let mut hold = Hold::NONE;
            let mut accepted_at = None;
            for i in 0..=(confirmation as i64 / step + 2) {
                let ts = 10_000 + i * step;
                let decision = assess(&GuardInput {
                    price: level, reference: 100 * P, band_bps: band,
                    confirmation_secs: confirmation, observed_ts: ts, hold,
                }).unwrap();
                match decision {
                    GuardDecision::Hold { hold: h, .. } => hold = h,
                    _ => { accepted_at = Some(ts); break; }
                }
            }
            let accepted_at = accepted_at.expect("the level was never accepted");
            prop_assert!(accepted_at - 10_000 < confirmation as i64 + step);
        }

        /// A price outside the band seen only within less than the
        /// confirmation time of the first out-of-band print is never used.
        #[test]
        fn a_short_excursion_is_never_used(
            spike in 126u64..=100_000,
            prints in 1usize..10,
            confirmation in 10u32..=3_600,
        ) {
            let mut hold = Hold::NONE;
            let step = (confirmation as i64 - 1) / prints as i64;
            for i in 0..prints as i64 {
                let decision = assess(&GuardInput {
                    price: spike * P, reference: 100 * P, band_bps: 2_500,
                    confirmation_secs: confirmation, observed_ts: 5_000 + i * step, hold,
                }).unwrap();
                prop_assert!(!decision.accepts());
                if let GuardDecision::Hold { hold: h, .. } = decision { hold = h; }
            }
        }
    }
}

//! The oracle-jump circuit breaker, with a bounded delay.
//!
//! A valid oracle price within `band_bps` of the reference (the market's
//! oracle TWAP) is accepted. A price outside the band is *held*: the market
//! does not use it (no new risk, no liquidation, no funding, no repeg, no
//! settlement at it). The hold starts at the cluster time it is first
//! recorded. It is confirmed by a later observation on the same side of
//! the band, at least `confirmation_secs` of cluster time later, of an
//! oracle update strictly newer than the one that started it and published
//! no earlier than the hold began (so neither an old update posted late nor
//! one update read twice can confirm it within one transaction). The
//! market's reference then moves to the *least extreme* price held during
//! the hold (the held print nearest the old reference, the confirming one
//! included), so a single wick at confirmation time never becomes the
//! price: when the confirming print is itself outside the band around that
//! level, a new hold starts from it. A price back inside the band ends the
//! hold (a spike that reverted); a price beyond the band on the other side
//! starts a new hold.
//!
//! Whatever the size of a step move, the new level is accepted
//! `confirmation_secs` after it was first recorded; a move that keeps going
//! past the band of the level confirmed is accepted in further steps of
//! the same length. A single print that reverts is never used.

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
    /// Cluster time the hold was first recorded, unix seconds.
    pub since_ts: i64,
    /// Sequence of the primary oracle update that started it.
    pub sequence: i64,
    /// Least extreme price held so far (nearest the reference),
    /// `PRICE_PRECISION`.
    pub price: u64,
}

impl Hold {
    pub const NONE: Hold = Hold { side: HoldSide::None, since_ts: 0, sequence: 0, price: 0 };

    fn start(side: HoldSide, input: &GuardInput) -> Hold {
        Hold { side, since_ts: input.now_ts, sequence: input.sequence, price: input.price }
    }
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
    /// Held for the confirmation time: `level` (the least extreme held
    /// price) becomes the reference, and the price, inside its band, is
    /// used.
    Confirm { level: u64, held_secs: i64 },
    /// As `Confirm`, but the confirming price is itself outside the band
    /// around `level`: the reference moves to `level` and the price is held
    /// in the new `hold`.
    Rebase { level: u64, held_secs: i64, hold: Hold },
}

impl GuardDecision {
    /// Whether the price may be used.
    pub fn accepts(&self) -> bool {
        matches!(self, GuardDecision::Accept { .. } | GuardDecision::Confirm { .. })
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
    /// Cluster time now.
    pub now_ts: i64,
    /// When the oracle observed `price`.
    pub observed_ts: i64,
    /// Sequence of the primary update `price` came from.
    pub sequence: i64,
    pub hold: Hold,
}

/// Decides whether `input.price` is used, held, or confirmed.
pub fn assess(input: &GuardInput) -> Result<GuardDecision> {
    let side = band_side(input.price, input.reference, input.band_bps)?;
    if side == HoldSide::None {
        return Ok(GuardDecision::Accept { ended_hold: input.hold.side != HoldSide::None });
    }
    let hold = input.hold;
    if hold.side != side {
        return Ok(GuardDecision::Hold { hold: Hold::start(side, input), started: true });
    }
    let level = least_extreme(side, hold.price, input.price);
    let held_secs = input.now_ts.saturating_sub(hold.since_ts).max(0);
    let confirms = held_secs >= input.confirmation_secs as i64
        && input.sequence > hold.sequence
        && input.observed_ts >= hold.since_ts;
    if !confirms {
        return Ok(GuardDecision::Hold { hold: Hold { price: level, ..hold }, started: false });
    }
    match band_side(input.price, level, input.band_bps)? {
        HoldSide::None => Ok(GuardDecision::Confirm { level, held_secs }),
        next => Ok(GuardDecision::Rebase { level, held_secs, hold: Hold::start(next, input) }),
    }
}

/// Of two held prices on `side`, the one nearer the reference.
fn least_extreme(side: HoldSide, a: u64, b: u64) -> u64 {
    match side {
        HoldSide::Below => a.max(b),
        _ => a.min(b),
    }
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

    fn input(price: u64, now_ts: i64, sequence: i64, hold: Hold) -> GuardInput {
        GuardInput {
            price,
            reference: 100 * P,
            band_bps: 2_500,
            confirmation_secs: 60,
            now_ts,
            observed_ts: now_ts,
            sequence,
            hold,
        }
    }

    /// Feeds `prints` (price, time) through the guard as the program does,
    /// one oracle update per print; returns each decision and the final
    /// reference.
    fn run(prints: &[(u64, i64)]) -> (Vec<GuardDecision>, u64) {
        let mut hold = Hold::NONE;
        let mut reference = 100 * P;
        let mut out = Vec::new();
        for (i, &(price, ts)) in prints.iter().enumerate() {
            let decision = assess(&GuardInput { reference, ..input(price, ts, i as i64 + 1, hold) }).unwrap();
            match decision {
                GuardDecision::Accept { .. } => hold = Hold::NONE,
                GuardDecision::Hold { hold: h, .. } => hold = h,
                GuardDecision::Confirm { level, .. } => {
                    hold = Hold::NONE;
                    reference = level;
                }
                GuardDecision::Rebase { level, hold: h, .. } => {
                    hold = h;
                    reference = level;
                }
            }
            out.push(decision);
        }
        (out, reference)
    }

    #[test]
    fn inside_the_band_is_accepted_and_the_edge_is_inside() {
        let none = Hold::NONE;
        assert_eq!(assess(&input(125 * P, 0, 1, none)).unwrap(), GuardDecision::Accept { ended_hold: false });
        assert_eq!(assess(&input(75 * P, 0, 1, none)).unwrap(), GuardDecision::Accept { ended_hold: false });
        assert!(matches!(assess(&input(125 * P + 100, 0, 1, none)).unwrap(), GuardDecision::Hold { .. }));
    }

    #[test]
    fn a_persistent_level_is_confirmed_after_the_confirmation_time() {
        let (decisions, reference) =
            run(&[(61 * P, 1_000), (61 * P, 1_030), (61 * P, 1_059), (61 * P, 1_060)]);
        assert_eq!(
            decisions[0],
            GuardDecision::Hold {
                hold: Hold { side: HoldSide::Below, since_ts: 1_000, sequence: 1, price: 61 * P },
                started: true
            }
        );
        assert!(matches!(decisions[2], GuardDecision::Hold { started: false, .. }));
        assert_eq!(decisions[3], GuardDecision::Confirm { level: 61 * P, held_secs: 60 });
        assert_eq!(reference, 61 * P);
    }

    #[test]
    fn a_continuing_fall_confirms_at_its_least_extreme_print() {
        let (decisions, reference) = run(&[(73 * P, 1_000), (69 * P, 1_030), (61 * P, 1_060)]);
        assert_eq!(decisions[2], GuardDecision::Confirm { level: 73 * P, held_secs: 60 });
        assert_eq!(reference, 73 * P);
    }

    #[test]
    fn a_wick_at_confirmation_time_is_never_used() {
        // A real move to 130, then one print at 300 just as it confirms.
        let (decisions, reference) = run(&[(130 * P, 1_000), (131 * P, 1_030), (300 * P, 1_060)]);
        assert_eq!(reference, 130 * P, "the level that held, not the wick");
        assert!(matches!(decisions[2], GuardDecision::Rebase { level, .. } if level == 130 * P));
        assert!(!decisions[2].accepts());
    }

    #[test]
    fn a_spike_that_reverts_is_never_used() {
        let (decisions, _) = run(&[(200 * P, 1_000), (101 * P, 1_030), (200 * P, 1_061)]);
        assert!(!decisions[0].accepts());
        assert_eq!(decisions[1], GuardDecision::Accept { ended_hold: true });
        // A second spike starts a new hold: the earlier one does not count.
        assert!(matches!(decisions[2], GuardDecision::Hold { started: true, .. }));
    }

    #[test]
    fn crossing_to_the_other_side_restarts_the_hold() {
        let (decisions, _) = run(&[(50 * P, 1_000), (150 * P, 1_050), (150 * P, 1_100)]);
        assert!(matches!(decisions[1], GuardDecision::Hold { started: true, .. }));
        assert!(!decisions[2].accepts());
    }

    #[test]
    fn only_a_newer_update_published_after_the_hold_began_confirms() {
        let hold = Hold { side: HoldSide::Below, since_ts: 1_000, sequence: 7, price: 50 * P };
        // The same update read again a minute later.
        let same = assess(&input(50 * P, 1_060, 7, hold)).unwrap();
        assert!(!same.accepts());
        // A newer update, but published before the hold began.
        let old = assess(&GuardInput { observed_ts: 990, ..input(50 * P, 1_060, 8, hold) }).unwrap();
        assert!(!old.accepts());
        // Not enough cluster time.
        assert!(!assess(&input(50 * P, 1_059, 8, hold)).unwrap().accepts());
        assert!(assess(&input(50 * P, 1_060, 8, hold)).unwrap().accepts());
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
                    price: level, reference: 100 * P, band_bps: band, confirmation_secs: confirmation,
                    now_ts: ts, observed_ts: ts, sequence: i + 1, hold,
                }).unwrap();
                match decision {
                    GuardDecision::Hold { hold: h, .. } => hold = h,
                    GuardDecision::Rebase { .. } => prop_assert!(false, "a steady level rebases"),
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
                let base = input(spike * P, 5_000 + i * step, i + 1, hold);
                let decision = assess(&GuardInput { confirmation_secs: confirmation, ..base }).unwrap();
                prop_assert!(!decision.accepts());
                if let GuardDecision::Hold { hold: h, .. } = decision { hold = h; }
            }
        }
    }
}

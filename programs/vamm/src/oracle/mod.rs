//! Oracle adapters. Each source is read into one `OraclePrice` in
//! `PRICE_PRECISION`; `market_price` applies the market's validity rules
//! (pinned account, owner, feed id, verification, age, monotonic updates,
//! confidence width, Switchboard sample count) and the consensus band
//! between two sources; `read_and_record` and `usable_price` add the jump
//! guard of `math::price_guard`.

pub mod pyth;
pub mod switchboard;

use crate::constants::BPS_DENOMINATOR;
use crate::error::VammError;
use crate::events::{OraclePriceHeld, OraclePriceHoldEnded};
use crate::math::price_guard::{assess, require_accepted, GuardDecision, GuardInput, Hold, HoldSide};
use crate::math::safe::mul_div_u64;
use crate::math::stable_price::step_toward;
use crate::state::{Market, OracleConfig, OracleSet, OracleSource, PriceGuard};
use anchor_lang::prelude::*;

/// The cluster time an oracle is read at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleClock {
    /// Unix seconds.
    pub unix_ts: i64,
    pub slot: u64,
}

impl OracleClock {
    pub fn now() -> Result<Self> {
        let clock = Clock::get()?;
        Ok(OracleClock { unix_ts: clock.unix_timestamp, slot: clock.slot })
    }
}

/// A price read from one source, normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePrice {
    /// `PRICE_PRECISION`.
    pub price: u64,
    /// Confidence (Pyth) or standard deviation (Switchboard), `PRICE_PRECISION`.
    pub confidence: u64,
    /// When the value was observed, unix seconds: Pyth's publish time, or
    /// for Switchboard the clock minus the age of the result's slot.
    pub observed_ts: i64,
    /// Orders the updates of one source: Pyth's publish time, Switchboard's
    /// result slot.
    pub sequence: i64,
}

/// The market's validated price and the updates it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketPrice {
    /// The primary's price, `PRICE_PRECISION`.
    pub price: u64,
    /// The older observation time of the sources used, unix seconds.
    pub observed_ts: i64,
    pub primary_sequence: i64,
    /// 0 when the market has no secondary.
    pub secondary_sequence: i64,
}

/// Reads the market's oracle(s) and passes the price through the jump
/// guard, recording what it saw: the updates used (older ones are refused
/// later), the start, progress and end of a hold, and on confirmation the
/// new level as the oracle TWAP. Returns the price when the market may use
/// it, `OracleJumpUnconfirmed` while it is held. Callers that succeed
/// despite a held price (the `update_twaps` crank, reductions) keep the
/// recorded hold; the others are reverted whole.
pub fn read_and_record(
    market: &mut Market,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
    clock: OracleClock,
) -> Result<MarketPrice> {
    let price = market_price(&market.oracle, primary, secondary, clock)?;
    market.oracle.last_primary_sequence = price.primary_sequence;
    market.oracle.last_secondary_sequence = price.secondary_sequence;
    let decision = assess(&guard_input(market, &price, clock))?;
    let market_index = market.market_index;
    match decision {
        GuardDecision::Accept { ended_hold } => {
            if ended_hold {
                let guard = &mut market.price_guard;
                let held_secs = clock.unix_ts.saturating_sub(guard.hold_since_ts);
                guard.holds_reverted = guard.holds_reverted.saturating_add(1);
                end_hold(guard);
                emit_event!(OraclePriceHoldEnded {
                    market_index,
                    confirmed: false,
                    price: price.price,
                    level: 0,
                    held_secs,
                    ts: clock.unix_ts
                });
            }
        }
        GuardDecision::Hold { hold, started } => {
            record_hold(market, &hold, started, &price);
            return err!(VammError::OracleJumpUnconfirmed);
        }
        GuardDecision::Confirm { level, held_secs } => {
            confirm_level(market, level, held_secs, price.price, clock);
        }
        GuardDecision::Rebase { level, held_secs, hold } => {
            // The level that held is accepted; the confirming print, itself
            // outside the band around it, is held in turn.
            confirm_level(market, level, held_secs, price.price, clock);
            record_hold(market, &hold, true, &price);
            return err!(VammError::OracleJumpUnconfirmed);
        }
    }
    market.oracle.last_price = price.price;
    let stable = &mut market.stable_price;
    stable.price = step_toward(stable.price, price.price, clock.unix_ts.saturating_sub(stable.updated_ts))?;
    stable.updated_ts = clock.unix_ts;
    Ok(price)
}

/// Points `market` at the oracle set `set` and reads it as every
/// instruction does: the new sources must give a valid price now, passing
/// the market's checks. The price goes through the jump guard like any
/// other: one outside the jump band of the oracle TWAP starts a hold and
/// is accepted once it persists for the confirmation time, so a switch
/// moves the market's price no faster than its oracle could, and rescues a
/// market whose old oracle died (mid-hold or after a move beyond the band).
/// A hold of the old sources ends: their updates mean nothing now. Returns
/// the price, or `None` when it is held.
pub fn switch_sources(
    market: &mut Market,
    set: &OracleSet,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
    clock: OracleClock,
) -> Result<Option<MarketPrice>> {
    end_hold(&mut market.price_guard);
    let config = &mut market.oracle;
    config.primary = set.primary_oracle;
    config.primary_source = set.primary_source.to_u8();
    config.primary_feed_id = set.primary_feed_id;
    config.secondary = set.secondary_oracle.unwrap_or_default();
    config.secondary_source = set.secondary_source.map_or(0, OracleSource::to_u8);
    config.secondary_feed_id = set.secondary_feed_id;
    // New feeds have their own sequences.
    config.last_primary_sequence = 0;
    config.last_secondary_sequence = 0;
    match read_and_record(market, primary, secondary, clock) {
        Ok(price) => Ok(Some(price)),
        // The hold is recorded and kept: the switch stands.
        Err(error) if error == VammError::OracleJumpUnconfirmed.into() => Ok(None),
        Err(error) => Err(error),
    }
}

fn end_hold(guard: &mut PriceGuard) {
    guard.hold_side = HoldSide::None.to_u8();
    guard.hold_since_ts = 0;
    guard.hold_price = 0;
    guard.hold_sequence = 0;
}

/// Records a hold's start or progress (and the event on its start).
fn record_hold(market: &mut Market, hold: &Hold, started: bool, price: &MarketPrice) {
    let reference = market.funding.oracle_twap;
    let market_index = market.market_index;
    let guard = &mut market.price_guard;
    guard.hold_side = hold.side.to_u8();
    guard.hold_since_ts = hold.since_ts;
    guard.hold_sequence = hold.sequence;
    guard.hold_price = hold.price;
    if started {
        emit_event!(OraclePriceHeld {
            market_index,
            price: price.price,
            reference,
            side: hold.side.to_u8(),
            since_ts: hold.since_ts,
            confirmable_at_ts: guard.confirmable_at().unwrap_or(hold.since_ts),
        });
    }
}

/// Ends a hold as confirmed: `level` is the reference from now on.
fn confirm_level(market: &mut Market, level: u64, held_secs: i64, price: u64, clock: OracleClock) {
    let market_index = market.market_index;
    let guard = &mut market.price_guard;
    guard.holds_confirmed = guard.holds_confirmed.saturating_add(1);
    end_hold(guard);
    market.funding.oracle_twap = level;
    market.funding.oracle_twap_ts = clock.unix_ts;
    emit_event!(OraclePriceHoldEnded {
        market_index,
        confirmed: true,
        price,
        level,
        held_secs,
        ts: clock.unix_ts
    });
}

fn guard_input(market: &Market, price: &MarketPrice, clock: OracleClock) -> GuardInput {
    GuardInput {
        price: price.price,
        reference: market.funding.oracle_twap,
        band_bps: market.oracle.max_jump_bps,
        confirmation_secs: market.price_guard.confirmation_secs,
        now_ts: clock.unix_ts,
        observed_ts: price.observed_ts,
        sequence: price.primary_sequence,
        hold: market.price_guard.hold(),
    }
}

/// The price a market would use now, without recording anything: every
/// validity rule of `read_and_record`, the jump guard included (a hold
/// that has lasted its confirmation time counts as confirmed). This is how
/// markets passed as remaining accounts, and the client, value positions.
pub fn usable_price(
    market: &Market,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
    clock: OracleClock,
) -> Result<MarketPrice> {
    let price = market_price(&market.oracle, primary, secondary, clock)?;
    require_accepted(&assess(&guard_input(market, &price, clock))?)?;
    Ok(price)
}

/// Rules every source's reading must satisfy.
struct Limits {
    clock: OracleClock,
    max_staleness_secs: u32,
    max_confidence_bps: u16,
    min_samples: u8,
}

/// Reads and validates the market's oracle(s): everything but the jump
/// guard, which needs the market's state.
pub fn market_price(
    config: &OracleConfig,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
    clock: OracleClock,
) -> Result<MarketPrice> {
    let limits = Limits {
        clock,
        max_staleness_secs: config.max_staleness_secs,
        max_confidence_bps: config.max_confidence_bps,
        min_samples: config.min_samples,
    };
    let primary_source = OracleSource::from_u8(config.primary_source)?
        .ok_or_else(|| error!(VammError::InvalidOracleConfig))?;
    let first = read_checked(
        primary,
        &config.primary,
        primary_source,
        &config.primary_feed_id,
        config.last_primary_sequence,
        &limits,
    )?;
    let Some(secondary_source) = OracleSource::from_u8(config.secondary_source)? else {
        return Ok(MarketPrice {
            price: first.price,
            observed_ts: first.observed_ts,
            primary_sequence: first.sequence,
            secondary_sequence: 0,
        });
    };
    let secondary = secondary.ok_or_else(|| error!(VammError::MissingOracleAccount))?;
    let second = read_checked(
        secondary,
        &config.secondary,
        secondary_source,
        &config.secondary_feed_id,
        config.last_secondary_sequence,
        &limits,
    )?;
    check_consensus(first.price, second.price, config.consensus_band_bps)?;
    Ok(MarketPrice {
        price: first.price,
        observed_ts: first.observed_ts.min(second.observed_ts),
        primary_sequence: first.sequence,
        secondary_sequence: second.sequence,
    })
}

fn read_checked(
    account: &AccountInfo,
    pinned: &Pubkey,
    source: OracleSource,
    feed_id: &[u8; 32],
    last_sequence: i64,
    limits: &Limits,
) -> Result<OraclePrice> {
    require_keys_eq!(*account.key, *pinned, VammError::OracleWrongAccount);
    let reading = read_source(account, source, feed_id, limits.clock, limits.min_samples)?;
    validate_reading(&reading, last_sequence, limits)?;
    Ok(reading)
}

/// Owner, decoding, feed id and verification checks of one source (and
/// for Switchboard, the sample count).
pub fn read_source(
    account: &AccountInfo,
    source: OracleSource,
    feed_id: &[u8; 32],
    clock: OracleClock,
    min_samples: u8,
) -> Result<OraclePrice> {
    match source {
        OracleSource::Pyth => pyth::read(account, feed_id),
        OracleSource::Switchboard => switchboard::read(account, feed_id, clock, min_samples),
    }
}

fn validate_reading(reading: &OraclePrice, last_sequence: i64, limits: &Limits) -> Result<()> {
    require!(reading.price > 0, VammError::OracleNonPositivePrice);
    let age = limits.clock.unix_ts.saturating_sub(reading.observed_ts);
    require!(age <= limits.max_staleness_secs as i64, VammError::OracleStale);
    require!(reading.sequence >= last_sequence, VammError::OracleNotMonotonic);
    let width_bps = mul_div_u64(reading.confidence, BPS_DENOMINATOR, reading.price, true)?;
    require!(width_bps <= limits.max_confidence_bps as u64, VammError::OracleConfidenceTooWide);
    Ok(())
}

/// The two sources must agree within `band_bps` of the lower price.
pub fn check_consensus(a: u64, b: u64, band_bps: u16) -> Result<()> {
    let gap_bps = mul_div_u64(a.abs_diff(b), BPS_DENOMINATOR, a.min(b), true)?;
    require!(gap_bps <= band_bps as u64, VammError::OracleDisagreement);
    Ok(())
}

/// Scales `value * 10^exponent` to `PRICE_PRECISION` (6 decimals), rounding
/// toward zero. Refuses exponents no real feed uses.
pub fn scale_to_price_precision(value: u128, exponent: i32) -> Result<u64> {
    require!((-30..=12).contains(&exponent), VammError::OracleInvalidData);
    let shift = exponent + 6;
    let scaled = if shift >= 0 {
        value.checked_mul(10u128.pow(shift as u32))
    } else {
        value.checked_div(10u128.pow((-shift) as u32))
    };
    scaled.and_then(|v| u64::try_from(v).ok()).ok_or_else(|| error!(VammError::OracleInvalidData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_decimal_shift() {
        assert_eq!(scale_to_price_precision(12_345_678_900, -8).unwrap(), 123_456_789);
        assert_eq!(scale_to_price_precision(5, 0).unwrap(), 5_000_000);
        assert_eq!(scale_to_price_precision(1_500_000_000_000_000_000, -18).unwrap(), 1_500_000);
        assert!(scale_to_price_precision(1, 40).is_err());
        assert!(scale_to_price_precision(u128::MAX, 0).is_err());
    }

    #[test]
    fn consensus_band() {
        assert!(check_consensus(100_000_000, 100_500_000, 50).is_ok());
        assert_eq!(
            check_consensus(100_000_000, 101_000_000, 50).unwrap_err(),
            VammError::OracleDisagreement.into()
        );
    }
}

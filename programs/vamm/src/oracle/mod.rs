//! Oracle adapters. Each source is read into one `OraclePrice` in
//! `PRICE_PRECISION`; `market_price` applies the market's validity rules
//! (pinned account, owner, feed id, verification, age, monotonic publish
//! time, confidence width) and the consensus band between two sources.

pub mod pyth;
pub mod switchboard;

use crate::constants::BPS_DENOMINATOR;
use crate::error::VammError;
use crate::math::safe::mul_div_u64;
use crate::state::{Market, OracleConfig, OracleSource};
use anchor_lang::prelude::*;

/// A price read from one source, normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OraclePrice {
    /// `PRICE_PRECISION`.
    pub price: u64,
    /// Confidence (Pyth) or standard deviation (Switchboard), `PRICE_PRECISION`.
    pub confidence: u64,
    /// Unix seconds of the update.
    pub publish_ts: i64,
}

/// The market's validated price and the updates it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketPrice {
    /// The primary's price, `PRICE_PRECISION`.
    pub price: u64,
    pub primary_publish_ts: i64,
    /// 0 when the market has no secondary.
    pub secondary_publish_ts: i64,
}

/// Reads the market's oracle(s), refuses a jump of more than its
/// `max_jump_bps` from the market's oracle TWAP and, when the price is
/// valid, records the updates used (publish times, price) so older
/// updates are refused later.
pub fn read_and_record(
    market: &mut Market,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
    now_ts: i64,
) -> Result<MarketPrice> {
    let price = market_price(&market.oracle, primary, secondary, now_ts)?;
    check_jump(price.price, market.funding.oracle_twap, market.oracle.max_jump_bps)?;
    let config = &mut market.oracle;
    config.last_primary_publish_ts = price.primary_publish_ts;
    config.last_secondary_publish_ts = price.secondary_publish_ts;
    config.last_price = price.price;
    Ok(price)
}

/// Rules every source's reading must satisfy.
struct Limits {
    now_ts: i64,
    max_staleness_secs: u32,
    max_confidence_bps: u16,
}

/// Reads and validates the market's oracle(s).
pub fn market_price(
    config: &OracleConfig,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
    now_ts: i64,
) -> Result<MarketPrice> {
    let limits = Limits {
        now_ts,
        max_staleness_secs: config.max_staleness_secs,
        max_confidence_bps: config.max_confidence_bps,
    };
    let primary_source = OracleSource::from_u8(config.primary_source)?
        .ok_or_else(|| error!(VammError::InvalidOracleConfig))?;
    let first = read_checked(
        primary,
        &config.primary,
        primary_source,
        &config.primary_feed_id,
        config.last_primary_publish_ts,
        &limits,
    )?;
    let Some(secondary_source) = OracleSource::from_u8(config.secondary_source)? else {
        return Ok(MarketPrice {
            price: first.price,
            primary_publish_ts: first.publish_ts,
            secondary_publish_ts: 0,
        });
    };
    let secondary = secondary.ok_or_else(|| error!(VammError::MissingOracleAccount))?;
    let second = read_checked(
        secondary,
        &config.secondary,
        secondary_source,
        &config.secondary_feed_id,
        config.last_secondary_publish_ts,
        &limits,
    )?;
    check_consensus(first.price, second.price, config.consensus_band_bps)?;
    Ok(MarketPrice {
        price: first.price,
        primary_publish_ts: first.publish_ts,
        secondary_publish_ts: second.publish_ts,
    })
}

fn read_checked(
    account: &AccountInfo,
    pinned: &Pubkey,
    source: OracleSource,
    feed_id: &[u8; 32],
    last_publish_ts: i64,
    limits: &Limits,
) -> Result<OraclePrice> {
    require_keys_eq!(*account.key, *pinned, VammError::OracleWrongAccount);
    let reading = read_source(account, source, feed_id)?;
    validate_reading(&reading, last_publish_ts, limits)?;
    Ok(reading)
}

/// Owner, decoding, feed id and verification checks of one source.
pub fn read_source(account: &AccountInfo, source: OracleSource, feed_id: &[u8; 32]) -> Result<OraclePrice> {
    match source {
        OracleSource::Pyth => pyth::read(account, feed_id),
        OracleSource::Switchboard => switchboard::read(account, feed_id),
    }
}

fn validate_reading(reading: &OraclePrice, last_publish_ts: i64, limits: &Limits) -> Result<()> {
    require!(reading.price > 0, VammError::OracleNonPositivePrice);
    let age = limits.now_ts.saturating_sub(reading.publish_ts);
    require!(age <= limits.max_staleness_secs as i64, VammError::OracleStale);
    require!(reading.publish_ts >= last_publish_ts, VammError::OracleNotMonotonic);
    let width_bps = mul_div_u64(reading.confidence, BPS_DENOMINATOR, reading.price, true)?;
    require!(width_bps <= limits.max_confidence_bps as u64, VammError::OracleConfidenceTooWide);
    Ok(())
}

/// A price may not jump more than `max_jump_bps` away from the TWAP.
pub fn check_jump(price: u64, twap: u64, max_jump_bps: u16) -> Result<()> {
    if twap == 0 {
        return Ok(());
    }
    let jump_bps = mul_div_u64(price.abs_diff(twap), BPS_DENOMINATOR, twap, true)?;
    require!(jump_bps <= max_jump_bps as u64, VammError::OracleJump);
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
    fn jump_against_the_twap() {
        assert!(check_jump(120_000_000, 100_000_000, 2_000).is_ok());
        assert_eq!(check_jump(121_000_000, 100_000_000, 2_000).unwrap_err(), VammError::OracleJump.into());
        assert!(check_jump(1, 0, 0).is_ok());
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

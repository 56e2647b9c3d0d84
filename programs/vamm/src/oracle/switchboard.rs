//! Switchboard On-Demand pull feeds (`PullFeedAccountData`).
//!
//! The account holds 128-bit fields, and account data is only 8-byte
//! aligned, so instead of casting the whole struct (which panics on hosts
//! where `i128` is 16-byte aligned) the few fields needed are read at their
//! fixed offsets after checking the owner and the discriminator. The
//! offsets are those of the SDK's `#[repr(C)]` layout (3,200 bytes after
//! the 8-byte discriminator), asserted against the SDK in the test suite.
//!
//! Freshness is measured from the oldest sample the result aggregates (its
//! `min_slot`, or its slot when that is unset), not from when the account
//! was last written (a crank can rewrite an old result): the age in slots
//! is converted to seconds at the cluster's target of 400 ms a slot,
//! rounded up. The result's slot orders updates.

use super::{scale_to_price_precision, OracleClock, OraclePrice};
use crate::error::VammError;
use anchor_lang::prelude::*;

/// Switchboard On-Demand program (mainnet).
pub const PROGRAM_ID: Pubkey = pubkey!("SBondMDrcV3K4kxZR1HNVT7osZxAHVHgYXL5Ze1oMUv");
/// `sha256("account:PullFeedAccountData")[..8]`.
pub const DISCRIMINATOR: [u8; 8] = [196, 27, 108, 196, 10, 215, 219, 40];
/// Size of the account data, discriminator included.
pub const ACCOUNT_LEN: usize = 8 + 3_200;
/// Values are fixed point with 18 decimals.
pub const VALUE_EXPONENT: i32 = -18;

/// Field offsets in the account data (discriminator included).
pub mod offsets {
    pub const FEED_HASH: usize = 8 + 2_112;
    pub const RESULT_VALUE: usize = 8 + 2_256;
    pub const RESULT_STD_DEV: usize = 8 + 2_272;
    pub const RESULT_NUM_SAMPLES: usize = 8 + 2_352;
    pub const RESULT_SLOT: usize = 8 + 2_360;
    pub const RESULT_MIN_SLOT: usize = 8 + 2_368;
}

/// Milliseconds per slot the age conversion assumes (the cluster's target).
pub const MS_PER_SLOT: u64 = 400;

pub fn read(
    account: &AccountInfo,
    feed_hash: &[u8; 32],
    clock: OracleClock,
    min_samples: u8,
) -> Result<OraclePrice> {
    require_keys_eq!(*account.owner, PROGRAM_ID, VammError::OracleWrongOwner);
    let data = account.try_borrow_data()?;
    require!(data.len() >= ACCOUNT_LEN && data[..8] == DISCRIMINATOR, VammError::OracleInvalidData);
    require!(
        data[offsets::FEED_HASH..offsets::FEED_HASH + 32] == feed_hash[..],
        VammError::OracleWrongFeedId
    );
    // A feed that never produced a result has slot 0; a result cannot be
    // signed after the current slot.
    let result_slot = read_u64(&data, offsets::RESULT_SLOT);
    require!(result_slot != 0 && result_slot <= clock.slot, VammError::OracleInvalidData);
    require!(data[offsets::RESULT_NUM_SAMPLES] >= min_samples.max(1), VammError::OracleTooFewSamples);
    let min_slot = read_u64(&data, offsets::RESULT_MIN_SLOT);
    let oldest_slot = if min_slot == 0 { result_slot } else { min_slot.min(result_slot) };
    let value = read_i128(&data, offsets::RESULT_VALUE);
    let std_dev = read_i128(&data, offsets::RESULT_STD_DEV);
    require!(value > 0, VammError::OracleNonPositivePrice);
    require!(std_dev >= 0, VammError::OracleInvalidData);
    Ok(OraclePrice {
        price: scale_to_price_precision(value as u128, VALUE_EXPONENT)?,
        confidence: scale_to_price_precision(std_dev as u128, VALUE_EXPONENT)?,
        observed_ts: clock.unix_ts.saturating_sub(slot_age_secs(clock.slot - oldest_slot)),
        sequence: i64::try_from(result_slot).map_err(|_| error!(VammError::OracleInvalidData))?,
    })
}

/// Seconds `slots` take at `MS_PER_SLOT`, rounded up (older, never fresher).
pub fn slot_age_secs(slots: u64) -> i64 {
    let ms = (slots as u128) * MS_PER_SLOT as u128;
    i64::try_from(ms.div_ceil(1_000)).unwrap_or(i64::MAX)
}

fn read_u64(data: &[u8], offset: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&data[offset..offset + 8]);
    u64::from_le_bytes(bytes)
}

fn read_i128(data: &[u8], offset: usize) -> i128 {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&data[offset..offset + 16]);
    i128::from_le_bytes(bytes)
}

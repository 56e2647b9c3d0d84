//! Switchboard On-Demand pull feeds (`PullFeedAccountData`).
//!
//! The account holds 128-bit fields, and account data is only 8-byte
//! aligned, so instead of casting the whole struct (which panics on hosts
//! where `i128` is 16-byte aligned) the few fields needed are read at their
//! fixed offsets after checking the owner and the discriminator. The
//! offsets are those of the SDK's `#[repr(C)]` layout (3,200 bytes after
//! the 8-byte discriminator), asserted against the SDK in the test suite.

use super::{scale_to_price_precision, OraclePrice};
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
    pub const LAST_UPDATE_TIMESTAMP: usize = 8 + 2_208;
    pub const RESULT_VALUE: usize = 8 + 2_256;
    pub const RESULT_STD_DEV: usize = 8 + 2_272;
    pub const RESULT_SLOT: usize = 8 + 2_360;
}

pub fn read(account: &AccountInfo, feed_hash: &[u8; 32]) -> Result<OraclePrice> {
    require_keys_eq!(*account.owner, PROGRAM_ID, VammError::OracleWrongOwner);
    let data = account.try_borrow_data()?;
    require!(data.len() >= ACCOUNT_LEN && data[..8] == DISCRIMINATOR, VammError::OracleInvalidData);
    require!(
        data[offsets::FEED_HASH..offsets::FEED_HASH + 32] == feed_hash[..],
        VammError::OracleWrongFeedId
    );
    // A feed that never produced a result has slot 0.
    require!(read_u64(&data, offsets::RESULT_SLOT) != 0, VammError::OracleInvalidData);
    let value = read_i128(&data, offsets::RESULT_VALUE);
    let std_dev = read_i128(&data, offsets::RESULT_STD_DEV);
    require!(value > 0, VammError::OracleNonPositivePrice);
    require!(std_dev >= 0, VammError::OracleInvalidData);
    Ok(OraclePrice {
        price: scale_to_price_precision(value as u128, VALUE_EXPONENT)?,
        confidence: scale_to_price_precision(std_dev as u128, VALUE_EXPONENT)?,
        publish_ts: read_u64(&data, offsets::LAST_UPDATE_TIMESTAMP) as i64,
    })
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

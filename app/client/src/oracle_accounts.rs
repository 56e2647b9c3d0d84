//! Oracle accounts in the real byte layouts of each SDK, owned by the real
//! oracle program ids, written as an oracle publisher would.

use anchor_lang::AccountSerialize;
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_account::Account;
use switchboard_on_demand::{Discriminator as _, PullFeedAccountData};
use vamm::oracle::switchboard;
use vamm::oracle::OracleClock;
use vamm::state::OracleSource;

/// Pyth prices in tests use exponent -8, as Pyth's crypto feeds do.
pub const PYTH_EXPONENT: i32 = -8;

#[derive(Clone, Copy, Debug)]
pub struct PythUpdate {
    pub feed_id: [u8; 32],
    /// `PRICE_PRECISION` (6 decimals); written with exponent -8.
    pub price: u64,
    /// `PRICE_PRECISION`.
    pub confidence: u64,
    pub publish_time: i64,
    pub verification: VerificationLevel,
}

pub fn pyth_account(update: &PythUpdate) -> Account {
    let message = PriceFeedMessage {
        feed_id: update.feed_id,
        price: update.price as i64 * 100,
        conf: update.confidence * 100,
        exponent: PYTH_EXPONENT,
        publish_time: update.publish_time,
        prev_publish_time: update.publish_time - 1,
        ema_price: update.price as i64 * 100,
        ema_conf: update.confidence * 100,
    };
    let account = PriceUpdateV2 {
        write_authority: anchor_lang::prelude::Pubkey::new_unique(),
        verification_level: update.verification,
        price_message: message,
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    account.try_serialize(&mut data).expect("serialize PriceUpdateV2");
    // The receiver allocates LEN bytes (room for `Partial { num_signatures }`);
    // a `Full` update leaves the last byte zero.
    assert!(data.len() <= PriceUpdateV2::LEN, "PriceUpdateV2 layout");
    data.resize(PriceUpdateV2::LEN, 0);
    Account {
        lamports: 10_000_000,
        data,
        owner: pyth_solana_receiver_sdk::ID,
        executable: false,
        rent_epoch: 0,
    }
}

#[derive(Clone, Copy, Debug)]
pub struct SwitchboardUpdate {
    pub feed_hash: [u8; 32],
    /// `PRICE_PRECISION`; written as an 18-decimal value.
    pub price: u64,
    /// `PRICE_PRECISION`.
    pub std_dev: u64,
    /// When the account was last written, unix seconds.
    pub timestamp: i64,
    /// Slot the result was signed at: freshness is measured from it.
    pub slot: u64,
    /// Oracle samples the result aggregates.
    pub num_samples: u8,
}

pub fn switchboard_account(update: &SwitchboardUpdate) -> Account {
    let mut feed: Box<PullFeedAccountData> = Box::new(bytemuck::Zeroable::zeroed());
    feed.feed_hash = update.feed_hash;
    feed.last_update_timestamp = update.timestamp;
    feed.result.value = update.price as i128 * 1_000_000_000_000;
    feed.result.mean = feed.result.value;
    feed.result.std_dev = update.std_dev as i128 * 1_000_000_000_000;
    feed.result.slot = update.slot;
    feed.result.min_slot = update.slot;
    feed.result.max_slot = update.slot;
    feed.result.num_samples = update.num_samples;
    feed.max_staleness = 100;
    let mut data = PullFeedAccountData::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(feed.as_ref()));
    assert_eq!(data.len(), switchboard::ACCOUNT_LEN, "PullFeedAccountData layout");
    Account {
        lamports: 10_000_000,
        data,
        owner: switchboard_on_demand::ON_DEMAND_MAINNET_PID.to_bytes().into(),
        executable: false,
        rent_epoch: 0,
    }
}

/// Samples a Switchboard result written by `price_account` aggregates.
pub const SWITCHBOARD_SAMPLES: u8 = 5;

/// A fully verified update of `source` for `feed_id` at `price` with
/// `confidence` (both `PRICE_PRECISION`), observed at `clock` (Pyth's
/// publish time, Switchboard's result slot): what an oracle publisher
/// writes.
pub fn price_account(
    source: OracleSource,
    feed_id: [u8; 32],
    price: u64,
    confidence: u64,
    clock: OracleClock,
) -> Account {
    match source {
        OracleSource::Pyth => pyth_account(&PythUpdate {
            feed_id,
            price,
            confidence,
            publish_time: clock.unix_ts,
            verification: VerificationLevel::Full,
        }),
        OracleSource::Switchboard => switchboard_account(&SwitchboardUpdate {
            feed_hash: feed_id,
            price,
            std_dev: confidence,
            timestamp: clock.unix_ts,
            slot: clock.slot,
            num_samples: SWITCHBOARD_SAMPLES,
        }),
    }
}

/// The program reads Switchboard fields by offset; these must be the SDK's.
#[test]
fn switchboard_offsets_match_the_sdk() {
    use std::mem::{offset_of, size_of};
    type Feed = PullFeedAccountData;
    type Result = switchboard_on_demand::CurrentResult;
    assert_eq!(size_of::<Feed>() + 8, switchboard::ACCOUNT_LEN);
    assert_eq!(PullFeedAccountData::DISCRIMINATOR, switchboard::DISCRIMINATOR);
    assert_eq!(switchboard_on_demand::ON_DEMAND_MAINNET_PID.to_bytes(), switchboard::PROGRAM_ID.to_bytes());
    let o = switchboard::offsets::FEED_HASH;
    assert_eq!(8 + offset_of!(Feed, feed_hash), o);
    let result = 8 + offset_of!(Feed, result);
    assert_eq!(result + offset_of!(Result, value), switchboard::offsets::RESULT_VALUE);
    assert_eq!(result + offset_of!(Result, std_dev), switchboard::offsets::RESULT_STD_DEV);
    assert_eq!(result + offset_of!(Result, num_samples), switchboard::offsets::RESULT_NUM_SAMPLES);
    assert_eq!(result + offset_of!(Result, slot), switchboard::offsets::RESULT_SLOT);
    assert_eq!(result + offset_of!(Result, min_slot), switchboard::offsets::RESULT_MIN_SLOT);
}

//! Pyth pull oracle: `PriceUpdateV2` accounts owned by the Pyth receiver
//! program. Anyone can post a verified update for any feed, so the market
//! pins the account, checks the feed id inside it, accepts only fully
//! verified updates and never an update older than the last one it used.

use super::{scale_to_price_precision, OraclePrice};
use crate::error::VammError;
use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

pub fn read(account: &AccountInfo, feed_id: &[u8; 32]) -> Result<OraclePrice> {
    require_keys_eq!(*account.owner, pyth_solana_receiver_sdk::ID, VammError::OracleWrongOwner);
    let data = account.try_borrow_data()?;
    let update =
        PriceUpdateV2::try_deserialize(&mut &data[..]).map_err(|_| error!(VammError::OracleInvalidData))?;
    let message = &update.price_message;
    require!(message.feed_id == *feed_id, VammError::OracleWrongFeedId);
    require!(update.verification_level == VerificationLevel::Full, VammError::OracleNotVerified);
    require!(message.price > 0, VammError::OracleNonPositivePrice);
    Ok(OraclePrice {
        price: scale_to_price_precision(message.price as u128, message.exponent)?,
        confidence: scale_to_price_precision(message.conf as u128, message.exponent)?,
        observed_ts: message.publish_time,
        sequence: message.publish_time,
    })
}

//! Decoding program accounts from raw account data.

use anchor_lang::{AccountDeserialize, Discriminator};
use solana_account::Account;
use vamm::state::{Exchange, InsuranceStake, Market, Proposal, TraderAccount};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    WrongOwner,
    WrongDiscriminator,
    TooShort,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::WrongOwner => write!(f, "account is not owned by the vAMM program"),
            DecodeError::WrongDiscriminator => write!(f, "account is not of the expected type"),
            DecodeError::TooShort => write!(f, "account data is too short"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Reads a zero-copy program account of type `T` (owner, discriminator and
/// size checked), tolerating any alignment of the data.
pub fn decode<T: bytemuck::Pod + Discriminator>(account: &Account) -> Result<T, DecodeError> {
    if account.owner != vamm::ID {
        return Err(DecodeError::WrongOwner);
    }
    decode_data(&account.data)
}

pub fn decode_data<T: bytemuck::Pod + Discriminator>(data: &[u8]) -> Result<T, DecodeError> {
    let size = std::mem::size_of::<T>();
    if data.len() < 8 + size {
        return Err(DecodeError::TooShort);
    }
    if &data[..8] != T::DISCRIMINATOR {
        return Err(DecodeError::WrongDiscriminator);
    }
    Ok(bytemuck::pod_read_unaligned(&data[8..8 + size]))
}

pub fn exchange(account: &Account) -> Result<Exchange, DecodeError> {
    decode(account)
}
pub fn market(account: &Account) -> Result<Market, DecodeError> {
    decode(account)
}
pub fn trader_account(account: &Account) -> Result<TraderAccount, DecodeError> {
    decode(account)
}
pub fn insurance_stake(account: &Account) -> Result<InsuranceStake, DecodeError> {
    decode(account)
}

/// Reads a governance proposal (a Borsh account).
pub fn proposal(account: &Account) -> Result<Proposal, DecodeError> {
    if account.owner != vamm::ID {
        return Err(DecodeError::WrongOwner);
    }
    if account.data.get(..8) != Some(Proposal::DISCRIMINATOR) {
        return Err(DecodeError::WrongDiscriminator);
    }
    Proposal::try_deserialize(&mut account.data.as_slice()).map_err(|_| DecodeError::TooShort)
}

/// A market's name as text.
pub fn market_name(market: &Market) -> String {
    let end = market.name.iter().position(|b| *b == 0).unwrap_or(market.name.len());
    String::from_utf8_lossy(&market.name[..end]).into_owned()
}

use anchor_lang::prelude::*;

/// One staker's position in the insurance fund, PDA
/// `["insurance_stake", owner]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct InsuranceStake {
    pub owner: Pubkey,
    /// Shares held (including those requested for unstaking, which keep
    /// earning and keep bearing losses until paid out).
    pub shares: u64,
    /// Shares requested for unstaking (0 when none).
    pub unstake_shares: u64,
    /// When the request was made, unix seconds.
    pub unstake_request_ts: i64,
    /// Lifetime deposits and withdrawals, quote native.
    pub total_staked: u64,
    pub total_unstaked: u64,
    pub bump: u8,
    pub padding: [u8; 3],
    /// `InsuranceFund::share_epoch` the shares belong to; shares of an
    /// earlier epoch are void.
    pub share_epoch: u32,
    /// When the pending unstake request may be carried out, and until
    /// when, unix seconds: fixed at request time.
    pub unstake_available_ts: i64,
    pub unstake_expires_ts: i64,
    pub reserved: [u8; 48],
}

impl InsuranceStake {
    pub const SIZE: usize = 8 + std::mem::size_of::<InsuranceStake>();
}

const _: () = assert!(std::mem::size_of::<InsuranceStake>() == 144);
const _: () = assert!(std::mem::align_of::<InsuranceStake>() <= 8);

use anchor_lang::prelude::*;

/// The exchange's global configuration. One per program, PDA `["exchange"]`.
/// Written only by admin actions and account creation, never by trades, so
/// it is no write-lock hot spot.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Exchange {
    /// May list markets and change parameters (a multisig in production).
    pub admin: Pubkey,
    /// May only pause.
    pub guardian: Pubkey,
    /// The collateral mint (USDC).
    pub collateral_mint: Pubkey,
    /// Token account PDA `["vault", exchange]` holding all trader collateral,
    /// PnL pools, fee pools and the treasury.
    pub vault: Pubkey,
    /// Token account PDA `["insurance_vault", exchange]` holding insurance
    /// fund stakes.
    pub insurance_vault: Pubkey,
    /// Trader accounts ever created.
    pub trader_account_count: u64,
    pub insurance: InsuranceFund,
    /// Markets listed; the next market's index.
    pub market_count: u16,
    pub bump: u8,
    pub vault_bump: u8,
    pub insurance_vault_bump: u8,
    /// Decimals of the collateral mint (6 for USDC).
    pub collateral_decimals: u8,
    pub padding: [u8; 2],
    /// Proposed next admin (`propose_admin`), who must accept; the default
    /// key when no transfer is pending.
    pub pending_admin: Pubkey,
    /// Collateral token account protocol fees are paid to by
    /// `withdraw_treasury` (the default key until governance sets one
    /// through the timelock).
    pub treasury: Pubkey,
    /// Wait between queueing a governance change and its earliest
    /// execution, seconds (`constants::timelock`).
    pub timelock_delay_secs: u32,
    pub padding2: [u8; 4],
    /// Proposals ever queued; the next proposal's id.
    pub proposal_count: u64,
    /// The address lookup table clients compile version-0 transactions
    /// against (`set_lookup_table`); the default key when none is set.
    /// Only a pointer for clients: every account a transaction names is
    /// still checked by the instruction that uses it.
    pub lookup_table: Pubkey,
    pub reserved: [u8; 16],
}

/// The insurance fund's ledger. Its tokens sit in the insurance vault;
/// shares are priced against `balance` (see `math::shares`).
#[zero_copy]
#[derive(Debug, Default)]
pub struct InsuranceFund {
    /// Quote native the fund holds (tokens sent to the vault directly are
    /// not counted).
    pub balance: u64,
    /// Staker shares outstanding.
    pub total_shares: u64,
    /// Bad debt the fund has paid over its life, quote native.
    pub bad_debt_paid: u64,
    /// Fee revenue received over its life, quote native.
    pub revenue: u64,
    /// Wait between `request_unstake` and `unstake`, seconds.
    pub unstake_cooldown_secs: u32,
    /// Share generation: bumped when losses wiped the fund out (its share
    /// price fell below a thousandth of the first one), which voids every
    /// share of earlier generations so the fund can be recapitalised.
    pub share_epoch: u32,
}

impl Exchange {
    pub const SIZE: usize = 8 + std::mem::size_of::<Exchange>();
}

const _: () = assert!(std::mem::size_of::<Exchange>() == 344);
const _: () = assert!(std::mem::align_of::<Exchange>() <= 8);

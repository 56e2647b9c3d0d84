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
    /// Markets listed; the next market's index.
    pub market_count: u16,
    pub bump: u8,
    pub vault_bump: u8,
    pub insurance_vault_bump: u8,
    /// Decimals of the collateral mint (6 for USDC).
    pub collateral_decimals: u8,
    pub padding: [u8; 2],
    pub reserved: [u8; 128],
}

impl Exchange {
    pub const SIZE: usize = 8 + std::mem::size_of::<Exchange>();
}

const _: () = assert!(std::mem::size_of::<Exchange>() == 304);
const _: () = assert!(std::mem::align_of::<Exchange>() <= 8);

use crate::constants::{insurance, seeds, timelock, QUOTE_DECIMALS};
use crate::error::VammError;
use crate::events::ExchangeInitialized;
use crate::state::Exchange;
use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Creates the exchange, its collateral vault and its insurance vault. Only
/// the program's upgrade authority may call it, and it becomes the admin:
/// nobody can take the exchange over between deploy and initialisation.
/// Run it in the deploy step (`migrations/`); the exchange PDA is unique,
/// so a second call fails.
#[derive(Accounts)]
pub struct InitializeExchange<'info> {
    /// Must be the program's upgrade authority.
    #[account(mut)]
    pub admin: Signer<'info>,
    /// CHECK: the program's ProgramData account (BPF upgradeable loader, at
    /// its PDA of the program id), read in the handler for the authority.
    pub program_data: UncheckedAccount<'info>,
    #[account(init, payer = admin, space = Exchange::SIZE, seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    pub collateral_mint: Account<'info, Mint>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::VAULT, exchange.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = exchange,
    )]
    pub vault: Account<'info, TokenAccount>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::INSURANCE_VAULT, exchange.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = exchange,
    )]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handle_initialize_exchange(ctx: Context<InitializeExchange>, guardian: Pubkey) -> Result<()> {
    let accounts = &ctx.accounts;
    let program_data = &accounts.program_data;
    require_keys_eq!(
        program_data.key(),
        bpf_loader_upgradeable::get_program_data_address(&crate::ID),
        VammError::NotUpgradeAuthority
    );
    require_keys_eq!(*program_data.owner, bpf_loader_upgradeable::ID, VammError::NotUpgradeAuthority);
    let authority = upgrade_authority(&program_data.try_borrow_data()?)?;
    require!(authority == Some(accounts.admin.key()), VammError::NotUpgradeAuthority);
    // All quote math assumes 6 decimals.
    require!(accounts.collateral_mint.decimals == QUOTE_DECIMALS, VammError::WrongCollateralDecimals);
    let mut exchange = accounts.exchange.load_init()?;
    exchange.admin = accounts.admin.key();
    exchange.guardian = guardian;
    exchange.collateral_mint = accounts.collateral_mint.key();
    exchange.collateral_decimals = accounts.collateral_mint.decimals;
    exchange.vault = accounts.vault.key();
    exchange.insurance_vault = accounts.insurance_vault.key();
    exchange.bump = ctx.bumps.exchange;
    exchange.vault_bump = ctx.bumps.vault;
    exchange.insurance_vault_bump = ctx.bumps.insurance_vault;
    exchange.insurance.unstake_cooldown_secs = insurance::DEFAULT_UNSTAKE_COOLDOWN_SECS;
    exchange.timelock_delay_secs = timelock::DEFAULT_DELAY_SECS;
    emit_event!(ExchangeInitialized {
        admin: exchange.admin,
        guardian,
        collateral_mint: exchange.collateral_mint,
        vault: exchange.vault,
        insurance_vault: exchange.insurance_vault,
    });
    Ok(())
}

/// The upgrade authority recorded in a ProgramData account: the loader's
/// bincode layout is a u32 variant tag (3 for ProgramData), the deploy slot
/// (u64), then an `Option<Pubkey>` (one tag byte, 32 bytes).
pub fn upgrade_authority(data: &[u8]) -> Result<Option<Pubkey>> {
    const PROGRAM_DATA_TAG: u32 = 3;
    let header = data.get(..45).ok_or_else(|| error!(VammError::NotUpgradeAuthority))?;
    let tag = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    require!(tag == PROGRAM_DATA_TAG, VammError::NotUpgradeAuthority);
    match header[12] {
        0 => Ok(None),
        1 => Ok(Some(Pubkey::new_from_array(header[13..45].try_into().expect("32 bytes")))),
        _ => err!(VammError::NotUpgradeAuthority),
    }
}

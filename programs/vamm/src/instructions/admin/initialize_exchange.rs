use crate::constants::{insurance, seeds};
use crate::events::ExchangeInitialized;
use crate::state::Exchange;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Creates the exchange, its collateral vault and its insurance vault. The
/// signer becomes the admin. Run it in the deploy step (`migrations/`)
/// right after the program is deployed: the exchange PDA is unique, so a
/// second call fails.
#[derive(Accounts)]
pub struct InitializeExchange<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
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
    emit!(ExchangeInitialized {
        admin: exchange.admin,
        guardian,
        collateral_mint: exchange.collateral_mint,
        vault: exchange.vault,
        insurance_vault: exchange.insurance_vault,
    });
    Ok(())
}

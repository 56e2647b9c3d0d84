use crate::constants::seeds;
use crate::error::VammError;
use crate::events::CollateralDeposited;
use crate::math::safe::SafeMath;
use crate::state::{Exchange, TraderAccount};
use crate::transfers::transfer_from_user;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Moves USDC from the signer's token account into the vault and credits
/// the trader account. The owner or the delegate may deposit.
#[derive(Accounts)]
pub struct Deposit<'info> {
    pub authority: Signer<'info>,
    #[account(
        seeds = [seeds::EXCHANGE],
        bump,
        has_one = vault @ VammError::WrongVault,
        has_one = collateral_mint @ VammError::WrongCollateralMint,
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        constraint = trader_account.load()?.is_owner_or_delegate(authority.key) @ VammError::NotOwnerOrDelegate,
    )]
    pub trader_account: AccountLoader<'info, TraderAccount>,
    #[account(
        mut,
        constraint = source.mint == collateral_mint.key() @ VammError::WrongCollateralMint,
        constraint = source.owner == authority.key() @ VammError::WrongTokenAccountOwner,
    )]
    pub source: Account<'info, TokenAccount>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    require!(amount > 0, VammError::ZeroAmount);
    require!(amount <= ctx.accounts.source.amount, VammError::AmountTooLarge);
    let accounts = &ctx.accounts;
    transfer_from_user(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &accounts.collateral_mint.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.authority.to_account_info(),
        amount,
        accounts.collateral_mint.decimals,
    )?;
    let mut trader = accounts.trader_account.load_mut()?;
    trader.collateral = trader.collateral.safe_add(amount)?;
    trader.total_deposited = trader.total_deposited.safe_add(amount)?;
    emit_event!(CollateralDeposited {
        trader_account: accounts.trader_account.key(),
        depositor: accounts.authority.key(),
        amount,
        collateral_after: trader.collateral,
        ts: Clock::get()?.unix_timestamp,
    });
    Ok(())
}

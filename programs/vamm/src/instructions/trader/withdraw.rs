use crate::constants::seeds;
use crate::controller::price_book::PriceBook;
use crate::error::VammError;
use crate::events::CollateralWithdrawn;
use crate::math::safe::SafeMath;
use crate::oracle::OracleClock;
use crate::state::{Exchange, TraderAccount};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Withdraws free collateral to any token account of the collateral mint
/// except the program's own vaults (tokens sent there would be stranded).
/// Owner only (never the delegate). With open positions, every position's
/// market and its oracle account(s) must be passed as remaining accounts,
/// and every one of those oracles must be valid.
#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(
        seeds = [seeds::EXCHANGE],
        bump,
        has_one = vault @ VammError::WrongVault,
        has_one = collateral_mint @ VammError::WrongCollateralMint,
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = owner @ VammError::NotOwner)]
    pub trader_account: AccountLoader<'info, TraderAccount>,
    #[account(
        mut,
        constraint = destination.mint == collateral_mint.key() @ VammError::WrongCollateralMint,
        constraint = destination.key() != exchange.load()?.vault
            && destination.key() != exchange.load()?.insurance_vault @ VammError::DestinationIsProgramVault,
    )]
    pub destination: Account<'info, TokenAccount>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_withdraw<'info>(ctx: Context<'info, Withdraw<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, VammError::ZeroAmount);
    let clock = OracleClock::now()?;
    let now = clock.unix_ts;
    let free_after = {
        let mut trader = ctx.accounts.trader_account.load_mut()?;
        let mut prices = PriceBook::default();
        prices.add_remaining(ctx.remaining_accounts, &ctx.accounts.exchange.key(), None, clock)?;
        let free = prices.margin(&trader)?.free_collateral()?;
        require!(amount <= free, VammError::InsufficientFreeCollateral);
        trader.collateral = trader.collateral.safe_sub(amount)?;
        trader.total_withdrawn = trader.total_withdrawn.safe_add(amount)?;
        free.safe_sub(amount)?
    };

    let accounts = &ctx.accounts;
    transfer_from_vault(
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.collateral_mint.to_account_info(),
        &accounts.destination.to_account_info(),
        &accounts.exchange.to_account_info(),
        accounts.exchange.load()?.bump,
        amount,
        accounts.collateral_mint.decimals,
    )?;
    emit_event!(CollateralWithdrawn {
        trader_account: accounts.trader_account.key(),
        amount,
        collateral_after: accounts.trader_account.load()?.collateral,
        free_collateral_after: free_after,
        ts: now,
    });
    Ok(())
}

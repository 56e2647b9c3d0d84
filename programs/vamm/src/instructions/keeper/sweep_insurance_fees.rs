use crate::constants::seeds;
use crate::error::VammError;
use crate::events::InsuranceFeesSwept;
use crate::math::safe::SafeMath;
use crate::state::{Exchange, Market};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Moves a market's accrued insurance share of fees (trading and
/// liquidation) from the vault to the insurance vault, raising the share
/// price for stakers. Anyone may call it.
#[derive(Accounts)]
pub struct SweepInsuranceFees<'info> {
    pub cranker: Signer<'info>,
    #[account(
        mut,
        seeds = [seeds::EXCHANGE],
        bump,
        has_one = vault @ VammError::WrongVault,
        has_one = insurance_vault @ VammError::WrongInsuranceVault,
        has_one = collateral_mint @ VammError::WrongCollateralMint,
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_sweep_insurance_fees(ctx: Context<SweepInsuranceFees>) -> Result<()> {
    let accounts = &ctx.accounts;
    let (amount, market_index, balance_after, bump) = {
        let mut exchange = accounts.exchange.load_mut()?;
        let mut market = accounts.market.load_mut()?;
        let amount = market.pools.insurance_pending;
        require!(amount > 0, VammError::ZeroAmount);
        market.pools.insurance_pending = 0;
        exchange.insurance.balance = exchange.insurance.balance.safe_add(amount)?;
        exchange.insurance.revenue = exchange.insurance.revenue.safe_add(amount)?;
        (amount, market.market_index, exchange.insurance.balance, exchange.bump)
    };
    transfer_from_vault(
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.collateral_mint.to_account_info(),
        &accounts.insurance_vault.to_account_info(),
        &accounts.exchange.to_account_info(),
        bump,
        amount,
        accounts.collateral_mint.decimals,
    )?;
    emit_event!(InsuranceFeesSwept { market_index, amount, insurance_balance_after: balance_after });
    Ok(())
}

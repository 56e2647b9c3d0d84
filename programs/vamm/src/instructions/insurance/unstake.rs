use crate::constants::insurance::UNSTAKE_WINDOW_SECS;
use crate::constants::seeds;
use crate::error::VammError;
use crate::events::Unstaked;
use crate::math::safe::SafeMath;
use crate::math::shares::assets_for_shares;
use crate::state::{Exchange, InsuranceStake};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Pays out the requested shares at the share price of this moment, once
/// the cooldown has elapsed and within `UNSTAKE_WINDOW_SECS` after that.
#[derive(Accounts)]
pub struct Unstake<'info> {
    pub owner: Signer<'info>,
    #[account(
        mut,
        seeds = [seeds::EXCHANGE],
        bump,
        has_one = insurance_vault @ VammError::WrongInsuranceVault,
        has_one = collateral_mint @ VammError::WrongCollateralMint,
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, has_one = owner @ VammError::NotOwner)]
    pub stake: AccountLoader<'info, InsuranceStake>,
    #[account(mut, constraint = destination.mint == collateral_mint.key() @ VammError::WrongCollateralMint)]
    pub destination: Account<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_unstake(ctx: Context<Unstake>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = &ctx.accounts;
    let (event, bump) = {
        let mut exchange = accounts.exchange.load_mut()?;
        let mut stake = accounts.stake.load_mut()?;
        let shares = stake.unstake_shares;
        require!(shares > 0, VammError::NoUnstakeRequest);
        let cooldown = exchange.insurance.unstake_cooldown_secs as i64;
        let available = stake.unstake_request_ts.safe_add(cooldown)?;
        require!(now >= available, VammError::CooldownNotElapsed);
        // A request is good for a limited window, so nobody holds a
        // standing exit to use the moment a loss appears.
        require!(now <= available.safe_add(UNSTAKE_WINDOW_SECS as i64)?, VammError::UnstakeRequestExpired);
        let fund = &mut exchange.insurance;
        let amount = assets_for_shares(shares, fund.balance, fund.total_shares)?;
        fund.balance = fund.balance.safe_sub(amount)?;
        fund.total_shares = fund.total_shares.safe_sub(shares)?;
        stake.shares = stake.shares.safe_sub(shares)?;
        stake.unstake_shares = 0;
        stake.total_unstaked = stake.total_unstaked.safe_add(amount)?;
        let event = Unstaked {
            owner: stake.owner,
            shares,
            amount,
            insurance_balance_after: fund.balance,
            total_shares_after: fund.total_shares,
        };
        (event, exchange.bump)
    };
    if event.amount > 0 {
        transfer_from_vault(
            &accounts.token_program.to_account_info(),
            &accounts.insurance_vault.to_account_info(),
            &accounts.collateral_mint.to_account_info(),
            &accounts.destination.to_account_info(),
            &accounts.exchange.to_account_info(),
            bump,
            event.amount,
            accounts.collateral_mint.decimals,
        )?;
    }
    emit!(event);
    Ok(())
}

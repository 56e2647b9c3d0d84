use crate::constants::seeds;
use crate::controller::insurance::{net_balance, pending_bad_debt, sync_epoch};
use crate::error::VammError;
use crate::events::Unstaked;
use crate::math::safe::SafeMath;
use crate::math::shares::assets_for_shares;
use crate::state::{Exchange, InsuranceStake};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Pays out the requested shares at the share price of this moment (the
/// fund's balance net of unresolved bad debt), within the window fixed at
/// request time, to any collateral token account except the program's
/// vaults. Remaining accounts: every listed market, once each.
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
    #[account(
        mut,
        constraint = destination.mint == collateral_mint.key() @ VammError::WrongCollateralMint,
        constraint = destination.key() != exchange.load()?.vault
            && destination.key() != exchange.load()?.insurance_vault @ VammError::DestinationIsProgramVault,
    )]
    pub destination: Account<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_unstake<'info>(ctx: Context<'info, Unstake<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = &ctx.accounts;
    let (event, bump) = {
        let mut exchange = accounts.exchange.load_mut()?;
        let pending =
            pending_bad_debt(ctx.remaining_accounts, &accounts.exchange.key(), exchange.market_count)?;
        let mut stake = accounts.stake.load_mut()?;
        require!(stake.unstake_shares > 0, VammError::NoUnstakeRequest);
        // The window was fixed at request time: a later cooldown change
        // neither expires nor extends it. It is limited, so nobody holds a
        // standing exit to use the moment a loss appears.
        require!(now >= stake.unstake_available_ts, VammError::CooldownNotElapsed);
        require!(now <= stake.unstake_expires_ts, VammError::UnstakeRequestExpired);
        let fund = &mut exchange.insurance;
        let net = net_balance(fund, pending);
        sync_epoch(fund, &mut stake)?;
        // Shares voided by a wipe-out redeem nothing.
        let shares = stake.unstake_shares;
        let amount = if shares == 0 { 0 } else { assets_for_shares(shares, net, fund.total_shares)? };
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
    emit_event!(event);
    Ok(())
}

use crate::constants::seeds;
use crate::controller::insurance::{net_balance, pending_bad_debt, sync_epoch};
use crate::error::VammError;
use crate::events::InsuranceStaked;
use crate::math::safe::SafeMath;
use crate::math::shares::shares_for_deposit;
use crate::state::{Exchange, InsuranceStake};
use crate::transfers::transfer_from_user;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Deposits USDC into the insurance fund for shares priced at the fund's
/// ledger balance net of unresolved bad debt (see `math::shares` and
/// `controller::insurance`); a fund wiped out by losses starts a new share
/// epoch first. Remaining accounts: every listed market, once each.
#[derive(Accounts)]
pub struct StakeInsurance<'info> {
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
        constraint = source.mint == collateral_mint.key() @ VammError::WrongCollateralMint,
        constraint = source.owner == owner.key() @ VammError::WrongTokenAccountOwner,
    )]
    pub source: Account<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_stake_insurance<'info>(ctx: Context<'info, StakeInsurance<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, VammError::ZeroAmount);
    let accounts = &ctx.accounts;
    require!(amount <= accounts.source.amount, VammError::AmountTooLarge);
    let mut exchange = accounts.exchange.load_mut()?;
    let pending = pending_bad_debt(ctx.remaining_accounts, &accounts.exchange.key(), exchange.market_count)?;
    let mut stake = accounts.stake.load_mut()?;
    let fund = &mut exchange.insurance;
    sync_epoch(fund, &mut stake)?;
    // While recorded debt exceeds the fund, a new stake would pay for it.
    require!(fund.total_shares == 0 || pending <= fund.balance, VammError::BadDebtPending);
    let net = net_balance(fund, pending);
    let shares = shares_for_deposit(amount, net, fund.total_shares)?;
    require!(shares > 0, VammError::StakeTooSmall);
    fund.balance = fund.balance.safe_add(amount)?;
    fund.total_shares = fund.total_shares.safe_add(shares)?;
    stake.shares = stake.shares.safe_add(shares)?;
    stake.total_staked = stake.total_staked.safe_add(amount)?;
    transfer_from_user(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &accounts.collateral_mint.to_account_info(),
        &accounts.insurance_vault.to_account_info(),
        &accounts.owner.to_account_info(),
        amount,
        accounts.collateral_mint.decimals,
    )?;
    emit_event!(InsuranceStaked {
        owner: stake.owner,
        amount,
        shares,
        insurance_balance_after: fund.balance,
        total_shares_after: fund.total_shares,
    });
    Ok(())
}

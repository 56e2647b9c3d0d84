use crate::constants::seeds;
use crate::error::VammError;
use crate::events::TreasuryWithdrawn;
use crate::state::{Exchange, Market};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Pays a market's accrued protocol fees (its treasury pool) out of the
/// vault to the exchange's treasury token account, the only place they can
/// go. Anyone may call it, so fees are never locked in the program.
#[derive(Accounts)]
pub struct WithdrawTreasury<'info> {
    pub cranker: Signer<'info>,
    #[account(
        seeds = [seeds::EXCHANGE],
        bump,
        has_one = vault @ VammError::WrongVault,
        has_one = treasury @ VammError::WrongTreasury,
        has_one = collateral_mint @ VammError::WrongCollateralMint,
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    #[account(mut)]
    pub treasury: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_withdraw_treasury(ctx: Context<WithdrawTreasury>) -> Result<()> {
    let accounts = &ctx.accounts;
    let (amount, market_index, bump) = {
        let exchange = accounts.exchange.load()?;
        let mut market = accounts.market.load_mut()?;
        let amount = market.pools.treasury;
        require!(amount > 0, VammError::ZeroAmount);
        market.pools.treasury = 0;
        (amount, market.market_index, exchange.bump)
    };
    transfer_from_vault(
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.collateral_mint.to_account_info(),
        &accounts.treasury.to_account_info(),
        &accounts.exchange.to_account_info(),
        bump,
        amount,
        accounts.collateral_mint.decimals,
    )?;
    emit_event!(TreasuryWithdrawn { market_index, treasury: accounts.treasury.key(), amount });
    Ok(())
}

use crate::constants::seeds;
use crate::controller::bankruptcy::resolve;
use crate::error::VammError;
use crate::events::BankruptcyResolved;
use crate::state::{Exchange, Market, TraderAccount};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Resolves the unpaid loss an account left in a market once it holds no
/// positions: from its collateral, then its claim in that market, then the
/// insurance fund (tokens move from the insurance vault into the vault's
/// PnL pool), and the rest is socialised over the other side's open
/// positions. Anyone may call it.
#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
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
    pub trader_account: AccountLoader<'info, TraderAccount>,
    #[account(mut)]
    pub vault: Account<'info, TokenAccount>,
    #[account(mut)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub collateral_mint: Account<'info, Mint>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_resolve_bankruptcy(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    let accounts = &ctx.accounts;
    let (outcome, market_index, bump) = {
        let mut exchange = accounts.exchange.load_mut()?;
        let mut market = accounts.market.load_mut()?;
        let mut trader = accounts.trader_account.load_mut()?;
        let outcome = resolve(&mut market, &mut trader, &mut exchange.insurance)?;
        (outcome, market.market_index, exchange.bump)
    };
    if outcome.from_insurance > 0 {
        transfer_from_vault(
            &accounts.token_program.to_account_info(),
            &accounts.insurance_vault.to_account_info(),
            &accounts.collateral_mint.to_account_info(),
            &accounts.vault.to_account_info(),
            &accounts.exchange.to_account_info(),
            bump,
            outcome.from_insurance,
            accounts.collateral_mint.decimals,
        )?;
    }
    emit!(BankruptcyResolved {
        market_index,
        trader_account: accounts.trader_account.key(),
        deficit: outcome.deficit,
        from_collateral: outcome.from_collateral,
        from_claims: outcome.from_claims,
        from_insurance: outcome.from_insurance,
        socialised: outcome.socialised,
        unrecovered: outcome.unrecovered,
        socialised_side: outcome.socialised_side,
        index_delta: outcome.index_delta,
        ts: Clock::get()?.unix_timestamp,
    });
    Ok(())
}

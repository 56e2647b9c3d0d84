use crate::constants::seeds;
use crate::controller::bankruptcy::resolve;
use crate::controller::claims::release_final_surplus;
use crate::controller::settlement::pay_pending_profit;
use crate::error::VammError;
use crate::events::BankruptcyResolved;
use crate::math::safe::SafeMath;
use crate::state::{Exchange, Market, TraderAccount};
use crate::transfers::transfer_from_vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

/// Resolves the unpaid loss an account left in a market once it holds no
/// positions (in a settled market, whatever it holds elsewhere): first its
/// claims in other markets are paid into its collateral as far as their
/// pools can, then the loss is covered from its collateral, its claim in
/// that market, the insurance fund (tokens move from the insurance vault
/// into the vault's PnL pool), and the rest is socialised over the other
/// side's open positions (capped per base unit) or recorded as
/// unrecovered. Anyone may call it. Remaining accounts (writable): every
/// other market in which the account holds a claim; a claim a pool cannot
/// pay never blocks the resolution.
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

pub fn handle_resolve_bankruptcy<'info>(ctx: Context<'info, ResolveBankruptcy<'info>>) -> Result<()> {
    let accounts = &ctx.accounts;
    let (outcome, claims_netted, market_index, bump) = {
        let mut exchange = accounts.exchange.load_mut()?;
        let mut market = accounts.market.load_mut()?;
        let mut trader = accounts.trader_account.load_mut()?;
        let claims_netted = net_claims_elsewhere(
            ctx.remaining_accounts,
            &accounts.exchange.key(),
            &accounts.market.key(),
            &market,
            &mut trader,
        )?;
        let outcome = resolve(&mut market, &mut trader, &mut exchange.insurance)?;
        release_final_surplus(&mut market)?;
        (outcome, claims_netted, market.market_index, exchange.bump)
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
    emit_event!(BankruptcyResolved {
        market_index,
        trader_account: accounts.trader_account.key(),
        deficit: outcome.deficit,
        from_collateral: outcome.from_collateral,
        from_claims: outcome.from_claims,
        from_insurance: outcome.from_insurance,
        socialised_onto_longs: outcome.socialised_onto_longs,
        socialised_onto_shorts: outcome.socialised_onto_shorts,
        unrecovered: outcome.unrecovered,
        long_index_delta: outcome.long_index_delta,
        short_index_delta: outcome.short_index_delta,
        claims_netted,
        ts: Clock::get()?.unix_timestamp,
    });
    Ok(())
}

/// Pays the account's claims in the other markets passed (writable) into
/// its collateral, as far as each pool can. Every market in which it holds
/// a claim must be passed, so a caller cannot make the fund pay a debt the
/// account can pay itself. Returns the total paid, quote native.
fn net_claims_elsewhere<'info>(
    remaining: &'info [AccountInfo<'info>],
    exchange: &Pubkey,
    market_key: &Pubkey,
    market: &Market,
    trader: &mut TraderAccount,
) -> Result<u64> {
    let mut netted = 0u64;
    let mut passed = [false; crate::constants::MAX_POSITIONS];
    for info in remaining.iter().filter(|info| info.key != market_key) {
        let loader = AccountLoader::<Market>::try_from(info)?;
        let mut other = loader.load_mut()?;
        require_keys_eq!(other.exchange, *exchange, VammError::WrongMarket);
        let Some(slot) = trader
            .positions
            .iter()
            .position(|p| p.is_open() && p.market_index == other.market_index && p.pending_profit > 0)
        else {
            continue;
        };
        passed[slot] = true;
        netted = netted.safe_add(pay_pending_profit(&mut other, trader, slot)?)?;
    }
    let missing = trader
        .positions
        .iter()
        .enumerate()
        .any(|(slot, p)| p.pending_profit > 0 && p.market_index != market.market_index && !passed[slot]);
    require!(!missing, VammError::ClaimsOutstanding);
    Ok(netted)
}

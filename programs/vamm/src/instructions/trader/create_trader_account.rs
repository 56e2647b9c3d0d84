use crate::constants::{seeds, MAX_SUB_ACCOUNT_ID};
use crate::error::VammError;
use crate::events::TraderAccountCreated;
use crate::math::safe::SafeMath;
use crate::state::{Exchange, TraderAccount};
use anchor_lang::prelude::*;

/// Creates a cross-margin trader account for the signing wallet. A wallet
/// may hold sub-accounts 0..=255, each margined separately.
#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct CreateTraderAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        init,
        payer = owner,
        space = TraderAccount::SIZE,
        seeds = [seeds::TRADER, owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump,
    )]
    pub trader_account: AccountLoader<'info, TraderAccount>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_trader_account(
    ctx: Context<CreateTraderAccount>,
    sub_account_id: u16,
    delegate: Option<Pubkey>,
) -> Result<()> {
    require!(sub_account_id <= MAX_SUB_ACCOUNT_ID, VammError::InvalidSubAccountId);
    let now = Clock::get()?.unix_timestamp;
    let mut trader = ctx.accounts.trader_account.load_init()?;
    trader.owner = ctx.accounts.owner.key();
    trader.delegate = delegate.unwrap_or_default();
    trader.sub_account_id = sub_account_id;
    trader.bump = ctx.bumps.trader_account;
    trader.created_ts = now;
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.trader_account_count = exchange.trader_account_count.safe_add(1)?;
    emit_event!(TraderAccountCreated {
        trader_account: ctx.accounts.trader_account.key(),
        owner: trader.owner,
        sub_account_id,
        delegate: trader.delegate,
        ts: now,
    });
    Ok(())
}

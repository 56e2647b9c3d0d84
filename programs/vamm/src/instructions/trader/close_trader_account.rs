use crate::error::VammError;
use crate::events::TraderAccountClosed;
use crate::state::TraderAccount;
use anchor_lang::prelude::*;

/// Closes an empty trader account (no collateral, positions, claims or
/// unpaid losses) and returns its rent to the owner. Owner only.
#[derive(Accounts)]
pub struct CloseTraderAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut, has_one = owner @ VammError::NotOwner, close = owner)]
    pub trader_account: AccountLoader<'info, TraderAccount>,
}

pub fn handle_close_trader_account(ctx: Context<CloseTraderAccount>) -> Result<()> {
    require!(ctx.accounts.trader_account.load()?.is_empty(), VammError::TraderAccountNotEmpty);
    emit_event!(TraderAccountClosed {
        trader_account: ctx.accounts.trader_account.key(),
        owner: ctx.accounts.owner.key(),
        ts: Clock::get()?.unix_timestamp,
    });
    Ok(())
}

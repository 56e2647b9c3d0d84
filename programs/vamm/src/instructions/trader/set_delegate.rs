use crate::error::VammError;
use crate::events::DelegateSet;
use crate::state::TraderAccount;
use anchor_lang::prelude::*;

/// Sets (or clears, with `Pubkey::default()`) the key that may trade for
/// the account. A delegate can never withdraw. Owner only.
#[derive(Accounts)]
pub struct SetDelegate<'info> {
    pub owner: Signer<'info>,
    #[account(mut, has_one = owner @ VammError::NotOwner)]
    pub trader_account: AccountLoader<'info, TraderAccount>,
}

pub fn handle_set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
    ctx.accounts.trader_account.load_mut()?.delegate = delegate;
    emit_event!(DelegateSet { trader_account: ctx.accounts.trader_account.key(), delegate });
    Ok(())
}

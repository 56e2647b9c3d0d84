use crate::constants::{seeds, ADDRESS_LOOKUP_TABLE_PROGRAM};
use crate::error::VammError;
use crate::events::LookupTableSet;
use crate::state::Exchange;
use anchor_lang::prelude::*;

/// Points clients at the address lookup table holding the exchange's
/// shared accounts (vaults, mint, markets, oracles), so a version-0
/// transaction names each with one byte instead of 32. Admin only, and not
/// through the timelock: a table cannot move funds or change a rule, since
/// clients compile against its contents and every instruction still checks
/// every account it is given. The default key clears the pointer.
#[derive(Accounts)]
pub struct SetLookupTable<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// CHECK: the table itself, required unless clearing; only its owner
    /// is checked (a typo must not become the clients' pointer).
    pub table: Option<UncheckedAccount<'info>>,
}

pub fn handle_set_lookup_table(ctx: Context<SetLookupTable>, lookup_table: Pubkey) -> Result<()> {
    if lookup_table != Pubkey::default() {
        let table = ctx.accounts.table.as_ref().ok_or_else(|| error!(VammError::NotALookupTable))?;
        require!(
            table.key() == lookup_table && *table.owner == ADDRESS_LOOKUP_TABLE_PROGRAM,
            VammError::NotALookupTable
        );
    }
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let previous = exchange.lookup_table;
    exchange.lookup_table = lookup_table;
    emit_event!(LookupTableSet { previous, lookup_table });
    Ok(())
}

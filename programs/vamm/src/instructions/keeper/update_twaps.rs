use crate::controller::funding::update_twaps;
use crate::oracle::read_and_record;
use crate::state::Market;
use anchor_lang::prelude::*;

/// Folds the current mark and a valid oracle price into the market's TWAPs
/// (trades do this too). Anyone may call it; the oracle must be valid.
#[derive(Accounts)]
pub struct UpdateTwaps<'info> {
    pub cranker: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: must be the market's pinned primary oracle.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: the market's pinned secondary oracle, when it has one.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handle_update_twaps(ctx: Context<UpdateTwaps>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let price = read_and_record(
        &mut market,
        &ctx.accounts.primary_oracle,
        ctx.accounts.secondary_oracle.as_deref(),
        now,
    )?;
    update_twaps(&mut market, now, Some(price.price))
}

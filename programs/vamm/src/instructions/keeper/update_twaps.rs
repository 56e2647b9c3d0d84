use crate::controller::funding::update_twaps;
use crate::error::VammError;
use crate::oracle::{read_and_record, OracleClock};
use crate::state::Market;
use anchor_lang::prelude::*;

/// Folds the current mark and a valid oracle price into the market's TWAPs
/// (trades do this too). Anyone may call it. It is also the crank of the
/// oracle-jump guard: a price outside the jump band is recorded as held
/// (only the mark is folded in), and once the held level has persisted
/// for the confirmation time this call accepts it as the new reference.
/// Any other oracle failure refuses.
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
    let clock = OracleClock::now()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let read = read_and_record(
        &mut market,
        &ctx.accounts.primary_oracle,
        ctx.accounts.secondary_oracle.as_deref(),
        clock,
    );
    let oracle_price = match read {
        Ok(price) => Some(price.price),
        Err(error) if error == VammError::OracleJumpUnconfirmed.into() => None,
        Err(error) => return Err(error),
    };
    update_twaps(&mut market, clock.unix_ts, oracle_price)
}

use crate::controller::claims::release_final_surplus;
use crate::controller::settlement_close::close_at_settlement;
use crate::error::VammError;
use crate::events::PositionSettled;
use crate::state::{Market, TraderAccount};
use anchor_lang::prelude::*;

/// Closes a trader's position in a settled market at the settlement price
/// (funding settled first). Anyone may call it for any account, so
/// abandoned positions can be cleared.
#[derive(Accounts)]
pub struct SettlePosition<'info> {
    pub cranker: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut)]
    pub trader_account: AccountLoader<'info, TraderAccount>,
}

pub fn handle_settle_position(ctx: Context<SettlePosition>) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let mut trader = ctx.accounts.trader_account.load_mut()?;
    require!(market.settlement_price > 0, VammError::MarketNotSettled);
    let settled = close_at_settlement(&mut market, &mut trader)?;
    release_final_surplus(&mut market)?;
    emit_event!(PositionSettled {
        market_index: market.market_index,
        trader_account: ctx.accounts.trader_account.key(),
        base: settled.base,
        settlement_price: market.settlement_price,
        realised_pnl: settled.realised_pnl,
        profit_paid: settled.profit_paid,
    });
    Ok(())
}

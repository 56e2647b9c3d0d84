use crate::controller::claims::{release_final_surplus, settle_claim};
use crate::error::VammError;
use crate::events::PnlSettled;
use crate::state::{Market, TraderAccount};
use anchor_lang::prelude::*;

/// Pays a trader account's profit claim in a market from that market's PnL
/// pool into the account's collateral. Permissionless, in every market
/// status, on any slot (flat or not): in a trading market as far as the
/// pool holds money (`PnlPoolEmpty` when it holds none); in a settled
/// market once it is final, every claim at the same pro-rata fraction
/// with the rest written off (`SettlementNotFinal` before). A slot left
/// with no base, claim or loss is freed.
#[derive(Accounts)]
pub struct SettlePnl<'info> {
    pub cranker: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut)]
    pub trader_account: AccountLoader<'info, TraderAccount>,
}

pub fn handle_settle_pnl(ctx: Context<SettlePnl>) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let mut trader = ctx.accounts.trader_account.load_mut()?;
    let payout = settle_claim(&mut market, &mut trader)?;
    require!(payout.paid > 0 || payout.written_off > 0, VammError::PnlPoolEmpty);
    release_final_surplus(&mut market)?;
    emit_event!(PnlSettled {
        market_index: market.market_index,
        trader_account: ctx.accounts.trader_account.key(),
        paid: payout.paid,
        written_off: payout.written_off,
        remaining: payout.remaining,
        pnl_pool_after: market.pools.pnl_pool,
        collateral_after: trader.collateral,
        ts: Clock::get()?.unix_timestamp,
    });
    Ok(())
}

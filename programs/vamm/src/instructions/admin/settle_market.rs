use crate::constants::seeds;
use crate::controller::claims::release_final_surplus;
use crate::controller::funding::stop_funding;
use crate::error::VammError;
use crate::events::MarketSettled;
use crate::math::safe::SafeMath;
use crate::oracle::{read_and_record, OracleClock};
use crate::state::{Exchange, Market, MarketStatus};
use anchor_lang::prelude::*;

/// Delists a paused market: fixes its settlement price at the current valid
/// oracle price, makes it `Settled` (final), and moves its fee pool into its
/// PnL pool to back the profit claims settlement creates. Positions then
/// close at that price through `settle_position`. Admin only.
#[derive(Accounts)]
pub struct SettleMarket<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: must be the market's pinned primary oracle.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: the market's pinned secondary oracle, when it has one.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handle_settle_market(ctx: Context<SettleMarket>) -> Result<()> {
    let clock = OracleClock::now()?;
    let now = clock.unix_ts;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(market.status()? == MarketStatus::Paused, VammError::MarketNotPaused);
    let price = read_and_record(
        &mut market,
        &ctx.accounts.primary_oracle,
        ctx.accounts.secondary_oracle.as_deref(),
        clock,
    )?;
    stop_funding(&mut market, now)?;
    market.settlement_price = price.price;
    market.status = MarketStatus::Settled as u8;
    let moved = market.pools.fee_pool;
    market.pools.fee_pool = 0;
    market.pools.pnl_pool = market.pools.pnl_pool.safe_add(moved)?;
    // A market with nothing open is final at once.
    release_final_surplus(&mut market)?;
    emit_event!(MarketSettled {
        market_index: market.market_index,
        settlement_price: price.price,
        fee_pool_moved: moved,
        ts: now,
    });
    Ok(())
}

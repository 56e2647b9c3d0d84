use crate::constants::seeds;
use crate::controller::price_book::PriceBook;
use crate::controller::trade::{execute_trade, TradeRequest};
use crate::error::VammError;
use crate::events::TradeExecuted;
use crate::oracle::{read_and_record, OracleClock};
use crate::state::{Exchange, Market, TraderAccount};
use anchor_lang::prelude::*;

/// Accounts of `open_position` and `close_position`.
///
/// Remaining accounts: for every other market the trader account has a
/// position in, that market's account and its pinned oracle account(s), in
/// any order. They are needed to value the account for margin; a pure
/// reduction proceeds without them.
#[derive(Accounts)]
pub struct Trade<'info> {
    /// Owner or delegate of the trader account.
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    #[account(
        mut,
        constraint = trader_account.load()?.is_owner_or_delegate(authority.key) @ VammError::NotOwnerOrDelegate,
    )]
    pub trader_account: AccountLoader<'info, TraderAccount>,
    /// CHECK: must be the market's pinned primary oracle; validated by the
    /// oracle adapter.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: the market's pinned secondary oracle, when it has one.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

/// Runs one order through the trade controller and emits its event.
pub fn run_trade<'info>(ctx: Context<'info, Trade<'info>>, request: TradeRequest) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let accounts = &ctx.accounts;
    let mut market = accounts.market.load_mut()?;
    let mut trader = accounts.trader_account.load_mut()?;

    let oracle_clock = OracleClock { unix_ts: now, slot: clock.slot };
    let oracle = read_and_record(
        &mut market,
        &accounts.primary_oracle,
        accounts.secondary_oracle.as_deref(),
        oracle_clock,
    );
    let prices = PriceBook::for_market(
        ctx.remaining_accounts,
        &accounts.exchange.key(),
        &accounts.market.key(),
        &market,
        oracle.map(|p| p.price),
        oracle_clock,
    )?;

    let outcome = execute_trade(&mut market, &mut trader, &request, &prices, now, clock.slot)?;
    emit_event!(TradeExecuted {
        trader_account: accounts.trader_account.key(),
        market_index: market.market_index,
        direction: request.direction,
        base: outcome.base,
        quote: outcome.quote,
        average_price: outcome.average_price,
        fee: outcome.fee,
        realised_pnl: outcome.realised_pnl,
        profit_paid: outcome.profit_paid,
        base_after: outcome.base_after,
        entry_notional_after: outcome.entry_notional_after,
        mark_price_after: outcome.mark_price_after,
        oracle_price: outcome.oracle_price,
        collateral_after: trader.collateral,
        ts: now,
    });
    Ok(())
}

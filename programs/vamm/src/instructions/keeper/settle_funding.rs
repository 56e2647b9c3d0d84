use crate::controller::funding::settle_market_funding;
use crate::error::VammError;
use crate::events::FundingSettled;
use crate::oracle::{read_and_record, OracleClock};
use crate::state::{Market, MarketStatus};
use anchor_lang::prelude::*;

/// Applies one funding period to the market's cumulative indices. Anyone
/// may call it once a period has passed; the oracle must be valid. O(1)
/// whatever the number of positions: they settle lazily.
#[derive(Accounts)]
pub struct SettleFunding<'info> {
    pub cranker: Signer<'info>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: must be the market's pinned primary oracle.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: the market's pinned secondary oracle, when it has one.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handle_settle_funding(ctx: Context<SettleFunding>) -> Result<()> {
    let clock = OracleClock::now()?;
    let now = clock.unix_ts;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(
        matches!(market.status()?, MarketStatus::Active | MarketStatus::ReduceOnly),
        VammError::MarketNotActive
    );
    let price = read_and_record(
        &mut market,
        &ctx.accounts.primary_oracle,
        ctx.accounts.secondary_oracle.as_deref(),
        clock,
    )?;
    let settled = settle_market_funding(&mut market, now, price.price)?;
    let o = settled.outcome;
    emit_event!(FundingSettled {
        market_index: market.market_index,
        mark_twap: settled.mark_twap,
        oracle_twap: settled.oracle_twap,
        rate_ppb: o.rate_ppb,
        long_index_delta: o.long_index_delta,
        short_index_delta: o.short_index_delta,
        paid_by_payers: o.paid_by_payers,
        owed_to_receivers: o.owed_to_receivers,
        fee_pool_contribution: o.fee_pool_contribution,
        capped: o.capped,
        periods_elapsed: settled.periods_elapsed,
        ts: now,
    });
    Ok(())
}

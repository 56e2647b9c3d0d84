use crate::constants::{repeg, seeds, BPS_DENOMINATOR};
use crate::controller::curve::repeg_to;
use crate::controller::funding::update_twaps;
use crate::error::VammError;
use crate::events::MarketRepegged;
use crate::math::safe::mul_div_u64;
use crate::oracle::{read_and_record, OracleClock};
use crate::state::{Exchange, Market, MarketStatus};
use anchor_lang::prelude::*;

/// Re-centres the curve on the oracle: the peg moves so the mark equals
/// the current (valid) oracle price, and the price range moves with it.
/// The cost to the AMM of the traders' net position is paid from the
/// market's fee pool into its PnL pool; refused when the pool cannot pay.
/// The admin may repeg at any time; anyone may, outside a pause, once the
/// market's repeg rule is met, and then only as far towards the oracle as
/// a tenth of the fee pool pays for (`constants::repeg`) (the mark more than `repeg_gap_bps` from the oracle at
/// every TWAP update for `repeg_delay_secs`). The TWAPs are updated first,
/// so the funding premium up to this moment is kept.
#[derive(Accounts)]
pub struct Repeg<'info> {
    /// The admin, or anyone once the repeg rule is met.
    pub authority: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: must be the market's pinned primary oracle.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: the market's pinned secondary oracle, when it has one.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handle_repeg(ctx: Context<Repeg>) -> Result<()> {
    let clock = OracleClock::now()?;
    let by_admin = ctx.accounts.authority.key() == ctx.accounts.exchange.load()?.admin;
    let mut market = ctx.accounts.market.load_mut()?;
    let oracle = read_and_record(
        &mut market,
        &ctx.accounts.primary_oracle,
        ctx.accounts.secondary_oracle.as_deref(),
        clock,
    )?;
    update_twaps(&mut market, clock.unix_ts, Some(oracle.price))?;
    if !by_admin {
        // A paused market is an emergency stop: nothing moves its curve
        // but the admin.
        require!(market.status()? != MarketStatus::Paused, VammError::MarketNotActive);
        let due = market.repeg_rule.due_at().is_some_and(|due| clock.unix_ts >= due);
        require!(due, VammError::RepegNotDue);
    }
    // Under the rule, a repeg may cost at most a share of the fee pool.
    let budget = if by_admin {
        None
    } else {
        Some(mul_div_u64(market.pools.fee_pool, repeg::RULE_BUDGET_BPS, BPS_DENOMINATOR, false)?)
    };
    let old_peg = market.amm.peg;
    let change = repeg_to(&mut market, oracle.price, budget, clock.unix_ts)?;
    emit_event!(MarketRepegged {
        market_index: market.market_index,
        old_peg,
        new_peg: market.amm.peg,
        oracle_price: oracle.price,
        mark_price: change.mark_price,
        cost: change.cost,
        fee_pool_after: market.pools.fee_pool,
        by: ctx.accounts.authority.key(),
        by_rule: !by_admin,
    });
    Ok(())
}

use crate::constants::seeds;
use crate::controller::funding::accrue_funding;
use crate::error::VammError;
use crate::events::MarketRepegged;
use crate::math::amm::repeg_cost;
use crate::math::safe::{mul_div_u64, SafeMath};
use crate::oracle::{read_and_record, OracleClock};
use crate::state::{Exchange, Market};
use anchor_lang::prelude::*;

/// Re-centres the curve on the oracle: the peg moves so the mark equals
/// the current (valid) oracle price, and the price range moves with it,
/// keeping its proportions. Changing the peg changes what traders would
/// receive for closing their net position against the AMM; that cost is
/// paid from the market's fee pool into its PnL pool, and the repeg is
/// refused when the pool cannot pay (a gain for the AMM is left in the
/// pools). Admin only.
#[derive(Accounts)]
pub struct Repeg<'info> {
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

pub fn handle_repeg(ctx: Context<Repeg>) -> Result<()> {
    let clock = OracleClock::now()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let oracle = read_and_record(
        &mut market,
        &ctx.accounts.primary_oracle,
        ctx.accounts.secondary_oracle.as_deref(),
        clock,
    )?;
    // The fee pool pays the repeg: accrue funding on the pool as it was.
    accrue_funding(&mut market, clock.unix_ts)?;
    let curve = market.amm.curve();
    // mark = Y * peg / X, so the peg that marks at the oracle is oracle * X / Y.
    let new_peg = crate::math::safe::to_u64(crate::math::safe::mul_div_u128(
        oracle.price as u128,
        curve.base_reserve,
        curve.quote_reserve,
        false,
    )?)?;
    require!(new_peg > 0, VammError::InvalidMarketParameter);
    let traders_net_base =
        market.amm.net_base()?.checked_neg().ok_or_else(|| error!(VammError::MathOverflow))?;
    let cost = repeg_cost(&curve, traders_net_base, new_peg)?;
    if cost > 0 {
        let cost = cost as u64;
        require!(cost <= market.pools.fee_pool, VammError::RepegCostExceedsFeePool);
        market.pools.fee_pool = market.pools.fee_pool.safe_sub(cost)?;
        market.pools.pnl_pool = market.pools.pnl_pool.safe_add(cost)?;
    }
    let old_peg = curve.peg;
    let scale = |price: u64, round_up| mul_div_u64(price, new_peg, old_peg, round_up);
    market.amm.min_price = scale(curve.min_price, true)?.max(1);
    market.amm.max_price = scale(curve.max_price, false)?;
    market.amm.peg = new_peg;
    let mark = market.amm.curve().mark_price()?;
    require!(market.amm.min_price <= mark && mark <= market.amm.max_price, VammError::InvalidMarketParameter);
    market.amm.last_mark_price = mark;
    emit!(MarketRepegged {
        market_index: market.market_index,
        old_peg,
        new_peg,
        oracle_price: oracle.price,
        mark_price: mark,
        cost,
        fee_pool_after: market.pools.fee_pool,
    });
    Ok(())
}

use crate::controller::trade::TradeRequest;
use crate::error::VammError;
use crate::instructions::trader::trade_accounts::{run_trade, Trade};
use crate::math::amm::{Direction, TradeSize};
use anchor_lang::prelude::*;

/// Closes all or part of the position in the market: a reduce-only order
/// in the opposite direction.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosePositionParams {
    /// Base to close, `BASE_PRECISION`; `None` closes everything.
    pub base_amount: Option<u64>,
    /// Worst acceptable average fill price, `PRICE_PRECISION`; `None` for
    /// no limit.
    pub limit_price: Option<u64>,
}

pub fn handle_close_position<'info>(
    ctx: Context<'info, Trade<'info>>,
    params: ClosePositionParams,
) -> Result<()> {
    let base = {
        let market_index = ctx.accounts.market.load()?.market_index;
        let trader = ctx.accounts.trader_account.load()?;
        trader.position(market_index).map_or(0, |p| p.base)
    };
    require!(base != 0, VammError::NoPosition);
    let size = params.base_amount.unwrap_or(base.unsigned_abs());
    require!(size > 0, VammError::ZeroAmount);
    require!(size <= base.unsigned_abs(), VammError::CloseExceedsPosition);
    let direction = if base > 0 { Direction::Short } else { Direction::Long };
    let limit_price = params.limit_price.unwrap_or(match direction {
        Direction::Long => u64::MAX,
        Direction::Short => 0,
    });
    run_trade(ctx, TradeRequest { direction, size: TradeSize::Base(size), limit_price, reduce_only: true })
}

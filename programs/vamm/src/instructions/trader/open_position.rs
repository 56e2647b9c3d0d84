use crate::controller::trade::TradeRequest;
use crate::instructions::trader::trade_accounts::{run_trade, Trade};
use crate::math::amm::{Direction, TradeSize};
use anchor_lang::prelude::*;

/// A market order: opens, grows, reduces or flips the position.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenPositionParams {
    pub direction: Direction,
    /// Base (`BASE_PRECISION`) or quote notional (quote native).
    pub size: TradeSize,
    /// Worst acceptable average fill price, `PRICE_PRECISION`: longs refuse
    /// above it, shorts below it (`u64::MAX` / 0 for no limit).
    pub limit_price: u64,
    /// Refuse unless the order only reduces the position.
    pub reduce_only: bool,
}

pub fn handle_open_position<'info>(
    ctx: Context<'info, Trade<'info>>,
    params: OpenPositionParams,
) -> Result<()> {
    run_trade(
        ctx,
        TradeRequest {
            direction: params.direction,
            size: params.size,
            limit_price: params.limit_price,
            reduce_only: params.reduce_only,
        },
    )
}

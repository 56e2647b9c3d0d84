//! Closing positions of a settled market at its settlement price, without
//! the AMM: the position's PnL at that price is realised and booked like
//! any other (loss to the PnL pool, profit as a claim on it).

use crate::controller::settlement::{
    book_realised_pnl, pay_pending_profit, settle_position_funding, side_of,
};
use crate::error::VammError;
use crate::math::position::unrealised_pnl;
use crate::math::safe::SafeMath;
use crate::state::{Market, MarketStatus, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettledPosition {
    /// `BASE_PRECISION`.
    pub base: i64,
    /// Quote native.
    pub realised_pnl: i64,
    pub profit_paid: u64,
}

pub fn close_at_settlement(market: &mut Market, trader: &mut TraderAccount) -> Result<SettledPosition> {
    require!(market.status()? == MarketStatus::Settled, VammError::MarketNotSettled);
    let index = market.market_index;
    let slot = trader
        .positions
        .iter()
        .position(|p| p.market_index == index && p.base != 0)
        .ok_or_else(|| error!(VammError::NoPosition))?;
    settle_position_funding(market, trader, slot)?;
    let position = trader.positions[slot];
    let realised = unrealised_pnl(position.base, position.entry_notional, market.settlement_price)?;
    if position.base > 0 {
        market.amm.base_long = market.amm.base_long.safe_sub(position.base)?;
    } else {
        market.amm.base_short = market.amm.base_short.safe_sub(position.base)?;
    }
    let slot_state = &mut trader.positions[slot];
    slot_state.base = 0;
    slot_state.entry_notional = 0;
    slot_state.realised_pnl = slot_state.realised_pnl.safe_add(realised)?;
    book_realised_pnl(market, trader, slot, realised, side_of(position.base))?;
    let profit_paid = pay_pending_profit(market, trader, slot)?;
    Ok(SettledPosition { base: position.base, realised_pnl: realised, profit_paid })
}

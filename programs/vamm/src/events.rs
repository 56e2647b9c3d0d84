//! Events for indexers and UIs. Quote amounts are quote native (6
//! decimals), base amounts `BASE_PRECISION` (9 decimals), prices
//! `PRICE_PRECISION` (6 decimals), times unix seconds.

use crate::math::amm::Direction;
use anchor_lang::prelude::*;

#[event]
#[derive(Debug, PartialEq)]
pub struct ExchangeInitialized {
    pub admin: Pubkey,
    pub guardian: Pubkey,
    pub collateral_mint: Pubkey,
    pub vault: Pubkey,
    pub insurance_vault: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct MarketCreated {
    pub market_index: u16,
    pub market: Pubkey,
    pub name: [u8; 16],
    /// Initial peg = oracle price at listing, `PRICE_PRECISION`.
    pub peg: u64,
    /// `BASE_PRECISION`.
    pub sqrt_k: u128,
    pub min_price: u64,
    pub max_price: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct TraderAccountCreated {
    pub trader_account: Pubkey,
    pub owner: Pubkey,
    pub sub_account_id: u16,
    pub delegate: Pubkey,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct TraderAccountClosed {
    pub trader_account: Pubkey,
    pub owner: Pubkey,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct DelegateSet {
    pub trader_account: Pubkey,
    pub delegate: Pubkey,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct CollateralDeposited {
    pub trader_account: Pubkey,
    pub depositor: Pubkey,
    pub amount: u64,
    pub collateral_after: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct CollateralWithdrawn {
    pub trader_account: Pubkey,
    pub amount: u64,
    pub collateral_after: u64,
    /// Free collateral left after the withdrawal.
    pub free_collateral_after: u64,
    pub ts: i64,
}

#[event]
#[derive(Debug, PartialEq)]
pub struct TradeExecuted {
    pub trader_account: Pubkey,
    pub market_index: u16,
    pub direction: Direction,
    /// Base traded, `BASE_PRECISION`.
    pub base: u64,
    /// Quote traded before fees, quote native.
    pub quote: u64,
    /// Average fill price, `PRICE_PRECISION`.
    pub average_price: u64,
    /// Fee charged, quote native.
    pub fee: u64,
    /// PnL realised by the trade before fees, quote native.
    pub realised_pnl: i64,
    /// Realised profit paid from the PnL pool during this trade.
    pub profit_paid: u64,
    /// Position after the trade, `BASE_PRECISION`.
    pub base_after: i64,
    pub entry_notional_after: u64,
    pub mark_price_after: u64,
    /// Oracle price used for margin (0 when none was valid and the trade
    /// was a pure reduction).
    pub oracle_price: u64,
    pub collateral_after: u64,
    pub ts: i64,
}

//! Oracle prices and margin parameters of every market an account has a
//! position in, gathered once per instruction (the health cache) so that
//! all margin math afterwards runs on plain values.

use crate::controller::funding::accrued_indices;
use crate::controller::settlement::unsettled_funding;
use crate::error::VammError;
use crate::math::margin::{AccountMargin, MarginParams, PositionRisk};
use crate::math::stable_price::step_toward;
use crate::oracle::{usable_price, MarketPrice, OracleClock};
use crate::state::{Market, MarketStatus, Position, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone)]
struct Entry {
    market_index: u16,
    params: MarginParams,
    /// The market's cumulative funding indices, to value unsettled funding.
    cumulative_long: i64,
    cumulative_short: i64,
    /// `PRICE_PRECISION`.
    stable_price: u64,
    /// The market's PnL pool and the claims on it, quote native: a claim
    /// counts toward margin only as far as the pool could pay it.
    pnl_pool: u64,
    unpaid_profit: u64,
    /// `PRICE_PRECISION`; `Err` keeps why the oracle could not be used
    /// (as the program error code the client will see).
    price: core::result::Result<u64, ProgramError>,
}

#[derive(Clone, Default)]
pub struct PriceBook {
    entries: Vec<Entry>,
}

impl PriceBook {
    /// The book for an instruction on `market`: its own oracle outcome plus
    /// every other market (and oracle) passed as remaining accounts.
    pub fn for_market<'info>(
        remaining: &'info [AccountInfo<'info>],
        exchange: &Pubkey,
        market_key: &Pubkey,
        market: &Market,
        oracle: Result<u64>,
        clock: OracleClock,
    ) -> Result<Self> {
        let mut book = PriceBook::default();
        book.add_remaining(remaining, exchange, Some(market_key), clock)?;
        book.insert(market, oracle, clock.unix_ts)?;
        Ok(book)
    }

    /// Adds a market with the outcome of reading its oracle, its funding
    /// indices accrued to `now_ts`. Call it again after the market's
    /// funding indices move.
    pub fn insert(&mut self, market: &Market, price: Result<u64>, now_ts: i64) -> Result<()> {
        // A settled market is valued at its settlement price, oracle or not.
        let price =
            if market.status == MarketStatus::Settled as u8 { Ok(market.settlement_price) } else { price };
        let (cumulative_long, cumulative_short) = accrued_indices(market, now_ts)?;
        // The stable price as it would stand after following this price.
        let stable_price = match &price {
            Ok(p) if market.status != MarketStatus::Settled as u8 => step_toward(
                market.stable_price.price,
                *p,
                now_ts.saturating_sub(market.stable_price.updated_ts),
            )?,
            Ok(p) => *p,
            Err(_) => market.stable_price.price,
        };
        self.entries.retain(|e| e.market_index != market.market_index);
        self.entries.push(Entry {
            market_index: market.market_index,
            params: market.margin_params(),
            stable_price,
            cumulative_long,
            cumulative_short,
            pnl_pool: market.pools.pnl_pool,
            unpaid_profit: market.pools.unpaid_profit,
            price: price.map_err(ProgramError::from),
        });
        Ok(())
    }

    /// The book with `market`'s PnL pool and claims as they stand now, for
    /// the margin check after an instruction moved them (a claim the trade
    /// just created counts only as far as the pool now covers it).
    pub fn with_pools(&self, market: &Market) -> PriceBook {
        let mut book = self.clone();
        if let Some(entry) = book.entries.iter_mut().find(|e| e.market_index == market.market_index) {
            entry.pnl_pool = market.pools.pnl_pool;
            entry.unpaid_profit = market.pools.unpaid_profit;
        }
        book
    }

    /// Adds every market found in `remaining` (accounts owned by this
    /// program with the `Market` discriminator) and reads its oracle(s)
    /// from the other remaining accounts, matched by the pinned keys, with
    /// the same rules the market applies itself (its jump guard included:
    /// a price the market holds values nothing).
    pub fn add_remaining<'info>(
        &mut self,
        remaining: &'info [AccountInfo<'info>],
        exchange: &Pubkey,
        skip_market: Option<&Pubkey>,
        clock: OracleClock,
    ) -> Result<()> {
        for info in remaining.iter().filter(|info| *info.owner == crate::ID) {
            if Some(info.key) == skip_market {
                continue;
            }
            let Ok(loader) = AccountLoader::<Market>::try_from(info) else { continue };
            let market = loader.load()?;
            require_keys_eq!(market.exchange, *exchange, VammError::WrongMarket);
            let find = |key: &Pubkey| remaining.iter().find(|a| a.key == key);
            let price = match find(&market.oracle.primary) {
                None => Err(error!(VammError::MissingOracleAccount)),
                Some(primary) => usable_price(&market, primary, find(&market.oracle.secondary), clock)
                    .map(|p: MarketPrice| p.price),
            };
            self.insert(&market, price, clock.unix_ts)?;
        }
        Ok(())
    }

    /// The valid oracle price of a market, or why there is none.
    pub fn price(&self, market_index: u16) -> Result<u64> {
        match self.entries.iter().find(|e| e.market_index == market_index) {
            None => err!(VammError::MissingMarketAccount),
            Some(entry) => entry.price.clone().map_err(Error::from),
        }
    }

    /// Values the whole account at oracle prices; fails with the first
    /// reason a needed price is unavailable.
    pub fn margin(&self, trader: &TraderAccount) -> Result<AccountMargin> {
        let mut positions = Vec::with_capacity(crate::constants::MAX_POSITIONS);
        for position in trader.open_positions() {
            positions.push(self.position_risk(position)?);
        }
        AccountMargin::new(trader.collateral, &positions)
    }

    /// One position as margin sees it. Its profit claim counts at the
    /// pool's coverage: `claim * min(1, pnl_pool / claims on the pool)`.
    pub fn position_risk(&self, position: &Position) -> Result<PositionRisk> {
        let mut risk = PositionRisk {
            base: position.base,
            entry_notional: position.entry_notional,
            pending_profit: self.covered_claim(position)?,
            unpaid_loss: position.unpaid_loss,
            unsettled_funding: 0,
            oracle_price: 0,
            stable_price: 0,
            params: MarginParams {
                initial_ratio: 0,
                maintenance_ratio: 0,
                initial_imf_factor: 0,
                maintenance_imf_factor: 0,
                initial_profit_weight_bps: 0,
            },
        };
        if position.base != 0 {
            let entry = self
                .entries
                .iter()
                .find(|e| e.market_index == position.market_index)
                .ok_or_else(|| error!(VammError::MissingMarketAccount))?;
            risk.oracle_price = self.price(position.market_index)?;
            risk.stable_price = entry.stable_price;
            risk.params = entry.params;
            risk.unsettled_funding = unsettled_funding(
                entry.cumulative_long,
                entry.cumulative_short,
                position.base,
                position.funding_index,
            )?;
        }
        Ok(risk)
    }

    /// The part of the position's claim its market's pool could pay now.
    fn covered_claim(&self, position: &Position) -> Result<u64> {
        if position.pending_profit == 0 {
            return Ok(0);
        }
        let entry = self
            .entries
            .iter()
            .find(|e| e.market_index == position.market_index)
            .ok_or_else(|| error!(VammError::MissingMarketAccount))?;
        crate::controller::claims::final_share(position.pending_profit, entry.pnl_pool, entry.unpaid_profit)
    }

    /// The market whose position needs the most maintenance margin.
    pub fn riskiest_market(&self, trader: &TraderAccount) -> Result<Option<u16>> {
        let mut riskiest: Option<(u128, u16)> = None;
        for position in trader.positions.iter().filter(|p| p.base != 0) {
            let margin = AccountMargin::new(0, &[self.position_risk(position)?])?;
            if riskiest.is_none_or(|(required, _)| margin.maintenance_required > required) {
                riskiest = Some((margin.maintenance_required, position.market_index));
            }
        }
        Ok(riskiest.map(|(_, index)| index))
    }
}

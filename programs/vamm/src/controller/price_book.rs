//! Oracle prices and margin parameters of every market an account has a
//! position in, gathered once per instruction (the health cache) so that
//! all margin math afterwards runs on plain values.

use crate::error::VammError;
use crate::math::margin::{AccountMargin, MarginParams, PositionRisk};
use crate::oracle::{market_price, MarketPrice};
use crate::state::{Market, TraderAccount};
use anchor_lang::prelude::*;

struct Entry {
    market_index: u16,
    params: MarginParams,
    /// `PRICE_PRECISION`; `Err` keeps why the oracle could not be used
    /// (as the program error code the client will see).
    price: core::result::Result<u64, ProgramError>,
}

#[derive(Default)]
pub struct PriceBook {
    entries: Vec<Entry>,
}

impl PriceBook {
    /// Adds a market with the outcome of reading its oracle.
    pub fn insert(&mut self, market_index: u16, params: MarginParams, price: Result<u64>) {
        self.entries.retain(|e| e.market_index != market_index);
        self.entries.push(Entry { market_index, params, price: price.map_err(ProgramError::from) });
    }

    /// Adds every market found in `remaining` (accounts owned by this
    /// program with the `Market` discriminator) and reads its oracle(s)
    /// from the other remaining accounts, matched by the pinned keys.
    pub fn add_remaining<'info>(
        &mut self,
        remaining: &'info [AccountInfo<'info>],
        exchange: &Pubkey,
        skip_market: Option<&Pubkey>,
        now_ts: i64,
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
                Some(primary) => {
                    market_price(&market.oracle, primary, find(&market.oracle.secondary), now_ts)
                        .map(|p: MarketPrice| p.price)
                }
            };
            self.insert(market.market_index, market.risk.margin_params(), price);
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
            let (oracle_price, params) = if position.base == 0 {
                (0, MarginParams { initial_ratio: 0, maintenance_ratio: 0, imf_factor: 0 })
            } else {
                let price = self.price(position.market_index)?;
                let entry = self.entries.iter().find(|e| e.market_index == position.market_index);
                (price, entry.map(|e| e.params).ok_or_else(|| error!(VammError::MissingMarketAccount))?)
            };
            positions.push(PositionRisk {
                base: position.base,
                entry_notional: position.entry_notional,
                pending_profit: position.pending_profit,
                oracle_price,
                params,
            });
        }
        AccountMargin::new(trader.collateral, trader.unpaid_loss, &positions)
    }
}

//! Valuing markets and accounts off-chain with the program's own code:
//! `vamm::oracle::usable_price` reads the oracle accounts exactly as the
//! program does, and `vamm::controller::price_book::PriceBook` computes
//! margin exactly as the program does.

use crate::decode;
use crate::ix;
use crate::transport::{ClientError, ClientResult, Transport};
use anchor_lang::prelude::AccountInfo;
use solana_account::Account;
use solana_pubkey::Pubkey;
use vamm::controller::price_book::PriceBook;
use vamm::math::margin::{AccountMargin, HealthState};
use vamm::oracle::OracleClock;
use vamm::state::{Exchange, Market, TraderAccount};

/// A market and its oracle accounts as fetched.
#[derive(Clone, Debug)]
pub struct MarketSnapshot {
    pub address: Pubkey,
    pub market: Market,
    pub primary: Option<Account>,
    pub secondary: Option<Account>,
}

impl MarketSnapshot {
    pub fn index(&self) -> u16 {
        self.market.market_index
    }

    /// The market and its oracle accounts, as remaining accounts for
    /// instructions that value a trader account.
    pub fn valuation_accounts(&self) -> Vec<Pubkey> {
        let mut keys = vec![self.address, self.market.oracle.primary];
        if self.market.oracle.secondary_source != 0 {
            keys.push(self.market.oracle.secondary);
        }
        keys
    }

    pub fn oracles(&self) -> ix::MarketOracles {
        ix::MarketOracles {
            market: self.address,
            primary: self.market.oracle.primary,
            secondary: (self.market.oracle.secondary_source != 0).then_some(self.market.oracle.secondary),
        }
    }

    /// The oracle price the program would use now, or why it would not
    /// (its jump guard included: `OracleJumpUnconfirmed` while the market
    /// holds a price that left the band).
    pub fn oracle_price(&self, clock: OracleClock) -> anchor_lang::Result<u64> {
        let missing = || anchor_lang::error!(vamm::error::VammError::MissingOracleAccount);
        let primary = self.primary.as_ref().ok_or_else(missing)?;
        let mut primary_lamports = primary.lamports;
        let mut primary_data = primary.data.clone();
        let primary_info = AccountInfo::new(
            &self.market.oracle.primary,
            false,
            false,
            &mut primary_lamports,
            &mut primary_data,
            &primary.owner,
            false,
        );
        let (mut secondary_lamports, mut secondary_data, secondary_owner) = match &self.secondary {
            Some(account) => (account.lamports, account.data.clone(), account.owner),
            None => (0, Vec::new(), Pubkey::default()),
        };
        let secondary_info = AccountInfo::new(
            &self.market.oracle.secondary,
            false,
            false,
            &mut secondary_lamports,
            &mut secondary_data,
            &secondary_owner,
            false,
        );
        let secondary = self.secondary.as_ref().map(|_| &secondary_info);
        vamm::oracle::usable_price(&self.market, &primary_info, secondary, clock).map(|p| p.price)
    }
}

/// The market and oracle accounts of every market `trader` holds a
/// position or claim in, except `except`: the remaining accounts that let
/// the program value the account.
pub fn remaining_accounts(
    trader: &TraderAccount,
    markets: &[MarketSnapshot],
    except: Option<u16>,
) -> Vec<Pubkey> {
    trader
        .open_positions()
        .filter(|p| Some(p.market_index) != except)
        .filter_map(|p| markets.iter().find(|m| m.index() == p.market_index))
        .flat_map(|m| m.valuation_accounts())
        .collect()
}

/// Remaining accounts of a liquidation by takeover: every market (and its
/// oracles) either account has a position in, except `except`, once each.
pub fn takeover_accounts(
    liquidatee: &TraderAccount,
    liquidator: &TraderAccount,
    markets: &[MarketSnapshot],
    except: Option<u16>,
) -> Vec<Pubkey> {
    let mut keys = remaining_accounts(liquidatee, markets, except);
    for key in remaining_accounts(liquidator, markets, except) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// The accounts of an order by `authority` for `trader_account` (holding
/// `trader`) in `market`.
pub fn trade_accounts(
    authority: Pubkey,
    trader_account: Pubkey,
    market: &MarketSnapshot,
    markets: &[MarketSnapshot],
    trader: &TraderAccount,
) -> ix::TradeAccounts {
    let oracles = market.oracles();
    ix::TradeAccounts {
        authority,
        market: market.address,
        trader_account,
        primary_oracle: oracles.primary,
        secondary_oracle: oracles.secondary,
        remaining: remaining_accounts(trader, markets, Some(market.index())),
    }
}

pub async fn fetch_exchange<T: Transport>(transport: &mut T) -> ClientResult<Exchange> {
    let account = transport
        .account(&ix::exchange_pda())
        .await?
        .ok_or_else(|| ClientError::Transport("the exchange is not initialised".into()))?;
    decode::exchange(&account).map_err(|e| ClientError::Transport(e.to_string()))
}

pub async fn fetch_trader<T: Transport>(
    transport: &mut T,
    address: &Pubkey,
) -> ClientResult<Option<TraderAccount>> {
    match transport.account(address).await? {
        None => Ok(None),
        Some(account) => {
            decode::trader_account(&account).map(Some).map_err(|e| ClientError::Transport(e.to_string()))
        }
    }
}

/// Every listed market with its oracle accounts: three requests on a
/// cluster (the exchange, the markets, their oracles) up to 100 markets.
pub async fn fetch_markets<T: Transport>(transport: &mut T) -> ClientResult<Vec<MarketSnapshot>> {
    let count = fetch_exchange(transport).await?.market_count;
    let addresses = ix::all_markets(count);
    let found = transport.accounts(&addresses).await?;
    let mut markets = Vec::with_capacity(addresses.len());
    for (address, account) in addresses.into_iter().zip(found) {
        let Some(account) = account else { continue };
        let market = decode::market(&account).map_err(|e| ClientError::Transport(e.to_string()))?;
        markets.push((address, market));
    }
    // Each market's primary, then its secondary where it has one.
    let oracle_keys: Vec<Pubkey> = markets
        .iter()
        .flat_map(|(_, m)| {
            std::iter::once(m.oracle.primary)
                .chain((m.oracle.secondary_source != 0).then_some(m.oracle.secondary))
        })
        .collect();
    let mut oracles = transport.accounts(&oracle_keys).await?.into_iter();
    let mut out = Vec::with_capacity(markets.len());
    for (address, market) in markets {
        let primary = oracles.next().flatten();
        let secondary = if market.oracle.secondary_source != 0 { oracles.next().flatten() } else { None };
        out.push(MarketSnapshot { address, market, primary, secondary });
    }
    Ok(out)
}

/// The trader accounts at `addresses` that exist and decode, in order:
/// one request per 100 on a cluster.
pub async fn fetch_traders<T: Transport>(
    transport: &mut T,
    addresses: &[Pubkey],
) -> ClientResult<Vec<(Pubkey, TraderAccount)>> {
    let accounts = transport.accounts(addresses).await?;
    Ok(addresses
        .iter()
        .zip(accounts)
        .filter_map(|(address, account)| {
            let trader = decode::trader_account(&account?).ok()?;
            Some((*address, trader))
        })
        .collect())
}

/// A price book with every market's oracle price as the program would
/// read it now; `overrides` replaces some prices (for what-if previews).
pub fn price_book(markets: &[MarketSnapshot], clock: OracleClock, overrides: &[(u16, u64)]) -> PriceBook {
    let mut book = PriceBook::default();
    for snapshot in markets {
        let price = match overrides.iter().find(|(index, _)| *index == snapshot.index()) {
            Some((_, price)) => Ok(*price),
            None => snapshot.oracle_price(clock),
        };
        // A market whose funding cannot be accrued (an overflow) is left
        // out, so positions in it are not valued rather than valued wrong,
        // as the program would refuse them.
        let _ = book.insert(&snapshot.market, price, clock.unix_ts);
    }
    book
}

/// An account's margin and health at oracle prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountHealth {
    pub margin: AccountMargin,
    pub health: HealthState,
    /// Quote native.
    pub free_collateral: u64,
    /// Total notional over equity, ppm.
    pub leverage: u64,
}

pub fn account_health(book: &PriceBook, trader: &TraderAccount) -> anchor_lang::Result<AccountHealth> {
    let margin = book.margin(trader)?;
    Ok(AccountHealth {
        margin,
        health: margin.health()?,
        free_collateral: margin.free_collateral()?,
        leverage: margin.leverage()?,
    })
}

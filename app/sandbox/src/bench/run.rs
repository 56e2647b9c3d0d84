//! One benchmark run: a market listed with one configuration's parameters,
//! driven along one scenario's path by the same seeded population, through
//! real instructions in the in-process runtime.

use super::configuration::Configuration;
use super::scenario::{Path, Scenario};
use super::{Distribution, RolePnl, RunResult, TradeCost};
use crate::chain::{err, Chain, Oracle, Wallet, USDC};
use crate::rng::Rng;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::collections::BTreeMap;
use std::time::Instant;
use vamm::controller::price_book::PriceBook;
use vamm::instructions::{ClosePositionParams, CreateMarketParams, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::fees::fee_for;
use vamm::state::GovernanceAction;
use vamm_client::keeper::Keeper;
use vamm_client::valuation::{
    account_health, fetch_markets, fetch_trader, price_book, trade_accounts, MarketSnapshot,
};
use vamm_client::{ix, ClientError, Transport};
/// Where every scenario starts, `PRICE_PRECISION` (the deploy
/// configuration's SOL-PERP range holds it).
pub const START_PRICE: u64 = 150 * USDC;
/// Trade sizes whose price impact and fee the report gives, USDC.
pub const COST_SIZES_USDC: [u64; 3] = [10_000, 100_000, 1_000_000];
const INSURANCE_STAKE: u64 = 50_000 * USDC;
/// Arbitrage desks, each one trader account: a single account would hit
/// the market's position cap in a large move.
const ARBITRAGEURS: usize = 8;
const ARBITRAGEUR_COLLATERAL: u64 = 5_000_000 * USDC;
/// Largest order one arbitrage desk sends at once, quote notional.
const ARBITRAGE_CHUNK: u64 = 500_000 * USDC;
const KEEPER_COLLATERAL: u64 = 250_000 * USDC;
const ATTACKER_COLLATERAL: u64 = 1_000_000 * USDC;
/// The attacker's long, quote notional.
const ATTACKER_NOTIONAL: u64 = 1_500_000 * USDC;
/// Largest order the population sends at once, quote notional: larger ones
/// are split over successive slots, as traders do under a per-slot limit
/// (Perpetual Protocol v1's was 1.2%; this moves the listed curve 0.7%).
const ORDER_CHUNK: u64 = 50_000 * USDC;

struct Exchange {
    chain: Chain,
    oracles: Vec<Oracle>,
    crowd: Vec<Wallet>,
    churners: Vec<Wallet>,
    attacker: Option<Wallet>,
    arbitrageurs: Vec<Wallet>,
    keeper: Option<Keeper>,
    keeper_account: Pubkey,
    /// What the oracle publishes now, `PRICE_PRECISION`.
    price: u64,
    /// `pools_net` and the insurance fund at listing, quote native.
    pools_at_listing: i128,
    fund_at_listing: u64,
    trades: u64,
    refusals: BTreeMap<String, u64>,
}

/// Runs `scenario` under `configuration`; `protocol` is the deploy
/// configuration's listing the other sets are derived from.
///
/// Each step: the oracle publishes, then churners, the attacker, the
/// keeper and the arbitrage desks act, each order in a slot of its own (a
/// second later: a step of 10 s with many orders runs a little long). The
/// gap is measured after the keeper and before the desks, against the
/// price the program accepted; the fund after the keeper.
pub async fn run(
    scenario: Scenario,
    configuration: Configuration,
    protocol: &CreateMarketParams,
    seed: u64,
) -> Result<(RunResult, Vec<Sample>), String> {
    let started = Instant::now();
    let path = scenario.path(START_PRICE, &mut Rng::new(seed));
    let params = CreateMarketParams { market_index: 0, ..configuration.params(protocol, START_PRICE) };
    let mut exchange = Exchange::list(&params, configuration, seed).await?;
    let costs = exchange.trade_costs(&params).await?;
    exchange.populate(scenario, seed).await?;
    let population_base: u64 = exchange.exposure().await?.iter().map(|b| b.unsigned_abs()).sum();
    let mut tally = Tally::new(exchange.chain.fund().await?);
    // The path starts once the population is in.
    let origin = exchange.chain.rt.now();
    for step in 1..path.ticks.len() {
        let tick = path.ticks[step];
        let at = origin + (step as u64 * path.step_secs) as i64;
        exchange.chain.rt.set_time(at.max(exchange.chain.rt.now() + 1)).await;
        exchange.publish(tick.oracle);
        exchange.churn().await?;
        exchange.attack(tick.oracle != tick.fair).await?;
        exchange.next_slot().await;
        exchange.keep(&mut tally, tick.fair).await?;
        let market = exchange.market().await?.market;
        let mark_before_arbitrage = market.amm.curve().mark_price().map_err(|e| e.to_string())?;
        exchange.arbitrage(tick.fair).await?;
        let market = exchange.market().await?.market;
        let (long, short) = market.open_interest_base();
        tally.samples.push(Sample {
            secs: (exchange.chain.rt.now() - origin) as u64,
            oracle: tick.oracle,
            accepted: market.oracle.last_price,
            fair: tick.fair,
            mark_before_arbitrage,
            mark: market.amm.curve().mark_price().map_err(|e| e.to_string())?,
            insurance: tally.fund_last,
            open_interest_long: long,
            open_interest_short: short,
        });
    }
    exchange.finish(&mut tally, path.ticks[path.ticks.len() - 1].fair).await?;
    let mut result = exchange.result(scenario, configuration, &path, &tally, costs).await?;
    result.population_base = population_base as f64 / 1e9;
    result.wall_secs = started.elapsed().as_secs_f64();
    Ok((result, tally.samples))
}

/// The market after a step: prices `PRICE_PRECISION`, open interest
/// `BASE_PRECISION`, the fund quote native.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Seconds since the path started.
    pub secs: u64,
    /// What the oracle published.
    pub oracle: u64,
    /// The price the program accepted (the jump guard may hold a print).
    pub accepted: u64,
    pub fair: u64,
    /// After the keeper, before the arbitrage desks.
    pub mark_before_arbitrage: u64,
    /// After the arbitrage desks.
    pub mark: u64,
    /// Insurance fund balance after the keeper.
    pub insurance: u64,
    pub open_interest_long: u64,
    pub open_interest_short: u64,
}

/// What a run accumulates between steps.
struct Tally {
    fund_start: u64,
    fund_last: u64,
    fund_peak: u64,
    /// Largest fall from a previous peak, quote native.
    drawdown: u64,
    /// Base the keeper's liquidations closed or took over, at the fair
    /// price, quote native.
    liquidated_notional: u128,
    samples: Vec<Sample>,
}

impl Tally {
    fn new(fund: u64) -> Tally {
        Tally {
            fund_start: fund,
            fund_last: fund,
            fund_peak: fund,
            drawdown: 0,
            liquidated_notional: 0,
            samples: Vec::new(),
        }
    }

    fn fund(&mut self, balance: u64) {
        self.fund_last = balance;
        self.fund_peak = self.fund_peak.max(balance);
        self.drawdown = self.drawdown.max(self.fund_peak - balance);
    }
}

impl Exchange {
    /// An exchange with the market listed through the timelock and the
    /// insurance fund staked.
    async fn list(
        params: &CreateMarketParams,
        configuration: Configuration,
        seed: u64,
    ) -> Result<Exchange, String> {
        let mut chain = Chain::deploy(Rng::new(seed ^ 0x05ee_d0fb_e4c4)).await?;
        let mut oracles = vec![chain.oracle(params.primary_source, params.primary_feed_id)];
        if let Some(source) = params.secondary_source {
            oracles.push(chain.oracle(source, params.secondary_feed_id));
        }
        let listing = GovernanceAction::ListMarket {
            params: params.clone(),
            primary_oracle: oracles[0].address,
            secondary_oracle: oracles.get(1).map(|o| o.address),
        };
        let first_prices: Vec<(Oracle, u64)> = oracles.iter().map(|o| (*o, START_PRICE)).collect();
        chain.govern(vec![listing], &first_prices).await?;
        chain.stake_insurance(INSURANCE_STAKE, 1).await?;
        let mut exchange = Exchange {
            chain,
            oracles,
            crowd: Vec::new(),
            churners: Vec::new(),
            attacker: None,
            arbitrageurs: Vec::new(),
            keeper: None,
            keeper_account: Pubkey::default(),
            price: START_PRICE,
            pools_at_listing: 0,
            fund_at_listing: 0,
            trades: 0,
            refusals: BTreeMap::new(),
        };
        for _ in 0..ARBITRAGEURS {
            let desk = exchange.trader(ARBITRAGEUR_COLLATERAL).await?;
            exchange.arbitrageurs.push(desk);
        }
        exchange.pools_at_listing = pools_net(&exchange.market().await?.market.pools);
        exchange.fund_at_listing = exchange.chain.fund().await?;
        let keeper = exchange.trader(KEEPER_COLLATERAL).await?;
        exchange.keeper_account = keeper.account;
        exchange.keeper = Some(Keeper::new(keeper.owner, keeper.account, configuration.keeper()));
        Ok(exchange)
    }

    /// The same seeded population for every configuration: the crowd opens
    /// one by one in orders of at most `ORDER_CHUNK`, a second apart, the
    /// arbitrageur bringing the mark back after each.
    async fn populate(&mut self, scenario: Scenario, seed: u64) -> Result<(), String> {
        let crowd = scenario.crowd();
        let mut draws = Rng::new(seed ^ 0xc40d);
        for _ in 0..crowd.traders {
            let collateral = (5_000 + draws.below(15_001)) * USDC;
            let long = draws.below(100) < crowd.long_pct;
            let span = crowd.max_leverage_tenths - crowd.min_leverage_tenths + 1;
            let leverage_tenths = crowd.min_leverage_tenths + draws.below(span);
            let wallet = self.trader(collateral).await?;
            let direction = if long { Direction::Long } else { Direction::Short };
            self.open_in_chunks(&wallet, direction, collateral * leverage_tenths / 10).await?;
            self.crowd.push(wallet);
        }
        for _ in 0..crowd.churners {
            let wallet = self.trader(100_000 * USDC).await?;
            self.churners.push(wallet);
        }
        if crowd.attacker {
            let wallet = self.trader(ATTACKER_COLLATERAL).await?;
            self.open_in_chunks(&wallet, Direction::Long, ATTACKER_NOTIONAL).await?;
            self.attacker = Some(wallet);
        }
        Ok(())
    }

    /// `quote` in orders of at most `ORDER_CHUNK`, each a second after the
    /// last (a new slot, oracle republished), the mark arbitraged back.
    async fn open_in_chunks(
        &mut self,
        wallet: &Wallet,
        direction: Direction,
        quote: u64,
    ) -> Result<(), String> {
        let mut left = quote;
        while left > 0 {
            let chunk = left.min(ORDER_CHUNK);
            self.next_slot().await;
            self.open(wallet, direction, chunk).await?;
            self.arbitrage(START_PRICE).await?;
            left -= chunk;
        }
        Ok(())
    }

    /// Price impact and fee of a long of each size on the listed curve,
    /// and the first limit that refuses it as one order (the program's
    /// checks in its order, on a market with no open interest whose mark
    /// is at the oracle).
    async fn trade_costs(&mut self, params: &CreateMarketParams) -> Result<Vec<TradeCost>, String> {
        let curve = self.market().await?.market.amm.curve();
        let oracle = self.price;
        COST_SIZES_USDC
            .iter()
            .map(|size| {
                let quote = size * USDC;
                let impact = curve
                    .price_impact(Direction::Long, TradeSize::Quote(quote))
                    .map_err(|e| e.to_string())?;
                let fee = fee_for(quote, params.taker_fee_bps).map_err(|e| e.to_string())?;
                let of = |price: u64, bps: u16| price as u128 * bps as u128 / 10_000;
                let notional = impact.swap.base as u128 * oracle as u128 / 1_000_000_000;
                let refused_by =
                    if impact.mark_after.abs_diff(oracle) as u128 > of(oracle, params.mark_oracle_band_bps) {
                        Some("mark-oracle band")
                    } else if impact.mark_after.abs_diff(impact.mark_before) as u128
                        > of(impact.mark_before, params.max_slot_move_bps)
                    {
                        Some("per-slot move")
                    } else if notional > params.max_open_interest as u128 {
                        Some("open-interest cap")
                    } else if notional > params.max_position_notional as u128 {
                        Some("position cap")
                    } else {
                        None
                    };
                Ok(TradeCost {
                    size_usdc: *size,
                    impact_bps: impact.impact_bps,
                    fill_vs_mark_bps: (impact.average_price as f64 / impact.mark_before as f64 - 1.0)
                        * 10_000.0,
                    fee_usdc: fee as f64 / 1e6,
                    refused_by: refused_by.map(String::from),
                })
            })
            .collect()
    }

    fn publish(&mut self, price: u64) {
        self.price = price;
        for oracle in &self.oracles {
            oracle.publish(&mut self.chain.rt, price);
        }
    }

    /// A trader account holding all of a new wallet's `deposit`.
    async fn trader(&mut self, deposit: u64) -> Result<Wallet, String> {
        self.chain.trader(deposit, deposit).await
    }

    /// A second later (a new slot), the oracle republishing its price.
    async fn next_slot(&mut self) {
        let now = self.chain.rt.now();
        self.chain.rt.set_time(now + 1).await;
        self.publish(self.price);
    }

    /// One keeper pass; tallies what its liquidations closed (at the fair
    /// price: in a manipulated market the oracle's print says nothing) and
    /// the fund after it.
    async fn keep(&mut self, tally: &mut Tally, fair: u64) -> Result<(), String> {
        let before = self.exposure().await?;
        let mut keeper = self.keeper.take().ok_or("no keeper")?;
        let ticked = keeper.tick(&mut self.chain.rt).await.map_err(err);
        self.keeper = Some(keeper);
        ticked?;
        let after = self.exposure().await?;
        tally.liquidated_notional += before
            .iter()
            .zip(&after)
            .map(|(b, a)| {
                b.unsigned_abs().saturating_sub(a.unsigned_abs()) as u128 * fair as u128 / 1_000_000_000
            })
            .sum::<u128>();
        let fund = self.chain.fund().await?;
        tally.fund(fund);
        Ok(())
    }

    async fn market(&mut self) -> Result<MarketSnapshot, String> {
        fetch_markets(&mut self.chain.rt)
            .await
            .map_err(err)?
            .into_iter()
            .next()
            .ok_or_else(|| "no market".to_string())
    }

    /// An order without a limit; a refusal is counted, not an error.
    async fn open(&mut self, wallet: &Wallet, direction: Direction, quote: u64) -> Result<(), String> {
        self.send_order(wallet, Some((direction, TradeSize::Quote(quote)))).await.map(|_| ())
    }

    async fn close(&mut self, wallet: &Wallet) -> Result<(), String> {
        self.send_order(wallet, None).await.map(|_| ())
    }

    async fn send_order(
        &mut self,
        wallet: &Wallet,
        order: Option<(Direction, TradeSize)>,
    ) -> Result<bool, String> {
        let markets = fetch_markets(&mut self.chain.rt).await.map_err(err)?;
        let Some(state) = fetch_trader(&mut self.chain.rt, &wallet.account).await.map_err(err)? else {
            return Ok(false);
        };
        let owner = wallet.owner.insecure_clone();
        let accounts = trade_accounts(owner.pubkey(), wallet.account, &markets[0], &markets, &state);
        let instruction = match order {
            Some((direction, size)) => {
                let limit_price = if direction == Direction::Long { u64::MAX } else { 0 };
                ix::open_position(
                    &accounts,
                    OpenPositionParams { direction, size, limit_price, reduce_only: false },
                )
            }
            None => {
                if state.position(0).is_none_or(|p| p.base == 0) {
                    return Ok(false);
                }
                ix::close_position(&accounts, ClosePositionParams { base_amount: None, limit_price: None })
            }
        };
        match self.chain.rt.send(&[instruction], &[&owner]).await {
            Ok(()) => {
                self.trades += 1;
                Ok(true)
            }
            Err(ClientError::Program { name, .. }) => {
                *self.refusals.entry(name).or_default() += 1;
                Ok(false)
            }
            Err(other) => Err(other.to_string()),
        }
    }

    /// Trades the mark to `fair` when they are more than 5 bps apart, in
    /// orders of at most `ARBITRAGE_CHUNK`, each from the first desk whose
    /// order goes through (desks fill up to the position cap).
    async fn arbitrage(&mut self, fair: u64) -> Result<(), String> {
        let desks = std::mem::take(&mut self.arbitrageurs);
        let result = self.arbitrage_with(&desks, fair).await;
        self.arbitrageurs = desks;
        result
    }

    async fn arbitrage_with(&mut self, desks: &[Wallet], fair: u64) -> Result<(), String> {
        let chunk_base = (ARBITRAGE_CHUNK as u128 * 1_000_000_000 / fair.max(1) as u128) as u64;
        loop {
            let curve = self.market().await?.market.amm.curve();
            let mark = curve.mark_price().map_err(|e| e.to_string())?;
            if mark.abs_diff(fair) * 10_000 <= fair * 5 {
                return Ok(());
            }
            let (direction, size) = curve.trade_toward(fair).map_err(|e| e.to_string())?;
            let size = size.min(chunk_base);
            if size == 0 {
                return Ok(());
            }
            self.next_slot().await;
            let mut filled = false;
            for desk in desks {
                if self.send_order(desk, Some((direction, TradeSize::Base(size)))).await? {
                    filled = true;
                    break;
                }
            }
            if !filled {
                return Ok(());
            }
        }
    }

    /// Churners flip a coin each step: open a random size either way, or
    /// close what they hold.
    async fn churn(&mut self) -> Result<(), String> {
        let churners = std::mem::take(&mut self.churners);
        for wallet in &churners {
            self.next_slot().await;
            match self.chain.rng.below(3) {
                0 => self.close(wallet).await?,
                side => {
                    let direction = if side == 1 { Direction::Long } else { Direction::Short };
                    let quote = (10_000 + self.chain.rng.below(40_001)) * USDC;
                    self.open(wallet, direction, quote).await?
                }
            }
        }
        self.churners = churners;
        Ok(())
    }

    /// While the oracle is manipulated, the attacker sells its long as
    /// soon as the mark is 1% above where it bought.
    async fn attack(&mut self, manipulated: bool) -> Result<(), String> {
        let Some(attacker) = self.attacker.take() else {
            return Ok(());
        };
        if manipulated {
            self.next_slot().await;
            let mark = self.market().await?.market.amm.curve().mark_price().map_err(|e| e.to_string())?;
            if let Some(state) = fetch_trader(&mut self.chain.rt, &attacker.account).await.map_err(err)? {
                if let Some(position) = state.position(0).filter(|p| p.base > 0) {
                    let entry = position.entry_notional as u128 * 1_000_000_000 / position.base as u128;
                    if mark as u128 * 100 >= entry * 101 {
                        self.close(&attacker).await?;
                    }
                }
            }
        }
        self.attacker = Some(attacker);
        Ok(())
    }

    /// The base of every account a liquidation can close (crowd, churners,
    /// attacker, arbitrage desks), `BASE_PRECISION`.
    async fn exposure(&mut self) -> Result<Vec<i64>, String> {
        let accounts: Vec<Pubkey> = self.traders().chain(&self.arbitrageurs).map(|w| w.account).collect();
        let mut bases = Vec::with_capacity(accounts.len());
        for account in accounts {
            let state = fetch_trader(&mut self.chain.rt, &account).await.map_err(err)?;
            bases.push(state.and_then(|s| s.position(0).map(|p| p.base)).unwrap_or(0));
        }
        Ok(bases)
    }

    fn traders(&self) -> impl Iterator<Item = &Wallet> {
        self.crowd.iter().chain(&self.churners).chain(&self.attacker)
    }

    /// The attacker leaves; a last keeper pass settles what is owed.
    async fn finish(&mut self, tally: &mut Tally, fair: u64) -> Result<(), String> {
        if let Some(attacker) = self.attacker.take() {
            self.next_slot().await;
            self.close(&attacker).await?;
            self.attacker = Some(attacker);
        }
        self.next_slot().await;
        self.keep(tally, fair).await
    }

    async fn result(
        &mut self,
        scenario: Scenario,
        configuration: Configuration,
        path: &Path,
        tally: &Tally,
        costs: Vec<TradeCost>,
    ) -> Result<RunResult, String> {
        let markets = fetch_markets(&mut self.chain.rt).await.map_err(err)?;
        let market = &markets.first().ok_or("no market")?.market;
        let book = price_book(&markets, self.chain.rt.clock_now(), &[]);
        let crowd = self.results(&book, &Self::holdings(&self.crowd)).await?;
        let churners = self.results(&book, &Self::holdings(&self.churners)).await?;
        let arbitrageurs = self.results(&book, &Self::holdings(&self.arbitrageurs)).await?;
        let liquidator = self.results(&book, &[(self.keeper_account, KEEPER_COLLATERAL)]).await?;
        let attacker_pnl = match self.attacker.as_ref().map(|w| (w.account, w.deposit)) {
            Some(holding) => self.results(&book, &[holding]).await?.first().copied(),
            None => None,
        };
        let roles = RolePnl {
            crowd: crowd.iter().sum(),
            churners: churners.iter().sum(),
            arbitrageurs: arbitrageurs.iter().sum(),
            liquidator: liquidator.iter().sum(),
            attacker: attacker_pnl,
            insurance_stakers: (self.chain.fund().await? as f64 - self.fund_at_listing as f64) / 1e6,
            pools: (pools_net(&market.pools) - self.pools_at_listing) as f64 / 1e6,
        };
        let pnl = crowd;
        // The attacker's take is what it can withdraw; claims the PnL pool
        // has not paid are shown apart.
        let mut attacker = (None, None);
        if let Some((account, deposit)) = self.attacker.as_ref().map(|w| (w.account, w.deposit)) {
            if let Some(state) = fetch_trader(&mut self.chain.rt, &account).await.map_err(err)? {
                let claims: u64 =
                    state.positions.iter().filter(|p| p.is_open()).map(|p| p.pending_profit).sum();
                attacker = (
                    Some((state.collateral as i128 - deposit as i128) as f64 / 1e6),
                    Some(claims as f64 / 1e6),
                );
            }
        }
        let gap = |mark: u64, price: u64| mark.abs_diff(price) as f64 / price.max(1) as f64 * 10_000.0;
        let gaps: Vec<f64> = tally.samples.iter().map(|s| gap(s.mark_before_arbitrage, s.accepted)).collect();
        let fair_gaps: Vec<f64> = tally.samples.iter().map(|s| gap(s.mark, s.fair)).collect();
        let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len().max(1) as f64;
        let max = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
        let stats = &market.stats;
        let pools = &market.pools;
        let fund_end = self.chain.fund().await?;
        // Bad debt is socialised only once the fund is empty.
        let drawdown = if stats.bad_debt_socialised > 0 { tally.fund_peak } else { tally.drawdown };
        Ok(RunResult {
            scenario: scenario.name().to_string(),
            configuration: configuration.name().to_string(),
            steps: tally.samples.len() as u64,
            simulated_secs: tally.samples.last().map_or(0, |s| s.secs),
            path_secs: (path.ticks.len() as u64 - 1) * path.step_secs,
            population_base: 0.0,
            bad_debt_usdc: (stats.bad_debt_insured + stats.bad_debt_socialised + stats.bad_debt_unrecovered)
                as f64
                / 1e6,
            bad_debt_insured_usdc: stats.bad_debt_insured as f64 / 1e6,
            socialised_loss_usdc: stats.bad_debt_socialised as f64 / 1e6,
            bad_debt_unrecovered_usdc: stats.bad_debt_unrecovered as f64 / 1e6,
            unresolved_loss_usdc: (pools.unpaid_loss_long + pools.unpaid_loss_short) as f64 / 1e6,
            insurance_start_usdc: tally.fund_start as f64 / 1e6,
            insurance_drawdown_usdc: drawdown as f64 / 1e6,
            insurance_end_usdc: fund_end as f64 / 1e6,
            liquidations: stats.liquidation_count,
            takeovers: stats.takeover_count,
            liquidated_notional_usdc: tally.liquidated_notional as f64 / 1e6,
            gap_max_bps: max(&gaps),
            gap_mean_bps: mean(&gaps),
            fair_gap_max_bps: max(&fair_gaps),
            fair_gap_mean_bps: mean(&fair_gaps),
            funding_paid_by_fee_pool_usdc: stats.funding_paid_by_fee_pool as f64 / 1e6,
            trade_costs: costs,
            attacker_extraction_usdc: attacker.0,
            attacker_unpaid_claims_usdc: attacker.1,
            trader_pnl_usdc: Distribution::of(pnl),
            role_pnl_usdc: roles,
            trades: self.trades,
            refused: self.refusals.values().sum(),
            refusals: self.refusals.clone(),
            conserved: self.conserved().await?,
            wall_secs: 0.0,
        })
    }

    fn holdings(wallets: &[Wallet]) -> Vec<(Pubkey, u64)> {
        wallets.iter().map(|w| (w.account, w.deposit)).collect()
    }

    /// Each account's equity at `book`'s prices (unrealised PnL, funding
    /// and claims at what the PnL pool can pay) minus its deposit, USDC.
    async fn results(&mut self, book: &PriceBook, holdings: &[(Pubkey, u64)]) -> Result<Vec<f64>, String> {
        let mut results = Vec::with_capacity(holdings.len());
        for (account, deposit) in holdings {
            if let Some(state) = fetch_trader(&mut self.chain.rt, account).await.map_err(err)? {
                let margin = account_health(book, &state).map_err(|e| e.to_string())?.margin;
                let equity = margin.equity().map_err(|e| e.to_string())?;
                results.push((equity - *deposit as i128) as f64 / 1e6);
            }
        }
        Ok(results)
    }

    /// The conservation checks of the test suite and the sandbox, over
    /// every trader account of the run.
    async fn conserved(&mut self) -> Result<bool, String> {
        let mut accounts: Vec<Pubkey> = self.traders().chain(&self.arbitrageurs).map(|w| w.account).collect();
        accounts.push(self.keeper_account);
        Ok(self.chain.conservation(&accounts).await?.ok)
    }
}

/// What a market's pools hold, net of the profit claims the PnL pool can
/// pay (traders' equity counts those) and with the losses owed to them,
/// quote native.
fn pools_net(pools: &vamm::state::MarketPools) -> i128 {
    let held = pools.pnl_pool + pools.fee_pool + pools.treasury + pools.insurance_pending;
    let claims = pools.unpaid_profit.min(pools.pnl_pool);
    held as i128 - claims as i128 + (pools.unpaid_loss_long + pools.unpaid_loss_short) as i128
}

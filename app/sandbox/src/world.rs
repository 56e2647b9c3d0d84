//! Building the sandbox exchange and stepping it through time.

use crate::agents::{Agent, Intent, Strategy, View};
use crate::chain::{err, Chain, Oracle, Wallet, START_TS, USDC};
use crate::markets::{listing, specs, MarketSpec};
use crate::prices::{from_csv, random_walk, WalkParams};
use crate::report::{History, MarketReport, Report};
use crate::rng::Rng;
use crate::SandboxConfig;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::collections::BTreeMap;
use std::time::Instant;
use vamm::instructions::{ClosePositionParams, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::position::unrealised_pnl;
use vamm::state::GovernanceAction;
use vamm_client::keeper::{Keeper, KeeperConfig};
use vamm_client::valuation::{fetch_exchange, fetch_markets, fetch_trader, trade_accounts, MarketSnapshot};
use vamm_client::{ix, ClientError, Transport};

struct SimMarket {
    name: String,
    primary: Oracle,
    secondary: Option<Oracle>,
}

pub struct World {
    chain: Chain,
    markets: Vec<SimMarket>,
    prices: Vec<Vec<u64>>,
    agents: Vec<Agent>,
    arbitrageur: Wallet,
    keeper: Keeper,
    averages: Vec<f64>,
    pub history: History,
    trades_executed: u64,
    refusals: BTreeMap<String, u64>,
    trader_accounts: Vec<Pubkey>,
    fund_start: u64,
    started: Instant,
}

impl World {
    pub async fn build(config: &SandboxConfig) -> Result<World, String> {
        let started = Instant::now();
        let mut rng = Rng::new(config.seed);
        let specs = specs();
        let steps = (config.hours * 3_600 / config.step_secs.max(1)) as usize;
        let prices = match &config.prices_csv {
            Some(csv) => from_csv(csv, specs.len())?,
            None => {
                let starts: Vec<u64> = specs.iter().map(|s| s.price).collect();
                let walks: Vec<WalkParams> = specs.iter().map(|s| s.walk).collect();
                let mut path = vec![starts.clone()];
                path.extend(random_walk(&starts, &walks, steps, &mut rng));
                path
            }
        };

        // Governance lists the markets through the timelock: the exchange is
        // deployed one delay before the simulation starts.
        let mut chain = Chain::deploy(rng).await?;
        let treasury =
            chain.rt.create_token_account(&chain.mint, &chain.admin.pubkey()).await.map_err(err)?;

        let mut world = World {
            chain,
            markets: Vec::new(),
            averages: prices[0].iter().map(|p| *p as f64).collect(),
            prices,
            agents: Vec::new(),
            arbitrageur: Wallet {
                owner: Keypair::new(),
                account: Pubkey::default(),
                usdc: Pubkey::default(),
                deposit: 0,
            },
            keeper: Keeper::new(Keypair::new(), Pubkey::default(), KeeperConfig::default()),
            history: History::default(),
            trades_executed: 0,
            refusals: BTreeMap::new(),
            trader_accounts: Vec::new(),
            fund_start: 0,
            started,
        };
        let mut actions = vec![
            GovernanceAction::SetUnstakeCooldown { cooldown_secs: 86_400 },
            GovernanceAction::SetTreasury { treasury },
        ];
        for (index, spec) in specs.iter().enumerate() {
            // List at the path's first price (a CSV may start anywhere).
            let price = world.prices[0][index];
            actions.push(world.listing(index as u16, spec, price));
        }
        let first_prices: Vec<(Oracle, u64)> = world
            .markets
            .iter()
            .zip(&world.prices[0])
            .flat_map(|(m, price)| std::iter::once(m.primary).chain(m.secondary).map(|o| (o, *price)))
            .collect();
        world.chain.govern(actions, &first_prices).await?;
        // Insurance stakers.
        for amount in [20_000 * USDC, 5_000 * USDC] {
            world.chain.stake_insurance(amount, world.markets.len() as u16).await?;
        }
        world.fund_start = world.chain.fund().await?;
        // Traders: every strategy on every market.
        for market in 0..world.markets.len() {
            for strategy in [Strategy::TrendFollower, Strategy::Contrarian, Strategy::Gambler] {
                for _ in 0..config.traders_per_strategy {
                    let stake = if strategy == Strategy::Gambler { 1_000 * USDC } else { 3_000 * USDC };
                    let wallet = world.trader(50_000 * USDC, stake).await?;
                    world.agents.push(Agent {
                        strategy,
                        owner: wallet.owner,
                        account: wallet.account,
                        usdc: wallet.usdc,
                        market,
                        stake,
                    });
                }
            }
        }
        world.arbitrageur = world.trader(5_000_000 * USDC, 2_000_000 * USDC).await?;
        // The keeper liquidates by takeover with its own 250,000 USDC (the
        // curve as its fallback) and unwinds what it takes over.
        let keeper = world.trader(250_000 * USDC, 250_000 * USDC).await?;
        // Sweep the insurance share once it is worth a transaction.
        let keeper_config = KeeperConfig { sweep_threshold: 100 * USDC, ..KeeperConfig::default() };
        world.keeper = Keeper::new(keeper.owner, keeper.account, keeper_config);
        world.history.names = world.markets.iter().map(|m| m.name.clone()).collect();
        world.history.hours_per_step = config.step_secs as f64 / 3_600.0;
        Ok(world)
    }

    /// The listing of market `index` at `price`, with new oracle accounts.
    fn listing(&mut self, index: u16, spec: &MarketSpec, price: u64) -> GovernanceAction {
        let (action, primary, secondary) = listing(&mut self.chain, index, spec, price);
        self.markets.push(SimMarket { name: spec.name.to_string(), primary, secondary });
        action
    }

    /// Writes `price` to the market's oracle account(s), as publishers do.
    fn publish(&mut self, market: usize, price: u64) {
        let m = &self.markets[market];
        for oracle in std::iter::once(m.primary).chain(m.secondary) {
            oracle.publish(&mut self.chain.rt, price);
        }
    }

    /// A wallet with a trader account holding `deposit` of its `usdc`.
    async fn trader(&mut self, usdc: u64, deposit: u64) -> Result<Wallet, String> {
        let wallet = self.chain.trader(usdc, deposit).await?;
        self.trader_accounts.push(wallet.account);
        Ok(wallet)
    }

    pub async fn simulate(&mut self, config: &SandboxConfig) -> Result<(), String> {
        let steps = self.prices.len() - 1;
        let bar = if config.progress {
            indicatif::ProgressBar::new(steps as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {msg}")
                .map_err(|e| e.to_string())?,
        );
        for step in 1..=steps {
            self.chain.rt.set_time(START_TS + (step as u64 * config.step_secs) as i64).await;
            let row = self.prices[step].clone();
            for (market, price) in row.iter().enumerate() {
                self.publish(market, *price);
                self.averages[market] = 0.95 * self.averages[market] + 0.05 * *price as f64;
            }
            let markets = fetch_markets(&mut self.chain.rt).await.map_err(err)?;
            self.act_agents(&markets, &row).await?;
            self.arbitrage(&markets, &row).await?;
            if let Err(e) = self.keeper.tick(&mut self.chain.rt).await {
                tracing::warn!(error = %e, "keeper tick failed");
            }
            self.record(&row).await?;
            bar.inc(1);
            if step % 12 == 0 {
                bar.set_message(format!("{:.0}h simulated", step as f64 * config.step_secs as f64 / 3_600.0));
            }
        }
        bar.finish_and_clear();
        Ok(())
    }

    async fn act_agents(&mut self, markets: &[MarketSnapshot], row: &[u64]) -> Result<(), String> {
        // A seeded shuffle so no agent always trades first.
        let mut order: Vec<usize> = (0..self.agents.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, self.chain.rng.below(i as u64 + 1) as usize);
        }
        for i in order {
            let market = self.agents[i].market;
            let account = self.agents[i].account;
            let Some(state) = fetch_trader(&mut self.chain.rt, &account).await.map_err(err)? else {
                continue;
            };
            let position = state.position(market as u16).copied();
            let base = position.map_or(0, |p| p.base);
            let pnl_bps = match position {
                Some(p) if p.base != 0 && p.entry_notional > 0 => {
                    unrealised_pnl(p.base, p.entry_notional, row[market]).unwrap_or(0) * 10_000
                        / p.entry_notional as i64
                }
                _ => 0,
            };
            let view = View {
                oracle: row[market],
                average: self.averages[market],
                base,
                pnl_bps,
                collateral: state.collateral,
            };
            let intent = self.agents[i].decide(&view, &mut self.chain.rng);
            let agent = &self.agents[i];
            let owner = agent.owner.insecure_clone();
            let result = match intent {
                Intent::Hold => continue,
                Intent::TopUp(amount) => {
                    self.chain.mint_to(&agent.usdc, amount).await?;
                    let ix = ix::deposit(&owner.pubkey(), &account, &agent.usdc, &self.chain.mint, amount);
                    self.chain.rt.send(&[ix], &[&owner]).await
                }
                Intent::Open(direction, size) => {
                    let limit_price = if direction == Direction::Long { u64::MAX } else { 0 };
                    let params = OpenPositionParams { direction, size, limit_price, reduce_only: false };
                    let accounts = trade_accounts(owner.pubkey(), account, &markets[market], markets, &state);
                    self.chain.rt.send(&[ix::open_position(&accounts, params)], &[&owner]).await
                }
                Intent::Close => {
                    let accounts = trade_accounts(owner.pubkey(), account, &markets[market], markets, &state);
                    let params = ClosePositionParams { base_amount: None, limit_price: None };
                    self.chain.rt.send(&[ix::close_position(&accounts, params)], &[&owner]).await
                }
            };
            self.count(result);
        }
        Ok(())
    }

    /// Trades each mark back to its oracle when they are more than 5 bps apart.
    async fn arbitrage(&mut self, markets: &[MarketSnapshot], row: &[u64]) -> Result<(), String> {
        for (i, snapshot) in markets.iter().enumerate() {
            // Fresh each market: the previous trade may have opened a position.
            let Some(state) =
                fetch_trader(&mut self.chain.rt, &self.arbitrageur.account).await.map_err(err)?
            else {
                return Ok(());
            };
            let curve = snapshot.market.amm.curve();
            let mark = curve.mark_price().map_err(|e| e.to_string())?;
            if mark.abs_diff(row[i]) * 10_000 <= row[i] * 5 {
                continue;
            }
            let (direction, size) = curve.trade_toward(row[i]).map_err(|e| e.to_string())?;
            if size == 0 {
                continue;
            }
            let owner = self.arbitrageur.owner.insecure_clone();
            let accounts =
                trade_accounts(owner.pubkey(), self.arbitrageur.account, snapshot, markets, &state);
            let limit_price = if direction == Direction::Long { u64::MAX } else { 0 };
            let params = OpenPositionParams {
                direction,
                size: TradeSize::Base(size),
                limit_price,
                reduce_only: false,
            };
            let result = self.chain.rt.send(&[ix::open_position(&accounts, params)], &[&owner]).await;
            self.count(result);
        }
        Ok(())
    }

    fn count(&mut self, result: Result<(), ClientError>) {
        match result {
            Ok(()) => self.trades_executed += 1,
            Err(ClientError::Program { name, .. }) => *self.refusals.entry(name).or_default() += 1,
            Err(other) => *self.refusals.entry(other.to_string()).or_default() += 1,
        }
    }

    async fn record(&mut self, row: &[u64]) -> Result<(), String> {
        let markets = fetch_markets(&mut self.chain.rt).await.map_err(err)?;
        let history = &mut self.history;
        history.mark.resize(markets.len(), Vec::new());
        history.oracle.resize(markets.len(), Vec::new());
        history.oi_long.resize(markets.len(), Vec::new());
        history.oi_short.resize(markets.len(), Vec::new());
        for (i, snapshot) in markets.iter().enumerate() {
            let mark = snapshot.market.amm.curve().mark_price().unwrap_or(0);
            history.mark[i].push(mark as f64 / 1e6);
            history.oracle[i].push(row[i] as f64 / 1e6);
            let (long, short) = snapshot.market.open_interest_base();
            history.oi_long[i].push(long as f64 / 1e9 * row[i] as f64 / 1e6);
            history.oi_short[i].push(short as f64 / 1e9 * row[i] as f64 / 1e6);
        }
        let fund = fetch_exchange(&mut self.chain.rt).await.map_err(err)?.insurance;
        history.insurance.push(fund.balance as f64 / 1e6);
        Ok(())
    }

    pub async fn report(&mut self, config: &SandboxConfig) -> Result<Report, String> {
        let markets = fetch_markets(&mut self.chain.rt).await.map_err(err)?;
        let exchange = fetch_exchange(&mut self.chain.rt).await.map_err(err)?;
        let mut traders = Vec::new();
        for address in self.trader_accounts.clone() {
            if let Some(trader) = fetch_trader(&mut self.chain.rt, &address).await.map_err(err)? {
                traders.push(trader);
            }
        }
        let last = self.prices.len() - 1;
        let mut market_reports = Vec::new();
        for (i, snapshot) in markets.iter().enumerate() {
            let m = &snapshot.market;
            let gaps: Vec<f64> = self.history.mark[i]
                .iter()
                .zip(&self.history.oracle[i])
                .map(|(mark, oracle)| (mark - oracle).abs() / oracle * 10_000.0)
                .collect();
            market_reports.push(MarketReport {
                name: self.markets[i].name.clone(),
                start_price_usdc: self.prices[0][i] as f64 / 1e6,
                end_oracle_usdc: self.prices[last][i] as f64 / 1e6,
                end_mark_usdc: m.amm.curve().mark_price().unwrap_or(0) as f64 / 1e6,
                volume_usdc: m.stats.volume as f64 / 1e6,
                fees_usdc: m.stats.fees as f64 / 1e6,
                liquidations: m.stats.liquidation_count,
                bad_debt_usdc: (m.stats.bad_debt_insured
                    + m.stats.bad_debt_socialised
                    + m.stats.bad_debt_unrecovered) as f64
                    / 1e6,
                socialised_usdc: m.stats.bad_debt_socialised as f64 / 1e6,
                last_funding_rate_ppb: m.funding.last_rate_ppb,
                tracking_error_mean_bps: gaps.iter().sum::<f64>() / gaps.len().max(1) as f64,
                tracking_error_max_bps: gaps.iter().copied().fold(0.0, f64::max),
                open_interest_long_usdc: self.history.oi_long[i].last().copied().unwrap_or(0.0),
                open_interest_short_usdc: self.history.oi_short[i].last().copied().unwrap_or(0.0),
            });
        }
        let funding: Vec<i64> =
            traders.iter().flat_map(|t| t.positions.iter().map(|p| p.funding_paid)).collect();
        // Funding accrued on open positions but not settled into them yet.
        let mut unsettled: Vec<i64> = Vec::new();
        for trader in &traders {
            for p in trader.positions.iter().filter(|p| p.base != 0) {
                if let Some(m) = markets.iter().find(|m| m.index() == p.market_index) {
                    let f = &m.market.funding;
                    let owed = vamm::controller::settlement::unsettled_funding(
                        f.cumulative_long,
                        f.cumulative_short,
                        p.base,
                        p.funding_index,
                    )
                    .map_err(|e| e.to_string())?;
                    unsettled.push(owed);
                }
            }
        }
        let fee_pool_funding: u64 = markets.iter().map(|m| m.market.stats.funding_paid_by_fee_pool).sum();
        let conservation = self.chain.conservation(&self.trader_accounts).await?;
        Ok(Report {
            seed: config.seed,
            simulated_hours: last as f64 * config.step_secs as f64 / 3_600.0,
            steps: last as u64,
            traders: self.agents.len() as u64,
            trades_executed: self.trades_executed,
            trades_refused: self.refusals.clone(),
            volume_usdc: market_reports.iter().map(|m| m.volume_usdc).sum(),
            fees_usdc: market_reports.iter().map(|m| m.fees_usdc).sum(),
            funding_paid_usdc: funding.iter().filter(|f| **f > 0).sum::<i64>() as f64 / 1e6,
            funding_received_usdc: -funding.iter().filter(|f| **f < 0).sum::<i64>() as f64 / 1e6,
            funding_owed_unsettled_usdc: unsettled.iter().filter(|f| **f > 0).sum::<i64>() as f64 / 1e6,
            funding_due_unsettled_usdc: -unsettled.iter().filter(|f| **f < 0).sum::<i64>() as f64 / 1e6,
            funding_paid_by_fee_pool_usdc: fee_pool_funding as f64 / 1e6,
            liquidations: market_reports.iter().map(|m| m.liquidations).sum(),
            bad_debt_usdc: market_reports.iter().map(|m| m.bad_debt_usdc).sum(),
            insurance_start_usdc: self.fund_start as f64 / 1e6,
            insurance_end_usdc: exchange.insurance.balance as f64 / 1e6,
            insurance_revenue_usdc: exchange.insurance.revenue as f64 / 1e6,
            insurance_bad_debt_paid_usdc: exchange.insurance.bad_debt_paid as f64 / 1e6,
            keeper: self.keeper.stats,
            markets: market_reports,
            conservation,
            wall_clock_secs: self.started.elapsed().as_secs_f64(),
        })
    }
}

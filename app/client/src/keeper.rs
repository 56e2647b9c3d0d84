//! The keeper service: cranks markets whose oracle price left the jump
//! band (so a new level is confirmed as soon as the program allows),
//! settles funding when a period is due, liquidates under-margined
//! accounts riskiest first, resolves bankruptcies, pays profit claims from
//! PnL pools that can pay them and sweeps the insurance fund's fee share. Written once against
//! [`Transport`]. Every action is idempotent: when two keepers race, the
//! loser's transaction is refused by the program (`FundingNotDue`,
//! `NotLiquidatable`, `NoBadDebt`, `ZeroAmount`) and counted, not retried.

use crate::ix;
use crate::transport::{ClientError, ClientResult, Transport};
use crate::valuation::{account_health, fetch_markets, price_book, MarketSnapshot};
use anchor_lang::Discriminator;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::time::Duration;
use tracing::{info, warn};
use vamm::error::VammError;
use vamm::instructions::LiquidateParams;
use vamm::math::margin::HealthState;
use vamm::oracle::OracleClock;
use vamm::state::{MarketStatus, TraderAccount};

#[derive(Clone, Copy, Debug)]
pub struct KeeperConfig {
    /// Sweep a market's insurance share once it reaches this, quote native.
    pub sweep_threshold: u64,
    /// Most liquidation steps per account per tick.
    pub max_steps_per_account: usize,
    /// Rescan the program's trader accounts every this many ticks.
    pub refresh_every: u64,
    /// Retries of a transport failure, with doubling backoff from 200 ms.
    pub retries: u32,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        KeeperConfig { sweep_threshold: 1_000_000, max_steps_per_account: 20, refresh_every: 10, retries: 3 }
    }
}

/// What the keeper has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeeperStats {
    pub ticks: u64,
    pub funding_settled: u64,
    /// `update_twaps` cranks of markets holding an out-of-band price.
    pub price_holds_cranked: u64,
    pub liquidations: u64,
    pub bankruptcies_resolved: u64,
    /// Profit claims paid from a PnL pool (`settle_pnl`).
    pub claims_settled: u64,
    pub sweeps: u64,
    /// Positions closed in settled (delisted) markets.
    pub positions_settled: u64,
    /// Actions another keeper did first (the program refused ours).
    pub races_lost: u64,
    /// Actions the program refused for now for a reason that time or the
    /// account's owner must resolve (a claim to apply first, an account of
    /// the keeper's own owner); skipped until the next index refresh.
    pub waiting: u64,
    pub errors: u64,
}

pub struct Keeper {
    wallet: Keypair,
    /// The keeper's trader account, which receives liquidation rewards.
    account: Pubkey,
    config: KeeperConfig,
    index: Vec<Pubkey>,
    /// Accounts whose last action was refused for a lasting reason.
    skip: std::collections::BTreeSet<Pubkey>,
    pub stats: KeeperStats,
}

impl Keeper {
    pub fn new(wallet: Keypair, account: Pubkey, config: KeeperConfig) -> Self {
        Keeper {
            wallet,
            account,
            config,
            index: Vec::new(),
            skip: Default::default(),
            stats: KeeperStats::default(),
        }
    }

    pub fn account(&self) -> Pubkey {
        self.account
    }

    /// One pass over every market and every known trader account.
    pub async fn tick<T: Transport>(&mut self, transport: &mut T) -> ClientResult<KeeperStats> {
        let before = self.stats;
        if self.stats.ticks.is_multiple_of(self.config.refresh_every) || self.index.is_empty() {
            self.refresh_index(transport).await?;
        }
        self.stats.ticks += 1;
        let now = transport.clock().await?;
        let mut markets = fetch_markets(transport).await?;
        if self.crank_held_prices(transport, &markets, now).await {
            markets = fetch_markets(transport).await?;
        }
        self.settle_funding(transport, &markets, now.unix_ts).await;
        self.liquidate(transport, &markets, now).await?;
        self.settle_delisted(transport, &markets).await;
        self.resolve_bankruptcies(transport).await?;
        let markets = fetch_markets(transport).await?;
        self.settle_claims(transport, &markets).await;
        self.sweep(transport, &markets).await;
        let mut delta = self.stats;
        delta.funding_settled -= before.funding_settled;
        delta.price_holds_cranked -= before.price_holds_cranked;
        delta.liquidations -= before.liquidations;
        delta.bankruptcies_resolved -= before.bankruptcies_resolved;
        delta.claims_settled -= before.claims_settled;
        delta.sweeps -= before.sweeps;
        delta.positions_settled -= before.positions_settled;
        delta.races_lost -= before.races_lost;
        delta.waiting -= before.waiting;
        delta.errors -= before.errors;
        Ok(delta)
    }

    /// Rebuilds the in-memory index of trader accounts from a filtered scan.
    pub async fn refresh_index<T: Transport>(&mut self, transport: &mut T) -> ClientResult<()> {
        let accounts = transport.program_accounts(TraderAccount::DISCRIMINATOR).await?;
        self.index = accounts.into_iter().map(|(address, _)| address).collect();
        self.skip.clear();
        Ok(())
    }

    /// Cranks `update_twaps` on every open market whose oracle price the
    /// program holds (outside the jump band) or that has a hold recorded:
    /// the first crank starts the hold, later ones keep observing it, and
    /// the first one after the confirmation time accepts the new level.
    /// Returns whether any crank landed.
    async fn crank_held_prices<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        clock: OracleClock,
    ) -> bool {
        let mut cranked = false;
        for snapshot in markets {
            if matches!(snapshot.market.status(), Ok(MarketStatus::Settled)) {
                continue;
            }
            let reading = snapshot.oracle_price(clock);
            let held = matches!(&reading, Err(e) if *e == VammError::OracleJumpUnconfirmed.into());
            // A recorded hold ends (reverted or confirmed) on a usable price.
            let ends_hold = snapshot.market.price_guard.is_holding() && reading.is_ok();
            if !held && !ends_hold {
                continue;
            }
            let ix = ix::update_twaps(&self.wallet.pubkey(), &snapshot.oracles());
            match self.send(transport, &[ix]).await {
                Ok(()) => {
                    cranked = true;
                    self.stats.price_holds_cranked += 1;
                    info!(market = snapshot.index(), "held oracle price cranked");
                }
                Err(e) => self.failed("update_twaps", &e),
            }
        }
        cranked
    }

    async fn settle_funding<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        now: i64,
    ) {
        for snapshot in markets {
            let funding = &snapshot.market.funding;
            let open =
                matches!(snapshot.market.status(), Ok(MarketStatus::Active | MarketStatus::ReduceOnly));
            if !open || now < funding.last_funding_ts + funding.period_secs as i64 {
                continue;
            }
            let ix = ix::settle_funding(&self.wallet.pubkey(), &snapshot.oracles());
            match self.send(transport, &[ix]).await {
                Ok(()) => {
                    self.stats.funding_settled += 1;
                    info!(market = snapshot.index(), "funding settled");
                }
                Err(e) if e.is(VammError::FundingNotDue) => self.stats.races_lost += 1,
                // The price is held by the jump guard: funding waits for it.
                Err(e) if e.is(VammError::OracleJumpUnconfirmed) => self.stats.waiting += 1,
                Err(e) => self.failed("settle_funding", &e),
            }
        }
    }

    async fn liquidate<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        clock: OracleClock,
    ) -> ClientResult<()> {
        let book = price_book(markets, clock, &[]);
        // Candidates, riskiest (largest shortfall below maintenance) first.
        let mut candidates = Vec::new();
        for address in self.index.clone() {
            if address == self.account || self.skip.contains(&address) {
                continue;
            }
            let trader = match crate::valuation::fetch_trader(transport, &address).await {
                Ok(Some(trader)) => trader,
                Ok(None) => continue,
                Err(e) => {
                    self.failed("read trader account", &e);
                    continue;
                }
            };
            // The program refuses a liquidation by the liquidatee's own owner.
            if trader.owner == self.wallet.pubkey() {
                continue;
            }
            if !trader.has_base() {
                continue;
            }
            if let Ok(health) = account_health(&book, &trader) {
                if health.health >= HealthState::Liquidatable {
                    let shortfall =
                        health.margin.maintenance_required as i128 - health.margin.equity().unwrap_or(0);
                    candidates.push((shortfall, address));
                }
            }
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        for (_, address) in candidates {
            for step in 0..self.config.max_steps_per_account {
                let Ok(Some(trader)) = crate::valuation::fetch_trader(transport, &address).await else {
                    break;
                };
                let Ok(Some(market_index)) = book.riskiest_market(&trader) else { break };
                let Some(snapshot) = markets.iter().find(|m| m.index() == market_index) else { break };
                let remaining = crate::valuation::remaining_accounts(&trader, markets, Some(market_index));
                let params = LiquidateParams { max_base: None, riskiest_first: true };
                let ix = ix::liquidate(
                    &self.wallet.pubkey(),
                    &self.account,
                    &address,
                    &snapshot.oracles(),
                    params,
                    &remaining,
                );
                match self.send(transport, &[ix]).await {
                    Ok(()) => {
                        self.stats.liquidations += 1;
                        info!(account = %address, market = market_index, "liquidation step");
                    }
                    Err(e) if e.is(VammError::NotLiquidatable) || e.is(VammError::NoPosition) => {
                        // Refused before our first step: someone else got there.
                        if step == 0 {
                            self.stats.races_lost += 1;
                        }
                        break;
                    }
                    Err(e) if e.is(VammError::SelfLiquidation) => {
                        self.stats.waiting += 1;
                        self.skip.insert(address);
                        break;
                    }
                    Err(e) => {
                        self.failed("liquidate", &e);
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Closes every position left in a settled market.
    async fn settle_delisted<T: Transport>(&mut self, transport: &mut T, markets: &[MarketSnapshot]) {
        let settled: Vec<u16> = markets
            .iter()
            .filter(|m| matches!(m.market.status(), Ok(MarketStatus::Settled)))
            .map(|m| m.index())
            .collect();
        if settled.is_empty() {
            return;
        }
        for address in self.index.clone() {
            let Ok(Some(trader)) = crate::valuation::fetch_trader(transport, &address).await else {
                continue;
            };
            for position in
                trader.positions.iter().filter(|p| p.base != 0 && settled.contains(&p.market_index))
            {
                let ix = ix::settle_position(
                    &self.wallet.pubkey(),
                    &ix::market_pda(position.market_index),
                    &address,
                );
                match self.send(transport, &[ix]).await {
                    Ok(()) => self.stats.positions_settled += 1,
                    Err(e) if e.is(VammError::NoPosition) => self.stats.races_lost += 1,
                    Err(e) => self.failed("settle_position", &e),
                }
            }
        }
    }

    async fn resolve_bankruptcies<T: Transport>(&mut self, transport: &mut T) -> ClientResult<()> {
        let mint = crate::valuation::fetch_exchange(transport).await?.collateral_mint;
        for address in self.index.clone() {
            if self.skip.contains(&address) {
                continue;
            }
            let trader = match crate::valuation::fetch_trader(transport, &address).await {
                Ok(Some(trader)) => trader,
                Ok(None) => continue,
                Err(e) => {
                    self.failed("read trader account", &e);
                    continue;
                }
            };
            if trader.has_base() {
                continue;
            }
            for position in trader.positions.iter().filter(|p| p.unpaid_loss > 0) {
                let market = ix::market_pda(position.market_index);
                let claim_markets: Vec<Pubkey> = trader
                    .positions
                    .iter()
                    .filter(|p| p.pending_profit > 0 && p.market_index != position.market_index)
                    .map(|p| ix::market_pda(p.market_index))
                    .collect();
                let ix =
                    ix::resolve_bankruptcy(&self.wallet.pubkey(), &market, &address, &mint, &claim_markets);
                match self.send(transport, &[ix]).await {
                    Ok(()) => {
                        self.stats.bankruptcies_resolved += 1;
                        info!(account = %address, market = position.market_index, loss = position.unpaid_loss, "bankruptcy resolved");
                    }
                    Err(e) if e.is(VammError::NoBadDebt) => self.stats.races_lost += 1,
                    // The owner must first collect a claim elsewhere.
                    Err(e) if e.is(VammError::ClaimsOutstanding) => {
                        self.stats.waiting += 1;
                        self.skip.insert(address);
                    }
                    Err(e) => self.failed("resolve_bankruptcy", &e),
                }
            }
        }
        Ok(())
    }

    /// Pays every profit claim a PnL pool can pay now: in trading markets
    /// when the pool holds money, in settled markets once they are final.
    async fn settle_claims<T: Transport>(&mut self, transport: &mut T, markets: &[MarketSnapshot]) {
        let payable = |index: u16| {
            markets.iter().find(|m| m.index() == index).is_some_and(|m| {
                if matches!(m.market.status(), Ok(MarketStatus::Settled)) {
                    vamm::controller::claims::is_final(&m.market)
                } else {
                    m.market.pools.pnl_pool > 0
                }
            })
        };
        for address in self.index.clone() {
            let Ok(Some(trader)) = crate::valuation::fetch_trader(transport, &address).await else {
                continue;
            };
            for position in
                trader.positions.iter().filter(|p| p.pending_profit > 0 && payable(p.market_index))
            {
                let ix =
                    ix::settle_pnl(&self.wallet.pubkey(), &ix::market_pda(position.market_index), &address);
                match self.send(transport, &[ix]).await {
                    Ok(()) => self.stats.claims_settled += 1,
                    Err(e) if e.is(VammError::NoClaim) || e.is(VammError::PnlPoolEmpty) => {
                        self.stats.races_lost += 1
                    }
                    Err(e) => self.failed("settle_pnl", &e),
                }
            }
        }
    }

    async fn sweep<T: Transport>(&mut self, transport: &mut T, markets: &[MarketSnapshot]) {
        let Ok(exchange) = crate::valuation::fetch_exchange(transport).await else { return };
        let threshold = self.config.sweep_threshold;
        for snapshot in markets.iter().filter(|m| m.market.pools.insurance_pending >= threshold) {
            let ix =
                ix::sweep_insurance_fees(&self.wallet.pubkey(), &snapshot.address, &exchange.collateral_mint);
            match self.send(transport, &[ix]).await {
                Ok(()) => self.stats.sweeps += 1,
                Err(e) if e.is(VammError::ZeroAmount) => self.stats.races_lost += 1,
                Err(e) => self.failed("sweep_insurance_fees", &e),
            }
        }
    }

    /// Sends with retries on transport failures (doubling backoff).
    async fn send<T: Transport>(&self, transport: &mut T, instructions: &[Instruction]) -> ClientResult<()> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            match transport.send(instructions, &[&self.wallet]).await {
                Err(e) if e.is_retryable() && attempt < self.config.retries => {
                    warn!(error = %e, attempt, "retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn failed(&mut self, action: &str, error: &ClientError) {
        self.stats.errors += 1;
        warn!(action, error = %error, "keeper action failed");
    }
}

/// Runs the keeper every `interval` until Ctrl-C, logging a summary line
/// every `summary_every` ticks.
pub async fn run<T: Transport>(
    transport: &mut T,
    keeper: &mut Keeper,
    interval: Duration,
    summary_every: u64,
) -> ClientResult<()> {
    let mut ticker = tokio::time::interval(interval);
    // A slow pass delays the next one instead of bunching passes up.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // One listener for the whole run, so a Ctrl-C during a pass is not lost.
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => {
                info!(stats = ?keeper.stats, "keeper stopping");
                return Ok(());
            }
            _ = ticker.tick() => {
                let outcome = {
                    let pass = keeper.tick(transport);
                    tokio::pin!(pass);
                    tokio::select! {
                        _ = &mut shutdown => None,
                        result = &mut pass => Some(result),
                    }
                };
                match outcome {
                    None => {
                        info!(stats = ?keeper.stats, "keeper stopping mid-pass");
                        return Ok(());
                    }
                    Some(Err(e)) => {
                        keeper.stats.errors += 1;
                        warn!(error = %e, "tick failed");
                    }
                    Some(Ok(_)) => {}
                }
                if keeper.stats.ticks.is_multiple_of(summary_every.max(1)) {
                    let s = keeper.stats;
                    info!(ticks = s.ticks, funding = s.funding_settled, liquidations = s.liquidations, bankruptcies = s.bankruptcies_resolved, sweeps = s.sweeps, waiting = s.waiting, races_lost = s.races_lost, errors = s.errors, "keeper summary");
                }
            }
        }
    }
}

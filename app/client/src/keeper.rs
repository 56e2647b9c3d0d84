//! The keeper service: cranks markets whose oracle price left the jump
//! band (so a new level is confirmed as soon as the program allows),
//! re-centres curves whose repeg rule is met (and starts its clock),
//! settles funding when a period is due, liquidates under-margined
//! accounts riskiest first (taking positions over at the oracle price as
//! far as its account's margin and its configuration allow, into the curve
//! otherwise), unwinds what it took over into the curve without pushing
//! the mark more than a set distance past the oracle, resolves
//! bankruptcies, pays profit claims from PnL pools that can pay them,
//! sweeps the insurance fund's fee share and pays protocol fees to the
//! treasury. Written once against
//! [`Transport`]. Every action is idempotent: when two keepers race, the
//! loser's transaction is refused by the program (`FundingNotDue`,
//! `NotLiquidatable`, `NoBadDebt`, `ZeroAmount`) and counted, not retried.

use crate::ix;
use crate::transport::{ClientError, ClientResult, Transport};
use crate::valuation::{account_health, fetch_markets, fetch_traders, price_book, MarketSnapshot};
use anchor_lang::Discriminator;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::time::Duration;
use tracing::{info, warn};
use vamm::constants::{BASE_PRECISION, BPS_DENOMINATOR, RATIO_PRECISION};
use vamm::controller::price_book::PriceBook;
use vamm::controller::takeover::TAKEOVER_MARK_TOLERANCE_BPS;
use vamm::controller::trade::MIN_TRADE_NOTIONAL;
use vamm::error::VammError;
use vamm::instructions::{ClosePositionParams, LiquidateParams, LiquidationMode};
use vamm::math::amm::Direction;
use vamm::math::margin::{progressive_ratio, HealthState};
use vamm::math::position::notional;
use vamm::math::price_guard::{band_side, HoldSide};
use vamm::oracle::OracleClock;
use vamm::state::{MarketStatus, TraderAccount};

#[derive(Clone, Copy, Debug)]
pub struct KeeperConfig {
    /// Sweep a market's insurance share, and pay its protocol fees to the
    /// treasury, once either reaches this, quote native.
    pub sweep_threshold: u64,
    /// Most liquidation steps per account per tick.
    pub max_steps_per_account: usize,
    /// Rescan the program's trader accounts every this many ticks (and on
    /// the pass after the exchange counts a new account).
    pub refresh_every: u64,
    /// Retries of a transport failure, with doubling backoff from 200 ms.
    pub retries: u32,
    /// Transactions landing at once over JSON-RPC: settlements,
    /// bankruptcy resolutions and claim payments, and liquidation steps
    /// (one per account and market at a time).
    pub max_in_flight: usize,
    pub takeover: TakeoverConfig,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        KeeperConfig {
            sweep_threshold: 1_000_000,
            max_steps_per_account: 20,
            refresh_every: 10,
            retries: 3,
            max_in_flight: 8,
            takeover: TakeoverConfig::default(),
        }
    }
}

/// How much risk the keeper's own account takes on by liquidating by
/// takeover, and how it gets rid of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakeoverConfig {
    /// Largest position the keeper holds in one market, notional at the
    /// oracle price, quote native; 0 liquidates into the curve only.
    pub max_position_notional: u64,
    /// Before taking a position over, close into the curve what it takes
    /// while its mark is on the far side of the oracle (above it when
    /// selling a long): the liquidatee gets a better price than the oracle
    /// and the mark moves towards the oracle, not away from it.
    pub curve_toward_oracle: bool,
    /// Smallest takeover worth a transaction, quote native at the oracle
    /// price: below it the keeper uses the curve, so a keeper whose only
    /// collateral is its rewards does not take a crash over in crumbs.
    pub min_takeover_notional: u64,
    /// Share of its free collateral (initial equity above the initial
    /// requirement) the keeper commits to takeovers, bps: the rest is its
    /// cushion against the price moving further.
    pub margin_use_bps: u16,
    /// Share of each position the keeper unwinds into the curve per tick,
    /// bps; 0 holds what it took over.
    pub unwind_fraction_bps: u16,
    /// An unwind sells (a long; buys for a short) only while the mark is
    /// above the oracle minus this, bps, and stops there: it never leaves
    /// the mark more than this past the oracle. While the keeper's own
    /// account is below its initial margin the limit is four times this
    /// (at most the market's mark-oracle band): the keeper sheds risk
    /// faster before it needs liquidating itself, still in bounded slices.
    pub unwind_max_gap_bps: u16,
}

impl Default for TakeoverConfig {
    fn default() -> Self {
        TakeoverConfig {
            max_position_notional: 1_000_000_000_000,
            curve_toward_oracle: true,
            min_takeover_notional: 1_000_000_000,
            margin_use_bps: 2_500,
            unwind_fraction_bps: 2_500,
            unwind_max_gap_bps: 50,
        }
    }
}

/// What the keeper has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeeperStats {
    pub ticks: u64,
    pub funding_settled: u64,
    /// `update_twaps` cranks of markets holding an out-of-band price.
    pub price_holds_cranked: u64,
    /// Liquidation steps of either kind.
    pub liquidations: u64,
    /// Of those, the steps that took the position over at the oracle price
    pub takeovers: u64,
    /// ... and the steps into the curve while its mark was on the far side
    /// of the oracle (closing there moves it towards the oracle).
    pub curve_toward_oracle: u64,
    /// Takeovers the program refused (the keeper's margin, a cap, a
    /// reduce-only market), each followed by a step into the curve.
    pub takeovers_refused: u64,
    /// Batches of liquidation steps sent together (at most one step per
    /// account and per market in each): fewer than `liquidations` when
    /// accounts in different markets were liquidated at once.
    pub liquidation_waves: u64,
    /// Reduce-only orders that unwound positions the keeper took over.
    pub unwinds: u64,
    pub bankruptcies_resolved: u64,
    /// Profit claims paid from a PnL pool (`settle_pnl`).
    pub claims_settled: u64,
    pub sweeps: u64,
    /// Protocol fees paid to the treasury token account (`withdraw_treasury`).
    pub treasury_withdrawals: u64,
    /// Curves re-centred under the market's repeg rule.
    pub repegs: u64,
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

impl KeeperStats {
    /// What happened since `before` (counters only grow).
    pub fn since(&self, before: &KeeperStats) -> KeeperStats {
        KeeperStats {
            ticks: self.ticks - before.ticks,
            funding_settled: self.funding_settled - before.funding_settled,
            price_holds_cranked: self.price_holds_cranked - before.price_holds_cranked,
            liquidations: self.liquidations - before.liquidations,
            takeovers: self.takeovers - before.takeovers,
            curve_toward_oracle: self.curve_toward_oracle - before.curve_toward_oracle,
            takeovers_refused: self.takeovers_refused - before.takeovers_refused,
            liquidation_waves: self.liquidation_waves - before.liquidation_waves,
            unwinds: self.unwinds - before.unwinds,
            bankruptcies_resolved: self.bankruptcies_resolved - before.bankruptcies_resolved,
            claims_settled: self.claims_settled - before.claims_settled,
            sweeps: self.sweeps - before.sweeps,
            treasury_withdrawals: self.treasury_withdrawals - before.treasury_withdrawals,
            repegs: self.repegs - before.repegs,
            positions_settled: self.positions_settled - before.positions_settled,
            races_lost: self.races_lost - before.races_lost,
            waiting: self.waiting - before.waiting,
            errors: self.errors - before.errors,
        }
    }
}

pub struct Keeper {
    wallet: Keypair,
    /// The keeper's trader account, which receives liquidation rewards.
    account: Pubkey,
    config: KeeperConfig,
    index: Vec<Pubkey>,
    /// The exchange's `trader_account_count` when the index was built: a
    /// higher count means new accounts, and the next pass rescans.
    indexed_count: u64,
    skip: SkipLists,
    pub stats: KeeperStats,
}

/// Accounts an action leaves alone until the next index refresh because
/// the program refused it for a lasting reason, one list per action: a
/// refusal of one action says nothing about another (an account waiting
/// for its owner to collect a claim may still need liquidating).
#[derive(Default, Debug)]
struct SkipLists {
    /// `SelfLiquidation`: accounts of the keeper's own owner.
    liquidate: std::collections::BTreeSet<Pubkey>,
    /// `ClaimsOutstanding`: the owner must collect a claim first.
    resolve_bankruptcy: std::collections::BTreeSet<Pubkey>,
}

/// The trader accounts as one pass sees them: read together at its start
/// (one request per 100 accounts), in index order, and re-read one by one
/// only where the keeper's own transactions changed them.
#[derive(Default, Debug)]
pub struct TraderSnapshot {
    accounts: Vec<(Pubkey, TraderAccount)>,
}

impl TraderSnapshot {
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Pubkey, TraderAccount)> {
        self.accounts.iter()
    }

    /// Re-reads `address` after a transaction of the keeper changed it.
    async fn reread<T: Transport>(&mut self, transport: &mut T, address: &Pubkey) {
        let Some(slot) = self.accounts.iter().position(|(a, _)| a == address) else { return };
        match crate::valuation::fetch_trader(transport, address).await {
            Ok(Some(trader)) => self.accounts[slot].1 = trader,
            Ok(None) => {
                self.accounts.remove(slot);
            }
            // The next pass reads it again.
            Err(_) => {}
        }
    }
}

impl Keeper {
    pub fn new(wallet: Keypair, account: Pubkey, config: KeeperConfig) -> Self {
        Keeper {
            wallet,
            account,
            config,
            index: Vec::new(),
            indexed_count: 0,
            skip: SkipLists::default(),
            stats: KeeperStats::default(),
        }
    }

    /// Makes sure the keeper's trader account exists (sub-account
    /// `sub_account` of its wallet: rewards and taken-over positions go
    /// there), creating it when it does not. Returns whether it created
    /// it. Without collateral in it the keeper liquidates into the curve
    /// only: a takeover needs margin.
    pub async fn ensure_account<T: Transport>(
        &self,
        transport: &mut T,
        sub_account: u16,
    ) -> ClientResult<bool> {
        let owner = self.wallet.pubkey();
        if ix::trader_pda(&owner, sub_account) != self.account {
            return Err(ClientError::Transport(format!(
                "the keeper's account {} is not sub-account {sub_account} of {owner}",
                self.account
            )));
        }
        if crate::valuation::fetch_trader(transport, &self.account).await?.is_some() {
            return Ok(false);
        }
        transport.send(&[ix::create_trader_account(&owner, sub_account, None)], &[&self.wallet]).await?;
        info!(account = %self.account, "created the keeper's trader account");
        Ok(true)
    }

    pub fn account(&self) -> Pubkey {
        self.account
    }

    /// One pass over every market and every known trader account.
    pub async fn tick<T: Transport>(&mut self, transport: &mut T) -> ClientResult<KeeperStats> {
        let before = self.stats;
        // Accounts created since the last scan are seen on this pass.
        let created = crate::valuation::fetch_exchange(transport).await?.trader_account_count;
        let refreshed = if self.stats.ticks.is_multiple_of(self.config.refresh_every)
            || self.index.is_empty()
            || created != self.indexed_count
        {
            let snapshot = self.refresh_index(transport).await?;
            self.indexed_count = created;
            Some(snapshot)
        } else {
            None
        };
        // A refresh read every account with its data already.
        let mut traders = match refreshed {
            Some(traders) => traders,
            None => self.read_traders(transport).await?,
        };
        self.stats.ticks += 1;
        let now = transport.clock().await?;
        let mut markets = fetch_markets(transport).await?;
        if self.crank_held_prices(transport, &markets, now).await {
            markets = fetch_markets(transport).await?;
        }
        if self.repeg_by_rule(transport, &markets, now).await {
            markets = fetch_markets(transport).await?;
        }
        self.settle_funding(transport, &markets, now.unix_ts).await;
        self.liquidate(transport, &markets, &mut traders, now).await?;
        self.unwind(transport, now).await;
        // Takeovers and unwinds changed the keeper's own account.
        let own = self.account;
        traders.reread(transport, &own).await;
        self.settle_delisted(transport, &markets, &mut traders).await;
        self.resolve_bankruptcies(transport, &mut traders).await?;
        let markets = fetch_markets(transport).await?;
        self.settle_claims(transport, &markets, &traders).await;
        self.sweep(transport, &markets).await;
        Ok(self.stats.since(&before))
    }

    /// Rebuilds the in-memory index of trader accounts from one filtered
    /// scan (with their data, returned as this pass's snapshot), clears the
    /// skip lists, and reloads the exchange's lookup table (a listing
    /// extends it).
    pub async fn refresh_index<T: Transport>(&mut self, transport: &mut T) -> ClientResult<TraderSnapshot> {
        crate::lookup_table::use_exchange_table(transport).await?;
        let mut accounts = transport.program_accounts(TraderAccount::DISCRIMINATOR).await?;
        // A stable order, whatever order the node answers in.
        accounts.sort_by_key(|(address, _)| *address);
        self.index = accounts.iter().map(|(address, _)| *address).collect();
        self.skip = SkipLists::default();
        let accounts = accounts
            .into_iter()
            .filter_map(|(address, account)| Some((address, crate::decode::trader_account(&account).ok()?)))
            .collect();
        Ok(TraderSnapshot { accounts })
    }

    /// Every indexed trader account, read together (one request per 100).
    pub async fn read_traders<T: Transport>(&mut self, transport: &mut T) -> ClientResult<TraderSnapshot> {
        Ok(TraderSnapshot { accounts: fetch_traders(transport, &self.index).await? })
    }

    /// The permissionless repeg: starts a market's gap clock (a TWAP
    /// update) when its mark is beyond the repeg gap and no update has seen
    /// it yet, and re-centres the curve once the rule is met. Returns
    /// whether a curve moved.
    async fn repeg_by_rule<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        clock: OracleClock,
    ) -> bool {
        let mut repegged = false;
        for snapshot in markets {
            let market = &snapshot.market;
            let rule = &market.repeg_rule;
            // Settled markets are final; a paused one is the admin's alone.
            if rule.gap_bps == 0
                || !matches!(market.status(), Ok(MarketStatus::Active | MarketStatus::ReduceOnly))
            {
                continue;
            }
            let Ok(oracle) = snapshot.oracle_price(clock) else { continue };
            let Ok(mark) = market.amm.curve().mark_price() else { continue };
            let beyond = band_side(mark, oracle, rule.gap_bps).is_ok_and(|side| side != HoldSide::None);
            if beyond && rule.due_at().is_some_and(|due| clock.unix_ts >= due) {
                match self.send(transport, &[ix::repeg(&self.wallet.pubkey(), &snapshot.oracles())]).await {
                    Ok(()) => {
                        repegged = true;
                        self.stats.repegs += 1;
                        info!(market = snapshot.index(), "curve re-centred on the oracle");
                    }
                    Err(e) if e.is(VammError::RepegNotDue) || e.is(VammError::RepegCostExceedsFeePool) => {
                        self.stats.waiting += 1
                    }
                    Err(e) => self.failed("repeg", &e),
                }
                continue;
            }
            // The program's clock follows its observations: start it when the
            // gap opened unseen, and stop it when the gap closed unseen (a
            // stale clock would let a later jump be repegged to at once).
            let running = rule.gap_since_ts != 0;
            if beyond != running {
                match self
                    .send(transport, &[ix::update_twaps(&self.wallet.pubkey(), &snapshot.oracles())])
                    .await
                {
                    Ok(()) if beyond => info!(market = snapshot.index(), "repeg gap clock started"),
                    Ok(()) => info!(market = snapshot.index(), "repeg gap clock stopped"),
                    Err(e) => self.failed("update_twaps", &e),
                }
            }
        }
        repegged
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

    /// Liquidates every liquidatable account, riskiest (largest shortfall
    /// below maintenance) first, in waves: each wave reads the accounts
    /// still in progress, the keeper's own and every market at once, plans
    /// one step per account, and sends the steps together
    /// (`max_in_flight` at a time). Steps in one market are sequenced (the
    /// riskiest account's goes first; the next is sized against the curve
    /// it leaves, in the next wave), and takeovers in one wave share the
    /// keeper's committed margin (`margin_use_bps` of the free margin read
    /// at the wave's start, in total; the next wave reads it again): each
    /// reserves what it may take, and lists the markets of the wave's other
    /// takeovers among its accounts (they may land in any order, and the
    /// keeper may hold those positions by the time it executes). A refused
    /// curve or takeover step makes that account's next step try the
    /// other way; a landed step clears that.
    async fn liquidate<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        traders: &mut TraderSnapshot,
        clock: OracleClock,
    ) -> ClientResult<()> {
        let book = price_book(markets, clock, &[]);
        let mut candidates = Vec::new();
        for (address, trader) in traders.iter() {
            let address = *address;
            if address == self.account || self.skip.liquidate.contains(&address) {
                continue;
            }
            // The program refuses a liquidation by the liquidatee's own owner.
            if trader.owner == self.wallet.pubkey() {
                continue;
            }
            if !trader.has_base() {
                continue;
            }
            if let Ok(health) = account_health(&book, trader) {
                if health.health >= HealthState::Liquidatable {
                    let shortfall =
                        health.margin.maintenance_required as i128 - health.margin.equity().unwrap_or(0);
                    candidates.push((shortfall, address));
                }
            }
        }
        candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut active: Vec<Liquidation> =
            candidates.into_iter().map(|(_, address)| Liquidation::new(address)).collect();
        let touched: Vec<Pubkey> = active.iter().map(|l| l.address).collect();
        // Every wave sends at least one step per account it keeps, and an
        // account leaves after its step budget: the loop ends.
        while !active.is_empty() {
            let wave = match self.plan_wave(transport, markets, &book, clock, &mut active).await {
                Ok(wave) => wave,
                Err(e) => {
                    self.failed("liquidate", &e);
                    break;
                }
            };
            if wave.is_empty() {
                break;
            }
            let batch: Vec<Vec<Instruction>> =
                wave.iter().map(|step| vec![step.instruction.clone()]).collect();
            self.stats.liquidation_waves += 1;
            let results = self.send_batch(transport, &batch).await;
            for (step, result) in wave.iter().zip(results) {
                let Some(liquidation) = active.iter_mut().find(|l| l.address == step.account) else {
                    continue;
                };
                self.record_step(liquidation, step, result);
            }
            let budget = self.config.max_steps_per_account;
            active.retain(|l| !l.finished && l.steps < budget && l.attempts < budget.saturating_mul(3));
        }
        for address in touched {
            traders.reread(transport, &address).await;
        }
        Ok(())
    }

    /// Reads the accounts in progress, the keeper's own and the markets
    /// once, and plans this wave's steps (at most one per account and per
    /// market); accounts with nothing left to do are marked finished.
    async fn plan_wave<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        book: &PriceBook,
        clock: OracleClock,
        active: &mut [Liquidation],
    ) -> ClientResult<Vec<PlannedStep>> {
        let mut addresses: Vec<Pubkey> = active.iter().map(|l| l.address).collect();
        addresses.push(self.account);
        addresses.extend(markets.iter().map(|m| m.address));
        let read = transport.accounts(&addresses).await?;
        let (read_traders, rest) = read.split_at(active.len());
        let mine = rest[0].as_ref().and_then(|a| crate::decode::trader_account(a).ok());
        // The curves as the previous wave left them.
        let fresh: Vec<MarketSnapshot> = markets
            .iter()
            .zip(&rest[1..])
            .map(|(listed, account)| {
                let mut snapshot = listed.clone();
                if let Some(market) = account.as_ref().and_then(|a| crate::decode::market(a).ok()) {
                    snapshot.market = market;
                }
                snapshot
            })
            .collect();
        let can_liquidate = |index: u16| {
            markets.iter().find(|m| m.index() == index).is_some_and(|m| {
                matches!(m.market.status(), Ok(MarketStatus::Active | MarketStatus::ReduceOnly))
            })
        };
        let mut claimed: Vec<u16> = Vec::new();
        let mut reserved_margin = 0u128;
        let mut taken_over_in: Vec<u16> = Vec::new();
        let mut drafts = Vec::new();
        for (liquidation, account) in active.iter_mut().zip(read_traders) {
            let Some(trader) = account.as_ref().and_then(|a| crate::decode::trader_account(a).ok()) else {
                liquidation.finished = true;
                continue;
            };
            // A paused market liquidates nothing until it resumes: the
            // riskiest position in a market that can liquidate goes
            // first (the program's riskiest-first check only when it is
            // the riskiest overall).
            let mut liquidatable = trader;
            for position in liquidatable.positions.iter_mut().filter(|p| !can_liquidate(p.market_index)) {
                position.base = 0;
            }
            let Ok(Some(market_index)) = book.riskiest_market(&liquidatable) else {
                self.stats.waiting += 1;
                liquidation.finished = true;
                continue;
            };
            let Some(snapshot) = fresh.iter().find(|m| m.index() == market_index) else {
                liquidation.finished = true;
                continue;
            };
            // One step per market and wave: the next is sized against the
            // curve this one leaves.
            if claimed.contains(&market_index) {
                continue;
            }
            claimed.push(market_index);
            let riskiest_first = book.riskiest_market(&trader).ok().flatten() == Some(market_index);
            let base = trader.positions.iter().find(|p| p.market_index == market_index).map_or(0, |p| p.base);
            let curve_remaining = crate::valuation::remaining_accounts(&trader, markets, Some(market_index));
            // 1. While the mark lags on the far side of the oracle, the
            //    curve pays better than the oracle and closing into it
            //    moves the mark towards the oracle.
            let toward = (self.config.takeover.curve_toward_oracle && !liquidation.toward_refused)
                .then(|| snapshot.oracle_price(clock).ok())
                .flatten()
                .and_then(|oracle| curve_room_toward(snapshot, base, oracle));
            // 2. Else the rest at the oracle price, as far as the keeper's
            //    margin (less what this wave's takeovers reserved) allows.
            let takeover = match (&mine, toward, liquidation.takeover_refused) {
                (Some(mine), None, false) => self.takeover_room(book, mine, snapshot, clock, reserved_margin),
                _ => None,
            };
            let (kind, params, remaining) = if let Some(toward) = toward {
                let params = LiquidateParams {
                    max_base: Some(toward),
                    riskiest_first,
                    mode: LiquidationMode::IntoCurve,
                };
                (StepKind::CurveTowardOracle, params, curve_remaining)
            } else if let (Some(room), Some(mine)) = (takeover, &mine) {
                // The step takes at most the position: reserve for that.
                let taken = u128::from(room.base.min(base.unsigned_abs()));
                let reserve = room.margin.saturating_mul(taken).div_ceil(u128::from(room.base));
                reserved_margin = reserved_margin.saturating_add(reserve);
                let params = LiquidateParams {
                    max_base: Some(room.base),
                    riskiest_first,
                    mode: LiquidationMode::Takeover,
                };
                let remaining =
                    crate::valuation::takeover_accounts(&trader, mine, markets, Some(market_index));
                taken_over_in.push(market_index);
                (StepKind::Takeover, params, remaining)
            } else {
                // 3. The fallback: into the curve, within the band.
                let params =
                    LiquidateParams { max_base: None, riskiest_first, mode: LiquidationMode::IntoCurve };
                (StepKind::Curve, params, curve_remaining)
            };
            drafts.push((liquidation.address, market_index, kind, snapshot.oracles(), params, remaining));
        }
        // The wave's transactions may land in any order: every takeover
        // lists the markets of all the wave's other takeovers, which the
        // keeper may hold by the time it executes.
        let mut wave = Vec::with_capacity(drafts.len());
        for (account, market_index, kind, oracles, params, mut remaining) in drafts {
            if kind == StepKind::Takeover {
                let others = markets
                    .iter()
                    .filter(|m| m.index() != market_index && taken_over_in.contains(&m.index()))
                    .flat_map(|m| m.valuation_accounts());
                for key in others.collect::<Vec<_>>() {
                    if !remaining.contains(&key) {
                        remaining.push(key);
                    }
                }
            }
            let instruction =
                ix::liquidate(&self.wallet.pubkey(), &self.account, &account, &oracles, params, &remaining);
            wave.push(PlannedStep { account, market_index, kind, instruction });
        }
        Ok(wave)
    }

    /// Counts one step's outcome and decides what the account needs next.
    fn record_step(&mut self, liquidation: &mut Liquidation, step: &PlannedStep, result: ClientResult<()>) {
        liquidation.attempts += 1;
        let error = match result {
            Ok(()) => {
                liquidation.steps += 1;
                // A refusal decided one step: the next tries every way again.
                liquidation.toward_refused = false;
                liquidation.takeover_refused = false;
                self.stats.liquidations += 1;
                match step.kind {
                    StepKind::Takeover => self.stats.takeovers += 1,
                    StepKind::CurveTowardOracle => self.stats.curve_toward_oracle += 1,
                    StepKind::Curve => {}
                }
                info!(account = %step.account, market = step.market_index, kind = ?step.kind, "liquidation step");
                return;
            }
            Err(e) => e,
        };
        if error.is(VammError::NotLiquidatable) || error.is(VammError::NoPosition) {
            // Healthy now, or flat; refused before any step of ours:
            // someone else got there.
            if liquidation.steps == 0 {
                self.stats.races_lost += 1;
            }
            liquidation.finished = true;
        } else if error.is(VammError::SelfLiquidation) {
            self.stats.waiting += 1;
            self.skip.liquidate.insert(step.account);
            liquidation.finished = true;
        } else if step.kind == StepKind::CurveTowardOracle && is_partial_step_refusal(&error) {
            // The curve's room moved: the next wave goes to the oracle.
            liquidation.toward_refused = true;
        } else if step.kind == StepKind::Takeover {
            // Anything about the keeper's own side (its margin, a cap, a
            // reduce-only market, one of its own markets' oracles) leaves
            // the curve to the next wave.
            if !is_takeover_refusal(&error) {
                warn!(error = %error, "takeover refused; liquidating into the curve");
            }
            self.stats.takeovers_refused += 1;
            liquidation.takeover_refused = true;
        } else {
            self.failed("liquidate", &error);
            liquidation.finished = true;
        }
    }

    /// Most base the keeper takes over in `snapshot`'s market now,
    /// `BASE_PRECISION`, and the initial margin it commits: what keeps its
    /// position within `max_position_notional` and commits at most
    /// `margin_use_bps` of its free collateral (initial equity above the
    /// initial requirement), less `reserved` (quote native: margin this
    /// wave's earlier takeovers committed), at the market's initial ratio.
    /// `None` when the market is not active, has no usable price, or the
    /// room is under the smallest takeover worth a transaction.
    fn takeover_room(
        &self,
        book: &PriceBook,
        mine: &TraderAccount,
        snapshot: &MarketSnapshot,
        clock: OracleClock,
        reserved: u128,
    ) -> Option<TakeoverRoom> {
        let config = self.config.takeover;
        let market = &snapshot.market;
        let (Ok(MarketStatus::Active), Ok(oracle)) = (market.status(), snapshot.oracle_price(clock)) else {
            return None;
        };
        let margin = book.margin(mine).ok()?;
        let initial_equity = margin.initial_equity().ok()?;
        let free = (initial_equity - margin.initial_required as i128).max(0) as u128;
        let committed =
            (free * config.margin_use_bps as u128 / BPS_DENOMINATOR as u128).saturating_sub(reserved);
        let held = mine.positions.iter().find(|p| p.base != 0 && p.market_index == snapshot.index());
        let held_notional = held.map_or(0, |p| notional(p.base, oracle, true).unwrap_or(u64::MAX));
        let cap = config.max_position_notional.min(market.risk.max_position_notional);
        let cap_room = cap.saturating_sub(held_notional) as u128;
        let at_cap = held_notional.saturating_add(cap_room as u64);
        let ratio =
            progressive_ratio(market.risk.initial_ratio, market.risk.initial_imf_factor, at_cap).ok()?;
        let margin_room = committed * RATIO_PRECISION as u128 / ratio.max(1) as u128;
        let room = cap_room.min(margin_room);
        if room < config.min_takeover_notional.max(MIN_TRADE_NOTIONAL) as u128 {
            return None;
        }
        let base = (room * BASE_PRECISION as u128 / oracle as u128).min(i64::MAX as u128) as u64;
        // Rounded up: a reservation never undercounts.
        let margin = (room * ratio as u128).div_ceil(RATIO_PRECISION as u128);
        (base > 0).then_some(TakeoverRoom { base, margin })
    }

    /// Unwinds every position the keeper's account holds (run it from an
    /// account that holds only what it took over) into the curve, a share
    /// per tick, and only as far as the mark may move: a long sells while
    /// the mark is above the oracle minus `unwind_max_gap_bps` and stops
    /// there. In a crash the mark lags above a falling oracle, so the
    /// keeper's sales close that gap.
    async fn unwind<T: Transport>(&mut self, transport: &mut T, clock: OracleClock) {
        let config = self.config.takeover;
        if config.unwind_fraction_bps == 0 {
            return;
        }
        let Ok(Some(mine)) = crate::valuation::fetch_trader(transport, &self.account).await else { return };
        if !mine.has_base() {
            return;
        }
        let Ok(markets) = fetch_markets(transport).await else { return };
        let book = price_book(&markets, clock, &[]);
        let distressed = account_health(&book, &mine).is_ok_and(|h| h.health >= HealthState::Warning);
        for position in mine.positions.iter().filter(|p| p.base != 0) {
            let Some(snapshot) = markets.iter().find(|m| m.index() == position.market_index) else {
                continue;
            };
            if !matches!(snapshot.market.status(), Ok(MarketStatus::Active | MarketStatus::ReduceOnly)) {
                continue;
            }
            let Ok(oracle) = snapshot.oracle_price(clock) else { continue };
            let max_gap_bps = if distressed {
                config.unwind_max_gap_bps.saturating_mul(4).min(snapshot.market.risk.mark_oracle_band_bps)
            } else {
                config.unwind_max_gap_bps
            };
            let Some(amount) =
                unwind_amount(snapshot, position.base, oracle, config.unwind_fraction_bps, max_gap_bps)
            else {
                continue;
            };
            let size = position.base.unsigned_abs();
            let accounts = crate::valuation::trade_accounts(
                self.wallet.pubkey(),
                self.account,
                snapshot,
                &markets,
                &mine,
            );
            let params = ClosePositionParams {
                base_amount: (amount < size).then_some(amount),
                limit_price: Some(unwind_limit(position.base, oracle, max_gap_bps)),
            };
            match self.send(transport, &[ix::close_position(&accounts, params)]).await {
                Ok(()) => {
                    self.stats.unwinds += 1;
                    info!(market = position.market_index, base = amount, "unwound taken-over position");
                }
                Err(e) => self.failed("unwind", &e),
            }
        }
    }

    /// Closes every position left in a settled market.
    async fn settle_delisted<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        traders: &mut TraderSnapshot,
    ) {
        let settled: Vec<u16> = markets
            .iter()
            .filter(|m| matches!(m.market.status(), Ok(MarketStatus::Settled)))
            .map(|m| m.index())
            .collect();
        if settled.is_empty() {
            return;
        }
        let holding: Vec<(Pubkey, TraderAccount)> = traders
            .iter()
            .filter(|(_, t)| t.positions.iter().any(|p| p.base != 0 && settled.contains(&p.market_index)))
            .cloned()
            .collect();
        let cranker = self.wallet.pubkey();
        let batch: Vec<Vec<Instruction>> = holding
            .iter()
            .flat_map(|(address, trader)| {
                trader.positions.iter().filter(|p| p.base != 0 && settled.contains(&p.market_index)).map(
                    move |position| {
                        vec![ix::settle_position(&cranker, &ix::market_pda(position.market_index), address)]
                    },
                )
            })
            .collect();
        for result in self.send_batch(transport, &batch).await {
            match result {
                Ok(()) => self.stats.positions_settled += 1,
                Err(e) if e.is(VammError::NoPosition) => self.stats.races_lost += 1,
                Err(e) => self.failed("settle_position", &e),
            }
        }
        for (address, _) in &holding {
            traders.reread(transport, address).await;
        }
    }

    async fn resolve_bankruptcies<T: Transport>(
        &mut self,
        transport: &mut T,
        traders: &mut TraderSnapshot,
    ) -> ClientResult<()> {
        let bankrupt: Vec<(Pubkey, TraderAccount)> = traders
            .iter()
            .filter(|(address, trader)| {
                !self.skip.resolve_bankruptcy.contains(address)
                    && !trader.has_base()
                    && trader.positions.iter().any(|p| p.unpaid_loss > 0)
            })
            .cloned()
            .collect();
        if bankrupt.is_empty() {
            return Ok(());
        }
        let mint = crate::valuation::fetch_exchange(transport).await?.collateral_mint;
        // (account, market index, unpaid loss) of each resolution sent.
        let mut resolutions = Vec::new();
        let mut batch = Vec::new();
        for (address, trader) in &bankrupt {
            for position in trader.positions.iter().filter(|p| p.unpaid_loss > 0) {
                let market = ix::market_pda(position.market_index);
                let claim_markets: Vec<Pubkey> = trader
                    .positions
                    .iter()
                    .filter(|p| p.pending_profit > 0 && p.market_index != position.market_index)
                    .map(|p| ix::market_pda(p.market_index))
                    .collect();
                batch.push(vec![ix::resolve_bankruptcy(
                    &self.wallet.pubkey(),
                    &market,
                    address,
                    &mint,
                    &claim_markets,
                )]);
                resolutions.push((*address, position.market_index, position.unpaid_loss));
            }
        }
        let results = self.send_batch(transport, &batch).await;
        for ((address, market, loss), result) in resolutions.into_iter().zip(results) {
            match result {
                Ok(()) => {
                    self.stats.bankruptcies_resolved += 1;
                    info!(account = %address, market, loss, "bankruptcy resolved");
                }
                Err(e) if e.is(VammError::NoBadDebt) => self.stats.races_lost += 1,
                // The owner must first collect a claim elsewhere.
                Err(e) if e.is(VammError::ClaimsOutstanding) => {
                    self.stats.waiting += 1;
                    self.skip.resolve_bankruptcy.insert(address);
                }
                Err(e) => self.failed("resolve_bankruptcy", &e),
            }
        }
        for (address, _) in &bankrupt {
            traders.reread(transport, address).await;
        }
        Ok(())
    }

    /// Pays every profit claim a PnL pool can pay now: in trading markets
    /// when the pool holds money, in settled markets once they are final.
    async fn settle_claims<T: Transport>(
        &mut self,
        transport: &mut T,
        markets: &[MarketSnapshot],
        traders: &TraderSnapshot,
    ) {
        let payable = |index: u16| {
            markets.iter().find(|m| m.index() == index).is_some_and(|m| {
                if matches!(m.market.status(), Ok(MarketStatus::Settled)) {
                    vamm::controller::claims::is_final(&m.market)
                } else {
                    m.market.pools.pnl_pool > 0
                }
            })
        };
        let cranker = self.wallet.pubkey();
        let batch: Vec<Vec<Instruction>> = traders
            .iter()
            .flat_map(|(address, trader)| {
                trader.positions.iter().filter(|p| p.pending_profit > 0 && payable(p.market_index)).map(
                    move |position| {
                        vec![ix::settle_pnl(&cranker, &ix::market_pda(position.market_index), address)]
                    },
                )
            })
            .collect();
        for result in self.send_batch(transport, &batch).await {
            match result {
                Ok(()) => self.stats.claims_settled += 1,
                Err(e) if e.is(VammError::NoClaim) || e.is(VammError::PnlPoolEmpty) => {
                    self.stats.races_lost += 1
                }
                Err(e) => self.failed("settle_pnl", &e),
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
        // Protocol fees go to the treasury governance set, once it has one.
        if exchange.treasury == Pubkey::default() {
            return;
        }
        for snapshot in markets.iter().filter(|m| m.market.pools.treasury >= threshold) {
            let ix = ix::withdraw_treasury(
                &self.wallet.pubkey(),
                &snapshot.address,
                &exchange.treasury,
                &exchange.collateral_mint,
            );
            match self.send(transport, &[ix]).await {
                Ok(()) => self.stats.treasury_withdrawals += 1,
                Err(e) if e.is(VammError::ZeroAmount) => self.stats.races_lost += 1,
                Err(e) => self.failed("withdraw_treasury", &e),
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

    /// Sends each of `batch` as its own transaction, at most
    /// `config.max_in_flight` landing at once, then retries the transport
    /// failures one by one with backoff; the results in `batch`'s order.
    async fn send_batch<T: Transport>(
        &self,
        transport: &mut T,
        batch: &[Vec<Instruction>],
    ) -> Vec<ClientResult<()>> {
        if batch.is_empty() {
            return Vec::new();
        }
        let first = transport.send_all(batch, &[&self.wallet], self.config.max_in_flight).await;
        let mut out = Vec::with_capacity(batch.len());
        for (instructions, result) in batch.iter().zip(first) {
            out.push(match result {
                Err(e) if e.is_retryable() && self.config.retries > 0 => {
                    self.send(transport, instructions).await
                }
                other => other.map(|_| ()),
            });
        }
        out
    }

    fn failed(&mut self, action: &str, error: &ClientError) {
        self.stats.errors += 1;
        warn!(action, error = %error, "keeper action failed");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StepKind {
    CurveTowardOracle,
    Takeover,
    Curve,
}

/// One account's liquidation within a pass.
#[derive(Debug)]
struct Liquidation {
    address: Pubkey,
    /// Steps that landed.
    steps: usize,
    /// Steps sent, refused ones included.
    attempts: usize,
    /// The curve's room toward the oracle was refused: go to the oracle.
    toward_refused: bool,
    /// A takeover was refused for the keeper's own reasons: use the curve.
    takeover_refused: bool,
    finished: bool,
}

impl Liquidation {
    fn new(address: Pubkey) -> Self {
        Liquidation {
            address,
            steps: 0,
            attempts: 0,
            toward_refused: false,
            takeover_refused: false,
            finished: false,
        }
    }
}

/// A liquidation step planned for a wave.
struct PlannedStep {
    account: Pubkey,
    market_index: u16,
    kind: StepKind,
    instruction: Instruction,
}

/// What a takeover may take: base (`BASE_PRECISION`) and the initial
/// margin it commits (quote native).
#[derive(Clone, Copy, Debug)]
struct TakeoverRoom {
    base: u64,
    margin: u128,
}

/// Base a liquidation of a `base` position closes into the curve to bring
/// the mark back to the oracle, `BASE_PRECISION`, when the mark sits on the
/// far side of the oracle (above it for a long, which sells) by more than
/// the program's takeover tolerance (there it refuses a takeover:
/// `CurvePaysMore`); `None` otherwise.
pub fn curve_room_toward(snapshot: &MarketSnapshot, base: i64, oracle: u64) -> Option<u64> {
    let curve = snapshot.market.amm.curve();
    let mark = curve.mark_price().ok()?;
    let tolerance = oracle as u128 * TAKEOVER_MARK_TOLERANCE_BPS as u128 / BPS_DENOMINATOR as u128;
    let far = if base > 0 {
        mark as u128 > oracle as u128 + tolerance
    } else {
        (mark as u128) + tolerance < oracle as u128
    };
    if base == 0 || !far {
        return None;
    }
    let (_, room) = curve.trade_toward(oracle).ok()?;
    (room > 0).then_some(room)
}

/// Refusals of a partial step into the curve that a takeover of the rest
/// does not share: too small to improve the account or to trade.
fn is_partial_step_refusal(error: &ClientError) -> bool {
    [VammError::LiquidationDidNotImprove, VammError::TradeTooSmall, VammError::ZeroAmount]
        .into_iter()
        .any(|e| error.is(e))
}

/// The expected refusals of a takeover that a liquidation into the curve
/// does not share: the keeper's own margin, its position cap or slots, a
/// market that only allows reductions, a step too small to transfer.
fn is_takeover_refusal(error: &ClientError) -> bool {
    [
        VammError::CurvePaysMore,
        VammError::InsufficientMargin,
        VammError::MaintenanceMarginWorsened,
        VammError::PositionCapExceeded,
        VammError::MarketReduceOnly,
        VammError::NoFreePositionSlot,
        VammError::TradeTooSmall,
        VammError::MissingMarketAccount,
    ]
    .into_iter()
    .any(|e| error.is(e))
}

/// The mark an unwind of a `base` position may reach: `max_gap_bps` past
/// the oracle on the side the unwind pushes it to.
fn unwind_limit(base: i64, oracle: u64, max_gap_bps: u16) -> u64 {
    let gap = oracle as u128 * max_gap_bps as u128 / BPS_DENOMINATOR as u128;
    if base > 0 {
        oracle.saturating_sub(gap as u64)
    } else {
        oracle.saturating_add(gap as u64)
    }
}

/// Positions worth at most this at the mark are unwound whole, quote
/// native: 100 USDC.
pub const UNWIND_WHOLE_BELOW: u64 = 100_000_000;

/// Base to unwind of a `base` position this tick, `BASE_PRECISION`:
/// `fraction_bps` of it, at most what moves the mark to `unwind_limit`,
/// and nothing when the mark is already past it or the order would be dust.
pub fn unwind_amount(
    snapshot: &MarketSnapshot,
    base: i64,
    oracle: u64,
    fraction_bps: u16,
    max_gap_bps: u16,
) -> Option<u64> {
    let curve = snapshot.market.amm.curve();
    let (direction, room) = curve.trade_toward(unwind_limit(base, oracle, max_gap_bps)).ok()?;
    let closing = if base > 0 { Direction::Short } else { Direction::Long };
    if direction != closing {
        return None;
    }
    let size = base.unsigned_abs();
    let mark = curve.mark_price().ok()?;
    // A remainder this small goes in one order, not in ever smaller slices.
    let share = if notional(base, mark, false).ok()? <= UNWIND_WHOLE_BELOW {
        size
    } else {
        (size as u128 * fraction_bps as u128).div_ceil(BPS_DENOMINATOR as u128) as u64
    };
    let amount = share.min(room).min(size);
    let worth = notional(amount as i64, mark, false).ok()?;
    (amount > 0 && worth >= MIN_TRADE_NOTIONAL).then_some(amount)
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
                    info!(ticks = s.ticks, funding = s.funding_settled, liquidations = s.liquidations, bankruptcies = s.bankruptcies_resolved, sweeps = s.sweeps, treasury = s.treasury_withdrawals, repegs = s.repegs, waiting = s.waiting, races_lost = s.races_lost, errors = s.errors, "keeper summary");
                }
            }
        }
    }
}

//! Stateful fuzzing in the real runtime: seeded random sequences of
//! operations over two markets (one oracle source, two sources) and several
//! accounts, run through the real program, with the protocol's invariants
//! checked after every step and a drain to zero at the end. A failing
//! sequence is shrunk to a short one and printed as Rust, ready to become
//! a regression test (`replay`).
//!
//! Seeds and budget come from the environment: `VAMM_FUZZ_SEEDS` (how many
//! seeds, from `VAMM_FUZZ_FIRST_SEED`), `VAMM_FUZZ_OPS` (operations per
//! sequence) and, for a campaign, `VAMM_FUZZ_SECS`.

use crate::{error_code, Oracles, Rng, TestEnv, Trader, TxResult, BASE, PRICE, USDC};
use solana_instruction::error::InstructionError;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;
use vamm::error::VammError;
use vamm::instructions::{LiquidateParams, LiquidationMode};
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::margin::HealthState;
use vamm::state::MarketStatus;
use vamm_client::keeper::{Keeper, KeeperConfig};

/// Traders in every sequence (the keeper and the arbitrageur come on top).
pub const TRADERS: u8 = 5;
/// Starting oracle prices of the two markets, `PRICE_PRECISION`.
const START_PRICES: [u64; 2] = [100 * PRICE, 2_000 * PRICE];

/// One step of a sequence. Indices wrap (`trader % TRADERS`, `market % 2`)
/// so any value is valid, which keeps shrinking simple.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Deposit {
        trader: u8,
        usdc: u32,
    },
    Withdraw {
        trader: u8,
        usdc: u32,
    },
    /// By base, thousandths of a whole unit.
    OpenBase {
        trader: u8,
        market: u8,
        long: bool,
        milli: u32,
    },
    OpenQuote {
        trader: u8,
        market: u8,
        long: bool,
        usdc: u32,
    },
    /// `percent` of the position (100 or more closes it all).
    Close {
        trader: u8,
        market: u8,
        percent: u8,
    },
    /// The oracle moves by `bps` (signed) and the clock by `secs`.
    Move {
        market: u8,
        bps: i16,
        secs: u16,
    },
    /// A move of `percent` (signed) at once; with `revert`, back the next
    /// step (a spike).
    Jump {
        market: u8,
        percent: i8,
        revert: bool,
    },
    /// The clock moves on and nobody publishes (an outage).
    Outage {
        secs: u16,
    },
    /// The second source of the two-oracle market disagrees by `bps`.
    Disagree {
        bps: u16,
    },
    /// The arbitrageur brings a market's mark to its oracle.
    Arbitrage {
        market: u8,
    },
    Funding {
        market: u8,
    },
    Twaps {
        market: u8,
    },
    Liquidate {
        trader: u8,
        market: u8,
        takeover: bool,
    },
    Resolve {
        trader: u8,
        market: u8,
    },
    SettlePnl {
        trader: u8,
        market: u8,
    },
    KeeperTick,
    Stake {
        usdc: u32,
    },
    RequestUnstake {
        percent: u8,
    },
    Unstake,
    Status {
        market: u8,
        status: u8,
    },
    Repeg {
        market: u8,
    },
    Advance {
        secs: u32,
    },
}

/// A random sequence of `len` operations.
pub fn generate(rng: &mut Rng, len: usize) -> Vec<Op> {
    let mut ops = Vec::with_capacity(len);
    for _ in 0..len {
        let trader = rng.below(TRADERS as u64) as u8;
        let market = rng.below(2) as u8;
        let long = rng.below(2) == 0;
        let op = match rng.below(100) {
            0..=5 => Op::Deposit { trader, usdc: 1 + rng.below(2_000) as u32 },
            6..=10 => Op::Withdraw { trader, usdc: 1 + rng.below(2_000) as u32 },
            11..=22 => Op::OpenBase { trader, market, long, milli: 1 + rng.below(60_000) as u32 },
            23..=34 => Op::OpenQuote { trader, market, long, usdc: 1 + rng.below(20_000) as u32 },
            35..=42 => Op::Close { trader, market, percent: 1 + rng.below(120) as u8 },
            43..=52 => Op::Move { market, bps: rng.below(801) as i16 - 400, secs: 1 + rng.below(900) as u16 },
            53..=55 => Op::Jump { market, percent: rng.below(81) as i8 - 50, revert: rng.below(2) == 0 },
            56 => Op::Outage { secs: 30 + rng.below(900) as u16 },
            57 => Op::Disagree { bps: rng.below(300) as u16 },
            58..=63 => Op::Arbitrage { market },
            64..=66 => Op::Funding { market },
            67..=68 => Op::Twaps { market },
            69..=74 => Op::Liquidate { trader, market, takeover: rng.below(2) == 0 },
            75..=76 => Op::Resolve { trader, market },
            77..=78 => Op::SettlePnl { trader, market },
            79..=84 => Op::KeeperTick,
            85..=86 => Op::Stake { usdc: 1 + rng.below(5_000) as u32 },
            87 => Op::RequestUnstake { percent: 1 + rng.below(100) as u8 },
            88 => Op::Unstake,
            89..=90 => Op::Status { market, status: rng.below(3) as u8 },
            91 => Op::Repeg { market },
            _ => Op::Advance { secs: 1 + rng.below(7_200) as u32 },
        };
        ops.push(op);
    }
    ops
}

/// What broke, at which step.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Index of the operation after which it broke (`ops.len()` for the drain).
    pub step: usize,
    pub what: String,
}

/// What a sequence did.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    pub ops: usize,
    pub succeeded: usize,
    pub refused: usize,
    pub liquidations: u64,
}

/// The world a sequence runs in.
struct World {
    env: TestEnv,
    traders: Vec<Trader>,
    arb: Trader,
    keeper_trader: Trader,
    keeper: Keeper,
    staker: Trader,
    prices: [u64; 2],
    /// A spike to undo at the next step: (market, price before it).
    revert: Option<(usize, u64)>,
    /// Share price (net balance per share, scaled), recorded losses and
    /// share epoch when last seen.
    share_price: Option<(u128, u64, u32)>,
}

impl World {
    async fn new() -> World {
        let mut env = TestEnv::new().await;
        env.add_market("SOL-PERP", START_PRICES[0], Oracles::Pyth).await;
        env.add_market("ETH-PERP", START_PRICES[1], Oracles::PythAndSwitchboard).await;
        let mut traders = Vec::new();
        for _ in 0..TRADERS {
            traders.push(env.trader(1_000_000 * USDC, 2_000 * USDC).await);
        }
        let arb = env.trader(100_000_000 * USDC, 20_000_000 * USDC).await;
        let keeper_trader = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
        let keeper =
            keeper_trader.keeper_service(KeeperConfig { sweep_threshold: 1, ..KeeperConfig::default() });
        let staker = env.staker(1_000_000 * USDC, 10_000 * USDC).await;
        World {
            env,
            traders,
            arb,
            keeper_trader,
            keeper,
            staker,
            prices: START_PRICES,
            revert: None,
            share_price: None,
        }
    }

    fn trader(&self, index: u8) -> &Trader {
        &self.traders[(index % TRADERS) as usize]
    }

    /// Runs one operation; `Err` only for a violation (a refusal the
    /// program explains is a normal outcome).
    async fn step(&mut self, op: &Op, stats: &mut RunStats) -> Result<(), String> {
        if let Some((market, price)) = self.revert.take() {
            self.prices[market] = price;
        }
        let watched = self.watched();
        let before = self.env.snapshot(&watched).await;
        let opened = match *op {
            Op::OpenBase { trader, market, .. } | Op::OpenQuote { trader, market, .. } => {
                Some((trader, market, self.position_base(trader, market).await))
            }
            _ => None,
        };
        let result = self.apply(op).await?;
        match &result {
            Ok(()) => stats.succeeded += 1,
            Err(error) => {
                stats.refused += 1;
                explained_refusal(error)?;
                if self.env.snapshot(&watched).await != before {
                    return Err(format!("refused with {error:?} but changed state"));
                }
            }
        }
        let broken = self.env.invariant_violations().await;
        if !broken.is_empty() {
            return Err(broken.join("; "));
        }
        self.check_share_price().await?;
        if let (Ok(()), Some((trader, market, base_before))) = (&result, opened) {
            // A trade that only reduced the position may leave an account
            // that was already under water still under it.
            let base_after = self.position_base(trader, market).await;
            let only_reduced = base_after.signum() * base_before.signum() >= 0
                && base_after.unsigned_abs() <= base_before.unsigned_abs();
            if !only_reduced {
                self.check_not_liquidatable(trader).await?;
            }
        }
        Ok(())
    }

    /// A trader's base in a market, `BASE_PRECISION` (0 when flat).
    async fn position_base(&mut self, trader: u8, market: u8) -> i64 {
        let account = self.trader(trader).account;
        let index = self.env.markets[(market % 2) as usize].index;
        let state = self.env.trader_state(&account).await;
        state.positions.iter().find(|p| p.market_index == index && p.is_open()).map_or(0, |p| p.base)
    }

    /// The accounts a refused instruction must leave untouched.
    fn watched(&self) -> Vec<Pubkey> {
        let mut keys = vec![self.env.vault, self.env.exchange];
        keys.extend(self.env.markets.iter().map(|m| m.address));
        keys.extend(self.traders.iter().map(|t| t.account));
        keys
    }

    /// Applies `op`: the outer `Err` is a harness failure, the inner result
    /// the program's answer.
    async fn apply(&mut self, op: &Op) -> Result<TxResult, String> {
        let env = &mut self.env;
        Ok(match *op {
            Op::Deposit { trader, usdc } => {
                let t = self.traders[(trader % TRADERS) as usize].clone_keys();
                env.deposit(&t, usdc as u64 * USDC).await
            }
            Op::Withdraw { trader, usdc } => {
                let t = self.traders[(trader % TRADERS) as usize].clone_keys();
                env.withdraw(&t, usdc as u64 * USDC).await
            }
            Op::OpenBase { trader, market, long, milli } => {
                let t = self.traders[(trader % TRADERS) as usize].clone_keys();
                env.open(
                    &t,
                    (market % 2) as usize,
                    direction(long),
                    TradeSize::Base(milli as u64 * BASE / 1_000),
                )
                .await
            }
            Op::OpenQuote { trader, market, long, usdc } => {
                let t = self.traders[(trader % TRADERS) as usize].clone_keys();
                env.open(&t, (market % 2) as usize, direction(long), TradeSize::Quote(usdc as u64 * USDC))
                    .await
            }
            Op::Close { trader, market, percent } => {
                let t = self.traders[(trader % TRADERS) as usize].clone_keys();
                let market = (market % 2) as usize;
                let index = env.markets[market].index;
                let state = env.trader_state(&t.account).await;
                let base =
                    state.positions.iter().find(|p| p.market_index == index && p.is_open()).map(|p| p.base);
                let amount = match base {
                    Some(base) if percent < 100 => Some(base.unsigned_abs() * percent as u64 / 100),
                    _ => None,
                };
                env.close(&t, market, amount.filter(|a| *a > 0)).await
            }
            Op::Move { market, bps, secs } => {
                let market = (market % 2) as usize;
                let price = self.prices[market] as i128;
                self.prices[market] = (price + price * bps as i128 / 10_000).max(PRICE as i128 / 100) as u64;
                env.advance_time(secs as i64).await;
                publish(env, &self.prices);
                Ok(())
            }
            Op::Jump { market, percent, revert } => {
                let market = (market % 2) as usize;
                let price = self.prices[market];
                if revert {
                    self.revert = Some((market, price));
                }
                let moved = price as i128 + price as i128 * percent as i128 / 100;
                self.prices[market] = moved.max(PRICE as i128 / 100) as u64;
                env.advance_time(1).await;
                publish(env, &self.prices);
                Ok(())
            }
            Op::Outage { secs } => {
                env.advance_time(secs as i64).await;
                Ok(())
            }
            Op::Disagree { bps } => {
                let price = self.prices[1];
                if let Some(secondary) = env.markets[1].secondary {
                    env.publish(&secondary, price + price * bps as u64 / 10_000);
                }
                Ok(())
            }
            Op::Arbitrage { market } => {
                let market = (market % 2) as usize;
                let arb = self.arb.clone_keys();
                env.align_mark(&arb, market, self.prices[market]).await
            }
            Op::Funding { market } => env.settle_funding((market % 2) as usize).await,
            Op::Twaps { market } => env.update_twaps((market % 2) as usize).await,
            Op::Liquidate { trader, market, takeover } => {
                let target = self.traders[(trader % TRADERS) as usize].clone_keys();
                let keeper = self.keeper_trader.clone_keys();
                let mode = if takeover { LiquidationMode::Takeover } else { LiquidationMode::IntoCurve };
                let params = LiquidateParams { max_base: None, riskiest_first: false, mode };
                env.liquidate(&keeper, &target, (market % 2) as usize, params).await
            }
            Op::Resolve { trader, market } => {
                let target = self.traders[(trader % TRADERS) as usize].account;
                env.resolve_bankruptcy(&target, (market % 2) as usize).await
            }
            Op::SettlePnl { trader, market } => {
                let target = self.traders[(trader % TRADERS) as usize].account;
                env.settle_pnl(&target, (market % 2) as usize).await
            }
            Op::KeeperTick => {
                self.keeper.tick(&mut env.rt).await.map_err(|e| format!("keeper tick failed: {e}"))?;
                Ok(())
            }
            Op::Stake { usdc } => {
                let staker = self.staker.clone_keys();
                env.stake(&staker, usdc as u64 * USDC).await
            }
            Op::RequestUnstake { percent } => {
                let staker = self.staker.clone_keys();
                let shares = env.stake_state(&staker).await.shares * percent.min(100) as u64 / 100;
                let ix = crate::ix::request_unstake(&staker.owner.pubkey(), shares);
                env.send(&[ix], &[&staker.owner]).await
            }
            Op::Unstake => {
                let staker = self.staker.clone_keys();
                let ix =
                    crate::ix::unstake(&staker.owner.pubkey(), &staker.usdc, &env.mint, &env.all_markets());
                env.send(&[ix], &[&staker.owner]).await
            }
            Op::Status { market, status } => {
                let status = [MarketStatus::Active, MarketStatus::ReduceOnly, MarketStatus::Paused]
                    [status as usize % 3];
                env.set_status((market % 2) as usize, status).await
            }
            Op::Repeg { market } => {
                let admin = env.admin.insecure_clone();
                let ix = crate::ix::repeg(&admin.pubkey(), &env.markets[(market % 2) as usize].oracles());
                env.send(&[ix], &[&admin]).await
            }
            Op::Advance { secs } => {
                env.advance_time(secs as i64).await;
                publish(env, &self.prices);
                Ok(())
            }
        })
    }

    /// The insurance share price never falls without a recorded loss.
    /// Shares are priced, as the program prices them, at the fund's balance
    /// net of the losses recorded on chain but not yet resolved; it may
    /// fall only when recorded losses (resolved or not) grew.
    async fn check_share_price(&mut self) -> Result<(), String> {
        let fund = self.env.exchange_state().await.insurance;
        let mut pending = 0u64;
        for market in 0..2 {
            let pools = self.env.market_state(market).await.pools;
            pending += pools.unpaid_loss_long + pools.unpaid_loss_short;
        }
        if fund.total_shares == 0 {
            self.share_price = None;
            return Ok(());
        }
        let net = vamm::controller::insurance::net_balance(&fund, pending);
        let price = net as u128 * 1_000_000_000_000 / fund.total_shares as u128;
        let losses = pending + fund.bad_debt_paid;
        if let Some((last, last_losses, epoch)) = self.share_price {
            if epoch == fund.share_epoch && price + 1 < last && losses <= last_losses {
                return Err(format!(
                    "insurance share price fell from {last} to {price} with no new recorded loss"
                ));
            }
        }
        self.share_price = Some((price, losses, fund.share_epoch));
        Ok(())
    }

    /// A trade that added risk left its account above maintenance.
    async fn check_not_liquidatable(&mut self, trader: u8) -> Result<(), String> {
        use vamm_client::valuation::{account_health, fetch_markets, price_book};
        let account = self.trader(trader).account;
        let clock = self.env.clock();
        let markets = fetch_markets(&mut self.env.rt).await.map_err(|e| e.to_string())?;
        let book = price_book(&markets, clock, &[]);
        let state = self.env.trader_state(&account).await;
        match account_health(&book, &state) {
            Ok(health) if health.health >= HealthState::Liquidatable => {
                Err(format!("a successful open left trader {trader} liquidatable ({:?})", health.health))
            }
            _ => Ok(()),
        }
    }

    /// Delists everything and lets everyone leave: nothing may stay stuck.
    async fn drain(&mut self) -> Result<(), String> {
        let traders: Vec<&Trader> = self.traders.iter().chain([&self.arb, &self.keeper_trader]).collect();
        drain_to_zero(&mut self.env, &mut self.keeper, &self.prices, &traders, &[&self.staker]).await
    }
}

/// Delists every market at `prices` (one per market) and lets every
/// account leave: held prices are confirmed first (the documented bounded
/// delay), every market is paused and settled at its oracle, the keeper
/// settles positions, resolves losses and pays claims, insurance fees are
/// swept, every trader withdraws all its collateral and every staker
/// unstakes every share. `Err` names what stayed stuck or which invariant
/// broke.
pub async fn drain_to_zero(
    env: &mut TestEnv,
    keeper: &mut Keeper,
    prices: &[u64],
    traders: &[&Trader],
    stakers: &[&Trader],
) -> Result<(), String> {
    let markets = env.markets.len();
    let publish_all = |env: &mut TestEnv| {
        for (market, price) in prices.iter().enumerate() {
            env.set_price(market, *price);
        }
    };
    env.advance_time(10).await;
    publish_all(env);
    // Settling needs an accepted price: a price outside the jump band is
    // held by the first update and accepted by one after the confirmation
    // time.
    for _ in 0..2 {
        let mut confirmation = 0;
        for market in 0..markets {
            let _ = env.update_twaps(market).await;
            confirmation = confirmation.max(env.market_state(market).await.price_guard.confirmation_secs);
        }
        env.advance_time(confirmation as i64 + 1).await;
        publish_all(env);
    }
    for market in 0..markets {
        if env.market_state(market).await.status().map_err(|e| e.to_string())? != MarketStatus::Settled {
            let _ = env.set_status(market, MarketStatus::Paused).await;
            env.settle_market(market).await.map_err(|e| format!("settle_market {market}: {e:?}"))?;
        }
    }
    for _ in 0..4 {
        keeper.tick(&mut env.rt).await.map_err(|e| format!("keeper tick failed: {e}"))?;
    }
    for market in 0..markets {
        let state = env.market_state(market).await;
        let left = (state.amm.base_long, state.amm.base_short, state.pools.unpaid_profit);
        if left != (0, 0, 0) {
            return Err(format!("market {market} kept positions or claims after the drain: {left:?}"));
        }
        if state.pools.unpaid_loss_long + state.pools.unpaid_loss_short != 0 {
            return Err(format!("market {market} kept unresolved losses after the drain"));
        }
        if state.pools.pnl_pool != 0 {
            return Err(format!("market {market}: a final PnL pool moves its surplus to the treasury"));
        }
        if state.pools.insurance_pending > 0 {
            env.sweep_insurance_fees(market).await.map_err(|e| format!("sweep {market}: {e:?}"))?;
        }
    }
    for trader in traders {
        let state = env.trader_state(&trader.account).await;
        if state.positions.iter().any(|p| p.is_open()) {
            return Err(format!("{} still has a slot in use", trader.account));
        }
        if state.collateral > 0 {
            env.withdraw(trader, state.collateral).await.map_err(|e| format!("final withdraw: {e:?}"))?;
        }
    }
    let mut available = env.now;
    for staker in stakers {
        let shares = env.stake_state(staker).await.shares;
        if shares > 0 {
            let request = crate::ix::request_unstake(&staker.owner.pubkey(), shares);
            env.send(&[request], &[&staker.owner]).await.map_err(|e| format!("final request: {e:?}"))?;
            available = available.max(env.stake_state(staker).await.unstake_available_ts);
        }
    }
    env.set_time(available).await;
    for staker in stakers {
        if env.stake_state(staker).await.unstake_shares > 0 {
            let unstake =
                crate::ix::unstake(&staker.owner.pubkey(), &staker.usdc, &env.mint, &env.all_markets());
            env.send(&[unstake], &[&staker.owner]).await.map_err(|e| format!("final unstake: {e:?}"))?;
        }
    }
    let broken = env.invariant_violations().await;
    if !broken.is_empty() {
        return Err(broken.join("; "));
    }
    Ok(())
}

impl Trader {
    /// The same wallet and accounts (keypairs are not `Clone`).
    pub fn clone_keys(&self) -> Trader {
        Trader { owner: self.owner.insecure_clone(), account: self.account, usdc: self.usdc }
    }
}

/// Publishes every market's oracle(s) at its price, now.
fn publish(env: &mut TestEnv, prices: &[u64; 2]) {
    for (market, price) in prices.iter().enumerate() {
        env.set_price(market, *price);
    }
}

fn direction(long: bool) -> Direction {
    if long {
        Direction::Long
    } else {
        Direction::Short
    }
}

/// A refusal is normal when the program names its reason; a panic, a
/// runtime error or an arithmetic overflow is a violation.
fn explained_refusal(error: &TransactionError) -> Result<(), String> {
    match error {
        TransactionError::InstructionError(_, InstructionError::Custom(code))
            if *code != error_code(VammError::MathOverflow) =>
        {
            Ok(())
        }
        other => Err(format!("unexplained failure {other:?}")),
    }
}

/// Runs `ops` from a fresh exchange, checking after every step, then drains.
pub async fn run(ops: &[Op]) -> Result<RunStats, Violation> {
    let mut world = World::new().await;
    let mut stats = RunStats::default();
    for (step, op) in ops.iter().enumerate() {
        stats.ops += 1;
        world
            .step(op, &mut stats)
            .await
            .map_err(|what| Violation { step, what: format!("{op:?}: {what}") })?;
    }
    world.drain().await.map_err(|what| Violation { step: ops.len(), what: format!("drain: {what}") })?;
    for market in 0..2 {
        stats.liquidations += world.env.market_state(market).await.stats.liquidation_count;
    }
    Ok(stats)
}

/// Shrinks a failing sequence: removes chunks, then single operations, as
/// long as the sequence still fails. Returns the shortest failing one found
/// and its violation.
pub async fn shrink(mut ops: Vec<Op>, mut violation: Violation) -> (Vec<Op>, Violation) {
    // Everything after the failing step is irrelevant (the drain aside).
    if violation.step < ops.len() {
        ops.truncate(violation.step + 1);
    }
    let mut chunk = ops.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        let mut removed_any = false;
        while start < ops.len() {
            let end = (start + chunk).min(ops.len());
            let mut candidate = ops.clone();
            candidate.drain(start..end);
            if let Err(found) = run(&candidate).await {
                ops = candidate;
                violation = found;
                removed_any = true;
            } else {
                start = end;
            }
        }
        if chunk == 1 && !removed_any {
            return (ops, violation);
        }
        if !removed_any {
            chunk = (chunk / 2).max(1);
        }
    }
}

/// A sequence as Rust, to paste into a regression test calling `replay`.
pub fn as_rust(ops: &[Op]) -> String {
    let mut out = String::from("vec![\n");
    for op in ops {
        out.push_str(&format!("    Op::{op:?},\n"));
    }
    out.push(']');
    out
}

/// Runs a recorded sequence and fails with the violation, if any.
pub async fn replay(ops: Vec<Op>) {
    if let Err(violation) = run(&ops).await {
        panic!("step {}: {}", violation.step, violation.what);
    }
}

/// A `u64` from the environment, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

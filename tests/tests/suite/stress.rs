//! The stress matrix: oracle moves of -15% to x10, each over 1 minute, 10
//! minutes and 1 hour, against a crowd of leveraged positions on the
//! losing side, an arbitrageur and the real keeper service. For every cell
//! the market must never stay frozen, the vault must balance after every
//! step, and the figures are printed (`--nocapture`) and must match
//! `docs/stress.md` (rewrite it with `VAMM_WRITE_STRESS=1`).

use std::fmt::Write as _;
use vamm::math::amm::{Direction, TradeSize};
use vamm_client::keeper::KeeperConfig;
use vamm_client::valuation::{account_health, fetch_markets, fetch_trader, price_book};
use vamm_tests::*;

const START_PRICE: u64 = 100 * PRICE;
/// Seconds the final level is held after the move, with the keeper on.
const SETTLE_SECS: i64 = 900;
/// Keeper and arbitrageur cadence after the move, seconds.
const SETTLE_STEP_SECS: i64 = 30;
const CONFIRMATION_SECS: u32 = 60;

struct Move {
    name: &'static str,
    /// Final price as a percentage of the start.
    final_pct: u64,
}

const MOVES: [Move; 6] = [
    Move { name: "-15%", final_pct: 85 },
    Move { name: "-40%", final_pct: 60 },
    Move { name: "-60%", final_pct: 40 },
    Move { name: "-90%", final_pct: 10 },
    Move { name: "+100%", final_pct: 200 },
    Move { name: "x10", final_pct: 1_000 },
];

/// (label, duration of the move, keeper and arbitrageur cadence), seconds.
const DURATIONS: [(&str, i64, i64); 3] = [("1 min", 60, 10), ("10 min", 600, 30), ("1 h", 3_600, 60)];

#[derive(Debug, Default)]
struct Cell {
    holds: u32,
    /// Longest time between a hold's first held print and the print that
    /// ended it: how long liquidations waited, seconds.
    longest_hold_secs: i64,
    /// Seconds from the end of the move until the market used the final
    /// price (0 when it never held it).
    accepted_after_secs: i64,
    liquidations: u64,
    takeovers: u64,
    bankruptcies: u64,
    insured: u64,
    socialised: u64,
    unrecovered: u64,
    /// Largest |mark - oracle| after the keeper's liquidations, before the
    /// arbitrageur trades, bps of the oracle (steps where the price is held
    /// excluded).
    max_gap_before_arb_bps: u64,
    /// Largest |mark - oracle| after the arbitrageur's trade, bps of the
    /// oracle (while a price is held the arbitrageur cannot add risk).
    max_gap_after_arb_bps: u64,
    /// Profit claims the market's PnL pool could not pay at the end, quote native.
    unpaid_claims: u64,
    /// Claims and profit at the oracle nothing could pay if every account
    /// closed now, quote native (`TestEnv::unfunded_at_oracle`).
    unfunded_at_oracle: u64,
    /// Accounts still liquidatable at the end (must be 0).
    liquidatable_at_end: usize,
}

/// A deploy-like market (25% jump band, 5% mark-oracle band and per-slot
/// limit, 60 s confirmation) with a range wide enough for every move.
fn stress_market_params() -> vamm::instructions::CreateMarketParams {
    let mut params = default_market_params(0, "SOL-PERP", START_PRICE, Oracles::PythAndSwitchboard);
    params.min_price = 2 * PRICE;
    params.max_price = 2_000 * PRICE;
    params.mark_oracle_band_bps = 500;
    params.max_slot_move_bps = 500;
    params.max_oracle_jump_bps = 2_500;
    params.price_confirmation_secs = CONFIRMATION_SECS;
    params
}

/// Keeper modes of every cell.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// A keeper with no collateral: into the curve only.
    Curve,
    /// The keeper's default with 200,000 USDC: into the curve while the
    /// mark lags on the far side of the oracle, then takeover.
    Takeover,
}

const MODES: [(&str, Mode); 2] = [("curve", Mode::Curve), ("takeover", Mode::Takeover)];

async fn run_cell(final_pct: u64, duration: i64, step: i64, mode: Mode) -> Cell {
    let mut env = TestEnv::new().await;
    let sol = env.add_market_with(stress_market_params(), START_PRICE).await.unwrap();
    let _staker = env.staker(100_000 * USDC, 20_000 * USDC).await;
    let arb = env.trader(20_000_000 * USDC, 10_000_000 * USDC).await;
    let (losing, winning) = if final_pct < 100 {
        (Direction::Long, Direction::Short)
    } else {
        (Direction::Short, Direction::Long)
    };
    for (direction, leverage_tenths) in [20u64, 30, 40, 50, 60, 70, 80, 85]
        .map(|l| (losing, l))
        .into_iter()
        .chain([(winning, 30), (winning, 50)])
    {
        let trader = env.trader(10_000 * USDC, 1_000 * USDC).await;
        let notional = 1_000 * USDC * leverage_tenths / 10;
        env.open(&trader, sol, direction, TradeSize::Quote(notional)).await.unwrap();
        env.align_mark(&arb, sol, START_PRICE).await.unwrap();
    }
    let keeper_collateral = if matches!(mode, Mode::Curve) { 0 } else { 200_000 * USDC };
    let keeper_trader = env.trader(keeper_collateral.max(1), keeper_collateral).await;
    let mut config = KeeperConfig::default();
    match mode {
        Mode::Curve => {
            config.takeover.max_position_notional = 0;
            config.takeover.curve_toward_oracle = false;
        }
        Mode::Takeover => {}
    }
    let mut keeper = keeper_trader.keeper_service(config);
    env.check_invariants().await;

    let final_price = START_PRICE * final_pct / 100;
    let mut cell = Cell::default();
    let mut hold_started: Option<i64> = None;
    let mut accepted_at: Option<i64> = None;
    let mut elapsed = 0;
    while elapsed < duration + SETTLE_SECS {
        let dt = if elapsed < duration { step } else { SETTLE_STEP_SECS };
        elapsed += dt;
        env.advance_time(dt).await;
        let progress = elapsed.min(duration) as u64;
        let price = if final_price >= START_PRICE {
            START_PRICE + (final_price - START_PRICE) * progress / duration as u64
        } else {
            START_PRICE - (START_PRICE - final_price) * progress / duration as u64
        };
        env.set_price(sol, price);
        keeper.tick(&mut env.rt).await.expect("keeper tick");
        let gap_bps = |market: &vamm::state::Market| {
            market.amm.curve().mark_price().unwrap().abs_diff(price) * 10_000 / price
        };
        let market = env.market_state(sol).await;
        if !market.price_guard.is_holding() {
            cell.max_gap_before_arb_bps = cell.max_gap_before_arb_bps.max(gap_bps(&market));
        }
        // The arbitrageur cannot add risk while the price is held.
        let _ = env.align_mark(&arb, sol, price).await;

        let market = env.market_state(sol).await;
        cell.max_gap_after_arb_bps = cell.max_gap_after_arb_bps.max(gap_bps(&market));
        if elapsed >= duration
            && accepted_at.is_none()
            && !market.price_guard.is_holding()
            && market.oracle.last_price == final_price
        {
            accepted_at = Some(elapsed);
        }
        match (hold_started, market.price_guard.is_holding()) {
            (None, true) => {
                hold_started = Some(market.price_guard.hold_since_ts);
                cell.holds += 1;
            }
            (Some(since), false) => {
                cell.longest_hold_secs = cell.longest_hold_secs.max(env.now - since);
                hold_started = None;
            }
            _ => {}
        }
        env.check_invariants().await;
    }

    // Never frozen: the final level is the market's accepted price, and
    // nothing is left for a keeper to liquidate.
    let market = env.market_state(sol).await;
    assert!(
        !market.price_guard.is_holding(),
        "the market still holds after {SETTLE_SECS} s at the new level"
    );
    assert_eq!(market.oracle.last_price, final_price);
    let clock = env.clock();
    let markets = fetch_markets(&mut env.rt).await.unwrap();
    assert_eq!(markets[0].oracle_price(clock).unwrap(), final_price);
    let book = price_book(&markets, clock, &[]);
    for address in env.trader_accounts.clone() {
        let trader = fetch_trader(&mut env.rt, &address).await.unwrap().unwrap();
        let health = account_health(&book, &trader).unwrap();
        if trader.has_base() && health.health >= vamm::math::margin::HealthState::Liquidatable {
            cell.liquidatable_at_end += 1;
            println!(
                "liquidatable at the end: {address} (keeper's own: {}), {:?}, keeper {:?}",
                address == keeper_trader.account,
                health.margin,
                keeper.stats
            );
        }
    }
    cell.accepted_after_secs = accepted_at.expect("the final price was accepted") - duration;
    cell.liquidations = market.stats.liquidation_count;
    cell.takeovers = market.stats.takeover_count;
    cell.bankruptcies = keeper.stats.bankruptcies_resolved;
    cell.insured = market.stats.bad_debt_insured;
    cell.socialised = market.stats.bad_debt_socialised;
    cell.unrecovered = market.stats.bad_debt_unrecovered;
    cell.unpaid_claims = market.pools.unpaid_profit;
    cell.unfunded_at_oracle = env.unfunded_at_oracle().await;
    cell
}

fn usdc(amount: u64) -> String {
    format!("{}.{:02}", amount / USDC, amount % USDC / 10_000)
}

#[tokio::test]
async fn stress_matrix_never_freezes_and_conserves_the_vault() {
    let mut table = String::new();
    writeln!(
        table,
        "| move | over | keeper | holds | longest hold (s) | final price used after (s) | liquidation steps | of which takeovers | bankruptcies | bad debt (USDC) | insured | socialised | unrecovered | unpaid claims (USDC) | unfunded at the oracle (USDC) | max gap before arb (bps) | max gap after arb (bps) |"
    )
    .unwrap();
    writeln!(table, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        .unwrap();
    for m in &MOVES {
        let mut curve_bad_debt = 0;
        for ((label, duration, step), (mode, keeper_mode)) in
            DURATIONS.iter().flat_map(|d| MODES.iter().map(move |m| (*d, *m)))
        {
            let cell = run_cell(m.final_pct, duration, step, keeper_mode).await;
            assert_eq!(cell.liquidatable_at_end, 0, "{} over {label}, {mode}: liquidations stopped", m.name);
            // Once the price stops moving: at most one confirmation of the
            // level held so far, then one of the final level.
            let cadence = step.max(SETTLE_STEP_SECS);
            assert!(
                cell.accepted_after_secs <= 2 * (CONFIRMATION_SECS as i64 + 2 * cadence),
                "{} over {label}: the final price waited too long: {cell:?}",
                m.name
            );
            let bad_debt = cell.insured + cell.socialised + cell.unrecovered;
            // Curve cells come first: a takeover keeper never does worse.
            match keeper_mode {
                Mode::Curve => curve_bad_debt = bad_debt,
                Mode::Takeover => assert!(
                    bad_debt <= curve_bad_debt,
                    "{} over {label}: takeover left {bad_debt} of bad debt, the curve {curve_bad_debt}",
                    m.name
                ),
            }
            writeln!(
                table,
                "| {} | {label} | {mode} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                m.name,
                cell.holds,
                cell.longest_hold_secs,
                cell.accepted_after_secs,
                cell.liquidations,
                cell.takeovers,
                cell.bankruptcies,
                usdc(bad_debt),
                usdc(cell.insured),
                usdc(cell.socialised),
                usdc(cell.unrecovered),
                usdc(cell.unpaid_claims),
                usdc(cell.unfunded_at_oracle),
                cell.max_gap_before_arb_bps,
                cell.max_gap_after_arb_bps,
            )
            .unwrap();
        }
    }
    println!("{table}");
    vamm_tests::generated_docs::check_generated_section("stress.md", "stress-matrix", &table);
}

//! The flash crash that cascades on a vAMM, replayed in the real runtime:
//! the oracle falls 15% over ten minutes and comes back over the next ten,
//! on a thin market, against a crowd of highly levered longs, an
//! arbitrageur that trades the mark to the oracle every 30 s and the real
//! keeper service every 30 s. The same path and population run three
//! times: with the arbitrageur alone (no crowd: the gap the oracle's speed
//! leaves between its trades), with the keeper liquidating into the curve
//! only, and with the keeper taking positions over at the oracle price.
//! The figures are printed (`--nocapture`) and must match `docs/stress.md`.

use std::fmt::Write as _;
use vamm::math::amm::{Direction, TradeSize};
use vamm_client::keeper::{KeeperConfig, TakeoverConfig};
use vamm_client::valuation::{account_health, fetch_markets, fetch_trader, price_book};
use vamm_tests::*;

const START_PRICE: u64 = 100 * PRICE;
const LOW_PRICE: u64 = 85 * PRICE;
/// Each leg of the move (down, then back up), seconds.
const LEG_SECS: i64 = 600;
/// The price stays back at the start this long afterwards, seconds.
const SETTLE_SECS: i64 = 300;
/// Keeper and arbitrageur cadence, seconds.
const STEP_SECS: i64 = 30;
const CROWD: u64 = 30;
const KEEPER_COLLATERAL: u64 = 500_000 * USDC;
const ARB_COLLATERAL: u64 = 1_000_000 * USDC;
/// `sqrt_k` of the thin market: a 100,000 USDC trade moves its mark
/// about 0.9% (printed with the table).
const THIN_SQRT_K: u128 = 222_000 * BASE as u128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    ArbitrageurAlone,
    IntoCurve,
    /// The keeper's default: into the curve while its mark is on the far
    /// side of the oracle, then takeover at the oracle price.
    Takeover,
}

#[derive(Debug, Default)]
struct Figures {
    liquidations: u64,
    takeovers: u64,
    bankruptcies: u64,
    /// Quote native.
    bad_debt: u64,
    /// The part of the bad debt the insurance fund paid, quote native.
    insured: u64,
    /// The fund's balance at the end minus at the start (fees in, bad
    /// debt out), quote native.
    fund_change: i64,
    /// Claims and profit at the oracle nothing could pay if every account
    /// closed at the end, quote native (`TestEnv::unfunded_at_oracle`).
    unfunded_at_oracle: u64,
    /// Largest |mark - oracle| after the keeper acted (before the
    /// arbitrageur) and after the arbitrageur, bps of the oracle.
    max_gap_before_arb_bps: u64,
    max_gap_after_arb_bps: u64,
    /// The keeper account's equity at the end minus its deposit, quote
    /// native (rewards, and for takeovers the positions' PnL).
    liquidator_pnl: i64,
    /// What the keeper still holds at the end, `BASE_PRECISION`.
    liquidator_base_left: i64,
    arbitrageur_liquidated: bool,
    /// Price impact of a 100,000 USDC buy at the start, bps.
    impact_100k_bps: u64,
}

fn oracle_at(elapsed: i64) -> u64 {
    let drop = START_PRICE - LOW_PRICE;
    if elapsed <= LEG_SECS {
        START_PRICE - drop * elapsed as u64 / LEG_SECS as u64
    } else if elapsed <= 2 * LEG_SECS {
        LOW_PRICE + drop * (elapsed - LEG_SECS) as u64 / LEG_SECS as u64
    } else {
        START_PRICE
    }
}

fn thin_market_params() -> vamm::instructions::CreateMarketParams {
    let mut params = default_market_params(0, "ETH-PERP", START_PRICE, Oracles::PythAndSwitchboard);
    params.sqrt_k = THIN_SQRT_K;
    params.mark_oracle_band_bps = 1_000;
    params.max_slot_move_bps = 500;
    params.max_oracle_jump_bps = 2_500;
    params
}

async fn replay(run: Run) -> Figures {
    let mut env = TestEnv::new().await;
    let eth = env.add_market_with(thin_market_params(), START_PRICE).await.unwrap();
    let _staker = env.staker(100_000 * USDC, 100_000 * USDC).await;
    let arb = env.trader(2 * ARB_COLLATERAL, ARB_COLLATERAL).await;
    let mut figures = Figures::default();
    let curve = env.market_state(eth).await.amm.curve();
    let fill = curve.swap(Direction::Long, TradeSize::Quote(100_000 * USDC)).unwrap();
    figures.impact_100k_bps = (curve.after(&fill).mark_price().unwrap() - START_PRICE) * 10_000 / START_PRICE;

    // Thirty longs from 8.5x to 9x with 3,000 to 26,200 USDC each; the
    // arbitrageur takes the other side as they pile in.
    if run != Run::ArbitrageurAlone {
        for i in 0..CROWD {
            let collateral = (3_000 + 800 * i) * USDC;
            let trader = env.trader(collateral, collateral).await;
            let leverage_tenths = 85 + i % 6;
            let notional = collateral * leverage_tenths / 10;
            // Built in orders of at most 50,000 USDC, the arbitrageur
            // pulling the mark back between them.
            let mut left = notional;
            while left > 0 {
                let order = left.min(50_000 * USDC);
                env.open(&trader, eth, Direction::Long, TradeSize::Quote(order)).await.unwrap();
                env.align_mark(&arb, eth, START_PRICE).await.unwrap();
                left -= order;
            }
        }
    }
    let keeper_trader = env.trader(KEEPER_COLLATERAL, KEEPER_COLLATERAL).await;
    let takeover = match run {
        Run::Takeover => {
            TakeoverConfig { max_position_notional: 2_000_000 * USDC, ..TakeoverConfig::default() }
        }
        // Every step into the curve, as far as the program allows.
        Run::ArbitrageurAlone | Run::IntoCurve => TakeoverConfig {
            max_position_notional: 0,
            curve_toward_oracle: false,
            ..TakeoverConfig::default()
        },
    };
    let mut keeper = keeper_trader.keeper_service(KeeperConfig { takeover, ..KeeperConfig::default() });
    env.check_invariants().await;
    let fund_start = env.exchange_state().await.insurance.balance;

    let mut elapsed = 0;
    while elapsed < 2 * LEG_SECS + SETTLE_SECS {
        elapsed += STEP_SECS;
        env.advance_time(STEP_SECS).await;
        let price = oracle_at(elapsed);
        env.set_price(eth, price);
        keeper.tick(&mut env.rt).await.expect("keeper tick");
        let gap_bps = |market: &vamm::state::Market| {
            market.amm.curve().mark_price().unwrap().abs_diff(price) * 10_000 / price
        };
        let market = env.market_state(eth).await;
        figures.max_gap_before_arb_bps = figures.max_gap_before_arb_bps.max(gap_bps(&market));
        // Refused when the arbitrageur's own margin no longer allows it.
        let _ = env.align_mark(&arb, eth, price).await;
        let market = env.market_state(eth).await;
        figures.max_gap_after_arb_bps = figures.max_gap_after_arb_bps.max(gap_bps(&market));
        env.check_invariants().await;
    }

    let market = env.market_state(eth).await;
    let clock = env.clock();
    let markets = fetch_markets(&mut env.rt).await.unwrap();
    let book = price_book(&markets, clock, &[]);
    for address in env.trader_accounts.clone() {
        let trader = fetch_trader(&mut env.rt, &address).await.unwrap().unwrap();
        let health = account_health(&book, &trader).unwrap();
        assert!(
            !trader.has_base() || health.health < vamm::math::margin::HealthState::Liquidatable,
            "{run:?}: an account is left liquidatable"
        );
    }
    let mine = fetch_trader(&mut env.rt, &keeper_trader.account).await.unwrap().unwrap();
    let equity = account_health(&book, &mine).unwrap().margin.equity().unwrap();
    figures.liquidator_pnl = (equity - KEEPER_COLLATERAL as i128) as i64;
    figures.liquidator_base_left = mine.positions.iter().map(|p| p.base).sum();
    figures.arbitrageur_liquidated = env.trader_state(&arb.account).await.liquidation_count > 0;
    figures.liquidations = market.stats.liquidation_count;
    figures.takeovers = market.stats.takeover_count;
    figures.bankruptcies = keeper.stats.bankruptcies_resolved;
    figures.bad_debt =
        market.stats.bad_debt_insured + market.stats.bad_debt_socialised + market.stats.bad_debt_unrecovered;
    figures.insured = market.stats.bad_debt_insured;
    figures.unfunded_at_oracle = env.unfunded_at_oracle().await;
    let fund_end = env.exchange_state().await.insurance.balance;
    figures.fund_change = fund_end as i64 - fund_start as i64;
    figures
}

fn usdc(amount: i64) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    format!("{sign}{}.{:02}", abs / USDC, abs % USDC / 10_000)
}

fn ratio(numerator: u64, denominator: u64) -> String {
    if denominator == 0 {
        return "n/a".into();
    }
    format!("{:.2}", numerator as f64 / denominator as f64)
}

#[tokio::test]
async fn takeover_liquidations_do_not_cascade_in_a_flash_crash() {
    let calm = replay(Run::ArbitrageurAlone).await;
    let curve = replay(Run::IntoCurve).await;
    let takeover = replay(Run::Takeover).await;

    let mut table = String::new();
    writeln!(
        table,
        "| run | liquidation steps | takeovers | bankruptcies | bad debt (USDC) | paid by the insurance fund (USDC) | fund change (USDC) | unfunded at the oracle (USDC) | max gap before arb (bps) | max gap after arb (bps) | liquidator PnL (USDC) | liquidator base left | arbitrageur liquidated |"
    )
    .unwrap();
    writeln!(table, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|").unwrap();
    for (name, f) in [("arbitrageur alone", &calm), ("into the curve", &curve), ("takeover", &takeover)] {
        writeln!(
            table,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.3} | {} |",
            f.liquidations,
            f.takeovers,
            f.bankruptcies,
            usdc(f.bad_debt as i64),
            usdc(f.insured as i64),
            usdc(f.fund_change),
            usdc(f.unfunded_at_oracle as i64),
            f.max_gap_before_arb_bps,
            f.max_gap_after_arb_bps,
            usdc(f.liquidator_pnl),
            f.liquidator_base_left as f64 / BASE as f64,
            if f.arbitrageur_liquidated { "yes" } else { "no" },
        )
        .unwrap();
    }
    writeln!(table).unwrap();
    writeln!(
        table,
        "A 100,000 USDC trade moves this market's mark {} bps. Takeover over curve: bad debt {}, paid by the insurance fund {}, max gap before arb {}.",
        takeover.impact_100k_bps,
        ratio(takeover.bad_debt, curve.bad_debt),
        ratio(takeover.insured, curve.insured),
        ratio(takeover.max_gap_before_arb_bps, curve.max_gap_before_arb_bps),
    )
    .unwrap();
    println!("{table}");

    assert_eq!(takeover.bad_debt, 0, "{takeover:?}");
    assert_eq!(takeover.insured, 0, "{takeover:?}");
    assert!(takeover.takeovers > 0, "{takeover:?}");
    assert!(
        takeover.max_gap_before_arb_bps <= calm.max_gap_before_arb_bps
            && takeover.max_gap_after_arb_bps <= calm.max_gap_after_arb_bps.max(1),
        "takeovers widened the gap: {takeover:?} against {calm:?}"
    );
    // The replay discriminates: liquidating into the curve is what pushes
    // the mark away from the oracle.
    assert!(curve.max_gap_before_arb_bps > calm.max_gap_before_arb_bps, "{curve:?}");
    vamm_tests::generated_docs::check_generated_section("stress.md", "crash-replay", &table);
}

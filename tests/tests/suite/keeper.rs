//! The keeper service against the in-process runtime: it settles funding
//! when due, liquidates the riskiest accounts, resolves bankruptcies and
//! sweeps fees; two keepers racing never act twice.

use solana_signer::Signer;
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::MarketStatus;
use vamm_client::keeper::{Keeper, KeeperConfig};
use vamm_tests::*;

async fn keeper(env: &mut TestEnv) -> Keeper {
    let trader = env.keeper().await;
    trader.keeper_service(KeeperConfig { sweep_threshold: 1, ..KeeperConfig::default() })
}

#[tokio::test]
async fn keeper_settles_funding_liquidates_and_resolves() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let mut gamblers = Vec::new();
    for size in [90u64, 60, 30] {
        let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
        env.open(&gambler, sol, Direction::Long, TradeSize::Base(size * BASE)).await.unwrap();
        gamblers.push(gambler);
    }
    let mut keeper = keeper(&mut env).await;

    // Nothing to do yet.
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!((done.funding_settled, done.liquidations), (0, 0));

    // An hour later the price has fallen 12%.
    for _ in 0..72 {
        env.advance_time(50).await;
        env.set_price(sol, 88 * PRICE);
    }
    env.align_mark(&arb, sol, 88 * PRICE).await.unwrap();
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!(done.funding_settled, 1);
    assert!(done.liquidations >= 2, "{done:?}");
    assert!(done.bankruptcies_resolved >= 1, "{done:?}");
    assert_eq!(done.errors, 0, "{done:?}");
    // The 9x and 6x longs are gone or healthy; the keeper was paid.
    for gambler in &gamblers[..2] {
        let state = env.trader_state(&gambler.account).await;
        assert!(state.liquidation_count > 0);
        assert!(state.positions.iter().all(|p| p.unpaid_loss == 0));
    }
    assert!(env.trader_state(&keeper.account()).await.collateral > 0);
    env.check_invariants().await;
}

#[tokio::test]
async fn two_racing_keepers_never_act_twice() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    let mut first = keeper(&mut env).await;
    let mut second = keeper(&mut env).await;
    for _ in 0..72 {
        env.advance_time(50).await;
        env.set_price(sol, 94 * PRICE);
    }
    env.align_mark(&arb, sol, 94 * PRICE).await.unwrap();
    // Both see the same due funding and the same liquidatable account; the
    // first acts, the second is refused by the program and counts a race.
    let index_before = env.market_state(sol).await.funding.cumulative_long;
    let a = first.tick(&mut env.rt).await.unwrap();
    let funding_after_first = env.market_state(sol).await.funding;
    let b = second.tick(&mut env.rt).await.unwrap();
    let funding_after_second = env.market_state(sol).await.funding;
    assert_eq!(a.funding_settled, 1);
    assert_eq!(b.funding_settled, 0);
    assert_eq!(funding_after_first.cumulative_long, index_before, "no rate was set before");
    assert_ne!(funding_after_first.per_period_payment, 0, "the crank set a rate");
    assert_eq!(
        (funding_after_second.cumulative_long, funding_after_second.rate_until_ts),
        (funding_after_first.cumulative_long, funding_after_first.rate_until_ts),
        "funding applied once"
    );
    assert!(a.liquidations >= 1);
    assert_eq!(b.liquidations, 0, "the account was already restored");
    assert_eq!(env.trader_state(&gambler.account).await.liquidation_count, a.liquidations);
    let _ = gambler.owner.pubkey();
    env.check_invariants().await;
}

#[tokio::test]
async fn sandbox_short_scenario_conserves_the_vault() {
    let dir = std::env::temp_dir().join(format!("vamm-sandbox-test-{}", std::process::id()));
    let config = vamm_sandbox::SandboxConfig {
        out_dir: Some(dir.clone()),
        progress: false,
        ..vamm_sandbox::SandboxConfig::short()
    };
    let report = vamm_sandbox::run(config.clone()).await.unwrap();
    assert!(report.conservation.ok, "{:?}", report.conservation);
    assert_eq!(report.steps, 72);
    assert!(report.trades_executed > 50, "{report}");
    assert!(report.volume_usdc > 0.0 && report.fees_usdc > 0.0);
    assert!(report.keeper.funding_settled >= 15, "hourly funding on three markets: {:?}", report.keeper);
    assert!(report.markets.iter().all(|m| m.tracking_error_mean_bps < 50.0), "{report}");
    for file in ["report.json", "insurance_fund.svg", "open_interest.svg", "mark_vs_oracle_sol-perp.svg"] {
        assert!(dir.join(file).exists(), "{file} written");
    }
    // Deterministic under its seed.
    let again = vamm_sandbox::run(vamm_sandbox::SandboxConfig { out_dir: None, ..config }).await.unwrap();
    assert_eq!(again.trades_executed, report.trades_executed);
    assert_eq!(again.volume_usdc, report.volume_usdc);
    assert_eq!(again.conservation.vault_native, report.conservation.vault_native);
    println!("{report}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn keeper_closes_positions_left_in_a_delisted_market() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let traders =
        [env.trader(10_000 * USDC, 1_000 * USDC).await, env.trader(10_000 * USDC, 1_000 * USDC).await];
    env.open(&traders[0], sol, Direction::Long, TradeSize::Base(3 * BASE)).await.unwrap();
    env.open(&traders[1], sol, Direction::Short, TradeSize::Base(2 * BASE)).await.unwrap();
    let admin = env.admin.insecure_clone();
    let oracles = env.markets[sol].oracles();
    env.send(
        &[ix::set_market_status(&admin.pubkey(), &oracles.market, vamm::state::MarketStatus::Paused)],
        &[&admin],
    )
    .await
    .unwrap();
    env.send(&[ix::settle_market(&admin.pubkey(), &oracles)], &[&admin]).await.unwrap();
    let mut keeper = keeper(&mut env).await;
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!(done.positions_settled, 2, "{done:?}");
    let market = env.market_state(sol).await;
    assert_eq!((market.amm.base_long, market.amm.base_short), (0, 0));
    env.check_invariants().await;
}

/// With nobody trading, the keeper starts a market's repeg clock when the
/// mark is beyond the gap and re-centres the curve once the rule is met.
#[tokio::test]
async fn keeper_repegs_a_market_whose_gap_has_lasted() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.repeg_gap_bps = 300;
    params.repeg_delay_secs = 1_800;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let mut keeper = keeper(&mut env).await;
    env.advance_time(5).await;
    env.set_price(sol, 106 * PRICE);
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!((done.repegs, done.errors), (0, 0), "{done:?}");
    let started = env.now;
    assert_eq!(env.market_state(sol).await.repeg_rule.gap_since_ts, started);
    env.advance_time(1_800).await;
    env.set_price(sol, 106 * PRICE);
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!((done.repegs, done.errors), (1, 0), "{done:?}");
    let market = env.market_state(sol).await;
    assert!(market.amm.curve().mark_price().unwrap().abs_diff(106 * PRICE) <= 5);
    env.check_invariants().await;
}

/// The riskiest position of an account sits in a paused market: the keeper
/// still liquidates its position in a market that is open.
#[tokio::test]
async fn keeper_liquidates_around_a_paused_market() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let mut params = default_market_params(1, "BTC-PERP", 50_000 * PRICE, Oracles::Pyth);
    params.sqrt_k = 100 * BASE as u128;
    let btc = env.add_market_with(params, 50_000 * PRICE).await.unwrap();
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    let arb = env.trader(10_000_000 * USDC, 2_000_000 * USDC).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(60 * BASE)).await.unwrap();
    env.open(&gambler, btc, Direction::Long, TradeSize::Base(BASE / 25)).await.unwrap();
    let mut keeper = keeper(&mut env).await;
    for _ in 0..12 {
        env.advance_time(50).await;
        env.set_price(sol, 90 * PRICE);
        env.set_price(btc, 45_000 * PRICE);
    }
    env.align_mark(&arb, sol, 90 * PRICE).await.unwrap();
    env.align_mark(&arb, btc, 45_000 * PRICE).await.unwrap();
    let admin = env.admin.insecure_clone();
    env.send(
        &[ix::set_market_status(&admin.pubkey(), &env.markets[sol].address, MarketStatus::Paused)],
        &[&admin],
    )
    .await
    .unwrap();
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert!(done.liquidations >= 1 && done.errors == 0, "{done:?}");
    let state = env.trader_state(&gambler.account).await;
    let base = |market: u16| state.positions.iter().find(|p| p.market_index == market).map_or(0, |p| p.base);
    assert_eq!(base(0), 60 * BASE as i64, "nothing moves in the paused market");
    assert!(base(1) < (BASE / 25) as i64, "the open market was liquidated");
    env.check_invariants().await;
}

#[tokio::test]
async fn a_keeper_creates_its_missing_trader_account_once() {
    let mut env = TestEnv::new().await;
    let wallet = env.wallet();
    let account = vamm_client::ix::trader_pda(&wallet.pubkey(), 3);
    let keeper = Keeper::new(wallet.insecure_clone(), account, KeeperConfig::default());
    assert!(vamm_client::valuation::fetch_trader(&mut env.rt, &account).await.unwrap().is_none());
    assert!(keeper.ensure_account(&mut env.rt, 3).await.unwrap(), "created");
    env.trader_accounts.push(account);
    let state = env.trader_state(&account).await;
    assert_eq!((state.owner, state.sub_account_id), (wallet.pubkey(), 3));
    assert!(!keeper.ensure_account(&mut env.rt, 3).await.unwrap(), "already there");
    // A sub-account that is not the keeper's account is a configuration error.
    let error = keeper.ensure_account(&mut env.rt, 4).await.unwrap_err().to_string();
    assert!(error.contains("not sub-account 4"), "{error}");
    env.check_invariants().await;
}

/// An account created after the keeper built its index is valued on the
/// very next pass, not at the next periodic rescan (every tenth pass).
#[tokio::test]
async fn a_new_account_is_liquidated_on_the_next_pass() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let mut keeper = keeper(&mut env).await;
    // The first pass builds the index; the second reads it in batches.
    keeper.tick(&mut env.rt).await.unwrap();
    keeper.tick(&mut env.rt).await.unwrap();

    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    for _ in 0..72 {
        env.advance_time(50).await;
        env.set_price(sol, 90 * PRICE);
    }
    env.align_mark(&arb, sol, 90 * PRICE).await.unwrap();
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert!(done.liquidations >= 1, "{done:?}");
    assert!(env.trader_state(&gambler.account).await.liquidation_count > 0);
    env.check_invariants().await;
}

//! Liveness under fast price moves: the oracle-jump guard holds a price
//! that leaves its band and accepts it once it persists for the
//! confirmation time, so no move freezes a market for good, and a single
//! print that reverts liquidates no one.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::price_guard::HoldSide;
use vamm::state::MarketStatus;
use vamm_client::keeper::KeeperConfig;
use vamm_tests::*;

/// A single-oracle market with the deploy configuration's 25% jump band
/// and a 60 s confirmation time.
async fn market_with_jump_band(env: &mut TestEnv, oracles: Oracles) -> usize {
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, oracles);
    params.max_oracle_jump_bps = 2_500;
    params.price_confirmation_secs = 60;
    env.add_market_with(params, 100 * PRICE).await.expect("create_market")
}

fn liquidate_params() -> vamm::instructions::LiquidateParams {
    vamm::instructions::LiquidateParams {
        max_base: None,
        riskiest_first: false,
        mode: vamm::instructions::LiquidationMode::IntoCurve,
    }
}

/// The reproduction from the issue: the oracle falls 6% every 30 s for four
/// minutes. Before the guard had a bounded delay, `update_twaps` refused
/// from 73 down and the market could never liquidate, pay funding or be
/// delisted again. Now the new level is held, confirmed 60 s after it was
/// first seen, and everything works again without anyone's intervention.
#[tokio::test]
async fn a_fast_crash_is_held_then_accepted_and_the_market_recovers() {
    let mut env = TestEnv::new().await;
    let sol = market_with_jump_band(&mut env, Oracles::Pyth).await;
    let _staker = env.staker(100_000 * USDC, 20_000 * USDC).await;
    let long = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let short = env.trader(200_000 * USDC, 100_000 * USDC).await;
    let keeper = env.keeper().await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(80 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(80 * BASE)).await.unwrap();

    let start = env.now;
    let mut price = 100 * PRICE;
    let mut held_at = None;
    for step in 1..=8 {
        env.advance_time(30).await;
        price = price * 94 / 100;
        env.set_price(sol, price);
        env.update_twaps(sol).await.unwrap_or_else(|e| panic!("update_twaps at step {step}: {e:?}"));
        let guard = env.market_state(sol).await.price_guard;
        if guard.is_holding() && held_at.is_none() {
            held_at = Some(env.now);
            assert_eq!(guard.hold_side, HoldSide::Below.to_u8());
            assert_eq!(guard.hold_since_ts, env.now);
            // Nothing is liquidated at a price the market holds.
            assert_refused!(
                env,
                env.watched(&long),
                env.liquidate(&keeper, &long, sol, liquidate_params()).await,
                VammError::OracleJumpUnconfirmed
            );
        }
    }
    let held_at = held_at.expect("a 26% fall from the TWAP is held");
    assert_eq!(held_at, start + 150, "held from the first print outside the 25% band (73.39)");
    let market = env.market_state(sol).await;
    assert_eq!(market.price_guard.holds_confirmed, 1);
    assert!(!market.price_guard.is_holding(), "the level is accepted within the crash");
    assert_eq!(market.oracle.last_price, price);

    // A day later, the price still published at 61 every hour: funding
    // settles every hour, the bankrupt long is liquidated and resolved.
    for _ in 0..24 {
        env.advance_time(3_600).await;
        env.set_price(sol, price);
        env.update_twaps(sol).await.unwrap();
        env.settle_funding(sol).await.unwrap();
    }
    assert!(env.liquidate_fully(&keeper, &long, sol).await >= 1);
    let loss = env.trader_state(&long.account).await.positions[0].unpaid_loss;
    if loss > 0 {
        env.resolve_bankruptcy(&long.account, sol).await.unwrap();
    }
    env.check_invariants().await;

    // The admin can pause and delist it at the new level.
    env.set_status(sol, MarketStatus::Paused).await.unwrap();
    env.settle_market(sol).await.unwrap();
    let market = env.market_state(sol).await;
    assert_eq!(market.status, MarketStatus::Settled as u8);
    assert_eq!(market.settlement_price, price);
    env.check_invariants().await;
}

/// A ×2 print for one update, then back: the keeper cranks, nobody is
/// liquidated, and the hold ends as reverted.
#[tokio::test]
async fn a_one_print_spike_liquidates_no_one() {
    let mut env = TestEnv::new().await;
    let sol = market_with_jump_band(&mut env, Oracles::PythAndSwitchboard).await;
    let _staker = env.staker(100_000 * USDC, 20_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 500_000 * USDC).await;
    let mut shorts = Vec::new();
    for size in [80u64, 60, 40] {
        let short = env.trader(10_000 * USDC, 1_000 * USDC).await;
        env.open(&short, sol, Direction::Short, TradeSize::Base(size * BASE)).await.unwrap();
        env.align_mark(&arb, sol, 100 * PRICE).await.unwrap();
        shorts.push(short);
    }
    let keeper_account = env.keeper().await;
    let mut keeper = keeper_account.keeper_service(KeeperConfig::default());

    env.advance_time(30).await;
    env.set_price(sol, 200 * PRICE);
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!(done.liquidations, 0, "nothing is liquidated at a held price");
    assert_eq!(done.price_holds_cranked, 1, "the keeper records the hold");
    assert!(env.market_state(sol).await.price_guard.is_holding());
    for short in &shorts {
        assert_refused!(
            env,
            env.watched(short),
            env.liquidate(&keeper_account, short, sol, liquidate_params()).await,
            VammError::OracleJumpUnconfirmed
        );
    }

    env.advance_time(30).await;
    env.set_price(sol, 100 * PRICE);
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!(done.liquidations, 0);
    assert_eq!(done.price_holds_cranked, 1, "the keeper ends the hold");
    let guard = env.market_state(sol).await.price_guard;
    assert!(!guard.is_holding());
    assert_eq!((guard.holds_reverted, guard.holds_confirmed), (1, 0));
    for short in &shorts {
        assert_eq!(env.trader_state(&short.account).await.liquidation_count, 0);
    }
    // A later tick has nothing to crank.
    env.advance_time(30).await;
    env.set_price(sol, 100 * PRICE);
    assert_eq!(keeper.tick(&mut env.rt).await.unwrap().price_holds_cranked, 0);
    env.check_invariants().await;
}

/// While held, the market refuses new risk, funding and settlement with
/// its specific error and changes nothing; closing stays possible near
/// the last accepted price.
#[tokio::test]
async fn a_held_price_refuses_risk_funding_and_settlement() {
    let mut env = TestEnv::new().await;
    let sol = market_with_jump_band(&mut env, Oracles::Pyth).await;
    let alice = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.advance_time(3_600).await;
    env.set_price(sol, 40 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let watched = env.watched(&alice);

    assert_refused!(
        env,
        watched.clone(),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleJumpUnconfirmed
    );
    assert_refused!(env, watched.clone(), env.settle_funding(sol).await, VammError::OracleJumpUnconfirmed);
    env.set_status(sol, MarketStatus::Paused).await.unwrap();
    assert_refused!(env, watched.clone(), env.settle_market(sol).await, VammError::OracleJumpUnconfirmed);
    env.set_status(sol, MarketStatus::Active).await.unwrap();
    // A reduction stays possible: it fills near the last accepted price.
    env.close(&alice, sol, Some(BASE)).await.unwrap();
    assert!(env.market_state(sol).await.price_guard.is_holding());
    // Another oracle failure still refuses the crank itself.
    env.advance_time(120).await;
    assert_refused!(env, watched.clone(), env.update_twaps(sol).await, VammError::OracleStale);

    // The level was first seen 120 s ago: the next fresh observation on
    // the same side accepts it, and all of it works again.
    env.set_price(sol, 40 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let guard = env.market_state(sol).await.price_guard;
    assert!(!guard.is_holding());
    assert_eq!(guard.holds_confirmed, 1);
    env.settle_funding(sol).await.unwrap();
    env.close(&alice, sol, None).await.unwrap();
    env.check_invariants().await;
}

/// A market passed as a remaining account is valued with its own jump
/// guard: a held price releases no collateral. (Before, remaining
/// accounts skipped the jump check: a short's margin requirement shrank
/// at a crashed, refused price and freed collateral to withdraw.)
#[tokio::test]
async fn a_held_price_in_a_remaining_account_releases_nothing() {
    let mut env = TestEnv::new().await;
    let sol = market_with_jump_band(&mut env, Oracles::Pyth).await;
    let mut eth_params = default_market_params(1, "ETH-PERP", 2_000 * PRICE, Oracles::Pyth);
    eth_params.max_oracle_jump_bps = 2_500;
    let eth = env.add_market_with(eth_params, 2_000 * PRICE).await.unwrap();
    let alice = env.trader(10_000 * USDC, 200 * USDC).await;
    env.open(&alice, sol, Direction::Short, TradeSize::Base(10 * BASE)).await.unwrap();

    // The oracle prints 40 (a 60% fall the market holds).
    env.advance_time(10).await;
    env.set_price(sol, 40 * PRICE);
    env.set_price(eth, 2_000 * PRICE);
    assert_refused!(
        env,
        env.watched(&alice),
        env.withdraw(&alice, 150 * USDC).await,
        VammError::OracleJumpUnconfirmed
    );
    // Nor does it back risk in another market.
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, eth, Direction::Long, TradeSize::Base(BASE / 100)).await,
        VammError::OracleJumpUnconfirmed
    );
    // Back inside the band, the usual rules apply.
    env.set_price(sol, 100 * PRICE);
    env.withdraw(&alice, 50 * USDC).await.unwrap();
    env.check_invariants().await;
}

/// The waiver of the mark-oracle band for trades towards the oracle holds
/// only when the mark ends between where it was and the oracle.
#[tokio::test]
async fn a_trade_crossing_the_oracle_is_not_waived() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let whale = env.trader(10_000_000 * USDC, 5_000_000 * USDC).await;
    // The oracle drops to 80; the mark stays at 100 (band 10% = 8).
    env.advance_time(10).await;
    env.set_price(sol, 80 * PRICE);

    // Selling the mark down to 70 ends 10 from the oracle, on the far side.
    let curve = env.market_state(sol).await.amm.curve();
    let (direction, base) = curve.trade_toward(70 * PRICE).unwrap();
    assert_eq!(direction, Direction::Short);
    assert_refused!(
        env,
        env.watched(&whale),
        env.open(&whale, sol, direction, TradeSize::Base(base)).await,
        VammError::MarkOracleDivergence
    );
    // Selling it to 90 ends as far from the oracle, but between: waived.
    let (direction, base) = curve.trade_toward(90 * PRICE).unwrap();
    env.open(&whale, sol, direction, TradeSize::Base(base)).await.unwrap();
    env.check_invariants().await;
}

/// Switchboard freshness counts from the slot the result was signed at,
/// not from when the account was written, and a result needs the market's
/// minimum number of samples.
#[tokio::test]
async fn switchboard_results_are_aged_by_their_slot_and_need_enough_samples() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Switchboard).await;
    let alice = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.advance_time(600).await;
    let handle = env.markets[sol].primary;
    let (slot, now) = (env.clock().slot, env.now);
    let update = |slot: u64, num_samples: u8| SwitchboardUpdate {
        feed_hash: handle.feed_id,
        price: 100 * PRICE,
        std_dev: 0,
        timestamp: now,
        slot,
        num_samples,
    };
    let cases = [
        // Written now, signed 200 slots (80 s) ago: older than 60 s.
        (update(slot - 200, 5), VammError::OracleStale),
        // Signed in a slot that has not happened.
        (update(slot + 1, 5), VammError::OracleInvalidData),
        // Two samples where the market requires three.
        (update(slot, 2), VammError::OracleTooFewSamples),
    ];
    for (account, error) in cases {
        env.write_switchboard(&handle.address, account);
        assert_refused!(
            env,
            env.watched(&alice),
            env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
            error
        );
    }
    // 140 slots (56 s) old with three samples is fresh enough.
    env.write_switchboard(&handle.address, update(slot - 140, 3));
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    // An older result than the one used is refused.
    env.write_switchboard(&handle.address, update(slot - 141, 3));
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleNotMonotonic
    );
}

/// The guard's parameters are bounded at listing and on update.
#[tokio::test]
async fn guard_parameters_out_of_bounds_are_refused() {
    let mut env = TestEnv::new().await;
    for (confirmation, samples) in [(9u32, 3u8), (3_601, 3), (60, 0), (60, 33)] {
        let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
        params.price_confirmation_secs = confirmation;
        params.min_oracle_samples = samples;
        assert_error(
            env.add_market_with(params, 100 * PRICE).await.map(|_| ()),
            VammError::InvalidOracleConfig,
        );
    }
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let admin = env.admin.insecure_clone();
    let market = env.markets[sol].address;
    for update in [
        vamm::instructions::MarketParamsUpdate { price_confirmation_secs: Some(5), ..Default::default() },
        vamm::instructions::MarketParamsUpdate { min_oracle_samples: Some(0), ..Default::default() },
    ] {
        let ix = ix::update_market_params(&admin.pubkey(), &market, update);
        assert_refused!(env, vec![market], env.send(&[ix], &[&admin]).await, VammError::InvalidOracleConfig);
    }
    let update = vamm::instructions::MarketParamsUpdate {
        price_confirmation_secs: Some(600),
        min_oracle_samples: Some(5),
        ..Default::default()
    };
    // A different confirmation time goes through the timelock.
    let ix = ix::update_market_params(&admin.pubkey(), &market, update.clone());
    assert_refused!(env, vec![market], env.send(&[ix], &[&admin]).await, VammError::RequiresTimelock);
    let market_index = env.markets[sol].index;
    env.enact(vec![vamm::state::GovernanceAction::UpdateMarketParams { market_index, update }])
        .await
        .unwrap();
    let state = env.market_state(sol).await;
    assert_eq!((state.price_guard.confirmation_secs, state.oracle.min_samples), (600, 5));
}

/// A real move to 130 is held; just as it can be confirmed, one print at
/// 300 arrives. The level that held (130) becomes the reference; the wick
/// is held in turn and never used.
#[tokio::test]
async fn a_wick_at_confirmation_time_is_never_used() {
    let mut env = TestEnv::new().await;
    let sol = market_with_jump_band(&mut env, Oracles::Pyth).await;
    let short = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let keeper = env.keeper().await;
    env.open(&short, sol, Direction::Short, TradeSize::Base(50 * BASE)).await.unwrap();
    env.advance_time(10).await;
    env.set_price(sol, 130 * PRICE);
    env.update_twaps(sol).await.unwrap();
    env.advance_time(60).await;
    env.set_price(sol, 300 * PRICE);
    // Liquidating at the wick is refused (and records nothing).
    assert_refused!(
        env,
        env.watched(&short),
        env.liquidate(&keeper, &short, sol, liquidate_params()).await,
        VammError::OracleJumpUnconfirmed
    );
    env.update_twaps(sol).await.unwrap();
    let market = env.market_state(sol).await;
    assert_eq!(market.funding.oracle_twap, 130 * PRICE, "the level that held is the reference");
    assert_eq!(market.price_guard.holds_confirmed, 1);
    assert_eq!(market.price_guard.hold_side, HoldSide::Above.to_u8(), "the wick is held");
    assert_ne!(market.oracle.last_price, 300 * PRICE);
    // The price comes back to 131: accepted, and the short is liquidated there.
    env.advance_time(10).await;
    env.set_price(sol, 131 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let market = env.market_state(sol).await;
    assert_eq!((market.price_guard.hold_side, market.oracle.last_price), (0, 131 * PRICE));
    assert!(env.liquidate_fully(&keeper, &short, sol).await >= 1);
    env.check_invariants().await;
}

/// A hold cannot be started and confirmed without the confirmation time
/// passing on the cluster: an old out-of-band update posted late and a
/// fresh one in the same second do not confirm, nor does one update read
/// again later; a newer update after the confirmation time does.
#[tokio::test]
async fn a_hold_needs_cluster_time_and_a_newer_update() {
    let mut env = TestEnv::new().await;
    let sol = market_with_jump_band(&mut env, Oracles::Pyth).await;
    env.advance_time(120).await;
    let handle = env.markets[sol].primary;
    let clock = env.clock();
    let old = vamm::oracle::OracleClock { unix_ts: clock.unix_ts - 50, slot: clock.slot - 125 };
    env.write_account(
        &handle.address,
        oracle::price_account(handle.source, handle.feed_id, 40 * PRICE, 0, old),
    );
    env.update_twaps(sol).await.unwrap();
    env.set_price(sol, 40 * PRICE);
    env.update_twaps(sol).await.unwrap();
    assert!(env.market_state(sol).await.price_guard.is_holding(), "no cluster time passed");
    // The same update read again a minute later does not confirm.
    env.advance_time(59).await;
    env.update_twaps(sol).await.unwrap();
    env.advance_time(1).await;
    let guard = env.market_state(sol).await.price_guard;
    assert!(guard.is_holding());
    // A newer one does.
    env.set_price(sol, 40 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let guard = env.market_state(sol).await.price_guard;
    assert!(!guard.is_holding());
    assert_eq!(guard.holds_confirmed, 1);
}

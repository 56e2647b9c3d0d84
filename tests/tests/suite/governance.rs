//! Governance after listing: parameter updates within bounds, status
//! changes (the guardian may only pause), and re-centring the curve.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::instructions::MarketParamsUpdate;
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::{GovernanceAction, MarketStatus};
use vamm_tests::*;

async fn env_with_guardian() -> (TestEnv, usize, solana_keypair::Keypair) {
    let (env, guardian) = TestEnv::with_guardian().await;
    (env, 0, guardian)
}

#[tokio::test]
async fn admin_updates_parameters_within_bounds() {
    let (mut env, sol, guardian) = env_with_guardian().await;
    let market = env.markets[sol].address;
    let admin = env.admin.insecure_clone();
    // Risk-reducing: a higher initial ratio and a lower fee apply at once.
    let update =
        MarketParamsUpdate { taker_fee_bps: Some(5), initial_ratio: Some(200_000), ..Default::default() };
    env.send(&[ix::update_market_params(&admin.pubkey(), &market, update.clone())], &[&admin]).await.unwrap();
    let state = env.market_state(sol).await;
    assert_eq!((state.fees.taker_fee_bps, state.risk.initial_ratio), (5, 200_000));
    // Raising the fee only goes through the timelock.
    let raise = MarketParamsUpdate { taker_fee_bps: Some(25), ..Default::default() };
    assert_refused!(
        env,
        vec![market],
        env.send(&[ix::update_market_params(&admin.pubkey(), &market, raise.clone())], &[&admin]).await,
        VammError::RequiresTimelock
    );
    env.enact(vec![GovernanceAction::UpdateMarketParams { market_index: 0, update: raise }]).await.unwrap();
    assert_eq!(env.market_state(sol).await.fees.taker_fee_bps, 25);
    // The new fee applies to the next trade.
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    let position = *env.trader_state(&alice.account).await.position(0).unwrap();
    assert_eq!(position.fees_paid, (position.entry_notional * 25).div_ceil(10_000));
    // Out of bounds, inconsistent with the rest, or not the admin: refused.
    let bad = MarketParamsUpdate { maintenance_ratio: Some(300_000), ..Default::default() };
    assert_refused!(
        env,
        vec![market],
        env.send(&[ix::update_market_params(&admin.pubkey(), &market, bad)], &[&admin]).await,
        VammError::InvalidMarketParameter
    );
    let bad = MarketParamsUpdate { taker_fee_bps: Some(500), ..Default::default() };
    assert_refused!(
        env,
        vec![market],
        env.send(&[ix::update_market_params(&admin.pubkey(), &market, bad)], &[&admin]).await,
        VammError::InvalidMarketParameter
    );
    let bad = MarketParamsUpdate { max_staleness_secs: Some(0), ..Default::default() };
    assert_refused!(
        env,
        vec![market],
        env.send(&[ix::update_market_params(&admin.pubkey(), &market, bad)], &[&admin]).await,
        VammError::InvalidOracleConfig
    );
    assert_refused!(
        env,
        vec![market],
        env.send(&[ix::update_market_params(&guardian.pubkey(), &market, update)], &[&guardian]).await,
        VammError::NotAdmin
    );
}

#[tokio::test]
async fn status_changes_gate_trading_and_the_guardian_may_only_pause() {
    let (mut env, sol, guardian) = env_with_guardian().await;
    let market = env.markets[sol].address;
    let admin = env.admin.insecure_clone();
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(2 * BASE)).await.unwrap();

    // Reduce-only: closing works, opening does not.
    env.send(&[ix::set_market_status(&admin.pubkey(), &market, MarketStatus::ReduceOnly)], &[&admin])
        .await
        .unwrap();
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::MarketReduceOnly
    );
    env.close(&alice, sol, Some(BASE)).await.unwrap();

    // The guardian pauses: nothing trades; it cannot resume.
    env.send(&[ix::set_market_status(&guardian.pubkey(), &market, MarketStatus::Paused)], &[&guardian])
        .await
        .unwrap();
    assert_refused!(env, env.watched(&alice), env.close(&alice, sol, None).await, VammError::MarketNotActive);
    let resume = ix::set_market_status(&guardian.pubkey(), &market, MarketStatus::Active);
    assert_refused!(
        env,
        vec![market],
        env.send(&[resume], &[&guardian]).await,
        VammError::GuardianMayOnlyPause
    );
    let stranger = env.wallet();
    let pause = ix::set_market_status(&stranger.pubkey(), &market, MarketStatus::Paused);
    assert_refused!(env, vec![market], env.send(&[pause], &[&stranger]).await, VammError::NotAdmin);
    let settle = ix::set_market_status(&admin.pubkey(), &market, MarketStatus::Settled);
    assert_refused!(
        env,
        vec![market],
        env.send(&[settle], &[&admin]).await,
        VammError::InvalidStatusTransition
    );

    // The admin resumes.
    env.send(&[ix::set_market_status(&admin.pubkey(), &market, MarketStatus::Active)], &[&admin])
        .await
        .unwrap();
    env.close(&alice, sol, None).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn repeg_recentres_on_the_oracle_and_is_paid_by_the_fee_pool() {
    let (mut env, sol, _) = env_with_guardian().await;
    let admin = env.admin.insecure_clone();
    let oracles = env.markets[sol].oracles();
    let trader = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    let long = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    // Volume fills the fee pool (1% fee, half of it to the pool); traders
    // end net long 100 SOL.
    let rich = MarketParamsUpdate {
        taker_fee_bps: Some(100),
        fee_pool_share_bps: Some(5_000),
        ..Default::default()
    };
    let rich = GovernanceAction::UpdateMarketParams { market_index: 0, update: rich };
    env.enact(vec![rich]).await.unwrap();
    for _ in 0..10 {
        env.open(&trader, sol, Direction::Long, TradeSize::Base(200 * BASE)).await.unwrap();
        env.close(&trader, sol, None).await.unwrap();
    }
    env.open(&long, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    let before = env.market_state(sol).await;
    // The oracle moves 5% up and nobody arbitrages: re-centre.
    env.advance_time(5).await;
    env.set_price(sol, 105 * PRICE);
    let expected = vamm::math::amm::repeg_cost(
        &before.amm.curve(),
        100 * BASE as i64,
        105 * PRICE * before.amm.peg / before.amm.last_mark_price,
    )
    .unwrap();
    assert!(expected > 0);
    assert!(before.pools.fee_pool > expected as u64, "pool {} must cover {expected}", before.pools.fee_pool);
    env.send(&[ix::repeg(&admin.pubkey(), &oracles)], &[&admin]).await.unwrap();
    let after = env.market_state(sol).await;
    let mark = after.amm.curve().mark_price().unwrap();
    // Within rounding of the peg (a few millionths of a USDC).
    assert!(mark.abs_diff(105 * PRICE) <= 5, "mark {mark}");
    let paid = before.pools.fee_pool - after.pools.fee_pool;
    assert!(paid.abs_diff(expected as u64) <= 1_000, "paid {paid}, expected about {expected}");
    assert_eq!(after.pools.pnl_pool - before.pools.pnl_pool, paid);
    assert!(after.amm.min_price > before.amm.min_price && after.amm.max_price > before.amm.max_price);
    // Without a repeg rule, only the admin re-centres.
    env.set_price(sol, 110 * PRICE);
    let stranger = env.wallet();
    let ix = ix::repeg(&stranger.pubkey(), &oracles);
    assert_refused!(env, vec![oracles.market], env.send(&[ix], &[&stranger]).await, VammError::RepegNotDue);
    env.check_invariants().await;
}

/// Found by the risk benchmark (oracle pump under the Drift-style set): a
/// trade observes the gap before it moves the mark, so an arbitrageur's
/// trade that closed a gap left the repeg clock running, and a later move
/// of the oracle could be repegged to at once. Every trade now observes the
/// gap again after it moved the mark: the clock runs only while the gap
/// holds.
#[tokio::test]
async fn a_trade_that_closes_the_gap_stops_the_repeg_clock() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.repeg_gap_bps = 300;
    params.repeg_delay_secs = 1_800;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let oracles = env.markets[sol].oracles();
    let arb = env.trader(10_000_000 * USDC, 1_000_000 * USDC).await;
    // The oracle moves 4%; the arbitrageur's trade sees the gap, then closes it.
    env.advance_time(5).await;
    env.set_price(sol, 104 * PRICE);
    env.align_mark(&arb, sol, 104 * PRICE).await.unwrap();
    let state = env.market_state(sol).await;
    assert!(state.amm.curve().mark_price().unwrap().abs_diff(104 * PRICE) < PRICE / 100);
    assert_eq!(state.repeg_rule.gap_since_ts, 0, "the gap closed with the trade");
    // Half an hour later the oracle moves 6% on: the gap has only just
    // opened, so nobody may repeg yet.
    env.advance_time(1_800).await;
    env.set_price(sol, 110 * PRICE);
    let stranger = env.wallet();
    let repeg = ix::repeg(&stranger.pubkey(), &oracles);
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(std::slice::from_ref(&repeg), &[&stranger]).await,
        VammError::RepegNotDue
    );
}

/// The permissionless repeg: once the mark has stayed more than the gap
/// (3%) from the oracle at every TWAP update for the delay (30 minutes),
/// anyone re-centres the curve, the fee pool paying; not a second sooner,
/// and the clock restarts whenever the gap closes.
#[tokio::test]
async fn anyone_repegs_once_the_gap_has_lasted_the_delay() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.taker_fee_bps = 100;
    params.fee_pool_share_bps = 5_000;
    params.repeg_gap_bps = 300;
    params.repeg_delay_secs = 1_800;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let oracles = env.markets[sol].oracles();
    let trader = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    let long = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    for _ in 0..10 {
        env.open(&trader, sol, Direction::Long, TradeSize::Base(200 * BASE)).await.unwrap();
        env.close(&trader, sol, None).await.unwrap();
    }
    env.open(&long, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    let stranger = env.wallet();
    let repeg = ix::repeg(&stranger.pubkey(), &oracles);

    // 2% away: within the gap, no clock.
    env.advance_time(5).await;
    env.set_price(sol, 102 * PRICE);
    env.update_twaps(sol).await.unwrap();
    assert_eq!(env.market_state(sol).await.repeg_rule.gap_since_ts, 0);
    // 6% away: the clock starts at this update.
    env.advance_time(5).await;
    env.set_price(sol, 106 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let started = env.now;
    assert_eq!(env.market_state(sol).await.repeg_rule.due_at(), Some(started + 1_800));
    env.advance_time(1_799).await;
    env.set_price(sol, 106 * PRICE);
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(std::slice::from_ref(&repeg), &[&stranger]).await,
        VammError::RepegNotDue
    );
    // The gap closes for one update: the clock restarts.
    env.set_price(sol, 101 * PRICE);
    env.update_twaps(sol).await.unwrap();
    env.advance_time(1).await;
    env.set_price(sol, 106 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let restarted = env.now;
    assert_eq!(env.market_state(sol).await.repeg_rule.gap_since_ts, restarted);
    env.advance_time(1_799).await;
    env.set_price(sol, 106 * PRICE);
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(std::slice::from_ref(&repeg), &[&stranger]).await,
        VammError::RepegNotDue
    );
    // Due: anyone re-centres, as far as a tenth of the fee pool pays for
    // the net long's gain (the whole 6% would cost about 600 USDC of a
    // pool of about 2,000): whoever positioned for the repeg can take no
    // more than that per delay.
    env.advance_time(1).await;
    env.set_price(sol, 106 * PRICE);
    let before = env.market_state(sol).await;
    let mark_before = before.amm.curve().mark_price().unwrap();
    env.send(std::slice::from_ref(&repeg), &[&stranger]).await.unwrap();
    let after = env.market_state(sol).await;
    let mark = after.amm.curve().mark_price().unwrap();
    assert!(mark > mark_before && mark < 106 * PRICE, "{mark_before} -> {mark}");
    let paid = before.pools.fee_pool - after.pools.fee_pool;
    let budget = before.pools.fee_pool / 10;
    assert!(paid <= budget && paid + 1_000 >= budget, "paid {paid} of a budget of {budget}");
    assert_eq!(after.pools.pnl_pool - before.pools.pnl_pool, paid);
    assert_eq!(after.repeg_rule.gap_since_ts, 0);
    // The TWAPs were updated first, at the mark before the repeg.
    assert_eq!(after.funding.mark_twap_ts, env.now);
    env.check_invariants().await;

    // A paused market's curve is the admin's alone, however long the gap.
    env.advance_time(5).await;
    env.set_price(sol, 112 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let admin = env.admin.insecure_clone();
    env.send(&[ix::set_market_status(&admin.pubkey(), &oracles.market, MarketStatus::Paused)], &[&admin])
        .await
        .unwrap();
    env.advance_time(1_800).await;
    env.set_price(sol, 112 * PRICE);
    let repeg = ix::repeg(&stranger.pubkey(), &oracles);
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(&[repeg], &[&stranger]).await,
        VammError::MarketNotActive
    );
    // Changing the rule restarts its clock.
    let rule = MarketParamsUpdate { repeg_delay_secs: Some(3_600), ..Default::default() };
    env.enact(vec![GovernanceAction::UpdateMarketParams { market_index: 0, update: rule }]).await.unwrap();
    assert_eq!(env.market_state(sol).await.repeg_rule.gap_since_ts, 0);
}

#[tokio::test]
async fn repeg_is_refused_when_the_fee_pool_cannot_pay() {
    let (mut env, sol, _) = env_with_guardian().await;
    let admin = env.admin.insecure_clone();
    let oracles = env.markets[sol].oracles();
    let long = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 110 * PRICE);
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(&[ix::repeg(&admin.pubkey(), &oracles)], &[&admin]).await,
        VammError::RepegCostExceedsFeePool
    );
}

#[tokio::test]
async fn a_settled_market_closes_every_position_at_its_settlement_price() {
    let (mut env, sol, _) = env_with_guardian().await;
    let admin = env.admin.insecure_clone();
    let oracles = env.markets[sol].oracles();
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(30 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(10 * BASE)).await.unwrap();
    let cranker = env.wallet();
    let settle_long = ix::settle_position(&cranker.pubkey(), &oracles.market, &long.account);
    // Only a paused market settles, only the admin settles it, and nothing
    // settles before.
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(&[ix::settle_market(&admin.pubkey(), &oracles)], &[&admin]).await,
        VammError::MarketNotPaused
    );
    assert_refused!(
        env,
        vec![oracles.market, long.account],
        env.send(std::slice::from_ref(&settle_long), &[&cranker]).await,
        VammError::MarketNotSettled
    );
    env.send(&[ix::set_market_status(&admin.pubkey(), &oracles.market, MarketStatus::Paused)], &[&admin])
        .await
        .unwrap();
    let stranger = env.wallet();
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(&[ix::settle_market(&stranger.pubkey(), &oracles)], &[&stranger]).await,
        VammError::NotAdmin
    );
    env.advance_time(5).await;
    env.set_price(sol, 110 * PRICE);
    env.send(&[ix::settle_market(&admin.pubkey(), &oracles)], &[&admin]).await.unwrap();
    let market = env.market_state(sol).await;
    assert_eq!(market.status().unwrap(), MarketStatus::Settled);
    assert_eq!(market.settlement_price, 110 * PRICE);
    assert_eq!(market.pools.fee_pool, 0, "the fee pool now backs the claims");
    // No trading, and no way back.
    assert_refused!(env, env.watched(&long), env.close(&long, sol, None).await, VammError::MarketNotActive);
    let resume = ix::set_market_status(&admin.pubkey(), &oracles.market, MarketStatus::Active);
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(&[resume], &[&admin]).await,
        VammError::InvalidStatusTransition
    );
    // Its pools are final: the curve no longer moves.
    assert_refused!(
        env,
        vec![oracles.market],
        env.send(&[ix::repeg(&admin.pubkey(), &oracles)], &[&admin]).await,
        VammError::MarketNotActive
    );
    // Anyone settles any position at 110, with no oracle needed.
    env.advance_time(600).await;
    let before = env.trader_state(&long.account).await.position(0).copied().unwrap();
    env.send(std::slice::from_ref(&settle_long), &[&cranker]).await.unwrap();
    env.send(&[ix::settle_position(&cranker.pubkey(), &oracles.market, &short.account)], &[&cranker])
        .await
        .unwrap();
    let after =
        *env.trader_state(&long.account).await.positions.iter().find(|p| p.market_index == 0).unwrap();
    assert_eq!(after.base, 0);
    let expected =
        vamm::math::position::unrealised_pnl(before.base, before.entry_notional, 110 * PRICE).unwrap();
    assert_eq!(after.realised_pnl - before.realised_pnl, expected);
    let market = env.market_state(sol).await;
    assert_eq!((market.amm.base_long, market.amm.base_short), (0, 0));
    assert_refused!(
        env,
        vec![oracles.market, long.account],
        env.send(&[settle_long], &[&cranker]).await,
        VammError::NoPosition
    );
    // The short's loss is withdrawable-net, valued without any oracle.
    let short_left = env.trader_state(&short.account).await.collateral;
    env.withdraw(&short, short_left).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn initial_margin_stays_above_maintenance_at_every_size() {
    let mut env = TestEnv::new().await;
    // One factor for both ratios, a maintenance factor above the initial
    // one, or both ratios at 100% by the position cap: refused.
    for (initial, maintenance, cap) in
        [(100, 100, 50_000_000 * USDC), (100, 150, 50_000_000 * USDC), (10_000, 5_000, 50_000_000 * USDC)]
    {
        let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
        params.initial_imf_factor = initial;
        params.maintenance_imf_factor = maintenance;
        params.max_position_notional = cap;
        let result = env.add_market_with(params, 100 * PRICE).await;
        assert_error(result.map(|_| ()), VammError::InvalidMarketParameter);
    }
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.sqrt_k = 1_000_000 * BASE as u128;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let market = env.markets[sol].address;
    let admin = env.admin.insecure_clone();
    let update = MarketParamsUpdate { maintenance_imf_factor: Some(100), ..Default::default() };
    assert_refused!(
        env,
        vec![market],
        env.send(&[ix::update_market_params(&admin.pubkey(), &market, update)], &[&admin]).await,
        VammError::InvalidMarketParameter
    );

    // 1.3M USDC on 200,000: both requirements come from the size factors,
    // 11.4% initial (100 ppm x sqrt(1.3M)) and 5.7% maintenance (50 ppm).
    // With one factor for both, maintenance would be 11.4% as well and a
    // position opened at its limit would be liquidatable on the next tick.
    let whale = env.trader(300_000 * USDC, 200_000 * USDC).await;
    env.open(&whale, sol, Direction::Long, TradeSize::Quote(1_300_000 * USDC)).await.unwrap();
    let clock = env.clock();
    let markets = vamm_client::valuation::fetch_markets(&mut env.rt).await.unwrap();
    let book = vamm_client::valuation::price_book(&markets, clock, &[]);
    let trader = env.trader_state(&whale.account).await;
    let margin = book.margin(&trader).unwrap();
    let notional = margin.total_notional;
    assert!(margin.initial_required * 1_000 > notional * 112, "{margin:?}");
    assert!(margin.maintenance_required * 1_000 < notional * 58, "{margin:?}");
    assert!(margin.maintenance_required * 10 < margin.initial_required * 6, "{margin:?}");
    assert_eq!(margin.health().unwrap(), vamm::math::margin::HealthState::Healthy);
    // And 1.7M would need more than 200,000 at the initial ratio: refused.
    let greedy = env.trader(300_000 * USDC, 200_000 * USDC).await;
    assert_error(
        env.open(&greedy, sol, Direction::Long, TradeSize::Quote(1_700_000 * USDC)).await,
        VammError::InsufficientMargin,
    );
}

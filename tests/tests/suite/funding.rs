//! Funding: TWAPs, the periodic crank, lazy per-position settlement, the
//! AMM's imbalance paid by the fee pool or capped, and the catch-up rule.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::funding::funding_payment;
use vamm_tests::*;

const HOUR: i64 = 3_600;

/// Keeps the oracle fresh at `price` while time passes in small steps.
async fn wait(env: &mut TestEnv, market: usize, price: u64, seconds: i64) {
    let mut left = seconds;
    while left > 0 {
        let step = left.min(50);
        env.advance_time(step).await;
        env.set_price(market, price);
        left -= step;
    }
}

async fn funding_market(max_rate_bps: u16) -> (TestEnv, usize) {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.max_funding_rate_bps = max_rate_bps;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    (env, sol)
}

#[tokio::test]
async fn longs_pay_shorts_over_several_periods_and_positions_settle_lazily() {
    let (mut env, sol) = funding_market(100).await;
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(200 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(100 * BASE)).await.unwrap();
    // Net long 100 SOL on a 10,000 SOL curve: mark ~102 against an oracle
    // that moves a little every period.
    let mut expected_long = 0i64;
    let mut expected_short = 0i64;
    for (period, oracle) in [100u64, 101, 99].into_iter().enumerate() {
        assert_error(env.settle_funding(sol).await, VammError::FundingNotDue);
        wait(&mut env, sol, oracle * PRICE, HOUR).await;
        let before = env.market_state(sol).await.funding;
        env.settle_funding(sol).await.unwrap();
        let after = env.market_state(sol).await.funding;
        assert!(after.mark_twap > after.oracle_twap, "period {period}: mark above oracle");
        assert!(after.last_rate_ppb > 0);
        let d_long = after.cumulative_long - before.cumulative_long;
        let d_short = after.cumulative_short - before.cumulative_short;
        assert!(d_long > 0 && d_short < 0);
        // Shorts (the smaller side) receive the full rate: the AMM's excess
        // receipts stay in the PnL pool.
        assert_eq!(d_long, -d_short);
        expected_long += funding_payment(200 * BASE as i64, d_long).unwrap();
        expected_short += funding_payment(-100 * BASE as i64, d_short).unwrap();
    }
    // Nothing moved to the positions yet: the crank is O(1).
    assert_eq!(env.trader_state(&long.account).await.position(0).unwrap().funding_paid, 0);
    env.close(&long, sol, None).await.unwrap();
    env.close(&short, sol, None).await.unwrap();
    let long_paid = env
        .trader_state(&long.account)
        .await
        .positions
        .iter()
        .find(|p| p.market_index == 0)
        .unwrap()
        .funding_paid;
    let short_paid = env
        .trader_state(&short.account)
        .await
        .positions
        .iter()
        .find(|p| p.market_index == 0)
        .unwrap()
        .funding_paid;
    // Each settled once, lazily, for all three periods (one rounding).
    assert!((long_paid - expected_long).abs() <= 1, "long paid {long_paid}, expected {expected_long}");
    assert!((short_paid - expected_short).abs() <= 1, "short paid {short_paid}, expected {expected_short}");
    assert!(long_paid > 0 && short_paid < 0);
    // Conservation: sum paid = sum received + what the AMM absorbed (its
    // net long 100 SOL's share, kept in the PnL pool), within rounding.
    let funding = env.market_state(sol).await.funding;
    let absorbed = funding_payment(100 * BASE as i64, funding.cumulative_long).unwrap();
    assert!(
        (long_paid + short_paid - absorbed).abs() <= 2,
        "paid {long_paid}, received {}, AMM {absorbed}",
        -short_paid
    );
    println!("funding over 3 periods: longs paid {long_paid}, shorts received {}", -short_paid);
    env.check_invariants().await;
}

#[tokio::test]
async fn fee_pool_pays_the_amm_side_when_receivers_outnumber_payers() {
    // 1 bp per period: small enough for the fee pool to cover.
    let (mut env, sol) = funding_market(1).await;
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(50 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(100 * BASE)).await.unwrap();
    // Mark ~99 (net short); oracle 95: mark above oracle, longs pay, and the
    // AMM (net long 50) owes the shorts' excess.
    wait(&mut env, sol, 95 * PRICE, HOUR).await;
    let pool_before = env.market_state(sol).await.pools.fee_pool;
    env.settle_funding(sol).await.unwrap();
    let market = env.market_state(sol).await;
    let contribution = pool_before - market.pools.fee_pool;
    assert!(contribution > 0, "the fee pool paid the AMM's side");
    assert_eq!(market.stats.funding_paid_by_fee_pool, contribution);
    // Full rate for both sides.
    assert_eq!(market.funding.cumulative_long, -market.funding.cumulative_short);
    env.close(&long, sol, None).await.unwrap();
    env.close(&short, sol, None).await.unwrap();
    let paid = |s: &vamm::state::TraderAccount| {
        s.positions.iter().find(|p| p.market_index == 0).unwrap().funding_paid
    };
    let long_paid = paid(&env.trader_state(&long.account).await);
    let short_paid = paid(&env.trader_state(&short.account).await);
    // Sum received = sum paid + what the pool contributed (within rounding).
    assert!(-short_paid <= long_paid + contribution as i64);
    assert!(-short_paid >= long_paid + contribution as i64 - 2);
    env.check_invariants().await;
}

#[tokio::test]
async fn receiving_rate_is_scaled_down_when_the_fee_pool_cannot_pay() {
    let (mut env, sol) = funding_market(100).await;
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(50 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(100 * BASE)).await.unwrap();
    wait(&mut env, sol, 95 * PRICE, HOUR).await;
    let pool_before = env.market_state(sol).await.pools.fee_pool;
    env.settle_funding(sol).await.unwrap();
    let market = env.market_state(sol).await;
    // The pool gave all it had, and shorts receive less than longs pay per unit.
    assert_eq!(market.pools.fee_pool, 0);
    assert_eq!(market.stats.funding_paid_by_fee_pool, pool_before);
    assert!(-market.funding.cumulative_short < market.funding.cumulative_long);
    let long_owes = funding_payment(50 * BASE as i64, market.funding.cumulative_long).unwrap();
    let short_gets = -funding_payment(-100 * BASE as i64, market.funding.cumulative_short).unwrap();
    assert!(
        short_gets <= long_owes + pool_before as i64,
        "receivers get {short_gets}, payers {long_owes} + pool {pool_before}"
    );
    env.check_invariants().await;
}

#[tokio::test]
async fn an_uncranked_market_catches_up_one_period_per_crank() {
    let (mut env, sol) = funding_market(100).await;
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    // Five periods pass without a crank; the TWAPs keep tracking through
    // the oracle crank.
    for _ in 0..5 {
        wait(&mut env, sol, 100 * PRICE, HOUR).await;
        let cranker = env.wallet();
        let ix = ix::update_twaps(&cranker.pubkey(), &env.markets[sol].oracles());
        env.send(&[ix], &[&cranker]).await.unwrap();
    }
    let before = env.market_state(sol).await.funding;
    env.settle_funding(sol).await.unwrap();
    let after = env.market_state(sol).await.funding;
    let one_period_cap = (after.oracle_twap as i64) / 100 * 1_000;
    assert!(after.cumulative_long - before.cumulative_long <= one_period_cap, "one period's rate at most");
    // The clock moved to the current period: no burst of catch-up cranks.
    assert_error(env.settle_funding(sol).await, VammError::FundingNotDue);
    assert!(env.now - after.last_funding_ts < HOUR);
    env.check_invariants().await;
}

#[tokio::test]
async fn funding_crank_refuses_a_stale_oracle() {
    let (mut env, sol) = funding_market(100).await;
    env.advance_time(HOUR + 100).await;
    let market = env.markets[sol].address;
    assert_refused!(env, vec![market], env.settle_funding(sol).await, VammError::OracleStale);
}

#[tokio::test]
async fn unsettled_funding_owed_counts_against_withdrawals() {
    let (mut env, sol) = funding_market(100).await;
    let long = env.trader(100_000 * USDC, 1_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(50 * BASE)).await.unwrap();
    wait(&mut env, sol, 95 * PRICE, HOUR).await;
    env.settle_funding(sol).await.unwrap();
    let market = env.market_state(sol).await;
    let owed = funding_payment(50 * BASE as i64, market.funding.cumulative_long).unwrap() as u64;
    assert!(owed > 0);
    // At 95: requirement 10% of 4,750; loss ~250 and the funding owed.
    let state = env.trader_state(&long.account).await;
    let position = state.position(0).unwrap();
    let loss = position.entry_notional - 50 * 95 * USDC;
    let free = state.collateral - 475 * USDC - loss - owed;
    assert_refused!(
        env,
        env.watched(&long),
        env.withdraw(&long, free + 1).await,
        VammError::InsufficientFreeCollateral
    );
    env.withdraw(&long, free).await.unwrap();
    env.check_invariants().await;
}

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

/// The first crank sets a rate (nothing has accrued before it: the rate
/// was zero); funding then accrues continuously at that rate.
async fn first_crank(env: &mut TestEnv, sol: usize, oracle: u64) {
    wait(env, sol, oracle, HOUR).await;
    let before = env.market_state(sol).await.funding;
    env.settle_funding(sol).await.unwrap();
    let after = env.market_state(sol).await.funding;
    assert_eq!(after.cumulative_long, before.cumulative_long, "no rate accrued before the first crank");
    assert_ne!(after.per_period_payment, 0, "the crank set a rate");
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
    first_crank(&mut env, sol, 100 * PRICE).await;
    for (period, oracle) in [101u64, 99].into_iter().enumerate() {
        assert_error(env.settle_funding(sol).await, VammError::FundingNotDue);
        wait(&mut env, sol, oracle * PRICE, HOUR).await;
        let before = env.market_state(sol).await.funding;
        env.settle_funding(sol).await.unwrap();
        let after = env.market_state(sol).await.funding;
        assert!(after.mark_twap > after.oracle_twap, "period {period}: mark above oracle");
        assert!(after.last_rate_ppb > 0);
        let d_long = after.cumulative_long - before.cumulative_long;
        let d_short = after.cumulative_short - before.cumulative_short;
        // One whole period at the previous rate.
        assert_eq!(d_long, before.per_period_payment * 1_000);
        assert!(d_long > 0 && d_short < 0);
        // Shorts (the smaller side) receive the full rate: the AMM's excess
        // receipts stay in the PnL pool.
        assert_eq!(d_long, -d_short);
    }
    // Nothing moved to the positions yet: the crank is O(1).
    assert_eq!(env.trader_state(&long.account).await.position(0).unwrap().funding_paid, 0);
    env.close(&long, sol, None).await.unwrap();
    env.close(&short, sol, None).await.unwrap();
    let funding = env.market_state(sol).await.funding;
    let expected_long = funding_payment(200 * BASE as i64, funding.cumulative_long).unwrap();
    let expected_short = funding_payment(-100 * BASE as i64, funding.cumulative_short).unwrap();
    let paid = |s: &vamm::state::TraderAccount| {
        s.positions.iter().find(|p| p.market_index == 0).unwrap().funding_paid
    };
    let long_paid = paid(&env.trader_state(&long.account).await);
    let short_paid = paid(&env.trader_state(&short.account).await);
    // Each settled once, lazily, for both periods.
    assert_eq!(long_paid, expected_long);
    assert_eq!(short_paid, expected_short);
    assert!(long_paid > 0 && short_paid < 0);
    // Conservation: sum paid = sum received + what the AMM absorbed (its
    // net long 100 SOL's share, kept in the PnL pool), within rounding.
    let absorbed = funding_payment(100 * BASE as i64, funding.cumulative_long).unwrap();
    assert!(
        (long_paid + short_paid - absorbed).abs() <= 2,
        "paid {long_paid}, received {}, AMM {absorbed}",
        -short_paid
    );
    println!("funding over 2 periods: longs paid {long_paid}, shorts received {}", -short_paid);
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
    first_crank(&mut env, sol, 95 * PRICE).await;
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
    first_crank(&mut env, sol, 95 * PRICE).await;
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
async fn an_uncranked_market_charges_at_most_one_period_per_rate() {
    let (mut env, sol) = funding_market(100).await;
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    first_crank(&mut env, sol, 100 * PRICE).await;
    let rate = env.market_state(sol).await.funding.per_period_payment;
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
    // The TWAP cranks accrue nothing; this crank accrues the rate for the
    // one period it applied, not five.
    assert_eq!(after.cumulative_long - before.cumulative_long, rate * 1_000, "one period's rate in all");
    // The clock moved to the current period: no burst of catch-up cranks.
    assert_error(env.settle_funding(sol).await, VammError::FundingNotDue);
    assert!(env.now - after.last_funding_ts < HOUR);
    env.check_invariants().await;
}

/// A position opened, cranked and closed in one transaction earns no
/// funding: it was open for no time. (Before, the crank charged or paid a
/// whole period to whoever held a position at that instant.)
#[tokio::test]
async fn an_open_crank_close_bundle_receives_no_funding() {
    let (mut env, sol) = funding_market(100).await;
    let long = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&long, sol, Direction::Long, TradeSize::Base(200 * BASE)).await.unwrap();
    first_crank(&mut env, sol, 100 * PRICE).await;
    wait(&mut env, sol, 100 * PRICE, HOUR).await;
    assert!(env.market_state(sol).await.funding.per_period_payment > 0, "longs pay shorts");
    let sniper = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    let accounts = env.trade_accounts(&sniper, sol).await;
    let open = ix::open_position(
        &accounts,
        vamm::instructions::OpenPositionParams {
            direction: Direction::Short,
            size: TradeSize::Base(300 * BASE),
            limit_price: 0,
            reduce_only: false,
        },
    );
    let crank = ix::settle_funding(&sniper.owner.pubkey(), &env.markets[sol].oracles());
    let close = ix::close_position(
        &accounts,
        vamm::instructions::ClosePositionParams { base_amount: None, limit_price: None },
    );
    let before = env.market_state(sol).await.funding;
    env.send(&[open, crank, close], &[&sniper.owner]).await.unwrap();
    let after = env.market_state(sol).await.funding;
    assert!(after.cumulative_short < before.cumulative_short, "the crank paid shorts a period");
    let state = env.trader_state(&sniper.account).await;
    let slot = state.positions.iter().find(|p| p.market_index == 0).unwrap();
    assert_eq!(slot.funding_paid, 0, "no funding for a position open for no time");
    assert!(slot.fees_paid > 0);
    assert!(state.collateral < 100_000 * USDC, "the round trip paid fees");
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
    first_crank(&mut env, sol, 95 * PRICE).await;
    // An hour at the rate the crank set, not yet applied to the indices:
    // valuation accrues it.
    wait(&mut env, sol, 95 * PRICE, HOUR).await;
    let market = env.market_state(sol).await;
    let accrued = market.funding.cumulative_long + market.funding.per_period_payment * 1_000;
    let owed = funding_payment(50 * BASE as i64, accrued).unwrap() as u64;
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

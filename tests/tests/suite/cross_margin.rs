//! One account, several markets: margin is shared, every position's market
//! must be present to value it, and oracle trouble in one market blocks new
//! risk everywhere but never a reduction.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

async fn two_markets() -> (TestEnv, usize, usize) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let btc = env.add_market("BTC-PERP", 60_000 * PRICE, Oracles::PythAndSwitchboard).await;
    (env, sol, btc)
}

#[tokio::test]
async fn positions_in_two_markets_share_one_margin() {
    let (mut env, sol, btc) = two_markets().await;
    let alice = env.trader(100_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Quote(6_000 * USDC)).await.unwrap();
    // 6,000 of SOL ties up 600 of the 1,000: 5,000 more notional does not fit.
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, btc, Direction::Short, TradeSize::Quote(5_000 * USDC)).await,
        VammError::InsufficientMargin
    );
    env.open(&alice, btc, Direction::Short, TradeSize::Quote(3_000 * USDC)).await.unwrap();
    // SOL rallies 10% at once: the paper profit (~600) is valued at the
    // stable price, which has not moved yet, so it backs nothing.
    env.set_price(sol, 110 * PRICE);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, btc, Direction::Short, TradeSize::Quote(2_000 * USDC)).await,
        VammError::InsufficientMargin
    );
    // An hour later the stable price has caught up (20% an hour at most):
    // half the profit (the market's weight) backs more BTC risk.
    for _ in 0..72 {
        env.advance_time(50).await;
        env.set_price(sol, 110 * PRICE);
        env.set_price(btc, 60_000 * PRICE);
    }
    env.open(&alice, btc, Direction::Short, TradeSize::Quote(2_000 * USDC)).await.unwrap();
    let state = env.trader_state(&alice.account).await;
    assert_eq!(state.open_positions().count(), 2);
    env.check_invariants().await;
    // Both close, in either order.
    env.close(&alice, btc, None).await.unwrap();
    env.close(&alice, sol, None).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn risk_increasing_trade_without_the_other_market_is_refused() {
    let (mut env, sol, btc) = two_markets().await;
    let alice = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();

    let mut accounts = env.trade_accounts(&alice, btc).await;
    accounts.remaining.clear();
    let params = vamm::instructions::OpenPositionParams {
        direction: Direction::Long,
        size: TradeSize::Quote(1_000 * USDC),
        limit_price: u64::MAX,
        reduce_only: false,
    };
    let ix = ix::open_position(&accounts, params);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::MissingMarketAccount
    );

    // The market without its oracle is no better.
    let mut accounts = env.trade_accounts(&alice, btc).await;
    accounts.remaining.truncate(1);
    let ix = ix::open_position(&accounts, params);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::MissingOracleAccount
    );

    // Withdrawals need the whole account valued too.
    let ix = ix::withdraw(&alice.owner.pubkey(), &alice.account, &alice.usdc, &env.mint, USDC, &[]);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::MissingMarketAccount
    );
}

#[tokio::test]
async fn stale_oracle_in_one_market_blocks_new_risk_in_another_but_not_reductions() {
    let (mut env, sol, btc) = two_markets().await;
    let alice = env.trader(100_000 * USDC, 10_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.open(&alice, btc, Direction::Long, TradeSize::Quote(1_000 * USDC)).await.unwrap();
    env.advance_time(120).await;
    env.set_price(btc, 60_000 * PRICE);
    // SOL's oracle is now stale: more BTC risk cannot be margined...
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, btc, Direction::Long, TradeSize::Quote(1_000 * USDC)).await,
        VammError::OracleStale
    );
    // ...but reducing either market is fine.
    env.close(&alice, btc, None).await.unwrap();
    env.close(&alice, sol, Some(5 * BASE)).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn an_account_holds_at_most_eight_markets() {
    let mut env = TestEnv::new().await;
    for i in 0..9 {
        env.add_market(&format!("M{i}-PERP"), 10 * PRICE, Oracles::Pyth).await;
    }
    let alice = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    for market in 0..8 {
        env.open(&alice, market, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    }
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, 8, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::NoFreePositionSlot
    );
    // Freeing a slot makes room.
    env.close(&alice, 3, None).await.unwrap();
    env.open(&alice, 8, Direction::Short, TradeSize::Base(BASE)).await.unwrap();
    env.check_invariants().await;
}

//! Happy paths: deposit, open, grow, reduce, flip, close, withdraw.

use solana_signer::Signer;
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::margin::HealthState;
use vamm_tests::*;

#[tokio::test]
async fn deposit_open_grow_reduce_close_withdraw() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    assert_eq!(env.token_balance(&alice.usdc).await, 9_000 * USDC);
    assert_eq!(env.token_balance(&env.vault.clone()).await, 1_000 * USDC);

    // Open 5 SOL long at ~100: fee 10 bps of ~500.
    env.open(&alice, sol, Direction::Long, TradeSize::Base(5 * BASE)).await.unwrap();
    let state = env.trader_state(&alice.account).await;
    let position = state.position(0).copied().unwrap();
    assert_eq!(position.base, 5 * BASE as i64);
    assert!(position.entry_notional > 500 * USDC && position.entry_notional < 500 * USDC + 300_000);
    let fee = position.fees_paid;
    assert_eq!(fee, position.entry_notional.div_ceil(1_000));
    assert_eq!(state.collateral, 1_000 * USDC - fee);
    env.check_invariants().await;

    // Grow by 500 USDC of notional.
    env.open(&alice, sol, Direction::Long, TradeSize::Quote(500 * USDC)).await.unwrap();
    let position = *env.trader_state(&alice.account).await.position(0).unwrap();
    assert!(position.base > 9 * BASE as i64 && position.base < 5 * BASE as i64 + 5 * BASE as i64);
    assert!(position.entry_notional > 1_000 * USDC);
    env.check_invariants().await;

    // Reduce half, then close the rest.
    let half = position.base as u64 / 2;
    env.close(&alice, sol, Some(half)).await.unwrap();
    let position = *env.trader_state(&alice.account).await.position(0).unwrap();
    assert_eq!(position.base as u64, (position.base as u64).max(half - 1).min(half + 1));
    env.check_invariants().await;
    env.close(&alice, sol, None).await.unwrap();
    let state = env.trader_state(&alice.account).await;
    assert!(state.position(0).is_none_or(|p| p.base == 0));
    // Round trip at an unchanged oracle: the trader lost fees and rounding.
    assert!(state.collateral < 1_000 * USDC);
    assert!(state.collateral > 1_000 * USDC - 5 * USDC);
    env.check_invariants().await;

    // Everything left can be withdrawn.
    let collateral = state.collateral;
    env.withdraw(&alice, collateral).await.unwrap();
    assert_eq!(env.trader_state(&alice.account).await.collateral, 0);
    assert_eq!(env.token_balance(&alice.usdc).await, 9_000 * USDC + collateral);
    env.check_invariants().await;
}

#[tokio::test]
async fn short_profits_when_the_price_falls_and_is_paid_from_the_pnl_pool() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let long = env.trader(10_000 * USDC, 2_000 * USDC).await;
    let short = env.trader(10_000 * USDC, 2_000 * USDC).await;

    env.open(&long, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(10 * BASE)).await.unwrap();
    // Long sold the curve back near 100 while the short pushed it down; the
    // long now closes into a lower mark and realises a loss the short will
    // be paid from.
    env.advance_time(5).await;
    env.set_price(sol, 95 * PRICE);
    env.close(&long, sol, None).await.unwrap();
    let market = env.market_state(sol).await;
    assert!(market.pools.pnl_pool > 0, "the long's loss is in the PnL pool");
    env.check_invariants().await;

    env.close(&short, sol, None).await.unwrap();
    let short_state = env.trader_state(&short.account).await;
    let slot = short_state.positions.iter().find(|p| p.market_index == 0).unwrap();
    assert!(slot.realised_pnl > 0, "short realised a profit: {}", slot.realised_pnl);
    env.check_invariants().await;
}

#[tokio::test]
async fn flip_long_to_short_in_one_order() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let trader = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&trader, sol, Direction::Long, TradeSize::Base(3 * BASE)).await.unwrap();
    env.open(&trader, sol, Direction::Short, TradeSize::Base(5 * BASE)).await.unwrap();
    let position = *env.trader_state(&trader.account).await.position(0).unwrap();
    assert_eq!(position.base, -2 * BASE as i64);
    // The new short's cost basis is only the opening part (~200 USDC).
    assert!(position.entry_notional > 199 * USDC && position.entry_notional < 201 * USDC);
    assert!(position.realised_pnl < 0, "closing the long cost the spread");
    let market = env.market_state(sol).await;
    assert_eq!(market.amm.base_long, 0);
    assert_eq!(market.amm.base_short, -2 * BASE as i64);
    env.check_invariants().await;
}

#[tokio::test]
async fn flip_by_quote_notional() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Switchboard).await;
    let trader = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&trader, sol, Direction::Short, TradeSize::Quote(300 * USDC)).await.unwrap();
    env.open(&trader, sol, Direction::Long, TradeSize::Quote(700 * USDC)).await.unwrap();
    let position = *env.trader_state(&trader.account).await.position(0).unwrap();
    assert!(position.base > 3 * BASE as i64 && position.base < 4 * BASE as i64 + BASE as i64 / 10);
    env.check_invariants().await;
}

#[tokio::test]
async fn health_is_reported_from_oracle_prices() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let trader = env.trader(10_000 * USDC, 110 * USDC).await;
    env.open(&trader, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    let state = env.trader_state(&trader.account).await;
    let market = env.market_state(sol).await;
    let position = state.position(0).unwrap();
    let risk = vamm::math::margin::PositionRisk {
        base: position.base,
        entry_notional: position.entry_notional,
        pending_profit: 0,
        unpaid_loss: 0,
        unsettled_funding: 0,
        oracle_price: 100 * PRICE,
        params: market.margin_params(),
        stable_price: 0,
    };
    let margin = vamm::math::margin::AccountMargin::new(state.collateral, &[risk]).unwrap();
    assert_eq!(margin.health().unwrap(), HealthState::Healthy);
    let at = |price: u64| {
        vamm::math::margin::AccountMargin::new(
            state.collateral,
            &[vamm::math::margin::PositionRisk { oracle_price: price, ..risk }],
        )
        .unwrap()
        .health()
        .unwrap()
    };
    assert_eq!(at(99 * PRICE), HealthState::Warning);
    assert_eq!(at(93 * PRICE), HealthState::Liquidatable);
    assert_eq!(at(88 * PRICE), HealthState::Bankrupt);
    let _ = trader.owner.pubkey();
}

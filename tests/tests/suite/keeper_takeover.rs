//! The keeper's liquidation paths: into the curve while its mark lags on
//! the far side of the oracle, then takeover at the oracle price as far as
//! its margin and configuration allow, the curve as the fallback; and the
//! unwinding of what it took over, never pushing the mark more than the
//! configured distance past the oracle.

use vamm::math::amm::{Direction, TradeSize};
use vamm_client::keeper::{KeeperConfig, TakeoverConfig};
use vamm_tests::*;

/// A market with a 9x long and the short on the other side, the mark on
/// the oracle at 100.
async fn setup() -> (TestEnv, usize, Trader, Trader) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.align_mark(&arb, sol, 100 * PRICE).await.unwrap();
    (env, sol, arb, gambler)
}

fn mark(market: &vamm::state::Market) -> u64 {
    market.amm.curve().mark_price().unwrap()
}

#[tokio::test]
async fn keeper_takes_over_then_unwinds_within_its_gap() {
    let (mut env, sol, arb, gambler) = setup().await;
    let keeper_trader = env.trader(100_000 * USDC, 100_000 * USDC).await;
    let mut keeper = keeper_trader.keeper_service(KeeperConfig::default());
    env.advance_time(5).await;
    env.set_price(sol, 94 * PRICE);
    env.align_mark(&arb, sol, 94 * PRICE).await.unwrap();
    let mark_before = mark(&env.market_state(sol).await);

    // The mark is on the oracle: nothing to close into the curve first,
    // the whole step is a takeover and the curve does not move.
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!((done.liquidations, done.takeovers, done.curve_toward_oracle), (1, 1, 0), "{done:?}");
    let taken = env.trader_state(&keeper_trader.account).await.position(0).unwrap().base;
    assert!(taken > 0);
    assert!(env.trader_state(&gambler.account).await.position(0).unwrap().base < 90 * BASE as i64);
    // The same tick's unwind sold at most to 50 bps under the oracle.
    let floor = 94 * PRICE - 94 * PRICE * 50 / 10_000;
    let market = env.market_state(sol).await;
    assert!(mark(&market) <= mark_before && mark(&market) + 1 >= floor, "mark {}", mark(&market));

    // Each pass the arbitrageur pulls the mark back and the keeper sells
    // another slice, never pushing the mark under the floor.
    let mut held = env.trader_state(&keeper_trader.account).await.position(0).unwrap().base;
    let mut passes = 0;
    while held > 0 {
        env.advance_time(30).await;
        env.set_price(sol, 94 * PRICE);
        env.align_mark(&arb, sol, 94 * PRICE).await.unwrap();
        keeper.tick(&mut env.rt).await.unwrap();
        assert!(mark(&env.market_state(sol).await) + 1 >= floor);
        let now = env.trader_state(&keeper_trader.account).await.position(0).map_or(0, |p| p.base);
        assert!(now < held, "the unwind stalled at {now}");
        held = now;
        passes += 1;
        assert!(passes < 40, "the unwind does not converge");
    }
    assert!(keeper.stats.unwinds >= 2, "{:?}", keeper.stats);
    assert_eq!(keeper.stats.errors, 0, "{:?}", keeper.stats);
    env.check_invariants().await;
}

#[tokio::test]
async fn keeper_closes_into_the_curve_while_the_mark_lags_above_the_oracle() {
    let (mut env, sol, _arb, gambler) = setup().await;
    let keeper_trader = env.trader(100_000 * USDC, 100_000 * USDC).await;
    let takeover = TakeoverConfig { unwind_fraction_bps: 0, ..TakeoverConfig::default() };
    let mut keeper = keeper_trader.keeper_service(KeeperConfig { takeover, ..KeeperConfig::default() });
    // The oracle falls and no arbitrageur follows: the mark stays above it.
    env.advance_time(5).await;
    env.set_price(sol, 94 * PRICE);
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert!(done.curve_toward_oracle >= 1, "{done:?}");
    // The program refuses a takeover there; the keeper never tried one.
    assert_eq!(done.takeovers_refused, 0, "{done:?}");
    assert_eq!(done.errors, 0, "{done:?}");
    // Selling into the lagging curve moved the mark down to the oracle,
    // never below it.
    let market = env.market_state(sol).await;
    assert!(mark(&market) + 1 >= 94 * PRICE, "mark {}", mark(&market));
    assert!(env.trader_state(&gambler.account).await.liquidation_count >= 1);
    env.check_invariants().await;
}

#[tokio::test]
async fn keeper_without_margin_or_with_takeover_off_uses_the_curve() {
    for (collateral, takeover) in [
        (0, TakeoverConfig::default()),
        (100_000 * USDC, TakeoverConfig { max_position_notional: 0, ..TakeoverConfig::default() }),
    ] {
        let (mut env, sol, arb, gambler) = setup().await;
        let keeper_trader = env.trader(collateral.max(1), collateral).await;
        let mut keeper = keeper_trader.keeper_service(KeeperConfig { takeover, ..KeeperConfig::default() });
        env.advance_time(5).await;
        env.set_price(sol, 94 * PRICE);
        env.align_mark(&arb, sol, 94 * PRICE).await.unwrap();
        let done = keeper.tick(&mut env.rt).await.unwrap();
        assert!(done.liquidations >= 1, "{done:?}");
        assert_eq!(done.takeovers, 0, "{done:?}");
        assert_eq!(done.errors, 0, "{done:?}");
        assert!(env.trader_state(&keeper_trader.account).await.position(0).is_none_or(|p| p.base == 0));
        assert!(env.trader_state(&gambler.account).await.liquidation_count >= 1);
        env.check_invariants().await;
    }
}

#[tokio::test]
async fn keeper_takes_over_within_its_cap_and_the_curve_takes_the_rest() {
    let (mut env, sol, arb, gambler) = setup().await;
    let keeper_trader = env.trader(100_000 * USDC, 100_000 * USDC).await;
    let takeover = TakeoverConfig {
        max_position_notional: 500 * USDC,
        min_takeover_notional: 100 * USDC,
        unwind_fraction_bps: 0,
        ..TakeoverConfig::default()
    };
    let mut keeper = keeper_trader.keeper_service(KeeperConfig { takeover, ..KeeperConfig::default() });
    env.advance_time(5).await;
    env.set_price(sol, 94 * PRICE);
    env.align_mark(&arb, sol, 94 * PRICE).await.unwrap();
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!(done.takeovers, 1, "{done:?}");
    assert!(done.liquidations >= 2, "{done:?}");
    let held = env.trader_state(&keeper_trader.account).await.position(0).unwrap().base;
    // 500 USDC at 94: 5.319 SOL.
    assert_eq!(held as u64, 500 * USDC * BASE / (94 * PRICE));
    assert!(env.trader_state(&gambler.account).await.position(0).unwrap().base < 90 * BASE as i64 - held);
    env.check_invariants().await;
}

/// Two accounts liquidatable at once in different markets are liquidated
/// in the same waves, one step each per wave, both by takeover: the
/// second takeover lists the first's market among its accounts (the
/// keeper holds a position there by the time it executes; without it the
/// program refuses the takeover for a missing market account).
#[tokio::test]
async fn accounts_in_different_markets_are_liquidated_in_the_same_waves() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let eth = env.add_market("ETH-PERP", 100 * PRICE, Oracles::Pyth).await;
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let sol_gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let eth_gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&sol_gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&eth_gambler, eth, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    for market in [sol, eth] {
        env.align_mark(&arb, market, 100 * PRICE).await.unwrap();
    }
    let keeper_trader = env.trader(100_000 * USDC, 100_000 * USDC).await;
    let mut keeper = keeper_trader.keeper_service(KeeperConfig::default());
    env.advance_time(5).await;
    for market in [sol, eth] {
        env.set_price(market, 94 * PRICE);
        env.align_mark(&arb, market, 94 * PRICE).await.unwrap();
    }

    let done = keeper.tick(&mut env.rt).await.unwrap();
    // Wave 1: a takeover in each market; wave 2: both healthy, refused.
    assert_eq!((done.liquidations, done.takeovers, done.liquidation_waves), (2, 2, 2), "{done:?}");
    assert_eq!((done.takeovers_refused, done.errors), (0, 0), "{done:?}");
    for (gambler, market) in [(&sol_gambler, sol), (&eth_gambler, eth)] {
        let left = env.trader_state(&gambler.account).await.position(market as u16).unwrap().base;
        assert!(left < 90 * BASE as i64, "market {market}: {left}");
        let mine = env.trader_state(&keeper_trader.account).await;
        assert!(mine.positions.iter().any(|p| p.market_index as usize == market && p.base > 0));
    }
}

/// The keeper's committed margin is shared by the takeovers of one wave:
/// 25% of 2,000 USDC commits 500 USDC of initial margin, room for one
/// step's takeover (45 of a 90-base position at 94 is 4,230 USDC of
/// notional, 423 at 10%), not two. The riskier account is taken over, the
/// other goes into the curve; each step restores its account's health.
/// Without the reservation both would be taken over (846 USDC committed,
/// which the program allows: its limit is the keeper's whole margin); the
/// earlier one-account-at-a-time keeper took the second over as well, with
/// a quarter of the free margin the first left.
#[tokio::test]
async fn takeovers_in_one_wave_share_the_keepers_committed_margin() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let eth = env.add_market("ETH-PERP", 100 * PRICE, Oracles::Pyth).await;
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let sol_gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let eth_gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&sol_gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&eth_gambler, eth, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    for market in [sol, eth] {
        env.align_mark(&arb, market, 100 * PRICE).await.unwrap();
    }
    let keeper_trader = env.trader(100_000 * USDC, 2_000 * USDC).await;
    let mut keeper = keeper_trader.keeper_service(KeeperConfig::default());
    env.advance_time(5).await;
    for market in [sol, eth] {
        env.set_price(market, 94 * PRICE);
        env.align_mark(&arb, market, 94 * PRICE).await.unwrap();
    }
    let done = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!((done.liquidations, done.takeovers, done.liquidation_waves), (2, 1, 2), "{done:?}");
    assert_eq!((done.takeovers_refused, done.errors), (0, 0), "{done:?}");
    let mine = env.trader_state(&keeper_trader.account).await;
    assert_eq!(mine.positions.iter().filter(|p| p.base != 0).count(), 1, "{:?}", mine.positions);
}

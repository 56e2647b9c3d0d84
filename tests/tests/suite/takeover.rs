//! Liquidation by takeover: the liquidator's account receives (part of)
//! the position at the oracle price and the curve does not move; the fee
//! splits as for a liquidation into the curve; the liquidator takes on
//! risk like a trader opening a position. Every refusal leaves every
//! account as it was.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::fees::fee_for;
use vamm::state::MarketStatus;
use vamm_client::ix;
use vamm_tests::*;

/// A market with a 9x long, the short on the other side, an arbitrageur
/// and a liquidator with `liquidator_collateral` in its account.
async fn setup(liquidator_collateral: u64) -> (TestEnv, usize, Trader, Trader, Trader) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 20_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let liquidator = env.trader(liquidator_collateral.max(1), liquidator_collateral).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(90 * BASE)).await.unwrap();
    (env, sol, gambler, arb, liquidator)
}

async fn crash_to(env: &mut TestEnv, sol: usize, arb: &Trader, price: u64) {
    env.advance_time(5).await;
    env.set_price(sol, price);
    env.align_mark(arb, sol, price).await.unwrap();
}

/// Every account a refused takeover must leave untouched.
fn watched(env: &TestEnv, gambler: &Trader, liquidator: &Trader) -> Vec<solana_pubkey::Pubkey> {
    let mut keys = env.watched(gambler);
    keys.push(liquidator.account);
    keys
}

#[tokio::test]
async fn takeover_moves_the_position_at_the_oracle_price_and_leaves_the_curve_alone() {
    let (mut env, sol, gambler, arb, liquidator) = setup(50_000 * USDC).await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    let gambler_before = env.trader_state(&gambler.account).await;
    let market_before = env.market_state(sol).await;

    env.take_over(&liquidator, &gambler, sol, None).await.unwrap();

    let gambler_after = env.trader_state(&gambler.account).await;
    let mine = env.trader_state(&liquidator.account).await;
    let market_after = env.market_state(sol).await;
    let (before, after) = (gambler_before.position(0).unwrap(), gambler_after.position(0).unwrap());
    let moved = (before.base - after.base) as u64;
    assert!(moved > 0 && after.base > 0, "a partial step, moved {moved}");
    // The liquidator holds exactly what left the liquidatee, bought at the
    // oracle price (rounded down, in the liquidator's favour).
    let position = mine.position(0).unwrap();
    let quote = moved as u128 * 94 * PRICE as u128 / BASE as u128;
    assert_eq!(position.base, moved as i64);
    assert_eq!(position.entry_notional as u128, quote);
    // The curve and the open interest did not move; only who holds it.
    assert_eq!(market_after.amm.base_reserve, market_before.amm.base_reserve);
    assert_eq!(market_after.amm.quote_reserve, market_before.amm.quote_reserve);
    assert_eq!(market_after.amm.last_mark_price, market_before.amm.last_mark_price);
    assert_eq!(market_after.amm.base_long, market_before.amm.base_long);
    assert_eq!(market_after.amm.base_short, market_before.amm.base_short);
    // Realised loss and the fee to the unit: the liquidator's half of the
    // fee in collateral, the insurance fund's half pending.
    let basis = (before.entry_notional as u128 * moved as u128).div_ceil(before.base as u128);
    let loss = (basis - quote) as u64;
    let fee = fee_for(quote as u64, 100).unwrap();
    let reward = fee / 2;
    assert_eq!(gambler_after.collateral, gambler_before.collateral - loss - fee);
    assert_eq!(mine.collateral, 50_000 * USDC + reward);
    assert_eq!(market_after.pools.insurance_pending - market_before.pools.insurance_pending, fee - reward);
    assert_eq!(market_after.pools.pnl_pool - market_before.pools.pnl_pool, loss);
    assert_eq!(market_after.stats.liquidation_count, 1);
    assert_eq!(market_after.stats.takeover_count, 1);
    assert_eq!(gambler_after.liquidation_count, 1);
    // One step restored the account: a second is refused.
    assert_error(env.take_over(&liquidator, &gambler, sol, None).await, VammError::NotLiquidatable);
    env.check_invariants().await;
}

#[tokio::test]
async fn a_takeover_can_be_partial_and_repeated() {
    let (mut env, sol, gambler, arb, liquidator) = setup(50_000 * USDC).await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    env.take_over(&liquidator, &gambler, sol, Some(2 * BASE)).await.unwrap();
    assert_eq!(env.trader_state(&gambler.account).await.position(0).unwrap().base, 88 * BASE as i64);
    assert_eq!(env.trader_state(&liquidator.account).await.position(0).unwrap().base, 2 * BASE as i64);
    // Still liquidatable: the next step takes what restores the buffer.
    env.take_over(&liquidator, &gambler, sol, None).await.unwrap();
    let taken = env.trader_state(&liquidator.account).await.position(0).unwrap().base;
    assert!(taken > 2 * BASE as i64);
    assert_eq!(env.trader_state(&gambler.account).await.position(0).unwrap().base + taken, 90 * BASE as i64);
    env.check_invariants().await;
}

#[tokio::test]
async fn a_bankrupt_account_pays_no_fee_however_it_is_sliced() {
    let (mut env, sol, gambler, arb, liquidator) = setup(50_000 * USDC).await;
    // 9x long: at 85 the loss (1,350) exceeds the 1,000 USDC collateral.
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    for price in [91, 88, 85] {
        env.advance_time(5).await;
        env.set_price(sol, price * PRICE);
        let _ = env.align_mark(&arb, sol, price * PRICE).await;
    }
    let fees_before = env.trader_state(&gambler.account).await.position(0).unwrap().fees_paid;
    let insurance_before = env.market_state(sol).await.pools.insurance_pending;
    // Ten-SOL slices: each realises only its share of the loss, so
    // collateral remains for a while, but the account is worth nothing.
    let mut steps = 0;
    while env.take_over(&liquidator, &gambler, sol, Some(10 * BASE)).await.is_ok() {
        steps += 1;
        assert!(steps < 20);
    }
    assert_eq!(steps, 9);
    let position = *env.trader_state(&gambler.account).await.position(0).unwrap();
    assert_eq!(position.base, 0);
    assert_eq!(position.fees_paid, fees_before, "a bankrupt account paid a liquidation fee");
    assert_eq!(env.market_state(sol).await.pools.insurance_pending, insurance_before);
    let mine = env.trader_state(&liquidator.account).await;
    assert_eq!(mine.collateral, 50_000 * USDC, "the liquidator was paid from bad debt");
    assert_eq!(mine.position(0).unwrap().base, 90 * BASE as i64);
    // The debt is exactly the loss at the oracle price beyond the
    // collateral left after opening.
    assert_eq!(position.unpaid_loss, position.realised_pnl.unsigned_abs() - (1_000 * USDC - fees_before));
    env.resolve_bankruptcy(&gambler.account, sol).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn no_takeover_while_the_curve_pays_more_or_in_a_paused_market() {
    let (mut env, sol, gambler, arb, liquidator) = setup(50_000 * USDC).await;
    // The oracle falls and no arbitrageur follows: the mark stays at 100,
    // where the curve buys the long for more than the oracle's 94.
    env.advance_time(5).await;
    env.set_price(sol, 94 * PRICE);
    let watched = watched(&env, &gambler, &liquidator);
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, None).await,
        VammError::CurvePaysMore
    );
    // Once the mark is back within 10 bps of the oracle, it may.
    let mut curve_step = vamm::instructions::LiquidateParams {
        max_base: None,
        riskiest_first: false,
        mode: vamm::instructions::LiquidationMode::IntoCurve,
    };
    let toward = env.market_state(sol).await.amm.curve().trade_toward(94 * PRICE).unwrap().1;
    curve_step.max_base = Some(toward);
    env.liquidate(&liquidator, &gambler, sol, curve_step).await.unwrap();
    let mark = env.market_state(sol).await.amm.curve().mark_price().unwrap();
    if mark > 94 * PRICE + 94 * PRICE / 1_000 {
        env.align_mark(&arb, sol, 94 * PRICE).await.unwrap();
    }
    // Paused is an emergency stop for both modes.
    env.set_status(sol, MarketStatus::Paused).await.unwrap();
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, None).await,
        VammError::MarketNotActive
    );
    curve_step.max_base = None;
    assert_refused!(
        env,
        watched.clone(),
        env.liquidate(&liquidator, &gambler, sol, curve_step).await,
        VammError::MarketNotActive
    );
    env.check_invariants().await;
}

#[tokio::test]
async fn the_liquidator_nets_an_opposite_position_and_may_flip_it() {
    let (mut env, sol, gambler, arb, liquidator) = setup(50_000 * USDC).await;
    env.open(&liquidator, sol, Direction::Short, TradeSize::Base(3 * BASE)).await.unwrap();
    env.align_mark(&arb, sol, 100 * PRICE).await.unwrap();
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    let market_before = env.market_state(sol).await;
    let entry = env.trader_state(&liquidator.account).await.position(0).unwrap().entry_notional;

    // 2 SOL nets against the 3 SOL short at 94: it realises its profit.
    env.take_over(&liquidator, &gambler, sol, Some(2 * BASE)).await.unwrap();
    let position = *env.trader_state(&liquidator.account).await.position(0).unwrap();
    assert_eq!(position.base, -(BASE as i64));
    let basis = entry as u128 * 2 / 3;
    assert_eq!(position.realised_pnl as u128, basis - 188 * USDC as u128);
    let market = env.market_state(sol).await;
    assert_eq!(market.amm.base_long, market_before.amm.base_long - 2 * BASE as i64);
    assert_eq!(market.amm.base_short, market_before.amm.base_short + 2 * BASE as i64);

    // In a reduce-only market it may net what is left, not open more.
    env.set_status(sol, MarketStatus::ReduceOnly).await.unwrap();
    assert_error(
        env.take_over(&liquidator, &gambler, sol, Some(2 * BASE)).await,
        VammError::MarketReduceOnly,
    );
    env.take_over(&liquidator, &gambler, sol, Some(BASE / 2)).await.unwrap();
    env.set_status(sol, MarketStatus::Active).await.unwrap();
    // 2.5 SOL more closes the last 0.5 SOL short and opens 2 SOL long at 94.
    env.take_over(&liquidator, &gambler, sol, Some(5 * BASE / 2)).await.unwrap();
    let position = *env.trader_state(&liquidator.account).await.position(0).unwrap();
    assert_eq!(position.base, 2 * BASE as i64);
    assert_eq!(position.entry_notional, 188 * USDC);
    let market = env.market_state(sol).await;
    assert_eq!(market.amm.base_reserve, market_before.amm.base_reserve);
    env.check_invariants().await;
}

#[tokio::test]
async fn a_liquidator_without_the_margin_is_refused() {
    let (mut env, sol, gambler, arb, liquidator) = setup(100 * USDC).await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    let watched = watched(&env, &gambler, &liquidator);
    assert_refused!(
        env,
        watched,
        env.take_over(&liquidator, &gambler, sol, None).await,
        VammError::InsufficientMargin
    );
    // What its margin carries is accepted: 100 USDC at 10% initial.
    env.take_over(&liquidator, &gambler, sol, Some(BASE / 2)).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn takeover_refusals_change_nothing() {
    let (mut env, sol, gambler, arb, liquidator) = setup(50_000 * USDC).await;
    let watched = watched(&env, &gambler, &liquidator);
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, None).await,
        VammError::NotLiquidatable
    );
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, Some(0)).await,
        VammError::ZeroAmount
    );
    // A partial step must be worth at least MIN_TRADE_NOTIONAL.
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, Some(10)).await,
        VammError::TradeTooSmall
    );
    // A liquidator cannot take over its own owner's account.
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&gambler, &gambler, sol, None).await,
        VammError::SelfLiquidation
    );
    // The signer must own the receiving account.
    let stranger = env.wallet();
    let params = vamm::instructions::LiquidateParams {
        max_base: None,
        riskiest_first: false,
        mode: vamm::instructions::LiquidationMode::Takeover,
    };
    let ix = ix::liquidate(
        &stranger.pubkey(),
        &liquidator.account,
        &gambler.account,
        &env.markets[sol].oracles(),
        params,
        &[],
    );
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&stranger]).await, VammError::NotOwner);
    // A stale oracle prices nothing.
    env.advance_time(120).await;
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, None).await,
        VammError::OracleStale
    );
    env.set_price(sol, 94 * PRICE);
    // In a reduce-only market a takeover may not add to the liquidator's
    // position (the keeper falls back to the curve there).
    env.set_status(sol, MarketStatus::ReduceOnly).await.unwrap();
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, None).await,
        VammError::MarketReduceOnly
    );
    env.set_status(sol, MarketStatus::Active).await.unwrap();
    env.take_over(&liquidator, &gambler, sol, None).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn the_liquidators_other_markets_must_be_valued_and_its_cap_holds() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.max_position_notional = 10_000 * USDC;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let eth = env.add_market("ETH-PERP", 2_000 * PRICE, Oracles::Pyth).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 20_000 * USDC).await;
    let liquidator = env.trader(100_000 * USDC, 50_000 * USDC).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&liquidator, eth, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    env.open(&liquidator, sol, Direction::Long, TradeSize::Base(95 * BASE)).await.unwrap();
    // The cap binds everyone: sellers of at most 100 SOL each bring the
    // mark down to the oracle (a takeover is refused while it lags above).
    env.advance_time(5).await;
    env.set_price(sol, 94 * PRICE);
    loop {
        let (direction, size) = env.market_state(sol).await.amm.curve().trade_toward(94 * PRICE).unwrap();
        if direction != Direction::Short || size < BASE / 100 {
            break;
        }
        let seller = env.trader(20_000 * USDC, 10_000 * USDC).await;
        env.open(&seller, sol, Direction::Short, TradeSize::Base(size.min(100 * BASE))).await.unwrap();
    }
    let watched = watched(&env, &gambler, &liquidator);

    // Without the liquidator's ETH market its margin cannot be judged.
    let params = vamm::instructions::LiquidateParams {
        max_base: None,
        riskiest_first: false,
        mode: vamm::instructions::LiquidationMode::Takeover,
    };
    let ix = ix::liquidate(
        &liquidator.owner.pubkey(),
        &liquidator.account,
        &gambler.account,
        &env.markets[sol].oracles(),
        params,
        &[],
    );
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix], &[&liquidator.owner]).await,
        VammError::MissingMarketAccount
    );
    // 95 SOL at 94 is 8,930 USDC: 12 SOL more would pass the 10,000 cap.
    assert_refused!(
        env,
        watched.clone(),
        env.take_over(&liquidator, &gambler, sol, Some(12 * BASE)).await,
        VammError::PositionCapExceeded
    );
    env.take_over(&liquidator, &gambler, sol, Some(11 * BASE)).await.unwrap();
    env.check_invariants().await;
}

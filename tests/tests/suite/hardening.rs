//! Regression tests for defects found in review: each failed before its fix.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

#[tokio::test]
async fn a_reduction_cannot_skip_its_margin_check_by_swapping_the_oracle() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(50 * BASE)).await.unwrap();
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.primary_oracle = solana_pubkey::Pubkey::new_unique();
    let params = vamm::instructions::ClosePositionParams { base_amount: None, limit_price: None };
    let ix = ix::close_position(&accounts, params);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::OracleWrongAccount
    );
}

#[tokio::test]
async fn a_reduction_cannot_skip_its_margin_check_by_leaving_out_a_market() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let eth = env.add_market("ETH-PERP", 3_000 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(20 * BASE)).await.unwrap();
    env.open(&alice, eth, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.remaining.clear();
    let params = vamm::instructions::ClosePositionParams { base_amount: Some(BASE), limit_price: None };
    let ix = ix::close_position(&accounts, params);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::MissingMarketAccount
    );
}

#[tokio::test]
async fn without_a_valid_oracle_a_reduction_may_not_leave_bad_debt() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 88 * PRICE);
    env.align_mark(&arb, sol, 88 * PRICE).await.unwrap();
    // The oracle goes stale: closing now would realise more loss than the
    // collateral holds.
    env.advance_time(61).await;
    assert_refused!(
        env,
        env.watched(&gambler),
        env.close(&gambler, sol, None).await,
        VammError::InsufficientMargin
    );
    // Once the oracle is back the account is liquidated instead.
    env.set_price(sol, 88 * PRICE);
    let keeper = env.keeper().await;
    env.liquidate_fully(&keeper, &gambler, sol).await;
    env.check_invariants().await;
}

#[tokio::test]
async fn without_a_valid_oracle_a_reduction_fills_near_the_last_price() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let whale = env.trader(10_000_000 * USDC, 1_000_000 * USDC).await;
    // 400 SOL lifts the mark to ~108.5; then the oracle rallies to 118 and a
    // crank records it as the last valid price before the feed goes stale.
    env.open(&whale, sol, Direction::Long, TradeSize::Base(400 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 118 * PRICE);
    let cranker = env.wallet();
    env.send(&[ix::update_twaps(&cranker.pubkey(), &env.markets[sol].oracles())], &[&cranker]).await.unwrap();
    env.advance_time(61).await;
    // Dumping all 400 SOL would fill around 104, far below 118.
    assert_refused!(
        env,
        env.watched(&whale),
        env.close(&whale, sol, None).await,
        VammError::MarkOracleDivergence
    );
    env.close(&whale, sol, Some(20 * BASE)).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn a_fill_too_large_for_a_signed_position_is_refused() {
    // A low-priced token on a very deep curve: a quote-sized order can buy
    // more base units than an i64 position holds.
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "MEME-PERP", 20, Oracles::Pyth);
    params.sqrt_k = vamm::constants::bounds::MAX_SQRT_K;
    params.min_price = 1;
    params.max_price = 2_000;
    let meme = env.add_market_with(params, 20).await.unwrap();
    let whale = env.trader(1_000_000 * USDC, 500_000 * USDC).await;
    assert_refused!(
        env,
        env.watched(&whale),
        env.open(&whale, meme, Direction::Long, TradeSize::Quote(200_000 * USDC)).await,
        VammError::AmountTooLarge
    );
    env.open(&whale, meme, Direction::Long, TradeSize::Quote(100_000 * USDC)).await.unwrap();
    env.check_invariants().await;
}

/// A claim in another market used to block `resolve_bankruptcy` forever
/// when that market's pool could not pay it. Now the claim is paid into
/// collateral as far as its pool can, and the resolution goes on.
#[tokio::test]
async fn bankruptcy_nets_claims_elsewhere_and_never_waits_forever() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let eth = env.add_market("ETH-PERP", 100 * PRICE, Oracles::Pyth).await;
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let keeper = env.keeper().await;
    // A profitable ETH trade leaves a claim the empty ETH pool cannot pay.
    env.open(&gambler, eth, Direction::Long, TradeSize::Base(20 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 100 * PRICE);
    env.set_price(eth, 110 * PRICE);
    env.align_mark(&arb, eth, 110 * PRICE).await.unwrap();
    env.close(&gambler, eth, None).await.unwrap();
    let claim =
        env.trader_state(&gambler.account).await.positions.iter().map(|p| p.pending_profit).sum::<u64>();
    assert!(claim > 0, "the ETH profit is still a claim");
    // Then SOL goes bankrupt.
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(eth, 110 * PRICE);
    env.set_price(sol, 85 * PRICE);
    env.align_mark(&arb, sol, 85 * PRICE).await.unwrap();
    env.liquidate_fully(&keeper, &gambler, sol).await;
    let state = env.trader_state(&gambler.account).await;
    assert!(state.positions.iter().any(|p| p.unpaid_loss > 0));

    // Leaving out the market that owes the account a claim is refused.
    let cranker = env.wallet();
    let skip_claims = ix::resolve_bankruptcy(
        &cranker.pubkey(),
        &env.markets[sol].address,
        &gambler.account,
        &env.mint,
        &[],
    );
    let mut watched = env.watched(&gambler);
    watched.push(ix::insurance_vault_pda(&env.exchange));
    assert_refused!(env, watched, env.send(&[skip_claims], &[&cranker]).await, VammError::ClaimsOutstanding);

    // With it, the claim is paid into collateral as far as the ETH pool
    // can, and the rest of the loss is resolved.
    let eth_pool = env.market_state(eth).await.pools.pnl_pool;
    let fund_before = env.exchange_state().await.insurance.balance;
    let mut keeper = keeper.keeper_service(vamm_client::keeper::KeeperConfig::default());
    let first = keeper.tick(&mut env.rt).await.unwrap();
    assert_eq!((first.bankruptcies_resolved, first.waiting, first.errors), (1, 0, 0), "{first:?}");
    let state = env.trader_state(&gambler.account).await;
    assert!(state.positions.iter().all(|p| p.unpaid_loss == 0));
    let eth_claim = state.positions.iter().find(|p| p.market_index == 1).map_or(0, |p| p.pending_profit);
    assert_eq!(eth_claim, claim - claim.min(eth_pool), "the ETH pool paid what it held");
    assert!(env.exchange_state().await.insurance.balance < fund_before, "the fund paid the rest");
    env.check_invariants().await;
}

#[tokio::test]
async fn an_unstake_request_expires() {
    let mut env = TestEnv::new().await;
    let staker = env.staker(1_000 * USDC, 1_000 * USDC).await;
    let owner = staker.owner.pubkey();
    env.send(&[ix::request_unstake(&owner, 1_000)], &[&staker.owner]).await.unwrap();
    let window = vamm::constants::insurance::UNSTAKE_WINDOW_SECS as i64;
    env.advance_time(7 * 86_400 + window + 1).await;
    let unstake = ix::unstake(&owner, &staker.usdc, &env.mint, &env.all_markets());
    let watched = vec![staker.account, staker.usdc, env.exchange];
    assert_refused!(
        env,
        watched,
        env.send(std::slice::from_ref(&unstake), &[&staker.owner]).await,
        VammError::UnstakeRequestExpired
    );
    // A fresh request works after its own cooldown.
    env.send(&[ix::request_unstake(&owner, 1_000)], &[&staker.owner]).await.unwrap();
    env.advance_time(7 * 86_400).await;
    env.send(&[unstake], &[&staker.owner]).await.unwrap();
    env.check_invariants().await;
}

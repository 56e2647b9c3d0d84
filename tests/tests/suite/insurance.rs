//! Insurance fund: staking, fee revenue, bad-debt haircut, the cooldown,
//! and the first-depositor inflation attack.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

const WEEK: i64 = 7 * 24 * 3_600;

async fn unstake_all(env: &mut TestEnv, staker: &Trader) -> TxResult {
    let shares = env.stake_state(staker).await.shares;
    env.send(&[ix::request_unstake(&staker.owner.pubkey(), shares)], &[&staker.owner]).await?;
    env.advance_time(WEEK).await;
    env.send(&[ix::unstake(&staker.owner.pubkey(), &staker.usdc, &env.mint)], &[&staker.owner]).await
}

#[tokio::test]
async fn stakers_earn_the_fee_share() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let staker = env.staker(10_000 * USDC, 10_000 * USDC).await;
    assert_eq!(env.stake_state(&staker).await.shares, 10_000 * USDC * 1_000);
    let trader = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    for _ in 0..5 {
        env.open(&trader, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
        env.close(&trader, sol, None).await.unwrap();
    }
    let pending = env.market_state(sol).await.pools.insurance_pending;
    assert!(pending > 0);
    env.sweep_insurance_fees(sol).await.unwrap();
    assert_eq!(env.market_state(sol).await.pools.insurance_pending, 0);
    let fund = env.exchange_state().await.insurance;
    assert_eq!(fund.balance, 10_000 * USDC + pending);
    assert_eq!(fund.revenue, pending);
    assert_error(env.sweep_insurance_fees(sol).await, VammError::ZeroAmount);
    env.check_invariants().await;
    unstake_all(&mut env, &staker).await.unwrap();
    let paid = env.token_balance(&staker.usdc).await;
    // All the fee revenue, less what the virtual offset keeps (<0.01%).
    assert!(paid > 10_000 * USDC + pending * 9_999 / 10_000, "paid {paid}");
    assert!(paid <= 10_000 * USDC + pending);
    env.check_invariants().await;
}

#[tokio::test]
async fn cooldown_is_enforced() {
    let mut env = TestEnv::new().await;
    let staker = env.staker(1_000 * USDC, 1_000 * USDC).await;
    let owner = staker.owner.pubkey();
    let unstake = ix::unstake(&owner, &staker.usdc, &env.mint);
    let watched = vec![staker.account, staker.usdc, env.exchange];
    assert_refused!(
        env,
        watched.clone(),
        env.send(std::slice::from_ref(&unstake), &[&staker.owner]).await,
        VammError::NoUnstakeRequest
    );
    let too_many = ix::request_unstake(&owner, 1_000 * USDC * 1_000 + 1);
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[too_many], &[&staker.owner]).await,
        VammError::InsufficientShares
    );
    env.send(&[ix::request_unstake(&owner, 400 * USDC * 1_000)], &[&staker.owner]).await.unwrap();
    env.advance_time(WEEK - 1).await;
    assert_refused!(
        env,
        watched.clone(),
        env.send(std::slice::from_ref(&unstake), &[&staker.owner]).await,
        VammError::CooldownNotElapsed
    );
    env.advance_time(1).await;
    env.send(&[unstake], &[&staker.owner]).await.unwrap();
    assert_eq!(env.token_balance(&staker.usdc).await, 400 * USDC);
    assert_eq!(env.stake_state(&staker).await.shares, 600 * USDC * 1_000);
    env.check_invariants().await;
}

#[tokio::test]
async fn governance_bounds_the_cooldown() {
    let mut env = TestEnv::new().await;
    let admin = env.admin.insecure_clone();
    let watched = vec![env.exchange];
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix::set_unstake_cooldown(&admin.pubkey(), 3_600)], &[&admin]).await,
        VammError::InvalidMarketParameter
    );
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix::set_unstake_cooldown(&admin.pubkey(), 31 * 86_400)], &[&admin]).await,
        VammError::InvalidMarketParameter
    );
    let intruder = env.wallet();
    assert_refused!(
        env,
        watched,
        env.send(&[ix::set_unstake_cooldown(&intruder.pubkey(), 86_400)], &[&intruder]).await,
        VammError::NotAdmin
    );
    env.send(&[ix::set_unstake_cooldown(&admin.pubkey(), 86_400)], &[&admin]).await.unwrap();
    assert_eq!(env.exchange_state().await.insurance.unstake_cooldown_secs, 86_400);
}

#[tokio::test]
async fn first_depositor_inflation_attempt_fails() {
    let mut env = TestEnv::new().await;
    let attacker = env.staker(100_000 * USDC, 0).await;
    env.stake(&attacker, 1).await.unwrap();
    // The attacker "donates" 10,000 USDC straight to the insurance vault to
    // inflate the share price before the victim stakes.
    let vault = ix::insurance_vault_pda(&env.exchange);
    let donate = spl_token_interface::instruction::transfer(
        &spl_token_interface::ID,
        &attacker.usdc,
        &vault,
        &attacker.owner.pubkey(),
        &[],
        10_000 * USDC,
    )
    .unwrap();
    env.send(&[donate], &[&attacker.owner]).await.unwrap();
    env.insurance_donated += 10_000 * USDC;
    let victim = env.staker(1_000 * USDC, 1_000 * USDC).await;
    // Shares are priced on the fund's ledger, not the vault's balance: the
    // victim's shares are worth what the victim paid.
    let fund = env.exchange_state().await.insurance;
    let shares = env.stake_state(&victim).await.shares;
    let worth = vamm::math::shares::assets_for_shares(shares, fund.balance, fund.total_shares).unwrap();
    assert!(worth >= 1_000 * USDC - 1, "victim's stake is worth {worth}");
    env.check_invariants().await;
    unstake_all(&mut env, &victim).await.unwrap();
    assert!(env.token_balance(&victim.usdc).await >= 1_000 * USDC - 1);
    // The attacker's one unit is worth at most one unit.
    unstake_all(&mut env, &attacker).await.unwrap();
    assert!(env.token_balance(&attacker.usdc).await <= 90_000 * USDC);
}

#[tokio::test]
async fn stakers_bear_bad_debt_pro_rata() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let big = env.staker(10_000 * USDC, 3_000 * USDC).await;
    let small = env.staker(10_000 * USDC, 1_000 * USDC).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 20_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let keeper = env.keeper().await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(90 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 85 * PRICE);
    env.align_mark(&arb, sol, 85 * PRICE).await.unwrap();
    env.liquidate_fully(&keeper, &gambler, sol).await;
    env.resolve_bankruptcy(&gambler.account, sol).await.unwrap();
    let fund = env.exchange_state().await.insurance;
    let loss = fund.bad_debt_paid;
    assert!(loss > 0 && fund.balance == 4_000 * USDC - loss);
    unstake_all(&mut env, &big).await.unwrap();
    unstake_all(&mut env, &small).await.unwrap();
    let big_lost = 10_000 * USDC - env.token_balance(&big.usdc).await;
    let small_lost = 10_000 * USDC - env.token_balance(&small.usdc).await;
    // 3:1 stakes bear 3:1 of the loss (within rounding).
    assert!(big_lost.abs_diff(3 * small_lost) <= 4, "big lost {big_lost}, small lost {small_lost}");
    assert!(big_lost + small_lost >= loss);
    println!("bad debt {loss}: stakers lost {big_lost} and {small_lost}");
    env.check_invariants().await;
}

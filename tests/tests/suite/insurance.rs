//! Insurance fund: staking, fee revenue, bad-debt haircut, the cooldown,
//! and the first-depositor inflation attack.

use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::GovernanceAction;
use vamm_tests::*;

const WEEK: i64 = 7 * 24 * 3_600;

async fn unstake_all(env: &mut TestEnv, staker: &Trader) -> TxResult {
    let shares = env.stake_state(staker).await.shares;
    env.send(&[ix::request_unstake(&staker.owner.pubkey(), shares)], &[&staker.owner]).await?;
    env.advance_time(WEEK).await;
    env.send(
        &[ix::unstake(&staker.owner.pubkey(), &staker.usdc, &env.mint, &env.all_markets())],
        &[&staker.owner],
    )
    .await
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
    let unstake = ix::unstake(&owner, &staker.usdc, &env.mint, &env.all_markets());
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
    let set = |cooldown_secs| GovernanceAction::SetUnstakeCooldown { cooldown_secs };
    for out_of_bounds in [86_400 - 1, 31 * 86_400] {
        let ix = ix::queue_proposal(&admin.pubkey(), 0, set(out_of_bounds));
        assert_refused!(
            env,
            vec![env.exchange, ix::proposal_pda(0)],
            env.send(&[ix], &[&admin]).await,
            VammError::InvalidMarketParameter
        );
    }
    let intruder = env.wallet();
    let ix = ix::queue_proposal(&intruder.pubkey(), 0, set(86_400));
    assert_refused!(
        env,
        vec![env.exchange, ix::proposal_pda(0)],
        env.send(&[ix], &[&intruder]).await,
        VammError::NotAdmin
    );
    env.enact(vec![set(86_400)]).await.unwrap();
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

/// A long of 90 SOL on 1,000 USDC liquidated after a fall to 80 leaves a
/// bad debt of roughly 850 USDC, unresolved. Returns the account.
async fn gambler_with_bad_debt(env: &mut TestEnv) -> Pubkey {
    let sol = 0;
    env.set_price(sol, 100 * PRICE);
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let keeper = env.keeper().await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.align_mark(&arb, sol, 100 * PRICE).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 80 * PRICE);
    env.align_mark(&arb, sol, 80 * PRICE).await.unwrap();
    env.liquidate_fully(&keeper, &gambler, sol).await;
    let state = env.trader_state(&gambler.account).await;
    assert!(state.positions[0].unpaid_loss > 500 * USDC);
    gambler.account
}

/// A fund emptied by bad debt used to overflow its share math on the next
/// stake. Now the wiped-out shares are void and new stakes mint at the
/// first price again.
#[tokio::test]
async fn an_emptied_fund_accepts_new_stakes_at_a_fair_price() {
    let mut env = TestEnv::new().await;
    let _sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let old = env.staker(1_000 * USDC, 100 * USDC).await;
    let gambler = gambler_with_bad_debt(&mut env).await;
    env.resolve_bankruptcy(&gambler, 0).await.unwrap();
    let fund = env.exchange_state().await.insurance;
    assert_eq!(fund.balance, 0, "the fund paid all it had");
    assert!(fund.total_shares > 0);

    let small = env.staker(10 * USDC, USDC).await;
    assert_eq!(env.stake_state(&small).await.shares, USDC * 1_000);
    let large = env.staker(10_000 * USDC, 1_000 * USDC).await;
    assert_eq!(
        env.stake_state(&large).await.shares,
        1_000 * USDC * 1_000,
        "the same price as the 1 USDC stake"
    );
    let fund = env.exchange_state().await.insurance;
    assert_eq!((fund.share_epoch, fund.total_shares, fund.balance), (1, 1_001 * USDC * 1_000, 1_001 * USDC));
    // The wiped-out staker's shares are void.
    let shares = env.stake_state(&old).await.shares;
    assert_refused!(
        env,
        vec![old.account, env.exchange],
        env.send(&[ix::request_unstake(&old.owner.pubkey(), shares)], &[&old.owner]).await,
        VammError::InsufficientShares
    );
    unstake_all(&mut env, &small).await.unwrap();
    assert_eq!(env.token_balance(&small.usdc).await, 10 * USDC);
    env.check_invariants().await;
}

/// A request's window is fixed when it is made: a later cooldown change by
/// governance neither expires nor extends it.
#[tokio::test]
async fn an_unstake_window_is_fixed_at_request_time() {
    let mut env = TestEnv::new().await;
    let staker = env.staker(1_000 * USDC, 1_000 * USDC).await;
    let owner = staker.owner.pubkey();
    let shorter = env.queue(GovernanceAction::SetUnstakeCooldown { cooldown_secs: 86_400 }).await.unwrap();
    let longer =
        env.queue(GovernanceAction::SetUnstakeCooldown { cooldown_secs: 30 * 86_400 }).await.unwrap();
    env.advance_time(86_400).await;
    env.send(&[ix::request_unstake(&owner, 1_000)], &[&staker.owner]).await.unwrap();
    // A shorter cooldown does not shorten a pending request.
    env.execute(shorter).await.unwrap();
    env.advance_time(2 * 86_400).await;
    let unstake = ix::unstake(&owner, &staker.usdc, &env.mint, &env.all_markets());
    assert_refused!(
        env,
        vec![staker.account, staker.usdc, env.exchange],
        env.send(std::slice::from_ref(&unstake), &[&staker.owner]).await,
        VammError::CooldownNotElapsed
    );
    // A longer one does not push it back.
    env.execute(longer).await.unwrap();
    env.advance_time(WEEK - 2 * 86_400).await;
    env.send(&[unstake], &[&staker.owner]).await.unwrap();
    env.check_invariants().await;
}

/// A staker cannot escape a loss already recorded on chain by unstaking
/// before it is resolved: shares are priced net of unresolved bad debt, so
/// two equal stakers end with the same amount whoever leaves first.
#[tokio::test]
async fn a_staker_cannot_escape_a_recorded_loss() {
    let mut env = TestEnv::new().await;
    let _sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let first = env.staker(2_000 * USDC, 2_000 * USDC).await;
    let second = env.staker(2_000 * USDC, 2_000 * USDC).await;
    for staker in [&first, &second] {
        let shares = env.stake_state(staker).await.shares;
        env.send(&[ix::request_unstake(&staker.owner.pubkey(), shares)], &[&staker.owner]).await.unwrap();
    }
    env.advance_time(WEEK - 60).await;
    let gambler = gambler_with_bad_debt(&mut env).await;
    env.advance_time(60).await;
    let markets = env.all_markets();
    env.send(&[ix::unstake(&first.owner.pubkey(), &first.usdc, &env.mint, &markets)], &[&first.owner])
        .await
        .unwrap();
    env.resolve_bankruptcy(&gambler, 0).await.unwrap();
    env.send(&[ix::unstake(&second.owner.pubkey(), &second.usdc, &env.mint, &markets)], &[&second.owner])
        .await
        .unwrap();
    let (a, b) = (env.token_balance(&first.usdc).await, env.token_balance(&second.usdc).await);
    assert!(a < 2_000 * USDC, "the first to leave bore its share of the loss: {a}");
    assert!(a.abs_diff(b) <= 2, "leaving first gains nothing: {a} vs {b}");
    // Leaving out a market is refused.
    let staker = env.staker(1_000 * USDC, 0).await;
    let stake = ix::stake_insurance(&staker.owner.pubkey(), &staker.usdc, &env.mint, USDC, &[]);
    assert_refused!(
        env,
        vec![staker.account, staker.usdc, env.exchange],
        env.send(&[stake], &[&staker.owner]).await,
        VammError::MissingMarkets
    );
    env.check_invariants().await;
}

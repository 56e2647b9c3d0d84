//! Liquidation steps, their fee split and refusals, and bankruptcy with a
//! funded and with an empty insurance fund.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::instructions::LiquidateParams;
use vamm::math::amm::{Direction, TradeSize};
use vamm::math::funding::funding_payment;
use vamm::math::margin::{AccountMargin, HealthState, PositionRisk};
use vamm_tests::*;

const STEP: LiquidateParams = LiquidateParams {
    max_base: None,
    riskiest_first: false,
    mode: vamm::instructions::LiquidationMode::IntoCurve,
};

async fn health(env: &mut TestEnv, trader: &Trader, prices: &[(usize, u64)]) -> HealthState {
    let state = env.trader_state(&trader.account).await;
    let mut risks = Vec::new();
    for p in state.open_positions() {
        let (market, price) =
            prices.iter().find(|(m, _)| env.markets[*m].index == p.market_index).copied().unwrap();
        let m = env.market_state(market).await;
        let index = if p.base >= 0 { m.funding.cumulative_long } else { m.funding.cumulative_short };
        risks.push(PositionRisk {
            base: p.base,
            entry_notional: p.entry_notional,
            pending_profit: p.pending_profit,
            unpaid_loss: p.unpaid_loss,
            unsettled_funding: funding_payment(p.base, index - p.funding_index).unwrap(),
            oracle_price: price,
            params: m.margin_params(),
            stable_price: 0,
        });
    }
    AccountMargin::new(state.collateral, &risks).unwrap().health().unwrap()
}

/// A market with a leveraged long, the short on the other side, an
/// arbitrageur and a keeper.
async fn setup() -> (TestEnv, usize, Trader, Trader, Trader, Trader) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let short = env.trader(100_000 * USDC, 20_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let keeper = env.keeper().await;
    // 9x: 90 SOL on 1,000 USDC.
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(90 * BASE)).await.unwrap();
    (env, sol, gambler, short, arb, keeper)
}

/// Moves the oracle and lets the arbitrageur pull the mark after it.
async fn crash_to(env: &mut TestEnv, sol: usize, arb: &Trader, price: u64) {
    env.advance_time(5).await;
    env.set_price(sol, price);
    env.align_mark(arb, sol, price).await.unwrap();
}

#[tokio::test]
async fn healthy_account_cannot_be_liquidated() {
    let (mut env, sol, gambler, _, _, keeper) = setup().await;
    assert!(health(&mut env, &gambler, &[(sol, 100 * PRICE)]).await < HealthState::Liquidatable);
    let mut watched = env.watched(&gambler);
    watched.push(keeper.account);
    assert_refused!(
        env,
        watched,
        env.liquidate(&keeper, &gambler, sol, STEP).await,
        VammError::NotLiquidatable
    );
}

#[tokio::test]
async fn price_drop_makes_an_account_liquidatable_and_partial_steps_restore_it() {
    let (mut env, sol, gambler, _, arb, keeper) = setup().await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    assert_eq!(health(&mut env, &gambler, &[(sol, 94 * PRICE)]).await, HealthState::Liquidatable);
    let before = env.trader_state(&gambler.account).await;
    let market_before = env.market_state(sol).await;
    env.liquidate(&keeper, &gambler, sol, STEP).await.unwrap();
    let after = env.trader_state(&gambler.account).await;
    let market_after = env.market_state(sol).await;
    let closed = before.position(0).unwrap().base - after.position(0).unwrap().base;
    assert!(closed > 0 && after.position(0).unwrap().base > 0, "a partial step, closed {closed}");
    // One step restored health above maintenance.
    assert!(health(&mut env, &gambler, &[(sol, 94 * PRICE)]).await <= HealthState::Warning);
    // Fee split: half to the keeper's account, half to the insurance fund.
    let reward = env.trader_state(&keeper.account).await.collateral;
    let insurance = market_after.pools.insurance_pending - market_before.pools.insurance_pending;
    assert!(reward > 0);
    assert!(insurance == reward || insurance == reward + 1, "reward {reward}, insurance {insurance}");
    assert_eq!(after.liquidation_count, 1);
    assert_eq!(market_after.stats.liquidation_count, 1);
    // A second step is refused: the account is no longer liquidatable.
    assert_error(env.liquidate(&keeper, &gambler, sol, STEP).await, VammError::NotLiquidatable);
    env.check_invariants().await;
}

#[tokio::test]
async fn a_liquidator_may_cap_the_step() {
    let (mut env, sol, gambler, _, arb, keeper) = setup().await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    let params = LiquidateParams {
        max_base: Some(BASE),
        riskiest_first: false,
        mode: vamm::instructions::LiquidationMode::IntoCurve,
    };
    env.liquidate(&keeper, &gambler, sol, params).await.unwrap();
    let base = env.trader_state(&gambler.account).await.position(0).unwrap().base;
    assert_eq!(base, 89 * BASE as i64);
    env.check_invariants().await;
}

#[tokio::test]
async fn self_liquidation_is_refused() {
    let (mut env, sol, gambler, _, arb, _) = setup().await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    // The gambler's own second sub-account may not take the reward.
    let owner = gambler.owner.pubkey();
    env.send(&[ix::create_trader_account(&owner, 1, None)], &[&gambler.owner]).await.unwrap();
    let own = Trader {
        owner: gambler.owner.insecure_clone(),
        account: ix::trader_pda(&owner, 1),
        usdc: gambler.usdc,
    };
    env.trader_accounts.push(own.account);
    assert_refused!(
        env,
        env.watched(&gambler),
        env.liquidate(&own, &gambler, sol, STEP).await,
        VammError::SelfLiquidation
    );
    assert_refused!(
        env,
        env.watched(&gambler),
        env.liquidate(&gambler, &gambler, sol, STEP).await,
        VammError::SelfLiquidation
    );
}

#[tokio::test]
async fn liquidation_with_an_invalid_oracle_is_refused() {
    let (mut env, sol, gambler, _, arb, keeper) = setup().await;
    crash_to(&mut env, sol, &arb, 94 * PRICE).await;
    env.advance_time(61).await;
    assert_refused!(
        env,
        env.watched(&gambler),
        env.liquidate(&keeper, &gambler, sol, STEP).await,
        VammError::OracleStale
    );
}

#[tokio::test]
async fn riskiest_first_picks_the_largest_requirement() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let eth = env.add_market("ETH-PERP", 3_000 * PRICE, Oracles::Switchboard).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let keeper = env.keeper().await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Quote(7_000 * USDC)).await.unwrap();
    env.open(&gambler, eth, Direction::Long, TradeSize::Quote(2_000 * USDC)).await.unwrap();
    crash_to(&mut env, sol, &arb, 91 * PRICE).await;
    env.set_price(eth, 3_000 * PRICE);
    let riskiest = LiquidateParams {
        max_base: None,
        riskiest_first: true,
        mode: vamm::instructions::LiquidationMode::IntoCurve,
    };
    assert_refused!(
        env,
        env.watched(&gambler),
        env.liquidate(&keeper, &gambler, eth, riskiest).await,
        VammError::NotRiskiestMarket
    );
    env.liquidate(&keeper, &gambler, sol, riskiest).await.unwrap();
    env.check_invariants().await;
}

/// Crashes the long past bankruptcy, liquidates it fully and returns the
/// unpaid loss left behind.
async fn bankrupt(env: &mut TestEnv, sol: usize, gambler: &Trader, arb: &Trader, keeper: &Trader) -> u64 {
    crash_to(env, sol, arb, 85 * PRICE).await;
    assert_eq!(health(env, gambler, &[(sol, 85 * PRICE)]).await, HealthState::Bankrupt);
    let steps = env.liquidate_fully(keeper, gambler, sol).await;
    assert!(steps >= 1);
    let state = env.trader_state(&gambler.account).await;
    assert!(!state.has_base());
    assert_eq!(state.collateral, 0);
    let deficit = state.positions.iter().map(|p| p.unpaid_loss).sum::<u64>();
    assert!(deficit > 0, "losses beyond collateral are recorded, never silent");
    env.check_invariants().await;
    deficit
}

#[tokio::test]
async fn bankruptcy_is_paid_by_a_funded_insurance_fund() {
    let (mut env, sol, gambler, short, arb, keeper) = setup().await;
    let _staker = env.staker(10_000 * USDC, 5_000 * USDC).await;
    assert_error(env.resolve_bankruptcy(&gambler.account, sol).await, VammError::BankruptcyNeedsLiquidation);
    let deficit = bankrupt(&mut env, sol, &gambler, &arb, &keeper).await;
    let pnl_pool_before = env.market_state(sol).await.pools.pnl_pool;
    env.resolve_bankruptcy(&gambler.account, sol).await.unwrap();
    let fund = env.exchange_state().await.insurance;
    assert_eq!(fund.balance, 5_000 * USDC - deficit);
    assert_eq!(fund.bad_debt_paid, deficit);
    let market = env.market_state(sol).await;
    assert_eq!(market.pools.pnl_pool, pnl_pool_before + deficit);
    assert_eq!(market.stats.bad_debt_insured, deficit);
    assert_eq!(market.stats.bad_debt_socialised, 0);
    assert!(env.trader_state(&gambler.account).await.positions.iter().all(|p| p.unpaid_loss == 0));
    assert_error(env.resolve_bankruptcy(&gambler.account, sol).await, VammError::NoBadDebt);
    // The winning short is paid in full.
    env.close(&short, sol, None).await.unwrap();
    println!("bankruptcy: deficit {deficit} paid by the insurance fund");
    env.check_invariants().await;
}

#[tokio::test]
async fn bankruptcy_beyond_the_fund_is_socialised_over_the_other_side() {
    let (mut env, sol, gambler, short, arb, keeper) = setup().await;
    let deficit = bankrupt(&mut env, sol, &gambler, &arb, &keeper).await;
    let before = env.market_state(sol).await;
    env.resolve_bankruptcy(&gambler.account, sol).await.unwrap();
    let after = env.market_state(sol).await;
    assert_eq!(after.stats.bad_debt_socialised, deficit);
    assert_eq!(after.stats.bad_debt_insured, 0);
    // Shorts (the short trader and the arbitrageur) bear it via their index.
    let delta = after.funding.cumulative_short - before.funding.cumulative_short;
    assert!(delta > 0);
    assert_eq!(after.funding.cumulative_long, before.funding.cumulative_long);
    let short_state = env.trader_state(&short.account).await;
    let arb_state = env.trader_state(&arb.account).await;
    let share = |s: &vamm::state::TraderAccount| funding_payment(s.position(0).unwrap().base, delta).unwrap();
    let (short_share, arb_share) = (share(&short_state), share(&arb_state));
    assert!(short_share > 0 && arb_share > 0);
    assert!((short_share + arb_share) as u64 >= deficit, "the side covers the whole loss");
    assert!((short_share + arb_share) as u64 <= deficit + 2);
    // Visible on the position once settled.
    env.close(&short, sol, None).await.unwrap();
    let slot =
        *env.trader_state(&short.account).await.positions.iter().find(|p| p.market_index == 0).unwrap();
    assert!(slot.funding_paid >= short_share);
    println!("socialised {deficit}: short trader {short_share}, arbitrageur {arb_share}");
    env.check_invariants().await;
}

//! A scripted crash: the oracle falls 40% in four steps with many leveraged
//! traders; an arbitrageur drags the mark after it, a keeper liquidates
//! everything liquidatable and resolves every bankruptcy. The vault must be
//! exactly conserved and every loss accounted for.

use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

#[derive(Default, Debug)]
struct LossLedger {
    deficits: u64,
    from_collateral: u64,
    from_claims: u64,
    insured: u64,
    socialised: u64,
    unrecovered: u64,
    bankruptcies: u32,
}

#[tokio::test]
async fn forty_percent_crash_conserves_the_vault_and_accounts_for_every_loss() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::PythAndSwitchboard).await;
    // A fund too small for the whole crash: the rest is socialised.
    let _staker = env.staker(10_000 * USDC, 1_000 * USDC).await;
    let arb = env.trader(10_000_000 * USDC, 1_000_000 * USDC).await;
    let keeper = env.keeper().await;

    // Ten longs from 2x to 8.3x and six shorts from 2x to 5.5x, 1,000 USDC
    // each; the arbitrageur keeps the mark on the oracle as they pile in.
    let mut traders = Vec::new();
    for i in 0..16u64 {
        let trader = env.trader(10_000 * USDC, 1_000 * USDC).await;
        let (direction, leverage_tenths) =
            if i < 10 { (Direction::Long, 20 + i * 7) } else { (Direction::Short, 20 + (i - 10) * 7) };
        let notional = 1_000 * USDC * leverage_tenths / 10;
        env.open(&trader, sol, direction, TradeSize::Quote(notional)).await.unwrap();
        env.align_mark(&arb, sol, 100 * PRICE).await.unwrap();
        traders.push(trader);
    }
    env.check_invariants().await;
    let fund_start = env.exchange_state().await.insurance.balance;

    let mut ledger = LossLedger::default();
    for price in [90u64, 80, 70, 60] {
        env.advance_time(30).await;
        env.set_price(sol, price * PRICE);
        env.align_mark(&arb, sol, price * PRICE).await.unwrap();
        for trader in &traders {
            env.liquidate_fully(&keeper, trader, sol).await;
        }
        for trader in &traders {
            let state = env.trader_state(&trader.account).await;
            let Some(slot) =
                state.positions.iter().find(|p| p.market_index == 0 && p.unpaid_loss > 0).copied()
            else {
                continue;
            };
            let stats_before = env.market_state(sol).await.stats;
            env.resolve_bankruptcy(&trader.account, sol).await.unwrap();
            let after = env.trader_state(&trader.account).await;
            let after_slot = after.positions.iter().find(|p| p.market_index == 0).copied().unwrap();
            let stats = env.market_state(sol).await.stats;
            ledger.bankruptcies += 1;
            ledger.deficits += slot.unpaid_loss;
            ledger.from_collateral += state.collateral - after.collateral;
            ledger.from_claims += slot.pending_profit - after_slot.pending_profit;
            ledger.insured += stats.bad_debt_insured - stats_before.bad_debt_insured;
            ledger.socialised += stats.bad_debt_socialised - stats_before.bad_debt_socialised;
            ledger.unrecovered += stats.bad_debt_unrecovered - stats_before.bad_debt_unrecovered;
        }
        if env.market_state(sol).await.pools.insurance_pending > 0 {
            env.sweep_insurance_fees(sol).await.unwrap();
        }
        env.check_invariants().await;
    }

    // Every remaining position is healthy at the final price.
    for trader in &traders {
        let state = env.trader_state(&trader.account).await;
        assert!(state.positions.iter().all(|p| p.unpaid_loss == 0), "bankruptcy left unresolved");
    }
    let market = env.market_state(sol).await;
    let fund = env.exchange_state().await.insurance;
    assert_eq!(
        ledger.deficits,
        ledger.from_collateral + ledger.from_claims + ledger.insured + ledger.socialised + ledger.unrecovered,
        "every unit of bad debt is accounted for: {ledger:?}"
    );
    assert_eq!(ledger.insured, fund.bad_debt_paid);
    assert_eq!(fund.balance + fund.bad_debt_paid, fund_start + fund.revenue);
    println!(
        "crash -40%: {} liquidations, {} bankruptcies, bad debt {} (insurance drawdown {}, socialised {}, unrecovered {}, from collateral {}, from claims {}), insurance fund {} -> {} (revenue {})",
        market.stats.liquidation_count,
        ledger.bankruptcies,
        ledger.deficits,
        ledger.insured,
        ledger.socialised,
        ledger.unrecovered,
        ledger.from_collateral,
        ledger.from_claims,
        fund_start,
        fund.balance,
        fund.revenue,
    );
    assert!(market.stats.liquidation_count >= 5, "a 40% crash liquidates the leveraged longs");
    assert!(ledger.insured > 0 && ledger.socialised > 0, "the fund pays first, the rest is socialised");

    // Everyone left closes; the AMM is flat and the vault still balances.
    for trader in traders.iter().chain([&arb]) {
        let _ = env.close(trader, sol, None).await;
    }
    let market = env.market_state(sol).await;
    assert_eq!((market.amm.base_long, market.amm.base_short), (0, 0));
    env.check_invariants().await;
}

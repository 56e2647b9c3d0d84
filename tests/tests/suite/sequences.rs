//! Seeded random sequences of deposits, trades, withdrawals and price
//! moves across two markets; after every step the vault must equal the
//! ledger and the AMM must mirror the traders' positions.

use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

/// Errors a random step may legitimately hit; anything else fails the test.
fn is_expected_refusal(result: &TxResult) -> bool {
    use vamm::error::VammError::*;
    let allowed = [
        InsufficientMargin,
        InsufficientFreeCollateral,
        MaintenanceMarginWorsened,
        AmmRangeExceeded,
        MarkOracleDivergence,
        TradeTooSmall,
        NoPosition,
        CloseExceedsPosition,
        AmountTooLarge,
    ];
    match result {
        Ok(()) => true,
        Err(solana_transaction_error::TransactionError::InstructionError(
            _,
            solana_instruction::error::InstructionError::Custom(code),
        )) => allowed.iter().any(|e| error_code(*e) == *code),
        Err(_) => false,
    }
}

#[tokio::test]
async fn random_sequences_conserve_the_vault_and_mirror_the_amm() {
    for seed in [7u64, 2026] {
        let mut rng = Rng::new(seed);
        let mut env = TestEnv::new().await;
        let markets = [
            env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await,
            env.add_market("ETH-PERP", 3_000 * PRICE, Oracles::PythAndSwitchboard).await,
        ];
        let mut prices = [100 * PRICE, 3_000 * PRICE];
        let mut traders = Vec::new();
        for _ in 0..5 {
            traders.push(env.trader(1_000_000 * USDC, 2_000 * USDC).await);
        }
        let (mut ok, mut refused) = (0, 0);
        for _step in 0..120 {
            let t = &traders[rng.below(traders.len() as u64) as usize];
            let m = markets[rng.below(2) as usize];
            let result = match rng.below(10) {
                0 => env.deposit(t, (1 + rng.below(500)) * USDC).await,
                1 => env.withdraw(t, (1 + rng.below(800)) * USDC).await,
                2 => {
                    // Oracle moves by up to +-3%, time by a few seconds.
                    let p = prices[m];
                    let moved = p - p * 3 / 100 + p * rng.below(61) / 1_000;
                    prices[m] = moved;
                    env.advance_time(1 + rng.below(5) as i64).await;
                    for (i, price) in prices.iter().enumerate() {
                        env.set_price(markets[i], *price);
                    }
                    Ok(())
                }
                3 | 4 => {
                    env.close(t, m, if rng.below(2) == 0 { None } else { Some(1 + rng.below(BASE)) }).await
                }
                _ => {
                    let direction = if rng.below(2) == 0 { Direction::Long } else { Direction::Short };
                    let size = if rng.below(2) == 0 {
                        TradeSize::Quote((1 + rng.below(15_000)) * USDC)
                    } else {
                        TradeSize::Base(1 + rng.below(20 * BASE * 100 * PRICE / prices[m]))
                    };
                    env.open(t, m, direction, size).await
                }
            };
            assert!(is_expected_refusal(&result), "seed {seed}: unexpected {result:?}");
            if result.is_ok() {
                ok += 1
            } else {
                refused += 1
            }
            env.check_invariants().await;
        }
        println!("seed {seed}: {ok} steps applied, {refused} refused by margin or range checks");
        assert!(ok > 60, "seed {seed}: only {ok} steps succeeded ({refused} refused)");
        // Everyone closes: the AMM returns to flat.
        for t in &traders {
            for &m in &markets {
                let _ = env.close(t, m, None).await;
            }
        }
        for &m in &markets {
            let market = env.market_state(m).await;
            assert_eq!((market.amm.base_long, market.amm.base_short), (0, 0));
        }
        env.check_invariants().await;
    }
}

#[tokio::test]
async fn opening_and_immediately_closing_never_returns_more_than_was_paid() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    let mut rng = Rng::new(42);
    for _ in 0..20 {
        let before = env.trader_state(&alice.account).await.collateral;
        let direction = if rng.below(2) == 0 { Direction::Long } else { Direction::Short };
        let size = TradeSize::Base(1 + rng.below(500 * BASE));
        env.open(&alice, sol, direction, size).await.unwrap();
        env.close(&alice, sol, None).await.unwrap();
        let state = env.trader_state(&alice.account).await;
        let claim = state.positions.iter().map(|p| p.pending_profit).sum::<u64>();
        assert!(
            state.collateral + claim <= before,
            "round trip gained {}",
            state.collateral + claim - before
        );
    }
    env.check_invariants().await;
}

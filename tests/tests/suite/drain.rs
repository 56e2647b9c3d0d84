//! Drain to zero: after a long random sequence (trades, oracle moves and a
//! crash, funding, liquidations, bankruptcies, stakes), every market is
//! delisted, every position settled, every claim paid, every trader's
//! collateral withdrawn and every share unstaked. The collateral vault must
//! end holding exactly the treasury's share, the insurance vault exactly
//! the fund's remainder, and no account a claim or a loss it cannot settle.

use vamm::math::amm::{Direction, TradeSize};
use vamm::state::MarketStatus;
use vamm_client::keeper::KeeperConfig;
use vamm_tests::*;

#[tokio::test]
async fn everything_drains_to_the_treasury_share() {
    for seed in [3u64, 99] {
        drain(seed).await;
    }
}

async fn drain(seed: u64) {
    let mut rng = Rng::new(seed);
    let mut env = TestEnv::new().await;
    let markets = [
        env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await,
        env.add_market("ETH-PERP", 2_000 * PRICE, Oracles::PythAndSwitchboard).await,
    ];
    let mut prices = [100 * PRICE, 2_000 * PRICE];
    let stakers = [env.staker(10_000 * USDC, 300 * USDC).await, env.staker(10_000 * USDC, 700 * USDC).await];
    let arb = env.trader(10_000_000 * USDC, 2_000_000 * USDC).await;
    let mut traders = Vec::new();
    for _ in 0..6 {
        traders.push(env.trader(100_000 * USDC, 1_000 * USDC).await);
    }
    let keeper_trader = env.keeper().await;
    let mut keeper =
        keeper_trader.keeper_service(KeeperConfig { sweep_threshold: 1, ..KeeperConfig::default() });

    for _ in 0..150 {
        let t = &traders[rng.below(traders.len() as u64) as usize];
        let m = markets[rng.below(2) as usize];
        match rng.below(12) {
            0 => {
                let _ = env.deposit(t, (1 + rng.below(500)) * USDC).await;
            }
            1 => {
                let _ = env.withdraw(t, (1 + rng.below(800)) * USDC).await;
            }
            2 | 3 => {
                // A +-4% move, or once in a while a 15% crash.
                let p = prices[m];
                prices[m] = if rng.below(8) == 0 {
                    p * 85 / 100
                } else {
                    p - p * 4 / 100 + p * rng.below(81) / 1_000
                };
                env.advance_time(30 + rng.below(600) as i64).await;
                for (i, price) in prices.iter().enumerate() {
                    env.set_price(markets[i], *price);
                }
                for (i, price) in prices.iter().enumerate() {
                    let _ = env.align_mark(&arb, markets[i], *price).await;
                }
                keeper.tick(&mut env.rt).await.expect("keeper tick");
            }
            4 => {
                let _ = env.close(t, m, None).await;
            }
            5 => {
                let staker = &stakers[rng.below(2) as usize];
                let _ = env.stake(staker, (1 + rng.below(200)) * USDC).await;
            }
            _ => {
                let direction = if rng.below(2) == 0 { Direction::Long } else { Direction::Short };
                let size = TradeSize::Quote((100 + rng.below(9_000)) * USDC);
                let _ = env.open(t, m, direction, size).await;
            }
        }
        env.check_invariants().await;
    }

    // Delist everything, settle every position, pay every claim, and let
    // every trader and staker leave.
    let everyone: Vec<&Trader> = traders.iter().chain([&arb, &keeper_trader]).collect();
    let prices: Vec<u64> = prices.to_vec();
    vamm_tests::fuzz::drain_to_zero(&mut env, &mut keeper, &prices, &everyone, &[&stakers[0], &stakers[1]])
        .await
        .unwrap_or_else(|what| panic!("drain seed {seed}: {what}"));
    let mut claims_written_off = 0;
    for &m in &markets {
        let market = env.market_state(m).await;
        assert_eq!(market.status, MarketStatus::Settled as u8);
        claims_written_off += market.stats.claims_written_off;
    }

    let mut treasury = 0;
    let mut fee_pools = 0;
    for &m in &markets {
        let pools = env.market_state(m).await.pools;
        treasury += pools.treasury;
        fee_pools += pools.fee_pool + pools.pnl_pool + pools.insurance_pending;
    }
    let vault_key = env.vault;
    let vault = env.token_balance(&vault_key).await;
    let insurance_vault = env.token_balance(&ix::insurance_vault_pda(&env.exchange)).await;
    let fund = env.exchange_state().await.insurance;
    println!(
        "drain seed {seed}: collateral vault {vault} = treasury {treasury}; insurance vault {insurance_vault} = fund remainder {} (shares left {}); claims written off {claims_written_off}; fund bad debt paid {}",
        fund.balance, fund.total_shares, fund.bad_debt_paid
    );
    let liquidations: u64 = {
        let mut total = 0;
        for &m in &markets {
            total += env.market_state(m).await.stats.liquidation_count;
        }
        total
    };
    assert!(liquidations > 0 && claims_written_off > 0, "the sequence exercised liquidations and write-offs");
    assert_eq!(fee_pools, 0, "no pool holds money after delisting");
    assert_eq!(vault, treasury, "the collateral vault holds exactly the treasury's share");
    assert_eq!(insurance_vault, fund.balance, "the insurance vault holds exactly the fund's remainder");
    assert_eq!(fund.total_shares, 0, "every share was unstaked");
    // What the virtual share offset keeps: a thousandth of a unit per share minted, at most.
    assert!(fund.balance <= USDC, "the fund's remainder is dust: {}", fund.balance);
}

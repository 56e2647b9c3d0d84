//! Oracle validation: fake, stale, unverified, too-wide, disagreeing and
//! replayed oracle updates block new risk but never a pure reduction.

use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

async fn setup(oracles: Oracles) -> (TestEnv, usize, Trader) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, oracles).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    (env, sol, alice)
}

fn pyth(env: &TestEnv, market: usize, price: u64) -> PythUpdate {
    PythUpdate {
        feed_id: env.markets[market].primary.feed_id,
        price,
        confidence: price / 2_000,
        publish_time: env.now,
        verification: VerificationLevel::Full,
    }
}

/// A listing of `params` reading only `oracle`.
fn listing(params: &vamm::instructions::CreateMarketParams, oracle: Pubkey) -> vamm::state::GovernanceAction {
    vamm::state::GovernanceAction::ListMarket {
        params: params.clone(),
        primary_oracle: oracle,
        secondary_oracle: None,
    }
}

#[tokio::test]
async fn listing_with_an_oracle_owned_by_another_program_is_refused() {
    let mut env = TestEnv::new().await;
    let params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    let fake = Pubkey::new_unique();
    let id = env.queue(listing(&params, fake)).await.unwrap();
    env.wait_timelock().await;
    let mut account = oracle::pyth_account(&PythUpdate {
        feed_id: params.primary_feed_id,
        price: 100 * PRICE,
        confidence: 0,
        publish_time: env.now,
        verification: VerificationLevel::Full,
    });
    account.owner = Pubkey::new_unique();
    env.write_account(&fake, account);
    let ix = ix::create_market(&env.admin.pubkey(), id, params, fake, None);
    let admin = env.admin.insecure_clone();
    assert_refused!(
        env,
        vec![ix::market_pda(0), env.exchange],
        env.send(&[ix], &[&admin]).await,
        VammError::OracleWrongOwner
    );
}

#[tokio::test]
async fn listing_with_another_feed_is_refused() {
    let mut env = TestEnv::new().await;
    let params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Switchboard);
    let other_feed = Pubkey::new_unique();
    let id = env.queue(listing(&params, other_feed)).await.unwrap();
    env.wait_timelock().await;
    env.write_switchboard(
        &other_feed,
        SwitchboardUpdate {
            feed_hash: [7; 32],
            price: 100 * PRICE,
            std_dev: 0,
            timestamp: env.now,
            slot: env.clock().slot,
            num_samples: 5,
        },
    );
    let ix = ix::create_market(&env.admin.pubkey(), id, params, other_feed, None);
    let admin = env.admin.insecure_clone();
    assert_refused!(
        env,
        vec![ix::market_pda(0), env.exchange],
        env.send(&[ix], &[&admin]).await,
        VammError::OracleWrongFeedId
    );
}

#[tokio::test]
async fn trading_against_an_oracle_the_market_does_not_pin_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    // A perfectly valid update for the right feed, at another address.
    let impostor = Pubkey::new_unique();
    let update = pyth(&env, sol, 50 * PRICE);
    env.write_pyth(&impostor, update);
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.primary_oracle = impostor;
    let params = vamm::instructions::OpenPositionParams {
        direction: Direction::Short,
        size: TradeSize::Base(BASE),
        limit_price: 0,
        reduce_only: false,
    };
    let ix = ix::open_position(&accounts, params);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::OracleWrongAccount
    );
}

#[tokio::test]
async fn pinned_oracle_rewritten_by_another_program_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    let address = env.markets[sol].primary.address;
    let mut account = oracle::pyth_account(&pyth(&env, sol, 100 * PRICE));
    account.owner = Pubkey::new_unique();
    env.write_account(&address, account);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleWrongOwner
    );
}

#[tokio::test]
async fn pinned_oracle_carrying_another_feed_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    let address = env.markets[sol].primary.address;
    let update = PythUpdate { feed_id: [9; 32], ..pyth(&env, sol, 100 * PRICE) };
    env.write_pyth(&address, update);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleWrongFeedId
    );
}

#[tokio::test]
async fn garbage_oracle_data_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Switchboard).await;
    let address = env.markets[sol].primary.address;
    let mut account = env.account(&address).await.unwrap();
    account.data[0] ^= 0xFF;
    env.write_account(&address, account);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleInvalidData
    );
}

#[tokio::test]
async fn partially_verified_pyth_update_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    let address = env.markets[sol].primary.address;
    let update = PythUpdate {
        verification: VerificationLevel::Partial { num_signatures: 5 },
        ..pyth(&env, sol, 100 * PRICE)
    };
    env.write_pyth(&address, update);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleNotVerified
    );
}

#[tokio::test]
async fn stale_oracle_blocks_opening_and_withdrawing_but_not_closing() {
    for oracles in [Oracles::Pyth, Oracles::Switchboard] {
        let (mut env, sol, alice) = setup(oracles).await;
        env.open(&alice, sol, Direction::Long, TradeSize::Base(2 * BASE)).await.unwrap();
        env.advance_time(61).await;
        assert_refused!(
            env,
            env.watched(&alice),
            env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
            VammError::OracleStale
        );
        assert_refused!(env, env.watched(&alice), env.withdraw(&alice, USDC).await, VammError::OracleStale);
        env.close(&alice, sol, Some(BASE)).await.unwrap();
        env.close(&alice, sol, None).await.unwrap();
        // With no position left the oracle no longer matters for withdrawals.
        env.withdraw(&alice, USDC).await.unwrap();
        env.check_invariants().await;
    }
}

#[tokio::test]
async fn too_wide_confidence_is_refused() {
    for oracles in [Oracles::Pyth, Oracles::Switchboard] {
        let (mut env, sol, alice) = setup(oracles).await;
        let handle = env.markets[sol].primary;
        // The market accepts 1% (100 bps); publish 2%.
        match handle.source {
            vamm::state::OracleSource::Pyth => {
                let update = PythUpdate { confidence: 2 * PRICE, ..pyth(&env, sol, 100 * PRICE) };
                env.write_pyth(&handle.address, update)
            }
            vamm::state::OracleSource::Switchboard => env.write_switchboard(
                &handle.address,
                SwitchboardUpdate {
                    feed_hash: handle.feed_id,
                    price: 100 * PRICE,
                    std_dev: 2 * PRICE,
                    timestamp: env.now,
                    slot: env.clock().slot,
                    num_samples: 5,
                },
            ),
        }
        assert_refused!(
            env,
            env.watched(&alice),
            env.open(&alice, sol, Direction::Short, TradeSize::Base(BASE)).await,
            VammError::OracleConfidenceTooWide
        );
    }
}

#[tokio::test]
async fn non_positive_oracle_price_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Switchboard).await;
    let handle = env.markets[sol].primary;
    env.write_switchboard(
        &handle.address,
        SwitchboardUpdate {
            feed_hash: handle.feed_id,
            price: 0,
            std_dev: 0,
            timestamp: env.now,
            slot: env.clock().slot,
            num_samples: 5,
        },
    );
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleNonPositivePrice
    );
}

#[tokio::test]
async fn disagreeing_oracles_block_new_risk_but_not_closing() {
    let (mut env, sol, alice) = setup(Oracles::PythAndSwitchboard).await;
    env.open(&alice, sol, Direction::Short, TradeSize::Base(3 * BASE)).await.unwrap();
    let secondary = env.markets[sol].secondary.unwrap();
    // Band is 1%; the secondary reports 2% higher.
    env.publish(&secondary, 102 * PRICE);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Short, TradeSize::Base(BASE)).await,
        VammError::OracleDisagreement
    );
    env.close(&alice, sol, None).await.unwrap();
    // Back within the band, trading resumes.
    env.publish(&secondary, 100_500_000);
    env.open(&alice, sol, Direction::Short, TradeSize::Base(BASE)).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn missing_secondary_oracle_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::PythAndSwitchboard).await;
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.secondary_oracle = None;
    let params = vamm::instructions::OpenPositionParams {
        direction: Direction::Long,
        size: TradeSize::Base(BASE),
        limit_price: u64::MAX,
        reduce_only: false,
    };
    let ix = ix::open_position(&accounts, params);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::MissingOracleAccount
    );
}

#[tokio::test]
async fn replaying_an_older_oracle_update_is_refused() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    let old = pyth(&env, sol, 100 * PRICE);
    env.advance_time(10).await;
    env.set_price(sol, 100 * PRICE);
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    // Someone writes back the older (still fresh enough) update.
    let address = env.markets[sol].primary.address;
    env.write_pyth(&address, old);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleNotMonotonic
    );
}

#[tokio::test]
async fn margin_uses_the_oracle_not_the_mark() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    let whale = env.trader(10_000_000 * USDC, 1_000_000 * USDC).await;
    env.open(&alice, sol, Direction::Short, TradeSize::Base(5 * BASE)).await.unwrap();
    // The whale pumps the mark ~8%; the oracle stays at 100.
    env.open(&whale, sol, Direction::Long, TradeSize::Base(400 * BASE)).await.unwrap();
    let market = env.market_state(sol).await;
    assert!(market.amm.last_mark_price > 107 * PRICE);
    // Valued at the mark, Alice's short would be ~40 USDC under water. At
    // the oracle it is flat, so all but the 50 USDC requirement (and a few
    // cents of spread) stays withdrawable.
    let collateral = env.trader_state(&alice.account).await.collateral;
    env.withdraw(&alice, collateral - 51 * USDC).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn an_oracle_jump_against_its_twap_blocks_new_risk_but_not_closing() {
    let (mut env, sol, alice) = setup(Oracles::Pyth).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(2 * BASE)).await.unwrap();
    // 60% above a TWAP of 100: more than the 50% this market accepts.
    env.advance_time(1).await;
    env.set_price(sol, 160 * PRICE);
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await,
        VammError::OracleJumpUnconfirmed
    );
    env.close(&alice, sol, None).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn a_slot_may_not_move_the_mark_too_far() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.max_slot_move_bps = 100;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let alice = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    // 30 SOL on a 10,000 SOL curve moves the mark ~0.6%; twice in one slot is ~1.2%.
    env.open(&alice, sol, Direction::Long, TradeSize::Base(30 * BASE)).await.unwrap();
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(30 * BASE)).await,
        VammError::SlotMoveLimitExceeded
    );
    // Bringing the mark back towards the oracle (not past it) is always allowed.
    env.open(&alice, sol, Direction::Short, TradeSize::Base(30 * BASE)).await.unwrap();
    // A later slot starts from the new mark.
    env.advance_time(1).await;
    env.set_price(sol, 100 * PRICE);
    env.open(&alice, sol, Direction::Long, TradeSize::Base(30 * BASE)).await.unwrap();
    env.check_invariants().await;
}

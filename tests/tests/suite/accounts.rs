//! Exchange, market and trader-account lifecycle.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::GovernanceAction;
use vamm::state::MarketStatus;
use vamm_tests::*;

#[tokio::test]
async fn exchange_is_initialised_once_with_its_vaults() {
    let mut env = TestEnv::new().await;
    let exchange = env.exchange_state().await;
    assert_eq!(exchange.admin, env.admin.pubkey());
    assert_eq!(exchange.collateral_mint, env.mint);
    assert_eq!(exchange.vault, env.vault);
    assert_eq!(exchange.insurance_vault, ix::insurance_vault_pda(&env.exchange));
    assert_eq!(exchange.collateral_decimals, 6);
    assert_eq!(env.token_balance(&env.vault.clone()).await, 0);
    // A second initialisation, by anyone, fails: the PDA exists.
    let intruder = env.wallet();
    let ix = ix::initialize_exchange(&intruder.pubkey(), &env.mint, intruder.pubkey());
    assert!(env.send(&[ix], &[&intruder]).await.is_err());
    assert_eq!(env.exchange_state().await.admin, env.admin.pubkey());
}

#[tokio::test]
async fn market_is_listed_at_the_oracle_price() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 123_450_000, Oracles::PythAndSwitchboard).await;
    let market = env.market_state(sol).await;
    assert_eq!(&market.name[..8], b"SOL-PERP");
    assert_eq!(market.amm.peg, 123_450_000);
    assert_eq!(market.amm.last_mark_price, 123_450_000);
    assert_eq!(market.status().unwrap(), MarketStatus::Active);
    assert_eq!(market.oracle.primary, env.markets[sol].primary.address);
    assert_eq!(market.oracle.secondary, env.markets[sol].secondary.unwrap().address);
    assert_eq!(env.exchange_state().await.market_count, 1);
}

#[tokio::test]
async fn listing_by_anyone_but_the_admin_is_refused() {
    let mut env = TestEnv::new().await;
    let intruder = env.wallet();
    let params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    let oracle = solana_pubkey::Pubkey::new_unique();
    env.write_pyth(
        &oracle,
        PythUpdate {
            feed_id: params.primary_feed_id,
            price: 100 * PRICE,
            confidence: 0,
            publish_time: env.now,
            verification: pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
        },
    );
    let listing = GovernanceAction::ListMarket { params, primary_oracle: oracle, secondary_oracle: None };
    let ix = ix::queue_proposal(&intruder.pubkey(), 0, listing);
    assert_refused!(
        env,
        vec![env.exchange, ix::proposal_pda(0), ix::market_pda(0)],
        env.send(&[ix], &[&intruder]).await,
        VammError::NotAdmin
    );
}

#[tokio::test]
async fn market_parameters_outside_their_bounds_are_refused() {
    let mut env = TestEnv::new().await;
    let base = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    let cases: Vec<(vamm::instructions::CreateMarketParams, VammError)> = vec![
        (
            {
                let mut p = base.clone();
                p.maintenance_ratio = p.initial_ratio;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.maintenance_ratio = 1_000;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.initial_ratio = 1_000_001;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.taker_fee_bps = 101;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.insurance_share_bps = 9_000;
                p.pnl_pool_share_bps = 2_000;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.sqrt_k = 10;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.min_price = 101 * PRICE;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.max_price = 99 * PRICE;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.max_price = 100_000 * PRICE;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.max_position_notional = p.max_open_interest + 1;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.market_index = 1;
                p
            },
            VammError::InvalidMarketParameter,
        ),
        (
            {
                let mut p = base.clone();
                p.max_staleness_secs = 0;
                p
            },
            VammError::InvalidOracleConfig,
        ),
        (
            {
                let mut p = base.clone();
                p.max_confidence_bps = 5_000;
                p
            },
            VammError::InvalidOracleConfig,
        ),
        (
            {
                let mut p = base.clone();
                p.name = [0; 16];
                p
            },
            VammError::InvalidMarketName,
        ),
        (
            {
                let mut p = base.clone();
                p.name[3] = b'\n';
                p
            },
            VammError::InvalidMarketName,
        ),
    ];
    for (params, expected) in cases {
        // Refused when queued or, for bounds that depend on the oracle
        // price, when executed: either way no market exists.
        match env.add_market_with(params.clone(), 100 * PRICE).await {
            Err(e) => assert_error(Err(e), expected),
            Ok(_) => panic!("accepted {params:?}"),
        }
        assert_eq!(env.exchange_state().await.market_count, 0);
        assert!(env.account(&ix::market_pda(0)).await.is_none());
    }
    env.add_market_with(base, 100 * PRICE).await.unwrap();
}

#[tokio::test]
async fn sub_accounts_are_independent_and_bounded() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let owner = alice.owner.pubkey();
    env.send(&[ix::create_trader_account(&owner, 1, None)], &[&alice.owner]).await.unwrap();
    let sub = ix::trader_pda(&owner, 1);
    env.trader_accounts.push(sub);
    let sub_state = env.trader_state(&sub).await;
    assert_eq!((sub_state.owner, sub_state.sub_account_id, sub_state.collateral), (owner, 1, 0));
    // The same sub-account cannot be created twice.
    assert!(env.send(&[ix::create_trader_account(&owner, 1, None)], &[&alice.owner]).await.is_err());
    let bad = ix::create_trader_account(&owner, 256, None);
    assert_refused!(
        env,
        vec![ix::trader_pda(&owner, 256)],
        env.send(&[bad], &[&alice.owner]).await,
        VammError::InvalidSubAccountId
    );
    // A position in sub-account 0 does not touch sub-account 1.
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    assert_eq!(env.trader_state(&sub).await.open_positions().count(), 0);
    assert_eq!(env.exchange_state().await.trader_account_count, 2);
    env.check_invariants().await;
}

#[tokio::test]
async fn trader_account_closes_only_when_empty_and_returns_rent() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 100 * USDC).await;
    let owner = alice.owner.pubkey();
    let close = ix::close_trader_account(&owner, &alice.account);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(std::slice::from_ref(&close), &[&alice.owner]).await,
        VammError::TraderAccountNotEmpty
    );

    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    env.close(&alice, sol, None).await.unwrap();
    let left = env.trader_state(&alice.account).await.collateral;
    env.withdraw(&alice, left).await.unwrap();

    // Only the owner may close it.
    let mallory = env.wallet();
    let steal = ix::close_trader_account(&mallory.pubkey(), &alice.account);
    assert_refused!(env, env.watched(&alice), env.send(&[steal], &[&mallory]).await, VammError::NotOwner);

    let rent = env.account(&alice.account).await.unwrap().lamports;
    let lamports_before = env.account(&owner).await.unwrap().lamports;
    env.send(&[close], &[&alice.owner]).await.unwrap();
    assert!(env.account(&alice.account).await.is_none());
    assert_eq!(env.account(&owner).await.unwrap().lamports, lamports_before + rent);
    env.check_invariants().await;
}

#[tokio::test]
async fn market_at_a_pda_that_does_not_match_its_index_is_refused() {
    let mut env = TestEnv::new().await;
    let params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    let oracle = solana_pubkey::Pubkey::new_unique();
    let listing = GovernanceAction::ListMarket {
        params: params.clone(),
        primary_oracle: oracle,
        secondary_oracle: None,
    };
    let id = env.queue(listing).await.unwrap();
    env.wait_timelock().await;
    env.write_pyth(
        &oracle,
        PythUpdate {
            feed_id: params.primary_feed_id,
            price: 100 * PRICE,
            confidence: 0,
            publish_time: env.now,
            verification: pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
        },
    );
    let mut ix = ix::create_market(&env.admin.pubkey(), id, params, oracle, None);
    ix.accounts[3].pubkey = ix::market_pda(1);
    let admin = env.admin.insecure_clone();
    let before = env.snapshot(&[env.exchange, ix::market_pda(1)]).await;
    assert_anchor_error(env.send(&[ix], &[&admin]).await, anchor_lang::error::ErrorCode::ConstraintSeeds);
    assert_eq!(env.snapshot(&[env.exchange, ix::market_pda(1)]).await, before);
}

#[tokio::test]
async fn trader_account_at_a_foreign_pda_is_refused() {
    let mut env = TestEnv::new().await;
    let alice = env.wallet();
    let bob = env.wallet();
    // Alice tries to create an account at Bob's address.
    let mut ix = ix::create_trader_account(&alice.pubkey(), 0, None);
    ix.accounts[2].pubkey = ix::trader_pda(&bob.pubkey(), 0);
    assert_anchor_error(env.send(&[ix], &[&alice]).await, anchor_lang::error::ErrorCode::ConstraintSeeds);
    assert!(env.account(&ix::trader_pda(&bob.pubkey(), 0)).await.is_none());
}

//! The governance timelock: what it queues, when anyone may execute it,
//! who may cancel it, expiry, the delay itself, direct admin hand-over,
//! listings only as queued, and the treasury crank.

use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::constants::timelock;
use vamm::error::VammError;
use vamm::instructions::MarketParamsUpdate;
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::{GovernanceAction, ProposalStatus};
use vamm_tests::*;

const DAY: i64 = 86_400;

async fn env_with_guardian() -> (TestEnv, Keypair) {
    TestEnv::with_guardian().await
}

fn fee_rise(taker_fee_bps: u16) -> GovernanceAction {
    let update = MarketParamsUpdate { taker_fee_bps: Some(taker_fee_bps), ..Default::default() };
    GovernanceAction::UpdateMarketParams { market_index: 0, update }
}

#[tokio::test]
async fn a_queued_change_waits_for_its_delay_then_anyone_executes_it() {
    let (mut env, _) = env_with_guardian().await;
    let market = env.markets[0].address;
    let queued_at = env.now;
    let id = env.queue(fee_rise(30)).await.unwrap();
    let proposal = env.proposal(id).await;
    assert_eq!(proposal.status, ProposalStatus::Queued);
    assert_eq!(proposal.proposer, env.admin.pubkey());
    assert_eq!(proposal.executable_ts, queued_at + DAY);
    assert_eq!(proposal.expires_ts, queued_at + DAY + timelock::EXECUTION_WINDOW_SECS as i64);
    assert_eq!(proposal.action, fee_rise(30));
    assert_eq!(env.exchange_state().await.proposal_count, id + 1);

    // A second before the delay: refused, nothing changes.
    let stranger = env.wallet();
    env.advance_time(DAY - 1).await;
    let execute = ix::execute_proposal(&stranger.pubkey(), id, &fee_rise(30));
    assert_refused!(
        env,
        vec![market, ix::proposal_pda(id), env.exchange],
        env.send(std::slice::from_ref(&execute), &[&stranger]).await,
        VammError::TimelockNotElapsed
    );
    // At the delay, anyone executes it.
    env.advance_time(1).await;
    env.send(std::slice::from_ref(&execute), &[&stranger]).await.unwrap();
    assert_eq!(env.market_state(0).await.fees.taker_fee_bps, 30);
    let proposal = env.proposal(id).await;
    assert_eq!(
        (proposal.status, proposal.closed_by, proposal.closed_ts),
        (ProposalStatus::Executed, stranger.pubkey(), env.now)
    );
    // Once only.
    env.advance_time(1).await;
    assert_refused!(
        env,
        vec![market, ix::proposal_pda(id)],
        env.send(&[execute], &[&stranger]).await,
        VammError::ProposalNotQueued
    );
}

#[tokio::test]
async fn a_proposal_not_executed_within_its_window_expires() {
    let (mut env, _) = env_with_guardian().await;
    let id = env.queue(fee_rise(30)).await.unwrap();
    env.advance_time(DAY + timelock::EXECUTION_WINDOW_SECS as i64 + 1).await;
    env.refresh_oracles();
    let admin = env.admin.insecure_clone();
    let execute = ix::execute_proposal(&admin.pubkey(), id, &fee_rise(30));
    assert_refused!(
        env,
        vec![env.markets[0].address, ix::proposal_pda(id)],
        env.send(&[execute], &[&admin]).await,
        VammError::ProposalExpired
    );
    // The expired record can be closed by cancelling it.
    env.send(&[ix::cancel_proposal(&admin.pubkey(), id)], &[&admin]).await.unwrap();
    assert_eq!(env.proposal(id).await.status, ProposalStatus::Cancelled);
}

#[tokio::test]
async fn the_admin_or_the_guardian_cancels_and_nobody_else() {
    let (mut env, guardian) = env_with_guardian().await;
    let admin = env.admin.insecure_clone();
    let first = env.queue(fee_rise(30)).await.unwrap();
    let second = env.queue(fee_rise(40)).await.unwrap();
    let stranger = env.wallet();
    assert_refused!(
        env,
        vec![ix::proposal_pda(first)],
        env.send(&[ix::cancel_proposal(&stranger.pubkey(), first)], &[&stranger]).await,
        VammError::NotAdminOrGuardian
    );
    env.send(&[ix::cancel_proposal(&guardian.pubkey(), first)], &[&guardian]).await.unwrap();
    env.send(&[ix::cancel_proposal(&admin.pubkey(), second)], &[&admin]).await.unwrap();
    let proposal = env.proposal(first).await;
    assert_eq!((proposal.status, proposal.closed_by), (ProposalStatus::Cancelled, guardian.pubkey()));
    assert_refused!(
        env,
        vec![ix::proposal_pda(second)],
        env.send(&[ix::cancel_proposal(&admin.pubkey(), second)], &[&admin]).await,
        VammError::ProposalNotQueued
    );
    // A cancelled change never applies.
    env.wait_timelock().await;
    for id in [first, second] {
        assert_error(env.execute(id).await, VammError::ProposalNotQueued);
    }
    assert_eq!(env.market_state(0).await.fees.taker_fee_bps, 10);
}

#[tokio::test]
async fn only_the_admin_queues_and_only_values_within_bounds() {
    let (mut env, guardian) = env_with_guardian().await;
    let admin = env.admin.insecure_clone();
    let next = env.exchange_state().await.proposal_count;
    let watched = vec![env.exchange, ix::proposal_pda(next)];
    for signer in [&guardian, &env.wallet()] {
        let ix = ix::queue_proposal(&signer.pubkey(), next, fee_rise(30));
        assert_refused!(env, watched.clone(), env.send(&[ix], &[signer]).await, VammError::NotAdmin);
    }
    let cases = [
        (GovernanceAction::SetTimelockDelay { delay_secs: 3_599 }, VammError::InvalidTimelockDelay),
        (GovernanceAction::SetTimelockDelay { delay_secs: 14 * 86_400 + 1 }, VammError::InvalidTimelockDelay),
        (GovernanceAction::SetAdmin { admin: Pubkey::default() }, VammError::NotAdmin),
        (GovernanceAction::SetTreasury { treasury: env.vault }, VammError::WrongTreasury),
        (GovernanceAction::SetTreasury { treasury: Pubkey::default() }, VammError::WrongTreasury),
        (fee_rise(101), VammError::InvalidMarketParameter),
    ];
    for (action, error) in cases {
        let ix = ix::queue_proposal(&admin.pubkey(), next, action);
        assert_refused!(env, watched.clone(), env.send(&[ix], &[&admin]).await, error);
    }
    // A market action needs its market, and the right one.
    let mut ix = ix::queue_proposal(&admin.pubkey(), next, fee_rise(30));
    ix.accounts[3].pubkey = vamm::ID; // Anchor's "no optional account"
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&admin]).await, VammError::ProposalMismatch);
    env.add_market("BTC-PERP", 50_000 * PRICE, Oracles::Pyth).await;
    let next = env.exchange_state().await.proposal_count;
    let watched = vec![env.exchange, ix::proposal_pda(next)];
    let mut ix = ix::queue_proposal(&admin.pubkey(), next, fee_rise(30));
    ix.accounts[3].pubkey = env.markets[1].address;
    assert_refused!(env, watched, env.send(&[ix], &[&admin]).await, VammError::ProposalMismatch);
}

#[tokio::test]
async fn the_delay_changes_only_through_itself_and_binds_only_later_proposals() {
    let (mut env, _) = env_with_guardian().await;
    let start = env.now;
    let shorten = env.queue(GovernanceAction::SetTimelockDelay { delay_secs: 3_600 }).await.unwrap();
    let earlier = env.queue(fee_rise(30)).await.unwrap();
    env.advance_time(DAY).await;
    env.execute(shorten).await.unwrap();
    assert_eq!(env.exchange_state().await.timelock_delay_secs, 3_600);
    // Queued before the change: keeps its day.
    assert_eq!(env.proposal(earlier).await.executable_ts, start + DAY);
    // Queued after: an hour.
    let later = env.queue(fee_rise(40)).await.unwrap();
    assert_eq!(env.proposal(later).await.executable_ts, env.now + 3_600);
    env.advance_time(3_600).await;
    env.refresh_oracles();
    env.execute(later).await.unwrap();
    assert_eq!(env.market_state(0).await.fees.taker_fee_bps, 40);
}

#[tokio::test]
async fn set_admin_through_the_timelock_hands_over_without_acceptance() {
    let (mut env, _) = env_with_guardian().await;
    let old = env.admin.insecure_clone();
    let next = env.wallet();
    let pending = env.wallet();
    env.send(&[ix::propose_admin(&old.pubkey(), pending.pubkey())], &[&old]).await.unwrap();
    env.enact(vec![GovernanceAction::SetAdmin { admin: next.pubkey() }]).await.unwrap();
    let exchange = env.exchange_state().await;
    assert_eq!((exchange.admin, exchange.pending_admin), (next.pubkey(), Pubkey::default()));
    // The old admin has no power left, and the old proposal is void.
    let ix = ix::queue_proposal(&old.pubkey(), exchange.proposal_count, fee_rise(30));
    assert_refused!(env, vec![env.exchange], env.send(&[ix], &[&old]).await, VammError::NotAdmin);
    let ix = ix::accept_admin(&pending.pubkey());
    assert_refused!(env, vec![env.exchange], env.send(&[ix], &[&pending]).await, VammError::NotPendingAdmin);
}

#[tokio::test]
async fn a_listing_executes_only_exactly_as_queued() {
    let mut env = TestEnv::new().await;
    let params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    let oracle = OracleHandle {
        address: Pubkey::new_unique(),
        source: params.primary_source,
        feed_id: params.primary_feed_id,
    };
    let other = OracleHandle { address: Pubkey::new_unique(), ..oracle };
    let listing = GovernanceAction::ListMarket {
        params: params.clone(),
        primary_oracle: oracle.address,
        secondary_oracle: None,
    };
    let id = env.queue(listing.clone()).await.unwrap();
    env.publish(&oracle, 100 * PRICE);
    env.publish(&other, 100 * PRICE);
    let payer = env.wallet();
    let watched = vec![env.exchange, ix::proposal_pda(id), ix::market_pda(0)];
    let early = ix::create_market(&payer.pubkey(), id, params.clone(), oracle.address, None);
    assert_refused!(env, watched.clone(), env.send(&[early], &[&payer]).await, VammError::TimelockNotElapsed);
    env.wait_timelock().await;
    let mut renamed = params.clone();
    renamed.name[0] = b'X';
    let wrong = [
        ix::create_market(&payer.pubkey(), id, renamed, oracle.address, None),
        ix::create_market(&payer.pubkey(), id, params.clone(), other.address, None),
        ix::execute_proposal(&payer.pubkey(), id, &listing),
    ];
    for ix in wrong {
        assert_refused!(env, watched.clone(), env.send(&[ix], &[&payer]).await, VammError::ProposalMismatch);
    }
    // Anyone executes the listing as queued, and pays the market's rent.
    env.send(&[ix::create_market(&payer.pubkey(), id, params, oracle.address, None)], &[&payer])
        .await
        .unwrap();
    assert_eq!(env.exchange_state().await.market_count, 1);
    assert_eq!(env.proposal(id).await.status, ProposalStatus::Executed);
}

#[tokio::test]
async fn protocol_fees_go_only_to_the_treasury_and_anyone_pays_them_out() {
    let (mut env, _) = env_with_guardian().await;
    let trader = env.trader(100_000 * USDC, 50_000 * USDC).await;
    env.open(&trader, 0, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    env.close(&trader, 0, None).await.unwrap();
    let fees = env.market_state(0).await.pools.treasury;
    assert!(fees > 0);
    let cranker = env.wallet();
    let market = env.markets[0].address;
    let owner = Pubkey::new_unique();
    let treasury = env.create_token_account(&env.mint.clone(), &owner).await;
    // No treasury set yet: nowhere to pay.
    let early = ix::withdraw_treasury(&cranker.pubkey(), &market, &treasury, &env.mint);
    assert_refused!(
        env,
        vec![market, treasury, env.vault],
        env.send(&[early], &[&cranker]).await,
        VammError::WrongTreasury
    );
    // A treasury of another mint is refused when executed.
    let other_mint = env.create_mint(6).await;
    let foreign = env.create_token_account(&other_mint, &owner).await;
    let id = env.queue(GovernanceAction::SetTreasury { treasury: foreign }).await.unwrap();
    env.wait_timelock().await;
    assert_error(env.execute(id).await, VammError::WrongTreasury);
    env.enact(vec![GovernanceAction::SetTreasury { treasury }]).await.unwrap();
    assert_eq!(env.exchange_state().await.treasury, treasury);
    // Only to that account, by anyone, the whole balance, once.
    let stranger_account = env.create_token_account(&env.mint.clone(), &cranker.pubkey()).await;
    let diverted = ix::withdraw_treasury(&cranker.pubkey(), &market, &stranger_account, &env.mint);
    assert_refused!(
        env,
        vec![market, stranger_account, env.vault],
        env.send(&[diverted], &[&cranker]).await,
        VammError::WrongTreasury
    );
    let withdraw = ix::withdraw_treasury(&cranker.pubkey(), &market, &treasury, &env.mint);
    env.send(std::slice::from_ref(&withdraw), &[&cranker]).await.unwrap();
    assert_eq!(env.token_balance(&treasury).await, fees);
    assert_eq!(env.market_state(0).await.pools.treasury, 0);
    env.check_invariants().await;
    env.advance_time(1).await;
    assert_refused!(
        env,
        vec![market, treasury],
        env.send(&[withdraw], &[&cranker]).await,
        VammError::ZeroAmount
    );
}

#[tokio::test]
async fn instant_changes_only_reduce_risk() {
    let (mut env, _) = env_with_guardian().await;
    let admin = env.admin.insecure_clone();
    let market = env.markets[0].address;
    let instant = |update: MarketParamsUpdate| ix::update_market_params(&admin.pubkey(), &market, update);
    let m = env.market_state(0).await;
    let risk_raising = [
        MarketParamsUpdate { maintenance_ratio: Some(m.risk.maintenance_ratio + 1), ..Default::default() },
        MarketParamsUpdate { initial_ratio: Some(m.risk.initial_ratio - 1), ..Default::default() },
        MarketParamsUpdate { max_open_interest: Some(m.risk.max_open_interest + 1), ..Default::default() },
        MarketParamsUpdate {
            max_position_notional: Some(m.risk.max_position_notional + 1),
            ..Default::default()
        },
        MarketParamsUpdate {
            price_confirmation_secs: Some(m.price_guard.confirmation_secs + 1),
            ..Default::default()
        },
        MarketParamsUpdate {
            max_staleness_secs: Some(m.oracle.max_staleness_secs + 1),
            ..Default::default()
        },
        // Stricter oracle checks too: set too strict, nothing could be priced.
        MarketParamsUpdate {
            max_staleness_secs: Some(m.oracle.max_staleness_secs - 1),
            ..Default::default()
        },
        MarketParamsUpdate { max_confidence_bps: Some(0), ..Default::default() },
        MarketParamsUpdate { taker_fee_bps: Some(m.fees.taker_fee_bps + 1), ..Default::default() },
        MarketParamsUpdate { liquidation_fee_bps: Some(m.liquidation.fee_bps - 1), ..Default::default() },
        MarketParamsUpdate {
            insurance_share_bps: Some(m.fees.insurance_share_bps - 1),
            ..Default::default()
        },
        MarketParamsUpdate { max_funding_rate_bps: Some(m.funding.max_rate_bps - 1), ..Default::default() },
        // One risk-raising field spoils a reducing update.
        MarketParamsUpdate {
            max_open_interest: Some(m.risk.max_open_interest - 1),
            mark_oracle_band_bps: Some(m.risk.mark_oracle_band_bps + 1),
            ..Default::default()
        },
    ];
    for update in risk_raising {
        assert_refused!(
            env,
            vec![market],
            env.send(&[instant(update)], &[&admin]).await,
            VammError::RequiresTimelock
        );
    }
    let reducing = MarketParamsUpdate {
        initial_ratio: Some(m.risk.initial_ratio + 10_000),
        max_open_interest: Some(m.risk.max_open_interest / 2),
        max_position_notional: Some(m.risk.max_position_notional / 2),
        max_oracle_jump_bps: Some(m.oracle.max_jump_bps - 100),
        taker_fee_bps: Some(m.fees.taker_fee_bps - 1),
        mark_oracle_band_bps: Some(m.risk.mark_oracle_band_bps - 1),
        ..Default::default()
    };
    env.send(&[instant(reducing)], &[&admin]).await.unwrap();
    let after = env.market_state(0).await;
    assert_eq!(after.risk.initial_ratio, m.risk.initial_ratio + 10_000);
    assert_eq!(after.oracle.max_jump_bps, m.oracle.max_jump_bps - 100);
    assert_eq!(after.fees.taker_fee_bps, m.fees.taker_fee_bps - 1);
}

/// A listing whose fee pool fills quickly (1% fee, half to the pool), with
/// `round_trips` of 200 SOL and traders net long 100 SOL.
async fn net_long_market(env: &mut TestEnv, sqrt_k: Option<u128>, round_trips: usize) -> usize {
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.taker_fee_bps = 100;
    params.fee_pool_share_bps = 5_000;
    params.sqrt_k = sqrt_k.unwrap_or(params.sqrt_k);
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let trader = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    let long = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    for _ in 0..round_trips {
        env.open(&trader, sol, Direction::Long, TradeSize::Base(200 * BASE)).await.unwrap();
        env.close(&trader, sol, None).await.unwrap();
    }
    env.open(&long, sol, Direction::Long, TradeSize::Base(100 * BASE)).await.unwrap();
    sol
}

#[tokio::test]
async fn a_depth_change_keeps_the_mark_and_the_fee_pool_pays_its_exact_cost() {
    let mut env = TestEnv::new().await;
    let sol = net_long_market(&mut env, None, 10).await;
    let before = env.market_state(sol).await;
    let old_sqrt_k = before.amm.sqrt_k.get();
    let new_sqrt_k = old_sqrt_k * 2;
    let deeper = before.amm.curve().with_depth(old_sqrt_k, new_sqrt_k).unwrap();
    let expected =
        vamm::math::amm::depth_change_cost(&before.amm.curve(), &deeper, 100 * BASE as i64).unwrap();
    assert!(expected > 0 && (expected as u64) < before.pools.fee_pool, "{expected}");
    // Whoever executes can make the traders' net position larger first: the
    // cost is capped by what the proposal allows, and just under the
    // expected cost the change is refused.
    let capped =
        GovernanceAction::UpdateDepth { market_index: 0, sqrt_k: new_sqrt_k, max_cost: expected as u64 - 1 };
    let id = env.queue(capped).await.unwrap();
    env.wait_timelock().await;
    assert_error(env.execute(id).await, VammError::DepthCostExceedsFeePool);
    let before = env.market_state(sol).await;
    let deepen =
        GovernanceAction::UpdateDepth { market_index: 0, sqrt_k: new_sqrt_k, max_cost: expected as u64 };
    env.enact(vec![deepen]).await.unwrap();
    let after = env.market_state(sol).await;
    assert_eq!(after.amm.sqrt_k.get(), new_sqrt_k);
    let mark_before = before.amm.curve().mark_price().unwrap();
    assert!(after.amm.curve().mark_price().unwrap().abs_diff(mark_before) <= 1);
    assert_eq!((after.amm.min_price, after.amm.max_price), (before.amm.min_price, before.amm.max_price));
    // Funding accrued on the way (a day passed), so compare the pool moves.
    let paid = after.pools.pnl_pool - before.pools.pnl_pool;
    assert_eq!(paid, expected as u64);
    env.check_invariants().await;
    // Halving back gains the AMM about as much; the gain stays in the PnL pool.
    let pools = env.market_state(sol).await.pools;
    let thin_back = GovernanceAction::UpdateDepth { market_index: 0, sqrt_k: old_sqrt_k, max_cost: 0 };
    env.enact(vec![thin_back]).await.unwrap();
    let back = env.market_state(sol).await;
    assert_eq!(back.pools.pnl_pool, pools.pnl_pool);
    assert!(back.pools.fee_pool <= pools.fee_pool);
    env.check_invariants().await;
}

#[tokio::test]
async fn a_depth_change_the_fee_pool_cannot_pay_or_the_range_cannot_absorb_is_refused() {
    let mut env = TestEnv::new().await;
    // 10,000 SOL deep: closing the net 100 SOL moves the price about 1%,
    // so a hundredfold deepening is worth about 100 USDC to the longs; the
    // pool holds the fee of one open (50 USDC).
    let sol = net_long_market(&mut env, Some(10_000 * BASE as u128), 0).await;
    let m = env.market_state(sol).await;
    let sqrt_k = m.amm.sqrt_k.get();
    let market = env.markets[sol].address;
    // A hundredfold deepening costs more than the pool holds.
    let id = env
        .queue(GovernanceAction::UpdateDepth { market_index: 0, sqrt_k: sqrt_k * 100, max_cost: u64::MAX })
        .await
        .unwrap();
    env.wait_timelock().await;
    let admin = env.admin.insecure_clone();
    let action = env.proposal(id).await.action;
    let ix = ix::execute_proposal(&admin.pubkey(), id, &action);
    assert_refused!(
        env,
        vec![market, ix::proposal_pda(id)],
        env.send(&[ix], &[&admin]).await,
        VammError::DepthCostExceedsFeePool
    );
    // So thin the open longs could not all close within the range, though
    // the traders' net position is small: shorts nearly offset them.
    let short = env.trader(1_000_000 * USDC, 100_000 * USDC).await;
    env.open(&short, sol, Direction::Short, TradeSize::Base(99 * BASE)).await.unwrap();
    let thin = sqrt_k / 100;
    let id = env
        .queue(GovernanceAction::UpdateDepth { market_index: 0, sqrt_k: thin, max_cost: 0 })
        .await
        .unwrap();
    env.wait_timelock().await;
    let action = env.proposal(id).await.action;
    let ix = ix::execute_proposal(&admin.pubkey(), id, &action);
    assert_refused!(
        env,
        vec![market, ix::proposal_pda(id)],
        env.send(&[ix], &[&admin]).await,
        VammError::AmmRangeExceeded
    );
    // Outside the listing bounds: refused when queued.
    let next = env.exchange_state().await.proposal_count;
    let ix = ix::queue_proposal(
        &admin.pubkey(),
        next,
        GovernanceAction::UpdateDepth { market_index: 0, sqrt_k: 1, max_cost: 0 },
    );
    assert_refused!(
        env,
        vec![env.exchange, ix::proposal_pda(next)],
        env.send(&[ix], &[&admin]).await,
        VammError::InvalidMarketParameter
    );
}

#[tokio::test]
async fn oracles_change_only_through_the_timelock_and_never_move_the_price() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    let primary = OracleHandle {
        address: Pubkey::new_unique(),
        source: vamm::state::OracleSource::Switchboard,
        feed_id: [9; 32],
    };
    let secondary = OracleHandle {
        address: Pubkey::new_unique(),
        source: vamm::state::OracleSource::Pyth,
        feed_id: [8; 32],
    };
    let set = vamm::state::OracleSet {
        primary_oracle: primary.address,
        primary_source: primary.source,
        primary_feed_id: primary.feed_id,
        secondary_oracle: Some(secondary.address),
        secondary_source: Some(secondary.source),
        secondary_feed_id: secondary.feed_id,
    };
    let admin = env.admin.insecure_clone();
    // A secondary account without its source is refused when queued.
    let next = env.exchange_state().await.proposal_count;
    let broken = vamm::state::OracleSet { secondary_source: None, ..set.clone() };
    let ix = ix::queue_proposal(
        &admin.pubkey(),
        next,
        GovernanceAction::SetOracles { market_index: 0, oracles: broken },
    );
    assert_refused!(
        env,
        vec![env.exchange, ix::proposal_pda(next)],
        env.send(&[ix], &[&admin]).await,
        VammError::InvalidOracleConfig
    );
    let action = GovernanceAction::SetOracles { market_index: 0, oracles: set };
    let id = env.queue(action.clone()).await.unwrap();
    env.wait_timelock().await;
    let market = env.markets[sol].address;
    let execute = ix::execute_proposal(&admin.pubkey(), id, &action);
    // Missing or substituted accounts: refused.
    env.publish(&primary, 100 * PRICE);
    env.publish(&secondary, 100 * PRICE);
    let mut missing = execute.clone();
    missing.accounts[5].pubkey = vamm::ID;
    assert_refused!(
        env,
        vec![market, ix::proposal_pda(id)],
        env.send(&[missing], &[&admin]).await,
        VammError::MissingOracleAccount
    );
    let mut substituted = execute.clone();
    substituted.accounts[6].pubkey = env.markets[sol].primary.address;
    assert_refused!(
        env,
        vec![market, ix::proposal_pda(id)],
        env.send(&[substituted], &[&admin]).await,
        VammError::OracleWrongAccount
    );
    env.send(&[execute], &[&admin]).await.unwrap();
    let state = env.market_state(sol).await;
    assert_eq!((state.oracle.primary, state.oracle.secondary), (primary.address, secondary.address));
    assert_eq!(state.oracle.primary_source, 2);
    // The old oracle prices nothing any more; the new ones do.
    env.refresh_oracles();
    assert_refused!(
        env,
        env.watched(&alice),
        env.close(&alice, sol, None).await,
        VammError::OracleWrongAccount
    );
    env.markets[sol].primary = primary;
    env.markets[sol].secondary = Some(secondary);
    env.close(&alice, sol, None).await.unwrap();
    env.check_invariants().await;
}

/// The old oracle died after a move beyond the jump band: switching to a
/// live source at the new level is held like any jump and accepted after
/// the confirmation time, so the market is rescued, never frozen.
#[tokio::test]
async fn an_oracle_switch_rescues_a_market_whose_source_died_mid_move() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let replacement = OracleHandle {
        address: Pubkey::new_unique(),
        source: vamm::state::OracleSource::Pyth,
        feed_id: env.markets[sol].primary.feed_id,
    };
    let set = vamm::state::OracleSet {
        primary_oracle: replacement.address,
        primary_source: replacement.source,
        primary_feed_id: replacement.feed_id,
        secondary_oracle: None,
        secondary_source: None,
        secondary_feed_id: [0; 32],
    };
    let id = env.queue(GovernanceAction::SetOracles { market_index: 0, oracles: set }).await.unwrap();
    env.wait_timelock().await;
    // The old source stops publishing; the new one prints 40, 60% below.
    env.published.clear();
    env.publish(&replacement, 40 * PRICE);
    env.execute(id).await.unwrap();
    let state = env.market_state(sol).await;
    assert_eq!(state.oracle.primary, replacement.address);
    assert!(state.price_guard.is_holding(), "a jump beyond the band is held");
    env.markets[sol].primary = replacement;
    let confirmation = state.price_guard.confirmation_secs as i64;
    env.advance_time(confirmation + 1).await;
    env.publish(&replacement, 40 * PRICE);
    env.update_twaps(sol).await.unwrap();
    let state = env.market_state(sol).await;
    assert!(!state.price_guard.is_holding());
    assert_eq!(state.oracle.last_price, 40 * PRICE);
}

#[tokio::test]
async fn execution_refuses_another_market_a_missing_treasury_and_a_spent_listing() {
    let (mut env, _) = env_with_guardian().await;
    env.add_market("BTC-PERP", 50_000 * PRICE, Oracles::Pyth).await;
    let admin = env.admin.insecure_clone();
    let id = env.queue(fee_rise(30)).await.unwrap();
    let owner = Pubkey::new_unique();
    let treasury = env.create_token_account(&env.mint.clone(), &owner).await;
    let set_treasury = GovernanceAction::SetTreasury { treasury };
    let treasury_id = env.queue(set_treasury.clone()).await.unwrap();
    env.wait_timelock().await;
    let mut other_market = ix::execute_proposal(&admin.pubkey(), id, &fee_rise(30));
    other_market.accounts[3].pubkey = env.markets[1].address;
    assert_refused!(
        env,
        vec![env.markets[0].address, env.markets[1].address, ix::proposal_pda(id)],
        env.send(&[other_market], &[&admin]).await,
        VammError::ProposalMismatch
    );
    let mut no_treasury = ix::execute_proposal(&admin.pubkey(), treasury_id, &set_treasury);
    no_treasury.accounts[4].pubkey = vamm::ID;
    assert_refused!(
        env,
        vec![env.exchange, ix::proposal_pda(treasury_id)],
        env.send(&[no_treasury], &[&admin]).await,
        VammError::WrongTreasury
    );
    // An executed proposal cannot be cancelled.
    env.execute(id).await.unwrap();
    assert_refused!(
        env,
        vec![ix::proposal_pda(id)],
        env.send(&[ix::cancel_proposal(&admin.pubkey(), id)], &[&admin]).await,
        VammError::ProposalNotQueued
    );
    // A cancelled listing never lists.
    let params = default_market_params(2, "ETH-PERP", 3_000 * PRICE, Oracles::Pyth);
    let oracle = OracleHandle {
        address: Pubkey::new_unique(),
        source: params.primary_source,
        feed_id: params.primary_feed_id,
    };
    let listing = GovernanceAction::ListMarket {
        params: params.clone(),
        primary_oracle: oracle.address,
        secondary_oracle: None,
    };
    let listing_id = env.queue(listing).await.unwrap();
    env.send(&[ix::cancel_proposal(&admin.pubkey(), listing_id)], &[&admin]).await.unwrap();
    env.wait_timelock().await;
    env.publish(&oracle, 3_000 * PRICE);
    let ix = ix::create_market(&admin.pubkey(), listing_id, params, oracle.address, None);
    assert_refused!(
        env,
        vec![env.exchange, ix::market_pda(2), ix::proposal_pda(listing_id)],
        env.send(&[ix], &[&admin]).await,
        VammError::ProposalNotQueued
    );
}

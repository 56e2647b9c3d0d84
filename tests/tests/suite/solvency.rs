//! Solvency without stranded money: every claim can be paid by a
//! permissionless instruction, settled markets pay every winner the same
//! fraction whatever the order, unbacked claims back no risk, dust can
//! always be closed, and nothing can be sent into the program's vaults.

use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::MarketStatus;
use vamm_tests::*;

/// Two winning longs and a short that cannot cover its loss, in a market
/// delisted at 115. Returns each account's pro-rata payout (what
/// `settle_pnl` paid) and its claim before payment, in the order
/// `[long_a, long_b]`, after settling positions and claims in `order`.
async fn settle_in_order(order: [usize; 3]) -> ([u64; 2], [u64; 2], u64) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let long_a = env.trader(10_000 * USDC, 2_000 * USDC).await;
    let long_b = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let short = env.trader(10_000 * USDC, 170 * USDC).await;
    env.open(&long_a, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.open(&long_b, sol, Direction::Long, TradeSize::Base(5 * BASE)).await.unwrap();
    env.open(&short, sol, Direction::Short, TradeSize::Base(15 * BASE)).await.unwrap();
    env.set_status(sol, MarketStatus::Paused).await.unwrap();
    env.advance_time(10).await;
    env.set_price(sol, 115 * PRICE);
    env.settle_market(sol).await.unwrap();

    let traders = [&long_a, &long_b, &short];
    for &i in &order {
        let cranker = env.wallet();
        let ix = ix::settle_position(&cranker.pubkey(), &env.markets[sol].address, &traders[i].account);
        env.send(&[ix], &[&cranker]).await.unwrap();
        // Nobody is paid before the market is final.
        if i < 2 {
            assert_error(env.settle_pnl(&traders[i].account, sol).await, VammError::SettlementNotFinal);
        }
    }
    // The short's unpaid loss: no insurance, no position left to bear it.
    env.resolve_bankruptcy(&short.account, sol).await.unwrap();
    let mut claims = [0u64; 2];
    for (i, trader) in traders[..2].iter().enumerate() {
        claims[i] = env.trader_state(&trader.account).await.positions[0].pending_profit;
    }
    let mut paid = [0u64; 2];
    for &i in order.iter().filter(|&&i| i < 2) {
        let before = env.trader_state(&traders[i].account).await.collateral;
        env.settle_pnl(&traders[i].account, sol).await.unwrap();
        let state = env.trader_state(&traders[i].account).await;
        paid[i] = state.collateral - before;
        assert!(state.position(0).is_none(), "the slot is freed");
        assert_error(env.settle_pnl(&traders[i].account, sol).await, VammError::NoClaim);
    }
    env.check_invariants().await;
    let market = env.market_state(sol).await;
    assert_eq!(market.pools.unpaid_profit, 0);
    assert!(market.pools.pnl_pool <= 2, "at most rounding dust stays: {}", market.pools.pnl_pool);
    (paid, claims, market.stats.claims_written_off)
}

/// The reproduction from the issue: the order in which a cranker settled
/// positions decided who was paid, and a claim left after settlement could
/// never be paid. Now every order pays the same amounts, pro rata.
#[tokio::test]
async fn a_settled_market_pays_every_winner_the_same_fraction_in_any_order() {
    let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    let mut results = Vec::new();
    for order in orders {
        results.push(settle_in_order(order).await);
    }
    let (paid, claims, written_off) = results[0];
    for (order, result) in orders.iter().zip(&results) {
        assert_eq!(*result, results[0], "settlement order {order:?} changed the payouts");
    }
    assert!(written_off > 0, "the pool could not pay everything: the test needs a shortfall");
    // The same fraction for both winners (to the unit).
    let fraction = |i: usize| paid[i] as u128 * 1_000_000_000 / claims[i] as u128;
    assert!(fraction(0).abs_diff(fraction(1)) <= 1_000_000_000 / claims[1] as u128 + 1);
    assert!(paid[0] < claims[0] && paid[1] < claims[1]);
    println!(
        "settled market: claims {:?}, paid {:?} ({}% each), written off {}",
        claims,
        paid,
        paid[0] * 100 / claims[0],
        written_off
    );
}

/// A claim the pool cannot pay yet is paid by `settle_pnl` once losers
/// fill the pool; the slot is then freed and the account can close.
#[tokio::test]
async fn settle_pnl_pays_a_waiting_claim_and_frees_the_slot() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let winner = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let loser = env.trader(10_000 * USDC, 5_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    env.open(&winner, sol, Direction::Long, TradeSize::Base(20 * BASE)).await.unwrap();
    env.open(&loser, sol, Direction::Short, TradeSize::Base(20 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 110 * PRICE);
    env.align_mark(&arb, sol, 110 * PRICE).await.unwrap();
    env.close(&winner, sol, None).await.unwrap();
    let claim = env.trader_state(&winner.account).await.positions[0].pending_profit;
    assert!(claim > 0, "the pool could not pay the whole profit");
    // The pool holds only the closing trade's fee share: pay it, then the
    // pool is empty and the claim waits.
    let pool = env.market_state(sol).await.pools.pnl_pool;
    assert!(pool < USDC);
    env.settle_pnl(&winner.account, sol).await.unwrap();
    let claim = claim - pool;
    assert_eq!(env.trader_state(&winner.account).await.positions[0].pending_profit, claim);
    let watched = env.watched(&winner);
    assert_refused!(env, watched, env.settle_pnl(&winner.account, sol).await, VammError::PnlPoolEmpty);
    assert_refused!(env, env.watched(&loser), env.settle_pnl(&loser.account, sol).await, VammError::NoClaim);

    // The loser closes: its loss fills the pool; anyone pays the claim.
    env.close(&loser, sol, None).await.unwrap();
    let collateral = env.trader_state(&winner.account).await.collateral;
    env.settle_pnl(&winner.account, sol).await.unwrap();
    let state = env.trader_state(&winner.account).await;
    assert_eq!(state.collateral, collateral + claim);
    assert!(state.position(0).is_none(), "the slot is freed");
    env.withdraw(&winner, state.collateral).await.unwrap();
    env.send(&[ix::close_trader_account(&winner.owner.pubkey(), &winner.account)], &[&winner.owner])
        .await
        .unwrap();
    env.trader_accounts.retain(|a| *a != winner.account);
    env.check_invariants().await;
}

/// A claim counts toward margin only as far as its pool could pay it.
/// (Before, a 450 USDC claim on an empty pool backed a new position as if
/// it were collateral.)
#[tokio::test]
async fn an_unbacked_claim_backs_no_new_risk() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let eth = env.add_market("ETH-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 200 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 150 * PRICE);
    env.set_price(eth, 100 * PRICE);
    env.align_mark(&arb, sol, 150 * PRICE).await.unwrap();
    env.close(&alice, sol, None).await.unwrap();
    let state = env.trader_state(&alice.account).await;
    assert!(state.positions[0].pending_profit > 400 * USDC, "a large claim on an empty pool");
    // Only the closing trade's fee share is left in the pool.
    assert!(env.market_state(sol).await.pools.pnl_pool < USDC);
    assert!(state.collateral < 300 * USDC);
    // 4,000 USDC of ETH needs ~400 USDC of initial margin: the collateral
    // alone does not have it, and the claim is backed by nothing.
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, eth, Direction::Long, TradeSize::Base(40 * BASE)).await,
        VammError::InsufficientMargin
    );
    env.open(&alice, eth, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.check_invariants().await;
}

/// Minimum sizes are the same both ways, and a position of any size can
/// be closed whole. (Before, a long of 1 base unit opened but could never
/// be closed, and the smallest short differed from the smallest long.)
#[tokio::test]
async fn dust_always_closes_and_minimum_sizes_are_symmetric() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    for direction in [Direction::Long, Direction::Short] {
        assert_refused!(
            env,
            env.watched(&alice),
            env.open(&alice, sol, direction, TradeSize::Base(1)).await,
            VammError::TradeTooSmall
        );
    }
    // 0.0001 SOL is worth 0.01 USDC: the smallest open, both ways.
    let min = BASE / 10_000;
    for direction in [Direction::Long, Direction::Short] {
        assert_refused!(
            env,
            env.watched(&alice),
            env.open(&alice, sol, direction, TradeSize::Base(min - 1)).await,
            VammError::TradeTooSmall
        );
    }
    for direction in [Direction::Short, Direction::Long] {
        env.open(&alice, sol, direction, TradeSize::Base(2 * min)).await.unwrap();
        // Reduce it to a single base unit, then close that dust whole.
        env.close(&alice, sol, Some(2 * min - 1)).await.unwrap();
        assert_eq!(env.trader_state(&alice.account).await.positions[0].base.unsigned_abs(), 1);
        env.close(&alice, sol, None).await.unwrap();
        assert!(!env.trader_state(&alice.account).await.has_base());
    }
    env.check_invariants().await;
}

/// Tokens sent into the program's own vaults would be stranded there and
/// break the vault-ledger equality.
#[tokio::test]
async fn withdraw_and_unstake_refuse_the_program_vaults() {
    let mut env = TestEnv::new().await;
    let _sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let staker = env.staker(10_000 * USDC, 1_000 * USDC).await;
    let insurance_vault = ix::insurance_vault_pda(&env.exchange);
    let owner = alice.owner.pubkey();
    let mut watched = env.watched(&alice);
    watched.push(insurance_vault);
    let ix = ix::withdraw(&owner, &alice.account, &insurance_vault, &env.mint, 10 * USDC, &[]);
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::DestinationIsProgramVault
    );
    // The collateral vault as its own destination is a duplicate writable
    // account, which Anchor refuses before the handler runs.
    let ix = ix::withdraw(&owner, &alice.account, &env.vault, &env.mint, 10 * USDC, &[]);
    let before = env.snapshot(&watched).await;
    assert_anchor_error(
        env.send(&[ix], &[&alice.owner]).await,
        anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount,
    );
    assert_eq!(env.snapshot(&watched).await, before);
    let staker_owner = staker.owner.pubkey();
    env.send(&[ix::request_unstake(&staker_owner, 1_000)], &[&staker.owner]).await.unwrap();
    env.advance_time(7 * 24 * 3_600).await;
    let mut watched = vec![staker.account, env.vault, insurance_vault, env.exchange];
    watched.push(staker.usdc);
    let ix = ix::unstake(&staker_owner, &env.vault, &env.mint, &env.all_markets());
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix], &[&staker.owner]).await,
        VammError::DestinationIsProgramVault
    );
    let ix = ix::unstake(&staker_owner, &insurance_vault, &env.mint, &env.all_markets());
    assert_anchor_error(
        env.send(&[ix], &[&staker.owner]).await,
        anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount,
    );
    env.check_invariants().await;
}

/// A dust position on the bearing side is charged at most 10% of the price
/// per base unit by a socialised loss; the rest is recorded as
/// unrecovered. (Before, it could be charged thousands of times its value.)
#[tokio::test]
async fn socialised_losses_are_capped_per_base_unit() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let gambler = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let dust = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let arb = env.trader(1_000_000 * USDC, 200_000 * USDC).await;
    let keeper = env.keeper().await;
    env.open(&gambler, sol, Direction::Long, TradeSize::Base(90 * BASE)).await.unwrap();
    env.open(&dust, sol, Direction::Short, TradeSize::Base(BASE / 1_000)).await.unwrap();
    env.align_mark(&arb, sol, 100 * PRICE).await.unwrap();
    env.advance_time(5).await;
    env.set_price(sol, 80 * PRICE);
    env.align_mark(&arb, sol, 80 * PRICE).await.unwrap();
    env.liquidate_fully(&keeper, &gambler, sol).await;
    // The arbitrageur closes its short so only the dust short bears losses.
    env.close(&arb, sol, None).await.unwrap();
    let deficit = env.trader_state(&gambler.account).await.positions[0].unpaid_loss;
    assert!(deficit > 100 * USDC, "a real bad debt and no insurance: {deficit}");
    let short_base = env.market_state(sol).await.amm.base_short.unsigned_abs();
    env.resolve_bankruptcy(&gambler.account, sol).await.unwrap();
    let market = env.market_state(sol).await;
    let cap = 80 * PRICE / 10 * short_base / BASE;
    assert!(market.stats.bad_debt_socialised <= cap, "{} > cap {cap}", market.stats.bad_debt_socialised);
    assert!(market.stats.bad_debt_socialised > 0, "the dust short bore its capped share");
    assert!(market.stats.bad_debt_unrecovered > 0, "the rest is recorded as unrecovered");
    assert_eq!(market.stats.bad_debt_socialised + market.stats.bad_debt_unrecovered, deficit);
    assert_eq!((market.pools.unpaid_loss_long, market.pools.unpaid_loss_short), (0, 0));
    env.close(&dust, sol, None).await.unwrap();
    env.check_invariants().await;
}

/// Paper profit is not collateral (the October 2022 Mango drain): a long
/// in a thin market whose oracle is pumped twentyfold (held, then
/// confirmed as a new level) cannot back a large position elsewhere with
/// that profit. It counts only at the stable price, which moves at most
/// 20% an hour, and at the market's weight. (Before, the whole profit at
/// the pumped oracle backed new risk.)
#[tokio::test]
async fn paper_profit_on_a_pumped_thin_market_backs_no_new_risk() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let mut meme_params = default_market_params(1, "MEME-PERP", PRICE, Oracles::Pyth);
    meme_params.max_price = 50 * PRICE;
    meme_params.sqrt_k = 100_000 * BASE as u128;
    let meme = env.add_market_with(meme_params, PRICE).await.unwrap();
    let attacker = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&attacker, meme, Direction::Long, TradeSize::Base(500 * BASE)).await.unwrap();

    // The thin oracle prints 20 and holds there: the guard confirms it.
    env.advance_time(5).await;
    env.set_price(meme, 20 * PRICE);
    env.set_price(sol, 100 * PRICE);
    env.update_twaps(meme).await.unwrap();
    env.advance_time(60).await;
    env.set_price(meme, 20 * PRICE);
    env.set_price(sol, 100 * PRICE);
    env.update_twaps(meme).await.unwrap();
    let market = env.market_state(meme).await;
    assert_eq!(market.price_guard.holds_confirmed, 1, "the pump is the market's price now");
    assert!(market.stable_price.price < PRICE * 101 / 100, "the stable price barely moved");

    // ~9,500 USDC of paper profit at the oracle; 20,000 USDC of SOL needs
    // ~2,300 of initial margin, the MEME position ~1,100 more.
    assert_refused!(
        env,
        env.watched(&attacker),
        env.open(&attacker, sol, Direction::Long, TradeSize::Quote(20_000 * USDC)).await,
        VammError::InsufficientMargin
    );
    // Nor can it be withdrawn.
    let collateral = env.trader_state(&attacker.account).await.collateral;
    assert_refused!(
        env,
        env.watched(&attacker),
        env.withdraw(&attacker, collateral + 1).await,
        VammError::InsufficientFreeCollateral
    );
    env.check_invariants().await;
}

//! Every way a trading instruction must refuse, each with its error code
//! and no state change.

use anchor_lang::error::ErrorCode as AnchorError;
use solana_signer::Signer;
use vamm::error::VammError;
use vamm::instructions::{ClosePositionParams, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm_tests::*;

async fn env_with_market() -> (TestEnv, usize) {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    (env, sol)
}

fn long(size: TradeSize) -> OpenPositionParams {
    OpenPositionParams { direction: Direction::Long, size, limit_price: u64::MAX, reduce_only: false }
}

#[tokio::test]
async fn trade_signed_by_a_stranger_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 1_000 * USDC).await;
    let stranger = env.wallet();
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.authority = stranger.pubkey();
    let ix = ix::open_position(&accounts, long(TradeSize::Base(BASE)));
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&stranger]).await,
        VammError::NotOwnerOrDelegate
    );
}

#[tokio::test]
async fn trade_without_the_authority_signature_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 1_000 * USDC).await;
    let accounts = env.trade_accounts(&alice, sol).await;
    let mut ix = ix::open_position(&accounts, long(TradeSize::Base(BASE)));
    ix.accounts[0].is_signer = false;
    let watched = env.watched(&alice);
    let before = env.snapshot(&watched).await;
    assert_anchor_error(env.send(&[ix], &[]).await, AnchorError::AccountNotSigner);
    assert_eq!(env.snapshot(&watched).await, before);
}

#[tokio::test]
async fn withdraw_from_someone_elses_account_is_refused() {
    let (mut env, _) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 1_000 * USDC).await;
    let mallory = env.trader(1_000 * USDC, 0).await;
    let ix = ix::withdraw(&mallory.owner.pubkey(), &alice.account, &mallory.usdc, &env.mint, USDC, &[]);
    assert_refused!(env, env.watched(&alice), env.send(&[ix], &[&mallory.owner]).await, VammError::NotOwner);
}

#[tokio::test]
async fn trade_on_someone_elses_account_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 1_000 * USDC).await;
    let mallory = env.trader(1_000 * USDC, 0).await;
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.authority = mallory.owner.pubkey();
    let ix = ix::open_position(&accounts, long(TradeSize::Base(BASE)));
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&mallory.owner]).await,
        VammError::NotOwnerOrDelegate
    );
}

#[tokio::test]
async fn deposit_from_another_mint_is_refused() {
    let (mut env, _) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 0).await;
    let fake_mint = env.create_mint(6).await;
    let fake_usdc = env.create_token_account(&fake_mint, &alice.owner.pubkey()).await;
    let ix = ix::deposit(&alice.owner.pubkey(), &alice.account, &fake_usdc, &env.mint, USDC);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::WrongCollateralMint
    );
    // Naming the fake mint as collateral mint does not help either.
    let ix = ix::deposit(&alice.owner.pubkey(), &alice.account, &fake_usdc, &fake_mint, USDC);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::WrongCollateralMint
    );
}

#[tokio::test]
async fn withdraw_to_another_mint_is_refused() {
    let (mut env, _) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    let fake_mint = env.create_mint(6).await;
    let fake_usdc = env.create_token_account(&fake_mint, &alice.owner.pubkey()).await;
    let ix = ix::withdraw(&alice.owner.pubkey(), &alice.account, &fake_usdc, &env.mint, USDC, &[]);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::WrongCollateralMint
    );
}

#[tokio::test]
async fn deposit_into_a_fake_vault_is_refused() {
    let (mut env, _) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 0).await;
    let mallory = env.wallet();
    let fake_vault = env.create_token_account(&env.mint.clone(), &mallory.pubkey()).await;
    let mut ix = ix::deposit(&alice.owner.pubkey(), &alice.account, &alice.usdc, &env.mint, USDC);
    ix.accounts[4].pubkey = fake_vault;
    let mut watched = env.watched(&alice);
    watched.push(fake_vault);
    assert_refused!(env, watched, env.send(&[ix], &[&alice.owner]).await, VammError::WrongVault);
}

#[tokio::test]
async fn withdraw_from_a_fake_vault_is_refused() {
    let (mut env, _) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    let fake_vault = env.create_token_account(&env.mint.clone(), &alice.owner.pubkey()).await;
    let mut ix = ix::withdraw(&alice.owner.pubkey(), &alice.account, &alice.usdc, &env.mint, USDC, &[]);
    ix.accounts[4].pubkey = fake_vault;
    assert_refused!(env, env.watched(&alice), env.send(&[ix], &[&alice.owner]).await, VammError::WrongVault);
}

#[tokio::test]
async fn deposit_from_a_token_account_the_signer_does_not_own_is_refused() {
    let (mut env, _) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 0).await;
    let bob = env.trader(1_000 * USDC, 0).await;
    let ix = ix::deposit(&alice.owner.pubkey(), &alice.account, &bob.usdc, &env.mint, USDC);
    let mut watched = env.watched(&alice);
    watched.push(bob.usdc);
    assert_refused!(env, watched, env.send(&[ix], &[&alice.owner]).await, VammError::WrongTokenAccountOwner);
}

#[tokio::test]
async fn trader_account_owned_by_another_program_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    // A byte-for-byte copy of Alice's account, owned by the token program.
    let mut copy = env.account(&alice.account).await.unwrap();
    copy.owner = spl_token_interface::ID;
    let forged = solana_pubkey::Pubkey::new_unique();
    env.write_account(&forged, copy);
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.trader_account = forged;
    let ix = ix::open_position(&accounts, long(TradeSize::Base(BASE)));
    let watched = env.watched(&alice);
    let before = env.snapshot(&watched).await;
    assert_anchor_error(env.send(&[ix], &[&alice.owner]).await, AnchorError::AccountOwnedByWrongProgram);
    let ix = ix::withdraw(&alice.owner.pubkey(), &forged, &alice.usdc, &env.mint, USDC, &[]);
    assert_anchor_error(env.send(&[ix], &[&alice.owner]).await, AnchorError::AccountOwnedByWrongProgram);
    assert_eq!(env.snapshot(&watched).await, before);
}

#[tokio::test]
async fn market_owned_by_another_program_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    let mut copy = env.account(&env.markets[sol].address.clone()).await.unwrap();
    copy.owner = spl_token_interface::ID;
    let forged = solana_pubkey::Pubkey::new_unique();
    env.write_account(&forged, copy);
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.market = forged;
    let ix = ix::open_position(&accounts, long(TradeSize::Base(BASE)));
    assert_anchor_error(env.send(&[ix], &[&alice.owner]).await, AnchorError::AccountOwnedByWrongProgram);
}

#[tokio::test]
async fn zero_amounts_are_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    let watched = env.watched(&alice);
    assert_refused!(env, watched.clone(), env.deposit(&alice, 0).await, VammError::ZeroAmount);
    assert_refused!(env, watched.clone(), env.withdraw(&alice, 0).await, VammError::ZeroAmount);
    assert_refused!(
        env,
        watched.clone(),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(0)).await,
        VammError::ZeroAmount
    );
    assert_refused!(
        env,
        watched.clone(),
        env.open(&alice, sol, Direction::Short, TradeSize::Quote(0)).await,
        VammError::ZeroAmount
    );
    env.open(&alice, sol, Direction::Long, TradeSize::Base(BASE)).await.unwrap();
    assert_refused!(env, env.watched(&alice), env.close(&alice, sol, Some(0)).await, VammError::ZeroAmount);
}

#[tokio::test]
async fn max_amounts_are_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    let watched = env.watched(&alice);
    assert_refused!(env, watched.clone(), env.deposit(&alice, u64::MAX).await, VammError::AmountTooLarge);
    assert_refused!(
        env,
        watched.clone(),
        env.withdraw(&alice, u64::MAX).await,
        VammError::InsufficientFreeCollateral
    );
    assert_refused!(
        env,
        watched.clone(),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(u64::MAX)).await,
        VammError::AmountTooLarge
    );
    assert_refused!(
        env,
        watched.clone(),
        env.open(&alice, sol, Direction::Long, TradeSize::Quote(u64::MAX)).await,
        VammError::AmmRangeExceeded
    );
    assert_refused!(
        env,
        watched.clone(),
        env.open(&alice, sol, Direction::Short, TradeSize::Quote(u64::MAX)).await,
        VammError::AmmRangeExceeded
    );
    assert_refused!(
        env,
        watched,
        env.open(&alice, sol, Direction::Short, TradeSize::Base(i64::MAX as u64)).await,
        VammError::AmmRangeExceeded
    );
}

#[tokio::test]
async fn dust_trade_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(1_000 * USDC, 100 * USDC).await;
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Short, TradeSize::Base(1)).await,
        VammError::TradeTooSmall
    );
}

#[tokio::test]
async fn limit_price_exceeded_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    // 5 SOL costs a little above 100 on this curve.
    let params = OpenPositionParams { limit_price: 100 * PRICE, ..long(TradeSize::Base(5 * BASE)) };
    assert_refused!(
        env,
        env.watched(&alice),
        env.open_with(&alice, sol, params).await,
        VammError::LimitPriceExceeded
    );
    let short = OpenPositionParams { direction: Direction::Short, limit_price: 100 * PRICE, ..params };
    assert_refused!(
        env,
        env.watched(&alice),
        env.open_with(&alice, sol, short).await,
        VammError::LimitPriceExceeded
    );
    // A limit the fill respects is accepted.
    let ok = OpenPositionParams { limit_price: 101 * PRICE, ..params };
    env.open_with(&alice, sol, ok).await.unwrap();
    // Closing with a limit above the bid is refused too.
    let accounts = env.trade_accounts(&alice, sol).await;
    let close = ClosePositionParams { base_amount: None, limit_price: Some(101 * PRICE) };
    let ix = ix::close_position(&accounts, close);
    assert_refused!(
        env,
        env.watched(&alice),
        env.send(&[ix], &[&alice.owner]).await,
        VammError::LimitPriceExceeded
    );
    env.check_invariants().await;
}

#[tokio::test]
async fn leverage_above_the_maximum_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 100 * USDC).await;
    // 10% initial margin: 100 USDC carries at most ~1,000 USDC of notional.
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Quote(1_100 * USDC)).await,
        VammError::InsufficientMargin
    );
    env.open(&alice, sol, Direction::Long, TradeSize::Quote(900 * USDC)).await.unwrap();
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Quote(200 * USDC)).await,
        VammError::InsufficientMargin
    );
    env.check_invariants().await;
}

#[tokio::test]
async fn withdraw_more_than_free_collateral_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(50 * BASE)).await.unwrap();
    // ~5,000 notional at 10% ties up ~500; fees and spread are ~5 more.
    assert_refused!(
        env,
        env.watched(&alice),
        env.withdraw(&alice, 600 * USDC).await,
        VammError::InsufficientFreeCollateral
    );
    env.withdraw(&alice, 400 * USDC).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn unrealised_profit_cannot_be_withdrawn() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.set_price(sol, 150 * PRICE);
    let state = env.trader_state(&alice.account).await;
    // Requirement at 150: 10% of 1,500 = 150; profit (~500) never counts.
    let free = state.collateral - 150 * USDC;
    assert_refused!(
        env,
        env.watched(&alice),
        env.withdraw(&alice, free + 1).await,
        VammError::InsufficientFreeCollateral
    );
    env.withdraw(&alice, free).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn reduce_only_that_would_increase_or_flip_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    env.open(&alice, sol, Direction::Long, TradeSize::Base(2 * BASE)).await.unwrap();
    let increase = OpenPositionParams { reduce_only: true, ..long(TradeSize::Base(BASE)) };
    assert_refused!(
        env,
        env.watched(&alice),
        env.open_with(&alice, sol, increase).await,
        VammError::ReduceOnlyWouldIncrease
    );
    let flip = OpenPositionParams {
        direction: Direction::Short,
        limit_price: 0,
        reduce_only: true,
        size: TradeSize::Base(3 * BASE),
    };
    assert_refused!(
        env,
        env.watched(&alice),
        env.open_with(&alice, sol, flip).await,
        VammError::ReduceOnlyWouldIncrease
    );
    let reduce = OpenPositionParams { size: TradeSize::Base(BASE), ..flip };
    env.open_with(&alice, sol, reduce).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn closing_a_position_that_does_not_exist_is_refused() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    assert_refused!(env, env.watched(&alice), env.close(&alice, sol, None).await, VammError::NoPosition);
    env.open(&alice, sol, Direction::Short, TradeSize::Base(BASE)).await.unwrap();
    assert_refused!(
        env,
        env.watched(&alice),
        env.close(&alice, sol, Some(BASE + 1)).await,
        VammError::CloseExceedsPosition
    );
}

#[tokio::test]
async fn trades_beyond_the_curve_range_are_refused() {
    let (mut env, sol) = env_with_market().await;
    let whale = env.trader(100_000_000 * USDC, 50_000_000 * USDC).await;
    // The range tops out at 2x the peg: X can shrink to X/sqrt(2), ~2,929 SOL.
    assert_refused!(
        env,
        env.watched(&whale),
        env.open(&whale, sol, Direction::Long, TradeSize::Base(3_000 * BASE)).await,
        VammError::AmmRangeExceeded
    );
}

#[tokio::test]
async fn open_interest_and_position_caps_are_enforced() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.max_position_notional = 1_000 * USDC;
    params.max_open_interest = 1_500 * USDC;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let alice = env.trader(100_000 * USDC, 10_000 * USDC).await;
    let bob = env.trader(100_000 * USDC, 10_000 * USDC).await;
    assert_refused!(
        env,
        env.watched(&alice),
        env.open(&alice, sol, Direction::Long, TradeSize::Base(11 * BASE)).await,
        VammError::PositionCapExceeded
    );
    env.open(&alice, sol, Direction::Long, TradeSize::Base(9 * BASE)).await.unwrap();
    assert_refused!(
        env,
        env.watched(&bob),
        env.open(&bob, sol, Direction::Long, TradeSize::Base(7 * BASE)).await,
        VammError::OpenInterestCapExceeded
    );
    // The other side has its own cap.
    env.open(&bob, sol, Direction::Short, TradeSize::Base(9 * BASE)).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn risk_increasing_trade_that_drags_the_mark_away_from_the_oracle_is_refused() {
    let mut env = TestEnv::new().await;
    let mut params = default_market_params(0, "SOL-PERP", 100 * PRICE, Oracles::Pyth);
    params.mark_oracle_band_bps = 100;
    let sol = env.add_market_with(params, 100 * PRICE).await.unwrap();
    let whale = env.trader(10_000_000 * USDC, 1_000_000 * USDC).await;
    // ~50 SOL on a 10,000 SOL curve moves the mark ~1%.
    assert_refused!(
        env,
        env.watched(&whale),
        env.open(&whale, sol, Direction::Long, TradeSize::Base(80 * BASE)).await,
        VammError::MarkOracleDivergence
    );
    env.open(&whale, sol, Direction::Long, TradeSize::Base(40 * BASE)).await.unwrap();
    // The oracle rises: a long that moves the mark towards it is fine even
    // though the gap stays outside the band.
    env.set_price(sol, 110 * PRICE);
    env.open(&whale, sol, Direction::Long, TradeSize::Base(10 * BASE)).await.unwrap();
    env.check_invariants().await;
}

#[tokio::test]
async fn delegate_may_trade_but_never_withdraw() {
    let (mut env, sol) = env_with_market().await;
    let alice = env.trader(10_000 * USDC, 1_000 * USDC).await;
    let bot = env.wallet();
    env.send(&[ix::set_delegate(&alice.owner.pubkey(), &alice.account, bot.pubkey())], &[&alice.owner])
        .await
        .unwrap();
    let mut accounts = env.trade_accounts(&alice, sol).await;
    accounts.authority = bot.pubkey();
    env.send(&[ix::open_position(&accounts, long(TradeSize::Base(BASE)))], &[&bot]).await.unwrap();
    let bot_usdc = env.create_token_account(&env.mint.clone(), &bot.pubkey()).await;
    let remaining = env.valuation_accounts(&alice.account, None).await;
    let ix = ix::withdraw(&bot.pubkey(), &alice.account, &bot_usdc, &env.mint, USDC, &remaining);
    assert_refused!(env, env.watched(&alice), env.send(&[ix], &[&bot]).await, VammError::NotOwner);
    // Only the owner sets the delegate.
    let ix = ix::set_delegate(&bot.pubkey(), &alice.account, bot.pubkey());
    assert_refused!(env, env.watched(&alice), env.send(&[ix], &[&bot]).await, VammError::NotOwner);
    env.check_invariants().await;
}

//! The exchange's address lookup table: `set_lookup_table` (admin only,
//! a real table only), and the worst-case account that a validator would
//! refuse to let withdraw with a legacy message, which withdraws once the
//! client compiles against the table.

use solana_address_lookup_table_interface::instruction::{create_lookup_table, deactivate_lookup_table};
use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::error::VammError;
use vamm::math::amm::{Direction, TradeSize};
use vamm_client::transport::local::LocalError;
use vamm_client::{ix, lookup_table, Transport};
use vamm_tests::*;

/// A lookup table created by `authority` at the bank's newest slot.
async fn new_table(env: &mut TestEnv, authority: &solana_keypair::Keypair) -> Pubkey {
    let slot_hashes =
        env.account(&solana_pubkey::pubkey!("SysvarS1otHashes111111111111111111111111111")).await;
    let newest = u64::from_le_bytes(slot_hashes.expect("SlotHashes").data[8..16].try_into().unwrap());
    let (create, table) = create_lookup_table(authority.pubkey(), env.rt.payer(), newest);
    env.send(&[create], &[authority]).await.expect("create a lookup table");
    table
}

#[tokio::test]
async fn only_the_admin_points_the_exchange_and_only_at_a_lookup_table() {
    let mut env = TestEnv::new().await;
    let admin = env.admin.insecure_clone();
    let stranger = env.wallet();
    let table = new_table(&mut env, &admin).await;
    let watched = vec![env.exchange];

    let by_stranger = ix::set_lookup_table(&stranger.pubkey(), table);
    assert_refused!(env, watched.clone(), env.send(&[by_stranger], &[&stranger]).await, VammError::NotAdmin);
    // Any account not owned by the table program: here the vault.
    let not_a_table = ix::set_lookup_table(&admin.pubkey(), env.vault);
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[not_a_table], &[&admin]).await,
        VammError::NotALookupTable
    );
    // A table given, but not the one named.
    let other = new_table(&mut env, &admin).await;
    let mut mismatched = ix::set_lookup_table(&admin.pubkey(), table);
    mismatched.accounts[2] = AccountMeta::new_readonly(other, false);
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[mismatched], &[&admin]).await,
        VammError::NotALookupTable
    );
    // A key named without its account (the optional account left out).
    let mut missing = ix::set_lookup_table(&admin.pubkey(), table);
    missing.accounts[2] = AccountMeta::new_readonly(vamm::ID, false);
    assert_refused!(env, watched.clone(), env.send(&[missing], &[&admin]).await, VammError::NotALookupTable);

    env.send(&[ix::set_lookup_table(&admin.pubkey(), table)], &[&admin]).await.unwrap();
    assert_eq!(env.exchange_state().await.lookup_table, table);
    env.send(&[ix::set_lookup_table(&admin.pubkey(), Pubkey::default())], &[&admin]).await.unwrap();
    assert_eq!(env.exchange_state().await.lookup_table, Pubkey::default());
}

/// The withdrawal the review measured at 1,324 bytes: 8 positions, each
/// market with a Pyth and a Switchboard oracle, a separate fee payer and
/// both compute-budget instructions.
fn withdrawal(env: &TestEnv, trader: &Trader, remaining: &[Pubkey]) -> Instruction {
    ix::withdraw(&trader.owner.pubkey(), &trader.account, &trader.usdc, &env.mint, USDC, remaining)
}

#[tokio::test]
async fn eight_positions_with_two_oracles_each_withdraw_through_the_lookup_table() {
    let mut env = TestEnv::new().await;
    for i in 0..8u64 {
        env.add_market(&format!("M{i}-PERP"), (10 + i) * PRICE, Oracles::PythAndSwitchboard).await;
    }
    let trader = env.trader(100_000 * USDC, 10_000 * USDC).await;
    for market in 0..8 {
        env.open(&trader, market, Direction::Long, TradeSize::Quote(100 * USDC)).await.unwrap();
    }
    let remaining = env.valuation_accounts(&trader.account, None).await;
    assert_eq!(remaining.len(), 24);

    // Without a table a validator drops it: refused before it is sent.
    let refused = env.rt.process(&[withdrawal(&env, &trader, &remaining)], &[&trader.owner]).await;
    let Err(LocalError::TooLarge { bytes, limit }) = refused else {
        panic!("not refused for size: {refused:?}")
    };
    // 1,324 bytes with a priority-fee instruction; the runtime adds none.
    assert_eq!((bytes, limit), (1_312, 1_232));
    let before = env.token_balance(&trader.usdc).await;

    // The deploy step's table sync, then the client compiles against it.
    let admin = env.admin.insecure_clone();
    let report = lookup_table::sync(&mut env.rt, &admin).await.unwrap();
    assert!(report.created);
    // Six exchange-wide keys (no treasury) and 8 x (market + 2 oracles).
    assert_eq!((report.added, report.held), (6 + 24, 30));
    assert_eq!(lookup_table::use_exchange_table(&mut env.rt).await.unwrap(), 30);
    env.send(&[withdrawal(&env, &trader, &remaining)], &[&trader.owner]).await.unwrap();
    assert_eq!(env.token_balance(&trader.usdc).await, before + USDC);

    // A second sync finds nothing to add; a new listing is appended.
    let again = lookup_table::sync(&mut env.rt, &admin).await.unwrap();
    assert_eq!((again.created, again.added, again.held), (false, 0, 30));
    env.add_market("M8-PERP", 20 * PRICE, Oracles::Pyth).await;
    let extended = lookup_table::sync(&mut env.rt, &admin).await.unwrap();
    assert_eq!((extended.table, extended.added, extended.held), (report.table, 2, 32));
}

#[tokio::test]
async fn a_table_the_admin_cannot_extend_is_replaced_not_reused() {
    let mut env = TestEnv::new().await;
    env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let admin = env.admin.insecure_clone();
    // A table whose authority is someone else (a previous admin's).
    let previous_admin = env.wallet();
    let foreign = new_table(&mut env, &previous_admin).await;
    env.send(&[ix::set_lookup_table(&admin.pubkey(), foreign)], &[&admin]).await.unwrap();

    let report = lookup_table::sync(&mut env.rt, &admin).await.unwrap();
    assert!(report.created);
    assert_ne!(report.table, foreign);
    assert_eq!(env.exchange_state().await.lookup_table, report.table);
    // Only the admin may sync.
    let stranger = env.wallet();
    assert!(lookup_table::sync(&mut env.rt, &stranger).await.is_err());

    // The admin's own table, deactivated (it refuses extensions): replaced too.
    env.send(&[deactivate_lookup_table(report.table, admin.pubkey())], &[&admin]).await.unwrap();
    let replaced = lookup_table::sync(&mut env.rt, &admin).await.unwrap();
    assert!(replaced.created);
    assert_ne!(replaced.table, report.table);
    assert_eq!(env.exchange_state().await.lookup_table, replaced.table);
    // And the new one is complete: a second sync adds nothing.
    assert_eq!(lookup_table::sync(&mut env.rt, &admin).await.unwrap().added, 0);
}

//! Who governs: the exchange is initialised only by the program's upgrade
//! authority (with a 6-decimal collateral mint); the admin hands over in
//! two steps (propose, accept; cancellable) and appoints the guardian.

use solana_account::Account;
use solana_signer::Signer;
use vamm::error::VammError;
use vamm::state::GovernanceAction;
use vamm::state::MarketStatus;
use vamm_tests::*;

/// The account a deploy writes, with its variant tag and owner replaced.
fn program_data(
    tag: u32,
    authority: Option<&solana_pubkey::Pubkey>,
    owner: solana_pubkey::Pubkey,
) -> Account {
    let mut account = vamm_client::transport::local::program_data_account(authority);
    account.data[..4].copy_from_slice(&tag.to_le_bytes());
    account.owner = owner;
    account
}

#[tokio::test]
async fn only_the_upgrade_authority_initialises_the_exchange() {
    let mut env = TestEnv::bare().await;
    let admin = env.admin.insecure_clone();
    let loader = anchor_lang::solana_program::bpf_loader_upgradeable::ID;
    let address = ix::program_data_address();
    let watched = vec![env.exchange, address];

    // Anyone else is refused.
    let intruder = env.wallet();
    let ix = ix::initialize_exchange(&intruder.pubkey(), &env.mint, intruder.pubkey());
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix], &[&intruder]).await,
        VammError::NotUpgradeAuthority
    );

    // A program-data account the loader does not own, an immutable
    // program, a buffer instead of program data: refused.
    let init = ix::initialize_exchange(&admin.pubkey(), &env.mint, admin.pubkey());
    for (account, case) in [
        (program_data(3, Some(&admin.pubkey()), solana_pubkey::Pubkey::new_unique()), "foreign owner"),
        (program_data(3, None, loader), "immutable"),
        (program_data(1, Some(&admin.pubkey()), loader), "buffer"),
    ] {
        env.write_account(&address, account);
        let result = env.send(std::slice::from_ref(&init), &[&admin]).await;
        assert_error(result, VammError::NotUpgradeAuthority);
        assert!(env.account(&env.exchange.clone()).await.is_none(), "{case}");
    }
    // The right program data at another address: refused.
    env.rt.set_upgrade_authority(Some(&admin.pubkey()));
    let mut wrong_address = init.clone();
    let fake = solana_pubkey::Pubkey::new_unique();
    env.write_account(&fake, program_data(3, Some(&admin.pubkey()), loader));
    wrong_address.accounts[1].pubkey = fake;
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[wrong_address], &[&admin]).await,
        VammError::NotUpgradeAuthority
    );
    // A collateral mint without 6 decimals: refused.
    let mint_authority = env.wallet();
    let nine = env.rt.create_mint(&mint_authority.pubkey(), 9).await.unwrap();
    let ix = ix::initialize_exchange(&admin.pubkey(), &nine, admin.pubkey());
    assert_refused!(
        env,
        watched.clone(),
        env.send(&[ix], &[&admin]).await,
        VammError::WrongCollateralDecimals
    );

    env.send(&[init], &[&admin]).await.unwrap();
    assert_eq!(env.exchange_state().await.admin, admin.pubkey());
}

#[tokio::test]
async fn the_admin_hands_over_in_two_steps() {
    let mut env = TestEnv::new().await;
    let old = env.admin.insecure_clone();
    let next = env.wallet();
    let stranger = env.wallet();
    let watched = vec![env.exchange];

    // Only the admin proposes; nothing to accept or cancel yet.
    let ix = ix::propose_admin(&stranger.pubkey(), stranger.pubkey());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&stranger]).await, VammError::NotAdmin);
    let ix = ix::accept_admin(&next.pubkey());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&next]).await, VammError::NotPendingAdmin);
    let ix = ix::propose_admin(&old.pubkey(), solana_pubkey::Pubkey::default());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&old]).await, VammError::NotPendingAdmin);

    // A proposal can be cancelled; nobody can accept it afterwards.
    env.send(&[ix::propose_admin(&old.pubkey(), stranger.pubkey())], &[&old]).await.unwrap();
    assert_eq!(env.exchange_state().await.pending_admin, stranger.pubkey());
    env.send(&[ix::propose_admin(&old.pubkey(), solana_pubkey::Pubkey::default())], &[&old]).await.unwrap();
    let ix = ix::accept_admin(&stranger.pubkey());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&stranger]).await, VammError::NotPendingAdmin);

    // Proposed, only the proposed key accepts.
    env.send(&[ix::propose_admin(&old.pubkey(), next.pubkey())], &[&old]).await.unwrap();
    let ix = ix::accept_admin(&stranger.pubkey());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&stranger]).await, VammError::NotPendingAdmin);
    assert_eq!(env.exchange_state().await.admin, old.pubkey());
    env.send(&[ix::accept_admin(&next.pubkey())], &[&next]).await.unwrap();
    let exchange = env.exchange_state().await;
    assert_eq!((exchange.admin, exchange.pending_admin), (next.pubkey(), solana_pubkey::Pubkey::default()));

    // The old admin has lost every power; the new one has them.
    let cooldown = GovernanceAction::SetUnstakeCooldown { cooldown_secs: 86_400 };
    let ix = ix::queue_proposal(&old.pubkey(), 0, cooldown.clone());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&old]).await, VammError::NotAdmin);
    env.admin = next;
    env.enact(vec![cooldown]).await.unwrap();
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    assert_eq!(env.market_state(sol).await.status().unwrap(), MarketStatus::Active);
}

#[tokio::test]
async fn the_admin_appoints_the_guardian() {
    let mut env = TestEnv::new().await;
    let sol = env.add_market("SOL-PERP", 100 * PRICE, Oracles::Pyth).await;
    let admin = env.admin.insecure_clone();
    let guardian = env.wallet();
    let market = env.markets[sol].address;
    let watched = vec![env.exchange, market];

    let ix = ix::set_guardian(&guardian.pubkey(), guardian.pubkey());
    assert_refused!(env, watched.clone(), env.send(&[ix], &[&guardian]).await, VammError::NotAdmin);
    let pause = ix::set_market_status(&guardian.pubkey(), &market, MarketStatus::Paused);
    assert_refused!(
        env,
        watched.clone(),
        env.send(std::slice::from_ref(&pause), &[&guardian]).await,
        VammError::NotAdmin
    );

    env.send(&[ix::set_guardian(&admin.pubkey(), guardian.pubkey())], &[&admin]).await.unwrap();
    assert_eq!(env.exchange_state().await.guardian, guardian.pubkey());
    env.send(&[pause], &[&guardian]).await.unwrap();
    assert_eq!(env.market_state(sol).await.status().unwrap(), MarketStatus::Paused);
    // The guardian may only pause.
    let resume = ix::set_market_status(&guardian.pubkey(), &market, MarketStatus::Active);
    assert_error(env.send(&[resume], &[&guardian]).await, VammError::GuardianMayOnlyPause);

    // Removed, it can do nothing.
    env.send(&[ix::set_guardian(&admin.pubkey(), solana_pubkey::Pubkey::default())], &[&admin])
        .await
        .unwrap();
    env.send(&[ix::set_market_status(&admin.pubkey(), &market, MarketStatus::Active)], &[&admin])
        .await
        .unwrap();
    let pause = ix::set_market_status(&guardian.pubkey(), &market, MarketStatus::Paused);
    assert_refused!(env, watched.clone(), env.send(&[pause], &[&guardian]).await, VammError::NotAdmin);
}

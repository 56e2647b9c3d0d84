//! The deploy the validator starts from. Listings go through the
//! governance timelock (at least an hour, 24 hours on a new exchange) and
//! a validator's clock follows the wall clock, so the deploy runs first in
//! the in-process runtime, whose clock can move: the exchange initialised
//! a timelock delay before the listing, the sandbox's markets (SOL, BTC,
//! ETH) queued then and executed an hour and a minute before the
//! validator starts (`LISTED_SECS_AGO`), the insurance fund staked, a
//! keeper's and a newcomer's wallets funded. Every account it leaves (exchange, markets,
//! vaults, mint, wallets, oracles) becomes a genesis account of the
//! validator, as a cluster forked from a snapshot would hold them; the
//! lookup table is left out and made over JSON-RPC (its addresses activate
//! by the slots of the chain that holds it).

use solana_account::AccountSharedData;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::state::GovernanceAction;
use vamm_client::deploy::{market_file, DeployFile};
use vamm_client::transport::local::{associated_token_address, LocalState};
use vamm_client::{governance, ix, Transport};
use vamm_sandbox::chain::{err, Chain, Oracle, Wallet, USDC};
use vamm_sandbox::markets::{listing, specs};
use vamm_sandbox::rng::Rng;

/// SOL each funded wallet starts with, in lamports.
pub const WALLET_LAMPORTS: u64 = 1_000 * 1_000_000_000;
/// USDC the newcomer's wallet holds, quote native.
pub const NEWCOMER_USDC: u64 = 100_000 * USDC;
/// What the keeper deposits into its trader account, quote native.
pub const KEEPER_DEPOSIT: u64 = 250_000 * USDC;
/// The unstake cooldown the pending proposal sets: three days.
pub const PENDING_UNSTAKE_COOLDOWN_SECS: u32 = 3 * 86_400;
/// The insurance fund staked at deploy, quote native.
pub const INSURANCE_STAKE: u64 = 25_000 * USDC;

/// A listed market and the oracle accounts the publisher writes.
#[derive(Clone, Debug)]
pub struct DeployedMarket {
    pub index: u16,
    pub name: String,
    /// `PRICE_PRECISION`.
    pub listing_price: u64,
    pub oracles: Vec<Oracle>,
}

pub struct Deployment {
    pub admin: Keypair,
    pub mint_authority: Keypair,
    pub mint: Pubkey,
    /// Pays for and signs the oracle stand-ins' writes.
    pub publisher: Keypair,
    /// SOL and USDC (in its associated token account), no trader account.
    pub newcomer: Keypair,
    /// A trader account (sub-account 0) holding `KEEPER_DEPOSIT`.
    pub keeper: Keypair,
    pub markets: Vec<DeployedMarket>,
    /// A proposal already executable: the unstake cooldown set to
    /// `PENDING_UNSTAKE_COOLDOWN_SECS`.
    pub pending_proposal: u64,
    /// The in-process slot the deploy ended at: oracle updates from
    /// earlier slots would read as older than the markets' last.
    pub slot: u64,
    /// The genesis accounts.
    pub accounts: Vec<(Pubkey, AccountSharedData)>,
    /// The deploy file that describes this exchange (its mint and listings):
    /// `vamm gov migrate --config` with it finds everything in place.
    pub deploy_file: DeployFile,
}

/// Deploys in process with the listings executed at `listed_ts` (unix
/// seconds) and returns the accounts. Keys and oracle addresses come from
/// `seed`, as in the sandbox.
pub async fn deploy(seed: u64, listed_ts: i64) -> Result<Deployment, String> {
    let mut chain = Chain::deploy_at(Rng::new(seed), listed_ts).await?;
    // The validator's slots start from zero: the markets' recorded oracle
    // slots must be a few, not a day's worth at mainnet's pace.
    chain.rt.hold_slots();
    let mut actions = Vec::new();
    let mut markets = Vec::new();
    let mut first_prices = Vec::new();
    let mut listed = Vec::new();
    for (index, spec) in specs().iter().enumerate() {
        let (action, primary, secondary) = listing(&mut chain, index as u16, spec, spec.price);
        if let GovernanceAction::ListMarket { params, primary_oracle, secondary_oracle } = &action {
            listed.push(market_file(params, primary_oracle, secondary_oracle.as_ref()));
        }
        actions.push(action);
        let oracles: Vec<Oracle> = std::iter::once(primary).chain(secondary).collect();
        first_prices.extend(oracles.iter().map(|o| (*o, spec.price)));
        markets.push(DeployedMarket {
            index: index as u16,
            name: spec.name.to_string(),
            listing_price: spec.price,
            oracles,
        });
    }
    // Queued with the listings but left for whoever runs the localnet (and
    // the end-to-end tests) to execute over JSON-RPC: executable from the
    // listing on, for the timelock's execution window.
    let pending = GovernanceAction::SetUnstakeCooldown { cooldown_secs: PENDING_UNSTAKE_COOLDOWN_SECS };
    let pending_proposal = governance::queue(&mut chain.rt, &chain.admin, pending).await.map_err(err)?;
    chain.govern(actions, &first_prices).await?;
    chain.stake_insurance(INSURANCE_STAKE, markets.len() as u16).await?;
    let keeper: Wallet = chain.trader(KEEPER_DEPOSIT, KEEPER_DEPOSIT).await?;

    let newcomer = Keypair::new();
    chain.rt.fund(&newcomer.pubkey(), WALLET_LAMPORTS);
    let token =
        chain.rt.create_associated_token_account(&newcomer.pubkey(), &chain.mint).await.map_err(err)?;
    chain.mint_to(&token, NEWCOMER_USDC).await?;
    debug_assert_eq!(token, associated_token_address(&newcomer.pubkey(), &chain.mint));
    let publisher = Keypair::new();
    chain.rt.fund(&publisher.pubkey(), WALLET_LAMPORTS);
    chain.rt.fund(&chain.admin.pubkey(), WALLET_LAMPORTS);
    chain.rt.fund(&keeper.owner.pubkey(), WALLET_LAMPORTS);
    // Read once so the runtime's index holds every account named so far.
    chain.rt.account(&ix::exchange_pda()).await.map_err(err)?;

    let state = chain.rt.save().await.map_err(err)?;
    let accounts = genesis_accounts(&state)?;
    Ok(Deployment {
        admin: chain.admin.insecure_clone(),
        mint_authority: chain.mint_authority.insecure_clone(),
        mint: chain.mint,
        publisher,
        newcomer,
        keeper: keeper.owner,
        markets,
        pending_proposal,
        slot: state.slot,
        accounts,
        deploy_file: DeployFile { collateral_mint: chain.mint.to_string(), guardian: None, markets: listed },
    })
}

/// The saved accounts a validator's genesis should hold: the exchange's,
/// the token accounts and mint, the wallets, the oracle accounts and the
/// exchange's program-data record (its upgrade authority). Programs,
/// sysvars and the in-process lookup table are the validator's own.
fn genesis_accounts(state: &LocalState) -> Result<Vec<(Pubkey, AccountSharedData)>, String> {
    let program_data = ix::program_data_address();
    let switchboard = Pubkey::new_from_array(vamm::oracle::switchboard::PROGRAM_ID.to_bytes());
    let kept_owners = [
        vamm::ID,
        spl_token_interface::ID,
        solana_system_interface::program::ID,
        pyth_solana_receiver_sdk::ID,
        switchboard,
    ];
    let mut accounts = Vec::new();
    for saved in &state.accounts {
        let (address, account) = saved.parse().map_err(err)?;
        let keep = !account.executable && (kept_owners.contains(&account.owner) || address == program_data);
        // A system account with data (none today) would be a leftover.
        let leftover = account.owner == solana_system_interface::program::ID && !account.data.is_empty();
        if keep && !leftover {
            accounts.push((address, AccountSharedData::from(account)));
        }
    }
    Ok(accounts)
}

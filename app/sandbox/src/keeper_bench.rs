//! How the keeper scales with the number of trader accounts: requests a
//! JSON-RPC node would receive per pass and the wall time of one pass, in
//! the in-process runtime.
//!
//! The markets are listed through governance as in the sandbox; the
//! trader accounts are written directly (creating 10,000 through
//! transactions would measure the runtime, not the keeper), each holding a
//! healthy position in every market at the oracle price, so a pass values
//! every account and has nothing to do: the keeper's steady state.

use crate::chain::{err, Chain, Oracle, START_TS, USDC};
use crate::rng::Rng;
use anchor_lang::Discriminator;
use solana_account::Account;
use solana_pubkey::Pubkey;
use std::time::Instant;
use vamm::constants::BASE_PRECISION;
use vamm::instructions::CreateMarketParams;
use vamm::math::margin::HealthState;
use vamm::state::{GovernanceAction, TraderAccount};
use vamm_client::keeper::{Keeper, KeeperConfig};
use vamm_client::transport::counting::{Counting, RequestCounts};
use vamm_client::valuation::{account_health, fetch_markets, fetch_traders, price_book};
use vamm_client::{ix, Transport};

/// One measured size.
#[derive(Clone, Debug, serde::Serialize)]
pub struct KeeperScale {
    pub accounts: usize,
    pub markets: usize,
    /// A pass that rebuilds the account index (every tenth): one filtered
    /// `getProgramAccounts` with data serves as its snapshot.
    pub refresh_pass: RequestCounts,
    /// Any other pass: the snapshot from `getMultipleAccounts`, 100 a call.
    pub pass: RequestCounts,
    /// Wall time of the ordinary pass, milliseconds.
    pub pass_ms: f64,
    /// Reading every account together and valuing each with the program's
    /// margin math, milliseconds.
    pub valuation_ms: f64,
    /// Accounts the valuation found liquidatable (none by construction).
    pub liquidatable: usize,
}

/// Measures one pass of the keeper over `accounts` trader accounts, with
/// `listings` (one market each at its oracle price `PRICE_PRECISION`,
/// market indices assigned in order).
pub async fn measure(
    listings: &[(CreateMarketParams, u64)],
    accounts: usize,
    seed: u64,
) -> Result<KeeperScale, String> {
    let mut rng = Rng::new(seed);
    let mut chain = Chain::deploy(Rng::new(seed ^ 0x6b65_6570)).await?;
    let mut actions = Vec::new();
    let mut prices: Vec<(Oracle, u64)> = Vec::new();
    let mut marks = Vec::new();
    for (index, (params, price)) in listings.iter().enumerate() {
        let params = CreateMarketParams { market_index: index as u16, ..params.clone() };
        let price = *price;
        let primary = chain.oracle(params.primary_source, params.primary_feed_id);
        let secondary = params.secondary_source.map(|source| chain.oracle(source, params.secondary_feed_id));
        prices.extend(std::iter::once((primary, price)).chain(secondary.map(|o| (o, price))));
        marks.push(price);
        actions.push(GovernanceAction::ListMarket {
            params,
            primary_oracle: primary.address,
            secondary_oracle: secondary.map(|o| o.address),
        });
    }
    chain.govern(actions, &prices).await?;

    for _ in 0..accounts {
        let owner = Pubkey::new_unique();
        let (address, account) = trader_account(owner, &marks, &mut rng);
        chain.rt.write_account(&address, account);
    }
    chain.rt.set_time(START_TS + 1).await;
    for (oracle, price) in &prices {
        oracle.publish(&mut chain.rt, *price);
    }

    let mut keeper = Keeper::new(solana_keypair::Keypair::new(), Pubkey::default(), KeeperConfig::default());
    let mut counting = Counting::new(&mut chain.rt);
    keeper.tick(&mut counting).await.map_err(err)?;
    let refresh_pass = counting.counts;
    let before = counting.counts;
    let started = Instant::now();
    keeper.tick(&mut counting).await.map_err(err)?;
    let pass_ms = started.elapsed().as_secs_f64() * 1e3;
    let pass = counting.counts.since(&before);
    if keeper.stats.errors > 0 {
        return Err(format!("the keeper reported {} errors", keeper.stats.errors));
    }

    let started = Instant::now();
    let clock = chain.rt.clock().await.map_err(err)?;
    let markets = fetch_markets(&mut chain.rt).await.map_err(err)?;
    let book = price_book(&markets, clock, &[]);
    let addresses: Vec<Pubkey> = chain
        .rt
        .program_accounts(TraderAccount::DISCRIMINATOR)
        .await
        .map_err(err)?
        .into_iter()
        .map(|(address, _)| address)
        .collect();
    let mut liquidatable = 0;
    for (_, trader) in fetch_traders(&mut chain.rt, &addresses).await.map_err(err)? {
        let health = account_health(&book, &trader).map_err(|e| e.to_string())?;
        liquidatable += usize::from(health.health >= HealthState::Liquidatable);
    }
    let valuation_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(KeeperScale {
        accounts,
        markets: listings.len(),
        refresh_pass,
        pass,
        pass_ms,
        valuation_ms,
        liquidatable,
    })
}

/// A trader account of `owner` (sub-account 0) with 1,000 to 10,000 USDC
/// of collateral and a long or short of 2 to 4x its collateral spread over
/// the markets, entered at `marks`.
fn trader_account(owner: Pubkey, marks: &[u64], rng: &mut Rng) -> (Pubkey, Account) {
    let address = ix::trader_pda(&owner, 0);
    let mut trader: TraderAccount = bytemuck::Zeroable::zeroed();
    trader.owner = owner;
    trader.collateral = (1_000 + rng.below(9_001)) * USDC;
    trader.total_deposited = trader.collateral;
    trader.created_ts = START_TS;
    trader.bump =
        Pubkey::find_program_address(&[b"trader", owner.as_ref(), &0u16.to_le_bytes()], &vamm::ID).1;
    let leverage = 2 + rng.below(3);
    let per_market = trader.collateral * leverage / marks.len().max(1) as u64;
    for (index, (position, mark)) in trader.positions.iter_mut().zip(marks).enumerate() {
        let base = (per_market as u128 * BASE_PRECISION as u128 / *mark as u128) as i64;
        position.market_index = index as u16;
        position.base = if rng.chance(0.5) { base } else { -base };
        position.entry_notional = per_market;
    }
    let mut data = TraderAccount::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(&trader));
    let account = Account { lamports: 10_000_000, data, owner: vamm::ID, executable: false, rent_epoch: 0 };
    (address, account)
}

/// The figures as a Markdown table.
pub fn table(rows: &[KeeperScale]) -> String {
    let mut out = String::from(
        "| accounts | markets | reads, refresh pass | reads, other pass | getMultipleAccounts | pass ms | valuation ms |\n\
         |---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.0} |\n",
            row.accounts,
            row.markets,
            row.refresh_pass.reads(),
            row.pass.reads(),
            row.pass.get_multiple_accounts,
            row.pass_ms,
            row.valuation_ms
        ));
    }
    out
}

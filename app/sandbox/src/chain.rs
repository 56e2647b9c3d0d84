//! What the sandbox and the benchmark share: the in-process chain with the
//! exchange deployed (an admin, a USDC mint), governance run through the
//! timelock, oracle publishing, funded wallets and trader accounts, and
//! the end-of-run conservation check.

use crate::report::Conservation;
use crate::rng::Rng;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::constants::timelock;
use vamm::state::{GovernanceAction, OracleSource};
use vamm_client::oracle_accounts::price_account;
use vamm_client::valuation::{fetch_exchange, fetch_markets, fetch_trader};
use vamm_client::{governance, ix, lookup_table, ClientError, LocalRuntime, Transport};

/// 2026-01-01T00:00:00Z: where every simulation's clock starts.
pub const START_TS: i64 = 1_767_225_600;
/// One USDC, quote native.
pub const USDC: u64 = 1_000_000;
/// Lamports each new wallet gets for fees and rent.
const WALLET_LAMPORTS: u64 = 10_000_000_000;

pub fn err(e: ClientError) -> String {
    e.to_string()
}

/// A keypair from the seeded generator, so a run is reproducible.
fn keypair(rng: &mut Rng) -> Keypair {
    let mut secret = [0u8; 32];
    for chunk in secret.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    Keypair::new_from_array(secret)
}

/// An oracle account the simulation publishes to.
#[derive(Clone, Copy, Debug)]
pub struct Oracle {
    pub address: Pubkey,
    pub source: OracleSource,
    pub feed_id: [u8; 32],
}

impl Oracle {
    /// Writes `price` (`PRICE_PRECISION`) published now, with a confidence
    /// of 2.5 bps, as a publisher would.
    pub fn publish(&self, rt: &mut LocalRuntime, price: u64) {
        let account = price_account(self.source, self.feed_id, price, price / 4_000, rt.clock_now());
        rt.write_account(&self.address, account);
    }
}

/// A wallet with a USDC token account, and its trader account once it has
/// one (`Pubkey::default()` until then).
pub struct Wallet {
    pub owner: Keypair,
    pub account: Pubkey,
    pub usdc: Pubkey,
    /// What it deposited into its trader account, quote native.
    pub deposit: u64,
}

pub struct Chain {
    pub rt: LocalRuntime,
    pub admin: Keypair,
    pub mint_authority: Keypair,
    pub mint: Pubkey,
    pub rng: Rng,
    /// When what `govern` queues executes, unix seconds.
    pub start_ts: i64,
}

impl Chain {
    /// The exchange initialised one timelock delay before `START_TS`, so
    /// that what `govern` queues executes at `START_TS`. Keys come from
    /// `rng`, in a fixed order.
    pub async fn deploy(rng: Rng) -> Result<Chain, String> {
        Chain::deploy_at(rng, START_TS).await
    }

    /// As `deploy`, with governance executing at `start_ts` (the local
    /// validator deploys so that its listings execute just before now).
    pub async fn deploy_at(mut rng: Rng, start_ts: i64) -> Result<Chain, String> {
        let mut rt = LocalRuntime::start(start_ts - timelock::DEFAULT_DELAY_SECS as i64).await;
        let admin = keypair(&mut rng);
        rt.fund(&admin.pubkey(), 1_000_000_000_000);
        rt.set_upgrade_authority(Some(&admin.pubkey()));
        let mint_authority = keypair(&mut rng);
        // The mint's own key comes from the mint authority's, so the mint's
        // address is reproducible too without drawing from the generator
        // (a draw here would move every later key of a seeded run).
        let mint_secret = mint_authority.to_bytes()[..32].iter().map(|b| b ^ 0xA5).collect::<Vec<u8>>();
        let mint_key = Keypair::new_from_array(mint_secret.try_into().expect("32 bytes"));
        let mint = rt.create_mint_at(&mint_key, &mint_authority.pubkey(), 6).await.map_err(err)?;
        rt.send(&[ix::initialize_exchange(&admin.pubkey(), &mint, admin.pubkey())], &[&admin])
            .await
            .map_err(err)?;
        Ok(Chain { rt, admin, mint_authority, mint, rng, start_ts })
    }

    /// A new oracle account address for `source`.
    pub fn oracle(&mut self, source: OracleSource, feed_id: [u8; 32]) -> Oracle {
        Oracle { address: keypair(&mut self.rng).pubkey(), source, feed_id }
    }

    /// Queues `actions`, moves the clock to `start_ts`, publishes each
    /// oracle's price (listings read them) and executes them in order.
    pub async fn govern(
        &mut self,
        actions: Vec<GovernanceAction>,
        prices: &[(Oracle, u64)],
    ) -> Result<(), String> {
        let mut proposals = Vec::with_capacity(actions.len());
        for action in actions {
            proposals.push(governance::queue(&mut self.rt, &self.admin, action).await.map_err(err)?);
        }
        self.rt.set_time(self.start_ts).await;
        for (oracle, price) in prices {
            oracle.publish(&mut self.rt, *price);
        }
        for id in proposals {
            governance::execute(&mut self.rt, &self.admin, id).await.map_err(err)?;
        }
        // As the deploy step does: the table holds the new markets, and
        // every later transaction is compiled against it.
        lookup_table::sync(&mut self.rt, &self.admin).await.map_err(err)?;
        lookup_table::use_exchange_table(&mut self.rt).await.map_err(err)?;
        Ok(())
    }

    /// A funded wallet holding `usdc` (quote native) in a token account.
    async fn wallet(&mut self, usdc: u64) -> Result<Wallet, String> {
        let owner = keypair(&mut self.rng);
        self.rt.fund(&owner.pubkey(), WALLET_LAMPORTS);
        let token = self.rt.create_token_account(&self.mint, &owner.pubkey()).await.map_err(err)?;
        self.mint_to(&token, usdc).await?;
        Ok(Wallet { owner, account: Pubkey::default(), usdc: token, deposit: 0 })
    }

    /// Mints `usdc` (quote native) to a token account.
    pub async fn mint_to(&mut self, token: &Pubkey, usdc: u64) -> Result<(), String> {
        if usdc == 0 {
            return Ok(());
        }
        let authority = self.mint_authority.insecure_clone();
        self.rt.mint_to(&self.mint, &authority, token, usdc).await.map_err(err)
    }

    /// A wallet holding `usdc` with a trader account (sub-account 0) into
    /// which it deposited `deposit` of it.
    pub async fn trader(&mut self, usdc: u64, deposit: u64) -> Result<Wallet, String> {
        let mut wallet = self.wallet(usdc).await?;
        let owner = wallet.owner.pubkey();
        self.rt.send(&[ix::create_trader_account(&owner, 0, None)], &[&wallet.owner]).await.map_err(err)?;
        wallet.account = ix::trader_pda(&owner, 0);
        if deposit > 0 {
            let ix = ix::deposit(&owner, &wallet.account, &wallet.usdc, &self.mint, deposit);
            self.rt.send(&[ix], &[&wallet.owner]).await.map_err(err)?;
        }
        wallet.deposit = deposit;
        Ok(wallet)
    }

    /// A new staker puts `amount` into the insurance fund (every market's
    /// pending share swept first, as the instruction requires).
    pub async fn stake_insurance(&mut self, amount: u64, markets: u16) -> Result<(), String> {
        let staker = self.wallet(amount).await?;
        let owner = staker.owner.pubkey();
        self.rt.send(&[ix::create_insurance_stake(&owner)], &[&staker.owner]).await.map_err(err)?;
        let stake = ix::stake_insurance(&owner, &staker.usdc, &self.mint, amount, &ix::all_markets(markets));
        self.rt.send(&[stake], &[&staker.owner]).await.map_err(err)
    }

    /// The insurance fund's balance, quote native.
    pub async fn fund(&mut self) -> Result<u64, String> {
        Ok(fetch_exchange(&mut self.rt).await.map_err(err)?.insurance.balance)
    }

    /// The checks the test suite makes after every operation: the vault
    /// holds exactly the traders' collateral plus every market's pools, the
    /// insurance vault exactly the fund, and each AMM's open interest and
    /// unpaid profit mirror the positions. `trader_accounts` must be every
    /// trader account there is.
    pub async fn conservation(&mut self, trader_accounts: &[Pubkey]) -> Result<Conservation, String> {
        let markets = fetch_markets(&mut self.rt).await.map_err(err)?;
        let mut traders = Vec::with_capacity(trader_accounts.len());
        for account in trader_accounts {
            traders.extend(fetch_trader(&mut self.rt, account).await.map_err(err)?);
        }
        let mut ledger: u128 = traders.iter().map(|t| t.collateral as u128).sum();
        let mut mirrors = true;
        for snapshot in &markets {
            let m = &snapshot.market;
            let p = &m.pools;
            ledger += (p.pnl_pool + p.fee_pool + p.treasury + p.insurance_pending) as u128;
            let open = || {
                traders
                    .iter()
                    .flat_map(|t| t.positions.iter())
                    .filter(|pos| pos.is_open() && pos.market_index == m.market_index)
            };
            let long: i64 = open().filter(|pos| pos.base > 0).map(|pos| pos.base).sum();
            let short: i64 = open().filter(|pos| pos.base < 0).map(|pos| pos.base).sum();
            let claims: u64 = open().map(|pos| pos.pending_profit).sum();
            mirrors &= long == m.amm.base_long && short == m.amm.base_short && claims == p.unpaid_profit;
        }
        let vault = self.rt.token_balance(&ix::vault_pda(&ix::exchange_pda())).await;
        let insurance_vault = self.rt.token_balance(&ix::insurance_vault_pda(&ix::exchange_pda())).await;
        let fund = self.fund().await?;
        Ok(Conservation {
            vault_native: vault,
            ledger_native: ledger as u64,
            insurance_vault_native: insurance_vault,
            insurance_fund_native: fund,
            amm_mirrors_positions: mirrors,
            ok: vault as u128 == ledger && insurance_vault == fund && mirrors,
        })
    }
}

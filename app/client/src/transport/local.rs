//! The program running inside `solana-program-test`'s bank, in this
//! process, with the real SPL Token program. Oracle accounts are the only
//! accounts written directly, as an oracle publisher would.

use super::message::{self, ComputeBudget, ACCOUNT_LOCK_LIMIT, MAX_COMPUTE_UNITS};
use super::{ClientError, ClientResult, Transport};
use anchor_lang::prelude::AccountInfo;
use anchor_lang::solana_program::entrypoint::ProgramResult;
use solana_account::{Account, AccountSharedData};
use solana_clock::Clock;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_program_pack::Pack;
use solana_program_test::{processor, BanksClientError, ProgramTest, ProgramTestContext};
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;
use std::collections::BTreeSet;

/// The program's entrypoint as a native builtin: `processor!` wants
/// independent lifetimes, Anchor's `entry` wants one. The local validator
/// (app/localnet) registers the same function.
pub fn process_instruction<'a, 'b>(
    program_id: &'a Pubkey,
    accounts: &'a [AccountInfo<'b>],
    data: &'a [u8],
) -> ProgramResult {
    // SAFETY: the runtime keeps the accounts alive for the whole call; the
    // transmute only unifies the lifetimes Anchor's signature requires.
    let accounts: &'a [AccountInfo<'a>] = unsafe { std::mem::transmute(accounts) };
    vamm::entry(program_id, accounts, data)
}

pub struct LocalRuntime {
    ctx: ProgramTestContext,
    /// Every account a transaction named: the in-memory index that stands
    /// in for `getProgramAccounts`, which the bank client lacks.
    known: BTreeSet<Pubkey>,
    now: i64,
    /// The bank's slot as of the last clock change.
    slot: u64,
    /// Moving the clock forward advances the slot at mainnet's pace;
    /// `false` after `hold_slots`.
    paced_slots: bool,
    nonce: u32,
    /// Lookup tables version-0 messages are compiled against.
    tables: Vec<AddressLookupTableAccount>,
}

impl LocalRuntime {
    /// Starts a bank with the program and SPL Token, its clock at `unix_timestamp`.
    pub async fn start(unix_timestamp: i64) -> Self {
        let mut program_test = ProgramTest::new("vamm", vamm::ID, processor!(process_instruction));
        program_test.prefer_bpf(false);
        // A validator's limit, not the raised one the bank would default to
        // with every feature active.
        program_test.set_transaction_account_lock_limit(ACCOUNT_LOCK_LIMIT);
        let ctx = program_test.start_with_context().await;
        let mut runtime = LocalRuntime {
            ctx,
            known: BTreeSet::new(),
            now: unix_timestamp,
            slot: 0,
            paced_slots: true,
            nonce: 0,
            tables: Vec::new(),
        };
        runtime.set_time(unix_timestamp).await;
        runtime
    }

    pub fn payer_keypair(&self) -> Keypair {
        self.ctx.payer.insecure_clone()
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// The bank's clock (unix seconds and slot), as the program sees it.
    pub fn clock_now(&self) -> vamm::oracle::OracleClock {
        vamm::oracle::OracleClock { unix_ts: self.now, slot: self.slot }
    }

    /// Moves the bank's clock. Moving forward also advances the slot at
    /// mainnet's pace (2.5 slots a second), so per-slot limits see time pass.
    pub async fn set_time(&mut self, unix_timestamp: i64) {
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock sysvar");
        if unix_timestamp > self.now {
            let paced = (unix_timestamp - self.now) as u64 * 5 / 2;
            let slots = if self.paced_slots { paced.max(1) } else { 1 };
            self.ctx.warp_to_slot(clock.slot + slots).expect("warp to a later slot");
            clock = self.ctx.banks_client.get_sysvar().await.expect("clock sysvar");
        }
        clock.unix_timestamp = unix_timestamp;
        self.ctx.set_sysvar(&clock);
        self.now = unix_timestamp;
        self.slot = clock.slot;
    }

    /// From now on moving the clock forward advances the slot by one only:
    /// for a deploy whose accounts seed a new validator's genesis, where
    /// slots start from zero and a market's recorded oracle slot must not
    /// lie a day ahead of them.
    pub fn hold_slots(&mut self) {
        self.paced_slots = false;
    }

    /// Writes an account directly: oracle updates, funding wallets and
    /// restoring a saved local cluster only.
    pub fn write_account(&mut self, address: &Pubkey, account: Account) {
        self.ctx.set_account(address, &AccountSharedData::from(account));
        self.known.insert(*address);
    }

    /// Writes the program's ProgramData account as a deploy with the BPF
    /// upgradeable loader would (the program itself runs natively here, so
    /// there is none): owned by the loader, at the program's program-data
    /// address, recording `authority` as the upgrade authority (`None`: an
    /// immutable program).
    pub fn set_upgrade_authority(&mut self, authority: Option<&Pubkey>) {
        self.write_account(&crate::ix::program_data_address(), program_data_account(authority));
    }

    /// Every account this runtime has seen, as a file-friendly snapshot.
    pub async fn save(&mut self) -> ClientResult<LocalState> {
        let mut accounts = Vec::new();
        for address in self.known.clone() {
            if let Some(account) = self.account(&address).await? {
                accounts.push(SavedAccount {
                    address: address.to_string(),
                    lamports: account.lamports,
                    owner: account.owner.to_string(),
                    executable: account.executable,
                    data_hex: to_hex(&account.data),
                });
            }
        }
        let clock: Clock =
            self.ctx.banks_client.get_sysvar().await.map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(LocalState { unix_timestamp: self.now, slot: clock.slot, accounts })
    }

    /// A runtime holding a saved local cluster's accounts, at its clock.
    pub async fn restore(state: &LocalState) -> ClientResult<Self> {
        let mut runtime = LocalRuntime::start(state.unix_timestamp).await;
        let clock: Clock =
            runtime.ctx.banks_client.get_sysvar().await.map_err(|e| ClientError::Transport(e.to_string()))?;
        if state.slot > clock.slot {
            runtime.ctx.warp_to_slot(state.slot).map_err(|e| ClientError::Transport(format!("{e:?}")))?;
            runtime.set_time(state.unix_timestamp).await;
        }
        for saved in &state.accounts {
            let (address, account) = saved.parse()?;
            runtime.write_account(&address, account);
        }
        Ok(runtime)
    }

    /// Creates `owner`'s associated token account for `mint`.
    pub async fn create_associated_token_account(
        &mut self,
        owner: &Pubkey,
        mint: &Pubkey,
    ) -> ClientResult<Pubkey> {
        let address = associated_token_address(owner, mint);
        let program = associated_token_program();
        let ix = Instruction {
            program_id: program,
            accounts: vec![
                solana_instruction::AccountMeta::new(self.payer(), true),
                solana_instruction::AccountMeta::new(address, false),
                solana_instruction::AccountMeta::new_readonly(*owner, false),
                solana_instruction::AccountMeta::new_readonly(*mint, false),
                solana_instruction::AccountMeta::new_readonly(solana_system_interface::program::ID, false),
                solana_instruction::AccountMeta::new_readonly(spl_token_interface::ID, false),
            ],
            // CreateIdempotent.
            data: vec![1],
        };
        self.send(&[ix], &[]).await?;
        Ok(address)
    }

    /// A system account holding `lamports`.
    pub fn fund(&mut self, address: &Pubkey, lamports: u64) {
        let account = Account {
            lamports,
            data: vec![],
            owner: solana_system_interface::program::ID,
            executable: false,
            rent_epoch: 0,
        };
        self.write_account(address, account);
    }

    pub async fn minimum_balance(&mut self, space: usize) -> u64 {
        self.ctx.banks_client.get_rent().await.expect("rent").minimum_balance(space)
    }

    pub async fn token_balance(&mut self, token_account: &Pubkey) -> u64 {
        match self.account(token_account).await {
            Ok(Some(account)) => {
                spl_token_interface::state::Account::unpack(&account.data).map(|a| a.amount).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// Creates an SPL mint with `authority` at a new random address.
    pub async fn create_mint(&mut self, authority: &Pubkey, decimals: u8) -> ClientResult<Pubkey> {
        self.create_mint_at(&Keypair::new(), authority, decimals).await
    }

    /// Creates an SPL mint with `authority` at `mint`'s address.
    pub async fn create_mint_at(
        &mut self,
        mint: &Keypair,
        authority: &Pubkey,
        decimals: u8,
    ) -> ClientResult<Pubkey> {
        let space = spl_token_interface::state::Mint::LEN;
        let lamports = self.minimum_balance(space).await;
        let ixs = [
            solana_system_interface::instruction::create_account(
                &self.payer(),
                &mint.pubkey(),
                lamports,
                space as u64,
                &spl_token_interface::ID,
            ),
            spl_token_interface::instruction::initialize_mint2(
                &spl_token_interface::ID,
                &mint.pubkey(),
                authority,
                None,
                decimals,
            )
            .map_err(|e| ClientError::Transport(e.to_string()))?,
        ];
        self.send(&ixs, &[mint]).await?;
        Ok(mint.pubkey())
    }

    /// Creates a token account of `mint` owned by `owner`.
    pub async fn create_token_account(&mut self, mint: &Pubkey, owner: &Pubkey) -> ClientResult<Pubkey> {
        let account = Keypair::new();
        let space = spl_token_interface::state::Account::LEN;
        let lamports = self.minimum_balance(space).await;
        let ixs = [
            solana_system_interface::instruction::create_account(
                &self.payer(),
                &account.pubkey(),
                lamports,
                space as u64,
                &spl_token_interface::ID,
            ),
            spl_token_interface::instruction::initialize_account3(
                &spl_token_interface::ID,
                &account.pubkey(),
                mint,
                owner,
            )
            .map_err(|e| ClientError::Transport(e.to_string()))?,
        ];
        self.send(&ixs, &[&account]).await?;
        Ok(account.pubkey())
    }

    pub async fn mint_to(
        &mut self,
        mint: &Pubkey,
        authority: &Keypair,
        to: &Pubkey,
        amount: u64,
    ) -> ClientResult<()> {
        let ix = spl_token_interface::instruction::mint_to(
            &spl_token_interface::ID,
            mint,
            to,
            &authority.pubkey(),
            &[],
            amount,
        )
        .map_err(|e| ClientError::Transport(e.to_string()))?;
        self.send(&[ix], &[authority]).await
    }
}

/// A local cluster saved to a file between CLI invocations.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct LocalState {
    pub unix_timestamp: i64,
    #[serde(default)]
    pub slot: u64,
    pub accounts: Vec<SavedAccount>,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct SavedAccount {
    pub address: String,
    pub lamports: u64,
    pub owner: String,
    pub executable: bool,
    pub data_hex: String,
}

impl SavedAccount {
    /// The account's address and contents.
    pub fn parse(&self) -> ClientResult<(Pubkey, Account)> {
        let parse = |text: &str| {
            text.parse::<Pubkey>().map_err(|_| ClientError::Transport(format!("bad address {text}")))
        };
        let account = Account {
            lamports: self.lamports,
            data: from_hex(&self.data_hex)
                .ok_or_else(|| ClientError::Transport("bad account data".into()))?,
            owner: parse(&self.owner)?,
            executable: self.executable,
            rent_epoch: 0,
        };
        Ok((parse(&self.address)?, account))
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The SPL associated token account program.
pub fn associated_token_program() -> Pubkey {
    "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL".parse().expect("valid program id")
}

/// `owner`'s associated token account for `mint`.
pub fn associated_token_address(owner: &Pubkey, mint: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), spl_token_interface::ID.as_ref(), mint.as_ref()],
        &associated_token_program(),
    )
    .0
}

/// Why a local transaction failed, with the raw transaction error kept for
/// tests that match on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalError {
    Transaction(TransactionError),
    /// Larger than a validator accepts: not processed.
    TooLarge {
        bytes: usize,
        limit: usize,
    },
    Transport(String),
}

impl LocalRuntime {
    /// Signs (payer plus `signers`) and processes one transaction, built
    /// as every transport builds it (compute budget first, version 0
    /// against the lookup tables when smaller) and refused above the packet
    /// limit as a validator would.
    pub async fn process(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature, LocalError> {
        // The unit limit carries a counter: it keeps otherwise identical
        // transactions distinct.
        self.nonce = self.nonce.wrapping_add(1);
        let budget = ComputeBudget {
            unit_limit: MAX_COMPUTE_UNITS - (self.nonce % 100_000),
            micro_lamports_per_unit: 0,
        };
        for ix in instructions {
            self.known.extend(ix.accounts.iter().filter(|m| m.is_writable).map(|m| m.pubkey));
        }
        let payer = self.ctx.payer.insecure_clone();
        // Long runs outlive a blockhash: always sign with the newest.
        let blockhash = self
            .ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .map_err(|e| LocalError::Transport(e.to_string()))?;
        let tx =
            message::build(&payer, instructions, signers, &self.tables, budget, blockhash).map_err(|e| {
                match e {
                    ClientError::TooLarge { bytes, limit } => LocalError::TooLarge { bytes, limit },
                    other => LocalError::Transport(other.to_string()),
                }
            })?;
        let signature = tx.signatures[0];
        self.ctx.banks_client.process_transaction(tx).await.map_err(|e| match e {
            BanksClientError::TransactionError(e) => LocalError::Transaction(e),
            BanksClientError::SimulationError { err, .. } => LocalError::Transaction(err),
            other => LocalError::Transport(other.to_string()),
        })?;
        if instructions.iter().any(|ix| ix.program_id == vamm::constants::ADDRESS_LOOKUP_TABLE_PROGRAM) {
            // A table's new addresses are usable from the next slot; on a
            // cluster that slot comes within 400 ms, here it is made.
            self.next_slot().await;
        }
        Ok(signature)
    }

    /// Advances the bank one slot, its unix time unchanged.
    async fn next_slot(&mut self) {
        let clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock sysvar");
        self.ctx.warp_to_slot(clock.slot + 1).expect("warp to the next slot");
        let mut clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock sysvar");
        clock.unix_timestamp = self.now;
        self.ctx.set_sysvar(&clock);
        self.slot = clock.slot;
    }
}

impl Transport for LocalRuntime {
    fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    fn set_lookup_tables(&mut self, tables: Vec<AddressLookupTableAccount>) {
        self.tables = tables;
    }

    async fn send_transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ClientResult<Signature> {
        self.process(instructions, signers).await.map_err(|e| match e {
            LocalError::Transaction(e) => ClientError::from_transaction(e),
            LocalError::TooLarge { bytes, limit } => ClientError::TooLarge { bytes, limit },
            LocalError::Transport(e) => ClientError::Transport(e),
        })
    }

    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>> {
        self.ctx.banks_client.get_account(*address).await.map_err(|e| ClientError::Transport(e.to_string()))
    }

    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>> {
        let mut out = Vec::new();
        for address in self.known.clone() {
            if let Some(account) = self.account(&address).await? {
                if account.owner == vamm::ID && account.data.starts_with(discriminator) {
                    out.push((address, account));
                }
            }
        }
        Ok(out)
    }

    async fn clock(&mut self) -> ClientResult<vamm::oracle::OracleClock> {
        Ok(self.clock_now())
    }
}

/// A ProgramData account of the BPF upgradeable loader recording
/// `authority` as the upgrade authority (`None`: an immutable program):
/// the loader's layout, a u32 tag 3, the deploy slot, an `Option<Pubkey>`.
pub fn program_data_account(authority: Option<&Pubkey>) -> Account {
    let mut data = Vec::with_capacity(45);
    data.extend_from_slice(&3u32.to_le_bytes());
    data.extend_from_slice(&0u64.to_le_bytes());
    match authority {
        Some(key) => {
            data.push(1);
            data.extend_from_slice(key.as_ref());
        }
        None => data.extend_from_slice(&[0; 33]),
    }
    Account {
        lamports: 1_000_000_000,
        data,
        owner: anchor_lang::solana_program::bpf_loader_upgradeable::ID,
        executable: false,
        rent_epoch: 0,
    }
}

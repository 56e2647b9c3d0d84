//! JSON-RPC transport for real clusters.
//!
//! Every transaction is simulated first to size its compute-unit limit (and
//! a simulation refusal is reported with the program's error and logs, so
//! nothing is sent), carries a priority fee when one is configured, and is
//! landed by [`confirm::land`]: rebroadcast until confirmed at the
//! transport's commitment or expired.

use super::confirm::{self, Cluster, Patience};
use super::message::{self, ComputeBudget, MAX_COMPUTE_UNITS};
use super::{ClientError, ClientResult, Transport, MULTIPLE_ACCOUNTS_PER_CALL};
use futures::StreamExt;
use solana_account::Account;
use solana_clock::Clock;
use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as RpcError, ErrorKind};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig, RpcSimulateTransactionConfig,
    UiAccountEncoding, UiTransactionEncoding,
};
use solana_rpc_client_api::custom_error::JSON_RPC_SERVER_ERROR_TRANSACTION_HISTORY_NOT_AVAILABLE;
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::request::{RpcError as RpcRequestError, RpcResponseErrorData};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use std::sync::atomic::{AtomicBool, Ordering};

/// The priority fee every transaction pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PriorityFee {
    /// None: no price instruction.
    #[default]
    None,
    /// This many micro-lamports per compute unit.
    Fixed(u64),
    /// The 75th percentile of what recent blocks' transactions paid to
    /// write the same accounts (`getRecentPrioritizationFees`), at most
    /// `cap` micro-lamports per unit.
    Recent { cap: u64 },
}

/// Head room over the simulated compute units: the state may move between
/// simulation and execution (another order on the same curve).
const UNIT_MARGIN_PERCENT: u64 = 20;
const UNIT_MARGIN_MIN: u64 = 5_000;

pub struct RpcTransport {
    client: RpcClient,
    payer: Keypair,
    commitment: CommitmentConfig,
    tables: Vec<AddressLookupTableAccount>,
    priority_fee: PriorityFee,
    patience: Patience,
    /// The node keeps no transaction history (it answered a status query
    /// with history by -32011): status checks use its recent cache only.
    no_history: AtomicBool,
}

impl RpcTransport {
    pub fn new(url: &str, payer: Keypair, commitment: CommitmentConfig) -> Self {
        Self::with_client(RpcClient::new_with_commitment(url.to_string(), commitment), payer, commitment)
    }

    /// A transport over a given client (tests use Solana's mock sender).
    pub fn with_client(client: RpcClient, payer: Keypair, commitment: CommitmentConfig) -> Self {
        RpcTransport {
            client,
            payer,
            commitment,
            tables: Vec::new(),
            priority_fee: PriorityFee::None,
            patience: Patience::default(),
            no_history: AtomicBool::new(false),
        }
    }

    pub fn with_patience(mut self, patience: Patience) -> Self {
        self.patience = patience;
        self
    }

    pub fn with_priority_fee(mut self, fee: PriorityFee) -> Self {
        self.priority_fee = fee;
        self
    }

    /// Simulates, prices, signs and lands one transaction.
    async fn land_one(&self, instructions: &[Instruction], signers: &[&Keypair]) -> ClientResult<Signature> {
        let units = self.simulate_units(instructions, signers).await?;
        let writable: Vec<Pubkey> = instructions
            .iter()
            .flat_map(|ix| ix.accounts.iter().filter(|m| m.is_writable).map(|m| m.pubkey))
            .collect();
        let budget = ComputeBudget {
            unit_limit: unit_limit_for(units),
            micro_lamports_per_unit: self.unit_price(&writable).await?,
        };
        let (blockhash, last_valid_block_height) =
            self.client.get_latest_blockhash_with_commitment(self.commitment).await.map_err(rpc_error)?;
        let tx = message::build(&self.payer, instructions, signers, &self.tables, budget, blockhash)?;
        let patience = self.patience;
        confirm::land(&mut &*self, &tx, last_valid_block_height, patience).await.0
    }

    /// The fee per compute unit to pay for a transaction writing `writable`.
    async fn unit_price(&self, writable: &[Pubkey]) -> ClientResult<u64> {
        match self.priority_fee {
            PriorityFee::None => Ok(0),
            PriorityFee::Fixed(price) => Ok(price),
            PriorityFee::Recent { cap } => {
                let fees = self.client.get_recent_prioritization_fees(writable).await.map_err(rpc_error)?;
                let paid: Vec<u64> = fees.iter().map(|f| f.prioritization_fee).collect();
                Ok(recent_fee_percentile(paid, 75).min(cap))
            }
        }
    }

    /// The compute units `instructions` use, simulated at the most a
    /// transaction may use; a refusal comes back with the program's logs.
    async fn simulate_units(&self, instructions: &[Instruction], signers: &[&Keypair]) -> ClientResult<u64> {
        let probe = ComputeBudget { unit_limit: MAX_COMPUTE_UNITS, micro_lamports_per_unit: 0 };
        let blockhash = self.client.get_latest_blockhash().await.map_err(rpc_error)?;
        let tx = message::build(&self.payer, instructions, signers, &self.tables, probe, blockhash)?;
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: true,
            commitment: Some(self.commitment),
            encoding: Some(UiTransactionEncoding::Base64),
            ..Default::default()
        };
        let result =
            self.client.simulate_transaction_with_config(&tx, config).await.map_err(rpc_error)?.value;
        if let Some(error) = result.err {
            let error: TransactionError = error.into();
            return Err(ClientError::from_transaction(error).with_logs(result.logs.unwrap_or_default()));
        }
        // The simulation's units include the two budget instructions (a
        // few hundred units); the margin covers them.
        Ok(result.units_consumed.unwrap_or(u64::from(MAX_COMPUTE_UNITS)))
    }
}

/// The `percentile`th of `fees` (nearest rank), 0 for none.
pub fn recent_fee_percentile(mut fees: Vec<u64>, percentile: usize) -> u64 {
    if fees.is_empty() {
        return 0;
    }
    fees.sort_unstable();
    let rank = (fees.len() * percentile.min(100)).div_ceil(100).max(1);
    fees[rank - 1]
}

/// The compute-unit limit for a transaction that used `simulated` units.
pub fn unit_limit_for(simulated: u64) -> u32 {
    let margin = (simulated * UNIT_MARGIN_PERCENT / 100).max(UNIT_MARGIN_MIN);
    simulated.saturating_add(margin).min(u64::from(MAX_COMPUTE_UNITS)) as u32
}

/// The node's answer to a status query with history when it keeps none.
fn is_history_unavailable(error: &RpcError) -> bool {
    matches!(error.kind(), ErrorKind::RpcError(RpcRequestError::RpcResponseError { code, .. })
        if *code == JSON_RPC_SERVER_ERROR_TRANSACTION_HISTORY_NOT_AVAILABLE)
}

fn rpc_error(error: RpcError) -> ClientError {
    if let ErrorKind::RpcError(RpcRequestError::RpcResponseError {
        data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
        ..
    }) = error.kind()
    {
        if let Some(tx) = result.err.clone() {
            let tx: TransactionError = tx.into();
            return ClientError::from_transaction(tx).with_logs(result.logs.clone().unwrap_or_default());
        }
    }
    match error.get_transaction_error() {
        Some(tx) => ClientError::from_transaction(tx),
        None => ClientError::Transport(error.to_string()),
    }
}

/// Landing needs only shared access, so several transactions can land at
/// once (`send_all`).
impl Cluster for &RpcTransport {
    async fn send(&mut self, tx: &VersionedTransaction, preflight: bool) -> ClientResult<()> {
        let config = RpcSendTransactionConfig {
            skip_preflight: !preflight,
            preflight_commitment: Some(self.commitment.commitment),
            encoding: Some(UiTransactionEncoding::Base64),
            // The landing loop rebroadcasts; the node's own retries would
            // outlive the caller's view of the transaction.
            max_retries: Some(0),
            min_context_slot: None,
        };
        self.client.send_transaction_with_config(tx, config).await.map(|_| ()).map_err(rpc_error)
    }

    async fn status(&mut self, signature: &Signature) -> ClientResult<Option<Result<(), TransactionError>>> {
        // With history: a transaction that landed before a long outage has
        // left the node's recent status cache, and must not read as expired.
        // A node without history refuses the query: its recent cache (the
        // last 300 slots, longer than a blockhash lives) is what it has.
        let mut statuses = None;
        if !self.no_history.load(Ordering::Relaxed) {
            match self.client.get_signature_statuses_with_history(&[*signature]).await {
                Ok(answer) => statuses = Some(answer.value),
                Err(e) if is_history_unavailable(&e) => self.no_history.store(true, Ordering::Relaxed),
                Err(e) => return Err(rpc_error(e)),
            }
        }
        let statuses = match statuses {
            Some(statuses) => statuses,
            None => self.client.get_signature_statuses(&[*signature]).await.map_err(rpc_error)?.value,
        };
        Ok(statuses
            .into_iter()
            .next()
            .flatten()
            .filter(|status| status.satisfies_commitment(self.commitment))
            .map(|status| status.status))
    }

    async fn block_height(&mut self) -> ClientResult<u64> {
        self.client.get_block_height_with_commitment(self.commitment).await.map_err(rpc_error)
    }
}

impl Transport for RpcTransport {
    fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }

    fn set_lookup_tables(&mut self, tables: Vec<AddressLookupTableAccount>) {
        self.tables = tables;
    }

    async fn send_transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ClientResult<Signature> {
        self.land_one(instructions, signers).await
    }

    async fn send_all(
        &mut self,
        batch: &[Vec<Instruction>],
        signers: &[&Keypair],
        max_in_flight: usize,
    ) -> Vec<ClientResult<Signature>> {
        let shared: &RpcTransport = self;
        futures::stream::iter(batch)
            .map(|instructions| shared.land_one(instructions, signers))
            .buffered(max_in_flight.max(1))
            .collect()
            .await
    }

    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>> {
        self.client
            .get_account_with_commitment(address, self.commitment)
            .await
            .map(|r| r.value)
            .map_err(rpc_error)
    }

    async fn accounts(&mut self, addresses: &[Pubkey]) -> ClientResult<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(addresses.len());
        for chunk in addresses.chunks(MULTIPLE_ACCOUNTS_PER_CALL) {
            let found = self
                .client
                .get_multiple_accounts_with_commitment(chunk, self.commitment)
                .await
                .map_err(rpc_error)?
                .value;
            if found.len() != chunk.len() {
                return Err(ClientError::Transport(format!(
                    "getMultipleAccounts answered {} accounts for {}",
                    found.len(),
                    chunk.len()
                )));
            }
            out.extend(found);
        }
        Ok(out)
    }

    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, discriminator))]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(self.commitment),
                ..Default::default()
            },
            ..Default::default()
        };
        self.client.get_program_accounts_with_config(&vamm::ID, config).await.map_err(rpc_error)
    }

    async fn clock(&mut self) -> ClientResult<vamm::oracle::OracleClock> {
        let account = self.client.get_account(&solana_clock::sysvar::ID).await.map_err(rpc_error)?;
        let clock: Clock =
            bincode::deserialize(&account.data).map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(vamm::oracle::OracleClock { unix_ts: clock.unix_timestamp, slot: clock.slot })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_is_the_nearest_rank_percentile_of_recent_blocks() {
        assert_eq!(recent_fee_percentile(vec![], 75), 0);
        assert_eq!(recent_fee_percentile(vec![9], 75), 9);
        // Ranks: 4 fees, 75% -> the 3rd smallest.
        assert_eq!(recent_fee_percentile(vec![40, 10, 30, 20], 75), 30);
        assert_eq!(recent_fee_percentile((1..=100).collect(), 75), 75);
        assert_eq!(recent_fee_percentile(vec![0, 0, 0, 5_000], 75), 0);
    }

    #[test]
    fn a_node_without_history_is_told_apart_from_other_refusals() {
        let refusal = |code| {
            RpcError::from(ErrorKind::RpcError(RpcRequestError::RpcResponseError {
                code,
                message: "refused".into(),
                data: RpcResponseErrorData::Empty,
            }))
        };
        // What agave's RPC answers with history disabled (the test
        // validator's default, and many public nodes').
        assert!(is_history_unavailable(&refusal(-32011)));
        assert!(!is_history_unavailable(&refusal(-32002)));
        assert!(!is_history_unavailable(&RpcError::from(ErrorKind::Custom("timeout".into()))));
    }

    use solana_rpc_client_api::request::RpcRequest;
    use std::time::Duration;

    const QUICK: Patience = Patience {
        poll: Duration::ZERO,
        rebroadcast_every: 2,
        max_rpc_failures: 3,
        max_stalled_polls: 1_000,
    };

    /// Solana's mock sender: every request answers as a healthy cluster
    /// would (`mode` "succeeds"), except the `mocks`, each used once.
    fn transport(mode: &str, mocks: solana_rpc_client::mock_sender::Mocks) -> RpcTransport {
        let client = RpcClient::new_mock_with_mocks(mode.to_string(), mocks);
        RpcTransport::with_client(client, Keypair::new(), CommitmentConfig::confirmed()).with_patience(QUICK)
    }

    fn memo(n: u8) -> Vec<Instruction> {
        vec![Instruction::new_with_bytes(Pubkey::new_unique(), &[n], vec![])]
    }

    #[tokio::test]
    async fn a_batch_lands_in_order_with_one_signature_each() {
        let mut rpc = transport("succeeds", Default::default());
        let batch = vec![memo(1), memo(2), memo(3)];
        let results = rpc.send_all(&batch, &[], 2).await;
        let signatures: Vec<Signature> = results.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(signatures.len(), 3);
        assert!(signatures[0] != signatures[1] && signatures[1] != signatures[2]);
    }

    #[tokio::test]
    async fn an_unseen_transaction_expires_once_the_block_height_passes() {
        // Statuses never found; the block height read is past the mock
        // blockhash's last valid height (1,234).
        let mocks = [(RpcRequest::GetBlockHeight, serde_json::json!(1_235))];
        let mut rpc = transport("sig_not_found", mocks.into_iter().collect());
        let error = rpc.send_transaction(&memo(1), &[]).await.unwrap_err();
        assert!(matches!(error, ClientError::Expired { .. }), "{error}");
    }

    #[tokio::test]
    async fn a_simulated_refusal_returns_the_program_error_with_its_logs() {
        let code = anchor_lang::error::ERROR_CODE_OFFSET + vamm::error::VammError::InsufficientMargin as u32;
        let simulation = serde_json::json!({
            "context": { "slot": 1 },
            "value": { "err": { "InstructionError": [0, { "Custom": code }] },
                "logs": ["Program log: AnchorError occurred. Error Code: InsufficientMargin."],
                "accounts": null, "unitsConsumed": 1200 }
        });
        let mut rpc =
            transport("succeeds", [(RpcRequest::SimulateTransaction, simulation)].into_iter().collect());
        let error = rpc.send_transaction(&memo(1), &[]).await.unwrap_err();
        assert!(error.is(vamm::error::VammError::InsufficientMargin), "{error}");
        let ClientError::Program { logs, .. } = &error else { unreachable!() };
        assert_eq!(logs.len(), 1);
        assert!(error.to_string().contains("Error Code: InsufficientMargin"), "{error}");
    }

    #[tokio::test]
    async fn a_recent_priority_fee_is_the_percentile_capped() {
        // The mock reports 10,000 micro-lamports paid recently.
        let rpc =
            transport("succeeds", Default::default()).with_priority_fee(PriorityFee::Recent { cap: 4_000 });
        assert_eq!(rpc.unit_price(&[Pubkey::new_unique()]).await.unwrap(), 4_000);
        let rpc = transport("succeeds", Default::default())
            .with_priority_fee(PriorityFee::Recent { cap: 1_000_000 });
        assert_eq!(rpc.unit_price(&[Pubkey::new_unique()]).await.unwrap(), 10_000);
    }

    #[test]
    fn the_unit_limit_leaves_head_room_and_never_exceeds_the_maximum() {
        assert_eq!(unit_limit_for(10_000), 15_000);
        assert_eq!(unit_limit_for(100_000), 120_000);
        assert_eq!(unit_limit_for(1_300_000), MAX_COMPUTE_UNITS);
    }
}

//! One interface to a cluster. The CLI, the keeper and the sandbox are
//! written once against it; `RpcTransport` talks JSON-RPC to a real
//! cluster, `LocalRuntime` runs the program in-process.

pub mod confirm;
pub mod counting;
#[cfg(feature = "local")]
pub mod local;
pub mod message;
pub mod rpc;

use solana_account::Account;
use solana_instruction::error::InstructionError;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction_error::TransactionError;
use vamm::error::VammError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The program refused with one of its own errors (or Anchor's);
    /// `logs` are the program's log lines when the cluster returned them
    /// (a failed preflight or simulation).
    Program { code: u32, name: String, message: String, logs: Vec<String> },
    /// The transaction failed for another reason.
    Transaction(TransactionError),
    /// The transaction is larger than a validator accepts; nothing was sent.
    TooLarge { bytes: usize, limit: usize },
    /// The transaction was sent but not confirmed before its blockhash
    /// expired (judged at the requested commitment): it can no longer land,
    /// so resending it as a new transaction is safe.
    Expired { signature: Signature },
    /// The transaction was (or may have been) sent, and whether it landed
    /// is not known: look the signature up before sending it again.
    Unknown { signature: Signature, reason: String },
    /// The cluster could not be reached or answered nonsense.
    Transport(String),
}

impl ClientError {
    pub fn from_transaction(error: TransactionError) -> Self {
        match error {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
                let (name, message) =
                    crate::errors::describe(code).unwrap_or(("Custom", "unknown program error"));
                ClientError::Program {
                    code,
                    name: name.to_string(),
                    message: message.to_string(),
                    logs: Vec::new(),
                }
            }
            other => ClientError::Transaction(other),
        }
    }

    /// The same error with the program's `logs` attached.
    pub fn with_logs(self, logs: Vec<String>) -> Self {
        match self {
            ClientError::Program { code, name, message, .. } => {
                ClientError::Program { code, name, message, logs }
            }
            other => other,
        }
    }

    /// Whether this is the program refusing with `error`.
    pub fn is(&self, error: VammError) -> bool {
        matches!(self, ClientError::Program { code, .. } if *code == anchor_lang::error::ERROR_CODE_OFFSET + error as u32)
    }

    /// A transport failure may succeed when retried; a refusal will not.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ClientError::Transport(_)
                | ClientError::Expired { .. }
                | ClientError::Transaction(TransactionError::BlockhashNotFound)
        )
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Program { code, name, message, logs } => {
                write!(f, "program error {name} ({code}): {message}")?;
                for line in logs {
                    write!(f, "\n  {line}")?;
                }
                Ok(())
            }
            ClientError::Transaction(e) => write!(f, "transaction failed: {e}"),
            ClientError::TooLarge { bytes, limit } => {
                write!(f, "transaction of {bytes} bytes is over the {limit}-byte packet limit; not sent")
            }
            ClientError::Unknown { signature, reason } => write!(
                f,
                "the outcome of {signature} is unknown (look it up before resending): {reason}"
            ),
            ClientError::Expired { signature } => write!(
                f,
                "transaction {signature} was not confirmed before its blockhash expired; it can no longer land"
            ),
            ClientError::Transport(e) => write!(f, "transport error: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

pub type ClientResult<T> = Result<T, ClientError>;

/// Most accounts one `getMultipleAccounts` request returns.
pub const MULTIPLE_ACCOUNTS_PER_CALL: usize = 100;

#[allow(async_fn_in_trait)]
pub trait Transport {
    /// The fee payer of every transaction sent.
    fn payer(&self) -> Pubkey;
    /// Signs (payer plus `signers`), sends and confirms one transaction;
    /// returns its signature.
    async fn send_transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ClientResult<Signature>;
    /// Sends each of `batch` as its own transaction signed by `signers`,
    /// with at most `max_in_flight` landing at once; the results in
    /// `batch`'s order. This default sends them one after another (the
    /// in-process runtime processes one at a time anyway).
    async fn send_all(
        &mut self,
        batch: &[Vec<Instruction>],
        signers: &[&Keypair],
        max_in_flight: usize,
    ) -> Vec<ClientResult<Signature>> {
        let _ = max_in_flight;
        let mut out = Vec::with_capacity(batch.len());
        for instructions in batch {
            out.push(self.send_transaction(instructions, signers).await);
        }
        out
    }
    /// [`Transport::send_transaction`] for callers that need no signature.
    async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> ClientResult<()> {
        self.send_transaction(instructions, signers).await.map(|_| ())
    }
    /// The lookup tables version-0 messages are compiled against from now
    /// on (see [`crate::lookup_table::load`]).
    fn set_lookup_tables(&mut self, tables: Vec<AddressLookupTableAccount>);
    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>>;
    /// Several accounts, in the order asked (`None` where there is none).
    /// A cluster answers up to [`MULTIPLE_ACCOUNTS_PER_CALL`] per request;
    /// this default asks one by one.
    async fn accounts(&mut self, addresses: &[Pubkey]) -> ClientResult<Vec<Option<Account>>> {
        let mut out = Vec::with_capacity(addresses.len());
        for address in addresses {
            out.push(self.account(address).await?);
        }
        Ok(out)
    }
    /// Every account of the program whose data starts with `discriminator`.
    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>>;
    /// The cluster's clock: unix seconds and slot.
    async fn clock(&mut self) -> ClientResult<vamm::oracle::OracleClock>;
}

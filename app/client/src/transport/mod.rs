//! One interface to a cluster. The CLI, the keeper and the sandbox are
//! written once against it; `RpcTransport` talks JSON-RPC to a real
//! cluster, `LocalRuntime` runs the program in-process.

pub mod local;
pub mod rpc;

use solana_account::Account;
use solana_instruction::error::InstructionError;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_transaction_error::TransactionError;
use vamm::error::VammError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The program refused with one of its own errors (or Anchor's).
    Program { code: u32, name: String, message: String },
    /// The transaction failed for another reason.
    Transaction(TransactionError),
    /// The cluster could not be reached or answered nonsense.
    Transport(String),
}

impl ClientError {
    pub fn from_transaction(error: TransactionError) -> Self {
        match error {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
                let (name, message) =
                    crate::errors::describe(code).unwrap_or(("Custom", "unknown program error"));
                ClientError::Program { code, name: name.to_string(), message: message.to_string() }
            }
            other => ClientError::Transaction(other),
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
            ClientError::Transport(_) | ClientError::Transaction(TransactionError::BlockhashNotFound)
        )
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Program { code, name, message } => {
                write!(f, "program error {name} ({code}): {message}")
            }
            ClientError::Transaction(e) => write!(f, "transaction failed: {e}"),
            ClientError::Transport(e) => write!(f, "transport error: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

pub type ClientResult<T> = Result<T, ClientError>;

#[allow(async_fn_in_trait)]
pub trait Transport {
    /// The fee payer of every transaction sent.
    fn payer(&self) -> Pubkey;
    /// Signs (payer plus `signers`), sends and confirms one transaction.
    async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> ClientResult<()>;
    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>>;
    /// Every account of the program whose data starts with `discriminator`.
    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>>;
    /// The cluster's clock: unix seconds and slot.
    async fn clock(&mut self) -> ClientResult<vamm::oracle::OracleClock>;
}

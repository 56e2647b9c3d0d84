//! JSON-RPC transport for real clusters.

use super::{ClientError, ClientResult, Transport};
use solana_account::Account;
use solana_clock::Clock;
use solana_commitment_config::CommitmentConfig;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;
use solana_transaction::Transaction;

pub struct RpcTransport {
    client: RpcClient,
    payer: Keypair,
    commitment: CommitmentConfig,
}

impl RpcTransport {
    pub fn new(url: &str, payer: Keypair, commitment: CommitmentConfig) -> Self {
        RpcTransport {
            client: RpcClient::new_with_commitment(url.to_string(), commitment),
            payer,
            commitment,
        }
    }
}

fn rpc_error(error: solana_rpc_client_api::client_error::Error) -> ClientError {
    match error.get_transaction_error() {
        Some(tx) => ClientError::from_transaction(tx),
        None => ClientError::Transport(error.to_string()),
    }
}

impl Transport for RpcTransport {
    fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }

    async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> ClientResult<()> {
        let blockhash = self.client.get_latest_blockhash().await.map_err(rpc_error)?;
        let mut keys: Vec<&Keypair> = vec![&self.payer];
        keys.extend(signers.iter().copied().filter(|k| k.pubkey() != self.payer.pubkey()));
        let tx =
            Transaction::new_signed_with_payer(instructions, Some(&self.payer.pubkey()), &keys, blockhash);
        self.client.send_and_confirm_transaction(&tx).await.map(|_| ()).map_err(rpc_error)
    }

    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>> {
        self.client
            .get_account_with_commitment(address, self.commitment)
            .await
            .map(|r| r.value)
            .map_err(rpc_error)
    }

    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, discriminator))]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_rpc_client_api::config::UiAccountEncoding::Base64),
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

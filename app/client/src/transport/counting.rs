//! A transport that counts the requests a JSON-RPC node would receive,
//! for benchmarks of how a client scales (the keeper's requests per pass).

use super::{ClientResult, Transport, MULTIPLE_ACCOUNTS_PER_CALL};
use solana_account::Account;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;
use solana_signature::Signature;

/// Requests by kind, as a JSON-RPC transport would make them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestCounts {
    /// `getAccountInfo`, the clock sysvar's included.
    pub get_account_info: u64,
    /// `getMultipleAccounts`: one per 100 accounts asked.
    pub get_multiple_accounts: u64,
    /// `getProgramAccounts`.
    pub get_program_accounts: u64,
    /// Transactions sent (each costs a simulation, a blockhash, a send and
    /// status polls on a cluster).
    pub transactions: u64,
}

impl RequestCounts {
    /// Reads, the transactions apart.
    pub fn reads(&self) -> u64 {
        self.get_account_info + self.get_multiple_accounts + self.get_program_accounts
    }

    pub fn since(&self, before: &RequestCounts) -> RequestCounts {
        RequestCounts {
            get_account_info: self.get_account_info - before.get_account_info,
            get_multiple_accounts: self.get_multiple_accounts - before.get_multiple_accounts,
            get_program_accounts: self.get_program_accounts - before.get_program_accounts,
            transactions: self.transactions - before.transactions,
        }
    }
}

/// Forwards to `inner`, counting.
pub struct Counting<'a, T> {
    pub inner: &'a mut T,
    pub counts: RequestCounts,
}

impl<'a, T> Counting<'a, T> {
    pub fn new(inner: &'a mut T) -> Self {
        Counting { inner, counts: RequestCounts::default() }
    }
}

impl<T: Transport> Transport for Counting<'_, T> {
    fn payer(&self) -> Pubkey {
        self.inner.payer()
    }

    fn set_lookup_tables(&mut self, tables: Vec<AddressLookupTableAccount>) {
        self.inner.set_lookup_tables(tables)
    }

    async fn send_transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ClientResult<Signature> {
        self.counts.transactions += 1;
        self.inner.send_transaction(instructions, signers).await
    }

    async fn send_all(
        &mut self,
        batch: &[Vec<Instruction>],
        signers: &[&Keypair],
        max_in_flight: usize,
    ) -> Vec<ClientResult<Signature>> {
        self.counts.transactions += batch.len() as u64;
        self.inner.send_all(batch, signers, max_in_flight).await
    }

    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>> {
        self.counts.get_account_info += 1;
        self.inner.account(address).await
    }

    async fn accounts(&mut self, addresses: &[Pubkey]) -> ClientResult<Vec<Option<Account>>> {
        self.counts.get_multiple_accounts += addresses.len().div_ceil(MULTIPLE_ACCOUNTS_PER_CALL) as u64;
        self.inner.accounts(addresses).await
    }

    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>> {
        self.counts.get_program_accounts += 1;
        self.inner.program_accounts(discriminator).await
    }

    async fn clock(&mut self) -> ClientResult<vamm::oracle::OracleClock> {
        self.counts.get_account_info += 1;
        self.inner.clock().await
    }
}

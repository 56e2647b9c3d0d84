//! Every transaction the CLI sends has its signature printed (on stderr,
//! so stdout stays the command's result): an order whose confirmation
//! timed out can be looked up instead of blindly resent.

use crate::commands::LocalOnly;
use solana_account::Account;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use vamm_client::transport::ClientResult;
use vamm_client::{LocalRuntime, Transport};

/// A transport that prints the signature of each transaction it lands.
/// (A transaction that does not land reports its signature in the error:
/// `Expired`, or an outcome left unknown by the cluster.)
pub struct Printing<'a, T>(pub &'a mut T);

impl<T: Transport> Transport for Printing<'_, T> {
    fn payer(&self) -> Pubkey {
        self.0.payer()
    }

    fn set_lookup_tables(&mut self, tables: Vec<AddressLookupTableAccount>) {
        self.0.set_lookup_tables(tables)
    }

    async fn send_transaction(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> ClientResult<Signature> {
        let signature = self.0.send_transaction(instructions, signers).await?;
        eprintln!("signature {signature}");
        Ok(signature)
    }

    async fn send_all(
        &mut self,
        batch: &[Vec<Instruction>],
        signers: &[&Keypair],
        max_in_flight: usize,
    ) -> Vec<ClientResult<Signature>> {
        let results = self.0.send_all(batch, signers, max_in_flight).await;
        for signature in results.iter().flatten() {
            eprintln!("signature {signature}");
        }
        results
    }

    async fn account(&mut self, address: &Pubkey) -> ClientResult<Option<Account>> {
        self.0.account(address).await
    }

    async fn accounts(&mut self, addresses: &[Pubkey]) -> ClientResult<Vec<Option<Account>>> {
        self.0.accounts(addresses).await
    }

    async fn program_accounts(&mut self, discriminator: &[u8]) -> ClientResult<Vec<(Pubkey, Account)>> {
        self.0.program_accounts(discriminator).await
    }

    async fn clock(&mut self) -> ClientResult<vamm::oracle::OracleClock> {
        self.0.clock().await
    }
}

impl<T: LocalOnly> LocalOnly for Printing<'_, T> {
    fn local(&mut self) -> Option<&mut LocalRuntime> {
        self.0.local()
    }
}

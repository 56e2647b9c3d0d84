//! Building the transaction every transport sends, one way for all of them:
//! the compute-budget instructions first, then a version-0 message against
//! the exchange's lookup tables when that is smaller than a legacy one, and
//! the validator's packet limit checked before anything is sent (the
//! in-process bank does not check it; a real cluster drops the packet).

use super::{ClientError, ClientResult};
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, Hash, Message, VersionedMessage};
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;

/// The most bytes a serialized transaction may have: what fits in one UDP
/// packet after the IPv6 and UDP headers (1,280 - 40 - 8).
pub const PACKET_DATA_SIZE: usize = 1_232;

/// Transactions may lock at most this many accounts (the validator's limit
/// where the raise to 128 is not active; the local runtime enforces it).
pub const ACCOUNT_LOCK_LIMIT: usize = 64;

/// The most compute units one transaction may use.
pub const MAX_COMPUTE_UNITS: u32 = 1_400_000;

/// What a transaction asks of the scheduler: its compute-unit limit and the
/// priority fee it pays per unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComputeBudget {
    /// Compute units the transaction may use (and is charged the priority
    /// fee for), at most [`MAX_COMPUTE_UNITS`].
    pub unit_limit: u32,
    /// Priority fee, micro-lamports per compute unit; 0 adds no price
    /// instruction.
    pub micro_lamports_per_unit: u64,
}

impl ComputeBudget {
    pub fn instructions(&self) -> Vec<Instruction> {
        let mut out = vec![ComputeBudgetInstruction::set_compute_unit_limit(self.unit_limit)];
        if self.micro_lamports_per_unit > 0 {
            out.push(ComputeBudgetInstruction::set_compute_unit_price(self.micro_lamports_per_unit));
        }
        out
    }
}

/// The instructions a transaction carries: `budget`'s, then `instructions`.
pub fn with_budget(budget: ComputeBudget, instructions: &[Instruction]) -> Vec<Instruction> {
    let mut all = budget.instructions();
    all.extend_from_slice(instructions);
    all
}

/// The message for `instructions` paid by `payer`: version 0 against
/// `tables` when that is smaller, legacy otherwise (no table, or none of
/// its addresses used).
pub fn compile(
    payer: &Pubkey,
    instructions: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
) -> ClientResult<VersionedMessage> {
    let legacy = VersionedMessage::Legacy(Message::new_with_blockhash(instructions, Some(payer), &blockhash));
    if tables.is_empty() {
        return Ok(legacy);
    }
    let v0 = v0::Message::try_compile(payer, instructions, tables, blockhash)
        .map_err(|e| ClientError::Transport(format!("cannot compile a version-0 message: {e}")))?;
    let v0 = VersionedMessage::V0(v0);
    Ok(if v0.serialize().len() < legacy.serialize().len() { v0 } else { legacy })
}

/// Signs `message` with the payer and whichever of `signers` it requires
/// (extra keypairs are ignored, duplicates of the payer too), and refuses a
/// transaction a validator would drop for its size.
pub fn sign(
    message: VersionedMessage,
    payer: &Keypair,
    signers: &[&Keypair],
) -> ClientResult<VersionedTransaction> {
    let required = &message.static_account_keys()[..message.header().num_required_signatures as usize];
    let mut keys: Vec<&Keypair> = Vec::with_capacity(required.len());
    for key in required {
        let keypair = std::iter::once(payer)
            .chain(signers.iter().copied())
            .find(|k| k.pubkey() == *key)
            .ok_or_else(|| ClientError::Transport(format!("no keypair for the required signer {key}")))?;
        keys.push(keypair);
    }
    let tx =
        VersionedTransaction::try_new(message, &keys).map_err(|e| ClientError::Transport(e.to_string()))?;
    check_size(&tx)?;
    Ok(tx)
}

/// The serialized size of `tx`, bytes: what travels in the packet.
pub fn serialized_size(tx: &VersionedTransaction) -> usize {
    bincode::serialized_size(tx).map(|n| n as usize).unwrap_or(usize::MAX)
}

/// Refuses a transaction above [`PACKET_DATA_SIZE`].
pub fn check_size(tx: &VersionedTransaction) -> ClientResult<()> {
    let bytes = serialized_size(tx);
    if bytes > PACKET_DATA_SIZE {
        return Err(ClientError::TooLarge { bytes, limit: PACKET_DATA_SIZE });
    }
    Ok(())
}

/// Compiles and signs in one step: what every transport sends.
pub fn build(
    payer: &Keypair,
    instructions: &[Instruction],
    signers: &[&Keypair],
    tables: &[AddressLookupTableAccount],
    budget: ComputeBudget,
    blockhash: Hash,
) -> ClientResult<VersionedTransaction> {
    let message = compile(&payer.pubkey(), &with_budget(budget, instructions), tables, blockhash)?;
    sign(message, payer, signers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_instruction::AccountMeta;

    fn instruction(accounts: usize) -> Instruction {
        let program = Pubkey::new_unique();
        Instruction::new_with_bytes(
            program,
            &[7; 16],
            (0..accounts).map(|_| AccountMeta::new_readonly(Pubkey::new_unique(), false)).collect(),
        )
    }

    fn table_of(ix: &Instruction) -> AddressLookupTableAccount {
        AddressLookupTableAccount {
            key: Pubkey::new_unique(),
            addresses: ix.accounts.iter().map(|m| m.pubkey).collect(),
        }
    }

    const BUDGET: ComputeBudget = ComputeBudget { unit_limit: 200_000, micro_lamports_per_unit: 0 };

    #[test]
    fn a_table_turns_each_account_into_one_byte() {
        let payer = Keypair::new();
        let ix = instruction(30);
        let legacy = build(&payer, std::slice::from_ref(&ix), &[], &[], BUDGET, Hash::default()).unwrap();
        let v0 =
            build(&payer, std::slice::from_ref(&ix), &[], &[table_of(&ix)], BUDGET, Hash::default()).unwrap();
        assert!(matches!(legacy.message, VersionedMessage::Legacy(_)));
        assert!(matches!(v0.message, VersionedMessage::V0(_)));
        // 32 bytes per key become one index byte; the table costs its key,
        // the lengths of its two index lists, the count of tables and the
        // version byte.
        assert_eq!(serialized_size(&legacy) - serialized_size(&v0), 30 * 32 - (30 + 32 + 2 + 1 + 1));
    }

    #[test]
    fn a_table_that_does_not_help_leaves_the_message_legacy() {
        let payer = Keypair::new();
        let ix = instruction(3);
        let unrelated = table_of(&instruction(3));
        let tx = build(&payer, &[ix], &[], &[unrelated], BUDGET, Hash::default()).unwrap();
        assert!(matches!(tx.message, VersionedMessage::Legacy(_)));
    }

    #[test]
    fn a_transaction_above_the_packet_limit_is_refused_with_its_size() {
        let payer = Keypair::new();
        // 36 accounts of 32 bytes put a legacy transaction over 1,232 bytes.
        let ix = instruction(36);
        let error = build(&payer, std::slice::from_ref(&ix), &[], &[], BUDGET, Hash::default()).unwrap_err();
        let ClientError::TooLarge { bytes, limit } = error else { panic!("{error:?}") };
        assert_eq!(limit, PACKET_DATA_SIZE);
        assert!(bytes > limit);
        // The same instruction fits against a table.
        build(&payer, std::slice::from_ref(&ix), &[], &[table_of(&ix)], BUDGET, Hash::default()).unwrap();
    }

    #[test]
    fn the_price_instruction_is_added_only_for_a_fee() {
        assert_eq!(BUDGET.instructions().len(), 1);
        let paid = ComputeBudget { micro_lamports_per_unit: 5_000, ..BUDGET };
        assert_eq!(paid.instructions().len(), 2);
    }

    #[test]
    fn signers_are_matched_to_the_message_and_extras_ignored() {
        let payer = Keypair::new();
        let owner = Keypair::new();
        let stranger = Keypair::new();
        let mut ix = instruction(2);
        ix.accounts.push(AccountMeta::new_readonly(owner.pubkey(), true));
        let tx = build(
            &payer,
            std::slice::from_ref(&ix),
            &[&stranger, &owner, &payer],
            &[],
            BUDGET,
            Hash::default(),
        )
        .unwrap();
        assert_eq!(tx.signatures.len(), 2);
        assert_eq!(&tx.message.static_account_keys()[..2], &[payer.pubkey(), owner.pubkey()]);
        assert!(tx.signatures.iter().all(|s| *s != solana_signature::Signature::default()));
        let missing = build(&payer, &[ix], &[&stranger], &[], BUDGET, Hash::default()).unwrap_err();
        assert!(matches!(missing, ClientError::Transport(_)));
    }
}

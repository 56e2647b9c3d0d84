//! The programs this validator runs natively, as builtins: the exchange
//! itself (there is no SBF toolchain to deploy it as a program) and local
//! stand-ins at the Pyth receiver's and Switchboard On-Demand's program
//! ids, through which the localnet's price publisher writes the oracle
//! accounts those programs own on a real cluster. No startup API takes a
//! native builtin: the genesis holds each program id as an executable
//! account of the native loader, and `register` installs the functions on
//! the running banks.

use anchor_lang::prelude::{AccountInfo, ProgramError, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use solana_account::{Account, AccountSharedData};
use solana_program_runtime::invoke_context::BuiltinFunctionWithContext;
use solana_program_runtime::loaded_programs::ProgramCacheEntry;
use solana_program_test::processor;
use solana_runtime::bank_forks::BankForks;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

/// The one key the oracle stand-ins accept writes from.
static PUBLISHER: OnceLock<Pubkey> = OnceLock::new();

/// Sets the key the oracle stand-ins accept. A process runs one localnet
/// at a time per publisher: a second, different key is refused.
pub fn set_publisher(publisher: Pubkey) -> Result<(), String> {
    let set = *PUBLISHER.get_or_init(|| publisher);
    if set != publisher {
        return Err(format!("this process already publishes as {set}"));
    }
    Ok(())
}

/// The oracle stand-in's one instruction. Accounts: the publisher
/// (signer), the oracle account (writable, owned by this program). Data:
/// a byte offset (u32, little endian), then the bytes written there. The
/// account keeps its size: a publisher rewrites prices, it never resizes.
fn write_oracle(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    let [publisher, oracle] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    if !publisher.is_signer || Some(publisher.key) != PUBLISHER.get() {
        return Err(ProgramError::MissingRequiredSignature);
    }
    if oracle.owner != program_id || !oracle.is_writable {
        return Err(ProgramError::IncorrectProgramId);
    }
    let (offset, bytes) = data.split_at_checked(4).ok_or(ProgramError::InvalidInstructionData)?;
    let offset = u32::from_le_bytes(offset.try_into().map_err(|_| ProgramError::InvalidInstructionData)?);
    let mut target = oracle.try_borrow_mut_data()?;
    let start = offset as usize;
    let end = start.checked_add(bytes.len()).filter(|end| *end <= target.len());
    let end = end.ok_or(ProgramError::AccountDataTooSmall)?;
    target[start..end].copy_from_slice(bytes);
    Ok(())
}

/// The stand-in instruction writing `bytes` at `offset` of `oracle`.
pub fn write_oracle_instruction(
    oracle_program: &Pubkey,
    publisher: &Pubkey,
    oracle: &Pubkey,
    offset: u32,
    bytes: &[u8],
) -> solana_instruction::Instruction {
    let mut data = offset.to_le_bytes().to_vec();
    data.extend_from_slice(bytes);
    solana_instruction::Instruction {
        program_id: *oracle_program,
        accounts: vec![
            solana_instruction::AccountMeta::new_readonly(*publisher, true),
            solana_instruction::AccountMeta::new(*oracle, false),
        ],
        data,
    }
}

pub struct Builtin {
    pub program_id: Pubkey,
    pub name: &'static str,
    pub function: BuiltinFunctionWithContext,
}

/// The exchange, then the Pyth and Switchboard stand-ins.
pub fn builtins() -> Vec<Builtin> {
    // The exchange's events reach the transaction's logs (see `logs`).
    let vamm = Some(crate::logs::exchange_builtin());
    let pyth: Option<BuiltinFunctionWithContext> = processor!(write_oracle);
    let switchboard: Option<BuiltinFunctionWithContext> = processor!(write_oracle);
    let switchboard_id = Pubkey::new_from_array(vamm::oracle::switchboard::PROGRAM_ID.to_bytes());
    [
        (vamm::ID, "vamm", vamm),
        (pyth_solana_receiver_sdk::ID, "local_pyth_receiver", pyth),
        (switchboard_id, "local_switchboard_on_demand", switchboard),
    ]
    .into_iter()
    .filter_map(|(program_id, name, function)| Some(Builtin { program_id, name, function: function? }))
    .collect()
}

/// Each builtin's program account, for the genesis: what the runtime
/// itself writes for a builtin (executable, owned by the native loader,
/// its name as data), so that registering later finds it in place.
pub fn genesis_accounts() -> Vec<(Pubkey, AccountSharedData)> {
    builtins()
        .into_iter()
        .map(|b| {
            let account = Account {
                lamports: 1,
                data: b.name.as_bytes().to_vec(),
                owner: solana_sdk_ids::native_loader::id(),
                executable: true,
                rent_epoch: 0,
            };
            (b.program_id, AccountSharedData::from(account))
        })
        .collect()
}

/// Installs the builtins on every bank the validator holds, a few times
/// 200 ms apart so that banks created in the meantime get them too (a
/// child bank inherits its parent's builtins).
pub fn register(bank_forks: &RwLock<BankForks>) {
    for round in 0..5 {
        if round > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let banks: Vec<_> = {
            let forks = bank_forks.read().unwrap_or_else(|e| e.into_inner());
            forks.banks().values().map(|b| b.clone_without_scheduler()).collect()
        };
        for bank in banks {
            for b in builtins() {
                bank.add_builtin(
                    b.program_id,
                    b.name,
                    ProgramCacheEntry::new_builtin(0, b.name.len(), b.function),
                );
            }
        }
    }
}

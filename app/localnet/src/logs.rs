//! Program events in the transaction's logs, natively. Compiled to SBF,
//! Anchor's `emit!` is the `sol_log_data` syscall: the runtime writes
//! `Program data: <base64>` into the transaction's log messages, where
//! clients (and `logsSubscribe`) read events. Compiled natively the
//! program hands events to the syscall stubs instead (its `emit_event!`),
//! whose default prints them to the process's standard output, so a client
//! would see none.
//!
//! The exchange's builtin entry here records the running transaction's
//! invoke context for the duration of the call, and `install` wraps the
//! stubs solana-program-test installed (they carry the CPIs and sysvars,
//! and are delegated to unchanged) so that `sol_log_data` writes into that
//! context's log collector, exactly as the syscall does: the logs a client
//! reads from this validator carry the events mainnet's would. (`msg!`
//! has no stub to intercept natively: it prints.)

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use solana_instruction::Instruction;
use solana_program_runtime::invoke_context::{BuiltinFunctionWithContext, InvokeContext};
use solana_program_runtime::stable_log;
use solana_program_test::{get_runtime_environment_key, invoke_builtin_function, EbpfError, EbpfVm};
use solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs};
use std::cell::Cell;

thread_local! {
    /// The invoke context of the exchange's builtin call running on this
    /// thread (null outside one).
    static RUNNING: Cell<*mut InvokeContext<'static, 'static>> = const { Cell::new(std::ptr::null_mut()) };
}

/// The exchange's entrypoint as a builtin, as `solana_program_test::processor!`
/// builds one, with the invoke context recorded around the call.
pub fn exchange_builtin() -> BuiltinFunctionWithContext {
    |vm, _arg0, _arg1, _arg2, _arg3, _arg4| {
        // SAFETY: what `processor!` does: the runtime passes the VM's
        // address offset by the environment key, and the VM outlives the call.
        let vm = unsafe {
            &mut *((vm as *mut u64).offset(-(get_runtime_environment_key() as isize))
                as *mut EbpfVm<InvokeContext<'static, 'static>>)
        };
        let context: *mut InvokeContext<'static, 'static> = &mut *vm.context_object_pointer;
        let outer = RUNNING.replace(context);
        vm.program_result = invoke_builtin_function(
            vamm_client::transport::local::process_instruction,
            vm.context_object_pointer,
        )
        .map_err(EbpfError::SyscallError)
        .into();
        RUNNING.set(outer);
    }
}

/// solana-program-test's stubs, with `sol_log_data` into the transaction.
struct TransactionLogs {
    inner: Box<dyn SyscallStubs>,
}

impl SyscallStubs for TransactionLogs {
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let running = RUNNING.get();
        if running.is_null() {
            return self.inner.sol_log_data(fields);
        }
        // SAFETY: set only while the builtin call that owns the context
        // runs on this thread, and read only from inside that call (as
        // solana-program-test's own stubs reach the context).
        let context = unsafe { &*running };
        stable_log::program_data(&context.get_log_collector(), fields);
    }
    fn sol_log(&self, message: &str) {
        self.inner.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.inner.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.inner.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        self.inner.sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(&self, sysvar_id_addr: *const u8, var_addr: *mut u8, offset: u64, length: u64) -> u64 {
        self.inner.sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.inner.sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        self.inner.sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        unsafe { self.inner.sol_memcpy(dst, src, n) }
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        unsafe { self.inner.sol_memmove(dst, src, n) }
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        unsafe { self.inner.sol_memcmp(s1, s2, n, result) }
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        unsafe { self.inner.sol_memset(s, c, n) }
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.inner.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.inner.sol_set_return_data(data)
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.inner.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.inner.sol_get_stack_height()
    }
}

/// Wraps the installed stubs (solana-program-test's, once an in-process
/// runtime has started in this process) so that `sol_log_data` reaches
/// the running transaction's logs. Once per process.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Swap in a placeholder to take the installed stubs, then wrap them.
        let inner = set_syscall_stubs(Box::new(Placeholder));
        set_syscall_stubs(Box::new(TransactionLogs { inner }));
    });
}

struct Placeholder;
impl SyscallStubs for Placeholder {}

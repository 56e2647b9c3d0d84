//! Client library for the vAMM perpetuals program.
//!
//! - [`ix`]: PDA derivation and a typed builder for every instruction.
//! - [`decode`]: account decoding (exchange, market, trader account,
//!   insurance stake).
//! - [`valuation`] and [`preview`]: the program's own margin, oracle and
//!   curve math (`vamm::math`, `vamm::oracle`, `vamm::controller::price_book`,
//!   shared, not copied) for health, liquidation price, fees and slippage.
//! - [`transport`]: one interface, two implementations: JSON-RPC for real
//!   clusters and an in-process runtime for the sandbox and tests.
//! - [`keeper`]: the keeper service, written once against the transport.
//! - [`events`]: the program's events, read back from a transaction's logs.
//! - [`deploy`]: deploy files and the idempotent migration (`gov migrate`).
// solana-program-test 3.1 marks its API deprecated ahead of 4.x; 3.1 is the
// line whose syscall stubs run Anchor CPIs natively.
#![allow(deprecated)]

pub mod decode;
pub mod deploy;
pub mod errors;
pub mod events;
pub mod governance;
pub mod ix;
pub mod keeper;
pub mod lookup_table;
pub mod oracle_accounts;
pub mod preview;
pub mod transport;
pub mod units;
pub mod valuation;

#[cfg(feature = "local")]
pub use transport::local::LocalRuntime;
pub use transport::{rpc::RpcTransport, ClientError, Transport};
pub use vamm;

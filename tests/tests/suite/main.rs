//! The real-runtime suite: one binary, one module per flow.
#![allow(deprecated)]

mod accounts;
mod crash;
mod crash_replay;
mod cross_margin;
mod docs;
mod drain;
mod funding;
mod fuzz;
mod governance;
mod hardening;
mod insurance;
mod keeper;
mod keeper_takeover;
mod liquidation;
mod liveness;
mod lookup_tables;
mod oracles;
mod refusals;
mod roles;
mod sequences;
mod solvency;
mod stress;
mod takeover;
mod timelock;
mod trading;

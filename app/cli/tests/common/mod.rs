//! What the CLI's end-to-end tests share.

use std::path::Path;
use std::process::Command;

/// `vamm --json`, quiet, and blind to any Solana CLI config or VAMM_URL /
/// VAMM_KEYPAIR of the machine running the tests (`dir` holds no config).
pub fn vamm(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vamm"));
    command
        .arg("--json")
        .env("RUST_LOG", "error")
        .env_remove("VAMM_URL")
        .env_remove("VAMM_KEYPAIR")
        .env("VAMM_SOLANA_CONFIG", dir.join("no-solana-config.yml"));
    command
}

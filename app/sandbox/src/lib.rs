//! The embedded sandbox: the whole exchange in-process (the program inside
//! `solana-program-test`'s bank with the real SPL Token program), three
//! markets whose oracles follow a seeded random walk with jumps (or a CSV
//! path), simulated traders, an arbitrageur, insurance stakers and the
//! keeper service. Everything goes through real instructions; oracle
//! accounts are the only accounts written directly, as a publisher would.
// solana-program-test 3.1 marks its API deprecated ahead of 4.x.
#![allow(deprecated)]

pub mod agents;
pub mod bench;
pub mod chain;
pub mod chart;
pub mod keeper_bench;
pub mod markets;
pub mod prices;
pub mod report;
pub mod rng;
mod world;

pub use report::Report;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub seed: u64,
    /// Simulated duration, hours.
    pub hours: u64,
    /// Simulated seconds per step.
    pub step_secs: u64,
    /// Traders of each strategy per market.
    pub traders_per_strategy: usize,
    /// Where report.json and the charts go (`None`: nowhere).
    pub out_dir: Option<PathBuf>,
    /// A CSV price path (header + one row per step), instead of the walk.
    pub prices_csv: Option<String>,
    /// Draw a progress bar.
    pub progress: bool,
}

impl Default for SandboxConfig {
    /// The default scenario: a day in five-minute steps.
    fn default() -> Self {
        SandboxConfig {
            seed: 42,
            hours: 24,
            step_secs: 300,
            traders_per_strategy: 2,
            out_dir: Some(PathBuf::from("sandbox-out")),
            prices_csv: None,
            progress: true,
        }
    }
}

impl SandboxConfig {
    /// A short run for CI: six hours, one trader of each kind per market.
    pub fn short() -> Self {
        SandboxConfig { hours: 6, traders_per_strategy: 1, ..SandboxConfig::default() }
    }
}

/// Runs the scenario and returns its report (also written to `out_dir`).
pub async fn run(config: SandboxConfig) -> Result<Report, String> {
    let mut world = world::World::build(&config).await?;
    world.simulate(&config).await?;
    let report = world.report(&config).await?;
    if let Some(dir) = &config.out_dir {
        report::write(dir, &report, &world.history).map_err(|e| format!("writing {}: {e}", dir.display()))?;
    }
    Ok(report)
}

//! `vamm`: the command line for traders, governance, keepers and the
//! sandbox. Every command runs against a `Transport`: JSON-RPC (`--url
//! http...`) or the in-process runtime (`--url local:FILE`, a local cluster
//! saved in FILE between runs; `sandbox` always runs in-process).

mod commands;
mod gov;
mod settings;
mod signatures;
use vamm_client::units;

use std::fs::File;
use std::os::fd::FromRawFd;
use std::sync::{Mutex, OnceLock};

/// The process's real standard output. The in-process runtime prints the
/// program's logs with `println!`, so file descriptor 1 is pointed
/// elsewhere and command output is written here instead.
static OUTPUT: OnceLock<Mutex<File>> = OnceLock::new();

fn keep_stdout_for_output() {
    // The program's own logs (`msg!`) are noise next to a report: they go
    // to standard error only when VAMM_PROGRAM_LOGS is set, else nowhere.
    let logs = if std::env::var_os("VAMM_PROGRAM_LOGS").is_some() {
        Some(2)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .ok()
            .map(std::os::fd::IntoRawFd::into_raw_fd)
    };
    // SAFETY: plain descriptor duplication before any other thread runs;
    // the duplicate is owned by the File from here on.
    let saved = unsafe { libc::dup(1) };
    if let Some(target) = logs {
        if saved >= 0 && unsafe { libc::dup2(target, 1) } >= 0 {
            let _ = OUTPUT.set(Mutex::new(unsafe { File::from_raw_fd(saved) }));
        }
    }
}

/// Writes a line of command output to the real standard output.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write;
        match $crate::OUTPUT.get() {
            Some(out) => {
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                let _ = writeln!(out, $($arg)*);
            }
            None => println!($($arg)*),
        }
    }};
}

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "vamm", version, about = "vAMM perpetual futures on Solana: trade, govern, keep, simulate")]
pub struct Cli {
    /// JSON-RPC URL of the cluster or its moniker (mainnet-beta, devnet,
    /// testnet, localhost, or m, d, t, l), or local:FILE for an in-process
    /// cluster saved in FILE [default: the Solana CLI config's
    /// json_rpc_url, else localhost]
    #[arg(short = 'u', long, global = true, env = "VAMM_URL")]
    pub url: Option<String>,
    /// Keypair file that signs and pays [default: the Solana CLI config's
    /// keypair_path, else ~/.config/solana/id.json]. Read-only commands
    /// (`trader show --owner`, `gov show`, `gov queued`) need none.
    #[arg(short = 'k', long, global = true, env = "VAMM_KEYPAIR")]
    pub keypair: Option<String>,
    /// Commitment for reads and confirmations [default: the Solana CLI
    /// config's, else confirmed]
    #[arg(long, global = true, value_enum)]
    pub commitment: Option<Commitment>,
    /// The Solana CLI's config file, read for the defaults above.
    #[arg(
        long,
        global = true,
        env = "VAMM_SOLANA_CONFIG",
        default_value = "~/.config/solana/cli/config.yml"
    )]
    pub solana_config: String,
    /// Priority fee of every transaction sent over JSON-RPC: micro-lamports
    /// per compute unit, or `auto` for the 75th percentile of what recent
    /// blocks paid to write the same accounts (at most
    /// --max-priority-fee). The compute-unit limit is always set, from a
    /// simulation. [default: none]
    #[arg(long, global = true, value_parser = parse_priority_fee)]
    pub priority_fee: Option<PriorityFeeArg>,
    /// The most `--priority-fee auto` pays, micro-lamports per compute unit.
    #[arg(long, global = true, default_value_t = 1_000_000)]
    pub max_priority_fee: u64,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorityFeeArg {
    Auto,
    MicroLamportsPerUnit(u64),
}

fn parse_priority_fee(text: &str) -> Result<PriorityFeeArg, String> {
    match text {
        "auto" => Ok(PriorityFeeArg::Auto),
        number => number
            .parse()
            .map(PriorityFeeArg::MicroLamportsPerUnit)
            .map_err(|_| format!("`{number}` is neither `auto` nor micro-lamports per compute unit")),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Commitment {
    Processed,
    Confirmed,
    Finalized,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the whole exchange in-process with simulated traders and print a report.
    Sandbox(SandboxArgs),
    /// Risk and execution benchmark: every scenario under this protocol's
    /// parameters and the Perpetual Protocol v1 and Drift-style sets.
    Bench(BenchArgs),
    /// Trader commands (sign with --keypair).
    #[command(subcommand)]
    Trader(TraderCommand),
    /// Governance commands (the admin key signs).
    Gov(GovArgs),
    /// The keeper service.
    #[command(subcommand)]
    Keeper(KeeperCommand),
    /// Helpers for a local cluster (`--url local:FILE`): a USDC mint, oracle updates, the clock.
    #[command(subcommand)]
    Local(LocalCommand),
}

#[derive(Subcommand)]
pub enum LocalCommand {
    /// Create a USDC mint (the signer is its authority) and mint to the signer.
    SetupUsdc {
        #[arg(long, default_value = "1000000")]
        amount: String,
    },
    /// Write an oracle account in the real Pyth or Switchboard layout, as a publisher would.
    PublishOracle {
        #[arg(long)]
        address: String,
        /// pyth or switchboard
        #[arg(long)]
        source: String,
        /// 32 bytes of hex.
        #[arg(long)]
        feed_id: String,
        /// USDC.
        #[arg(long)]
        price: String,
        /// USDC (default: 0.05% of the price).
        #[arg(long)]
        confidence: Option<String>,
    },
    /// Move the cluster clock forward (at most a year at a time).
    Advance {
        #[arg(value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
        seconds: u64,
    },
    /// Create a keypair file (a JSON array of 64 bytes, as `solana-keygen
    /// new` writes) for a newcomer without the Solana CLI. Works on any
    /// cluster: no cluster is contacted.
    Keygen {
        /// Where to write it [default: the -k path, else the Solana CLI
        /// config's keypair_path, else ~/.config/solana/id.json].
        #[arg(short = 'o', long)]
        outfile: Option<String>,
        /// Replace an existing file (its key is lost).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args)]
pub struct SandboxArgs {
    /// Seed of the price paths and the traders' decisions.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Simulated hours.
    #[arg(long, default_value_t = 24)]
    pub hours: u64,
    /// Simulated seconds per step.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub step_secs: u64,
    /// Traders of each strategy per market.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=20))]
    pub traders_per_strategy: u64,
    /// Folder for report.json and the charts.
    #[arg(long, default_value = "sandbox-out")]
    pub out: PathBuf,
    /// CSV of oracle prices (header, then one row per step: SOL,BTC,ETH in USDC).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// The short CI scenario (6 hours, one trader per strategy and market).
    #[arg(long)]
    pub short: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args)]
pub struct BenchArgs {
    /// Seed of the price paths and the trader population.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Scenarios to run (default all): calm, trend, flash-crash, crash-40,
    /// oracle-pump, heavy-volume.
    #[arg(long, value_delimiter = ',')]
    pub scenario: Vec<String>,
    /// Parameter sets to run (default all): protocol, perp-v1, drift-style.
    #[arg(long, value_delimiter = ',')]
    pub configuration: Vec<String>,
    /// The deploy file whose first market is this protocol's set.
    #[arg(long, default_value = "migrations/deploy.toml")]
    pub config: PathBuf,
    /// Folder for bench.json.
    #[arg(long, default_value = "bench-out")]
    pub out: PathBuf,
}

#[derive(Subcommand)]
pub enum TraderCommand {
    /// Create a trader account for the signer.
    CreateAccount {
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
        /// A key allowed to trade (never withdraw) for this account.
        #[arg(long)]
        delegate: Option<String>,
    },
    /// Deposit USDC from the signer's token account.
    Deposit {
        /// USDC, e.g. 100.5
        amount: String,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
        /// Source token account (default: the signer's associated account).
        #[arg(long)]
        from: Option<String>,
    },
    /// Withdraw free collateral.
    Withdraw {
        amount: String,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
        /// Destination token account (default: the signer's associated account).
        #[arg(long)]
        to: Option<String>,
    },
    /// Market order: open, grow, reduce or flip.
    Open {
        #[arg(long)]
        market: u16,
        #[arg(long, value_enum)]
        side: Side,
        /// Size in base units (e.g. 1.5 SOL).
        #[arg(long, conflicts_with = "quote", required_unless_present = "quote")]
        base: Option<String>,
        /// Size in USDC notional.
        #[arg(long)]
        quote: Option<String>,
        /// Worst average price in USDC (default: the preview's price, less
        /// --slippage-bps).
        #[arg(long)]
        limit: Option<String>,
        /// Slippage allowed against the previewed price when --limit is not given, bps.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=5_000))]
        slippage_bps: u16,
        #[arg(long)]
        reduce_only: bool,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
        /// Print the preview (fill, fee, impact) without sending.
        #[arg(long)]
        dry_run: bool,
    },
    /// Close all or part of a position.
    Close {
        #[arg(long)]
        market: u16,
        /// Base units to close (default: all).
        #[arg(long)]
        base: Option<String>,
        /// Worst average price in USDC: the lowest a long sells at, the
        /// highest a short buys back at (default: the previewed fill moved
        /// --slippage-bps against the trader).
        #[arg(long, conflicts_with_all = ["slippage_bps", "no_limit"])]
        limit: Option<String>,
        /// Slippage allowed against the previewed fill when --limit is not given, bps.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=5_000))]
        slippage_bps: u16,
        /// Close at whatever price the curve gives (no slippage bound).
        #[arg(long, conflicts_with = "slippage_bps")]
        no_limit: bool,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
    },
    /// Close a position in a settled (delisted) market at its settlement price.
    Settle {
        #[arg(long)]
        market: u16,
        /// Whose account (default: the signer).
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
    },
    /// Pay a profit claim from a market's PnL pool into collateral (as far
    /// as the pool can; in a settled market, the pro-rata share once final).
    SettlePnl {
        #[arg(long)]
        market: u16,
        /// Whose account (default: the signer).
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
    },
    /// Positions with health, entry, mark, oracle and liquidation price.
    Show {
        /// Whose account (default: the signer).
        #[arg(long)]
        owner: Option<String>,
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Status {
    Active,
    ReduceOnly,
    Paused,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Side {
    Long,
    Short,
}

#[derive(Subcommand)]
pub enum GovCommand {
    /// Initialise the exchange with the signer (the program's upgrade
    /// authority) as admin.
    Init {
        /// Collateral (USDC) mint.
        #[arg(long)]
        mint: String,
        /// Key that may only pause (default: the signer).
        #[arg(long)]
        guardian: Option<String>,
    },
    /// The deploy step: initialise the exchange and list the markets of a
    /// deploy file (see migrations/deploy.toml) through the timelock. Run it
    /// again after the delay to execute the listings; what exists is skipped.
    Migrate {
        #[arg(long)]
        config: PathBuf,
    },
    /// Queue a change that may raise risk or move value; anyone executes it
    /// once the timelock delay has passed (`gov execute ID`).
    #[command(subcommand)]
    Queue(QueueCommand),
    /// The proposals waiting or executable, with when they become
    /// executable and expire.
    Queued {
        /// Also executed, cancelled and expired ones.
        #[arg(long)]
        all: bool,
    },
    /// Execute a proposal whose delay has passed (anyone may).
    Execute { id: u64 },
    /// Cancel a queued proposal (the admin or the guardian).
    Cancel { id: u64 },
    /// Pay a market's protocol fees to the treasury token account (anyone may).
    WithdrawTreasury {
        #[arg(long)]
        market: u16,
    },
    /// Change a market's parameters at once, from a TOML file of on-chain
    /// units (any subset of: taker_fee_bps, initial_ratio, ...). Only
    /// changes that reduce risk; others go through `gov queue update-params`.
    UpdateParams {
        #[arg(long)]
        market: u16,
        #[arg(long)]
        config: PathBuf,
    },
    /// Change a market's status (the guardian may only pause).
    SetStatus {
        #[arg(long)]
        market: u16,
        #[arg(long, value_enum)]
        status: Status,
    },
    /// Delist a paused market at its oracle price (final).
    Settle {
        #[arg(long)]
        market: u16,
    },
    /// Re-centre a market's curve on its oracle (cost paid by its fee pool).
    Repeg {
        #[arg(long)]
        market: u16,
    },
    /// Propose the next admin, who must accept (`gov accept-admin`).
    ProposeAdmin { new_admin: String },
    /// Cancel a pending admin proposal.
    CancelAdmin,
    /// Accept the admin role proposed to the signer.
    AcceptAdmin,
    /// Replace the guardian (the key that may only pause markets).
    SetGuardian { guardian: String },
    /// Bring the exchange's address lookup table up to date (admin): create
    /// one and point the exchange at it if there is none, then add the
    /// vaults, markets and oracles it lacks. `gov migrate` runs it after
    /// listing; run it after any other listing or oracle change.
    LookupTable,
    /// Show the exchange, its roles and its markets.
    Show,
}

#[derive(Args)]
pub struct GovArgs {
    /// Print the instructions and the unsigned message (base58 and base64)
    /// for a multisig to sign, instead of sending them.
    #[arg(long, global = true)]
    pub print_only: bool,
    #[command(subcommand)]
    pub command: GovCommand,
}

#[derive(Subcommand)]
pub enum QueueCommand {
    /// List a market from a TOML file (the `[[markets]]` entries of migrations/deploy.toml).
    ListMarket {
        #[arg(long)]
        config: PathBuf,
    },
    /// Change a market's parameters in any direction (TOML of on-chain units).
    UpdateParams {
        #[arg(long)]
        market: u16,
        #[arg(long)]
        config: PathBuf,
    },
    /// Change a market's depth sqrt(k), in whole base units (its mark and
    /// range stay; the fee pool pays the cost for the traders' net position).
    UpdateDepth {
        #[arg(long)]
        market: u16,
        #[arg(long)]
        depth: String,
        /// Most the fee pool may pay at execution, USDC (see `gov show`
        /// and the README for the cost formula).
        #[arg(long)]
        max_cost: String,
    },
    /// Point a market at other oracle accounts (executed only when they
    /// price within the market's jump band).
    SetOracles {
        #[arg(long)]
        market: u16,
        #[arg(long)]
        primary: String,
        /// pyth or switchboard
        #[arg(long)]
        primary_source: String,
        /// 32 bytes of hex.
        #[arg(long)]
        primary_feed_id: String,
        #[arg(long, requires_all = ["secondary_source", "secondary_feed_id"])]
        secondary: Option<String>,
        #[arg(long)]
        secondary_source: Option<String>,
        #[arg(long)]
        secondary_feed_id: Option<String>,
    },
    /// The insurance unstake cooldown (seconds, 1 to 30 days).
    SetUnstakeCooldown { seconds: u32 },
    /// The collateral token account protocol fees are paid to.
    SetTreasury { token_account: String },
    /// The timelock's delay (seconds, 1 hour to 14 days).
    SetTimelockDelay { seconds: u32 },
    /// Hand the admin role to a key directly (no acceptance step).
    SetAdmin { admin: String },
}

#[derive(Subcommand)]
pub enum KeeperCommand {
    /// Run the keeper until Ctrl-C.
    Run {
        /// Seconds between passes.
        #[arg(long, default_value_t = 5)]
        interval_secs: u64,
        /// Log a summary line every this many passes.
        #[arg(long, default_value_t = 12)]
        summary_every: u64,
        /// The signer's trader account receiving rewards and taken-over
        /// positions.
        #[arg(long, default_value_t = 0)]
        sub_account: u16,
        /// Largest position (USDC at the oracle price) the keeper takes
        /// over per market; 0 liquidates into the curve only.
        #[arg(long, default_value = "1000000")]
        takeover_max_notional: String,
        /// Share of the keeper's free collateral committed to takeovers, bps.
        #[arg(long, default_value_t = 2_500)]
        takeover_margin_use_bps: u16,
        /// Share of each position of the keeper's account (use a sub-account
        /// that holds only what it took over) unwound into the curve per
        /// pass, bps; 0 holds them.
        #[arg(long, default_value_t = 2_500)]
        unwind_fraction_bps: u16,
        /// How far past the oracle an unwind may push the mark, bps.
        #[arg(long, default_value_t = 50)]
        unwind_max_gap_bps: u16,
        /// Transactions landing at once: settlements, bankruptcy
        /// resolutions, claim payments and liquidation steps (one per
        /// account and market at a time).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
        max_in_flight: u16,
    },
    /// Measure how a pass scales with the number of trader accounts (in
    /// process): requests a JSON-RPC node would receive, and wall time.
    Bench {
        /// Trader account counts to measure.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        accounts: Vec<usize>,
        /// Deploy file whose markets are listed (each at the geometric
        /// middle of its price bounds).
        #[arg(long, default_value = "migrations/deploy.toml")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    keep_stdout_for_output();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(
                "info,tarpc=error,solana_runtime=warn,solana_program_test=warn,solana_metrics=error",
            )
        }))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            // A script reading --json output gets the error as JSON too.
            if json {
                outln!("{}", serde_json::json!({ "error": message }));
            }
            ExitCode::FAILURE
        }
    }
}

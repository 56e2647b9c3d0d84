//! End-to-end tests that run the `vamm` binary against the in-process
//! runtime (`--url local:FILE`, a local cluster saved between runs).

mod common;

use serde_json::Value;
use solana_signer::Signer;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Local {
    dir: PathBuf,
    keypair: PathBuf,
    state: PathBuf,
}

impl Local {
    /// Writes a Pyth price update for `oracle` (feed id as hex) at `price` USDC.
    fn publish_pyth(&self, oracle: &str, feed: &str, price: &str) {
        self.ok(&[
            "local",
            "publish-oracle",
            "--address",
            oracle,
            "--source",
            "pyth",
            "--feed-id",
            feed,
            "--price",
            price,
        ]);
    }

    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vamm-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let keypair = dir.join("id.json");
        let bytes = solana_keypair::Keypair::new().to_bytes().to_vec();
        std::fs::write(&keypair, serde_json::to_string(&bytes).unwrap()).unwrap();
        Local { state: dir.join("cluster.json"), dir, keypair }
    }

    fn vamm(&self) -> Command {
        common::vamm(&self.dir)
    }

    fn run(&self, args: &[&str]) -> Output {
        let cluster = format!("local:{}", self.state.display());
        self.vamm()
            .arg("--url")
            .arg(cluster)
            .arg("--keypair")
            .arg(&self.keypair)
            .args(args)
            .output()
            .expect("run vamm")
    }

    /// Runs `vamm --json` with only `args`: no --url, no --keypair.
    fn bare(&self, args: &[&str]) -> Output {
        self.vamm().args(args).output().expect("run vamm")
    }

    /// Runs a command that must succeed and returns its JSON output.
    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "vamm {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("vamm {args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
        })
    }

    /// Runs a command that must fail and returns its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "vamm {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn signer(&self) -> String {
        let bytes: Vec<u8> = serde_json::from_str(&std::fs::read_to_string(&self.keypair).unwrap()).unwrap();
        solana_keypair::Keypair::try_from(bytes.as_slice()).unwrap().pubkey().to_string()
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn market_toml(dir: &Path, oracle: &str) -> PathBuf {
    let path = dir.join("sol.toml");
    std::fs::write(
        &path,
        format!(
            r#"name = "SOL-PERP"
primary_oracle = "{oracle}"
primary_source = "pyth"
primary_feed_id = "{feed}"
max_staleness_secs = 60
max_confidence_bps = 100
consensus_band_bps = 100
depth = "10000"
min_price = "50"
max_price = "200"
initial_margin_pct = "10"
maintenance_margin_pct = "5"
initial_imf_factor_ppm = 100
maintenance_imf_factor_ppm = 50
mark_oracle_band_bps = 1000
max_oracle_jump_bps = 2500
price_confirmation_secs = 60
min_oracle_samples = 3
initial_profit_weight_bps = 5000
max_slot_move_bps = 1000
max_open_interest = "10000000"
max_position_notional = "5000000"
taker_fee_bps = 10
insurance_share_bps = 3000
pnl_pool_share_bps = 2000
fee_pool_share_bps = 2000
funding_period_secs = 3600
max_funding_rate_bps = 100
liquidation_fee_bps = 100
liquidator_share_bps = 5000
max_liquidation_fraction_bps = 5000
liquidation_buffer_pct = "1"
repeg_gap_bps = 300
repeg_delay_secs = 1800
"#,
            feed = "ab".repeat(32)
        ),
    )
    .unwrap();
    path
}

#[test]
fn governance_and_trader_flows_end_to_end() {
    let local = Local::new("flow");
    let usdc = local.ok(&["local", "setup-usdc", "--amount", "100000"]);
    let mint = usdc["mint"].as_str().unwrap().to_string();
    local.ok(&["gov", "init", "--mint", &mint]);
    let oracle = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
    local.publish_pyth(oracle, &"ab".repeat(32), "100");
    let config = market_toml(&local.dir, oracle);
    // Listing goes through the timelock: queued, refused before the delay,
    // executed by anyone after it.
    let queued = local.ok(&["gov", "queue", "list-market", "--config", config.to_str().unwrap()]);
    assert_eq!((queued["id"].as_u64(), queued["state"].as_str()), (Some(0), Some("waiting")));
    assert_eq!(queued["seconds_until_executable"], 86_400);
    let waiting = local.ok(&["gov", "queued"]);
    assert_eq!(waiting["proposals"].as_array().unwrap().len(), 1);
    let err = local.fails(&["gov", "execute", "0"]);
    assert!(err.contains("TimelockNotElapsed"), "{err}");
    local.ok(&["local", "advance", "86400"]);
    local.publish_pyth(oracle, &"ab".repeat(32), "100");
    local.ok(&["gov", "execute", "0"]);
    let exchange = local.ok(&["gov", "show"]);
    assert_eq!(exchange["timelock_delay_secs"], 86_400);
    assert_eq!(exchange["admin"], local.signer());
    assert_eq!(exchange["markets"][0]["oracle"], 100_000_000);

    local.ok(&["trader", "create-account"]);
    local.ok(&["trader", "deposit", "1000"]);
    let preview =
        local.ok(&["trader", "open", "--market", "0", "--side", "long", "--base", "2", "--dry-run"]);
    assert_eq!(preview["base"], 2_000_000_000u64);
    // 9x: 90 SOL on 1,000 USDC.
    local.ok(&["trader", "open", "--market", "0", "--side", "long", "--base", "90", "--limit", "101"]);
    let shown = local.ok(&["trader", "show"]);
    assert_eq!(shown["positions"][0]["base"], 90_000_000_000i64);
    assert_eq!(shown["summary"]["health"], "Healthy");
    solana_cli_habits(&local, &shown);
    let liquidation = shown["positions"][0]["liquidation_price"].as_u64().unwrap();
    assert!(liquidation > 90_000_000 && liquidation < 96_000_000, "{liquidation}");

    // A refusal is decoded to the program's error name, and exits non-zero.
    let err = local.fails(&["trader", "withdraw", "999"]);
    assert!(err.contains("InsufficientFreeCollateral"), "{err}");
    let err =
        local.fails(&["trader", "open", "--market", "0", "--side", "short", "--base", "1", "--limit", "200"]);
    assert!(err.contains("LimitPriceExceeded"), "{err}");

    local.ok(&["trader", "close", "--market", "0"]);
    let shown = local.ok(&["trader", "show"]);
    assert_eq!(shown["positions"].as_array().unwrap().len(), 0);

    // A short, closed in part under the default bound (a buy-back at most
    // 1% above the preview), then the rest with no bound at all. Every
    // transaction sent prints its signature on stderr.
    local.ok(&["trader", "open", "--market", "0", "--side", "short", "--base", "10"]);
    let partial = local.run(&["trader", "close", "--market", "0", "--base", "4"]);
    assert!(partial.status.success(), "{}", String::from_utf8_lossy(&partial.stderr));
    let stderr = String::from_utf8_lossy(&partial.stderr);
    let signature = stderr.lines().find_map(|l| l.strip_prefix("signature ")).expect("a signature printed");
    assert!((86..=88).contains(&signature.len()), "{signature}");
    let shown = local.ok(&["trader", "show"]);
    assert_eq!(shown["positions"][0]["base"], -6_000_000_000i64);
    let err = local.fails(&["trader", "close", "--market", "0", "--base", "7"]);
    assert!(err.contains("--base must be"), "{err}");
    let err = local.fails(&["trader", "close", "--market", "0", "--limit", "1", "--slippage-bps", "5"]);
    assert!(err.contains("cannot be used with"), "{err}");
    local.ok(&["trader", "close", "--market", "0", "--no-limit"]);
    let shown = local.ok(&["trader", "show"]);
    assert_eq!(shown["positions"].as_array().unwrap().len(), 0);
    local.ok(&["trader", "withdraw", "500"]);
    let shown = local.ok(&["trader", "show"]);
    let collateral = shown["summary"]["collateral"].as_u64().unwrap();
    // 1,000 less 500 withdrawn, two 0.1% fees on ~9,000 and the spread.
    assert!(collateral < 485_000_000 && collateral > 470_000_000, "{collateral}");

    // Funding comes due an hour later; the oracle is republished first.
    local.ok(&["local", "advance", "3600"]);
    local.publish_pyth(oracle, &"ab".repeat(32), "100");
    // A queued change the guardian or the admin cancels.
    let queued = local.ok(&["gov", "queue", "set-unstake-cooldown", "86400"]);
    assert_eq!(queued["id"], 1);
    local.ok(&["gov", "cancel", "1"]);
    let all = local.ok(&["gov", "queued", "--all"]);
    assert_eq!(all["proposals"][1]["state"], "cancelled");
    assert_eq!(local.ok(&["gov", "queued"])["proposals"].as_array().unwrap().len(), 0);

    // Governance after listing: a fee rise only through the timelock (and
    // printed for a multisig, nothing sent), a fee cut at once, a pause, a
    // resume, a repeg.
    let params = local.dir.join("params.toml");
    std::fs::write(&params, "taker_fee_bps = 20\nmax_funding_rate_bps = 25\n").unwrap();
    let err = local.fails(&["gov", "update-params", "--market", "0", "--config", params.to_str().unwrap()]);
    assert!(err.contains("RequiresTimelock") && err.contains("gov queue update-params"), "{err}");
    let printed = local.ok(&[
        "gov",
        "--print-only",
        "queue",
        "update-params",
        "--market",
        "0",
        "--config",
        params.to_str().unwrap(),
    ]);
    assert!(printed["message_base58"].as_str().unwrap().len() > 100, "{printed}");
    assert_eq!(printed["instructions"][0]["accounts"][0]["signer"], true);
    assert_eq!(local.ok(&["gov", "queued", "--all"])["proposals"].as_array().unwrap().len(), 2);
    let depth =
        local.ok(&["gov", "queue", "update-depth", "--market", "0", "--depth", "20000", "--max-cost", "50"]);
    assert!(depth["action"].as_str().unwrap().contains("sqrt_k: 20000000000000"), "{depth}");
    let feed = "cd".repeat(32);
    let switch = local.ok(&[
        "gov",
        "queue",
        "set-oracles",
        "--market",
        "0",
        "--primary",
        "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE",
        "--primary-source",
        "switchboard",
        "--primary-feed-id",
        &feed,
    ]);
    assert!(switch["action"].as_str().unwrap().contains("SetOracles"), "{switch}");
    std::fs::write(&params, "taker_fee_bps = 5\n").unwrap();
    local.ok(&["gov", "update-params", "--market", "0", "--config", params.to_str().unwrap()]);
    local.ok(&["gov", "set-status", "--market", "0", "--status", "paused"]);
    let err = local.fails(&["trader", "open", "--market", "0", "--side", "long", "--base", "1"]);
    assert!(err.contains("MarketNotActive"), "{err}");
    local.ok(&["gov", "set-status", "--market", "0", "--status", "active"]);
    local.ok(&["gov", "repeg", "--market", "0"]);
    let exchange = local.ok(&["gov", "show"]);
    assert_eq!(exchange["markets"][0]["status"], 0);

    // Delisting: pause, settle at the oracle, close the position.
    local.ok(&["trader", "open", "--market", "0", "--side", "short", "--base", "1"]);
    local.ok(&["gov", "set-status", "--market", "0", "--status", "paused"]);
    local.ok(&["gov", "settle", "--market", "0"]);
    local.ok(&["trader", "settle", "--market", "0"]);
    let shown = local.ok(&["trader", "show"]);
    assert!(shown["positions"].as_array().unwrap().iter().all(|p| p["base"] == 0));
}

/// Habits of the Solana CLI on a cluster with an exchange and one trader
/// (`shown` is its `trader show`): -u/-k, defaults from the Solana CLI's
/// config file, read-only commands without a keypair, errors as JSON.
fn solana_cli_habits(local: &Local, shown: &Value) {
    let cluster = format!("local:{}", local.state.display());
    let keypair = local.keypair.to_str().unwrap();
    let json = |out: Output| -> Value {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // Short flags.
    let short = json(local.bare(&["-u", &cluster, "-k", keypair, "trader", "show"]));
    assert_eq!(&short, shown);
    // The Solana CLI's config file supplies the URL, keypair and commitment.
    let config = local.dir.join("config.yml");
    std::fs::write(
        &config,
        format!("---\njson_rpc_url: \"{cluster}\"\nwebsocket_url: ''\nkeypair_path: {keypair}\naddress_labels:\n  '11111111111111111111111111111111': System Program\ncommitment: finalized\n"),
    )
    .unwrap();
    let from_config = json(local.bare(&["--solana-config", config.to_str().unwrap(), "trader", "show"]));
    assert_eq!(&from_config, shown);
    // Read-only commands need no keypair; `trader show` then needs --owner.
    let missing = local.dir.join("missing.json");
    let missing = missing.to_str().unwrap();
    let exchange = json(local.bare(&["-u", &cluster, "-k", missing, "gov", "show"]));
    assert_eq!(exchange["admin"], local.signer());
    json(local.bare(&["-u", &cluster, "-k", missing, "gov", "queued"]));
    let owner = local.signer();
    let other = json(local.bare(&["-u", &cluster, "-k", missing, "trader", "show", "--owner", &owner]));
    assert_eq!(&other, shown);
    let out = local.bare(&["-u", &cluster, "-k", missing, "trader", "show"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --owner"));
    // A command that signs still needs its keypair.
    let out = local.bare(&["-u", &cluster, "-k", missing, "trader", "deposit", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read keypair"));
    // With --json, an error is JSON on stdout too (and text on stderr).
    let out = local.run(&["trader", "withdraw", "999"]);
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(error["error"].as_str().unwrap().contains("InsufficientFreeCollateral"), "{error}");
}

#[test]
fn keygen_writes_a_keypair_file_and_never_overwrites_one_silently() {
    use std::os::unix::fs::PermissionsExt;
    let local = Local::new("keygen");
    let outfile = local.dir.join("new").join("id.json");
    let outfile = outfile.to_str().unwrap();
    let out = local.bare(&["local", "keygen", "--outfile", outfile]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bytes: Vec<u8> = serde_json::from_str(&std::fs::read_to_string(outfile).unwrap()).unwrap();
    let keypair = solana_keypair::Keypair::try_from(bytes.as_slice()).unwrap();
    assert_eq!(written["pubkey"], keypair.pubkey().to_string());
    assert_eq!(std::fs::metadata(outfile).unwrap().permissions().mode() & 0o777, 0o600);
    let again = local.bare(&["local", "keygen", "--outfile", outfile]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read(outfile).unwrap(), serde_json::to_vec(&bytes).unwrap(), "unchanged");
    let forced = local.bare(&["local", "keygen", "--outfile", outfile, "--force"]);
    let replaced: Value = serde_json::from_slice(&forced.stdout).unwrap();
    assert_ne!(replaced["pubkey"], written["pubkey"]);

    // Without -o it writes where -k points, as the signer would be read.
    let signer_path = local.dir.join("signer.json");
    let out = local.bare(&["-k", signer_path.to_str().unwrap(), "local", "keygen"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(signer_path.exists());

    // --force replaces a symlink, never writing through it.
    let target = local.dir.join("target.json");
    std::fs::write(&target, "keep").unwrap();
    let link = local.dir.join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = local.bare(&["local", "keygen", "-o", link.to_str().unwrap(), "--force"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&local.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn bad_arguments_print_a_clear_error_and_exit_non_zero() {
    let local = Local::new("args");
    for (args, needle) in [
        (vec!["trader", "open", "--market", "0", "--side", "sideways", "--base", "1"], "invalid value"),
        (vec!["trader", "open", "--market", "0", "--side", "long"], "--base"),
        (vec!["trader", "deposit", "12.1234567"], "more than 6 decimals"),
        (vec!["trader", "deposit", "-5"], "unexpected argument"),
        (vec!["sandbox", "--step-secs", "1"], "not in 10..=86400"),
        (vec!["gov", "init", "--mint", "not-a-key"], "not a base58 public key"),
        (vec!["local", "advance"], "required"),
    ] {
        let err = local.fails(&args);
        assert!(err.contains(needle), "vamm {args:?}: expected '{needle}' in: {err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_vamm"))
        .args(["trader", "show", "--keypair", "/nonexistent/id.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read keypair"));
    // Local helpers refuse to run against a real cluster.
    let out = Command::new(env!("CARGO_BIN_EXE_vamm"))
        .args([
            "--url",
            "http://127.0.0.1:1",
            "--keypair",
            local.keypair.to_str().unwrap(),
            "local",
            "advance",
            "5",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --url local:FILE"));
}

#[test]
fn sandbox_short_run_prints_a_conserved_report() {
    let dir = std::env::temp_dir().join(format!("vamm-cli-sandbox-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_vamm"))
        .args(["--json", "sandbox", "--short", "--seed", "7", "--out", dir.to_str().unwrap()])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["conservation"]["ok"], true);
    assert_eq!(report["seed"], 7);
    assert!(dir.join("report.json").exists() && dir.join("open_interest.svg").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_keeper_reads_accounts_a_hundred_at_a_time() {
    let local = Local::new("keeper-bench");
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let config = format!("{manifest_dir}/../../migrations/deploy.toml");
    let out = local.bare(&["keeper", "bench", "--accounts", "250", "--config", &config]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &rows[0];
    assert_eq!((row["accounts"].as_u64(), row["liquidatable"].as_u64()), (Some(250), Some(0)));
    // The refresh pass: one getProgramAccounts with data is the snapshot.
    assert_eq!(row["refresh_pass"]["get_program_accounts"], 1);
    // Any other pass: three batches of accounts, the markets and oracles
    // twice (two requests each), and a handful of single reads; no
    // transaction, since no account needs anything.
    let pass = &row["pass"];
    assert_eq!(pass["get_program_accounts"], 0);
    assert_eq!(pass["get_multiple_accounts"], 3 + 2 * 2);
    assert!(pass["get_account_info"].as_u64().unwrap() <= 6, "{pass}");
    assert_eq!(pass["transactions"], 0);
}

/// The benchmark end to end on the shipped deploy file: a flash crash
/// under this protocol's set and the Perpetual Protocol v1 set, the same
/// path and population for both, the vaults balanced after each.
#[test]
fn bench_runs_a_scenario_under_two_parameter_sets() {
    let dir = std::env::temp_dir().join(format!("vamm-cli-bench-{}", std::process::id()));
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let config = format!("{manifest_dir}/../../migrations/deploy.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_vamm"))
        .args(["--json", "bench", "--scenario", "flash-crash", "--configuration", "protocol,perp-v1"])
        .args(["--config", &config, "--out", dir.to_str().unwrap()])
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert_eq!(run["scenario"], "flash-crash");
        assert_eq!(run["conserved"], true);
        // A crowd of 5x-9.5x longs in a 15% crash: liquidations happen.
        assert!(run["liquidations"].as_u64().unwrap() > 0, "{run}");
        assert_eq!(run["trade_costs"].as_array().unwrap().len(), 3);
    }
    // The same population under both sets.
    assert_eq!(runs[0]["population_base"], runs[1]["population_base"]);
    // The per-slot limit of 1.2% makes a 100,000 USDC order split under v1.
    assert_eq!(runs[1]["trade_costs"][1]["refused_by"], "per-slot move");
    assert_eq!(runs[0]["trade_costs"][0]["refused_by"], Value::Null);
    assert!(dir.join("bench.json").exists() && dir.join("flash-crash-perp-v1.csv").exists());
    let chart = std::fs::read_to_string(dir.join("flash-crash.svg")).unwrap();
    assert!(chart.contains("mark, protocol") && chart.contains("mark, perp-v1"));
    let unknown = Command::new(env!("CARGO_BIN_EXE_vamm"))
        .args(["bench", "--scenario", "moon", "--config", &config, "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown scenario 'moon'"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_deploy_step_is_idempotent() {
    let local = Local::new("migrate");
    let usdc = local.ok(&["local", "setup-usdc"]);
    let mint = usdc["mint"].as_str().unwrap();
    let oracle = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE";
    let feed = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";
    local.publish_pyth(oracle, feed, "150");
    // The shipped deploy file, with the local mint and only its SOL market
    // (the other oracles are not published here).
    // At run time: a test binary shared through one target directory may
    // have been compiled in another checkout.
    let manifest_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let shipped = std::fs::read_to_string(format!("{manifest_dir}/../../migrations/deploy.toml")).unwrap();
    let sol_only: String = shipped.split("\n[[markets]]").take(2).collect::<Vec<_>>().join("\n[[markets]]");
    let config = sol_only.replace("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", mint);
    let path = local.dir.join("deploy.toml");
    std::fs::write(&path, config).unwrap();
    let first = local.ok(&["gov", "migrate", "--config", path.to_str().unwrap()]);
    assert_eq!(first["steps"][0]["done"], "created");
    let queued = first["steps"][1]["done"].as_str().unwrap().to_string();
    assert!(queued.starts_with("queued as proposal 0: executable from"), "{queued}");
    // The lookup table is created with the exchange-wide keys (six: no
    // treasury yet) and pointed at.
    assert_eq!(first["steps"][2]["step"], "lookup table");
    let table = first["steps"][2]["done"].as_str().unwrap();
    assert!(table.starts_with("created ") && table.ends_with(": 6 addresses added, 6 held"), "{table}");
    // Run again within the delay: nothing new is queued.
    let again = local.ok(&["gov", "migrate", "--config", path.to_str().unwrap()]);
    assert_eq!(again["steps"][0]["done"], "skipped: exists");
    assert_eq!(again["steps"][1]["done"], queued);
    // After the delay, with the oracle publishing, the listing executes.
    local.ok(&["local", "advance", "86400"]);
    local.publish_pyth(oracle, feed, "150");
    let listed = local.ok(&["gov", "migrate", "--config", path.to_str().unwrap()]);
    assert_eq!(listed["steps"][1]["done"], "listed as market 0 (proposal 0)");
    // The new market and its oracle join the same table.
    assert!(listed["steps"][2]["done"].as_str().unwrap().ends_with(": 2 addresses added, 8 held"));
    let synced = local.ok(&["gov", "lookup-table"]);
    assert_eq!((synced["created"].as_bool(), synced["added"].as_u64()), (Some(false), Some(0)));
    assert_eq!(local.ok(&["gov", "show"])["lookup_table"], synced["lookup_table"]);
    let second = local.ok(&["gov", "migrate", "--config", path.to_str().unwrap()]);
    assert_eq!(second["steps"][0]["done"], "skipped: exists");
    assert_eq!(second["steps"][1]["done"], "skipped: listed");
    let exchange = local.ok(&["gov", "show"]);
    assert_eq!(exchange["markets"].as_array().unwrap().len(), 1);
    assert_eq!(exchange["markets"][0]["name"], "SOL-PERP");

    // An existing exchange that is not the one the config describes is an
    // error, never a step to skip.
    let foreign_mint = local.dir.join("foreign-mint.toml");
    std::fs::write(&foreign_mint, sol_only.clone()).unwrap();
    let error = local.fails(&["gov", "migrate", "--config", foreign_mint.to_str().unwrap()]);
    assert!(error.contains("collateral mint"), "{error}");
    let stranger_key = local.dir.join("stranger.json");
    let bytes = solana_keypair::Keypair::new().to_bytes().to_vec();
    std::fs::write(&stranger_key, serde_json::to_string(&bytes).unwrap()).unwrap();
    let stranger = Local { state: local.state.clone(), dir: local.dir.clone(), keypair: stranger_key };
    let error = stranger.fails(&["gov", "migrate", "--config", path.to_str().unwrap()]);
    assert!(error.contains("refusing to migrate"), "{error}");
    assert!(error.contains(&local.signer()), "{error}");
}

#[test]
fn the_admin_hands_over_through_the_cli() {
    let local = Local::new("handover");
    let usdc = local.ok(&["local", "setup-usdc"]);
    local.ok(&["gov", "init", "--mint", usdc["mint"].as_str().unwrap()]);
    let next_key = local.dir.join("next.json");
    let next_keypair = solana_keypair::Keypair::new();
    std::fs::write(&next_key, serde_json::to_string(&next_keypair.to_bytes().to_vec()).unwrap()).unwrap();
    let next = Local { state: local.state.clone(), dir: local.dir.clone(), keypair: next_key };
    // Nothing proposed: accepting is refused with the program's error.
    let error = next.fails(&["gov", "accept-admin"]);
    assert!(error.contains("NotPendingAdmin"), "{error}");
    let proposed = local.ok(&["gov", "propose-admin", &next.signer()]);
    assert_eq!(proposed["pending_admin"], next.signer());
    next.ok(&["gov", "accept-admin"]);
    assert_eq!(local.ok(&["gov", "show"])["admin"], next.signer());
    // The old admin has lost its powers.
    let error = local.fails(&["gov", "set-guardian", &local.signer()]);
    assert!(error.contains("NotAdmin"), "{error}");
    next.ok(&["gov", "set-guardian", &local.signer()]);
}

//! `vamm-localnet`: a local validator serving the exchange (see the
//! library's documentation and docs/localnet.md).

use clap::Parser;
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, IntoRawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;
use vamm_localnet::deploy::{KEEPER_DEPOSIT, NEWCOMER_USDC, WALLET_LAMPORTS};
use vamm_localnet::{Localnet, LocalnetConfig};

/// A local validator with the vAMM exchange deployed: JSON-RPC,
/// WebSocket, a faucet, a USDC mint, SOL/BTC/ETH markets and oracle
/// prices published from a seeded walk until Ctrl-C.
#[derive(Parser)]
#[command(name = "vamm-localnet")]
struct Args {
    /// JSON-RPC port; WebSocket listens on the next one.
    #[arg(long, default_value_t = 8899)]
    rpc_port: u16,
    #[arg(long, default_value_t = 9900)]
    faucet_port: u16,
    /// Seeds the deploy's keys and oracle addresses and the price walk.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Seconds between price publications.
    #[arg(long, default_value_t = 2.0)]
    publish_every: f64,
    /// Where the admin, newcomer and keeper keypairs are written.
    #[arg(long, default_value = "localnet-out")]
    out: PathBuf,
    /// Print the summary as one JSON line.
    #[arg(long)]
    json: bool,
}

fn write_keypair(path: &Path, keypair: &Keypair) -> Result<(), String> {
    let bytes = keypair.to_bytes().to_vec();
    let text = serde_json::to_string(&bytes).map_err(|e| e.to_string())?;
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

async fn run(args: Args, mut out: Box<dyn Write + Send>) -> Result<(), String> {
    if !(0.2..=3_600.0).contains(&args.publish_every) {
        return Err("--publish-every must be within 0.2 to 3,600 seconds".into());
    }
    let config = LocalnetConfig {
        rpc_port: Some(args.rpc_port),
        faucet_port: Some(args.faucet_port),
        seed: args.seed,
        publish_interval_secs: args.publish_every,
    };
    let net = Localnet::start(config).await?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("creating {}: {e}", args.out.display()))?;
    let d = &net.deployment;
    let files = [("admin", &d.admin), ("newcomer", &d.newcomer), ("keeper", &d.keeper)];
    for (name, keypair) in files {
        write_keypair(&args.out.join(format!("{name}.json")), keypair)?;
    }
    let path = |name: &str| args.out.join(format!("{name}.json")).display().to_string();
    // The deploy file describing this exchange: `vamm gov migrate --config`
    // with it (or with markets added) runs the deploy step against it.
    let deploy_path = args.out.join("deploy.toml");
    let deploy_text = toml::to_string(&d.deploy_file).map_err(|e| format!("deploy file: {e}"))?;
    std::fs::write(&deploy_path, deploy_text)
        .map_err(|e| format!("writing {}: {e}", deploy_path.display()))?;
    let markets: Vec<_> = d
        .markets
        .iter()
        .map(|m| {
            let oracles: Vec<String> = m.oracles.iter().map(|o| o.address.to_string()).collect();
            json!({ "index": m.index, "name": m.name, "oracles": oracles })
        })
        .collect();
    let summary = json!({
        "rpc_url": net.rpc_url(), "websocket_url": net.websocket_url(), "faucet": net.faucet.to_string(),
        "program": vamm::ID.to_string(), "usdc_mint": d.mint.to_string(), "markets": markets,
        "newcomer": { "keypair": path("newcomer"), "pubkey": d.newcomer.pubkey().to_string(),
            "lamports": WALLET_LAMPORTS, "usdc": NEWCOMER_USDC },
        "admin": { "keypair": path("admin"), "pubkey": d.admin.pubkey().to_string() },
        "keeper": { "keypair": path("keeper"), "pubkey": d.keeper.pubkey().to_string(), "deposit": KEEPER_DEPOSIT },
        "pending_proposal": d.pending_proposal,
        "deploy_file": deploy_path.display().to_string(), "migration": net.migration,
    });
    if args.json {
        let _ = writeln!(out, "{summary}");
    } else {
        let _ = writeln!(out, "vAMM localnet (program {})", vamm::ID);
        let _ = writeln!(out, "  JSON-RPC   {}", net.rpc_url());
        let _ = writeln!(out, "  WebSocket  {}", net.websocket_url());
        let _ = writeln!(out, "  faucet     {}", net.faucet);
        let _ = writeln!(out, "  USDC mint  {}", d.mint);
        for m in &d.markets {
            let _ = writeln!(out, "  market {}   {}", m.index, m.name);
        }
        let _ = writeln!(
            out,
            "  newcomer   {} ({}): 1,000 SOL and 100,000 USDC",
            path("newcomer"),
            d.newcomer.pubkey()
        );
        let _ = writeln!(
            out,
            "  keeper     {} ({}): a trader account with 250,000 USDC",
            path("keeper"),
            d.keeper.pubkey()
        );
        let _ = writeln!(out, "  admin      {} ({})", path("admin"), d.admin.pubkey());
        let _ = writeln!(out, "  deploy     {} (vamm gov migrate --config it):", deploy_path.display());
        for step in &net.migration {
            let _ = writeln!(out, "    {:<26} {}", step.step, step.done);
        }
        let _ = writeln!(
            out,
            "  proposal {} (unstake cooldown to 3 days) is executable: vamm gov execute {}",
            d.pending_proposal, d.pending_proposal
        );
        let _ = writeln!(out, "Try:");
        let _ = writeln!(out, "  vamm -u {} -k {} trader create-account", net.rpc_url(), path("newcomer"));
        let _ = writeln!(out, "  vamm -u {} -k {} trader deposit 1000", net.rpc_url(), path("newcomer"));
        let _ = writeln!(out, "Publishing prices every {} s; Ctrl-C stops.", args.publish_every);
    }
    let mut publisher = net.publisher();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(args.publish_every));
    // One listener for the whole loop: a fresh `ctrl_c()` per iteration
    // misses a signal that arrives while a publication is being sent
    // (found by tests/ctrl_c.rs).
    let stop = tokio::signal::ctrl_c();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticker.tick() => {
                publisher.step();
                // A missed publication is the oracle going quiet for an
                // interval, as on a real cluster; the next one catches up.
                if let Err(e) = publisher.publish().await {
                    eprintln!("publishing prices: {e}");
                }
            }
        }
    }
    eprintln!("stopping the validator");
    // A precaution, not an observed hang: should the validator's shutdown
    // wait on its own threads, the ledger is a new temporary one each
    // start, so give the drop 10 s, then leave anyway.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(10));
        eprintln!("the validator did not stop within 10 s; exiting");
        std::process::exit(0);
    });
    drop(publisher);
    drop(net);
    Ok(())
}

/// The summary's destination: the real standard output. The program runs
/// natively in this process, where `msg!` prints to standard output; its
/// logs go to standard error with VAMM_PROGRAM_LOGS set, else nowhere.
fn keep_stdout_for_output() -> Box<dyn Write + Send> {
    let logs = if std::env::var_os("VAMM_PROGRAM_LOGS").is_some() {
        Some(2)
    } else {
        std::fs::OpenOptions::new().write(true).open("/dev/null").ok().map(IntoRawFd::into_raw_fd)
    };
    // SAFETY: plain descriptor duplication before any other thread runs;
    // the duplicate is owned by the File from here on.
    let saved = unsafe { libc::dup(1) };
    if let Some(target) = logs {
        if saved >= 0 && unsafe { libc::dup2(target, 1) } >= 0 {
            return Box::new(unsafe { File::from_raw_fd(saved) });
        }
    }
    Box::new(std::io::stdout())
}

fn main() {
    let args = Args::parse();
    let out = keep_stdout_for_output();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    if let Err(e) = runtime.block_on(run(args, out)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    // Not dropping the runtime: it could wait on the validator's blocking
    // tasks.
    std::process::exit(0);
}

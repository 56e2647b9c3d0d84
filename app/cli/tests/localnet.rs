//! End to end over JSON-RPC against a real validator (`vamm-localnet`):
//! the `vamm` binary's trader and governance flows, an account
//! subscription over WebSocket, `getProgramAccounts` with the client's
//! filter, and the keeper settling funding and liquidating after a price
//! move, events read back from a confirmed transaction (its logs streamed
//! and `getTransaction`), the deploy step (`gov migrate`) against the
//! validator, the RPC transport's expiry judged by the node, and the
//! TypeScript SDK's trader flow run with Node. One
//! validator serves every step, in order (the expiry runs beside them).
#![allow(deprecated)]

mod common;

use anchor_lang::{AccountDeserialize, Discriminator};
use futures::StreamExt;
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;
use serde_json::Value;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcTransactionConfig, RpcTransactionLogsConfig, RpcTransactionLogsFilter,
    UiTransactionEncoding,
};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use vamm::events::CollateralDeposited;
use vamm::state::TraderAccount;
use vamm_client::deploy::{DeployFile, MarketFile};
use vamm_client::keeper::{Keeper, KeeperConfig};
use vamm_client::transport::confirm::{self, Cluster, Patience};
use vamm_client::transport::message::{self, ComputeBudget};
use vamm_client::transport::ClientResult;
use vamm_client::valuation::fetch_trader;
use vamm_client::{events, ix, lookup_table, ClientError, RpcTransport, Transport};
use vamm_localnet::deploy::PENDING_UNSTAKE_COOLDOWN_SECS;
use vamm_localnet::{Localnet, LocalnetConfig};

struct Cli {
    url: String,
    dir: PathBuf,
}

impl Cli {
    fn run(&self, keypair: &Path, args: &[&str]) -> Output {
        common::vamm(&self.dir)
            .args(["--url", &self.url, "--keypair"])
            .arg(keypair)
            .args(args)
            .output()
            .expect("run vamm")
    }

    fn ok(&self, keypair: &Path, args: &[&str]) -> Value {
        let out = self.run(keypair, args);
        assert!(out.status.success(), "vamm {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        // Every transaction's signature is printed on stderr.
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("vamm {args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
        })
    }

    fn fails(&self, keypair: &Path, args: &[&str]) -> String {
        let out = self.run(keypair, args);
        assert!(!out.status.success(), "vamm {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

fn write_keypair(dir: &Path, name: &str, keypair: &Keypair) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string(&keypair.to_bytes().to_vec()).unwrap()).unwrap();
    path
}

/// A cluster whose leaders drop every packet: nothing is sent, and status
/// and block height are the node's own answers.
struct DroppedPackets<'a>(&'a RpcTransport);

impl Cluster for DroppedPackets<'_> {
    async fn send(&mut self, _: &VersionedTransaction, _: bool) -> ClientResult<()> {
        Ok(())
    }

    async fn status(&mut self, signature: &Signature) -> ClientResult<Option<Result<(), TransactionError>>> {
        let mut node = self.0;
        node.status(signature).await
    }

    async fn block_height(&mut self) -> ClientResult<u64> {
        let mut node = self.0;
        node.block_height().await
    }
}

/// Lands a transfer none of whose packets reach a leader: the transport
/// must report it expired once the node's confirmed block height passes
/// the blockhash's last valid height, and the node must then refuse the
/// same transaction (expired means it can never land, so a new order is
/// safe). Takes a blockhash's life, about a minute.
async fn expire_a_dropped_transaction(url: String, payer: Keypair) {
    let confirmed = CommitmentConfig::confirmed();
    let node = RpcTransport::new(&url, payer.insecure_clone(), confirmed);
    let client = RpcClient::new_with_commitment(url, confirmed);
    let recipient = Pubkey::new_unique();
    let transfer = solana_system_interface::instruction::transfer(&payer.pubkey(), &recipient, 1_000_000_000);
    let (blockhash, last_valid) = client.get_latest_blockhash_with_commitment(confirmed).await.unwrap();
    let budget = ComputeBudget { unit_limit: 10_000, micro_lamports_per_unit: 0 };
    let tx = message::build(&payer, &[transfer], &[], &[], budget, blockhash).unwrap();
    let signature = tx.signatures[0];
    let (outcome, landing) =
        confirm::land(&mut DroppedPackets(&node), &tx, last_valid, Patience::default()).await;
    assert_eq!(outcome, Err(ClientError::Expired { signature }), "{landing:?}");
    assert!(landing.sends > 1, "rebroadcast while unanswered: {landing:?}");
    let height = client.get_block_height().await.unwrap();
    assert!(height > last_valid, "reported expired at height {height}, valid through {last_valid}");
    // The node agrees: the very same transaction is refused now.
    let refused = client.send_transaction(&tx).await.expect_err("an expired transaction is refused");
    assert_eq!(refused.get_transaction_error(), Some(TransactionError::BlockhashNotFound), "{refused}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(client.get_balance(&recipient).await.unwrap(), 0, "it never landed");
}

/// What `gov migrate --json` did, step by step.
fn migrate_steps(out: &Value) -> Vec<(String, String)> {
    let steps = out["steps"].as_array().expect("steps");
    steps.iter().map(|s| (s["step"].as_str().unwrap().into(), s["done"].as_str().unwrap().into())).collect()
}

/// The base (`BASE_PRECISION`) of `trader show`'s position in `market`.
fn position_base(shown: &Value, market: &str) -> Option<i64> {
    let positions = shown["positions"].as_array()?;
    positions.iter().find(|p| p["market"] == market)?["base"].as_i64()
}

/// Runs the TypeScript SDK's trader-flow example with Node (after `npm ci`
/// when the SDK's locked dependencies are not installed yet) and returns
/// the JSON line each step printed.
fn typescript_trader_flow(rpc_url: &str, ws_url: &str, keypair: &Path) -> Vec<Value> {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ts");
    if !sdk.join("node_modules").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&sdk)
            .status()
            .expect("npm runs (the SDK needs Node 20 and npm)");
        assert!(status.success(), "npm ci in app/ts failed");
    }
    let out = std::process::Command::new("node")
        .args(["--import", "tsx", "examples/trader-flow.ts", rpc_url, ws_url])
        .arg(keypair)
        .args(["1", "1", "0.01", "500"])
        .current_dir(&sdk)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the TS flow failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trader_governance_and_keeper_flows_over_json_rpc() {
    let config = LocalnetConfig { rpc_port: None, faucet_port: None, ..LocalnetConfig::default() };
    let net = Localnet::start(config).await.expect("localnet starts");
    let dir = std::env::temp_dir().join(format!("vamm-localnet-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cli = Cli { url: net.rpc_url(), dir: dir.clone() };
    let d = &net.deployment;
    let newcomer = write_keypair(&dir, "newcomer", &d.newcomer);
    let admin = write_keypair(&dir, "admin", &d.admin);
    let mut publisher = net.publisher();
    publisher.publish().await.expect("prices published");
    let expiry = tokio::spawn(expire_a_dropped_transaction(net.rpc_url(), d.keeper.insecure_clone()));

    // Read-only commands need no keypair file that exists.
    let exchange = cli.ok(&dir.join("missing.json"), &["gov", "show"]);
    assert_eq!(exchange["admin"], d.admin.pubkey().to_string());
    let names: Vec<&str> =
        exchange["markets"].as_array().unwrap().iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(names, ["SOL-PERP", "BTC-PERP", "ETH-PERP"]);
    assert_eq!(exchange["insurance_balance"], 25_000_000_000u64);
    // The lookup table was made over JSON-RPC at start and holds the
    // exchange's six shared keys and each market with its oracles.
    let mut keeper_rpc = net.transport(d.keeper.insecure_clone());
    let table = lookup_table::load(&mut keeper_rpc).await.unwrap().expect("a lookup table");
    let table_key = table.key.to_string();
    assert_eq!(exchange["lookup_table"], table_key);
    assert_eq!(table.addresses.len(), 6 + 3 + 2 + 2, "{:?}", table.addresses);
    keeper_rpc.set_lookup_tables(vec![table]);
    // The deploy step ran at start over JSON-RPC with the deployment's
    // file: everything in place but the table, which it created.
    let started: Vec<_> = net.migration.iter().map(|s| (s.step.as_str(), s.done.as_str())).collect();
    assert_eq!(started.len(), 5, "{started:?}");
    assert_eq!(started[0], ("initialize_exchange", "skipped: exists"));
    assert_eq!(
        started[1..4],
        [
            ("list SOL-PERP", "skipped: listed"),
            ("list BTC-PERP", "skipped: listed"),
            ("list ETH-PERP", "skipped: listed")
        ]
    );
    assert_eq!(
        started[4],
        ("lookup table", format!("created {table_key}: 13 addresses added, 13 held").as_str())
    );
    // The same step through the binary: nothing to do.
    let deploy_path = dir.join("deploy.toml");
    std::fs::write(&deploy_path, toml::to_string(&d.deploy_file).unwrap()).unwrap();
    let migrated =
        migrate_steps(&cli.ok(&admin, &["gov", "migrate", "--config", deploy_path.to_str().unwrap()]));
    assert_eq!(migrated[1], ("list SOL-PERP".into(), "skipped: listed".into()));
    assert_eq!(migrated[4].1, format!("{table_key}: 0 addresses added, 13 held"));
    let synced = cli.ok(&admin, &["gov", "lookup-table"]);
    assert_eq!((synced["created"].as_bool(), synced["added"].as_u64()), (Some(false), Some(0)), "{synced}");
    assert_eq!(synced["lookup_table"], table_key);
    // A market added to the file is queued through the timelock, once.
    let mut grown: DeployFile = d.deploy_file.clone();
    let extra = MarketFile { name: "ETH2-PERP".into(), ..grown.markets[2].clone() };
    grown.markets.push(extra);
    std::fs::write(&deploy_path, toml::to_string(&grown).unwrap()).unwrap();
    let config = ["gov", "migrate", "--config", deploy_path.to_str().unwrap()];
    let queued = migrate_steps(&cli.ok(&admin, &config));
    assert_eq!(queued[4].0, "list ETH2-PERP");
    let listing: u64 = queued[4]
        .1
        .strip_prefix("queued as proposal ")
        .and_then(|t| t.split(':').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{queued:?}"));
    let again = migrate_steps(&cli.ok(&admin, &config));
    assert!(again[4].1.starts_with(&format!("queued as proposal {listing}: executable from ")), "{again:?}");
    let err = cli.fails(&newcomer, &config);
    assert!(err.contains("refusing to migrate it"), "{err}");
    cli.ok(&admin, &["gov", "cancel", &listing.to_string()]);

    // The trader flow, each transaction confirmed by the validator.
    cli.ok(&newcomer, &["trader", "create-account"]);
    // Events: the program's logs, streamed over WebSocket at `confirmed`.
    let pubsub = PubsubClient::new(net.websocket_url().as_str()).await.expect("websocket connects");
    let mentions = RpcTransactionLogsFilter::Mentions(vec![vamm::ID.to_string()]);
    let logs_config = RpcTransactionLogsConfig { commitment: Some(CommitmentConfig::confirmed()) };
    let (mut program_logs, unsubscribe_logs) = pubsub.logs_subscribe(mentions, logs_config).await.unwrap();
    let deposit = cli.run(&newcomer, &["trader", "deposit", "1000"]);
    assert!(deposit.status.success(), "{}", String::from_utf8_lossy(&deposit.stderr));
    let stderr = String::from_utf8_lossy(&deposit.stderr);
    let signature = stderr.lines().find_map(|l| l.strip_prefix("signature ")).expect("a signature printed");
    let err = cli.fails(&newcomer, &["trader", "withdraw", "5000"]);
    assert!(err.contains("InsufficientFreeCollateral"), "{err}");
    cli.ok(&newcomer, &["trader", "open", "--market", "0", "--side", "long", "--base", "2"]);
    let shown = cli.ok(&newcomer, &["trader", "show"]);
    assert_eq!(position_base(&shown, "SOL-PERP"), Some(2_000_000_000), "{shown}");
    cli.ok(&newcomer, &["trader", "close", "--market", "0"]);
    let shown = cli.ok(&newcomer, &["trader", "show"]);
    assert_eq!(position_base(&shown, "SOL-PERP"), None, "{shown}");
    cli.ok(&newcomer, &["trader", "withdraw", "500"]);
    let shown = cli.ok(&newcomer, &["trader", "show"]);
    let collateral = shown["summary"]["collateral"].as_u64().unwrap();
    // 1,000 in, 500 out, two 0.1% fees on ~300 and the spread.
    assert!(collateral > 498_000_000 && collateral < 500_000_000, "{shown}");

    // The deposit's event, read back from the confirmed transaction's logs
    // (the program's emit!, as on mainnet: `Program data:` lines).
    let deposited_logs = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(notification) = program_logs.next().await {
            if notification.value.signature == signature {
                return Some(notification.value.logs);
            }
        }
        None
    });
    let logs = deposited_logs.await.expect("notified within 30 s").expect("the deposit's logs");
    drop(program_logs);
    unsubscribe_logs().await;
    let deposited: Vec<CollateralDeposited> = events::events(&logs);
    assert_eq!(deposited.len(), 1, "{logs:#?}");
    assert_eq!(deposited[0].trader_account, ix::trader_pda(&d.newcomer.pubkey(), 0));
    assert_eq!((deposited[0].amount, deposited[0].collateral_after), (1_000_000_000, 1_000_000_000));

    // Governance: the deploy left a change whose delay has passed; anyone
    // may execute it, over JSON-RPC like everything else.
    let waiting = cli.ok(&admin, &["gov", "queued"]);
    let pending = d.pending_proposal;
    let listed = waiting["proposals"].as_array().unwrap();
    assert!(listed.iter().any(|p| p["id"] == pending && p["state"] == "executable"), "{waiting}");
    cli.ok(&newcomer, &["gov", "execute", &pending.to_string()]);
    let exchange = cli.ok(&admin, &["gov", "show"]);
    assert_eq!(exchange["unstake_cooldown_secs"], PENDING_UNSTAKE_COOLDOWN_SECS);

    // A new change waits out the timelock; the admin cancels it.
    let queued = cli.ok(&admin, &["gov", "queue", "set-unstake-cooldown", "172800"]);
    assert_eq!(queued["state"], "waiting");
    let id = queued["id"].as_u64().unwrap().to_string();
    let err = cli.fails(&admin, &["gov", "execute", &id]);
    assert!(err.contains("TimelockNotElapsed"), "{err}");
    cli.ok(&admin, &["gov", "cancel", &id]);
    let err = cli.fails(&newcomer, &["gov", "queue", "set-unstake-cooldown", "172800"]);
    assert!(err.contains("NotAdmin"), "{err}");

    // WebSocket: a subscription to BTC's Pyth account delivers the next
    // publication, decodable by Pyth's own SDK.
    let btc_oracle = d.markets[1].oracles[0].address;
    let subscription = RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        ..RpcAccountInfoConfig::default()
    };
    let (mut updates, unsubscribe) = pubsub.account_subscribe(&btc_oracle, Some(subscription)).await.unwrap();
    let btc = publisher.prices()[1] + 1_234_567;
    publisher.set_price(1, btc);
    publisher.publish().await.unwrap();
    let update = tokio::time::timeout(Duration::from_secs(30), updates.next()).await;
    let update = update.expect("notified within 30 s").expect("a notification");
    let account: solana_account::Account = update.value.decode().expect("base64 account");
    let posted = PriceUpdateV2::try_deserialize(&mut account.data.as_slice()).expect("a PriceUpdateV2");
    assert_eq!(posted.price_message.price, btc as i64 * 100, "6 decimals published as exponent -8");
    drop(updates);
    unsubscribe().await;

    // getProgramAccounts with the trader-account filter sees both traders.
    let traders = keeper_rpc.program_accounts(TraderAccount::DISCRIMINATOR).await.unwrap();
    let owners: Vec<_> = traders.iter().map(|(address, _)| *address).collect();
    let newcomer_account = ix::trader_pda(&d.newcomer.pubkey(), 0);
    let keeper_account = ix::trader_pda(&d.keeper.pubkey(), 0);
    assert!(owners.contains(&newcomer_account) && owners.contains(&keeper_account), "{owners:?}");
    assert_eq!(traders.len(), 2);

    // A 7.5x long, then SOL drops 9%: the keeper liquidates it and, the
    // listing being more than a funding period old, settles funding.
    cli.ok(&newcomer, &["trader", "open", "--market", "0", "--side", "long", "--base", "25"]);
    let price = publisher.prices()[0];
    publisher.set_price(0, price * 91 / 100);
    publisher.publish().await.unwrap();
    let mut keeper = Keeper::new(d.keeper.insecure_clone(), keeper_account, KeeperConfig::default());
    let stats = keeper.tick(&mut keeper_rpc).await.expect("keeper pass");
    assert!(stats.funding_settled >= 1, "{stats:?}");
    assert!(stats.liquidations + stats.takeovers >= 1, "{stats:?}");
    let victim = fetch_trader(&mut keeper_rpc, &newcomer_account).await.unwrap().expect("the account");
    let base = victim.position(0).map_or(0, |p| p.base);
    assert!(base < 25_000_000_000, "liquidated at least in part: {base}");
    // The deposit's event again, from getTransaction (history is on).
    let rpc = RpcClient::new_with_commitment(net.rpc_url(), CommitmentConfig::confirmed());
    let fetch = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    let signature: Signature = signature.parse().unwrap();
    // This node answers null at `confirmed` until the slot is rooted (32
    // slots later, about half a minute with its debug build's slots).
    let mut fetched = None;
    for _ in 0..120 {
        if let Ok(found) = rpc.get_transaction_with_config(&signature, fetch).await {
            fetched = Some(found);
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let fetched = fetched.expect("getTransaction answers within 60 s");
    let meta = fetched.transaction.meta.expect("status meta");
    let logs: Option<Vec<String>> = meta.log_messages.into();
    let fetched_events: Vec<CollateralDeposited> = events::events(&logs.expect("logs"));
    assert_eq!(fetched_events, deposited);

    // The TypeScript SDK's trader flow (app/ts/examples/trader-flow.ts, the
    // SDK README's example) against the same validator, in BTC on the
    // newcomer's second sub-account.
    publisher.publish().await.unwrap();
    let (rpc_url, ws_url, keypair) = (net.rpc_url(), net.websocket_url(), newcomer.clone());
    let flow = tokio::task::spawn_blocking(move || typescript_trader_flow(&rpc_url, &ws_url, &keypair));
    let flow = flow.await.expect("the TS flow ran");
    let steps: Vec<&str> = flow.iter().filter_map(|line| line["step"].as_str()).collect();
    assert_eq!(steps, ["create", "deposit", "open", "health", "close", "withdraw"], "{flow:#?}");
    assert_eq!(flow[3]["health"], "Healthy", "{flow:#?}");
    assert_eq!(flow[5]["collateralAfter"], "0.000000", "{flow:#?}");
    let second = ix::trader_pda(&d.newcomer.pubkey(), 1);
    let second = fetch_trader(&mut keeper_rpc, &second).await.unwrap().expect("created by the TS flow");
    assert_eq!((second.collateral, second.total_deposited), (0, 500_000_000));
    assert!(second.open_positions().next().is_none());
    // 500 in; out 500 less two 0.1% fees on ~600 and the spread.
    assert!(
        second.total_withdrawn > 497_000_000 && second.total_withdrawn < 500_000_000,
        "{}",
        second.total_withdrawn
    );
    expiry.await.expect("the expiry check");
    let _ = std::fs::remove_dir_all(&dir);
}

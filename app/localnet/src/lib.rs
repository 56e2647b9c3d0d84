//! A real local validator for the exchange: agave's test validator (the
//! library `solana-test-validator` runs) serving the natively compiled
//! program over JSON-RPC and WebSocket, with a faucet, the deployed
//! exchange (`deploy`), oracle stand-ins (`builtins`) and a price
//! publisher (`publisher`). Every off-chain path that talks JSON-RPC (the
//! CLI, the keeper, the RPC transport) is tested against it end to end.
//!
//! Native specifics (there is no SBF toolchain here): the program runs as
//! a builtin registered on the validator's banks, and its CPIs reach the
//! runtime through `solana-program-test`'s syscall stubs, which an
//! in-process runtime installs once per process (the deploy step starts
//! one). A builtin is unknown to a ledger replay, so every start makes a
//! new ledger.
// solana-program-test 3.1 marks its API deprecated ahead of 4.x.
#![allow(deprecated)]

pub mod builtins;
pub mod deploy;
pub mod logs;
pub mod publisher;

use deploy::Deployment;
use publisher::Publisher;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc::rpc::JsonRpcConfig;
use solana_signer::Signer;
use solana_test_validator::{TestValidator, TestValidatorGenesis};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vamm_client::deploy::{self as migration, Step};
use vamm_client::{RpcTransport, Transport};

/// How long the start waits for the validator to pass the deploy's slot.
const SLOT_WAIT_LIMIT_MS: u64 = 60_000;

/// How long before the validator's start the markets were listed.
pub const LISTED_SECS_AGO: i64 = 3_660;

#[derive(Clone, Debug)]
pub struct LocalnetConfig {
    /// JSON-RPC port (WebSocket: the next one); `None`: any free ports.
    pub rpc_port: Option<u16>,
    /// Faucet port; `None`: any free port.
    pub faucet_port: Option<u16>,
    /// Seeds the deploy's keys and oracle addresses and the price walk.
    pub seed: u64,
    /// Seconds between price publications (the walk is rescaled to it).
    pub publish_interval_secs: f64,
}

impl Default for LocalnetConfig {
    fn default() -> Self {
        LocalnetConfig { rpc_port: Some(8899), faucet_port: Some(9900), seed: 42, publish_interval_secs: 2.0 }
    }
}

pub struct Localnet {
    pub validator: TestValidator,
    pub deployment: Deployment,
    pub faucet: SocketAddr,
    pub config: LocalnetConfig,
    /// The validator's mint key: holds the genesis SOL and funds the faucet.
    pub genesis_funder: Keypair,
    /// What the deploy step (`gov migrate` with the deployment's file) did
    /// over JSON-RPC at start.
    pub migration: Vec<Step>,
}

impl Localnet {
    /// Deploys, starts the validator with the deploy as genesis, registers
    /// the builtins, starts the faucet, runs the deploy step over JSON-RPC
    /// (`gov migrate` with the deployment's file: it checks the exchange
    /// and its listings and creates the lookup table) and publishes a
    /// first price to every oracle.
    pub async fn start(config: LocalnetConfig) -> Result<Localnet, String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs() as i64;
        // Listed a funding period (an hour) and a minute ago: the markets'
        // clocks are in the validator's past and funding is already due,
        // as on an exchange that has been running.
        let deployment = deploy::deploy(config.seed, now - LISTED_SECS_AGO).await?;
        builtins::set_publisher(deployment.publisher.pubkey())?;
        logs::install();

        let faucet_port = match config.faucet_port {
            Some(port) => port,
            None => free_port()?,
        };
        let faucet = SocketAddr::from((Ipv4Addr::LOCALHOST, faucet_port));
        let mut genesis = TestValidatorGenesis::default();
        // Transaction history, as `solana-test-validator` keeps it: status
        // queries with history, getBlock and getSignaturesForAddress answer,
        // and getTransaction returns logs (events), inner instructions and
        // return data (without the extended metadata the history service
        // drops them before storing).
        genesis.rpc_config(JsonRpcConfig {
            enable_rpc_transaction_history: true,
            enable_extended_tx_metadata_storage: true,
            faucet_addr: Some(faucet),
            ..JsonRpcConfig::default_for_test()
        });
        // JSON-RPC and WebSocket on two consecutive ports; the validator's
        // other sockets (gossip, TPU, TVU, repair) on free ports of a wide
        // range, away from 8899/8900/9900, so that a test's validator and a
        // running localnet live side by side.
        genesis.rpc_port(match config.rpc_port {
            Some(port) => port,
            None => free_port_pair()?,
        });
        genesis.gossip_port(free_port()?);
        genesis.port_range(VALIDATOR_PORTS);
        genesis.add_accounts(deployment.accounts.iter().cloned());
        genesis.add_accounts(builtins::genesis_accounts());
        let (validator, genesis_funder) = genesis.start_async().await;
        builtins::register(&validator.bank_forks());

        let (sender, receiver) = crossbeam_channel::unbounded();
        solana_faucet::faucet::run_local_faucet_with_port(
            genesis_funder.insecure_clone(),
            sender,
            None,
            None,
            None,
            faucet_port,
        );
        receiver
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| format!("faucet did not start: {e}"))?
            .map_err(|e| format!("faucet on port {faucet_port}: {e}"))?;

        let mut net =
            Localnet { validator, deployment, faucet, config, genesis_funder, migration: Vec::new() };
        let mut admin = net.transport(net.deployment.admin.insecure_clone());
        // A Switchboard result names its slot, and a market refuses one
        // older than the last it used (recorded at the deploy's slot).
        let mut waited = 0;
        loop {
            let slot = admin.clock().await.map_err(|e| format!("reading the clock: {e}"))?.slot;
            if slot > net.deployment.slot {
                break;
            }
            if waited >= SLOT_WAIT_LIMIT_MS {
                return Err(format!("the validator stayed at slot {slot} for {} s", waited / 1_000));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            waited += 200;
        }
        let d = &net.deployment;
        net.migration = migration::migrate(&mut admin, &d.admin, &d.deploy_file)
            .await
            .map_err(|e| format!("the deploy step: {e}"))?;
        net.publisher().publish().await?;
        Ok(net)
    }

    pub fn rpc_url(&self) -> String {
        self.validator.rpc_url()
    }

    pub fn websocket_url(&self) -> String {
        self.validator.rpc_pubsub_url()
    }

    /// A JSON-RPC transport paying with `payer`, at `confirmed`.
    pub fn transport(&self, payer: Keypair) -> RpcTransport {
        RpcTransport::new(&self.rpc_url(), payer, CommitmentConfig::confirmed())
    }

    /// A publisher of this localnet's oracles from their listing prices.
    pub fn publisher(&self) -> Publisher {
        let d = &self.deployment;
        Publisher::new(
            self.transport(d.publisher.insecure_clone()),
            d.publisher.insecure_clone(),
            d.markets.clone(),
            self.config.seed,
            self.config.publish_interval_secs,
        )
    }
}

/// Where the validator binds its peer-to-peer sockets (first free ports).
const VALIDATOR_PORTS: (u16, u16) = (20_000, 30_000);

/// A port nobody listens on now, TCP and UDP (asked of the OS, then
/// released).
fn free_port() -> Result<u16, String> {
    for _ in 0..100 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        if UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    Err("no free port".into())
}

/// A free port whose successor is free too (JSON-RPC, then WebSocket).
fn free_port_pair() -> Result<u16, String> {
    for _ in 0..100 {
        let port = free_port()?;
        if port < u16::MAX && TcpListener::bind((Ipv4Addr::LOCALHOST, port + 1)).is_ok() {
            return Ok(port);
        }
    }
    Err("no two consecutive free ports".into())
}

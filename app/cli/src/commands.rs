//! Command implementations, written once against `Transport`.

use crate::signatures::Printing;
use crate::units::{format_decimal, parse_decimal, usdc};
use crate::{
    Cli, Command, Commitment, GovCommand, KeeperCommand, LocalCommand, PriorityFeeArg, SandboxArgs, Side,
    TraderCommand,
};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use vamm::instructions::{ClosePositionParams, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm_client::deploy::{feed_id, source};
use vamm_client::keeper::{Keeper, KeeperConfig, TakeoverConfig};
use vamm_client::oracle_accounts::price_account;
use vamm_client::preview::{liquidation_price, preview_trade};
use vamm_client::transport::local::LocalState;
use vamm_client::transport::rpc::PriorityFee;
use vamm_client::valuation::{
    account_health, fetch_exchange, fetch_markets, fetch_trader, price_book, remaining_accounts,
    trade_accounts,
};
use vamm_client::{decode, ix, LocalRuntime, RpcTransport, Transport};

pub async fn run(cli: Cli) -> Result<(), String> {
    let command = match cli.command {
        Command::Sandbox(args) => return sandbox(args, cli.json).await,
        Command::Bench(args) => return bench(args, cli.json).await,
        Command::Keeper(KeeperCommand::Bench { accounts, config }) => {
            return keeper_bench(&accounts, &config, cli.json).await
        }
        Command::Local(LocalCommand::Keygen { outfile, force }) => {
            // Where the signer would be read from: -o, -k, the Solana CLI
            // config's keypair_path, the default.
            let outfile = outfile.or(cli.keypair.clone()).or_else(|| {
                crate::settings::read_solana_config(&cli.solana_config).ok().and_then(|c| c.keypair_path)
            });
            let outfile = outfile.unwrap_or_else(|| crate::settings::DEFAULT_KEYPAIR.to_string());
            return keygen(&outfile, force, cli.json);
        }
        command => command,
    };
    let config = crate::settings::read_solana_config(&cli.solana_config)?;
    let settings =
        crate::settings::resolve(cli.url.as_deref(), cli.keypair.as_deref(), cli.commitment, &config)?;
    // A read-only command signs nothing: without a readable keypair it
    // runs with a throwaway one (never funded, never used to send).
    let read_only = is_read_only(&command);
    let signer = match read_keypair(&settings.keypair) {
        Ok(signer) => signer,
        Err(e) if read_only => {
            if matches!(command, Command::Trader(TraderCommand::Show { owner: None, .. })) {
                return Err(format!("{e}; `trader show` without a keypair needs --owner"));
            }
            Keypair::new()
        }
        Err(e) => return Err(e),
    };
    // `--url local:FILE`: an in-process cluster saved in FILE between runs.
    if let Some(path) = settings.url.strip_prefix("local:") {
        let path = PathBuf::from(path);
        if read_only && !path.exists() {
            return Err(format!("no local cluster at {}", path.display()));
        }
        let mut rt = open_local(&path, &signer, !read_only).await?;
        let result = dispatch(&mut rt, &signer, command, cli.json).await;
        let state = rt.save().await.map_err(|e| e.to_string())?;
        let text = serde_json::to_string(&state).map_err(|e| e.to_string())?;
        // Write then rename, so an interrupted save never leaves half a file.
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text).map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
        std::fs::rename(&temporary, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return result;
    }
    let fee = match cli.priority_fee {
        None => PriorityFee::None,
        Some(PriorityFeeArg::MicroLamportsPerUnit(price)) => PriorityFee::Fixed(price),
        Some(PriorityFeeArg::Auto) => PriorityFee::Recent { cap: cli.max_priority_fee },
    };
    let mut rpc = RpcTransport::new(&settings.url, signer.insecure_clone(), commitment(settings.commitment))
        .with_priority_fee(fee);
    dispatch(&mut rpc, &signer, command, cli.json).await
}

/// Commands that only read accounts.
fn is_read_only(command: &Command) -> bool {
    match command {
        Command::Trader(TraderCommand::Show { .. }) => true,
        Command::Gov(args) => matches!(args.command, GovCommand::Show | GovCommand::Queued { .. }),
        _ => false,
    }
}

/// Writes a new keypair file, readable by its owner only, and prints its
/// public key.
fn keygen(outfile: &str, force: bool, json: bool) -> Result<(), String> {
    let path = PathBuf::from(expand_home(outfile));
    if path.exists() && !force {
        return Err(format!("{} exists: pass --force to replace it (its key is lost)", path.display()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let keypair = Keypair::new();
    let text = serde_json::to_string(&keypair.to_bytes().to_vec()).map_err(|e| e.to_string())?;
    // Written whole to a private temporary file beside it, then moved into
    // place: an interrupted run never leaves half a key, and a replaced
    // path (a symlink included) is replaced, not written through.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if force {
            std::fs::rename(&temporary, &path)
        } else {
            // A link is refused if the path appeared since the check above.
            std::fs::hard_link(&temporary, &path)?;
            std::fs::remove_file(&temporary)
        }
    };
    let written = write().map_err(|e| format!("cannot write {}: {e}", path.display()));
    let _ = std::fs::remove_file(&temporary);
    written?;
    print_result(
        json,
        json!({ "pubkey": keypair.pubkey().to_string(), "outfile": path.display().to_string() }),
        &format!("wrote {}\npubkey: {}", path.display(), keypair.pubkey()),
    );
    Ok(())
}

async fn dispatch<T: Transport + LocalOnly>(
    t: &mut T,
    signer: &Keypair,
    command: Command,
    json: bool,
) -> Result<(), String> {
    if !is_read_only(&command) {
        // Version-0 messages against the exchange's table when it has one.
        // A failure here (no exchange yet) is the command's to report.
        let _ = vamm_client::lookup_table::use_exchange_table(t).await;
    }
    match command {
        Command::Sandbox(_) | Command::Bench(_) | Command::Keeper(KeeperCommand::Bench { .. }) => {
            unreachable!("handled before a cluster is opened")
        }
        Command::Trader(command) => trader(&mut Printing(t), signer, command, json).await,
        Command::Gov(args) => crate::gov::gov(&mut Printing(t), signer, args, json).await,
        Command::Keeper(KeeperCommand::Run {
            interval_secs,
            summary_every,
            sub_account,
            takeover_max_notional,
            takeover_margin_use_bps,
            unwind_fraction_bps,
            unwind_max_gap_bps,
            max_in_flight,
        }) => {
            let account = ix::trader_pda(&signer.pubkey(), sub_account);
            let mut config = KeeperConfig { max_in_flight: max_in_flight.into(), ..KeeperConfig::default() };
            config.takeover = TakeoverConfig {
                max_position_notional: crate::units::parse_decimal(&takeover_max_notional, 6)?,
                margin_use_bps: takeover_margin_use_bps.min(10_000),
                unwind_fraction_bps: unwind_fraction_bps.min(10_000),
                unwind_max_gap_bps,
                ..config.takeover
            };
            let mut keeper = Keeper::new(signer.insecure_clone(), account, config);
            // Rewards need somewhere to go: a first start creates the account.
            if keeper.ensure_account(t, sub_account).await.map_err(|e| e.to_string())? {
                print_result(
                    json,
                    json!({ "created_trader_account": account.to_string() }),
                    &format!(
                        "created the keeper's trader account {account}: deposit collateral into it to take positions over"
                    ),
                );
            }
            vamm_client::keeper::run(t, &mut keeper, Duration::from_secs(interval_secs.max(1)), summary_every)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Local(command) => {
            let rt = t.local().ok_or("`vamm local` commands need --url local:FILE")?;
            local(rt, signer, command, json).await
        }
    }
}

/// Local-cluster commands are only meaningful on the in-process runtime.
pub trait LocalOnly {
    fn local(&mut self) -> Option<&mut LocalRuntime>;
}

impl LocalOnly for LocalRuntime {
    fn local(&mut self) -> Option<&mut LocalRuntime> {
        Some(self)
    }
}

impl LocalOnly for RpcTransport {
    fn local(&mut self) -> Option<&mut LocalRuntime> {
        None
    }
}

/// Opens the saved local cluster (or a new one) and, with `fund`, makes
/// sure the signer can pay fees, as a local faucet would.
async fn open_local(path: &std::path::Path, signer: &Keypair, fund: bool) -> Result<LocalRuntime, String> {
    let mut rt = if path.exists() {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let state: LocalState = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a local cluster: {e}", path.display()))?;
        LocalRuntime::restore(&state).await.map_err(|e| e.to_string())?
    } else {
        // A new local cluster deploys the program with the signer as its
        // upgrade authority, so the signer may initialise the exchange.
        let mut rt = LocalRuntime::start(LOCAL_START_TS).await;
        rt.set_upgrade_authority(Some(&signer.pubkey()));
        rt
    };
    if fund && rt.account(&signer.pubkey()).await.map_err(|e| e.to_string())?.is_none() {
        rt.fund(&signer.pubkey(), 1_000_000_000_000);
    }
    Ok(rt)
}

/// 2026-01-01T00:00:00Z.
const LOCAL_START_TS: i64 = 1_767_225_600;

async fn local(
    rt: &mut LocalRuntime,
    signer: &Keypair,
    command: LocalCommand,
    json: bool,
) -> Result<(), String> {
    let send = |e: vamm_client::ClientError| e.to_string();
    match command {
        LocalCommand::SetupUsdc { amount } => {
            let amount = parse_decimal(&amount, 6)?;
            let mint = rt.create_mint(&signer.pubkey(), 6).await.map_err(send)?;
            let ata = rt.create_associated_token_account(&signer.pubkey(), &mint).await.map_err(send)?;
            rt.mint_to(&mint, signer, &ata, amount).await.map_err(send)?;
            print_result(
                json,
                json!({ "mint": mint.to_string(), "token_account": ata.to_string() }),
                &format!("USDC mint {mint}, {} USDC in {ata}", usdc(amount as i128)),
            );
        }
        LocalCommand::PublishOracle { address, source: kind, feed_id: feed, price, confidence } => {
            let address = pubkey(&address)?;
            let price = parse_decimal(&price, 6)?;
            let confidence =
                confidence.as_deref().map(|c| parse_decimal(c, 6)).transpose()?.unwrap_or(price / 2_000);
            let now = rt.clock_now();
            let account = price_account(source(&kind)?, feed_id(&feed)?, price, confidence, now);
            rt.write_account(&address, account);
            print_result(
                json,
                json!({ "oracle": address.to_string(), "price": price }),
                &format!("published {} at {address}", usdc(price as i128)),
            );
        }
        LocalCommand::Keygen { .. } => unreachable!("handled before a cluster is opened"),
        LocalCommand::Advance { seconds } => {
            let now = rt.now() + seconds as i64;
            rt.set_time(now).await;
            print_result(json, json!({ "unix_timestamp": now }), &format!("clock at {now}"));
        }
    }
    Ok(())
}

/// The worst average price `slippage_bps` from `price` (at least one
/// unit), in the trade's direction.
fn with_slippage(price: u64, slippage_bps: u16, direction: Direction) -> u64 {
    let slack = (price.saturating_mul(slippage_bps as u64) / 10_000).max(1);
    match direction {
        Direction::Long => price.saturating_add(slack),
        Direction::Short => price.saturating_sub(slack),
    }
}

fn commitment(c: Commitment) -> CommitmentConfig {
    match c {
        Commitment::Processed => CommitmentConfig::processed(),
        Commitment::Confirmed => CommitmentConfig::confirmed(),
        Commitment::Finalized => CommitmentConfig::finalized(),
    }
}

pub(crate) fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

/// Reads a Solana CLI keypair file (a JSON array of 64 bytes).
pub fn read_keypair(path: &str) -> Result<Keypair, String> {
    let path = expand_home(path);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read keypair {path}: {e}"))?;
    let bytes: Vec<u8> =
        serde_json::from_str(&text).map_err(|e| format!("keypair {path} is not a JSON byte array: {e}"))?;
    Keypair::try_from(bytes.as_slice()).map_err(|e| format!("keypair {path} is invalid: {e}"))
}

pub(crate) fn pubkey(text: &str) -> Result<Pubkey, String> {
    Pubkey::from_str(text).map_err(|_| format!("'{text}' is not a base58 public key"))
}

use vamm_client::transport::local::associated_token_address as associated_token_account;

async fn sandbox(args: SandboxArgs, json: bool) -> Result<(), String> {
    let mut config = if args.short {
        vamm_sandbox::SandboxConfig::short()
    } else {
        vamm_sandbox::SandboxConfig::default()
    };
    config.seed = args.seed;
    if !args.short {
        config.hours = args.hours;
        config.traders_per_strategy = args.traders_per_strategy as usize;
    }
    config.step_secs = args.step_secs;
    config.out_dir = Some(args.out.clone());
    config.progress = !args.quiet && !json;
    if let Some(path) = &args.prices {
        config.prices_csv =
            Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?);
    }
    let report = vamm_sandbox::run(config).await?;
    if json {
        crate::outln!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    } else {
        crate::outln!("{report}");
        crate::outln!("report and charts written to {}", args.out.display());
    }
    if !report.conservation.ok {
        return Err("conservation check failed: the vault does not match the ledger".into());
    }
    Ok(())
}

async fn keeper_bench(accounts: &[usize], config: &std::path::Path, json: bool) -> Result<(), String> {
    let text =
        std::fs::read_to_string(config).map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    let deploy: vamm_client::deploy::DeployFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
    let mut listings = Vec::new();
    for (index, market) in deploy.markets.iter().enumerate() {
        let (params, _, _) = vamm_client::deploy::market_params(market, index as u16)?;
        listings.push((params.clone(), (params.min_price as u128 * params.max_price as u128).isqrt() as u64));
    }
    let mut rows = Vec::new();
    for &count in accounts {
        rows.push(vamm_sandbox::keeper_bench::measure(&listings, count, 7).await?);
    }
    if json {
        crate::outln!("{}", serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?);
    } else {
        crate::outln!("{}", vamm_sandbox::keeper_bench::table(&rows));
    }
    Ok(())
}

async fn bench(args: crate::BenchArgs, json: bool) -> Result<(), String> {
    use vamm_sandbox::bench::{BenchOptions, Configuration, Scenario};
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read {}: {e}", args.config.display()))?;
    let deploy: vamm_client::deploy::DeployFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", args.config.display()))?;
    let market =
        deploy.markets.first().ok_or_else(|| format!("{} lists no market", args.config.display()))?;
    let (protocol, _, _) = vamm_client::deploy::market_params(market, 0)?;
    let mut options =
        BenchOptions { seed: args.seed, out_dir: Some(args.out.clone()), ..BenchOptions::default() };
    if !args.scenario.is_empty() {
        options.scenarios = args
            .scenario
            .iter()
            .map(|name| Scenario::from_name(name).ok_or_else(|| format!("unknown scenario '{name}'")))
            .collect::<Result<_, _>>()?;
    }
    if !args.configuration.is_empty() {
        options.configurations = args
            .configuration
            .iter()
            .map(|name| {
                Configuration::from_name(name).ok_or_else(|| format!("unknown configuration '{name}'"))
            })
            .collect::<Result<_, _>>()?;
    }
    let report = vamm_sandbox::bench::run(&options, &protocol).await?;
    if json {
        crate::outln!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
        return Ok(());
    }
    crate::outln!("{}", vamm_sandbox::bench::table(&report));
    crate::outln!("{}", vamm_sandbox::bench::role_table(&report));
    crate::outln!("{}", vamm_sandbox::bench::cost_table(&report));
    crate::outln!(
        "results written to {} (per-run CSVs and one chart per scenario beside it)",
        args.out.join("bench.json").display()
    );
    Ok(())
}

async fn trader<T: Transport>(
    t: &mut T,
    signer: &Keypair,
    command: TraderCommand,
    json: bool,
) -> Result<(), String> {
    let owner = signer.pubkey();
    let send = |e: vamm_client::ClientError| e.to_string();
    match command {
        TraderCommand::CreateAccount { sub_account, delegate } => {
            let delegate = delegate.as_deref().map(pubkey).transpose()?;
            t.send(&[ix::create_trader_account(&owner, sub_account, delegate)], &[signer])
                .await
                .map_err(send)?;
            let account = ix::trader_pda(&owner, sub_account);
            print_result(
                json,
                json!({ "trader_account": account.to_string() }),
                &format!("created trader account {account}"),
            );
        }
        TraderCommand::Deposit { amount, sub_account, from } => {
            let amount = parse_decimal(&amount, 6)?;
            let mint = fetch_exchange(t).await.map_err(send)?.collateral_mint;
            let source = match from {
                Some(text) => pubkey(&text)?,
                None => associated_token_account(&owner, &mint),
            };
            let account = ix::trader_pda(&owner, sub_account);
            t.send(&[ix::deposit(&owner, &account, &source, &mint, amount)], &[signer])
                .await
                .map_err(send)?;
            print_result(
                json,
                json!({ "deposited": amount }),
                &format!("deposited {} USDC", usdc(amount as i128)),
            );
        }
        TraderCommand::Withdraw { amount, sub_account, to } => {
            let amount = parse_decimal(&amount, 6)?;
            let mint = fetch_exchange(t).await.map_err(send)?.collateral_mint;
            let destination = match to {
                Some(text) => pubkey(&text)?,
                None => associated_token_account(&owner, &mint),
            };
            let account = ix::trader_pda(&owner, sub_account);
            let state = fetch_trader(t, &account)
                .await
                .map_err(send)?
                .ok_or("no trader account: run `vamm trader create-account`")?;
            let markets = fetch_markets(t).await.map_err(send)?;
            let remaining = remaining_accounts(&state, &markets, None);
            t.send(&[ix::withdraw(&owner, &account, &destination, &mint, amount, &remaining)], &[signer])
                .await
                .map_err(send)?;
            print_result(
                json,
                json!({ "withdrawn": amount }),
                &format!("withdrew {} USDC", usdc(amount as i128)),
            );
        }
        TraderCommand::Open {
            market,
            side,
            base,
            quote,
            limit,
            slippage_bps,
            reduce_only,
            sub_account,
            dry_run,
        } => {
            let direction = if side == Side::Long { Direction::Long } else { Direction::Short };
            let size = match (base, quote) {
                (Some(b), None) => TradeSize::Base(parse_decimal(&b, 9)?),
                (None, Some(q)) => TradeSize::Quote(parse_decimal(&q, 6)?),
                _ => return Err("give exactly one of --base or --quote".into()),
            };
            let markets = fetch_markets(t).await.map_err(send)?;
            let snapshot =
                markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
            let preview =
                preview_trade(&snapshot.market, direction, size).map_err(|e| format!("preview: {e}"))?;
            // Without --limit, the fill may be at most --slippage-bps worse
            // than the previewed average price.
            let limit_price = match limit {
                Some(text) => parse_decimal(&text, 6)?,
                None => with_slippage(preview.average_price, slippage_bps, direction),
            };
            if dry_run {
                let value = json!({ "base": preview.base, "quote": preview.quote, "average_price": preview.average_price,
                    "fee": preview.fee, "mark_after": preview.mark_after, "impact_bps": preview.impact_bps });
                let text = format!(
                    "would trade {} base for {} USDC at {} (fee {}, mark {} -> {}, impact {} bps)",
                    format_decimal(preview.base as i128, 9),
                    usdc(preview.quote as i128),
                    usdc(preview.average_price as i128),
                    usdc(preview.fee as i128),
                    usdc(preview.mark_before as i128),
                    usdc(preview.mark_after as i128),
                    preview.impact_bps
                );
                print_result(json, value, &text);
                return Ok(());
            }
            let account = ix::trader_pda(&owner, sub_account);
            let state = fetch_trader(t, &account)
                .await
                .map_err(send)?
                .ok_or("no trader account: run `vamm trader create-account`")?;
            let accounts = order_accounts(&owner, account, market, &markets, &state)?;
            let params = OpenPositionParams { direction, size, limit_price, reduce_only };
            t.send(&[ix::open_position(&accounts, params)], &[signer]).await.map_err(send)?;
            print_result(
                json,
                json!({ "market": market, "base": preview.base, "quote": preview.quote }),
                &format!(
                    "filled about {} base for {} USDC",
                    format_decimal(preview.base as i128, 9),
                    usdc(preview.quote as i128)
                ),
            );
        }
        TraderCommand::Close { market, base, limit, slippage_bps, no_limit, sub_account } => {
            let markets = fetch_markets(t).await.map_err(send)?;
            let account = ix::trader_pda(&owner, sub_account);
            let state = fetch_trader(t, &account).await.map_err(send)?.ok_or("no trader account")?;
            let accounts = order_accounts(&owner, account, market, &markets, &state)?;
            let position = state
                .position(market)
                .filter(|p| p.base != 0)
                .ok_or(format!("no position in market {market}"))?;
            let base_amount = base.as_deref().map(|b| parse_decimal(b, 9)).transpose()?;
            let held = position.base.unsigned_abs();
            if base_amount.is_some_and(|b| b == 0 || b > held) {
                return Err(format!(
                    "--base must be above 0 and at most the position's {} base units",
                    format_decimal(held as i128, 9)
                ));
            }
            // Without --limit, as for open: at most --slippage-bps worse
            // than the previewed fill of the closing trade.
            let limit_price = match limit {
                Some(text) => Some(parse_decimal(&text, 6)?),
                None if no_limit => None,
                None => {
                    let direction = if position.base > 0 { Direction::Short } else { Direction::Long };
                    let size = TradeSize::Base(base_amount.unwrap_or(position.base.unsigned_abs()));
                    let snapshot =
                        markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
                    let preview = preview_trade(&snapshot.market, direction, size)
                        .map_err(|e| format!("preview: {e}"))?;
                    Some(with_slippage(preview.average_price, slippage_bps, direction))
                }
            };
            let params = ClosePositionParams { base_amount, limit_price };
            t.send(&[ix::close_position(&accounts, params)], &[signer]).await.map_err(send)?;
            print_result(json, json!({ "closed": market }), &format!("closed position in market {market}"));
        }
        TraderCommand::Settle { market, owner: who, sub_account } => {
            let who = who.as_deref().map(pubkey).transpose()?.unwrap_or(owner);
            let account = ix::trader_pda(&who, sub_account);
            t.send(&[ix::settle_position(&owner, &ix::market_pda(market), &account)], &[signer])
                .await
                .map_err(send)?;
            print_result(
                json,
                json!({ "settled": market, "trader_account": account.to_string() }),
                &format!("settled {account} in market {market}"),
            );
        }
        TraderCommand::SettlePnl { market, owner: who, sub_account } => {
            let who = who.as_deref().map(pubkey).transpose()?.unwrap_or(owner);
            let account = ix::trader_pda(&who, sub_account);
            let before = vamm_client::valuation::fetch_trader(t, &account).await.map_err(send)?;
            t.send(&[ix::settle_pnl(&owner, &ix::market_pda(market), &account)], &[signer])
                .await
                .map_err(send)?;
            let after = vamm_client::valuation::fetch_trader(t, &account).await.map_err(send)?;
            let paid = after.map_or(0, |a| a.collateral).saturating_sub(before.map_or(0, |b| b.collateral));
            print_result(
                json,
                json!({ "market": market, "trader_account": account.to_string(), "paid": paid }),
                &format!("paid {} USDC of the claim of {account} in market {market}", usdc(paid as i128)),
            );
        }
        TraderCommand::Show { owner: who, sub_account } => {
            let who = who.as_deref().map(pubkey).transpose()?.unwrap_or(owner);
            show_trader(t, &who, sub_account, json).await?;
        }
    }
    Ok(())
}

/// The order accounts for `account` in market `market`.
fn order_accounts(
    owner: &Pubkey,
    account: Pubkey,
    market: u16,
    markets: &[vamm_client::valuation::MarketSnapshot],
    state: &vamm::state::TraderAccount,
) -> Result<ix::TradeAccounts, String> {
    let snapshot = markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
    Ok(trade_accounts(*owner, account, snapshot, markets, state))
}

async fn show_trader<T: Transport>(
    t: &mut T,
    owner: &Pubkey,
    sub_account: u16,
    json: bool,
) -> Result<(), String> {
    let account = ix::trader_pda(owner, sub_account);
    let state = fetch_trader(t, &account)
        .await
        .map_err(|e| e.to_string())?
        .ok_or(format!("no trader account {account}"))?;
    let markets = fetch_markets(t).await.map_err(|e| e.to_string())?;
    let now = t.clock().await.map_err(|e| e.to_string())?;
    let book = price_book(&markets, now, &[]);
    let health = account_health(&book, &state);
    let mut rows = Vec::new();
    for p in state.open_positions() {
        let snapshot = markets.iter().find(|m| m.index() == p.market_index);
        let name = snapshot
            .map(|m| decode::market_name(&m.market))
            .unwrap_or_else(|| format!("#{}", p.market_index));
        let oracle = snapshot.and_then(|m| m.oracle_price(now).ok());
        let mark = snapshot.and_then(|m| m.market.amm.curve().mark_price().ok());
        let entry = vamm::math::position::average_entry_price(p.base, p.entry_notional).unwrap_or(0);
        let pnl = oracle.and_then(|o| vamm::math::position::unrealised_pnl(p.base, p.entry_notional, o).ok());
        let liquidation = liquidation_price(&markets, &state, p.market_index, now);
        rows.push(json!({
            "market": name, "base": p.base, "entry_price": entry, "mark_price": mark, "oracle_price": oracle,
            "unrealised_pnl": pnl, "liquidation_price": liquidation, "pending_profit": p.pending_profit,
            "unpaid_loss": p.unpaid_loss, "funding_paid": p.funding_paid,
        }));
    }
    let summary = match &health {
        Ok(h) => json!({ "collateral": state.collateral, "equity": h.margin.equity().ok().map(|e| e as i64),
            "free_collateral": h.free_collateral, "health": format!("{:?}", h.health),
            "initial_required": h.margin.initial_required as u64, "maintenance_required": h.margin.maintenance_required as u64 }),
        Err(e) => json!({ "collateral": state.collateral, "health": format!("unknown: {e}") }),
    };
    if json {
        crate::outln!("{}", json!({ "account": account.to_string(), "summary": summary, "positions": rows }));
        return Ok(());
    }
    crate::outln!("trader account {account}");
    match &health {
        Ok(h) => crate::outln!(
            "collateral {}  equity {}  free {}  health {:?}  initial req {}  maintenance req {}",
            usdc(state.collateral as i128),
            usdc(h.margin.equity().unwrap_or(0)),
            usdc(h.free_collateral as i128),
            h.health,
            usdc(h.margin.initial_required as i128),
            usdc(h.margin.maintenance_required as i128)
        ),
        Err(e) => crate::outln!("collateral {}  health unknown ({e})", usdc(state.collateral as i128)),
    }
    crate::outln!(
        "{:<10} {:>16} {:>12} {:>12} {:>12} {:>14} {:>12}",
        "market",
        "size",
        "entry",
        "mark",
        "oracle",
        "uPnL",
        "liq price"
    );
    let price = |v: &serde_json::Value| v.as_u64().map(|p| usdc(p as i128)).unwrap_or_else(|| "-".into());
    for row in &rows {
        crate::outln!(
            "{:<10} {:>16} {:>12} {:>12} {:>12} {:>14} {:>12}",
            row["market"].as_str().unwrap_or("?"),
            format_decimal(row["base"].as_i64().unwrap_or(0) as i128, 9),
            price(&row["entry_price"]),
            price(&row["mark_price"]),
            price(&row["oracle_price"]),
            row["unrealised_pnl"].as_i64().map(|v| usdc(v as i128)).unwrap_or_else(|| "-".into()),
            price(&row["liquidation_price"]),
        );
    }
    Ok(())
}

pub(crate) fn print_result(json: bool, value: serde_json::Value, text: &str) {
    if json {
        crate::outln!("{value}");
    } else {
        crate::outln!("{text}");
    }
}

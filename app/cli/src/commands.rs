//! Command implementations, written once against `Transport`.

use crate::units::{format_decimal, parse_decimal, usdc};
use crate::{
    Cli, Command, Commitment, GovCommand, KeeperCommand, LocalCommand, SandboxArgs, Side, Status,
    TraderCommand,
};
use serde::Deserialize;
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use vamm::instructions::{ClosePositionParams, CreateMarketParams, MarketParamsUpdate, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::{MarketStatus, OracleSource};
use vamm_client::keeper::{Keeper, KeeperConfig, TakeoverConfig};
use vamm_client::oracle_accounts::price_account;
use vamm_client::preview::{liquidation_price, preview_trade};
use vamm_client::transport::local::LocalState;
use vamm_client::valuation::{
    account_health, fetch_exchange, fetch_markets, fetch_trader, price_book, remaining_accounts,
    trade_accounts,
};
use vamm_client::{decode, ix, LocalRuntime, RpcTransport, Transport};

pub async fn run(cli: Cli) -> Result<(), String> {
    if let Command::Sandbox(args) = cli.command {
        return sandbox(args, cli.json).await;
    }
    let signer = read_keypair(&cli.keypair)?;
    // `--url local:FILE`: an in-process cluster saved in FILE between runs.
    if let Some(path) = cli.url.strip_prefix("local:") {
        let path = PathBuf::from(path);
        let mut rt = open_local(&path, &signer).await?;
        let result = dispatch(&mut rt, &signer, cli.command, cli.json).await;
        let state = rt.save().await.map_err(|e| e.to_string())?;
        let text = serde_json::to_string(&state).map_err(|e| e.to_string())?;
        // Write then rename, so an interrupted save never leaves half a file.
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text).map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
        std::fs::rename(&temporary, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        return result;
    }
    let mut rpc = RpcTransport::new(&cli.url, signer.insecure_clone(), commitment(cli.commitment));
    dispatch(&mut rpc, &signer, cli.command, cli.json).await
}

async fn dispatch<T: Transport + LocalOnly>(
    t: &mut T,
    signer: &Keypair,
    command: Command,
    json: bool,
) -> Result<(), String> {
    match command {
        Command::Sandbox(_) => unreachable!("handled before a cluster is opened"),
        Command::Trader(command) => trader(t, signer, command, json).await,
        Command::Gov(command) => gov(t, signer, command, json).await,
        Command::Keeper(KeeperCommand::Run {
            interval_secs,
            summary_every,
            sub_account,
            takeover_max_notional,
            takeover_margin_use_bps,
            unwind_fraction_bps,
            unwind_max_gap_bps,
        }) => {
            let account = ix::trader_pda(&signer.pubkey(), sub_account);
            let mut config = KeeperConfig::default();
            config.takeover = TakeoverConfig {
                max_position_notional: crate::units::parse_decimal(&takeover_max_notional, 6)?,
                margin_use_bps: takeover_margin_use_bps.min(10_000),
                unwind_fraction_bps: unwind_fraction_bps.min(10_000),
                unwind_max_gap_bps,
                ..config.takeover
            };
            let mut keeper = Keeper::new(signer.insecure_clone(), account, config);
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

/// Opens the saved local cluster (or a new one) and makes sure the signer
/// can pay fees, as a local faucet would.
async fn open_local(path: &std::path::Path, signer: &Keypair) -> Result<LocalRuntime, String> {
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
    if rt.account(&signer.pubkey()).await.map_err(|e| e.to_string())?.is_none() {
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
        LocalCommand::Advance { seconds } => {
            let now = rt.now() + seconds as i64;
            rt.set_time(now).await;
            print_result(json, json!({ "unix_timestamp": now }), &format!("clock at {now}"));
        }
    }
    Ok(())
}

fn commitment(c: Commitment) -> CommitmentConfig {
    match c {
        Commitment::Processed => CommitmentConfig::processed(),
        Commitment::Confirmed => CommitmentConfig::confirmed(),
        Commitment::Finalized => CommitmentConfig::finalized(),
    }
}

fn expand_home(path: &str) -> String {
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

fn pubkey(text: &str) -> Result<Pubkey, String> {
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
                None => {
                    let slack = (preview.average_price.saturating_mul(slippage_bps as u64) / 10_000).max(1);
                    match direction {
                        Direction::Long => preview.average_price.saturating_add(slack),
                        Direction::Short => preview.average_price.saturating_sub(slack),
                    }
                }
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
        TraderCommand::Close { market, base, limit, sub_account } => {
            let markets = fetch_markets(t).await.map_err(send)?;
            let account = ix::trader_pda(&owner, sub_account);
            let state = fetch_trader(t, &account).await.map_err(send)?.ok_or("no trader account")?;
            let accounts = order_accounts(&owner, account, market, &markets, &state)?;
            let params = ClosePositionParams {
                base_amount: base.as_deref().map(|b| parse_decimal(b, 9)).transpose()?,
                limit_price: limit.as_deref().map(|l| parse_decimal(l, 6)).transpose()?,
            };
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

/// A market listing in human units (see docs/market.example.toml).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketFile {
    pub name: String,
    pub primary_oracle: String,
    pub primary_source: String,
    pub primary_feed_id: String,
    pub secondary_oracle: Option<String>,
    pub secondary_source: Option<String>,
    pub secondary_feed_id: Option<String>,
    pub max_staleness_secs: u32,
    pub max_confidence_bps: u16,
    pub consensus_band_bps: u16,
    /// Whole base units.
    pub depth: String,
    /// USDC.
    pub min_price: String,
    pub max_price: String,
    /// Percent.
    pub initial_margin_pct: String,
    pub maintenance_margin_pct: String,
    pub initial_imf_factor_ppm: u32,
    pub maintenance_imf_factor_ppm: u32,
    pub mark_oracle_band_bps: u16,
    pub max_oracle_jump_bps: u16,
    /// Seconds a price outside the jump band must persist to be accepted.
    pub price_confirmation_secs: u32,
    /// Samples a Switchboard result must aggregate.
    pub min_oracle_samples: u8,
    /// Share of unrealised profit counted toward the initial margin of new
    /// risk, bps (at most 9,500).
    pub initial_profit_weight_bps: u16,
    pub max_slot_move_bps: u16,
    /// USDC.
    pub max_open_interest: String,
    pub max_position_notional: String,
    pub taker_fee_bps: u16,
    pub insurance_share_bps: u16,
    pub pnl_pool_share_bps: u16,
    pub fee_pool_share_bps: u16,
    pub funding_period_secs: u32,
    pub max_funding_rate_bps: u16,
    pub liquidation_fee_bps: u16,
    pub liquidator_share_bps: u16,
    pub max_liquidation_fraction_bps: u16,
    pub liquidation_buffer_pct: String,
}

fn source(text: &str) -> Result<OracleSource, String> {
    match text.to_ascii_lowercase().as_str() {
        "pyth" => Ok(OracleSource::Pyth),
        "switchboard" => Ok(OracleSource::Switchboard),
        other => Err(format!("unknown oracle source '{other}' (pyth or switchboard)")),
    }
}

fn feed_id(text: &str) -> Result<[u8; 32], String> {
    let hex = text.trim_start_matches("0x");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(format!("feed id '{text}' must be 32 bytes of hex"));
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("feed id '{text}' is not hex"))?;
    }
    Ok(out)
}

/// Converts a market file into the instruction's parameters.
pub fn market_params(
    file: &MarketFile,
    market_index: u16,
) -> Result<(CreateMarketParams, Pubkey, Option<Pubkey>), String> {
    if file.name.is_empty() || file.name.len() > 16 {
        return Err("name must be 1 to 16 bytes".into());
    }
    let mut name = [0u8; 16];
    name[..file.name.len()].copy_from_slice(file.name.as_bytes());
    // Percentages with up to 4 decimals -> ppm.
    let ppm = |text: &str| parse_decimal(text, 4).map(|v| v as u32);
    let params = CreateMarketParams {
        market_index,
        name,
        primary_source: source(&file.primary_source)?,
        primary_feed_id: feed_id(&file.primary_feed_id)?,
        secondary_source: file.secondary_source.as_deref().map(source).transpose()?,
        secondary_feed_id: file.secondary_feed_id.as_deref().map(feed_id).transpose()?.unwrap_or([0; 32]),
        max_staleness_secs: file.max_staleness_secs,
        max_confidence_bps: file.max_confidence_bps,
        consensus_band_bps: file.consensus_band_bps,
        sqrt_k: parse_decimal(&file.depth, 9)? as u128,
        min_price: parse_decimal(&file.min_price, 6)?,
        max_price: parse_decimal(&file.max_price, 6)?,
        initial_ratio: ppm(&file.initial_margin_pct)?,
        maintenance_ratio: ppm(&file.maintenance_margin_pct)?,
        initial_imf_factor: file.initial_imf_factor_ppm,
        maintenance_imf_factor: file.maintenance_imf_factor_ppm,
        mark_oracle_band_bps: file.mark_oracle_band_bps,
        max_oracle_jump_bps: file.max_oracle_jump_bps,
        price_confirmation_secs: file.price_confirmation_secs,
        min_oracle_samples: file.min_oracle_samples,
        initial_profit_weight_bps: file.initial_profit_weight_bps,
        max_slot_move_bps: file.max_slot_move_bps,
        max_open_interest: parse_decimal(&file.max_open_interest, 6)?,
        max_position_notional: parse_decimal(&file.max_position_notional, 6)?,
        taker_fee_bps: file.taker_fee_bps,
        insurance_share_bps: file.insurance_share_bps,
        pnl_pool_share_bps: file.pnl_pool_share_bps,
        fee_pool_share_bps: file.fee_pool_share_bps,
        funding_period_secs: file.funding_period_secs,
        max_funding_rate_bps: file.max_funding_rate_bps,
        liquidation_fee_bps: file.liquidation_fee_bps,
        liquidator_share_bps: file.liquidator_share_bps,
        max_liquidation_fraction_bps: file.max_liquidation_fraction_bps,
        liquidation_buffer_ratio: ppm(&file.liquidation_buffer_pct)?,
    };
    let secondary = file.secondary_oracle.as_deref().map(pubkey).transpose()?;
    Ok((params, pubkey(&file.primary_oracle)?, secondary))
}

/// A deploy file: the collateral mint and the markets to list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployFile {
    pub collateral_mint: String,
    pub guardian: Option<String>,
    #[serde(default)]
    pub markets: Vec<MarketFile>,
}

/// Idempotent deploy: what exists is skipped, what is missing is created,
/// every step is reported.
async fn migrate<T: Transport>(
    t: &mut T,
    signer: &Keypair,
    file: &DeployFile,
    json: bool,
) -> Result<(), String> {
    let admin = signer.pubkey();
    let send = |e: vamm_client::ClientError| e.to_string();
    let mut steps = Vec::new();
    let exists = t.account(&ix::exchange_pda()).await.map_err(send)?.is_some();
    let mint = pubkey(&file.collateral_mint)?;
    if exists {
        // Another exchange than this deploy describes is an error, never a
        // step to skip: listing markets on it would hand them to its admin.
        let exchange = fetch_exchange(t).await.map_err(send)?;
        if exchange.admin != admin {
            return Err(format!(
                "the exchange exists with admin {}, not the signer {admin}: refusing to migrate it",
                exchange.admin
            ));
        }
        if exchange.collateral_mint != mint {
            return Err(format!(
                "the exchange exists with collateral mint {}, not {mint} from the config: refusing to migrate it",
                exchange.collateral_mint
            ));
        }
        steps.push(json!({ "step": "initialize_exchange", "done": "skipped: exists" }));
    } else {
        let guardian = file.guardian.as_deref().map(pubkey).transpose()?.unwrap_or(admin);
        t.send(&[ix::initialize_exchange(&admin, &mint, guardian)], &[signer]).await.map_err(send)?;
        steps.push(json!({ "step": "initialize_exchange", "done": "created" }));
    }
    let listed: Vec<String> =
        fetch_markets(t).await.map_err(send)?.iter().map(|m| decode::market_name(&m.market)).collect();
    for market in &file.markets {
        if listed.contains(&market.name) {
            steps
                .push(json!({ "step": format!("create_market {}", market.name), "done": "skipped: listed" }));
            continue;
        }
        let index = fetch_exchange(t).await.map_err(send)?.market_count;
        let (params, primary, secondary) = market_params(market, index)?;
        t.send(&[ix::create_market(&admin, params, primary, secondary)], &[signer]).await.map_err(send)?;
        steps.push(json!({ "step": format!("create_market {}", market.name), "done": format!("listed as market {index}") }));
    }
    if json {
        crate::outln!("{}", json!({ "steps": steps }));
    } else {
        for step in steps {
            crate::outln!(
                "{:<28} {}",
                step["step"].as_str().unwrap_or(""),
                step["done"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

async fn gov<T: Transport>(
    t: &mut T,
    signer: &Keypair,
    command: GovCommand,
    json: bool,
) -> Result<(), String> {
    let admin = signer.pubkey();
    let send = |e: vamm_client::ClientError| e.to_string();
    match command {
        GovCommand::UpdateParams { market, config } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
            // On-chain units (bps, ppm, quote native); fields left out keep their value.
            let update: MarketParamsUpdate =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
            t.send(&[ix::update_market_params(&admin, &ix::market_pda(market), update)], &[signer])
                .await
                .map_err(send)?;
            print_result(
                json,
                json!({ "market": market, "updated": true }),
                &format!("market {market} parameters updated"),
            );
        }
        GovCommand::SetStatus { market, status } => {
            let status = match status {
                Status::Active => MarketStatus::Active,
                Status::ReduceOnly => MarketStatus::ReduceOnly,
                Status::Paused => MarketStatus::Paused,
            };
            t.send(&[ix::set_market_status(&admin, &ix::market_pda(market), status)], &[signer])
                .await
                .map_err(send)?;
            print_result(
                json,
                json!({ "market": market, "status": format!("{status:?}") }),
                &format!("market {market} is now {status:?}"),
            );
        }
        GovCommand::Settle { market } => {
            let markets = fetch_markets(t).await.map_err(send)?;
            let snapshot =
                markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
            t.send(&[ix::settle_market(&admin, &snapshot.oracles())], &[signer]).await.map_err(send)?;
            print_result(
                json,
                json!({ "market": market, "settled": true }),
                &format!("market {market} settled"),
            );
        }
        GovCommand::Repeg { market } => {
            let markets = fetch_markets(t).await.map_err(send)?;
            let snapshot =
                markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
            let old_peg = snapshot.market.amm.peg;
            t.send(&[ix::repeg(&admin, &snapshot.oracles())], &[signer]).await.map_err(send)?;
            let markets = fetch_markets(t).await.map_err(send)?;
            let new_peg =
                markets.iter().find(|m| m.index() == market).map(|m| m.market.amm.peg).unwrap_or(old_peg);
            print_result(
                json,
                json!({ "market": market, "old_peg": old_peg, "new_peg": new_peg }),
                &format!("market {market} re-pegged {} -> {}", usdc(old_peg as i128), usdc(new_peg as i128)),
            );
        }
        GovCommand::Migrate { config } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
            let file: DeployFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
            migrate(t, signer, &file, json).await?;
        }
        GovCommand::Init { mint, guardian } => {
            let mint = pubkey(&mint)?;
            let guardian = guardian.as_deref().map(pubkey).transpose()?.unwrap_or(admin);
            t.send(&[ix::initialize_exchange(&admin, &mint, guardian)], &[signer]).await.map_err(send)?;
            print_result(
                json,
                json!({ "exchange": ix::exchange_pda().to_string() }),
                &format!("exchange {} initialised", ix::exchange_pda()),
            );
        }
        GovCommand::CreateMarket { config } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
            let file: MarketFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
            let index = fetch_exchange(t).await.map_err(send)?.market_count;
            let (params, primary, secondary) = market_params(&file, index)?;
            t.send(&[ix::create_market(&admin, params, primary, secondary)], &[signer])
                .await
                .map_err(send)?;
            print_result(
                json,
                json!({ "market_index": index, "market": ix::market_pda(index).to_string() }),
                &format!("listed {} as market {index}", file.name),
            );
        }
        GovCommand::ProposeAdmin { new_admin } => {
            let proposed = pubkey(&new_admin)?;
            t.send(&[ix::propose_admin(&admin, proposed)], &[signer]).await.map_err(send)?;
            print_result(
                json,
                json!({ "pending_admin": proposed.to_string() }),
                &format!("{proposed} proposed as admin: it must run `vamm gov accept-admin`"),
            );
        }
        GovCommand::CancelAdmin => {
            t.send(&[ix::propose_admin(&admin, Pubkey::default())], &[signer]).await.map_err(send)?;
            print_result(json, json!({ "pending_admin": null }), "admin proposal cancelled");
        }
        GovCommand::AcceptAdmin => {
            t.send(&[ix::accept_admin(&admin)], &[signer]).await.map_err(send)?;
            print_result(json, json!({ "admin": admin.to_string() }), &format!("{admin} is now the admin"));
        }
        GovCommand::SetGuardian { guardian } => {
            let guardian = pubkey(&guardian)?;
            t.send(&[ix::set_guardian(&admin, guardian)], &[signer]).await.map_err(send)?;
            print_result(
                json,
                json!({ "guardian": guardian.to_string() }),
                &format!("guardian set to {guardian}"),
            );
        }
        GovCommand::SetUnstakeCooldown { seconds } => {
            t.send(&[ix::set_unstake_cooldown(&admin, seconds)], &[signer]).await.map_err(send)?;
            print_result(
                json,
                json!({ "unstake_cooldown_secs": seconds }),
                &format!("unstake cooldown set to {seconds} s"),
            );
        }
        GovCommand::Show => {
            let exchange = fetch_exchange(t).await.map_err(send)?;
            let markets = fetch_markets(t).await.map_err(send)?;
            let now = t.clock().await.map_err(send)?;
            let rows: Vec<_> = markets
                .iter()
                .map(|m| {
                    json!({ "index": m.index(), "name": decode::market_name(&m.market),
                        "mark": m.market.amm.curve().mark_price().ok(), "oracle": m.oracle_price(now).ok(),
                        "long_base": m.market.amm.base_long, "short_base": m.market.amm.base_short,
                        "funding_rate_ppb": m.market.funding.last_rate_ppb, "status": m.market.status })
                })
                .collect();
            if json {
                crate::outln!(
                    "{}",
                    json!({ "admin": exchange.admin.to_string(), "insurance_balance": exchange.insurance.balance, "markets": rows })
                );
            } else {
                crate::outln!(
                    "admin {}  insurance fund {} USDC  markets {}",
                    exchange.admin,
                    usdc(exchange.insurance.balance as i128),
                    exchange.market_count
                );
                for row in rows {
                    crate::outln!("{row}");
                }
            }
        }
    }
    Ok(())
}

fn print_result(json: bool, value: serde_json::Value, text: &str) {
    if json {
        crate::outln!("{value}");
    } else {
        crate::outln!("{text}");
    }
}

//! `vamm gov`: governance commands. Changes that may raise risk or move
//! value go through the program's timelock (`gov queue ...`, then anyone
//! runs `gov execute ID` once the delay has passed); `--print-only` prints
//! any command's instructions and unsigned message for a multisig instead
//! of sending them.

use crate::commands::{print_result, pubkey};
use crate::units::{parse_decimal, usdc};
use crate::{GovArgs, GovCommand, QueueCommand, Status};
use serde::Deserialize;
use serde_json::json;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::instructions::{CreateMarketParams, MarketParamsUpdate};
use vamm::state::{GovernanceAction, MarketStatus, OracleSet, OracleSource, Proposal, ProposalStatus};
use vamm_client::valuation::{fetch_exchange, fetch_markets};
use vamm_client::{decode, governance, ix, lookup_table, Transport};

/// A market listing in human units (the `[[markets]]` entries of
/// migrations/deploy.toml).
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
    /// Mark-oracle gap after which anyone may repeg, bps (0: admin only).
    pub repeg_gap_bps: u16,
    /// How long the gap must last first, seconds.
    pub repeg_delay_secs: u32,
}

pub(crate) fn source(text: &str) -> Result<OracleSource, String> {
    match text.to_ascii_lowercase().as_str() {
        "pyth" => Ok(OracleSource::Pyth),
        "switchboard" => Ok(OracleSource::Switchboard),
        other => Err(format!("unknown oracle source '{other}' (pyth or switchboard)")),
    }
}

pub(crate) fn feed_id(text: &str) -> Result<[u8; 32], String> {
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
        repeg_gap_bps: file.repeg_gap_bps,
        repeg_delay_secs: file.repeg_delay_secs,
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

/// Sends `instructions` signed by `signer`, or with `print_only` prints
/// them for a multisig: each instruction (program, accounts, data) and the
/// unsigned legacy message with `signer` as fee payer, in base58 and
/// base64 (Squads imports either). Returns whether they were sent.
async fn submit<T: Transport>(
    t: &mut T,
    signer: &Keypair,
    instructions: &[Instruction],
    print_only: bool,
) -> Result<bool, String> {
    if !print_only {
        t.send(instructions, &[signer]).await.map_err(|e| e.to_string())?;
        return Ok(true);
    }
    use base64::Engine;
    let encode64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let printed: Vec<_> = instructions
        .iter()
        .map(|i| {
            let accounts: Vec<_> = i
                .accounts
                .iter()
                .map(|a| json!({ "pubkey": a.pubkey.to_string(), "signer": a.is_signer, "writable": a.is_writable }))
                .collect();
            json!({ "program_id": i.program_id.to_string(), "accounts": accounts,
                "data_base58": bs58::encode(&i.data).into_string(), "data_base64": encode64(&i.data) })
        })
        .collect();
    // No blockhash: the multisig sets it when it builds its own transaction.
    let message = solana_message::Message::new(instructions, Some(&signer.pubkey())).serialize();
    crate::outln!(
        "{}",
        json!({ "instructions": printed, "message_base58": bs58::encode(&message).into_string(),
            "message_base64": encode64(&message), "fee_payer": signer.pubkey().to_string() })
    );
    Ok(false)
}

/// Idempotent deploy: initialises the exchange and lists the file's
/// markets through the timelock. A run queues what is missing; a run after
/// the delay executes what is ready (the oracles must be publishing);
/// every step is reported with what remains.
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
        let step = format!("list {}", market.name);
        if listed.contains(&market.name) {
            steps.push(json!({ "step": step, "done": "skipped: listed" }));
            continue;
        }
        let now = t.clock().await.map_err(send)?.unix_ts;
        // The listings waiting or executable, read once per market.
        let open_listings: Vec<Proposal> = governance::proposals(t)
            .await
            .map_err(send)?
            .into_iter()
            .filter(|p| p.status == ProposalStatus::Queued && now <= p.expires_ts)
            .filter(|p| matches!(p.action, GovernanceAction::ListMarket { .. }))
            .collect();
        let pending = open_listings.iter().find(|p| {
            matches!(&p.action, GovernanceAction::ListMarket { params, .. } if market_name(params) == market.name)
        });
        let done = match pending {
            Some(p) if now >= p.executable_ts => {
                governance::execute(t, signer, p.id).await.map_err(send)?;
                format!("listed as market {} (proposal {})", list_index(p), p.id)
            }
            Some(p) => format!("queued as proposal {}: executable from {}", p.id, p.executable_ts),
            None => {
                let index = fetch_exchange(t).await.map_err(send)?.market_count;
                // Listings queued ahead of this one take the indices before it.
                let queued_listings = open_listings.len() as u16;
                let (params, primary, secondary) = market_params(market, index + queued_listings)?;
                let action = GovernanceAction::ListMarket {
                    params,
                    primary_oracle: primary,
                    secondary_oracle: secondary,
                };
                let id = governance::queue(t, signer, action).await.map_err(send)?;
                let p = governance::proposal(t, id).await.map_err(send)?.ok_or("proposal vanished")?;
                format!("queued as proposal {id}: executable from {}", p.executable_ts)
            }
        };
        steps.push(json!({ "step": step, "done": done }));
    }
    // Listings change what the table should hold; nothing to add is a no-op.
    let report = lookup_table::sync(t, signer).await.map_err(send)?;
    steps.push(json!({ "step": "lookup table", "done": sync_text(&report) }));
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

fn sync_json(report: &lookup_table::SyncReport) -> serde_json::Value {
    json!({ "lookup_table": report.table.to_string(), "created": report.created,
        "added": report.added, "held": report.held })
}

fn sync_text(report: &lookup_table::SyncReport) -> String {
    let created = if report.created { "created " } else { "" };
    format!("{created}{}: {} addresses added, {} held", report.table, report.added, report.held)
}

fn market_name(params: &CreateMarketParams) -> String {
    let end = params.name.iter().position(|b| *b == 0).unwrap_or(params.name.len());
    String::from_utf8_lossy(&params.name[..end]).into_owned()
}

fn list_index(p: &Proposal) -> u16 {
    match &p.action {
        GovernanceAction::ListMarket { params, .. } => params.market_index,
        _ => 0,
    }
}

fn read_update(config: &std::path::Path) -> Result<MarketParamsUpdate, String> {
    let text =
        std::fs::read_to_string(config).map_err(|e| format!("cannot read {}: {e}", config.display()))?;
    // On-chain units (bps, ppm, quote native); fields left out keep their value.
    toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))
}

/// One proposal as the CLI shows it.
fn proposal_json(p: &Proposal, now: i64) -> serde_json::Value {
    let state = match p.status {
        ProposalStatus::Executed => "executed",
        ProposalStatus::Cancelled => "cancelled",
        ProposalStatus::Queued if now > p.expires_ts => "expired",
        ProposalStatus::Queued if now >= p.executable_ts => "executable",
        ProposalStatus::Queued => "waiting",
    };
    json!({ "id": p.id, "state": state, "action": format!("{:?}", p.action),
        "executable_ts": p.executable_ts, "expires_ts": p.expires_ts,
        "seconds_until_executable": (p.executable_ts - now).max(0),
        "proposer": p.proposer.to_string() })
}

pub async fn gov<T: Transport>(t: &mut T, signer: &Keypair, args: GovArgs, json: bool) -> Result<(), String> {
    let GovArgs { print_only, command } = args;
    let admin = signer.pubkey();
    let send = |e: vamm_client::ClientError| e.to_string();
    match command {
        GovCommand::UpdateParams { market, config } => {
            let update = read_update(&config)?;
            let ix = ix::update_market_params(&admin, &ix::market_pda(market), update);
            if submit(t, signer, &[ix], print_only).await.map_err(|e| {
                if e.contains("RequiresTimelock") {
                    format!("{e}\nthis change may raise risk: `vamm gov queue update-params` it instead")
                } else {
                    e
                }
            })? {
                print_result(
                    json,
                    json!({ "market": market, "updated": true }),
                    &format!("market {market} parameters updated"),
                );
            }
        }
        GovCommand::Queue(command) => {
            let action = match command {
                QueueCommand::ListMarket { config } => {
                    let text = std::fs::read_to_string(&config)
                        .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
                    let file: MarketFile =
                        toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
                    let index = fetch_exchange(t).await.map_err(send)?.market_count;
                    let (params, primary, secondary) = market_params(&file, index)?;
                    GovernanceAction::ListMarket {
                        params,
                        primary_oracle: primary,
                        secondary_oracle: secondary,
                    }
                }
                QueueCommand::UpdateParams { market, config } => GovernanceAction::UpdateMarketParams {
                    market_index: market,
                    update: read_update(&config)?,
                },
                QueueCommand::UpdateDepth { market, depth, max_cost } => GovernanceAction::UpdateDepth {
                    market_index: market,
                    sqrt_k: parse_decimal(&depth, 9)? as u128,
                    max_cost: parse_decimal(&max_cost, 6)?,
                },
                QueueCommand::SetOracles {
                    market,
                    primary,
                    primary_source,
                    primary_feed_id,
                    secondary,
                    secondary_source,
                    secondary_feed_id,
                } => GovernanceAction::SetOracles {
                    market_index: market,
                    oracles: OracleSet {
                        primary_oracle: pubkey(&primary)?,
                        primary_source: source(&primary_source)?,
                        primary_feed_id: feed_id(&primary_feed_id)?,
                        secondary_oracle: secondary.as_deref().map(pubkey).transpose()?,
                        secondary_source: secondary_source.as_deref().map(source).transpose()?,
                        secondary_feed_id: secondary_feed_id
                            .as_deref()
                            .map(feed_id)
                            .transpose()?
                            .unwrap_or([0; 32]),
                    },
                },
                QueueCommand::SetUnstakeCooldown { seconds } => {
                    GovernanceAction::SetUnstakeCooldown { cooldown_secs: seconds }
                }
                QueueCommand::SetTreasury { token_account } => {
                    GovernanceAction::SetTreasury { treasury: pubkey(&token_account)? }
                }
                QueueCommand::SetTimelockDelay { seconds } => {
                    GovernanceAction::SetTimelockDelay { delay_secs: seconds }
                }
                QueueCommand::SetAdmin { admin } => GovernanceAction::SetAdmin { admin: pubkey(&admin)? },
            };
            let id = fetch_exchange(t).await.map_err(send)?.proposal_count;
            let ix = ix::queue_proposal(&admin, id, action);
            if submit(t, signer, &[ix], print_only).await? {
                let now = t.clock().await.map_err(send)?.unix_ts;
                let p = governance::proposal(t, id).await.map_err(send)?.ok_or("proposal vanished")?;
                let value = proposal_json(&p, now);
                print_result(
                    json,
                    value.clone(),
                    &format!(
                        "queued as proposal {id}: executable by anyone from {} (in {} s)",
                        p.executable_ts, value["seconds_until_executable"]
                    ),
                );
            }
        }
        GovCommand::Queued { all } => {
            let now = t.clock().await.map_err(send)?.unix_ts;
            let rows: Vec<_> = governance::proposals(t)
                .await
                .map_err(send)?
                .iter()
                .map(|p| proposal_json(p, now))
                .filter(|row| all || row["state"] == "waiting" || row["state"] == "executable")
                .collect();
            if json {
                crate::outln!("{}", json!({ "now": now, "proposals": rows }));
            } else {
                for row in rows {
                    crate::outln!(
                        "#{:<4} {:<10} executable {} (in {} s)  expires {}  {}",
                        row["id"],
                        row["state"].as_str().unwrap_or(""),
                        row["executable_ts"],
                        row["seconds_until_executable"],
                        row["expires_ts"],
                        row["action"].as_str().unwrap_or("")
                    );
                }
            }
        }
        GovCommand::Execute { id } => {
            let p = governance::proposal(t, id).await.map_err(send)?.ok_or(format!("no proposal {id}"))?;
            if submit(t, signer, &[ix::execute(&admin, id, &p.action)], print_only).await? {
                print_result(json, json!({ "id": id, "executed": true }), &format!("proposal {id} executed"));
            }
        }
        GovCommand::Cancel { id } => {
            if submit(t, signer, &[ix::cancel_proposal(&admin, id)], print_only).await? {
                print_result(
                    json,
                    json!({ "id": id, "cancelled": true }),
                    &format!("proposal {id} cancelled"),
                );
            }
        }
        GovCommand::WithdrawTreasury { market } => {
            let exchange = fetch_exchange(t).await.map_err(send)?;
            let ix = ix::withdraw_treasury(
                &admin,
                &ix::market_pda(market),
                &exchange.treasury,
                &exchange.collateral_mint,
            );
            if submit(t, signer, &[ix], print_only).await? {
                print_result(
                    json,
                    json!({ "market": market, "withdrawn": true }),
                    &format!("market {market} fees paid to the treasury"),
                );
            }
        }
        GovCommand::SetStatus { market, status } => {
            let status = match status {
                Status::Active => MarketStatus::Active,
                Status::ReduceOnly => MarketStatus::ReduceOnly,
                Status::Paused => MarketStatus::Paused,
            };
            let ix = ix::set_market_status(&admin, &ix::market_pda(market), status);
            if submit(t, signer, &[ix], print_only).await? {
                print_result(
                    json,
                    json!({ "market": market, "status": format!("{status:?}") }),
                    &format!("market {market} is now {status:?}"),
                );
            }
        }
        GovCommand::Settle { market } => {
            let markets = fetch_markets(t).await.map_err(send)?;
            let snapshot =
                markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
            if submit(t, signer, &[ix::settle_market(&admin, &snapshot.oracles())], print_only).await? {
                print_result(
                    json,
                    json!({ "market": market, "settled": true }),
                    &format!("market {market} settled"),
                );
            }
        }
        GovCommand::Repeg { market } => {
            let markets = fetch_markets(t).await.map_err(send)?;
            let snapshot =
                markets.iter().find(|m| m.index() == market).ok_or(format!("no market {market}"))?;
            let old_peg = snapshot.market.amm.peg;
            if submit(t, signer, &[ix::repeg(&admin, &snapshot.oracles())], print_only).await? {
                let markets = fetch_markets(t).await.map_err(send)?;
                let new_peg =
                    markets.iter().find(|m| m.index() == market).map(|m| m.market.amm.peg).unwrap_or(old_peg);
                print_result(
                    json,
                    json!({ "market": market, "old_peg": old_peg, "new_peg": new_peg }),
                    &format!(
                        "market {market} re-pegged {} -> {}",
                        usdc(old_peg as i128),
                        usdc(new_peg as i128)
                    ),
                );
            }
        }
        GovCommand::Migrate { config } => {
            if print_only {
                // Its steps depend on each other and on the cluster's state.
                return Err("gov migrate sends dependent transactions and cannot be printed: print each \
                    step instead (gov --print-only init ..., gov --print-only queue list-market ...)"
                    .into());
            }
            let text = std::fs::read_to_string(&config)
                .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
            let file: DeployFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", config.display()))?;
            migrate(t, signer, &file, json).await?;
        }
        GovCommand::Init { mint, guardian } => {
            let mint = pubkey(&mint)?;
            let guardian = guardian.as_deref().map(pubkey).transpose()?.unwrap_or(admin);
            if submit(t, signer, &[ix::initialize_exchange(&admin, &mint, guardian)], print_only).await? {
                print_result(
                    json,
                    json!({ "exchange": ix::exchange_pda().to_string() }),
                    &format!("exchange {} initialised", ix::exchange_pda()),
                );
            }
        }
        GovCommand::ProposeAdmin { new_admin } => {
            let proposed = pubkey(&new_admin)?;
            if submit(t, signer, &[ix::propose_admin(&admin, proposed)], print_only).await? {
                print_result(
                    json,
                    json!({ "pending_admin": proposed.to_string() }),
                    &format!("{proposed} proposed as admin: it must run `vamm gov accept-admin`"),
                );
            }
        }
        GovCommand::CancelAdmin => {
            if submit(t, signer, &[ix::propose_admin(&admin, Pubkey::default())], print_only).await? {
                print_result(json, json!({ "pending_admin": null }), "admin proposal cancelled");
            }
        }
        GovCommand::AcceptAdmin => {
            if submit(t, signer, &[ix::accept_admin(&admin)], print_only).await? {
                print_result(
                    json,
                    json!({ "admin": admin.to_string() }),
                    &format!("{admin} is now the admin"),
                );
            }
        }
        GovCommand::SetGuardian { guardian } => {
            let guardian = pubkey(&guardian)?;
            if submit(t, signer, &[ix::set_guardian(&admin, guardian)], print_only).await? {
                print_result(
                    json,
                    json!({ "guardian": guardian.to_string() }),
                    &format!("guardian set to {guardian}"),
                );
            }
        }
        GovCommand::LookupTable => {
            if print_only {
                return Err("gov lookup-table creates, points at and extends a table in dependent \
                    transactions signed by the table's authority: run it with the admin's keypair"
                    .into());
            }
            let report = lookup_table::sync(t, signer).await.map_err(send)?;
            print_result(json, sync_json(&report), &sync_text(&report));
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
                        "funding_rate_ppb": m.market.funding.last_rate_ppb, "status": m.market.status,
                        "treasury_fees": m.market.pools.treasury })
                })
                .collect();
            let some = |key: Pubkey| (key != Pubkey::default()).then(|| key.to_string());
            if json {
                crate::outln!(
                    "{}",
                    json!({ "admin": exchange.admin.to_string(), "guardian": exchange.guardian.to_string(),
                        "pending_admin": some(exchange.pending_admin), "treasury": some(exchange.treasury),
                        "timelock_delay_secs": exchange.timelock_delay_secs,
                        "lookup_table": some(exchange.lookup_table),
                        "unstake_cooldown_secs": exchange.insurance.unstake_cooldown_secs,
                        "insurance_balance": exchange.insurance.balance, "markets": rows })
                );
            } else {
                crate::outln!(
                    "admin {}  guardian {}  pending admin {}  treasury {}  lookup table {}",
                    exchange.admin,
                    exchange.guardian,
                    some(exchange.pending_admin).unwrap_or("none".into()),
                    some(exchange.treasury).unwrap_or("not set".into()),
                    some(exchange.lookup_table).unwrap_or("not set".into()),
                );
                crate::outln!(
                    "timelock {} s  unstake cooldown {} s  insurance fund {} USDC  markets {}",
                    exchange.timelock_delay_secs,
                    exchange.insurance.unstake_cooldown_secs,
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

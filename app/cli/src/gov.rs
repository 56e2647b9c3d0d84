//! `vamm gov`: governance commands. Changes that may raise risk or move
//! value go through the program's timelock (`gov queue ...`, then anyone
//! runs `gov execute ID` once the delay has passed); `--print-only` prints
//! any command's instructions and unsigned message for a multisig instead
//! of sending them.

use crate::commands::{print_result, pubkey};
use crate::units::{parse_decimal, usdc};
use crate::{GovArgs, GovCommand, QueueCommand, Status};
use serde_json::json;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use vamm::instructions::MarketParamsUpdate;
use vamm::state::{GovernanceAction, MarketStatus, OracleSet, Proposal, ProposalStatus};
use vamm_client::deploy::{self, feed_id, market_params, source, DeployFile, MarketFile};
use vamm_client::valuation::{fetch_exchange, fetch_markets};
use vamm_client::{decode, governance, ix, lookup_table, Transport};

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

/// Runs the deploy step and prints each step.
async fn migrate<T: Transport>(
    t: &mut T,
    signer: &Keypair,
    file: &DeployFile,
    json: bool,
) -> Result<(), String> {
    let steps = deploy::migrate(t, signer, file).await.map_err(|e| e.to_string())?;
    if json {
        crate::outln!("{}", json!({ "steps": steps }));
    } else {
        for step in steps {
            crate::outln!("{:<28} {}", step.step, step.done);
        }
    }
    Ok(())
}

fn sync_json(report: &lookup_table::SyncReport) -> serde_json::Value {
    json!({ "lookup_table": report.table.to_string(), "created": report.created,
        "added": report.added, "held": report.held })
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
            print_result(json, sync_json(&report), &report.to_string());
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

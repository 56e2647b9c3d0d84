//! Golden vectors for the TypeScript SDK (app/ts): instructions as the
//! Rust builders make them (accounts named by the IDL, remaining accounts,
//! data bytes) with their arguments, and the program's PDAs. The TS tests
//! decode and rebuild each one and must match to the byte.
//!
//! The committed file must equal what this builds: the test fails when it
//! is stale. `cargo run -p xtask -- ts-vectors` (or this test with
//! `VAMM_WRITE_VECTORS=1`) rewrites it.

use serde_json::{json, Value};
use solana_instruction::Instruction;
use solana_pubkey::Pubkey;
use std::path::PathBuf;
use vamm::instructions::{
    ClosePositionParams, CreateMarketParams, LiquidateParams, LiquidationMode, MarketParamsUpdate,
    OpenPositionParams,
};
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::{GovernanceAction, MarketStatus, OracleSource};
use vamm_client::ix::{self, MarketOracles, TradeAccounts};

fn key(tag: u8) -> Pubkey {
    Pubkey::new_from_array([tag; 32])
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The IDL's account names of `instruction`, in order (nested groups
/// flattened, as the program lays them out).
fn idl_account_names(idl: &Value, instruction: &str) -> Vec<String> {
    fn flatten(accounts: &[Value], out: &mut Vec<String>) {
        for account in accounts {
            match account["accounts"].as_array() {
                Some(group) => flatten(group, out),
                None => out.push(account["name"].as_str().expect("an account name").to_string()),
            }
        }
    }
    let found = idl["instructions"].as_array().unwrap().iter().find(|i| i["name"] == instruction);
    let found = found.unwrap_or_else(|| panic!("{instruction} is not in the IDL"));
    let mut names = Vec::new();
    flatten(found["accounts"].as_array().unwrap(), &mut names);
    names
}

/// One vector: the instruction split into the IDL's named accounts and the
/// remaining ones, its data in hex, and its arguments as the TS decoder
/// returns them (bigints as decimal strings, options as null or the value,
/// data enums as `{ "__kind", "fields" }`, scalar enums by index; a
/// single struct argument is flattened, as the generated code takes it).
fn vector(idl: &Value, name: &str, ix: &Instruction, args: Value) -> Value {
    assert_eq!(ix.program_id, vamm::ID);
    let names = idl_account_names(idl, name);
    assert!(ix.accounts.len() >= names.len(), "{name}: fewer accounts than the IDL names");
    let meta = |m: &solana_instruction::AccountMeta| json!({ "address": m.pubkey.to_string(), "signer": m.is_signer, "writable": m.is_writable });
    let accounts: Vec<Value> = names
        .iter()
        .zip(&ix.accounts)
        .map(|(account_name, m)| {
            let mut value = meta(m);
            value["name"] = json!(account_name);
            value
        })
        .collect();
    let remaining: Vec<Value> = ix.accounts[names.len()..].iter().map(meta).collect();
    let data: String = ix.data.iter().map(|b| format!("{b:02x}")).collect();
    json!({ "instruction": name, "args": args, "accounts": accounts, "remaining": remaining, "data": data })
}

fn instructions(idl: &Value) -> Vec<Value> {
    let owner = key(1);
    let trader = ix::trader_pda(&owner, 3);
    let mint = key(2);
    let source = key(3);
    let sol = MarketOracles { market: ix::market_pda(0), primary: key(10), secondary: Some(key(11)) };
    let btc = MarketOracles { market: ix::market_pda(1), primary: key(12), secondary: None };
    let remaining = vec![btc.market, btc.primary];
    let trade = TradeAccounts {
        authority: owner,
        market: sol.market,
        trader_account: trader,
        primary_oracle: sol.primary,
        secondary_oracle: sol.secondary,
        remaining: remaining.clone(),
    };
    let trade_btc = TradeAccounts {
        market: btc.market,
        primary_oracle: btc.primary,
        secondary_oracle: None,
        remaining: vec![sol.market, sol.primary, sol.secondary.unwrap()],
        ..trade.clone()
    };
    let keeper = key(20);
    let keeper_account = ix::trader_pda(&keeper, 0);
    let max = u64::MAX.to_string();
    let none = Value::Null;
    vec![
        vector(
            idl,
            "create_trader_account",
            &ix::create_trader_account(&owner, 3, Some(key(4))),
            json!({ "subAccountId": 3, "delegate": key(4).to_string() }),
        ),
        vector(
            idl,
            "create_trader_account",
            &ix::create_trader_account(&owner, 0, None),
            json!({ "subAccountId": 0, "delegate": none }),
        ),
        vector(
            idl,
            "deposit",
            &ix::deposit(&owner, &trader, &source, &mint, 1_234_567_890),
            json!({ "amount": "1234567890" }),
        ),
        vector(
            idl,
            "withdraw",
            &ix::withdraw(&owner, &trader, &source, &mint, u64::MAX, &remaining),
            json!({ "amount": max }),
        ),
        vector(
            idl,
            "open_position",
            &ix::open_position(
                &trade,
                OpenPositionParams {
                    direction: Direction::Long,
                    size: TradeSize::Base(2_500_000_000),
                    limit_price: 151_250_000,
                    reduce_only: false,
                },
            ),
            json!({ "direction": 0, "size": { "__kind": "Base", "fields": ["2500000000"] },
                "limitPrice": "151250000", "reduceOnly": false }),
        ),
        vector(
            idl,
            "open_position",
            &ix::open_position(
                &trade_btc,
                OpenPositionParams {
                    direction: Direction::Short,
                    size: TradeSize::Quote(10_000_000_000),
                    limit_price: 0,
                    reduce_only: true,
                },
            ),
            json!({ "direction": 1, "size": { "__kind": "Quote", "fields": ["10000000000"] },
                "limitPrice": "0", "reduceOnly": true }),
        ),
        vector(
            idl,
            "close_position",
            &ix::close_position(
                &trade,
                ClosePositionParams { base_amount: Some(1_000_000_000), limit_price: None },
            ),
            json!({ "baseAmount": "1000000000", "limitPrice": none }),
        ),
        vector(
            idl,
            "close_position",
            &ix::close_position(
                &trade,
                ClosePositionParams { base_amount: None, limit_price: Some(149_000_000) },
            ),
            json!({ "baseAmount": none, "limitPrice": "149000000" }),
        ),
        vector(
            idl,
            "liquidate",
            &ix::liquidate(
                &keeper,
                &keeper_account,
                &trader,
                &sol,
                LiquidateParams { max_base: Some(7), riskiest_first: true, mode: LiquidationMode::Takeover },
                &remaining,
            ),
            json!({ "maxBase": "7", "riskiestFirst": true, "mode": 0 }),
        ),
        vector(
            idl,
            "liquidate",
            &ix::liquidate(
                &keeper,
                &keeper_account,
                &trader,
                &btc,
                LiquidateParams { max_base: None, riskiest_first: false, mode: LiquidationMode::IntoCurve },
                &[],
            ),
            json!({ "maxBase": none, "riskiestFirst": false, "mode": 1 }),
        ),
        vector(idl, "settle_funding", &ix::settle_funding(&keeper, &sol), json!({})),
        vector(idl, "settle_pnl", &ix::settle_pnl(&keeper, &sol.market, &trader), json!({})),
        vector(
            idl,
            "stake_insurance",
            &ix::stake_insurance(&owner, &source, &mint, 5_000_000, &ix::all_markets(2)),
            json!({ "amount": "5000000" }),
        ),
        vector(idl, "request_unstake", &ix::request_unstake(&owner, 42), json!({ "shares": "42" })),
        vector(
            idl,
            "queue_proposal",
            &ix::queue_proposal(&owner, 9, GovernanceAction::SetUnstakeCooldown { cooldown_secs: 259_200 }),
            json!({ "action": { "__kind": "SetUnstakeCooldown", "cooldownSecs": 259_200 } }),
        ),
        vector(
            idl,
            "queue_proposal",
            &ix::queue_proposal(
                &owner,
                10,
                GovernanceAction::UpdateDepth {
                    market_index: 1,
                    sqrt_k: u128::from(u64::MAX) * 3,
                    max_cost: 77,
                },
            ),
            json!({ "action": { "__kind": "UpdateDepth", "marketIndex": 1,
                "sqrtK": (u128::from(u64::MAX) * 3).to_string(), "maxCost": "77" } }),
        ),
        vector(
            idl,
            "set_delegate",
            &ix::set_delegate(&owner, &trader, key(5)),
            json!({ "delegate": key(5).to_string() }),
        ),
    ]
}

/// The instructions `instructions` leaves out: admin, governance, keeper
/// and staking ones, so every instruction of the IDL has a vector.
fn more_instructions(idl: &Value) -> Vec<Value> {
    let admin = key(30);
    let sol = MarketOracles { market: ix::market_pda(0), primary: key(10), secondary: Some(key(11)) };
    let eth = MarketOracles { market: ix::market_pda(2), primary: key(13), secondary: None };
    let trader = ix::trader_pda(&key(1), 0);
    let mint = key(2);
    let params = CreateMarketParams {
        market_index: 3,
        name: *b"DOGE-PERP\0\0\0\0\0\0\0",
        primary_source: OracleSource::Pyth,
        primary_feed_id: [0xA1; 32],
        secondary_source: Some(OracleSource::Switchboard),
        secondary_feed_id: [0xB2; 32],
        max_staleness_secs: 120,
        max_confidence_bps: 100,
        consensus_band_bps: 150,
        sqrt_k: 40_000_000_000_000 * 3,
        min_price: 20_000,
        max_price: 2_000_000,
        initial_ratio: 100_000,
        maintenance_ratio: 50_000,
        initial_imf_factor: 100,
        maintenance_imf_factor: 50,
        mark_oracle_band_bps: 1_000,
        max_oracle_jump_bps: 3_000,
        price_confirmation_secs: 60,
        min_oracle_samples: 3,
        initial_profit_weight_bps: 5_000,
        max_slot_move_bps: 1_000,
        max_open_interest: 50_000_000_000_000,
        max_position_notional: 10_000_000_000_000,
        taker_fee_bps: 10,
        insurance_share_bps: 3_000,
        pnl_pool_share_bps: 3_000,
        fee_pool_share_bps: 2_000,
        funding_period_secs: 3_600,
        max_funding_rate_bps: 50,
        liquidation_fee_bps: 100,
        liquidator_share_bps: 5_000,
        max_liquidation_fraction_bps: 5_000,
        liquidation_buffer_ratio: 10_000,
        repeg_gap_bps: 300,
        repeg_delay_secs: 1_800,
    };
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let params_json = json!({
        "marketIndex": 3, "name": hex(&params.name), "primarySource": 0, "primaryFeedId": hex(&[0xA1; 32]),
        "secondarySource": 1, "secondaryFeedId": hex(&[0xB2; 32]), "maxStalenessSecs": 120,
        "maxConfidenceBps": 100, "consensusBandBps": 150, "sqrtK": (40_000_000_000_000u128 * 3).to_string(),
        "minPrice": "20000", "maxPrice": "2000000", "initialRatio": 100_000, "maintenanceRatio": 50_000,
        "initialImfFactor": 100, "maintenanceImfFactor": 50, "markOracleBandBps": 1_000,
        "maxOracleJumpBps": 3_000, "priceConfirmationSecs": 60, "minOracleSamples": 3,
        "initialProfitWeightBps": 5_000, "maxSlotMoveBps": 1_000, "maxOpenInterest": "50000000000000",
        "maxPositionNotional": "10000000000000", "takerFeeBps": 10, "insuranceShareBps": 3_000,
        "pnlPoolShareBps": 3_000, "feePoolShareBps": 2_000, "fundingPeriodSecs": 3_600,
        "maxFundingRateBps": 50, "liquidationFeeBps": 100, "liquidatorShareBps": 5_000,
        "maxLiquidationFractionBps": 5_000, "liquidationBufferRatio": 10_000, "repegGapBps": 300,
        "repegDelaySecs": 1_800,
    });
    let update = MarketParamsUpdate {
        initial_ratio: Some(120_000),
        taker_fee_bps: Some(7),
        max_open_interest: Some(123_456_789_012),
        repeg_delay_secs: Some(3_600),
        ..MarketParamsUpdate::default()
    };
    let update_json = json!({ "maxStalenessSecs": null, "maxConfidenceBps": null, "consensusBandBps": null, "initialRatio": 120_000, "maintenanceRatio": null, "initialImfFactor": null, "maintenanceImfFactor": null, "markOracleBandBps": null, "maxOracleJumpBps": null, "priceConfirmationSecs": null, "minOracleSamples": null, "initialProfitWeightBps": null, "maxSlotMoveBps": null, "maxOpenInterest": "123456789012", "maxPositionNotional": null, "takerFeeBps": 7, "insuranceShareBps": null, "pnlPoolShareBps": null, "feePoolShareBps": null, "maxFundingRateBps": null, "liquidationFeeBps": null, "liquidatorShareBps": null, "maxLiquidationFractionBps": null, "liquidationBufferRatio": null, "repegGapBps": null, "repegDelaySecs": 3_600 });
    let mut without_secondary = params_json.clone();
    without_secondary["secondarySource"] = Value::Null;
    let depth = GovernanceAction::UpdateDepth { market_index: 2, sqrt_k: 7, max_cost: 8 };
    vec![
        vector(
            idl,
            "initialize_exchange",
            &ix::initialize_exchange(&admin, &mint, key(31)),
            json!({ "guardian": key(31).to_string() }),
        ),
        vector(
            idl,
            "propose_admin",
            &ix::propose_admin(&admin, key(32)),
            json!({ "newAdmin": key(32).to_string() }),
        ),
        vector(idl, "accept_admin", &ix::accept_admin(&key(32)), json!({})),
        vector(
            idl,
            "set_guardian",
            &ix::set_guardian(&admin, key(33)),
            json!({ "guardian": key(33).to_string() }),
        ),
        vector(
            idl,
            "set_lookup_table",
            &ix::set_lookup_table(&admin, key(34)),
            json!({ "lookupTable": key(34).to_string() }),
        ),
        vector(idl, "execute_proposal", &ix::execute_proposal(&key(35), 4, &depth), json!({})),
        vector(
            idl,
            "execute_proposal",
            &ix::execute_proposal(&key(35), 5, &GovernanceAction::SetTreasury { treasury: key(36) }),
            json!({}),
        ),
        vector(idl, "cancel_proposal", &ix::cancel_proposal(&admin, 6), json!({})),
        vector(
            idl,
            "create_market",
            &ix::create_market(&key(35), 7, params.clone(), key(14), Some(key(15))),
            json!({ "params": params_json.clone() }),
        ),
        vector(
            idl,
            "create_market",
            &ix::create_market(
                &key(35),
                8,
                CreateMarketParams { secondary_source: None, ..params },
                key(14),
                None,
            ),
            json!({ "params": without_secondary }),
        ),
        vector(
            idl,
            "withdraw_treasury",
            &ix::withdraw_treasury(&key(35), &sol.market, &key(36), &mint),
            json!({}),
        ),
        vector(idl, "close_trader_account", &ix::close_trader_account(&key(1), &trader), json!({})),
        vector(idl, "update_twaps", &ix::update_twaps(&key(35), &sol), json!({})),
        vector(
            idl,
            "resolve_bankruptcy",
            &ix::resolve_bankruptcy(&key(35), &eth.market, &trader, &mint, &[sol.market, ix::market_pda(1)]),
            json!({}),
        ),
        vector(
            idl,
            "sweep_insurance_fees",
            &ix::sweep_insurance_fees(&key(35), &eth.market, &mint),
            json!({}),
        ),
        vector(idl, "create_insurance_stake", &ix::create_insurance_stake(&key(1)), json!({})),
        vector(idl, "unstake", &ix::unstake(&key(1), &key(3), &mint, &ix::all_markets(3)), json!({})),
        vector(
            idl,
            "update_market_params",
            &ix::update_market_params(&admin, &sol.market, update),
            json!({ "update": update_json }),
        ),
        vector(
            idl,
            "set_market_status",
            &ix::set_market_status(&admin, &eth.market, MarketStatus::Paused),
            json!({ "status": 2 }),
        ),
        vector(idl, "repeg", &ix::repeg(&key(35), &sol), json!({})),
        vector(idl, "settle_market", &ix::settle_market(&admin, &eth), json!({})),
        vector(idl, "settle_position", &ix::settle_position(&key(35), &eth.market, &trader), json!({})),
    ]
}

fn pdas() -> Value {
    let owner = key(1);
    let exchange = ix::exchange_pda();
    let markets: Vec<Value> = [0u16, 1, 2, 300]
        .iter()
        .map(|i| json!({ "index": i, "address": ix::market_pda(*i).to_string() }))
        .collect();
    let traders: Vec<Value> = [0u16, 3, 65_535]
        .iter()
        .map(|s| {
            json!({ "owner": owner.to_string(), "subAccountId": s,
                "address": ix::trader_pda(&owner, *s).to_string() })
        })
        .collect();
    let proposals: Vec<Value> = [0u64, 9, u64::MAX]
        .iter()
        .map(|id| json!({ "id": id.to_string(), "address": ix::proposal_pda(*id).to_string() }))
        .collect();
    json!({
        "programAddress": vamm::ID.to_string(),
        "exchange": exchange.to_string(),
        "vault": ix::vault_pda(&exchange).to_string(),
        "insuranceVault": ix::insurance_vault_pda(&exchange).to_string(),
        "markets": markets,
        "traderAccounts": traders,
        "insuranceStake": { "owner": owner.to_string(), "address": ix::insurance_stake_pda(&owner).to_string() },
        "proposals": proposals,
    })
}

#[test]
fn typescript_vectors_are_current() {
    let root = workspace();
    let idl: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("idl/vamm.json")).unwrap()).unwrap();
    let mut all = instructions(&idl);
    all.extend(more_instructions(&idl));
    let names: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|v| v["instruction"].as_str()).collect();
    let missing: Vec<&str> = idl["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .filter(|n| !names.contains(n))
        .collect();
    assert!(missing.is_empty(), "instructions without a vector: {missing:?}");
    let vectors = json!({ "instructions": all, "pdas": pdas() });
    let text = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    let path = root.join("app/ts/test/vectors/instructions.json");
    if std::env::var_os("VAMM_WRITE_VECTORS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: run `cargo run -p xtask -- ts-vectors` and commit it",
        path.display()
    );
}

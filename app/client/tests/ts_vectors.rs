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
use vamm::instructions::{ClosePositionParams, LiquidateParams, LiquidationMode, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::GovernanceAction;
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
    let vectors = json!({ "instructions": instructions(&idl), "pdas": pdas() });
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

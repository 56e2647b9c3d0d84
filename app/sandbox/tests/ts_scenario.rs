//! Golden vectors for the TypeScript SDK (app/ts) from a scripted scenario
//! in the in-process runtime, through the Rust client: three markets (SOL
//! with a Pyth and a Switchboard oracle, BTC with Pyth, ETH with
//! Switchboard), a staker, traders with positions in several markets, a
//! partial close that leaves a profit claim the PnL pool cannot pay yet,
//! funding cranked and accruing, a liquidation into the curve and a
//! queued proposal. It writes:
//!
//! - every account's raw bytes with the values the program's own types
//!   decode them to (integers as decimal strings, byte arrays in hex);
//! - trade previews for a grid of sizes in both directions, account
//!   health at a grid of oracle prices and times, and liquidation prices,
//!   all computed by the program's math (`vamm_client::preview`,
//!   `valuation::account_health`), failures by the program error's name;
//! - the remaining accounts each trader's instructions need, the program
//!   error table and the compute-budget instructions.
//!
//! The committed file must equal what this builds: the test fails when it
//! is stale. `cargo run -p xtask -- ts-vectors` (or this test with
//! `VAMM_WRITE_VECTORS=1`) rewrites it.

use anchor_lang::Discriminator;
use serde_json::{json, Map, Value};
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::path::PathBuf;
use vamm::instructions::{ClosePositionParams, LiquidateParams, LiquidationMode, OpenPositionParams};
use vamm::math::amm::{average_price_rounded_up, Direction, TradeSize};
use vamm::oracle::OracleClock;
use vamm::state::{
    AmmState, Exchange, FeeParams, FundingState, GovernanceAction, InsuranceFund, InsuranceStake,
    LiquidationParams, Market, MarketPools, MarketStats, OracleConfig, PodU128, Position, PriceGuard,
    Proposal, RepegRule, RiskParams, SlotBreaker, StablePrice, TraderAccount,
};
use vamm_client::preview::{liquidation_price, preview_trade};
use vamm_client::transport::message::ComputeBudget;
use vamm_client::valuation::{
    account_health, fetch_markets, fetch_trader, price_book, remaining_accounts, takeover_accounts,
    trade_accounts, MarketSnapshot,
};
use vamm_client::{decode, errors, governance, ix, Transport};
use vamm_sandbox::chain::{Chain, Wallet, START_TS, USDC};
use vamm_sandbox::markets::{listing, specs};
use vamm_sandbox::rng::Rng;

const BASE: u64 = 1_000_000_000;

/// A value as the TS test normalises the generated decoders' output:
/// integers as decimal strings, byte arrays as hex, addresses in base58.
trait Js {
    fn js(&self) -> Value;
}

macro_rules! js_integers {
    ($($t:ty),*) => {$(
        impl Js for $t {
            fn js(&self) -> Value {
                Value::String(self.to_string())
            }
        }
    )*};
}
js_integers!(u8, u16, u32, u64, i64, u128, i128);

impl Js for Pubkey {
    fn js(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl<const N: usize> Js for [u8; N] {
    fn js(&self) -> Value {
        Value::String(hex(self))
    }
}

impl<const N: usize> Js for [Position; N] {
    fn js(&self) -> Value {
        Value::Array(self.iter().map(Js::js).collect())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `snake_case` field name as the generated TS names it.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A struct as an object of its fields, named as the generated TS names
/// them. A field left out here is one the TS decoder returns and the Rust
/// value lacks, so the TS comparison fails: the lists cannot silently drift.
macro_rules! js_struct {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl Js for $ty {
            fn js(&self) -> Value {
                let mut map = Map::new();
                $( map.insert(camel(stringify!($field)), self.$field.js()); )*
                Value::Object(map)
            }
        }
    };
}

js_struct!(PodU128 { le_bytes });
js_struct!(AmmState {
    base_reserve,
    quote_reserve,
    sqrt_k,
    peg,
    min_price,
    max_price,
    last_mark_price,
    base_long,
    base_short
});
js_struct!(OracleConfig {
    primary,
    secondary,
    primary_feed_id,
    secondary_feed_id,
    last_primary_sequence,
    last_secondary_sequence,
    last_price,
    max_staleness_secs,
    max_confidence_bps,
    consensus_band_bps,
    primary_source,
    secondary_source,
    max_jump_bps,
    min_samples,
    padding
});
js_struct!(PriceGuard {
    confirmation_secs,
    hold_side,
    padding,
    hold_since_ts,
    hold_price,
    holds_confirmed,
    holds_reverted,
    hold_sequence
});
js_struct!(RiskParams {
    initial_ratio,
    maintenance_ratio,
    initial_imf_factor,
    maintenance_imf_factor,
    mark_oracle_band_bps,
    max_slot_move_bps,
    padding,
    max_open_interest,
    max_position_notional
});
js_struct!(StablePrice { price, updated_ts, initial_profit_weight_bps, padding });
js_struct!(FeeParams { taker_fee_bps, insurance_share_bps, pnl_pool_share_bps, fee_pool_share_bps });
js_struct!(MarketPools {
    pnl_pool,
    fee_pool,
    treasury,
    insurance_pending,
    unpaid_profit,
    unpaid_loss_long,
    unpaid_loss_short
});
js_struct!(FundingState {
    cumulative_long,
    cumulative_short,
    mark_twap,
    oracle_twap,
    mark_twap_ts,
    oracle_twap_ts,
    last_funding_ts,
    last_rate_ppb,
    per_period_payment,
    last_accrual_ts,
    rate_until_ts,
    period_secs,
    max_rate_bps,
    padding
});
js_struct!(LiquidationParams {
    fee_bps,
    liquidator_share_bps,
    max_fraction_bps,
    padding,
    buffer_ratio,
    padding2
});
js_struct!(MarketStats {
    volume,
    fees,
    trade_count,
    liquidation_count,
    takeover_count,
    funding_paid_by_fee_pool,
    bad_debt_insured,
    bad_debt_socialised,
    bad_debt_unrecovered,
    claims_written_off
});
js_struct!(RepegRule { gap_bps, padding, delay_secs, gap_since_ts });
js_struct!(SlotBreaker { slot, slot_start_mark });
js_struct!(Market {
    exchange,
    name,
    amm,
    oracle,
    risk,
    fees,
    pools,
    funding,
    liquidation,
    stats,
    created_ts,
    market_index,
    status,
    bump,
    padding,
    slot_breaker,
    settlement_price,
    price_guard,
    final_payout_pool,
    final_payout_claims,
    stable_price,
    repeg_rule,
    reserved
});
js_struct!(Position {
    market_index,
    padding,
    base,
    entry_notional,
    pending_profit,
    unpaid_loss,
    realised_pnl,
    fees_paid,
    funding_index,
    funding_paid,
    unpaid_loss_short,
    reserved
});
js_struct!(TraderAccount {
    owner,
    delegate,
    collateral,
    liquidation_count,
    total_deposited,
    total_withdrawn,
    created_ts,
    sub_account_id,
    bump,
    padding,
    positions,
    reserved
});
js_struct!(InsuranceFund {
    balance,
    total_shares,
    bad_debt_paid,
    revenue,
    unstake_cooldown_secs,
    share_epoch
});
js_struct!(Exchange {
    admin,
    guardian,
    collateral_mint,
    vault,
    insurance_vault,
    trader_account_count,
    insurance,
    market_count,
    bump,
    vault_bump,
    insurance_vault_bump,
    collateral_decimals,
    padding,
    pending_admin,
    treasury,
    timelock_delay_secs,
    padding2,
    proposal_count,
    lookup_table,
    reserved
});
js_struct!(InsuranceStake {
    owner,
    shares,
    unstake_shares,
    unstake_request_ts,
    total_staked,
    total_unstaked,
    bump,
    padding,
    share_epoch,
    unstake_available_ts,
    unstake_expires_ts,
    reserved
});

/// A proposal (Borsh): its status by index and its action as a data enum
/// (`__kind` and the variant's fields), as the generated decoder returns.
fn proposal_js(p: &Proposal) -> Value {
    let action = match &p.action {
        GovernanceAction::UpdateDepth { market_index, sqrt_k, max_cost } => json!({
            "__kind": "UpdateDepth", "marketIndex": market_index.js(), "sqrtK": sqrt_k.js(), "maxCost": max_cost.js()
        }),
        other => panic!("the scenario dumps no {other:?}"),
    };
    json!({
        "exchange": p.exchange.js(), "id": p.id.js(), "proposer": p.proposer.js(), "queuedTs": p.queued_ts.js(),
        "executableTs": p.executable_ts.js(), "expiresTs": p.expires_ts.js(), "status": (p.status as u8).js(),
        "closedBy": p.closed_by.js(), "closedTs": p.closed_ts.js(), "bump": p.bump.js(), "action": action,
    })
}

fn with_discriminator(discriminator: &[u8], value: Value) -> Value {
    let Value::Object(fields) = value else { unreachable!("accounts are structs") };
    let mut out = Map::new();
    out.insert("discriminator".into(), Value::String(hex(discriminator)));
    out.extend(fields);
    Value::Object(out)
}

fn error_name(error: anchor_lang::error::Error) -> String {
    match error {
        anchor_lang::error::Error::AnchorError(e) => e.error_name.clone(),
        anchor_lang::error::Error::ProgramError(e) => e.program_error.to_string(),
    }
}

fn outcome<T>(result: anchor_lang::Result<T>, ok: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(value) => json!({ "ok": ok(value) }),
        Err(error) => json!({ "error": error_name(error) }),
    }
}

async fn account(chain: &mut Chain, address: &Pubkey) -> solana_account::Account {
    chain.rt.account(address).await.unwrap().unwrap_or_else(|| panic!("{address} exists"))
}

async fn trader(chain: &mut Chain, wallet: &Wallet) -> TraderAccount {
    fetch_trader(&mut chain.rt, &wallet.account).await.unwrap().expect("a trader account")
}

async fn open(chain: &mut Chain, wallet: &Wallet, market: u16, direction: Direction, size: TradeSize) {
    let markets = fetch_markets(&mut chain.rt).await.unwrap();
    let state = trader(chain, wallet).await;
    let accounts =
        trade_accounts(wallet.owner.pubkey(), wallet.account, &markets[market as usize], &markets, &state);
    let limit_price = if direction == Direction::Long { u64::MAX } else { 0 };
    let params = OpenPositionParams { direction, size, limit_price, reduce_only: false };
    chain.rt.send(&[ix::open_position(&accounts, params)], &[&wallet.owner]).await.unwrap();
}

/// Moves the clock and publishes every market's oracle(s) at `prices`.
async fn publish_at(
    chain: &mut Chain,
    ts: i64,
    oracles: &[Vec<vamm_sandbox::chain::Oracle>],
    prices: &[u64],
) {
    chain.rt.set_time(ts).await;
    for (market, price) in oracles.iter().zip(prices) {
        for oracle in market {
            oracle.publish(&mut chain.rt, *price);
        }
    }
}

struct Scenario {
    chain: Chain,
    traders: Vec<(&'static str, Wallet)>,
    staker: Pubkey,
    proposal: u64,
}

async fn scenario() -> Scenario {
    let mut chain = Chain::deploy(Rng::new(0x7e57_5d6b)).await.unwrap();
    let specs = specs();
    let mut actions = Vec::new();
    let mut oracles = Vec::new();
    let mut published = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let (action, primary, secondary) = listing(&mut chain, index as u16, spec, spec.price);
        actions.push(action);
        published.push((primary, spec.price));
        published.extend(secondary.map(|s| (s, spec.price)));
        oracles.push(std::iter::once(primary).chain(secondary).collect::<Vec<_>>());
    }
    chain.govern(actions, &published).await.unwrap();

    // A staker, and traders in several markets.
    let staker = chain.trader(5_000 * USDC, 0).await.unwrap();
    let stake_owner = staker.owner.pubkey();
    chain.rt.send(&[ix::create_insurance_stake(&stake_owner)], &[&staker.owner]).await.unwrap();
    let stake =
        ix::stake_insurance(&stake_owner, &staker.usdc, &chain.mint, 5_000 * USDC, &ix::all_markets(3));
    chain.rt.send(&[stake], &[&staker.owner]).await.unwrap();

    let alice = chain.trader(30_000 * USDC, 20_000 * USDC).await.unwrap();
    let bob = chain.trader(10_000 * USDC, 5_000 * USDC).await.unwrap();
    let carol = chain.trader(2_000 * USDC, 1_000 * USDC).await.unwrap();
    let keeper = chain.trader(60_000 * USDC, 50_000 * USDC).await.unwrap();
    open(&mut chain, &alice, 0, Direction::Long, TradeSize::Base(20 * BASE)).await;
    open(&mut chain, &alice, 1, Direction::Short, TradeSize::Quote(30_000 * USDC)).await;
    open(&mut chain, &alice, 2, Direction::Long, TradeSize::Base(2 * BASE)).await;
    // A large buyer lifts SOL's mark about 5%; Alice takes half her SOL
    // profit at once: more than the young market's PnL pool holds, so
    // part of it waits as a claim.
    open(&mut chain, &keeper, 0, Direction::Long, TradeSize::Quote(150_000 * USDC)).await;
    let markets = fetch_markets(&mut chain.rt).await.unwrap();
    let state = trader(&mut chain, &alice).await;
    let accounts = trade_accounts(alice.owner.pubkey(), alice.account, &markets[0], &markets, &state);
    let close = ClosePositionParams { base_amount: Some(10 * BASE), limit_price: None };
    chain.rt.send(&[ix::close_position(&accounts, close)], &[&alice.owner]).await.unwrap();
    open(&mut chain, &bob, 0, Direction::Short, TradeSize::Quote(20_000 * USDC)).await;
    open(&mut chain, &carol, 2, Direction::Long, TradeSize::Base(3 * BASE)).await;

    // An hour later: SOL +5%, BTC -3%, ETH -7%; funding cranked.
    let t1 = START_TS + 3_600;
    let moved: Vec<u64> =
        specs.iter().zip([10_500u64, 9_700, 9_300]).map(|(s, f)| s.price / 10_000 * f).collect();
    publish_at(&mut chain, t1, &oracles, &moved).await;
    let markets = fetch_markets(&mut chain.rt).await.unwrap();
    for snapshot in &markets {
        chain
            .rt
            .send(&[ix::settle_funding(&keeper.owner.pubkey(), &snapshot.oracles())], &[&keeper.owner])
            .await
            .unwrap();
    }
    // Carol's ETH long is below maintenance: the keeper closes part of it into the curve.
    let markets = fetch_markets(&mut chain.rt).await.unwrap();
    let carol_state = trader(&mut chain, &carol).await;
    let liquidate = ix::liquidate(
        &keeper.owner.pubkey(),
        &keeper.account,
        &carol.account,
        &markets[2].oracles(),
        LiquidateParams { max_base: None, riskiest_first: false, mode: LiquidationMode::IntoCurve },
        &remaining_accounts(&carol_state, &markets, Some(2)),
    );
    chain.rt.send(&[liquidate], &[&keeper.owner]).await.unwrap();

    // Half an hour on: funding accrues, the stable price follows.
    publish_at(&mut chain, t1 + 1_800, &oracles, &moved).await;
    let admin = chain.admin.insecure_clone();
    let depth =
        GovernanceAction::UpdateDepth { market_index: 1, sqrt_k: 150 * BASE as u128, max_cost: 25 * USDC };
    let proposal = governance::queue(&mut chain.rt, &admin, depth).await.unwrap();

    let traders = vec![("alice", alice), ("bob", bob), ("carol", carol), ("keeper", keeper)];
    Scenario { chain, traders, staker: stake_owner, proposal }
}

fn raw(account: &solana_account::Account) -> Value {
    json!({ "owner": account.owner.to_string(), "data": hex(&account.data) })
}

async fn accounts(s: &mut Scenario, markets: &[MarketSnapshot]) -> Vec<Value> {
    let mut out = Vec::new();
    let exchange_address = ix::exchange_pda();
    let exchange = account(&mut s.chain, &exchange_address).await;
    let decoded = decode::exchange(&exchange).unwrap();
    out.push(json!({ "kind": "exchange", "address": exchange_address.to_string(), "account": raw(&exchange),
        "decoded": with_discriminator(Exchange::DISCRIMINATOR, decoded.js()) }));
    for snapshot in markets {
        let market = account(&mut s.chain, &snapshot.address).await;
        let decoded = decode::market(&market).unwrap();
        out.push(json!({ "kind": "market", "address": snapshot.address.to_string(), "account": raw(&market),
            "decoded": with_discriminator(Market::DISCRIMINATOR, decoded.js()) }));
    }
    for (name, wallet) in &s.traders {
        let trader = account(&mut s.chain, &wallet.account).await;
        let decoded = decode::trader_account(&trader).unwrap();
        out.push(json!({ "kind": "traderAccount", "name": name, "address": wallet.account.to_string(),
            "account": raw(&trader), "decoded": with_discriminator(TraderAccount::DISCRIMINATOR, decoded.js()) }));
    }
    let stake_address = ix::insurance_stake_pda(&s.staker);
    let stake = account(&mut s.chain, &stake_address).await;
    let decoded = decode::insurance_stake(&stake).unwrap();
    out.push(json!({ "kind": "insuranceStake", "address": stake_address.to_string(), "account": raw(&stake),
        "decoded": with_discriminator(InsuranceStake::DISCRIMINATOR, decoded.js()) }));
    let proposal_address = ix::proposal_pda(s.proposal);
    let proposal = account(&mut s.chain, &proposal_address).await;
    let decoded = decode::proposal(&proposal).unwrap();
    out.push(json!({ "kind": "proposal", "address": proposal_address.to_string(), "account": raw(&proposal),
        "decoded": with_discriminator(Proposal::DISCRIMINATOR, proposal_js(&decoded)) }));
    out
}

/// Market orders of every size class in both directions, from dust to
/// past the price range.
fn trade_previews(markets: &[MarketSnapshot]) -> Vec<Value> {
    let sizes = [
        TradeSize::Base(1),
        TradeSize::Base(1_000),
        TradeSize::Base(BASE / 100),
        TradeSize::Base(BASE),
        TradeSize::Base(25 * BASE),
        TradeSize::Base(1_000 * BASE),
        TradeSize::Base(100_000 * BASE),
        TradeSize::Base(u64::MAX),
        TradeSize::Quote(1),
        TradeSize::Quote(1_000),
        TradeSize::Quote(USDC),
        TradeSize::Quote(12_345 * USDC + 678_901),
        TradeSize::Quote(1_000_000 * USDC),
        TradeSize::Quote(100_000_000 * USDC),
        TradeSize::Quote(u64::MAX),
    ];
    let mut out = Vec::new();
    for snapshot in markets {
        for direction in [Direction::Long, Direction::Short] {
            for size in sizes {
                let (kind, amount) = match size {
                    TradeSize::Base(a) => ("base", a),
                    TradeSize::Quote(a) => ("quote", a),
                };
                let result = outcome(preview_trade(&snapshot.market, direction, size), |p| {
                    let rounded_up = average_price_rounded_up(p.base, p.quote).expect("the fill's average");
                    json!({ "base": p.base.js(), "quote": p.quote.js(), "averagePrice": p.average_price.js(),
                        "averagePriceRoundedUp": rounded_up.js(),
                        "fee": p.fee.js(), "markBefore": p.mark_before.js(), "markAfter": p.mark_after.js(),
                        "impactBps": p.impact_bps.js() })
                });
                out.push(json!({ "marketIndex": snapshot.index(), "direction": direction as u8,
                    "size": { "kind": kind, "amount": amount.js() }, "result": result }));
            }
        }
    }
    out
}

/// Every trader's margin at the current oracle prices and at moves of
/// each market and of all of them, now and later (funding accrued, the
/// stable price moved on).
fn health_cases(
    s: &Scenario,
    markets: &[MarketSnapshot],
    traders: &[TraderAccount],
    clock: OracleClock,
) -> Vec<Value> {
    let current: Vec<u64> = markets.iter().map(|m| m.oracle_price(clock).expect("fresh oracle")).collect();
    let scaled = |prices: &[u64], index: Option<usize>, bps: u64| -> Vec<u64> {
        prices
            .iter()
            .enumerate()
            .map(|(i, p)| if index.is_none_or(|x| x == i) { p / 10_000 * bps } else { *p })
            .collect()
    };
    let mut cases = vec![(clock.unix_ts, current.clone())];
    for index in 0..markets.len() {
        for bps in [5_000, 9_000, 9_500, 10_500, 11_000, 20_000] {
            cases.push((clock.unix_ts, scaled(&current, Some(index), bps)));
        }
    }
    for bps in [1, 8_000, 12_000, 40_000] {
        cases.push((clock.unix_ts, scaled(&current, None, bps)));
    }
    for later in [600, 3_600, 86_400 * 3] {
        cases.push((clock.unix_ts + later, current.clone()));
    }
    let mut out = Vec::new();
    for (now, prices) in cases {
        let overrides: Vec<(u16, u64)> =
            markets.iter().map(|m| m.index()).zip(prices.iter().copied()).collect();
        let book = price_book(markets, OracleClock { unix_ts: now, slot: clock.slot }, &overrides);
        for ((name, _), trader) in s.traders.iter().zip(traders) {
            let result = outcome(account_health(&book, trader), |h| {
                let m = h.margin;
                json!({
                    "margin": { "collateral": m.collateral.js(), "unpaidLoss": m.unpaid_loss.js(),
                        "fundingOwed": m.funding_owed.js(), "fundingReceivable": m.funding_receivable.js(),
                        "unrealisedPnl": m.unrealised_pnl.js(), "unrealisedLoss": m.unrealised_loss.js(),
                        "initialPnl": m.initial_pnl.js(), "pendingProfit": m.pending_profit.js(),
                        "totalNotional": m.total_notional.js(), "initialRequired": m.initial_required.js(),
                        "maintenanceRequired": m.maintenance_required.js() },
                    "health": (h.health as u8).js(), "freeCollateral": h.free_collateral.js(), "leverage": h.leverage.js(),
                })
            });
            out.push(json!({ "trader": name, "nowTs": now.js(),
                "prices": prices.iter().map(Js::js).collect::<Vec<_>>(), "result": result }));
        }
    }
    out
}

fn liquidation_prices(
    s: &Scenario,
    markets: &[MarketSnapshot],
    traders: &[TraderAccount],
    clock: OracleClock,
) -> Vec<Value> {
    let mut out = Vec::new();
    for ((name, _), trader) in s.traders.iter().zip(traders) {
        for snapshot in markets {
            let price = liquidation_price(markets, trader, snapshot.index(), clock);
            out.push(json!({ "trader": name, "marketIndex": snapshot.index(),
                "price": price.map_or(Value::Null, |p| p.js()) }));
        }
    }
    out
}

fn remaining(s: &Scenario, markets: &[MarketSnapshot], traders: &[TraderAccount]) -> Value {
    let keys = |keys: Vec<Pubkey>| keys.iter().map(Js::js).collect::<Vec<_>>();
    let mut out = Vec::new();
    for ((name, _), trader) in s.traders.iter().zip(traders) {
        out.push(json!({ "trader": name, "except": Value::Null, "accounts": keys(remaining_accounts(trader, markets, None)) }));
        for snapshot in markets {
            out.push(json!({ "trader": name, "except": snapshot.index(),
                "accounts": keys(remaining_accounts(trader, markets, Some(snapshot.index()))) }));
        }
    }
    let (carol, keeper) = (&traders[2], &traders[3]);
    json!({
        "remaining": out,
        "takeover": { "liquidatee": "carol", "liquidator": "keeper", "except": 2,
            "accounts": keys(takeover_accounts(carol, keeper, markets, Some(2))) },
    })
}

/// Every program error code and a few that are not the program's.
fn error_table() -> Vec<Value> {
    let mut codes: Vec<u32> = vec![0, 1, 100, 2006, 3012, 5999];
    codes.extend(6000..6100);
    codes
        .into_iter()
        .map(|code| match errors::describe(code) {
            Some((name, message)) => json!({ "code": code, "name": name, "message": message }),
            None => json!({ "code": code, "name": Value::Null }),
        })
        .collect()
}

fn compute_budgets() -> Vec<Value> {
    [(200_000, 0), (1_400_000, 5_000), (0, u64::MAX), (123_456, 1)]
        .into_iter()
        .map(|(unit_limit, micro_lamports_per_unit)| {
            let budget = ComputeBudget { unit_limit, micro_lamports_per_unit };
            let instructions: Vec<Value> = budget
                .instructions()
                .iter()
                .map(|i| json!({ "programAddress": i.program_id.to_string(), "accounts": i.accounts.len(), "data": hex(&i.data) }))
                .collect();
            json!({ "unitLimit": unit_limit, "microLamportsPerUnit": micro_lamports_per_unit.js(), "instructions": instructions })
        })
        .collect()
}

#[tokio::test]
async fn typescript_scenario_vectors_are_current() {
    let mut s = scenario().await;
    let markets = fetch_markets(&mut s.chain.rt).await.unwrap();
    let mut traders = Vec::new();
    for (_, wallet) in &s.traders {
        traders.push(trader(&mut s.chain, wallet).await);
    }
    // The scenario did what it says: a claim waits, carol was liquidated.
    assert!(traders[0].positions.iter().any(|p| p.pending_profit > 0), "alice holds a profit claim");
    assert_eq!(traders[2].liquidation_count, 1, "carol was liquidated once");
    let clock = s.chain.rt.clock_now();
    let oracle_prices: Vec<Value> = markets
        .iter()
        .map(|m| json!({ "marketIndex": m.index(), "price": m.oracle_price(clock).expect("fresh oracle").js() }))
        .collect();
    let vectors = json!({
        "nowTs": clock.unix_ts.js(),
        "oraclePrices": oracle_prices,
        "accounts": accounts(&mut s, &markets).await,
        "trades": trade_previews(&markets),
        "health": health_cases(&s, &markets, &traders, clock),
        "liquidationPrices": liquidation_prices(&s, &markets, &traders, clock),
        "accountsNeeded": remaining(&s, &markets, &traders),
        "errors": error_table(),
        "computeBudgets": compute_budgets(),
    });
    let text = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ts/test/vectors/scenario.json");
    if std::env::var_os("VAMM_WRITE_VECTORS").is_some() {
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

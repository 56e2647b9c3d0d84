//! The serialized size of the worst case of every trader and keeper
//! transaction, pinned, against the 1,232-byte packet limit that a
//! validator enforces (the local runtime now enforces it too).
//!
//! Worst case: an account with positions in all 8 slots, every market
//! with a Pyth and a Switchboard oracle, a fee payer apart from the
//! signer, and both compute-budget instructions. Each is measured as a
//! legacy message and as the version-0 message the client sends against
//! the exchange's lookup table (`vamm_client::lookup_table`), built with
//! the client's own builders and message compiler. Every version-0 size
//! must leave at least 150 bytes of the packet unused. Run with
//! `--nocapture` to print the table. A change that grows a transaction
//! fails here until the pinned figures (and docs/transactions.md) are
//! updated on purpose.

use solana_instruction::Instruction;
use solana_message::{AddressLookupTableAccount, Hash, VersionedMessage};
use solana_pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use vamm::instructions::{ClosePositionParams, LiquidateParams, LiquidationMode, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm::state::Exchange;
use vamm_client::ix::{self, MarketOracles, TradeAccounts};
use vamm_client::lookup_table::shared_addresses;
use vamm_client::transport::message::{self, ComputeBudget, PACKET_DATA_SIZE};

const POSITIONS: u16 = 8;
/// Bytes every version-0 transaction must leave unused.
const MARGIN: usize = 150;

struct Case {
    name: &'static str,
    instruction: Instruction,
    /// Legacy and version-0 sizes measured when this test was written, bytes.
    pinned: (usize, usize),
}

fn markets() -> Vec<MarketOracles> {
    (0..POSITIONS)
        .map(|index| MarketOracles {
            market: ix::market_pda(index),
            primary: Pubkey::new_unique(),
            secondary: Some(Pubkey::new_unique()),
        })
        .collect()
}

/// Every market but `except`: the market followed by its oracles.
fn valuation(markets: &[MarketOracles], except: Option<usize>) -> Vec<Pubkey> {
    markets
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != except)
        .flat_map(|(_, m)| [m.market, m.primary].into_iter().chain(m.secondary))
        .collect()
}

/// The exchange these keys belong to, with a treasury set.
fn exchange(mint: &Pubkey, treasury: &Pubkey) -> Exchange {
    let zeroed: Exchange = bytemuck::Zeroable::zeroed();
    let exchange = ix::exchange_pda();
    Exchange {
        vault: ix::vault_pda(&exchange),
        insurance_vault: ix::insurance_vault_pda(&exchange),
        collateral_mint: *mint,
        treasury: *treasury,
        ..zeroed
    }
}

/// The exchange's table as `lookup_table::sync` fills it.
fn table(exchange: &Exchange, markets: &[MarketOracles]) -> AddressLookupTableAccount {
    let markets: Vec<(Pubkey, Vec<Pubkey>)> =
        markets.iter().map(|m| (m.market, std::iter::once(m.primary).chain(m.secondary).collect())).collect();
    AddressLookupTableAccount { key: Pubkey::new_unique(), addresses: shared_addresses(exchange, &markets) }
}

/// Serialized bytes of `instruction` behind both compute-budget
/// instructions, paid by `fee_payer`, with every signature counted.
fn size(
    instruction: &Instruction,
    fee_payer: &Pubkey,
    tables: &[AddressLookupTableAccount],
) -> (usize, bool) {
    let budget = ComputeBudget { unit_limit: 400_000, micro_lamports_per_unit: 1_000 };
    let instructions = message::with_budget(budget, std::slice::from_ref(instruction));
    let compiled = message::compile(fee_payer, &instructions, tables, Hash::default()).expect("compiles");
    let signatures = usize::from(compiled.header().num_required_signatures);
    let v0 = matches!(compiled, VersionedMessage::V0(_));
    let transaction =
        VersionedTransaction { signatures: vec![Signature::default(); signatures], message: compiled };
    (message::serialized_size(&transaction), v0)
}

fn cases(markets: &[MarketOracles], mint: &Pubkey, treasury: &Pubkey) -> Vec<Case> {
    let markets = markets.to_vec();
    let owner = Pubkey::new_unique();
    let account = ix::trader_pda(&owner, 0);
    let usdc = Pubkey::new_unique();
    let mint = *mint;
    let keeper = Pubkey::new_unique();
    let keeper_account = ix::trader_pda(&keeper, 0);
    let last = markets.len() - 1;
    let trade = TradeAccounts {
        authority: owner,
        market: markets[last].market,
        trader_account: account,
        primary_oracle: markets[last].primary,
        secondary_oracle: markets[last].secondary,
        remaining: valuation(&markets, Some(last)),
    };
    let open = OpenPositionParams {
        direction: Direction::Long,
        size: TradeSize::Base(u64::MAX),
        limit_price: u64::MAX,
        reduce_only: true,
    };
    let close = ClosePositionParams { base_amount: Some(u64::MAX), limit_price: Some(u64::MAX) };
    let takeover =
        LiquidateParams { max_base: Some(u64::MAX), riskiest_first: true, mode: LiquidationMode::Takeover };
    let other_markets: Vec<Pubkey> = markets.iter().take(last).map(|m| m.market).collect();
    let case = |name, instruction, pinned| Case { name, instruction, pinned };
    vec![
        case("create_trader_account", ix::create_trader_account(&owner, 0, Some(keeper)), (460, 434)),
        case("deposit", ix::deposit(&owner, &account, &usdc, &mint, u64::MAX), (532, 444)),
        case(
            "withdraw",
            ix::withdraw(&owner, &account, &usdc, &mint, u64::MAX, &valuation(&markets, None)),
            (1324, 492),
        ),
        case("open_position", ix::open_position(&trade, open), (1203, 464)),
        case("close_position", ix::close_position(&trade, close), (1202, 463)),
        case(
            "liquidate (takeover)",
            ix::liquidate(
                &keeper,
                &keeper_account,
                &account,
                &markets[last],
                takeover,
                &valuation(&markets, Some(last)),
            ),
            (1228, 489),
        ),
        case(
            "resolve_bankruptcy",
            ix::resolve_bankruptcy(&keeper, &markets[last].market, &account, &mint, &other_markets),
            (788, 421),
        ),
        case("settle_funding", ix::settle_funding(&keeper, &markets[last]), (425, 368)),
        case("update_twaps", ix::update_twaps(&keeper, &markets[last]), (425, 368)),
        case("repeg", ix::repeg(&keeper, &markets[last]), (458, 370)),
        case("settle_pnl", ix::settle_pnl(&keeper, &markets[last].market, &account), (392, 392)),
        case("settle_position", ix::settle_position(&keeper, &markets[last].market, &account), (392, 392)),
        case(
            "sweep_insurance_fees",
            ix::sweep_insurance_fees(&keeper, &markets[last].market, &mint),
            (524, 374),
        ),
        case(
            "withdraw_treasury",
            ix::withdraw_treasury(&keeper, &markets[last].market, treasury, &mint),
            (524, 374),
        ),
    ]
}

#[test]
fn worst_case_transaction_sizes_are_pinned_and_fit_with_the_lookup_table() {
    let fee_payer = Pubkey::new_unique();
    let (mint, treasury) = (Pubkey::new_unique(), Pubkey::new_unique());
    let markets = markets();
    let table = table(&exchange(&mint, &treasury), &markets);
    println!("| instruction | accounts | legacy bytes | version 0 bytes | unused of {PACKET_DATA_SIZE} |");
    println!("|---|---:|---:|---:|---:|");
    let mut changed = Vec::new();
    let mut tight = Vec::new();
    for case in cases(&markets, &mint, &treasury) {
        let (legacy, _) = size(&case.instruction, &fee_payer, &[]);
        let (sent, v0) = size(&case.instruction, &fee_payer, std::slice::from_ref(&table));
        let spare = PACKET_DATA_SIZE as i64 - sent as i64;
        let shown = if v0 { sent.to_string() } else { format!("{sent} (legacy)") };
        println!("| {} | {} | {legacy} | {shown} | {spare} |", case.name, case.instruction.accounts.len());
        if (legacy, sent) != case.pinned {
            changed.push(format!("{}: ({legacy}, {sent}), pinned {:?}", case.name, case.pinned));
        }
        if sent + MARGIN > PACKET_DATA_SIZE {
            tight.push(format!("{}: {sent} bytes", case.name));
        }
    }
    assert!(tight.is_empty(), "under {MARGIN} bytes to spare: {tight:?}");
    assert!(changed.is_empty(), "sizes changed: {changed:?}");
}

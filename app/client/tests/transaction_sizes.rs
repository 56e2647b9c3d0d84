//! The serialized size of the worst case of every trader and keeper
//! transaction, pinned, against the 1,232-byte packet limit that a
//! validator enforces and the in-process bank does not.
//!
//! Worst case: an account with positions in all 8 slots, every market
//! with a Pyth and a Switchboard oracle, a fee payer apart from the
//! signer, and the two compute-budget instructions real clients add. The
//! sizes depend only on the accounts and the data, so the instructions
//! are built with the client's own builders from keys alone. Run with
//! `--nocapture` to print the table. A change that grows a transaction
//! fails here until the pinned figure (and docs/transactions.md) is
//! updated on purpose.

use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_instruction::Instruction;
use solana_pubkey::Pubkey;
use solana_transaction::Transaction;
use vamm::instructions::{ClosePositionParams, LiquidateParams, LiquidationMode, OpenPositionParams};
use vamm::math::amm::{Direction, TradeSize};
use vamm_client::ix::{self, MarketOracles, TradeAccounts};

/// Solana's packet data limit (`PACKET_DATA_SIZE`): 1,280 bytes of IPv6
/// MTU less 48 bytes of headers.
const PACKET_LIMIT: usize = 1_232;
const POSITIONS: u16 = 8;

struct Case {
    name: &'static str,
    instruction: Instruction,
    /// The size measured when this test was written, bytes.
    pinned: usize,
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

/// Serialized bytes of `instruction` behind the compute-budget pair, with
/// `fee_payer` paying and every signer's signature counted.
fn size(instruction: &Instruction, fee_payer: &Pubkey) -> usize {
    let instructions = [
        ComputeBudgetInstruction::set_compute_unit_limit(400_000),
        ComputeBudgetInstruction::set_compute_unit_price(1_000),
        instruction.clone(),
    ];
    let transaction = Transaction::new_with_payer(&instructions, Some(fee_payer));
    bincode::serialize(&transaction).expect("a transaction serializes").len()
}

fn cases() -> Vec<Case> {
    let markets = markets();
    let owner = Pubkey::new_unique();
    let account = ix::trader_pda(&owner, 0);
    let usdc = Pubkey::new_unique();
    let mint = Pubkey::new_unique();
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
        case("deposit", ix::deposit(&owner, &account, &usdc, &mint, u64::MAX), 532),
        case(
            "withdraw",
            ix::withdraw(&owner, &account, &usdc, &mint, u64::MAX, &valuation(&markets, None)),
            1324,
        ),
        case("open_position", ix::open_position(&trade, open), 1203),
        case("close_position", ix::close_position(&trade, close), 1202),
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
            1228,
        ),
        case(
            "resolve_bankruptcy",
            ix::resolve_bankruptcy(&keeper, &markets[last].market, &account, &mint, &other_markets),
            788,
        ),
        case("settle_funding", ix::settle_funding(&keeper, &markets[last]), 425),
        case("update_twaps", ix::update_twaps(&keeper, &markets[last]), 425),
        case("settle_pnl", ix::settle_pnl(&keeper, &markets[last].market, &account), 392),
    ]
}

#[test]
fn worst_case_transaction_sizes_are_pinned() {
    let fee_payer = Pubkey::new_unique();
    println!("| instruction | accounts | bytes | under {PACKET_LIMIT} by |");
    println!("|---|---:|---:|---:|");
    let mut changed = Vec::new();
    for case in cases() {
        let bytes = size(&case.instruction, &fee_payer);
        let spare = PACKET_LIMIT as i64 - bytes as i64;
        println!("| {} | {} | {bytes} | {spare} |", case.name, case.instruction.accounts.len());
        if bytes != case.pinned {
            changed.push(format!("{}: {bytes} bytes, pinned {}", case.name, case.pinned));
        }
    }
    assert!(changed.is_empty(), "sizes changed: {changed:?}");
}

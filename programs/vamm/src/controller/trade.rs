//! Executes a market order against the vAMM for one trader account.
//!
//! Order of operations: price the fills on the curve (a flip is a close
//! and an open, each its own swap), check reduce-only and the limit price,
//! apply the fills to the position and the AMM, book realised PnL, pay
//! what the PnL pool can of the trader's claim, charge the fee, then check
//! the circuit breakers and margin at oracle prices. Any refusal aborts the
//! whole instruction, so nothing is half-applied.

use crate::constants::BPS_DENOMINATOR;
use crate::controller::funding::{accrue_funding, observe_repeg_gap, update_twaps};
use crate::controller::price_book::PriceBook;
use crate::controller::settlement::{
    book_realised_pnl, charge_fee, pay_pending_profit, settle_position_funding, side_of,
};
use crate::error::VammError;
use crate::math::amm::{average_price, average_price_rounded_up, Direction, Swap, TradeSize};
use crate::math::fees::fee_for;
use crate::math::margin::check_trade_margin;
use crate::math::position::{apply_fill, notional};
use crate::math::safe::{mul_div_u64, SafeMath};
use crate::state::{Market, MarketStatus, TraderAccount};
use anchor_lang::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeRequest {
    pub direction: Direction,
    pub size: TradeSize,
    /// Worst acceptable average fill price, `PRICE_PRECISION`: a long
    /// refuses above it, a short below it.
    pub limit_price: u64,
    pub reduce_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeOutcome {
    pub base: u64,
    pub quote: u64,
    pub average_price: u64,
    pub fee: u64,
    pub realised_pnl: i64,
    pub profit_paid: u64,
    pub base_after: i64,
    pub entry_notional_after: u64,
    pub mark_price_after: u64,
    /// 0 when no valid oracle price was needed (pure reduction).
    pub oracle_price: u64,
}

pub fn execute_trade(
    market: &mut Market,
    trader: &mut TraderAccount,
    request: &TradeRequest,
    prices: &PriceBook,
    now_ts: i64,
    now_slot: u64,
) -> Result<TradeOutcome> {
    match market.status()? {
        MarketStatus::Active | MarketStatus::ReduceOnly => {}
        MarketStatus::Paused | MarketStatus::Settled => return err!(VammError::MarketNotActive),
    }
    validate_size(request.size)?;
    let market_index = market.market_index;
    accrue_funding(market, now_ts)?;
    update_twaps(market, now_ts, prices.price(market_index).ok())?;
    let slot = trader.position_slot(market_index)?;
    settle_position_funding(market, trader, slot)?;
    let margin_before = prices.margin(trader);
    let base_before = trader.positions[slot].base;
    let unpaid_before = trader.positions[slot].unpaid_loss;

    let curve = market.amm.curve();
    let mark_before = curve.mark_price()?;
    if market.slot_breaker.slot != now_slot {
        market.slot_breaker.slot = now_slot;
        market.slot_breaker.slot_start_mark = mark_before;
    }
    let fills = plan_fills(market, base_before, request)?;
    let increases_risk = fills.len() == 2 || !opposes(base_before, request.direction);
    if increases_risk {
        require!(!request.reduce_only, VammError::ReduceOnlyWouldIncrease);
        require!(market.status()? == MarketStatus::Active, VammError::MarketReduceOnly);
    }

    let total_base = fills.iter().try_fold(0u64, |sum, f| sum.safe_add(f.base))?;
    let total_quote = fills.iter().try_fold(0u64, |sum, f| sum.safe_add(f.quote))?;
    let average = average_price(total_base, total_quote)?;
    // The limit compares the average rounded against the trader.
    match request.direction {
        Direction::Long => require!(
            average_price_rounded_up(total_base, total_quote)? <= request.limit_price,
            VammError::LimitPriceExceeded
        ),
        Direction::Short => require!(average >= request.limit_price, VammError::LimitPriceExceeded),
    }

    // Apply the fills to the position and the AMM.
    let mut realised = 0i64;
    for fill in &fills {
        realised = realised.safe_add(apply_swap(market, trader, slot, fill)?)?;
    }
    let mark_after = market.amm.curve().mark_price()?;
    market.amm.last_mark_price = mark_after;
    if let Ok(price) = prices.price(market_index) {
        observe_repeg_gap(market, now_ts, mark_after, price)?;
    }
    let base_after = trader.positions[slot].base;
    trader.positions[slot].funding_index = market.funding_index(base_after);

    // Settle: realised PnL, the claim the pool can pay, then the fee.
    book_realised_pnl(market, trader, slot, realised, side_of(base_before))?;
    let profit_paid = pay_pending_profit(market, trader, slot)?;
    let mut fee = fee_for(total_quote, market.fees.taker_fee_bps)?;
    if increases_risk {
        require!(trader.collateral >= fee, VammError::InsufficientMargin);
    } else {
        // A reduction must stay possible for an account that cannot pay
        // the whole fee; it pays what it has.
        fee = fee.min(trader.collateral);
    }
    charge_fee(market, trader, slot, fee)?;
    market.stats.volume = market.stats.volume.safe_add(total_quote)?;
    market.stats.trade_count = market.stats.trade_count.safe_add(1)?;

    let position = trader.positions[slot];
    let prices_after = prices.with_pools(market);
    let mut oracle_price = 0;
    if increases_risk {
        oracle_price = prices.price(market_index)?;
        check_circuit_breakers(market, position.base, mark_before, mark_after, oracle_price)?;
        check_trade_margin(&margin_before?, &prices_after.margin(trader)?, true)?;
    } else {
        match (margin_before, prices_after.margin(trader), prices.price(market_index)) {
            // With valid oracles a reduction may not worsen an account
            // below maintenance.
            (Ok(before), Ok(after), Ok(price)) => {
                oracle_price = price;
                check_trade_margin(&before, &after, false)?;
            }
            // An oracle outage never blocks a reduction, but an account the
            // caller left out or swapped is not an outage.
            (before, after, price) => {
                for error in [before.err(), after.err(), price.err()].into_iter().flatten() {
                    if is_caller_error(&error) {
                        return Err(error);
                    }
                }
                // Without a price to value it, a reduction must fill near
                // the last valid oracle price and may not leave bad debt.
                let last = market.oracle.last_price;
                let band =
                    mul_div_u64(last, market.risk.mark_oracle_band_bps as u64, BPS_DENOMINATOR, false)?;
                require!(average.abs_diff(last) <= band, VammError::MarkOracleDivergence);
                require!(trader.positions[slot].unpaid_loss == unpaid_before, VammError::InsufficientMargin);
            }
        }
    }

    Ok(TradeOutcome {
        base: total_base,
        quote: total_quote,
        average_price: average,
        fee,
        realised_pnl: realised,
        profit_paid,
        base_after: position.base,
        entry_notional_after: position.entry_notional,
        mark_price_after: mark_after,
        oracle_price,
    })
}

fn validate_size(size: TradeSize) -> Result<()> {
    let amount = match size {
        TradeSize::Base(amount) => {
            require!(amount <= i64::MAX as u64, VammError::AmountTooLarge);
            amount
        }
        TradeSize::Quote(amount) => amount,
    };
    require!(amount > 0, VammError::ZeroAmount);
    Ok(())
}

/// Whether a trade in `direction` works against an existing position.
fn opposes(base: i64, direction: Direction) -> bool {
    base != 0 && ((base > 0) != (direction == Direction::Long))
}

/// One swap, or two when the order flips the position: the first closes
/// it exactly, the second opens the rest on the moved curve. Closing a
/// whole position is accepted at any size; every other fill must be worth
/// at least `MIN_TRADE_NOTIONAL` at the mark, the same both ways.
fn plan_fills(market: &Market, base_before: i64, request: &TradeRequest) -> Result<Vec<Swap>> {
    let curve = market.amm.curve();
    let mark = curve.mark_price()?;
    let size_before = base_before.unsigned_abs();
    let opposing = opposes(base_before, request.direction);
    let full = curve.swap_any_size(request.direction, request.size)?;
    if opposing && full.base == size_before {
        return Ok(vec![full]);
    }
    if !opposing || full.base < size_before {
        require_min_size(&full, mark)?;
        return Ok(vec![full]);
    }
    let close = curve.swap_any_size(request.direction, TradeSize::Base(size_before))?;
    let rest = match request.size {
        TradeSize::Base(amount) => TradeSize::Base(amount.safe_sub(size_before)?),
        TradeSize::Quote(amount) => TradeSize::Quote(amount.saturating_sub(close.quote)),
    };
    let rest_amount = match rest {
        TradeSize::Base(a) | TradeSize::Quote(a) => a,
    };
    if rest_amount == 0 {
        return Ok(vec![close]);
    }
    let open = curve.after(&close).swap(request.direction, rest)?;
    require_min_size(&open, mark)?;
    Ok(vec![close, open])
}

/// Smallest fill other than a whole close, quote native at the mark: 0.01
/// USDC.
pub const MIN_TRADE_NOTIONAL: u64 = 10_000;

fn require_min_size(fill: &Swap, mark: u64) -> Result<()> {
    let base = i64::try_from(fill.base).map_err(|_| error!(VammError::AmountTooLarge))?;
    require!(notional(base, mark, false)? >= MIN_TRADE_NOTIONAL, VammError::TradeTooSmall);
    Ok(())
}

/// Applies one swap to the position in `slot`, the open interest and the
/// AMM reserves. Returns the PnL it realised (before fees).
pub fn apply_swap(market: &mut Market, trader: &mut TraderAccount, slot: usize, fill: &Swap) -> Result<i64> {
    let realised = apply_to_position(market, trader, slot, fill.direction, fill.base, fill.quote)?;
    market.amm.base_reserve.set(fill.base_reserve_after);
    market.amm.quote_reserve.set(fill.quote_reserve_after);
    market.amm.last_mark_price = market.amm.curve().mark_price()?;
    Ok(realised)
}

/// Applies a fill of `base` (`BASE_PRECISION`) bought (`Long`) or sold
/// (`Short`) for `quote` (quote native) to the position in `slot` and to
/// the open interest, without touching the curve. Returns the PnL it
/// realised (before fees). A flip must come as a close and an open.
pub fn apply_to_position(
    market: &mut Market,
    trader: &mut TraderAccount,
    slot: usize,
    direction: Direction,
    base: u64,
    quote: u64,
) -> Result<i64> {
    let position = &mut trader.positions[slot];
    let base = i64::try_from(base).map_err(|_| error!(VammError::AmountTooLarge))?;
    let signed = match direction {
        Direction::Long => base,
        Direction::Short => base.checked_neg().ok_or_else(|| error!(VammError::AmountTooLarge))?,
    };
    let applied = apply_fill(position.base, position.entry_notional, signed, quote)?;
    update_open_interest(market, position.base, applied.base_after)?;
    position.base = applied.base_after;
    position.entry_notional = applied.entry_notional_after;
    position.realised_pnl = position.realised_pnl.safe_add(applied.realised_pnl)?;
    Ok(applied.realised_pnl)
}

/// Moves a position's contribution to the long / short totals.
fn update_open_interest(market: &mut Market, base_before: i64, base_after: i64) -> Result<()> {
    let amm = &mut market.amm;
    if base_before > 0 {
        amm.base_long = amm.base_long.safe_sub(base_before)?;
    } else {
        amm.base_short = amm.base_short.safe_sub(base_before)?;
    }
    if base_after > 0 {
        amm.base_long = amm.base_long.safe_add(base_after)?;
    } else {
        amm.base_short = amm.base_short.safe_add(base_after)?;
    }
    Ok(())
}

/// The cap on one position's notional at the oracle price.
pub(crate) fn check_position_cap(market: &Market, base_after: i64, oracle: u64) -> Result<()> {
    require!(
        notional(base_after, oracle, false)? <= market.risk.max_position_notional,
        VammError::PositionCapExceeded
    );
    Ok(())
}

/// Limits on risk-increasing trades: the mark-oracle band and the per-slot
/// move (both waived for a trade that brings the mark towards the oracle
/// without crossing it: the mark ends between where it was and the
/// oracle), and the open-interest and position caps at the oracle price.
fn check_circuit_breakers(
    market: &Market,
    base_after: i64,
    mark_before: u64,
    mark_after: u64,
    oracle: u64,
) -> Result<()> {
    let risk = &market.risk;
    let gap_after = mark_after.abs_diff(oracle);
    let towards_oracle = mark_before.min(oracle) <= mark_after && mark_after <= mark_before.max(oracle);
    let band = mul_div_u64(oracle, risk.mark_oracle_band_bps as u64, BPS_DENOMINATOR, false)?;
    require!(gap_after <= band || towards_oracle, VammError::MarkOracleDivergence);
    let slot_start = market.slot_breaker.slot_start_mark;
    let slot_limit = mul_div_u64(slot_start, risk.max_slot_move_bps as u64, BPS_DENOMINATOR, false)?;
    require!(
        mark_after.abs_diff(slot_start) <= slot_limit || towards_oracle,
        VammError::SlotMoveLimitExceeded
    );
    let side_base = if base_after > 0 { market.amm.base_long } else { market.amm.base_short };
    require!(
        notional(side_base, oracle, false)? <= risk.max_open_interest,
        VammError::OpenInterestCapExceeded
    );
    check_position_cap(market, base_after, oracle)
}

/// Errors that mean the caller passed the wrong or too few accounts, as
/// opposed to an oracle that is stale, too uncertain or in disagreement.
fn is_caller_error(error: &Error) -> bool {
    let code = match error {
        Error::AnchorError(e) => e.error_code_number,
        Error::ProgramError(e) => match e.program_error {
            ProgramError::Custom(code) => code,
            _ => return false,
        },
    };
    [VammError::MissingMarketAccount, VammError::MissingOracleAccount, VammError::OracleWrongAccount]
        .iter()
        .any(|e| code == anchor_lang::error::ERROR_CODE_OFFSET + *e as u32)
}

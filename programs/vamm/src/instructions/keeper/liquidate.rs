use crate::constants::seeds;
use crate::controller::liquidation::liquidate_into_curve;
use crate::controller::price_book::PriceBook;
use crate::controller::takeover::take_over;
use crate::error::VammError;
use crate::events::Liquidated;
use crate::oracle::{read_and_record, OracleClock};
use crate::state::{Exchange, Market, TraderAccount};
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidateParams {
    /// Upper bound on the base this step closes, `BASE_PRECISION`; `None`
    /// lets the program close the smallest amount that restores the buffer.
    pub max_base: Option<u64>,
    /// Refuse unless this market's position is the account's riskiest.
    pub riskiest_first: bool,
    pub mode: LiquidationMode,
}

/// How a liquidation step closes the position.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiquidationMode {
    /// The liquidator's account takes the position over at the oracle
    /// price; the curve does not move. The liquidator must end at or above
    /// its initial margin when the step adds to its position.
    Takeover,
    /// The position is closed into the curve, within the mark-oracle band
    /// and at most `max_liquidation_fraction_bps` of it per step: the
    /// fallback when no liquidator takes the position on.
    IntoCurve,
}

/// Liquidates part of an account below maintenance margin. Permissionless:
/// the signer owns `liquidator_account`, which receives the reward (and,
/// by takeover, the position). Remaining accounts: market and oracle
/// account(s) of the liquidatee's other markets, and for a takeover also
/// of the liquidator's other markets.
#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut)]
    pub liquidatee: AccountLoader<'info, TraderAccount>,
    #[account(
        mut,
        constraint = liquidator_account.load()?.owner == liquidator.key() @ VammError::NotOwner,
        constraint = liquidator_account.key() != liquidatee.key() @ VammError::SelfLiquidation,
        constraint = liquidator_account.load()?.owner != liquidatee.load()?.owner @ VammError::SelfLiquidation,
    )]
    pub liquidator_account: AccountLoader<'info, TraderAccount>,
    /// CHECK: must be the market's pinned primary oracle.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: the market's pinned secondary oracle, when it has one.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
}

pub fn handle_liquidate<'info>(ctx: Context<'info, Liquidate<'info>>, params: LiquidateParams) -> Result<()> {
    let clock = OracleClock::now()?;
    let now = clock.unix_ts;
    let accounts = &ctx.accounts;
    let mut market = accounts.market.load_mut()?;
    let mut liquidatee = accounts.liquidatee.load_mut()?;
    let mut liquidator = accounts.liquidator_account.load_mut()?;
    let oracle =
        read_and_record(&mut market, &accounts.primary_oracle, accounts.secondary_oracle.as_deref(), clock);
    let prices = PriceBook::for_market(
        ctx.remaining_accounts,
        &accounts.exchange.key(),
        &accounts.market.key(),
        &market,
        oracle.map(|p| p.price),
        clock,
    )?;

    let liquidate = match params.mode {
        LiquidationMode::Takeover => take_over,
        LiquidationMode::IntoCurve => liquidate_into_curve,
    };
    let outcome = liquidate(
        &mut market,
        &mut liquidatee,
        &mut liquidator,
        &prices,
        now,
        params.max_base,
        params.riskiest_first,
    )?;
    emit_event!(Liquidated {
        market_index: market.market_index,
        liquidatee: accounts.liquidatee.key(),
        liquidator: accounts.liquidator_account.key(),
        takeover: outcome.takeover,
        base_closed: outcome.base_closed,
        quote: outcome.quote,
        realised_pnl: outcome.realised_pnl,
        fee: outcome.fee,
        liquidator_reward: outcome.liquidator_reward,
        insurance_share: outcome.insurance_share,
        base_after: outcome.base_after,
        liquidator_base_after: outcome.liquidator_base_after,
        surplus_before: outcome.surplus_before,
        surplus_after: outcome.surplus_after,
        oracle_price: outcome.oracle_price,
        ts: now,
    });
    Ok(())
}

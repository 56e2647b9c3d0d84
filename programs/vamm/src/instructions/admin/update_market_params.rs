use crate::constants::seeds;
use crate::controller::governance::{apply_market_update, first_timelocked_change, market_tunables, merged};
use crate::error::VammError;
use crate::events::MarketParamsUpdated;
use crate::state::{Exchange, Market};
use anchor_lang::prelude::*;

/// New values for a market's tunable parameters; `None` keeps the current
/// value. Units and bounds as in `CreateMarketParams`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, InitSpace)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct MarketParamsUpdate {
    pub max_staleness_secs: Option<u32>,
    pub max_confidence_bps: Option<u16>,
    pub consensus_band_bps: Option<u16>,
    pub initial_ratio: Option<u32>,
    pub maintenance_ratio: Option<u32>,
    pub initial_imf_factor: Option<u32>,
    pub maintenance_imf_factor: Option<u32>,
    pub mark_oracle_band_bps: Option<u16>,
    pub max_oracle_jump_bps: Option<u16>,
    pub price_confirmation_secs: Option<u32>,
    pub min_oracle_samples: Option<u8>,
    pub initial_profit_weight_bps: Option<u16>,
    pub max_slot_move_bps: Option<u16>,
    pub max_open_interest: Option<u64>,
    pub max_position_notional: Option<u64>,
    pub taker_fee_bps: Option<u16>,
    pub insurance_share_bps: Option<u16>,
    pub pnl_pool_share_bps: Option<u16>,
    pub fee_pool_share_bps: Option<u16>,
    pub max_funding_rate_bps: Option<u16>,
    pub liquidation_fee_bps: Option<u16>,
    pub liquidator_share_bps: Option<u16>,
    pub max_liquidation_fraction_bps: Option<u16>,
    pub liquidation_buffer_ratio: Option<u32>,
    pub repeg_gap_bps: Option<u16>,
    pub repeg_delay_secs: Option<u32>,
}

/// Applies at once a change of a market's parameters that only reduces
/// risk (see `controller::governance::first_timelocked_change` for which
/// direction of each parameter that is); anything else is refused with
/// `RequiresTimelock` and goes through `queue_proposal`. Admin only. The
/// whole resulting set is validated, so no update can leave the market
/// inconsistent (for example initial below maintenance).
#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [seeds::EXCHANGE], bump, has_one = admin @ VammError::NotAdmin)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ VammError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
}

pub fn handle_update_market_params(ctx: Context<UpdateMarket>, update: MarketParamsUpdate) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let current = market_tunables(&market);
    let next = merged(&current, &update);
    next.validate()?;
    if let Some(field) = first_timelocked_change(&current, &next) {
        msg!("{} may only change through the timelock", field);
        return err!(VammError::RequiresTimelock);
    }
    let previous = apply_market_update(&mut market, &update)?;
    emit_event!(MarketParamsUpdated {
        market_index: market.market_index,
        update,
        previous,
        by: ctx.accounts.admin.key(),
        proposal: None,
    });
    Ok(())
}

use crate::constants::seeds;
use crate::error::VammError;
use crate::events::MarketParamsUpdated;
use crate::instructions::admin::create_market::Tunables;
use crate::state::{Exchange, Market};
use anchor_lang::prelude::*;

/// New values for a market's tunable parameters; `None` keeps the current
/// value. Units and bounds as in `CreateMarketParams`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq)]
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
}

/// Changes a market's risk, fee, funding, liquidation and oracle-tolerance
/// parameters within the listing bounds. Admin only. The whole resulting
/// set is validated, so no update can leave the market inconsistent (for
/// example initial below maintenance).
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
    let mut t = tunables(&market);
    let u = &update;
    macro_rules! set {
        ($($field:ident),*) => {$( if let Some(value) = u.$field { t.$field = value; } )*};
    }
    set!(
        max_staleness_secs,
        max_confidence_bps,
        consensus_band_bps,
        initial_ratio,
        maintenance_ratio,
        initial_imf_factor,
        maintenance_imf_factor,
        mark_oracle_band_bps,
        max_oracle_jump_bps,
        price_confirmation_secs,
        min_oracle_samples,
        initial_profit_weight_bps,
        max_slot_move_bps,
        max_open_interest,
        max_position_notional,
        taker_fee_bps,
        insurance_share_bps,
        pnl_pool_share_bps,
        fee_pool_share_bps,
        max_funding_rate_bps,
        liquidation_fee_bps,
        liquidator_share_bps,
        max_liquidation_fraction_bps,
        liquidation_buffer_ratio
    );
    t.validate()?;
    apply(&mut market, &t);
    emit!(MarketParamsUpdated { market_index: market.market_index, update });
    Ok(())
}

fn tunables(m: &Market) -> Tunables {
    Tunables {
        max_staleness_secs: m.oracle.max_staleness_secs,
        max_confidence_bps: m.oracle.max_confidence_bps,
        consensus_band_bps: m.oracle.consensus_band_bps,
        has_secondary: m.oracle.secondary_source != 0,
        initial_ratio: m.risk.initial_ratio,
        maintenance_ratio: m.risk.maintenance_ratio,
        initial_imf_factor: m.risk.initial_imf_factor,
        maintenance_imf_factor: m.risk.maintenance_imf_factor,
        mark_oracle_band_bps: m.risk.mark_oracle_band_bps,
        max_oracle_jump_bps: m.oracle.max_jump_bps,
        price_confirmation_secs: m.price_guard.confirmation_secs,
        min_oracle_samples: m.oracle.min_samples,
        initial_profit_weight_bps: m.stable_price.initial_profit_weight_bps,
        max_slot_move_bps: m.risk.max_slot_move_bps,
        max_open_interest: m.risk.max_open_interest,
        max_position_notional: m.risk.max_position_notional,
        taker_fee_bps: m.fees.taker_fee_bps,
        insurance_share_bps: m.fees.insurance_share_bps,
        pnl_pool_share_bps: m.fees.pnl_pool_share_bps,
        fee_pool_share_bps: m.fees.fee_pool_share_bps,
        max_funding_rate_bps: m.funding.max_rate_bps,
        liquidation_fee_bps: m.liquidation.fee_bps,
        liquidator_share_bps: m.liquidation.liquidator_share_bps,
        max_liquidation_fraction_bps: m.liquidation.max_fraction_bps,
        liquidation_buffer_ratio: m.liquidation.buffer_ratio,
    }
}

fn apply(m: &mut Market, t: &Tunables) {
    m.oracle.max_staleness_secs = t.max_staleness_secs;
    m.oracle.max_confidence_bps = t.max_confidence_bps;
    m.oracle.consensus_band_bps = t.consensus_band_bps;
    m.risk.initial_ratio = t.initial_ratio;
    m.risk.maintenance_ratio = t.maintenance_ratio;
    m.risk.initial_imf_factor = t.initial_imf_factor;
    m.risk.maintenance_imf_factor = t.maintenance_imf_factor;
    m.risk.mark_oracle_band_bps = t.mark_oracle_band_bps;
    m.oracle.max_jump_bps = t.max_oracle_jump_bps;
    m.price_guard.confirmation_secs = t.price_confirmation_secs;
    m.oracle.min_samples = t.min_oracle_samples;
    m.stable_price.initial_profit_weight_bps = t.initial_profit_weight_bps;
    m.risk.max_slot_move_bps = t.max_slot_move_bps;
    m.risk.max_open_interest = t.max_open_interest;
    m.risk.max_position_notional = t.max_position_notional;
    m.fees.taker_fee_bps = t.taker_fee_bps;
    m.fees.insurance_share_bps = t.insurance_share_bps;
    m.fees.pnl_pool_share_bps = t.pnl_pool_share_bps;
    m.fees.fee_pool_share_bps = t.fee_pool_share_bps;
    m.funding.max_rate_bps = t.max_funding_rate_bps;
    m.liquidation.fee_bps = t.liquidation_fee_bps;
    m.liquidation.liquidator_share_bps = t.liquidator_share_bps;
    m.liquidation.max_fraction_bps = t.max_liquidation_fraction_bps;
    m.liquidation.buffer_ratio = t.liquidation_buffer_ratio;
}

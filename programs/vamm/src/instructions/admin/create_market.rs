use crate::constants::{bounds, risk_bounds, seeds};
use crate::error::VammError;
use crate::events::{MarketCreated, ProposalExecuted};
use crate::math::amm::Curve;
use crate::math::safe::SafeMath;
use crate::oracle::{market_price, OracleClock};
use crate::state::{
    Exchange, GovernanceAction, Market, MarketStatus, OracleConfig, OracleSource, Proposal, ProposalStatus,
};
use anchor_lang::prelude::*;

/// Everything governance chooses when listing a market. Units as on
/// `Market`; bounds in `constants::bounds` and in the README.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, InitSpace)]
pub struct CreateMarketParams {
    /// Must equal the exchange's `market_count`.
    pub market_index: u16,
    /// ASCII, zero-padded.
    pub name: [u8; 16],
    pub primary_source: OracleSource,
    /// Pyth feed id or Switchboard feed hash of the primary.
    pub primary_feed_id: [u8; 32],
    pub secondary_source: Option<OracleSource>,
    pub secondary_feed_id: [u8; 32],
    pub max_staleness_secs: u32,
    pub max_confidence_bps: u16,
    pub consensus_band_bps: u16,
    /// Virtual depth, `BASE_PRECISION`.
    pub sqrt_k: u128,
    /// Price range of the curve, `PRICE_PRECISION`; must contain the
    /// oracle price at listing (which becomes the peg).
    pub min_price: u64,
    pub max_price: u64,
    /// ppm.
    pub initial_ratio: u32,
    pub maintenance_ratio: u32,
    /// Size factors of the initial and maintenance ratios, ppm per
    /// sqrt(whole USDC of notional).
    pub initial_imf_factor: u32,
    pub maintenance_imf_factor: u32,
    pub mark_oracle_band_bps: u16,
    /// Oracle jump allowed against the oracle TWAP, bps; a price beyond it
    /// is held until it persists for `price_confirmation_secs`.
    pub max_oracle_jump_bps: u16,
    /// Seconds a price outside the jump band must persist to be accepted.
    pub price_confirmation_secs: u32,
    /// Fewest samples a Switchboard result must aggregate.
    pub min_oracle_samples: u8,
    /// Share of unrealised profit (at the stable price) counted toward the
    /// initial margin of new risk, bps.
    pub initial_profit_weight_bps: u16,
    /// Mark move allowed within one slot for risk-increasing trades, bps.
    pub max_slot_move_bps: u16,
    /// Quote native.
    pub max_open_interest: u64,
    pub max_position_notional: u64,
    pub taker_fee_bps: u16,
    pub insurance_share_bps: u16,
    pub pnl_pool_share_bps: u16,
    pub fee_pool_share_bps: u16,
    /// Funding period, seconds (3,600 for hourly).
    pub funding_period_secs: u32,
    /// Clamp on one period's funding rate, bps of the oracle TWAP.
    pub max_funding_rate_bps: u16,
    /// Fee on the notional a liquidation closes, bps.
    pub liquidation_fee_bps: u16,
    /// Liquidator's share of the liquidation fee, bps of the fee.
    pub liquidator_share_bps: u16,
    /// Most of a position one liquidation step may close, bps.
    pub max_liquidation_fraction_bps: u16,
    /// Margin a liquidation step restores above maintenance, ppm of notional.
    pub liquidation_buffer_ratio: u32,
    /// Mark-oracle gap after which anyone may repeg, bps (0: admin only).
    pub repeg_gap_bps: u16,
    /// How long that gap must last first, seconds.
    pub repeg_delay_secs: u32,
}

/// Lists a market by executing its queued `ListMarket` proposal: the
/// parameters and oracle accounts must be exactly those queued, the delay
/// passed and the proposal not expired. Anyone may call it and pays the
/// market's rent. The peg starts at the oracle price, which must be valid
/// now.
#[derive(Accounts)]
#[instruction(params: CreateMarketParams)]
pub struct CreateMarket<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(mut, seeds = [seeds::EXCHANGE], bump)]
    pub exchange: AccountLoader<'info, Exchange>,
    #[account(
        mut,
        seeds = [seeds::PROPOSAL, &proposal.id.to_le_bytes()],
        bump = proposal.bump,
        has_one = exchange @ VammError::ProposalMismatch,
    )]
    pub proposal: Box<Account<'info, Proposal>>,
    #[account(
        init,
        payer = payer,
        space = Market::SIZE,
        seeds = [seeds::MARKET, &params.market_index.to_le_bytes()],
        bump,
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: owner, layout and feed id are validated by the oracle adapter.
    pub primary_oracle: UncheckedAccount<'info>,
    /// CHECK: as above; required when a secondary source is configured.
    pub secondary_oracle: Option<UncheckedAccount<'info>>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_market(ctx: Context<CreateMarket>, params: CreateMarketParams) -> Result<()> {
    let queued = GovernanceAction::ListMarket {
        params: params.clone(),
        primary_oracle: ctx.accounts.primary_oracle.key(),
        secondary_oracle: ctx.accounts.secondary_oracle.as_ref().map(|a| a.key()),
    };
    let proposal = &mut ctx.accounts.proposal;
    require!(proposal.action == queued, VammError::ProposalMismatch);
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    require!(params.market_index == exchange.market_count, VammError::InvalidMarketParameter);
    validate_listing(&params)?;
    let clock = OracleClock::now()?;
    let now = clock.unix_ts;
    proposal.require_executable(now)?;
    proposal.status = ProposalStatus::Executed;
    proposal.closed_by = ctx.accounts.payer.key();
    proposal.closed_ts = now;
    emit_event!(ProposalExecuted {
        id: proposal.id,
        action: queued,
        previous: None,
        executor: ctx.accounts.payer.key(),
        ts: now,
    });

    let oracle =
        oracle_config(&params, &ctx.accounts.primary_oracle, ctx.accounts.secondary_oracle.as_deref())?;
    let price =
        market_price(&oracle, &ctx.accounts.primary_oracle, ctx.accounts.secondary_oracle.as_deref(), clock)?;
    let curve = Curve::new(params.sqrt_k, price.price, params.min_price, params.max_price)?;
    require!(
        params.max_price <= price.price.safe_mul(bounds::MAX_RANGE_FACTOR)?
            && params.min_price >= price.price / bounds::MAX_RANGE_FACTOR,
        VammError::InvalidMarketParameter
    );

    let mut market = ctx.accounts.market.load_init()?;
    market.exchange = ctx.accounts.exchange.key();
    market.name = params.name;
    market.market_index = params.market_index;
    market.status = MarketStatus::Active as u8;
    market.bump = ctx.bumps.market;
    market.created_ts = now;
    market.oracle = oracle;
    market.oracle.last_primary_sequence = price.primary_sequence;
    market.oracle.last_secondary_sequence = price.secondary_sequence;
    market.price_guard.confirmation_secs = params.price_confirmation_secs;
    market.stable_price.price = price.price;
    market.stable_price.updated_ts = now;
    market.stable_price.initial_profit_weight_bps = params.initial_profit_weight_bps;
    market.oracle.last_price = price.price;
    market.amm.base_reserve.set(curve.base_reserve);
    market.amm.quote_reserve.set(curve.quote_reserve);
    market.amm.sqrt_k.set(params.sqrt_k);
    market.amm.peg = curve.peg;
    market.amm.min_price = curve.min_price;
    market.amm.max_price = curve.max_price;
    market.amm.last_mark_price = curve.mark_price()?;
    market.risk.initial_ratio = params.initial_ratio;
    market.risk.maintenance_ratio = params.maintenance_ratio;
    market.risk.initial_imf_factor = params.initial_imf_factor;
    market.risk.maintenance_imf_factor = params.maintenance_imf_factor;
    market.risk.mark_oracle_band_bps = params.mark_oracle_band_bps;
    market.risk.max_slot_move_bps = params.max_slot_move_bps;
    market.risk.max_open_interest = params.max_open_interest;
    market.risk.max_position_notional = params.max_position_notional;
    market.fees.taker_fee_bps = params.taker_fee_bps;
    market.fees.insurance_share_bps = params.insurance_share_bps;
    market.fees.pnl_pool_share_bps = params.pnl_pool_share_bps;
    market.fees.fee_pool_share_bps = params.fee_pool_share_bps;
    market.funding.period_secs = params.funding_period_secs;
    market.funding.max_rate_bps = params.max_funding_rate_bps;
    market.funding.last_funding_ts = now;
    market.funding.last_accrual_ts = now;
    market.funding.rate_until_ts = now;
    market.funding.mark_twap = curve.peg;
    market.funding.oracle_twap = price.price;
    market.funding.mark_twap_ts = now;
    market.funding.oracle_twap_ts = now;
    market.liquidation.fee_bps = params.liquidation_fee_bps;
    market.liquidation.liquidator_share_bps = params.liquidator_share_bps;
    market.liquidation.max_fraction_bps = params.max_liquidation_fraction_bps;
    market.liquidation.buffer_ratio = params.liquidation_buffer_ratio;
    market.repeg_rule.gap_bps = params.repeg_gap_bps;
    market.repeg_rule.delay_secs = params.repeg_delay_secs;
    exchange.market_count = exchange.market_count.safe_add(1)?;

    emit_event!(MarketCreated {
        market_index: params.market_index,
        market: ctx.accounts.market.key(),
        name: params.name,
        peg: curve.peg,
        sqrt_k: params.sqrt_k,
        min_price: curve.min_price,
        max_price: curve.max_price,
        ts: now,
    });
    Ok(())
}

fn oracle_config(
    params: &CreateMarketParams,
    primary: &AccountInfo,
    secondary: Option<&AccountInfo>,
) -> Result<OracleConfig> {
    let mut config = OracleConfig {
        primary: primary.key(),
        primary_feed_id: params.primary_feed_id,
        primary_source: params.primary_source.to_u8(),
        max_staleness_secs: params.max_staleness_secs,
        max_confidence_bps: params.max_confidence_bps,
        consensus_band_bps: params.consensus_band_bps,
        max_jump_bps: params.max_oracle_jump_bps,
        min_samples: params.min_oracle_samples,
        ..OracleConfig::default()
    };
    if let Some(source) = params.secondary_source {
        let secondary = secondary.ok_or_else(|| error!(VammError::MissingOracleAccount))?;
        require_keys_neq!(secondary.key(), primary.key(), VammError::InvalidOracleConfig);
        require!(
            (bounds::MIN_CONSENSUS_BAND_BPS..=bounds::MAX_CONSENSUS_BAND_BPS)
                .contains(&params.consensus_band_bps),
            VammError::InvalidOracleConfig
        );
        config.secondary = secondary.key();
        config.secondary_feed_id = params.secondary_feed_id;
        config.secondary_source = source.to_u8();
    }
    Ok(config)
}

/// Bounds of a listing's parameters that hold whatever the oracle price.
pub fn validate_listing(p: &CreateMarketParams) -> Result<()> {
    let name_len = p.name.iter().position(|b| *b == 0).unwrap_or(p.name.len());
    require!(
        name_len > 0
            && p.name[..name_len].iter().all(|b| b.is_ascii_graphic())
            && p.name[name_len..].iter().all(|b| *b == 0),
        VammError::InvalidMarketName
    );
    require!(
        (bounds::MIN_SQRT_K..=bounds::MAX_SQRT_K).contains(&p.sqrt_k),
        VammError::InvalidMarketParameter
    );
    require!(
        (risk_bounds::MIN_FUNDING_PERIOD_SECS..=risk_bounds::MAX_FUNDING_PERIOD_SECS)
            .contains(&p.funding_period_secs),
        VammError::InvalidMarketParameter
    );
    Tunables::from(p).validate()
}

/// The parameters governance may change after listing, with their bounds
/// (the same at listing and on every update).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tunables {
    pub max_staleness_secs: u32,
    pub max_confidence_bps: u16,
    pub consensus_band_bps: u16,
    pub has_secondary: bool,
    pub initial_ratio: u32,
    pub maintenance_ratio: u32,
    /// Size factors of the initial and maintenance ratios, ppm per
    /// sqrt(whole USDC of notional).
    pub initial_imf_factor: u32,
    pub maintenance_imf_factor: u32,
    pub mark_oracle_band_bps: u16,
    pub max_oracle_jump_bps: u16,
    pub price_confirmation_secs: u32,
    pub min_oracle_samples: u8,
    pub initial_profit_weight_bps: u16,
    pub max_slot_move_bps: u16,
    pub max_open_interest: u64,
    pub max_position_notional: u64,
    pub taker_fee_bps: u16,
    pub insurance_share_bps: u16,
    pub pnl_pool_share_bps: u16,
    pub fee_pool_share_bps: u16,
    pub max_funding_rate_bps: u16,
    pub liquidation_fee_bps: u16,
    pub liquidator_share_bps: u16,
    pub max_liquidation_fraction_bps: u16,
    pub liquidation_buffer_ratio: u32,
    pub repeg_gap_bps: u16,
    pub repeg_delay_secs: u32,
}

impl From<&CreateMarketParams> for Tunables {
    fn from(p: &CreateMarketParams) -> Self {
        Tunables {
            max_staleness_secs: p.max_staleness_secs,
            max_confidence_bps: p.max_confidence_bps,
            consensus_band_bps: p.consensus_band_bps,
            has_secondary: p.secondary_source.is_some(),
            initial_ratio: p.initial_ratio,
            maintenance_ratio: p.maintenance_ratio,
            initial_imf_factor: p.initial_imf_factor,
            maintenance_imf_factor: p.maintenance_imf_factor,
            mark_oracle_band_bps: p.mark_oracle_band_bps,
            max_oracle_jump_bps: p.max_oracle_jump_bps,
            price_confirmation_secs: p.price_confirmation_secs,
            min_oracle_samples: p.min_oracle_samples,
            initial_profit_weight_bps: p.initial_profit_weight_bps,
            max_slot_move_bps: p.max_slot_move_bps,
            max_open_interest: p.max_open_interest,
            max_position_notional: p.max_position_notional,
            taker_fee_bps: p.taker_fee_bps,
            insurance_share_bps: p.insurance_share_bps,
            pnl_pool_share_bps: p.pnl_pool_share_bps,
            fee_pool_share_bps: p.fee_pool_share_bps,
            max_funding_rate_bps: p.max_funding_rate_bps,
            liquidation_fee_bps: p.liquidation_fee_bps,
            liquidator_share_bps: p.liquidator_share_bps,
            max_liquidation_fraction_bps: p.max_liquidation_fraction_bps,
            liquidation_buffer_ratio: p.liquidation_buffer_ratio,
            repeg_gap_bps: p.repeg_gap_bps,
            repeg_delay_secs: p.repeg_delay_secs,
        }
    }
}

impl Tunables {
    pub fn validate(&self) -> Result<()> {
        let p = self;
        require!(
            (bounds::MIN_ORACLE_STALENESS_SECS..=bounds::MAX_ORACLE_STALENESS_SECS)
                .contains(&p.max_staleness_secs)
                && p.max_confidence_bps <= bounds::MAX_ORACLE_CONFIDENCE_BPS
                && (!p.has_secondary
                    || (bounds::MIN_CONSENSUS_BAND_BPS..=bounds::MAX_CONSENSUS_BAND_BPS)
                        .contains(&p.consensus_band_bps))
                && (bounds::MIN_ORACLE_JUMP_BPS..=bounds::MAX_ORACLE_JUMP_BPS)
                    .contains(&p.max_oracle_jump_bps)
                && (bounds::MIN_PRICE_CONFIRMATION_SECS..=bounds::MAX_PRICE_CONFIRMATION_SECS)
                    .contains(&p.price_confirmation_secs)
                && (bounds::MIN_ORACLE_SAMPLES..=bounds::MAX_ORACLE_SAMPLES).contains(&p.min_oracle_samples),
            VammError::InvalidOracleConfig
        );
        let ok = (bounds::MIN_MAINTENANCE_RATIO..=bounds::MAX_MAINTENANCE_RATIO).contains(&p.maintenance_ratio)
            && p.initial_ratio > p.maintenance_ratio
            && p.initial_ratio <= bounds::MAX_INITIAL_RATIO
            && p.initial_imf_factor <= bounds::MAX_IMF_FACTOR
            && initial_exceeds_maintenance(p)?
            && p.initial_profit_weight_bps <= bounds::MAX_INITIAL_PROFIT_WEIGHT_BPS
            && (bounds::MIN_MARK_ORACLE_BAND_BPS..=bounds::MAX_MARK_ORACLE_BAND_BPS)
                .contains(&p.mark_oracle_band_bps)
            && (bounds::MIN_SLOT_MOVE_BPS..=bounds::MAX_SLOT_MOVE_BPS).contains(&p.max_slot_move_bps)
            && p.max_position_notional > 0
            && p.max_position_notional <= p.max_open_interest
            && p.taker_fee_bps <= bounds::MAX_TAKER_FEE_BPS
            && p.insurance_share_bps as u32 + p.pnl_pool_share_bps as u32 + p.fee_pool_share_bps as u32 <= 10_000
            && p.max_funding_rate_bps <= risk_bounds::MAX_FUNDING_RATE_BPS
            && p.liquidation_fee_bps <= risk_bounds::MAX_LIQUIDATION_FEE_BPS
            // A liquidation must free more margin than its fee costs.
            && (p.liquidation_fee_bps as u32) * 100 < p.maintenance_ratio
            && p.liquidator_share_bps <= 10_000
            && (risk_bounds::MIN_LIQUIDATION_FRACTION_BPS..=10_000).contains(&p.max_liquidation_fraction_bps)
            && p.liquidation_buffer_ratio <= p.maintenance_ratio
            && (p.repeg_gap_bps == 0
                || (bounds::MIN_REPEG_GAP_BPS..=bounds::MAX_REPEG_GAP_BPS).contains(&p.repeg_gap_bps))
            && (bounds::MIN_REPEG_DELAY_SECS..=bounds::MAX_REPEG_DELAY_SECS).contains(&p.repeg_delay_secs);
        require!(ok, VammError::InvalidMarketParameter);
        Ok(())
    }
}

/// The initial ratio stays at least `MIN_INITIAL_OVER_MAINTENANCE` (5/4)
/// times the maintenance ratio at every size up to the position cap (to
/// within a few ppm of rounding of the size terms): the
/// base ratios and the size factors each in that proportion (so the larger
/// of base and size terms is too), and the two ratios still in it at the
/// cap, where both could reach their 100% ceiling. A position opened at its
/// initial limit thus keeps at least a fifth of its initial margin as a
/// cushion before it can be liquidated, whatever its size.
fn initial_exceeds_maintenance(p: &Tunables) -> Result<bool> {
    use crate::math::margin::progressive_ratio;
    let (num, den) = bounds::MIN_INITIAL_OVER_MAINTENANCE;
    let apart =
        |initial: u64, maintenance: u64| initial as u128 * den as u128 >= maintenance as u128 * num as u128;
    if !apart(p.initial_ratio as u64, p.maintenance_ratio as u64)
        || !apart(p.initial_imf_factor as u64, p.maintenance_imf_factor as u64)
    {
        return Ok(false);
    }
    let at_cap = p.max_position_notional;
    Ok(apart(
        progressive_ratio(p.initial_ratio, p.initial_imf_factor, at_cap)?,
        progressive_ratio(p.maintenance_ratio, p.maintenance_imf_factor, at_cap)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::margin::progressive_ratio;
    use proptest::prelude::*;

    proptest! {
        /// Whatever governance sets, once validated the initial ratio is at
        /// least 5/4 of maintenance at every size up to the cap (to within
        /// the rounding of the size terms).
        #[test]
        fn validated_ratios_keep_their_gap_at_every_size(
            maintenance_ratio in 5_000u32..500_000,
            ratio_extra in 0u32..300_000,
            maintenance_imf_factor in 0u32..2_000,
            factor_extra in 0u32..2_000,
            cap_usdc in 1u64..10_000_000,
            size_permille in 0u64..=1_000,
        ) {
            // Near the boundary, where a rounding slip would show.
            let initial_ratio = (maintenance_ratio * 5).div_ceil(4) + ratio_extra;
            let initial_imf_factor = (maintenance_imf_factor * 5).div_ceil(4) + factor_extra;
            let t = Tunables {
                initial_ratio,
                maintenance_ratio,
                initial_imf_factor,
                maintenance_imf_factor,
                max_position_notional: cap_usdc * 1_000_000,
                ..Tunables::sample()
            };
            prop_assume!(initial_exceeds_maintenance(&t).unwrap());
            let size = t.max_position_notional / 1_000 * size_permille;
            let initial = progressive_ratio(initial_ratio, initial_imf_factor, size).unwrap();
            let maintenance = progressive_ratio(maintenance_ratio, maintenance_imf_factor, size).unwrap();
            // Each size term rounds up on its own: 4 ppm of slack at most.
            prop_assert!(initial * 4 + 4 >= maintenance * 5, "{} vs {} at {}", initial, maintenance, size);
        }
    }

    #[test]
    fn a_thin_gap_is_refused() {
        let mut t = Tunables::sample();
        assert!(initial_exceeds_maintenance(&t).unwrap());
        t.initial_ratio = t.maintenance_ratio + 1;
        assert!(!initial_exceeds_maintenance(&t).unwrap());
        let mut t = Tunables::sample();
        t.initial_imf_factor = t.maintenance_imf_factor + 1;
        assert!(!initial_exceeds_maintenance(&t).unwrap());
    }

    impl Tunables {
        /// A consistent set for unit tests.
        pub(crate) fn sample() -> Self {
            Tunables {
                max_staleness_secs: 60,
                max_confidence_bps: 100,
                consensus_band_bps: 100,
                has_secondary: false,
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
                max_open_interest: 1_000_000_000_000,
                max_position_notional: 100_000_000_000,
                taker_fee_bps: 10,
                insurance_share_bps: 3_000,
                pnl_pool_share_bps: 3_000,
                fee_pool_share_bps: 2_000,
                max_funding_rate_bps: 100,
                liquidation_fee_bps: 100,
                liquidator_share_bps: 5_000,
                max_liquidation_fraction_bps: 5_000,
                liquidation_buffer_ratio: 10_000,
                repeg_gap_bps: 300,
                repeg_delay_secs: 1_800,
            }
        }
    }
}

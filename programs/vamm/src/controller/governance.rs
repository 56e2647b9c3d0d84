//! What governance may change at once and what only through the timelock,
//! and applying a market parameter update.

use crate::constants::{bounds, insurance, timelock};
use crate::error::VammError;
use crate::instructions::{validate_listing, MarketParamsUpdate, Tunables};
use crate::state::{Exchange, GovernanceAction, Market, OracleSet};
use anchor_lang::prelude::*;

/// Calls `$mac` with every tunable field name (the fields of
/// `MarketParamsUpdate`, which `Tunables` shares).
macro_rules! for_each_tunable {
    ($mac:ident) => {
        $mac!(
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
            liquidation_buffer_ratio,
            repeg_gap_bps,
            repeg_delay_secs
        )
    };
}

/// `current` with the fields `update` sets replaced.
pub fn merged(current: &Tunables, update: &MarketParamsUpdate) -> Tunables {
    let mut next = *current;
    macro_rules! set {
        ($($field:ident),*) => {$( if let Some(value) = update.$field { next.$field = value; } )*};
    }
    for_each_tunable!(set);
    next
}

/// The values `update` would replace: the same fields set, holding what
/// the market has now (for events that show old and new values).
pub fn previous_values(current: &Tunables, update: &MarketParamsUpdate) -> MarketParamsUpdate {
    let mut previous = MarketParamsUpdate::default();
    macro_rules! set {
        ($($field:ident),*) => {$( if update.$field.is_some() { previous.$field = Some(current.$field); } )*};
    }
    for_each_tunable!(set);
    previous
}

/// The first parameter whose change from `old` to `new` may raise risk or
/// move value, which only the timelock may make; `None` when every change
/// only reduces risk and may apply at once.
///
/// At once: a narrower jump band (a held price is still accepted after the
/// confirmation time), a higher initial ratio or initial size factor (they
/// only limit new risk), a narrower mark-oracle band or per-slot move (they
/// bind risk-increasing trades), less unrealised profit backing new risk,
/// lower caps, and a lower taker fee.
///
/// Only through the timelock, in either direction: the oracle checks
/// (staleness, confidence, consensus band, samples: set too strict, no
/// price is readable, and an account that cannot be valued can neither
/// withdraw nor be liquidated, which only the timelock could undo), the
/// maintenance ratio and its size factor (a rise makes open positions
/// liquidatable at once, and whoever is ready collects the fees), the
/// confirmation time of held prices, the fee split, the funding clamp, the
/// permissionless repeg's gap and delay (they let anyone start a repeg the
/// fee pool pays), and everything liquidators are paid or allowed (fee,
/// share, step size, buffer), since lowering a keeper's reward can stop
/// liquidations as surely as raising it moves value to keepers.
pub fn first_timelocked_change(old: &Tunables, new: &Tunables) -> Option<&'static str> {
    macro_rules! rule {
        ($field:ident, lower) => {
            (stringify!($field), new.$field <= old.$field)
        };
        ($field:ident, higher) => {
            (stringify!($field), new.$field >= old.$field)
        };
        ($field:ident, fixed) => {
            (stringify!($field), new.$field == old.$field)
        };
    }
    let rules = [
        rule!(max_staleness_secs, fixed),
        rule!(max_confidence_bps, fixed),
        rule!(consensus_band_bps, fixed),
        rule!(initial_ratio, higher),
        rule!(maintenance_ratio, fixed),
        rule!(initial_imf_factor, higher),
        rule!(maintenance_imf_factor, fixed),
        rule!(mark_oracle_band_bps, lower),
        rule!(max_oracle_jump_bps, lower),
        rule!(price_confirmation_secs, fixed),
        rule!(min_oracle_samples, fixed),
        rule!(initial_profit_weight_bps, lower),
        rule!(max_slot_move_bps, lower),
        rule!(max_open_interest, lower),
        rule!(max_position_notional, lower),
        rule!(taker_fee_bps, lower),
        rule!(insurance_share_bps, fixed),
        rule!(pnl_pool_share_bps, fixed),
        rule!(fee_pool_share_bps, fixed),
        rule!(max_funding_rate_bps, fixed),
        rule!(liquidation_fee_bps, fixed),
        rule!(liquidator_share_bps, fixed),
        rule!(max_liquidation_fraction_bps, fixed),
        rule!(liquidation_buffer_ratio, fixed),
        rule!(repeg_gap_bps, fixed),
        rule!(repeg_delay_secs, fixed),
    ];
    rules.iter().find(|(_, allowed)| !allowed).map(|(name, _)| *name)
}

/// A market's tunable parameters as they stand.
pub fn market_tunables(m: &Market) -> Tunables {
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
        repeg_gap_bps: m.repeg_rule.gap_bps,
        repeg_delay_secs: m.repeg_rule.delay_secs,
    }
}

/// Validates `update` against the market as it stands and stores it;
/// returns the values it replaced.
pub fn apply_market_update(m: &mut Market, update: &MarketParamsUpdate) -> Result<MarketParamsUpdate> {
    let current = market_tunables(m);
    let t = merged(&current, update);
    t.validate()?;
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
    if (m.repeg_rule.gap_bps, m.repeg_rule.delay_secs) != (t.repeg_gap_bps, t.repeg_delay_secs) {
        // A gap seen under the old rule does not count toward the new one.
        m.repeg_rule.gap_since_ts = 0;
    }
    m.repeg_rule.gap_bps = t.repeg_gap_bps;
    m.repeg_rule.delay_secs = t.repeg_delay_secs;
    Ok(previous_values(&current, update))
}

/// The values `action` replaces as the exchange and market stand (`None`
/// for a listing, which replaces nothing).
pub fn previous_action(
    action: &GovernanceAction,
    exchange: &Exchange,
    market: Option<&Market>,
) -> Result<Option<GovernanceAction>> {
    Ok(match action {
        GovernanceAction::ListMarket { .. } => None,
        GovernanceAction::UpdateMarketParams { market_index, update } => {
            let market = market.ok_or_else(|| error!(VammError::ProposalMismatch))?;
            Some(GovernanceAction::UpdateMarketParams {
                market_index: *market_index,
                update: previous_values(&market_tunables(market), update),
            })
        }
        GovernanceAction::SetOracles { market_index, .. } => {
            let market = market.ok_or_else(|| error!(VammError::ProposalMismatch))?;
            Some(GovernanceAction::SetOracles {
                market_index: *market_index,
                oracles: OracleSet::of(&market.oracle)?,
            })
        }
        GovernanceAction::UpdateDepth { market_index, max_cost, .. } => {
            let market = market.ok_or_else(|| error!(VammError::ProposalMismatch))?;
            // The depth it replaces (the cost cap has no previous value).
            Some(GovernanceAction::UpdateDepth {
                market_index: *market_index,
                sqrt_k: market.amm.sqrt_k.get(),
                max_cost: *max_cost,
            })
        }
        GovernanceAction::SetTimelockDelay { .. } => {
            Some(GovernanceAction::SetTimelockDelay { delay_secs: exchange.timelock_delay_secs })
        }
        GovernanceAction::SetUnstakeCooldown { .. } => Some(GovernanceAction::SetUnstakeCooldown {
            cooldown_secs: exchange.insurance.unstake_cooldown_secs,
        }),
        GovernanceAction::SetTreasury { .. } => {
            Some(GovernanceAction::SetTreasury { treasury: exchange.treasury })
        }
        GovernanceAction::SetAdmin { .. } => Some(GovernanceAction::SetAdmin { admin: exchange.admin }),
    })
}

/// Refuses an action given no market, another market, or one it does not
/// need, and one whose values are out of bounds as the exchange and market
/// stand (checked when queued and again when executed).
pub fn validate_action(
    action: &GovernanceAction,
    exchange: &Exchange,
    market: Option<&Market>,
) -> Result<()> {
    require!(market.map(|m| m.market_index) == action.market_index(), VammError::ProposalMismatch);
    match action {
        GovernanceAction::ListMarket { params, primary_oracle, secondary_oracle } => {
            validate_listing(params)?;
            require!(params.market_index >= exchange.market_count, VammError::InvalidMarketParameter);
            require!(
                params.secondary_source.is_some() == secondary_oracle.is_some()
                    && Some(*primary_oracle) != *secondary_oracle,
                VammError::InvalidOracleConfig
            );
        }
        GovernanceAction::UpdateMarketParams { update, .. } => {
            let market = market.ok_or_else(|| error!(VammError::ProposalMismatch))?;
            merged(&market_tunables(market), update).validate()?;
        }
        GovernanceAction::SetOracles { oracles, .. } => {
            let market = market.ok_or_else(|| error!(VammError::ProposalMismatch))?;
            require!(
                oracles.secondary_source.is_some() == oracles.secondary_oracle.is_some()
                    && Some(oracles.primary_oracle) != oracles.secondary_oracle,
                VammError::InvalidOracleConfig
            );
            // The market's checks must suit the new set (a consensus band
            // once there is a second source).
            let mut checks = market_tunables(market);
            checks.has_secondary = oracles.secondary_oracle.is_some();
            checks.validate()?;
        }
        GovernanceAction::UpdateDepth { sqrt_k, .. } => {
            require!(
                (bounds::MIN_SQRT_K..=bounds::MAX_SQRT_K).contains(sqrt_k),
                VammError::InvalidMarketParameter
            );
        }
        GovernanceAction::SetTimelockDelay { delay_secs } => require!(
            (timelock::MIN_DELAY_SECS..=timelock::MAX_DELAY_SECS).contains(delay_secs),
            VammError::InvalidTimelockDelay
        ),
        GovernanceAction::SetUnstakeCooldown { cooldown_secs } => require!(
            (insurance::MIN_UNSTAKE_COOLDOWN_SECS..=insurance::MAX_UNSTAKE_COOLDOWN_SECS)
                .contains(cooldown_secs),
            VammError::InvalidMarketParameter
        ),
        GovernanceAction::SetTreasury { treasury } => require!(
            *treasury != Pubkey::default()
                && *treasury != exchange.vault
                && *treasury != exchange.insurance_vault,
            VammError::WrongTreasury
        ),
        GovernanceAction::SetAdmin { admin } => require!(*admin != Pubkey::default(), VammError::NotAdmin),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tunables() -> Tunables {
        Tunables::sample()
    }

    #[test]
    fn the_event_shows_the_replaced_values_of_exactly_the_fields_set() {
        let current = tunables();
        let update =
            MarketParamsUpdate { taker_fee_bps: Some(25), max_open_interest: Some(5), ..Default::default() };
        let previous = previous_values(&current, &update);
        assert_eq!(
            previous,
            MarketParamsUpdate {
                taker_fee_bps: Some(10),
                max_open_interest: Some(1_000_000_000_000),
                ..Default::default()
            }
        );
        let next = merged(&current, &update);
        assert_eq!((next.taker_fee_bps, next.max_open_interest, next.initial_ratio), (25, 5, 100_000));
    }

    #[test]
    fn only_risk_reducing_moves_apply_at_once() {
        let old = tunables();
        let at_once = |f: fn(&mut Tunables)| {
            let mut new = old;
            f(&mut new);
            first_timelocked_change(&old, &new)
        };
        assert_eq!(at_once(|_| {}), None);
        assert_eq!(at_once(|t| t.initial_ratio += 1), None);
        assert_eq!(at_once(|t| t.max_open_interest -= 1), None);
        assert_eq!(at_once(|t| t.max_oracle_jump_bps -= 1), None);
        assert_eq!(at_once(|t| t.taker_fee_bps -= 1), None);
        assert_eq!(at_once(|t| t.min_oracle_samples += 1), Some("min_oracle_samples"));
        assert_eq!(at_once(|t| t.max_confidence_bps -= 1), Some("max_confidence_bps"));
        assert_eq!(at_once(|t| t.initial_ratio -= 1), Some("initial_ratio"));
        assert_eq!(at_once(|t| t.maintenance_ratio += 1), Some("maintenance_ratio"));
        assert_eq!(at_once(|t| t.maintenance_ratio -= 1), Some("maintenance_ratio"));
        assert_eq!(at_once(|t| t.max_open_interest += 1), Some("max_open_interest"));
        assert_eq!(at_once(|t| t.taker_fee_bps += 1), Some("taker_fee_bps"));
        assert_eq!(at_once(|t| t.liquidation_fee_bps -= 1), Some("liquidation_fee_bps"));
        assert_eq!(at_once(|t| t.liquidator_share_bps -= 1), Some("liquidator_share_bps"));
        assert_eq!(at_once(|t| t.fee_pool_share_bps -= 1), Some("fee_pool_share_bps"));
        assert_eq!(at_once(|t| t.price_confirmation_secs -= 1), Some("price_confirmation_secs"));
        assert_eq!(at_once(|t| t.repeg_gap_bps -= 1), Some("repeg_gap_bps"));
        assert_eq!(at_once(|t| t.max_staleness_secs += 1), Some("max_staleness_secs"));
        assert_eq!(at_once(|t| t.max_staleness_secs -= 1), Some("max_staleness_secs"));
    }
}

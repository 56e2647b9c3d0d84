//! The parameter sets the benchmark compares, all run by this program: its
//! own defaults, a Perpetual Protocol v1 style set and a Drift-style set.
//! Where the program cannot switch a protection off, the set uses the
//! loosest value its bounds allow; `approximations` says which.

use serde::Serialize;
use vamm::constants::bounds;
use vamm::instructions::CreateMarketParams;
use vamm_client::keeper::{KeeperConfig, TakeoverConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Configuration {
    /// The deploy configuration (`migrations/deploy.toml`).
    Protocol,
    /// Perpetual Protocol v1: 10x, 10% / 6.25% margin, a plain constant
    /// product, a 1.2% per-block fluctuation limit, liquidation without a
    /// per-step cap at a 1.25% fee, no mark-oracle band, flat margin.
    PerpV1,
    /// Drift v2's main features as far as this program has them.
    DriftStyle,
}

impl Configuration {
    pub const ALL: [Configuration; 3] =
        [Configuration::Protocol, Configuration::PerpV1, Configuration::DriftStyle];

    pub fn name(self) -> &'static str {
        match self {
            Configuration::Protocol => "protocol",
            Configuration::PerpV1 => "perp-v1",
            Configuration::DriftStyle => "drift-style",
        }
    }

    pub fn from_name(name: &str) -> Option<Configuration> {
        Configuration::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What the set cannot reproduce exactly, and how it is approximated.
    pub fn approximations(self) -> &'static str {
        match self {
            Configuration::Protocol => "none: the deploy configuration as listed",
            Configuration::PerpV1 => {
                "no oracle circuit breaker: the widest jump band (50%) and the shortest confirmation (10 s); \
                 no mark-oracle band: the widest (50%); a plain constant product: the widest range (1/100x to \
                 100x the listing price); whole-position liquidation: no per-step cap and no buffer (a step \
                 closes what restores maintenance, at most the whole position); unrealised profit counts \
                 towards new risk at the highest weight (95%); liquidators close into the curve only (no \
                 takeover); no repeg; kept from the deploy set: the 0.5% funding clamp, the oracle \
                 confidence, staleness and sample checks, the open-interest and position caps"
            }
            Configuration::DriftStyle => {
                "10% / 5% margin with size-based margin; a 2% liquidation buffer and no per-step cap; a 1% \
                 liquidator fee plus 1% to the insurance fund; takeover by liquidators; oracle validity as \
                 a 50% jump band confirmed after 10 s; a 10% mark-oracle band; the continuous formulaic repeg \
                 as the rule-based repeg at its tightest (0.5% gap for 1 minute); kept from the deploy set: \
                 the 5% per-slot limit, the funding clamp, the caps"
            }
        }
    }

    /// The listing parameters: `protocol` (the deploy configuration)
    /// changed where the set differs, for a market listed at `price`
    /// (`PRICE_PRECISION`).
    pub fn params(self, protocol: &CreateMarketParams, price: u64) -> CreateMarketParams {
        let mut p = protocol.clone();
        match self {
            Configuration::Protocol => {}
            Configuration::PerpV1 => {
                p.initial_ratio = 100_000;
                p.maintenance_ratio = 62_500;
                p.initial_imf_factor = 0;
                p.maintenance_imf_factor = 0;
                p.min_price = (price / bounds::MAX_RANGE_FACTOR).max(1);
                p.max_price = price * bounds::MAX_RANGE_FACTOR;
                p.max_slot_move_bps = 120;
                p.mark_oracle_band_bps = bounds::MAX_MARK_ORACLE_BAND_BPS;
                p.max_oracle_jump_bps = bounds::MAX_ORACLE_JUMP_BPS;
                p.price_confirmation_secs = bounds::MIN_PRICE_CONFIRMATION_SECS;
                p.initial_profit_weight_bps = bounds::MAX_INITIAL_PROFIT_WEIGHT_BPS;
                p.liquidation_fee_bps = 125;
                p.liquidator_share_bps = 5_000;
                p.max_liquidation_fraction_bps = 10_000;
                p.liquidation_buffer_ratio = 0;
                p.repeg_gap_bps = 0;
            }
            Configuration::DriftStyle => {
                p.initial_ratio = 100_000;
                p.maintenance_ratio = 50_000;
                p.liquidation_fee_bps = 200;
                p.liquidator_share_bps = 5_000;
                p.max_liquidation_fraction_bps = 10_000;
                p.liquidation_buffer_ratio = 20_000;
                p.max_oracle_jump_bps = bounds::MAX_ORACLE_JUMP_BPS;
                p.price_confirmation_secs = bounds::MIN_PRICE_CONFIRMATION_SECS;
                p.mark_oracle_band_bps = 1_000;
                p.repeg_gap_bps = bounds::MIN_REPEG_GAP_BPS;
                p.repeg_delay_secs = bounds::MIN_REPEG_DELAY_SECS;
            }
        }
        p
    }

    /// How the set's liquidators work.
    pub fn keeper(self) -> KeeperConfig {
        let config = KeeperConfig { sweep_threshold: 100_000_000, ..KeeperConfig::default() };
        match self {
            Configuration::PerpV1 => KeeperConfig {
                takeover: TakeoverConfig { max_position_notional: 0, ..TakeoverConfig::default() },
                ..config
            },
            Configuration::Protocol | Configuration::DriftStyle => config,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vamm::state::OracleSource;

    /// The deploy configuration's SOL-PERP, as `migrations/deploy.toml`
    /// lists it (the CLI's bench test reads the file itself).
    fn deploy_sol() -> CreateMarketParams {
        let mut name = [0u8; 16];
        name[..8].copy_from_slice(b"SOL-PERP");
        CreateMarketParams {
            market_index: 0,
            name,
            primary_source: OracleSource::Pyth,
            primary_feed_id: [0xef; 32],
            secondary_source: None,
            secondary_feed_id: [0; 32],
            max_staleness_secs: 30,
            max_confidence_bps: 50,
            consensus_band_bps: 100,
            sqrt_k: 100_000 * 1_000_000_000,
            min_price: 30_000_000,
            max_price: 600_000_000,
            initial_ratio: 100_000,
            maintenance_ratio: 50_000,
            initial_imf_factor: 100,
            maintenance_imf_factor: 50,
            mark_oracle_band_bps: 500,
            max_oracle_jump_bps: 2_500,
            price_confirmation_secs: 60,
            min_oracle_samples: 3,
            initial_profit_weight_bps: 5_000,
            max_slot_move_bps: 500,
            max_open_interest: 20_000_000_000_000,
            max_position_notional: 2_000_000_000_000,
            taker_fee_bps: 10,
            insurance_share_bps: 3_000,
            pnl_pool_share_bps: 2_000,
            fee_pool_share_bps: 2_000,
            funding_period_secs: 3_600,
            max_funding_rate_bps: 50,
            liquidation_fee_bps: 100,
            liquidator_share_bps: 5_000,
            max_liquidation_fraction_bps: 5_000,
            liquidation_buffer_ratio: 10_000,
            repeg_gap_bps: 300,
            repeg_delay_secs: 1_800,
        }
    }

    #[test]
    fn every_set_is_a_listing_the_program_accepts() {
        for configuration in Configuration::ALL {
            let params = configuration.params(&deploy_sol(), 150_000_000);
            vamm::instructions::validate_listing(&params)
                .unwrap_or_else(|e| panic!("{}: {e:?}", configuration.name()));
            assert!(params.min_price <= 150_000_000 && 150_000_000 <= params.max_price);
            assert_eq!(Configuration::from_name(configuration.name()), Some(configuration));
        }
        let v1 = Configuration::PerpV1.params(&deploy_sol(), 150_000_000);
        assert_eq!((v1.initial_ratio, v1.maintenance_ratio, v1.max_slot_move_bps), (100_000, 62_500, 120));
        assert_eq!((v1.liquidation_fee_bps, v1.max_liquidation_fraction_bps), (125, 10_000));
        assert_eq!(Configuration::PerpV1.keeper().takeover.max_position_notional, 0);
    }
}

//! The sandbox's markets (SOL, BTC, ETH) and their listings, shared with
//! the local validator, which deploys the same exchange.

use crate::chain::{Chain, Oracle, USDC};
use crate::prices::WalkParams;
use vamm::instructions::CreateMarketParams;
use vamm::state::{GovernanceAction, OracleSource};

const BASE: u64 = 1_000_000_000;

/// A sandbox market: its listing price, depth, price walk and oracles.
pub struct MarketSpec {
    pub name: &'static str,
    /// `PRICE_PRECISION`.
    pub price: u64,
    /// Virtual depth, whole base units.
    pub depth: u128,
    pub walk: WalkParams,
    pub primary: OracleSource,
    pub secondary: Option<OracleSource>,
}

/// SOL (Pyth and Switchboard), BTC (Pyth) and ETH (Switchboard).
pub fn specs() -> [MarketSpec; 3] {
    let walk = |volatility, jump_probability, jump_min, jump_max| WalkParams {
        volatility,
        jump_probability,
        jump_min,
        jump_max,
    };
    [
        MarketSpec {
            name: "SOL-PERP",
            price: 150 * USDC,
            depth: 40_000,
            walk: walk(0.004, 0.01, 0.03, 0.08),
            primary: OracleSource::Pyth,
            secondary: Some(OracleSource::Switchboard),
        },
        MarketSpec {
            name: "BTC-PERP",
            price: 60_000 * USDC,
            depth: 100,
            walk: walk(0.003, 0.005, 0.02, 0.06),
            primary: OracleSource::Pyth,
            secondary: None,
        },
        MarketSpec {
            name: "ETH-PERP",
            price: 3_000 * USDC,
            depth: 2_000,
            walk: walk(0.0035, 0.008, 0.03, 0.07),
            primary: OracleSource::Switchboard,
            secondary: None,
        },
    ]
}

/// The listing of market `index` at `price`, with new oracle accounts
/// drawn from the chain's generator (primary, then secondary).
pub fn listing(
    chain: &mut Chain,
    index: u16,
    spec: &MarketSpec,
    price: u64,
) -> (GovernanceAction, Oracle, Option<Oracle>) {
    let feed_id = |tag: u8| {
        let mut feed_id = [tag; 32];
        feed_id[0] = index as u8;
        feed_id
    };
    let primary = chain.oracle(spec.primary, feed_id(0xA1));
    let secondary = spec.secondary.map(|s| chain.oracle(s, feed_id(0xB2)));
    let mut name = [0u8; 16];
    name[..spec.name.len()].copy_from_slice(spec.name.as_bytes());
    let params = CreateMarketParams {
        market_index: index,
        name,
        primary_source: spec.primary,
        primary_feed_id: primary.feed_id,
        secondary_source: spec.secondary,
        secondary_feed_id: secondary.map_or([0; 32], |s| s.feed_id),
        max_staleness_secs: 120,
        max_confidence_bps: 100,
        consensus_band_bps: 100,
        sqrt_k: spec.depth * BASE as u128,
        min_price: price / 5,
        max_price: price * 5,
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
        max_open_interest: 50_000_000 * USDC,
        max_position_notional: 10_000_000 * USDC,
        taker_fee_bps: 10,
        insurance_share_bps: 3_000,
        pnl_pool_share_bps: 3_000,
        fee_pool_share_bps: 2_000,
        funding_period_secs: 3_600,
        max_funding_rate_bps: 50,
        liquidation_fee_bps: 100,
        liquidator_share_bps: 5_000,
        max_liquidation_fraction_bps: 5_000,
        liquidation_buffer_ratio: 10_000,
        repeg_gap_bps: 300,
        repeg_delay_secs: 1_800,
    };
    let action = GovernanceAction::ListMarket {
        params,
        primary_oracle: primary.address,
        secondary_oracle: secondary.map(|s| s.address),
    };
    (action, primary, secondary)
}

//! PDA seeds, fixed-point precisions and protocol-wide limits.
//!
//! One fixed-point convention for the whole program: every amount is an
//! unsigned or signed integer scaled by a named precision below, and every
//! stored or emitted field says which one it uses.

/// Quote (USDC) amounts: native token units, 6 decimals. 1 USDC = 1_000_000.
pub const QUOTE_PRECISION: u64 = 1_000_000;
/// Decimals of the collateral mint the exchange accepts.
pub const QUOTE_DECIMALS: u8 = 6;
const _: () = assert!(10u64.pow(QUOTE_DECIMALS as u32) == QUOTE_PRECISION);
/// Prices: quote native units per whole base unit, i.e. USDC with 6 decimals.
/// A price of 123.45 USDC is stored as 123_450_000.
pub const PRICE_PRECISION: u64 = 1_000_000;
/// Base amounts (positions, AMM reserves): 9 decimals. 1 SOL = 1_000_000_000.
pub const BASE_PRECISION: u64 = 1_000_000_000;
/// Ratios (margin ratios, shares): parts per million. 100% = 1_000_000.
pub const RATIO_PRECISION: u64 = 1_000_000;
/// Funding indices: quote native per whole base unit, times 1,000 (so a
/// payment of 0.5 USDC per SOL is 500_000_000).
pub const FUNDING_INDEX_PRECISION: u64 = 1_000_000_000;
/// Basis points: 100% = 10_000.
pub const BPS_DENOMINATOR: u64 = 10_000;

/// Most one bankruptcy resolution may socialise onto a side, per whole
/// base unit of its open interest: 10% of the market's price (bps). The
/// rest is recorded as unrecovered, so a dust position is never charged
/// many times its value and the funding index cannot overflow.
pub const MAX_SOCIALISED_LOSS_BPS: u64 = 1_000;

/// Number of cross-margin position slots in one trader account.
pub const MAX_POSITIONS: usize = 8;
/// Highest sub-account id a wallet may create.
pub const MAX_SUB_ACCOUNT_ID: u16 = 255;

/// Bounds governance must respect when listing a market.
pub mod bounds {
    /// Permissionless repeg: a mark-oracle gap of 0.5% .. 50% (0 turns it
    /// off) lasting 1 minute .. 7 days.
    pub const MIN_REPEG_GAP_BPS: u16 = 50;
    pub const MAX_REPEG_GAP_BPS: u16 = 5_000;
    pub const MIN_REPEG_DELAY_SECS: u32 = 60;
    pub const MAX_REPEG_DELAY_SECS: u32 = 7 * 24 * 3_600;
    /// Taker fee: at most 1%.
    pub const MAX_TAKER_FEE_BPS: u16 = 100;
    /// Maintenance margin ratio: 0.5% .. 50% (ppm).
    pub const MIN_MAINTENANCE_RATIO: u32 = 5_000;
    pub const MAX_MAINTENANCE_RATIO: u32 = 500_000;
    /// The initial ratio is at least 5/4 of the maintenance ratio at every
    /// size (numerator, denominator).
    pub const MIN_INITIAL_OVER_MAINTENANCE: (u32, u32) = (5, 4);
    /// Initial margin ratio: above maintenance, at most 100% (ppm), i.e. at
    /// least 1x and at most 200x leverage.
    pub const MAX_INITIAL_RATIO: u32 = 1_000_000;
    /// Size-proportional margin factor (ppm per sqrt(USDC) of notional).
    pub const MAX_IMF_FACTOR: u32 = 10_000;
    /// Oracle age accepted by a market: 1 s .. 10 min.
    pub const MIN_ORACLE_STALENESS_SECS: u32 = 1;
    pub const MAX_ORACLE_STALENESS_SECS: u32 = 600;
    /// Oracle confidence (or std-dev) width as a share of price: at most 10%.
    pub const MAX_ORACLE_CONFIDENCE_BPS: u16 = 1_000;
    /// Band within which the two oracle sources must agree: 0.01% .. 10%.
    pub const MIN_CONSENSUS_BAND_BPS: u16 = 1;
    pub const MAX_CONSENSUS_BAND_BPS: u16 = 1_000;
    /// Oracle jump allowed against the oracle TWAP: 1% .. 50%.
    pub const MIN_ORACLE_JUMP_BPS: u16 = 100;
    pub const MAX_ORACLE_JUMP_BPS: u16 = 5_000;
    /// Time a price outside the jump band must persist before the market
    /// accepts it: 10 s .. 1 h. This bounds how long any move can stop
    /// liquidations, funding and settlement.
    pub const MIN_PRICE_CONFIRMATION_SECS: u32 = 10;
    pub const MAX_PRICE_CONFIRMATION_SECS: u32 = 3_600;
    /// Samples a Switchboard result must aggregate: 1 .. 32 (a pull feed
    /// holds at most 32 submissions).
    pub const MIN_ORACLE_SAMPLES: u8 = 1;
    /// Weight of unrealised profit in the initial margin of new risk:
    /// at most 95%, never all of it.
    pub const MAX_INITIAL_PROFIT_WEIGHT_BPS: u16 = 9_500;
    pub const MAX_ORACLE_SAMPLES: u8 = 32;
    /// Mark move allowed within one slot for risk-increasing trades: 0.1% .. 50%.
    pub const MIN_SLOT_MOVE_BPS: u16 = 10;
    pub const MAX_SLOT_MOVE_BPS: u16 = 5_000;
    /// Band between mark and oracle outside which risk-increasing trades are
    /// refused: 0.1% .. 50%.
    pub const MIN_MARK_ORACLE_BAND_BPS: u16 = 10;
    pub const MAX_MARK_ORACLE_BAND_BPS: u16 = 5_000;
    /// The price range of the concentrated curve must contain the peg and
    /// span at most a factor of 100 on either side of it.
    pub const MAX_RANGE_FACTOR: u64 = 100;
    /// Minimum virtual depth, in base precision (0.001 whole base units), so
    /// that rounding cannot dominate a swap.
    pub const MIN_SQRT_K: u128 = 1_000_000;
    /// Maximum virtual depth (base precision): 1e12 whole base units.
    pub const MAX_SQRT_K: u128 = 1_000_000_000_000_000_000_000;
    const _: () = assert!(MAX_SQRT_K == 1_000_000_000_000 * super::BASE_PRECISION as u128);
}

/// The address lookup table program (`set_lookup_table` checks the owner
/// of the table it is given).
pub const ADDRESS_LOOKUP_TABLE_PROGRAM: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::pubkey!("AddressLookupTab1e1111111111111111111111111");

pub mod seeds {
    pub const EXCHANGE: &[u8] = b"exchange";
    pub const VAULT: &[u8] = b"vault";
    pub const INSURANCE_VAULT: &[u8] = b"insurance_vault";
    pub const MARKET: &[u8] = b"market";
    pub const TRADER: &[u8] = b"trader";
    pub const INSURANCE_STAKE: &[u8] = b"insurance_stake";
    pub const PROPOSAL: &[u8] = b"proposal";
}

/// The permissionless repeg (see `state::RepegRule`).
pub mod repeg {
    /// Most one repeg under the rule may cost, bps of the fee pool: the
    /// peg moves towards the oracle only as far as that pays for. Whoever
    /// positions against a lagging mark and triggers the repeg can take at
    /// most this share of the pool per repeg delay, not the whole pool.
    pub const RULE_BUDGET_BPS: u64 = 1_000;
}

/// The governance timelock (see `state::governance`).
pub mod timelock {
    /// Delay of a new exchange: 24 hours between queueing a change and the
    /// earliest moment anyone may execute it.
    pub const DEFAULT_DELAY_SECS: u32 = 24 * 3_600;
    /// The delay itself is changed only through the timelock, within 1 hour
    /// to 14 days.
    pub const MIN_DELAY_SECS: u32 = 3_600;
    pub const MAX_DELAY_SECS: u32 = 14 * 24 * 3_600;
    /// A queued change not executed within 7 days of becoming executable
    /// expires: stale intentions never apply by surprise.
    pub const EXECUTION_WINDOW_SECS: u32 = 7 * 24 * 3_600;
}

/// Insurance fund limits.
pub mod insurance {
    /// Default unstake cooldown: 7 days.
    pub const DEFAULT_UNSTAKE_COOLDOWN_SECS: u32 = 7 * 24 * 3_600;
    /// Governance may set the cooldown within 1 to 30 days.
    pub const MIN_UNSTAKE_COOLDOWN_SECS: u32 = 24 * 3_600;
    pub const MAX_UNSTAKE_COOLDOWN_SECS: u32 = 30 * 24 * 3_600;
    /// After the cooldown, a request can be carried out for 2 days.
    pub const UNSTAKE_WINDOW_SECS: u32 = 2 * 24 * 3_600;
}

/// Funding and liquidation bounds for listing.
pub mod risk_bounds {
    /// Funding period: 1 minute to 1 day.
    pub const MIN_FUNDING_PERIOD_SECS: u32 = 60;
    pub const MAX_FUNDING_PERIOD_SECS: u32 = 86_400;
    /// One period's funding rate is clamped to at most 5% of the oracle.
    pub const MAX_FUNDING_RATE_BPS: u16 = 500;
    /// Liquidation fee: at most 5% and below the maintenance ratio.
    pub const MAX_LIQUIDATION_FEE_BPS: u16 = 500;
    /// One liquidation step closes 5% .. 100% of a position.
    pub const MIN_LIQUIDATION_FRACTION_BPS: u16 = 500;
}

//! The governance timelock's queue: one `Proposal` per queued change.

use crate::instructions::{CreateMarketParams, MarketParamsUpdate};
use crate::state::{OracleConfig, OracleSource};
use anchor_lang::prelude::*;

/// The oracle accounts a market reads, their programs and feeds.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, InitSpace)]
pub struct OracleSet {
    pub primary_oracle: Pubkey,
    pub primary_source: OracleSource,
    /// Pyth feed id or Switchboard feed hash.
    pub primary_feed_id: [u8; 32],
    pub secondary_oracle: Option<Pubkey>,
    pub secondary_source: Option<OracleSource>,
    pub secondary_feed_id: [u8; 32],
}

impl OracleSet {
    /// The set a market's oracle configuration holds.
    pub fn of(config: &OracleConfig) -> Result<Self> {
        let primary_source = OracleSource::from_u8(config.primary_source)?
            .ok_or_else(|| error!(crate::error::VammError::InvalidOracleConfig))?;
        let secondary_source = OracleSource::from_u8(config.secondary_source)?;
        Ok(OracleSet {
            primary_oracle: config.primary,
            primary_source,
            primary_feed_id: config.primary_feed_id,
            secondary_oracle: secondary_source.map(|_| config.secondary),
            secondary_source,
            secondary_feed_id: config.secondary_feed_id,
        })
    }
}

/// A change governance may only make through the timelock, with its exact
/// new values. Each is validated when queued and again when executed.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, InitSpace)]
pub enum GovernanceAction {
    /// List a market reading these exact oracle accounts; executed by
    /// `create_market` with the same parameters.
    ListMarket { params: CreateMarketParams, primary_oracle: Pubkey, secondary_oracle: Option<Pubkey> },
    /// Change a market's parameters in any direction (the instant
    /// `update_market_params` only takes changes that reduce risk).
    UpdateMarketParams { market_index: u16, update: MarketParamsUpdate },
    /// Point a market at other oracle accounts, sources or feeds. Executed
    /// only when the new sources give a valid price now; a price outside
    /// the jump band is held and accepted after the confirmation time, as
    /// any oracle jump is.
    SetOracles { market_index: u16, oracles: OracleSet },
    /// Change a market's depth sqrt(k) (`BASE_PRECISION`, listing
    /// bounds), keeping its mark and range; the fee pool pays the cost for
    /// the traders' net position at execution, at most `max_cost` (quote
    /// native): whoever executes cannot inflate it by opening a position
    /// first. Refused when the cost exceeds that or what the pool holds.
    UpdateDepth { market_index: u16, sqrt_k: u128, max_cost: u64 },
    /// The timelock's own delay, seconds (`constants::timelock` bounds);
    /// proposals already queued keep the time they were given.
    SetTimelockDelay { delay_secs: u32 },
    /// The insurance fund's unstake cooldown, seconds (1 to 30 days).
    SetUnstakeCooldown { cooldown_secs: u32 },
    /// The collateral token account `withdraw_treasury` pays protocol fees to.
    SetTreasury { treasury: Pubkey },
    /// Hand the admin role over directly, without the new key's
    /// acceptance (`propose_admin` / `accept_admin` is the instant path).
    SetAdmin { admin: Pubkey },
}

impl GovernanceAction {
    /// The market the action applies to, which `execute_proposal` and
    /// `queue_proposal` must be given.
    pub fn market_index(&self) -> Option<u16> {
        match self {
            Self::UpdateMarketParams { market_index, .. }
            | Self::UpdateDepth { market_index, .. }
            | Self::SetOracles { market_index, .. } => Some(*market_index),
            _ => None,
        }
    }
}

/// Where a proposal stands. Stored in `Proposal::status`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ProposalStatus {
    /// Waiting for its delay, then executable until it expires.
    Queued,
    Executed,
    Cancelled,
}

/// A queued governance change, PDA `["proposal", id as u64 LE]`. Kept
/// after execution or cancellation as the record of what governance did.
/// Small and written a handful of times, so Borsh rather than zero-copy.
#[account]
#[derive(Debug, InitSpace)]
pub struct Proposal {
    pub exchange: Pubkey,
    /// Sequence number (`Exchange::proposal_count` when queued).
    pub id: u64,
    /// The admin that queued it.
    pub proposer: Pubkey,
    /// Unix seconds.
    pub queued_ts: i64,
    /// Earliest execution, unix seconds: queue time plus the delay then in
    /// force.
    pub executable_ts: i64,
    /// Latest execution, unix seconds (`constants::timelock` window).
    pub expires_ts: i64,
    pub status: ProposalStatus,
    /// Who executed or cancelled it (default key while queued).
    pub closed_by: Pubkey,
    /// When it was executed or cancelled, unix seconds (0 while queued).
    pub closed_ts: i64,
    pub bump: u8,
    pub action: GovernanceAction,
}

impl Proposal {
    pub const SIZE: usize = 8 + Proposal::INIT_SPACE;

    /// Refuses unless the proposal is queued, its delay has passed and it
    /// has not expired at `now` (unix seconds).
    pub fn require_executable(&self, now: i64) -> Result<()> {
        use crate::error::VammError;
        require!(self.status == ProposalStatus::Queued, VammError::ProposalNotQueued);
        require!(now >= self.executable_ts, VammError::TimelockNotElapsed);
        require!(now <= self.expires_ts, VammError::ProposalExpired);
        Ok(())
    }
}

// The largest action is a listing: 8 + 138 bytes of header + 266.
const _: () = assert!(Proposal::SIZE == 412);

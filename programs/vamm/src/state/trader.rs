use crate::constants::MAX_POSITIONS;
use crate::error::VammError;
use anchor_lang::prelude::*;

/// One cross-margin position slot.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Market the slot refers to (meaningful only while the slot is in use).
    pub market_index: u16,
    pub padding: [u8; 6],
    /// Signed size, `BASE_PRECISION`: positive long, negative short.
    pub base: i64,
    /// Cost basis of the open base, quote native.
    pub entry_notional: u64,
    /// Realised profit the market's PnL pool has not paid yet, quote native.
    pub pending_profit: u64,
    /// Realised loss the collateral could not cover, quote native; cleared
    /// by `resolve_bankruptcy`. Both sides together.
    pub unpaid_loss: u64,
    /// Realised PnL over the slot's life, before fees, quote native.
    pub realised_pnl: i64,
    /// Fees paid over the slot's life, quote native.
    pub fees_paid: u64,
    /// The market's cumulative funding index for this position's side when
    /// funding was last settled, `FUNDING_INDEX_PRECISION`.
    pub funding_index: i64,
    /// Funding settled over the slot's life, quote native: positive paid,
    /// negative received (socialised losses included).
    pub funding_paid: i64,
    /// The part of `unpaid_loss` realised while short, quote native (the
    /// rest was realised while long): each part is socialised onto the
    /// opposite side.
    pub unpaid_loss_short: u64,
    pub reserved: [u8; 16],
}

impl Position {
    /// A slot is in use while it holds base, an unpaid claim or an unpaid
    /// loss.
    pub fn is_open(&self) -> bool {
        self.base != 0 || self.pending_profit != 0 || self.unpaid_loss != 0
    }

    /// The part of `unpaid_loss` realised while long, quote native.
    pub fn unpaid_loss_long(&self) -> u64 {
        self.unpaid_loss.saturating_sub(self.unpaid_loss_short)
    }
}

/// A trader's cross-margin account, PDA
/// `["trader", owner, sub_account_id as u16 LE]`.
#[account(zero_copy)]
#[derive(Debug)]
pub struct TraderAccount {
    pub owner: Pubkey,
    /// May trade for the owner but never withdraw (`Pubkey::default()` when none).
    pub delegate: Pubkey,
    /// Deposited collateral plus settled PnL minus fees, quote native.
    pub collateral: u64,
    /// Times this account was liquidated.
    pub liquidation_count: u64,
    /// Lifetime deposits, quote native.
    pub total_deposited: u64,
    /// Lifetime withdrawals, quote native.
    pub total_withdrawn: u64,
    /// Unix seconds of creation.
    pub created_ts: i64,
    pub sub_account_id: u16,
    pub bump: u8,
    pub padding: [u8; 5],
    pub positions: [Position; MAX_POSITIONS],
    pub reserved: [u8; 128],
}

impl TraderAccount {
    pub const SIZE: usize = 8 + std::mem::size_of::<TraderAccount>();

    pub fn is_owner_or_delegate(&self, key: &Pubkey) -> bool {
        *key == self.owner || (self.delegate != Pubkey::default() && *key == self.delegate)
    }

    pub fn position(&self, market_index: u16) -> Option<&Position> {
        self.positions.iter().find(|p| p.is_open() && p.market_index == market_index)
    }

    /// Index of the open slot for `market_index`, claiming a free slot
    /// when there is none.
    pub fn position_slot(&mut self, market_index: u16) -> Result<usize> {
        if let Some(index) = self.positions.iter().position(|p| p.is_open() && p.market_index == market_index)
        {
            return Ok(index);
        }
        let free = self
            .positions
            .iter()
            .position(|p| !p.is_open())
            .ok_or_else(|| error!(VammError::NoFreePositionSlot))?;
        self.positions[free] = Position { market_index, ..Position::default() };
        Ok(free)
    }

    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().filter(|p| p.is_open())
    }

    pub fn is_empty(&self) -> bool {
        self.collateral == 0 && self.open_positions().next().is_none()
    }

    /// Whether any position still holds base.
    pub fn has_base(&self) -> bool {
        self.positions.iter().any(|p| p.base != 0)
    }
}

const _: () = assert!(std::mem::size_of::<Position>() == 96);
const _: () = assert!(std::mem::size_of::<TraderAccount>() == 1008);
const _: () = assert!(std::mem::align_of::<TraderAccount>() <= 8);

//! Simulated participants. Each decides from what a real user could see
//! (oracle prices, the mark, its own account) and acts only through real
//! instructions.

use crate::rng::Rng;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use vamm::math::amm::{Direction, TradeSize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Strategy {
    /// Follows the oracle's move away from its moving average.
    TrendFollower,
    /// Bets on the move reverting.
    Contrarian,
    /// Opens at 8x in a random direction and holds until +-10% or liquidation.
    Gambler,
}

pub struct Agent {
    pub strategy: Strategy,
    pub owner: Keypair,
    pub account: Pubkey,
    pub usdc: Pubkey,
    /// The market it trades (index into the sandbox's markets).
    pub market: usize,
    /// Collateral it tops up to, quote native.
    pub stake: u64,
}

/// What an agent wants to do this step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intent {
    Hold,
    Open(Direction, TradeSize),
    Close,
    TopUp(u64),
}

/// What the agent sees.
pub struct View {
    pub oracle: u64,
    pub average: f64,
    /// Signed base of its position in its market, `BASE_PRECISION`.
    pub base: i64,
    /// Unrealised PnL in bps of entry notional.
    pub pnl_bps: i64,
    pub collateral: u64,
}

impl Agent {
    pub fn decide(&self, view: &View, rng: &mut Rng) -> Intent {
        if view.collateral < self.stake / 5 && view.base == 0 {
            return Intent::TopUp(self.stake);
        }
        let deviation = view.oracle as f64 / view.average - 1.0;
        let notional = |leverage: u64| TradeSize::Quote(view.collateral.saturating_mul(leverage) / 2);
        match self.strategy {
            Strategy::TrendFollower | Strategy::Contrarian => {
                if !rng.chance(0.35) || deviation.abs() < 0.002 {
                    return Intent::Hold;
                }
                let up = (deviation > 0.0) == (self.strategy == Strategy::TrendFollower);
                let wanted = if up { Direction::Long } else { Direction::Short };
                let holding = match view.base.signum() {
                    1 => Some(Direction::Long),
                    -1 => Some(Direction::Short),
                    _ => None,
                };
                match holding {
                    Some(d) if d == wanted => Intent::Hold,
                    Some(_) => Intent::Close,
                    None => Intent::Open(wanted, notional(5)),
                }
            }
            Strategy::Gambler => {
                if view.base != 0 {
                    if view.pnl_bps.abs() > 1_000 {
                        Intent::Close
                    } else {
                        Intent::Hold
                    }
                } else if rng.chance(0.15) {
                    let direction = if rng.chance(0.5) { Direction::Long } else { Direction::Short };
                    Intent::Open(direction, notional(16))
                } else {
                    Intent::Hold
                }
            }
        }
    }
}

//! Insurance share accounting shared by `stake_insurance` and `unstake`:
//! shares are priced at the fund's balance net of the bad debt already
//! recorded on chain but not yet resolved (so a staker can neither escape
//! a visible loss by leaving first nor be charged for one by joining), and
//! a fund wiped out by losses starts a new share epoch so it can always be
//! recapitalised.

use crate::error::VammError;
use crate::math::safe::SafeMath;
use crate::math::shares::is_wiped_out;
use crate::state::{InsuranceFund, InsuranceStake, Market};
use anchor_lang::prelude::*;

/// Unresolved losses over every listed market, quote native. `remaining`
/// must hold each of the exchange's `market_count` markets exactly once.
pub fn pending_bad_debt<'info>(
    remaining: &'info [AccountInfo<'info>],
    exchange: &Pubkey,
    market_count: u16,
) -> Result<u64> {
    let mut seen = Vec::with_capacity(market_count as usize);
    let mut pending = 0u64;
    for info in remaining {
        let loader = AccountLoader::<Market>::try_from(info)?;
        let market = loader.load()?;
        require_keys_eq!(market.exchange, *exchange, VammError::WrongMarket);
        require!(!seen.contains(&market.market_index), VammError::MissingMarkets);
        seen.push(market.market_index);
        pending =
            pending.safe_add(market.pools.unpaid_loss_long)?.safe_add(market.pools.unpaid_loss_short)?;
    }
    require!(seen.len() == market_count as usize, VammError::MissingMarkets);
    Ok(pending)
}

/// The balance shares are priced against: the fund's balance less the
/// pending bad debt it may have to pay.
pub fn net_balance(fund: &InsuranceFund, pending_bad_debt: u64) -> u64 {
    fund.balance.saturating_sub(pending_bad_debt)
}

/// Brings `stake` into the fund's current share epoch, starting a new one
/// first when the fund is wiped out: judged on its real balance, never on
/// debt still pending (which collateral or claims may yet cover). Shares of
/// an earlier epoch are void.
pub fn sync_epoch(fund: &mut InsuranceFund, stake: &mut InsuranceStake) -> Result<()> {
    if is_wiped_out(fund.balance, fund.total_shares) {
        fund.share_epoch = fund.share_epoch.checked_add(1).ok_or_else(|| error!(VammError::MathOverflow))?;
        fund.total_shares = 0;
    }
    if stake.share_epoch != fund.share_epoch {
        stake.share_epoch = fund.share_epoch;
        stake.shares = 0;
        stake.unstake_shares = 0;
    }
    Ok(())
}

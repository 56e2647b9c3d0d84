//! SPL Token transfers in and out of the exchange's vaults. The vaults'
//! authority is the exchange PDA, which signs with its seeds.

use crate::constants::seeds;
use anchor_lang::prelude::*;
use anchor_spl::token::{transfer_checked, TransferChecked};

/// Moves `amount` out of a vault owned by the exchange PDA.
#[allow(clippy::too_many_arguments)]
pub fn transfer_from_vault<'info>(
    token_program: &AccountInfo<'info>,
    vault: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    destination: &AccountInfo<'info>,
    exchange: &AccountInfo<'info>,
    exchange_bump: u8,
    amount: u64,
    decimals: u8,
) -> Result<()> {
    let signer_seeds: &[&[&[u8]]] = &[&[seeds::EXCHANGE, &[exchange_bump]]];
    transfer_checked(
        CpiContext::new_with_signer(
            token_program.key(),
            TransferChecked {
                from: vault.clone(),
                mint: mint.clone(),
                to: destination.clone(),
                authority: exchange.clone(),
            },
            signer_seeds,
        ),
        amount,
        decimals,
    )
}

/// Moves `amount` from a token account the signer `authority` owns.
pub fn transfer_from_user<'info>(
    token_program: &AccountInfo<'info>,
    source: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    destination: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    amount: u64,
    decimals: u8,
) -> Result<()> {
    transfer_checked(
        CpiContext::new(
            token_program.key(),
            TransferChecked {
                from: source.clone(),
                mint: mint.clone(),
                to: destination.clone(),
                authority: authority.clone(),
            },
        ),
        amount,
        decimals,
    )
}

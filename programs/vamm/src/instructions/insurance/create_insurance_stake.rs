use crate::constants::seeds;
use crate::state::InsuranceStake;
use anchor_lang::prelude::*;

/// Creates the signer's insurance stake account (PDA
/// `["insurance_stake", owner]`).
#[derive(Accounts)]
pub struct CreateInsuranceStake<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        init,
        payer = owner,
        space = InsuranceStake::SIZE,
        seeds = [seeds::INSURANCE_STAKE, owner.key().as_ref()],
        bump,
    )]
    pub stake: AccountLoader<'info, InsuranceStake>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_insurance_stake(ctx: Context<CreateInsuranceStake>) -> Result<()> {
    let mut stake = ctx.accounts.stake.load_init()?;
    stake.owner = ctx.accounts.owner.key();
    stake.bump = ctx.bumps.stake;
    Ok(())
}

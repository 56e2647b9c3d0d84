//! The governance timelock from the client's side: queueing, listing and
//! executing proposals.

use crate::transport::{ClientError, ClientResult, Transport};
use crate::valuation::fetch_exchange;
use crate::{decode, ix};
use anchor_lang::Discriminator;
use solana_keypair::Keypair;
use solana_signer::Signer;
use vamm::state::{GovernanceAction, Proposal};

/// Queues `action` signed by `admin`; returns the proposal's id.
pub async fn queue<T: Transport>(t: &mut T, admin: &Keypair, action: GovernanceAction) -> ClientResult<u64> {
    let id = fetch_exchange(t).await?.proposal_count;
    t.send(&[ix::queue_proposal(&admin.pubkey(), id, action)], &[admin]).await?;
    Ok(id)
}

pub async fn proposal<T: Transport>(t: &mut T, id: u64) -> ClientResult<Option<Proposal>> {
    match t.account(&ix::proposal_pda(id)).await? {
        Some(account) => {
            decode::proposal(&account).map(Some).map_err(|e| ClientError::Transport(e.to_string()))
        }
        None => Ok(None),
    }
}

/// Every proposal ever queued, by id.
pub async fn proposals<T: Transport>(t: &mut T) -> ClientResult<Vec<Proposal>> {
    let mut all = Vec::new();
    for (_, account) in t.program_accounts(Proposal::DISCRIMINATOR).await? {
        all.push(decode::proposal(&account).map_err(|e| ClientError::Transport(e.to_string()))?);
    }
    all.sort_by_key(|p| p.id);
    Ok(all)
}

/// Executes proposal `id` (paid and signed by `executor`).
pub async fn execute<T: Transport>(t: &mut T, executor: &Keypair, id: u64) -> ClientResult<()> {
    let proposal =
        proposal(t, id).await?.ok_or_else(|| ClientError::Transport(format!("no proposal {id}")))?;
    t.send(&[ix::execute(&executor.pubkey(), id, &proposal.action)], &[executor]).await
}

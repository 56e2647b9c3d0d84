//! Landing one signed transaction on a real cluster: send it with
//! preflight, then poll its status and rebroadcast it until it is seen at
//! the requested commitment or its blockhash expires. Expiry is judged by
//! the block height at that same commitment, and a last status check
//! follows it, so `Expired` means the transaction can no longer land and a
//! new one may be sent without doubling an order.

use super::{ClientError, ClientResult};
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use std::time::Duration;

/// What landing a transaction needs from a cluster (the JSON-RPC transport
/// implements it; tests script it).
#[allow(async_fn_in_trait)]
pub trait Cluster {
    /// Sends `tx`. With `preflight` the node simulates it first, and a
    /// failure comes back as the program's error with its logs.
    async fn send(&mut self, tx: &VersionedTransaction, preflight: bool) -> ClientResult<()>;
    /// `None` while `signature` is not seen at the requested commitment,
    /// its result once it is.
    async fn status(&mut self, signature: &Signature) -> ClientResult<Option<Result<(), TransactionError>>>;
    /// The block height at the requested commitment.
    async fn block_height(&mut self) -> ClientResult<u64>;
}

/// How patiently a transaction is landed.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    /// Wait between two status checks.
    pub poll: Duration,
    /// The transaction is sent again every this many unanswered checks
    /// (leaders drop packets; the node's own retries are turned off).
    pub rebroadcast_every: u32,
    /// Consecutive failed status or block-height requests after which the
    /// outcome is reported as unknown (with the signature to look up).
    pub max_rpc_failures: u32,
    /// Unanswered checks in a row during which the block height at the
    /// commitment did not rise, after which the outcome is reported as
    /// unknown (a stalled finalization, a frozen node): a blockhash's life
    /// is counted in blocks, so a slow cluster is waited out to expiry, a
    /// standing one is not waited on forever. 120 checks of 500 ms: a
    /// minute without a new block.
    pub max_stalled_polls: u32,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            poll: Duration::from_millis(500),
            rebroadcast_every: 4,
            max_rpc_failures: 60,
            max_stalled_polls: 120,
        }
    }
}

/// What happened while landing, for callers that report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Landing {
    /// Times the transaction was sent, the first included.
    pub sends: u32,
    /// Status checks made.
    pub polls: u32,
}

/// Sends `tx` and waits until it is confirmed (its signature), refused
/// (the program's error), or expired once the block height passes
/// `last_valid_block_height` (`ClientError::Expired`).
pub async fn land<C: Cluster>(
    cluster: &mut C,
    tx: &VersionedTransaction,
    last_valid_block_height: u64,
    patience: Patience,
) -> (ClientResult<Signature>, Landing) {
    let mut landing = Landing::default();
    let outcome = land_counted(cluster, tx, last_valid_block_height, patience, &mut landing).await;
    (outcome, landing)
}

async fn land_counted<C: Cluster>(
    cluster: &mut C,
    tx: &VersionedTransaction,
    last_valid_block_height: u64,
    patience: Patience,
    landing: &mut Landing,
) -> ClientResult<Signature> {
    let signature =
        *tx.signatures.first().ok_or_else(|| ClientError::Transport("unsigned transaction".into()))?;
    let unknown = |e: ClientError| ClientError::Unknown { signature, reason: e.to_string() };
    match cluster.send(tx, true).await {
        Ok(()) => {}
        // The node simulated and refused it: nothing was broadcast.
        Err(e @ (ClientError::Program { .. } | ClientError::Transaction(_))) => return Err(e),
        // A timeout or a dropped connection: the node may have forwarded it.
        Err(e) => return Err(unknown(e)),
    }
    landing.sends = 1;
    let mut failures = 0u32;
    let mut unanswered = 0u32;
    let mut highest = 0u64;
    let mut stalled = 0u32;
    loop {
        tokio::time::sleep(patience.poll).await;
        landing.polls += 1;
        let checked = async {
            let status = cluster.status(&signature).await?;
            let height = match status {
                Some(_) => 0,
                None => cluster.block_height().await?,
            };
            Ok::<_, ClientError>((status, height))
        }
        .await;
        let (status, height) = match checked {
            Ok(checked) => {
                failures = 0;
                checked
            }
            Err(e) => {
                failures += 1;
                if failures >= patience.max_rpc_failures {
                    return Err(unknown(e));
                }
                continue;
            }
        };
        match status {
            Some(Ok(())) => return Ok(signature),
            Some(Err(e)) => return Err(ClientError::from_transaction(e)),
            None => {}
        }
        if height > highest {
            highest = height;
            stalled = 0;
        } else {
            stalled += 1;
            if stalled >= patience.max_stalled_polls {
                return Err(unknown(ClientError::Transport(format!(
                    "the block height stood at {highest} for {stalled} status checks"
                ))));
            }
        }
        if height > last_valid_block_height {
            // It may have landed in the last valid block after the check
            // above: one more look before calling it expired.
            return match cluster.status(&signature).await.map_err(unknown)? {
                Some(Ok(())) => Ok(signature),
                Some(Err(e)) => Err(ClientError::from_transaction(e)),
                None => Err(ClientError::Expired { signature }),
            };
        }
        unanswered += 1;
        if unanswered.is_multiple_of(patience.rebroadcast_every.max(1)) {
            // A failed rebroadcast changes nothing: the next one may pass.
            if cluster.send(tx, false).await.is_ok() {
                landing.sends += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_keypair::Keypair;
    use solana_message::{Hash, Message, VersionedMessage};
    use solana_signer::Signer;

    /// A cluster whose block height rises by one every `requests_per_block`
    /// height requests (every request by default; never with `frozen`) and
    /// that sees the transaction after a given number of status checks.
    #[derive(Default)]
    struct Scripted {
        height: u64,
        requests_per_block: u32,
        frozen: bool,
        height_requests: u32,
        visible_after_checks: Option<u32>,
        result: Option<Result<(), TransactionError>>,
        refuse_preflight: Option<ClientError>,
        failing_checks: u32,
        checks: u32,
        sends: Vec<bool>,
    }

    impl Cluster for Scripted {
        async fn send(&mut self, _tx: &VersionedTransaction, preflight: bool) -> ClientResult<()> {
            self.sends.push(preflight);
            match (preflight, self.refuse_preflight.clone()) {
                (true, Some(error)) => Err(error),
                _ => Ok(()),
            }
        }

        async fn status(
            &mut self,
            _signature: &Signature,
        ) -> ClientResult<Option<Result<(), TransactionError>>> {
            if self.failing_checks > 0 {
                self.failing_checks -= 1;
                return Err(ClientError::Transport("connection reset".into()));
            }
            self.checks += 1;
            Ok(match self.visible_after_checks {
                Some(after) if self.checks > after => Some(self.result.clone().unwrap_or(Ok(()))),
                _ => None,
            })
        }

        async fn block_height(&mut self) -> ClientResult<u64> {
            self.height_requests += 1;
            if !self.frozen && self.height_requests.is_multiple_of(self.requests_per_block.max(1)) {
                self.height += 1;
            }
            Ok(self.height)
        }
    }

    fn transaction() -> VersionedTransaction {
        let payer = Keypair::new();
        let message = Message::new_with_blockhash(&[], Some(&payer.pubkey()), &Hash::default());
        VersionedTransaction::try_new(VersionedMessage::Legacy(message), &[&payer]).unwrap()
    }

    const QUICK: Patience =
        Patience { poll: Duration::ZERO, rebroadcast_every: 2, max_rpc_failures: 3, max_stalled_polls: 5 };

    #[tokio::test]
    async fn a_confirmed_transaction_returns_its_signature_after_rebroadcasts() {
        let tx = transaction();
        let mut cluster = Scripted { visible_after_checks: Some(5), ..Default::default() };
        let (outcome, landing) = land(&mut cluster, &tx, 100, QUICK).await;
        assert_eq!(outcome.unwrap(), tx.signatures[0]);
        // Sent once with preflight, then again every two unanswered checks
        // (after the 2nd and 4th), never with preflight again.
        assert_eq!(cluster.sends, vec![true, false, false]);
        assert_eq!(landing, Landing { sends: 3, polls: 6 });
    }

    #[tokio::test]
    async fn a_transaction_never_seen_expires_once_the_block_height_passes_its_last_valid_one() {
        let tx = transaction();
        let mut cluster = Scripted::default();
        let (outcome, landing) = land(&mut cluster, &tx, 10, QUICK).await;
        assert_eq!(outcome.unwrap_err(), ClientError::Expired { signature: tx.signatures[0] });
        // Heights 1..=10 are valid; the 11th check sees height 11 and
        // makes one last status check.
        assert_eq!(landing.polls, 11);
        assert_eq!(cluster.checks, 12);
        assert_eq!(cluster.height, 11);
    }

    #[tokio::test]
    async fn a_transaction_seen_only_in_the_last_check_is_confirmed_not_expired() {
        let tx = transaction();
        let mut cluster = Scripted { visible_after_checks: Some(11), ..Default::default() };
        let (outcome, _) = land(&mut cluster, &tx, 10, QUICK).await;
        assert_eq!(outcome.unwrap(), tx.signatures[0]);
    }

    #[tokio::test]
    async fn a_preflight_refusal_is_returned_without_polling() {
        let tx = transaction();
        let refusal = ClientError::Program {
            code: 6000,
            name: "InsufficientMargin".into(),
            message: "m".into(),
            logs: vec!["Program log: AnchorError".into()],
        };
        let mut cluster = Scripted { refuse_preflight: Some(refusal.clone()), ..Default::default() };
        let (outcome, landing) = land(&mut cluster, &tx, 10, QUICK).await;
        assert_eq!(outcome.unwrap_err(), refusal);
        assert_eq!(landing, Landing { sends: 0, polls: 0 });
    }

    #[tokio::test]
    async fn a_transaction_that_landed_and_failed_reports_the_program_error() {
        let tx = transaction();
        let failed = Err(TransactionError::InstructionError(
            0,
            solana_instruction::error::InstructionError::Custom(anchor_lang::error::ERROR_CODE_OFFSET),
        ));
        let mut cluster =
            Scripted { visible_after_checks: Some(1), result: Some(failed), ..Default::default() };
        let (outcome, _) = land(&mut cluster, &tx, 10, QUICK).await;
        assert!(matches!(outcome.unwrap_err(), ClientError::Program { code: 6000, .. }));
    }

    #[tokio::test]
    async fn short_rpc_outages_are_waited_out_and_long_ones_reported_with_the_signature() {
        let tx = transaction();
        let mut cluster = Scripted { visible_after_checks: Some(0), failing_checks: 2, ..Default::default() };
        let (outcome, _) = land(&mut cluster, &tx, 10, QUICK).await;
        assert_eq!(outcome.unwrap(), tx.signatures[0]);

        let mut cluster = Scripted { visible_after_checks: Some(0), failing_checks: 3, ..Default::default() };
        let (outcome, _) = land(&mut cluster, &tx, 10, QUICK).await;
        let ClientError::Unknown { signature, .. } = outcome.unwrap_err() else { panic!("not unknown") };
        assert_eq!(signature, tx.signatures[0]);
        assert!(!ClientError::Unknown { signature, reason: String::new() }.is_retryable());
    }

    #[tokio::test]
    async fn a_send_that_may_have_gone_out_is_unknown_not_failed_and_polling_is_bounded() {
        let tx = transaction();
        let mut cluster = Scripted {
            refuse_preflight: Some(ClientError::Transport("connection reset".into())),
            ..Default::default()
        };
        let (outcome, _) = land(&mut cluster, &tx, 10, QUICK).await;
        assert!(matches!(outcome.unwrap_err(), ClientError::Unknown { .. }));
        // A block height that stands still: unknown after the cap of
        // checks without a new block (the first check sets the height).
        let mut cluster = Scripted { height: 7, frozen: true, ..Default::default() };
        let (outcome, landing) = land(&mut cluster, &tx, 10, QUICK).await;
        let ClientError::Unknown { reason, .. } = outcome.unwrap_err() else { panic!("not unknown") };
        assert!(reason.contains("stood at 7 for 5"), "{reason}");
        assert_eq!(landing.polls, 6);
    }

    #[tokio::test]
    async fn a_slow_cluster_is_waited_out_to_expiry_not_reported_unknown() {
        // A new block only every 4 checks (under the stall cap of 5 in a
        // row) and 44 checks in all, far more than the cap: a blockhash
        // lives a number of blocks, not of checks, so this is an expiry
        // (the local validator's debug build makes about a block a second).
        let tx = transaction();
        let mut cluster = Scripted { requests_per_block: 4, ..Default::default() };
        let (outcome, landing) = land(&mut cluster, &tx, 10, QUICK).await;
        assert_eq!(outcome.unwrap_err(), ClientError::Expired { signature: tx.signatures[0] });
        assert_eq!(cluster.height, 11);
        assert_eq!(landing.polls, 44);
    }
}

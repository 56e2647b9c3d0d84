//! Publishes oracle prices as Pyth's and Switchboard's publishers would,
//! over JSON-RPC: each market's price follows the sandbox's seeded random
//! walk, rescaled to the publishing interval, and every oracle account of
//! the market is rewritten in its real layout through the oracle
//! stand-in programs (`builtins`), only the bytes that changed.

use crate::builtins::write_oracle_instruction;
use crate::deploy::DeployedMarket;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_pubkey::Pubkey;
use solana_signer::Signer;
use std::collections::HashMap;
use vamm_client::oracle_accounts::price_account;
use vamm_client::{RpcTransport, Transport};
use vamm_sandbox::markets::specs;
use vamm_sandbox::prices::{random_walk, WalkParams};
use vamm_sandbox::rng::Rng;

/// The sandbox's walks are per five-minute step.
const WALK_STEP_SECS: f64 = 300.0;
/// Bytes of unchanged data a write may carry to save an instruction.
const MERGE_GAP: usize = 64;
/// Largest write per instruction: one transaction holds it with room.
const MAX_WRITE: usize = 800;

pub struct Publisher {
    transport: RpcTransport,
    publisher: Keypair,
    markets: Vec<DeployedMarket>,
    walks: Vec<WalkParams>,
    rng: Rng,
    /// `PRICE_PRECISION`, per market.
    prices: Vec<u64>,
    /// What each oracle account holds, as last read or written.
    written: HashMap<Pubkey, Vec<u8>>,
}

impl Publisher {
    /// A publisher starting from each market's listing price, moving every
    /// `interval_secs` as the sandbox's walk would over that time.
    pub fn new(
        transport: RpcTransport,
        publisher: Keypair,
        markets: Vec<DeployedMarket>,
        seed: u64,
        interval_secs: f64,
    ) -> Self {
        let scale = interval_secs / WALK_STEP_SECS;
        let walks = specs()
            .iter()
            .take(markets.len())
            .map(|s| WalkParams {
                volatility: s.walk.volatility * scale.sqrt(),
                jump_probability: s.walk.jump_probability * scale,
                ..s.walk
            })
            .collect();
        let prices = markets.iter().map(|m| m.listing_price).collect();
        Publisher {
            transport,
            publisher,
            markets,
            walks,
            rng: Rng::new(seed),
            prices,
            written: HashMap::new(),
        }
    }

    /// Current prices, `PRICE_PRECISION`, in market order.
    pub fn prices(&self) -> &[u64] {
        &self.prices
    }

    /// Moves every price one interval along its walk.
    pub fn step(&mut self) {
        if let Some(next) = random_walk(&self.prices, &self.walks, 1, &mut self.rng).pop() {
            self.prices = next;
        }
    }

    /// Sets one market's price (tests and scripted moves).
    pub fn set_price(&mut self, market: usize, price: u64) {
        self.prices[market] = price;
    }

    /// Writes every oracle at the current prices, stamped with the
    /// cluster's clock (Pyth's publish time, Switchboard's slot), one
    /// transaction per oracle, all in flight together.
    pub async fn publish(&mut self) -> Result<(), String> {
        let clock = self.transport.clock().await.map_err(|e| e.to_string())?;
        let mut transactions: Vec<Vec<Instruction>> = Vec::new();
        let mut written = Vec::new();
        for (market, price) in self.markets.iter().zip(&self.prices) {
            for oracle in &market.oracles {
                let account = price_account(oracle.source, oracle.feed_id, *price, price / 4_000, clock);
                let before = match self.written.get(&oracle.address) {
                    Some(data) => data.clone(),
                    None => self
                        .transport
                        .account(&oracle.address)
                        .await
                        .map_err(|e| e.to_string())?
                        .map(|a| a.data)
                        .unwrap_or_default(),
                };
                if before.len() != account.data.len() {
                    return Err(format!(
                        "oracle {} holds {} bytes, not {}",
                        oracle.address,
                        before.len(),
                        account.data.len()
                    ));
                }
                for (offset, bytes) in changed_ranges(&before, &account.data) {
                    let ix = write_oracle_instruction(
                        &account.owner,
                        &self.publisher.pubkey(),
                        &oracle.address,
                        offset as u32,
                        bytes,
                    );
                    transactions.push(vec![ix]);
                }
                written.push((oracle.address, account.data));
            }
        }
        let in_flight = transactions.len().max(1);
        let results = self.transport.send_all(&transactions, &[&self.publisher], in_flight).await;
        for result in results {
            result.map_err(|e| e.to_string())?;
        }
        self.written.extend(written);
        Ok(())
    }
}

/// The byte ranges where `after` differs from `before` (equal lengths),
/// runs closer than `MERGE_GAP` merged, none longer than `MAX_WRITE`.
pub fn changed_ranges<'a>(before: &[u8], after: &'a [u8]) -> Vec<(usize, &'a [u8])> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (i, (a, b)) in before.iter().zip(after).enumerate() {
        if a == b {
            continue;
        }
        match ranges.last_mut() {
            Some((_, end)) if i - *end <= MERGE_GAP => *end = i + 1,
            _ => ranges.push((i, i + 1)),
        }
    }
    ranges
        .into_iter()
        .flat_map(|(start, end)| (start..end).step_by(MAX_WRITE).map(move |s| (s, (s + MAX_WRITE).min(end))))
        .map(|(start, end)| (start, &after[start..end]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::changed_ranges;

    #[test]
    fn writes_cover_every_change_and_nothing_past_it() {
        let before = vec![0u8; 3_000];
        let mut after = before.clone();
        after[10] = 1;
        after[40] = 2; // within the merge gap of 10
        after[500] = 3;
        for b in &mut after[1_000..2_700] {
            *b = 9;
        }
        let ranges = changed_ranges(&before, &after);
        let mut rebuilt = before.clone();
        for (offset, bytes) in &ranges {
            assert!(bytes.len() <= super::MAX_WRITE);
            rebuilt[*offset..offset + bytes.len()].copy_from_slice(bytes);
        }
        assert_eq!(rebuilt, after);
        assert_eq!(ranges[0], (10, &after[10..41]));
        assert_eq!(ranges[1].0, 500);
        assert_eq!(ranges.len(), 2 + 3, "1,700 changed bytes in three writes");
        assert!(changed_ranges(&before, &before).is_empty());
    }
}

//! Account decoding and the invariants every test sequence ends with.

use crate::{ix, TestEnv};
use solana_pubkey::Pubkey;
use vamm::state::{Exchange, Market, TraderAccount};

/// Reads a zero-copy account (data after the 8-byte discriminator),
/// tolerating the runtime's 8-byte alignment.
pub fn decode<T: bytemuck::Pod>(data: &[u8]) -> T {
    assert!(data.len() >= 8 + std::mem::size_of::<T>(), "account too small");
    bytemuck::pod_read_unaligned(&data[8..8 + std::mem::size_of::<T>()])
}

impl TestEnv {
    pub async fn market_state(&mut self, market: usize) -> Market {
        let address = self.markets[market].address;
        decode(&self.account(&address).await.expect("market").data)
    }

    pub async fn trader_state(&mut self, trader_account: &Pubkey) -> TraderAccount {
        decode(&self.account(trader_account).await.expect("trader account").data)
    }

    pub async fn exchange_state(&mut self) -> Exchange {
        let address = self.exchange;
        decode(&self.account(&address).await.expect("exchange").data)
    }

    /// Raw bytes of accounts, to show a refused instruction changed nothing.
    pub async fn snapshot(&mut self, addresses: &[Pubkey]) -> Vec<Option<Vec<u8>>> {
        let mut out = Vec::new();
        for address in addresses {
            out.push(self.account(address).await.map(|a| a.data));
        }
        out
    }

    /// Vault conservation and AMM/position consistency over every market
    /// and every trader account the test created.
    pub async fn check_invariants(&mut self) {
        let violations = self.invariant_violations().await;
        assert!(violations.is_empty(), "invariants broken:\n{}", violations.join("\n"));
    }

    /// What `check_invariants` asserts, as a list of what is broken (empty
    /// when everything holds), for the stateful fuzzer to report and shrink.
    pub async fn invariant_violations(&mut self) -> Vec<String> {
        let mut broken = Vec::new();
        let mut expect = |holds: bool, what: String| {
            if !holds {
                broken.push(what);
            }
        };
        let vault = self.vault;
        let vault_balance = self.token_balance(&vault).await as u128;
        let mut ledger = 0u128;
        let mut traders = Vec::new();
        for address in self.trader_accounts.clone() {
            if let Some(account) = self.account(&address).await {
                let trader: TraderAccount = decode(&account.data);
                ledger += trader.collateral as u128;
                traders.push(trader);
            }
        }
        for index in 0..self.markets.len() {
            let market = self.market_state(index).await;
            let pools = market.pools;
            ledger += (pools.pnl_pool + pools.fee_pool + pools.treasury + pools.insurance_pending) as u128;

            let positions = traders
                .iter()
                .flat_map(|t| t.positions.iter())
                .filter(|p| p.is_open() && p.market_index == market.market_index);
            let (mut long, mut short, mut pending) = (0i128, 0i128, 0u128);
            for p in positions {
                if p.base > 0 {
                    long += p.base as i128;
                } else {
                    short += p.base as i128;
                }
                pending += p.pending_profit as u128;
            }
            let (amm_long, amm_short) = (market.amm.base_long as i128, market.amm.base_short as i128);
            expect(
                amm_long == long,
                format!("market {index}: long open interest {amm_long}, positions {long}"),
            );
            expect(
                amm_short == short,
                format!("market {index}: short open interest {amm_short}, positions {short}"),
            );
            let net = market.amm.net_base().map(|n| n as i128).unwrap_or(i128::MIN);
            expect(
                net == -(long + short),
                format!("market {index}: AMM net base {net}, positions {}", long + short),
            );
            expect(
                pools.unpaid_profit as u128 == pending,
                format!("market {index}: unpaid profit {}, claims {pending}", pools.unpaid_profit),
            );
            let k_now = market.amm.curve().k().unwrap();
            let sqrt_k = market.amm.sqrt_k.get();
            expect(
                k_now >= vamm::math::u256::U256::from(sqrt_k) * vamm::math::u256::U256::from(sqrt_k),
                format!("market {index}: k shrank"),
            );
        }
        expect(
            vault_balance == ledger,
            format!("vault balance {vault_balance} must equal what the ledger says it holds, {ledger}"),
        );
        let insurance_vault = ix::insurance_vault_pda(&self.exchange);
        let insurance_tokens = self.token_balance(&insurance_vault).await;
        let fund = self.exchange_state().await.insurance;
        expect(
            insurance_tokens == fund.balance + self.insurance_donated,
            format!("insurance vault {insurance_tokens} must equal the fund's ledger {}", fund.balance),
        );
        broken
    }
}

impl TestEnv {
    /// What the winning side would be owed beyond what can pay it if every
    /// account the test created closed at the oracle price now, quote
    /// native: profit claims and unrealised profit at the oracle against
    /// the PnL pools plus what the losing accounts' collateral can pay.
    /// A liquidation into a lagging curve lets an account leave at a better
    /// price than the oracle's; the loss it did not pay lands here instead
    /// of in the bad-debt figures.
    pub async fn unfunded_at_oracle(&mut self) -> u64 {
        use vamm_client::valuation::{fetch_markets, fetch_trader, price_book};
        let clock = self.clock();
        let markets = fetch_markets(&mut self.rt).await.unwrap();
        let book = price_book(&markets, clock, &[]);
        let mut claims: i128 = 0;
        let mut payable: i128 = markets.iter().map(|m| m.market.pools.pnl_pool as i128).sum();
        for address in self.trader_accounts.clone() {
            let trader = fetch_trader(&mut self.rt, &address).await.unwrap().unwrap();
            let margin = book.margin(&trader).expect("every market has a price");
            let raw_claims: i128 = trader.positions.iter().map(|p| p.pending_profit as i128).sum();
            let net = margin.unrealised_pnl + raw_claims + margin.funding_receivable as i128
                - margin.funding_owed as i128
                - margin.unpaid_loss as i128;
            if net > 0 {
                claims += net;
            } else {
                payable += (-net).min(trader.collateral as i128);
            }
        }
        (claims - payable).max(0) as u64
    }
}

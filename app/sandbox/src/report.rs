//! The sandbox report: figures as JSON, a human summary, and SVG charts.

use crate::chart::{render, Panel, Series, TimeAxis};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use vamm_client::keeper::KeeperStats;

/// Per-step series for the charts (USDC, prices in USDC).
#[derive(Default, Debug, Clone)]
pub struct History {
    pub hours_per_step: f64,
    pub names: Vec<String>,
    pub mark: Vec<Vec<f64>>,
    pub oracle: Vec<Vec<f64>>,
    pub oi_long: Vec<Vec<f64>>,
    pub oi_short: Vec<Vec<f64>>,
    pub insurance: Vec<f64>,
}

#[derive(Serialize, Debug, Clone)]
pub struct MarketReport {
    pub name: String,
    pub start_price_usdc: f64,
    pub end_oracle_usdc: f64,
    pub end_mark_usdc: f64,
    pub volume_usdc: f64,
    pub fees_usdc: f64,
    pub liquidations: u64,
    pub bad_debt_usdc: f64,
    pub socialised_usdc: f64,
    /// Parts per billion of the oracle TWAP, last period.
    pub last_funding_rate_ppb: i64,
    /// |mark - oracle| / oracle after each step, bps.
    pub tracking_error_mean_bps: f64,
    pub tracking_error_max_bps: f64,
    pub open_interest_long_usdc: f64,
    pub open_interest_short_usdc: f64,
}

/// The vault and insurance vault against the ledger, and the AMM against
/// the positions, at the end of the run (quote native).
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Conservation {
    pub vault_native: u64,
    pub ledger_native: u64,
    pub insurance_vault_native: u64,
    pub insurance_fund_native: u64,
    pub amm_mirrors_positions: bool,
    pub ok: bool,
}

#[derive(Serialize, Debug, Clone)]
pub struct Report {
    pub seed: u64,
    pub simulated_hours: f64,
    pub steps: u64,
    pub traders: u64,
    pub trades_executed: u64,
    /// Refused orders by program error name (margin, range, ...).
    pub trades_refused: BTreeMap<String, u64>,
    pub volume_usdc: f64,
    pub fees_usdc: f64,
    /// Funding settled into positions: paid and received.
    pub funding_paid_usdc: f64,
    pub funding_received_usdc: f64,
    /// Funding accrued on open positions, not settled yet (lazy settlement).
    pub funding_owed_unsettled_usdc: f64,
    pub funding_due_unsettled_usdc: f64,
    /// What the fee pools paid for the AMM's side of funding.
    pub funding_paid_by_fee_pool_usdc: f64,
    pub liquidations: u64,
    pub bad_debt_usdc: f64,
    pub insurance_start_usdc: f64,
    pub insurance_end_usdc: f64,
    pub insurance_revenue_usdc: f64,
    pub insurance_bad_debt_paid_usdc: f64,
    pub keeper: KeeperStats,
    pub markets: Vec<MarketReport>,
    pub conservation: Conservation,
    pub wall_clock_secs: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "vAMM sandbox: seed {}, {:.1} simulated hours in {} steps, {} traders",
            self.seed, self.simulated_hours, self.steps, self.traders
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<9} {:>11} {:>11} {:>11} {:>14} {:>10} {:>6} {:>10} {:>9} {:>9}",
            "market", "start", "oracle", "mark", "volume", "fees", "liqs", "bad debt", "track", "max trk"
        )?;
        for m in &self.markets {
            writeln!(
                f,
                "{:<9} {:>11.2} {:>11.2} {:>11.2} {:>14.2} {:>10.2} {:>6} {:>10.2} {:>7.1}bp {:>7.1}bp",
                m.name,
                m.start_price_usdc,
                m.end_oracle_usdc,
                m.end_mark_usdc,
                m.volume_usdc,
                m.fees_usdc,
                m.liquidations,
                m.bad_debt_usdc,
                m.tracking_error_mean_bps,
                m.tracking_error_max_bps
            )?;
        }
        writeln!(f)?;
        writeln!(f, "trades executed      {}", self.trades_executed)?;
        let refused: u64 = self.trades_refused.values().sum();
        writeln!(f, "orders refused       {refused} {:?}", self.trades_refused)?;
        writeln!(f, "volume               {:.2} USDC", self.volume_usdc)?;
        writeln!(f, "fees                 {:.2} USDC", self.fees_usdc)?;
        writeln!(
            f,
            "funding              settled: paid {:.2}, received {:.2}; accrued: owed {:.2}, due {:.2}; fee pools paid {:.2} USDC",
            self.funding_paid_usdc,
            self.funding_received_usdc,
            self.funding_owed_unsettled_usdc,
            self.funding_due_unsettled_usdc,
            self.funding_paid_by_fee_pool_usdc
        )?;
        writeln!(f, "liquidations         {}", self.liquidations)?;
        writeln!(f, "bad debt             {:.2} USDC", self.bad_debt_usdc)?;
        writeln!(
            f,
            "insurance fund       {:.2} -> {:.2} USDC (revenue {:.2}, bad debt paid {:.2})",
            self.insurance_start_usdc,
            self.insurance_end_usdc,
            self.insurance_revenue_usdc,
            self.insurance_bad_debt_paid_usdc
        )?;
        let k = &self.keeper;
        writeln!(
            f,
            "keeper               {} ticks, {} funding settlements, {} liquidation steps ({} takeovers, {} into the curve towards the oracle), {} unwinds, {} bankruptcies, {} sweeps, {} treasury payouts, {} errors",
            k.ticks,
            k.funding_settled,
            k.liquidations,
            k.takeovers,
            k.curve_toward_oracle,
            k.unwinds,
            k.bankruptcies_resolved,
            k.sweeps,
            k.treasury_withdrawals,
            k.errors
        )?;
        let c = &self.conservation;
        writeln!(
            f,
            "conservation         {} (vault {} = ledger {}, insurance vault {} = fund {}, AMM mirrors positions: {})",
            if c.ok { "OK" } else { "BROKEN" },
            c.vault_native,
            c.ledger_native,
            c.insurance_vault_native,
            c.insurance_fund_native,
            c.amm_mirrors_positions
        )?;
        write!(f, "wall clock           {:.1} s", self.wall_clock_secs)
    }
}

/// Writes `report.json` and the charts into `dir`.
pub fn write(dir: &Path, report: &Report, history: &History) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(report).map_err(std::io::Error::other)? + "\n",
    )?;
    let steps = history.insurance.len().saturating_sub(1) as f64;
    let axis = TimeAxis::for_span(steps * history.hours_per_step * 3_600.0);
    let step = history.hours_per_step * 3_600.0 / axis.secs;
    let draw = |name: &str, panels: &[Panel]| -> std::io::Result<()> {
        let svg = render(axis.label, panels).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(name), svg)
    };
    for (i, name) in history.names.iter().enumerate() {
        let panel = Panel::new(
            format!("{name}: mark vs oracle"),
            "price (USDC)",
            vec![
                Series::stepped("oracle", step, &history.oracle[i]),
                Series::stepped("mark", step, &history.mark[i]),
            ],
        );
        draw(&format!("mark_vs_oracle_{}.svg", name.to_lowercase()), &[panel])?;
    }
    let fund = Series::stepped("fund balance", step, &history.insurance);
    draw("insurance_fund.svg", &[Panel::new("Insurance fund", "USDC", vec![fund])])?;
    let open_interest = history
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let total: Vec<f64> =
                history.oi_long[i].iter().zip(&history.oi_short[i]).map(|(l, s)| l + s).collect();
            Series::stepped(name.as_str(), step, &total)
        })
        .collect();
    draw("open_interest.svg", &[Panel::new("Open interest (long + short)", "USDC", open_interest)])
}

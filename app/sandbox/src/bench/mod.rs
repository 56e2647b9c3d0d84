//! The risk and execution benchmark: every scenario (`scenario`) under
//! every parameter set (`configuration`), each run through the real
//! program in the in-process runtime with the same seeded population and
//! oracle path, side by side in one table.

mod charts;
pub mod configuration;
mod run;
pub mod scenario;

pub use configuration::Configuration;
pub use run::{Sample, COST_SIZES_USDC, START_PRICE};
pub use scenario::Scenario;

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use vamm::instructions::CreateMarketParams;

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub seed: u64,
    pub scenarios: Vec<Scenario>,
    pub configurations: Vec<Configuration>,
    /// Where bench.json, the per-run CSVs and the per-scenario charts go
    /// (`None`: nowhere).
    pub out_dir: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            seed: 42,
            scenarios: Scenario::ALL.to_vec(),
            configurations: Configuration::ALL.to_vec(),
            out_dir: Some(PathBuf::from("bench-out")),
        }
    }
}

/// Price impact and fee of one trade on the listed curve.
#[derive(Clone, Debug, Serialize)]
pub struct TradeCost {
    pub size_usdc: u64,
    /// How far the trade moves the mark, bps.
    pub impact_bps: u64,
    /// Average fill against the mark before, bps.
    pub fill_vs_mark_bps: f64,
    pub fee_usdc: f64,
    /// The first of the program's limits, in the program's order, that
    /// refuses it as one order on the freshly listed market (mark at the
    /// oracle, no open interest): "mark-oracle band", "per-slot move",
    /// "open-interest cap" or "position cap"; `None` when it fills at
    /// once. Past the slot limit an order is split over slots; past the
    /// band, over time as arbitrage brings the mark back; a cap is a cap.
    pub refused_by: Option<String>,
}

/// What each role made or lost over the run, USDC: trader accounts by
/// their equity at the last oracle price (unrealised PnL, funding, and
/// claims at what the PnL pool can pay) minus what they deposited; the
/// insurance stakers by the fund against its balance at listing; the
/// market's pools (PnL, fee, treasury, pending insurance share) by what
/// they hold net of the claims on the PnL pool they can pay, plus the
/// losses owed to them, against the listing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RolePnl {
    pub crowd: f64,
    pub churners: f64,
    pub arbitrageurs: f64,
    /// The keeper's own account (liquidation fees, taken-over positions).
    pub liquidator: f64,
    pub attacker: Option<f64>,
    pub insurance_stakers: f64,
    pub pools: f64,
}

/// Traders' results, USDC.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Distribution {
    pub min: f64,
    pub p10: f64,
    pub median: f64,
    pub p90: f64,
    pub max: f64,
}

impl Distribution {
    pub fn of(mut values: Vec<f64>) -> Distribution {
        if values.is_empty() {
            return Distribution::default();
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        Distribution {
            min: values[0],
            p10: at(0.1),
            median: at(0.5),
            p90: at(0.9),
            max: values[values.len() - 1],
        }
    }
}

/// One scenario under one configuration. Amounts in USDC, gaps in bps.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    pub scenario: String,
    pub configuration: String,
    pub steps: u64,
    /// Seconds from the first step to the last, every order in its own
    /// slot (a little longer than the path when a step has many orders).
    pub simulated_secs: u64,
    pub path_secs: u64,
    /// The crowd's total base after it opened, whole units: the same under
    /// every configuration when the population is.
    pub population_base: f64,
    pub bad_debt_usdc: f64,
    pub bad_debt_insured_usdc: f64,
    pub socialised_loss_usdc: f64,
    pub bad_debt_unrecovered_usdc: f64,
    /// Losses recorded but not resolved by the end.
    pub unresolved_loss_usdc: f64,
    pub insurance_start_usdc: f64,
    /// Largest fall of the insurance fund from a previous high, sampled
    /// after every keeper pass (the whole fund when bad debt was
    /// socialised: that happens only once it is empty).
    pub insurance_drawdown_usdc: f64,
    pub insurance_end_usdc: f64,
    pub liquidations: u64,
    pub takeovers: u64,
    /// Base the keeper's liquidations closed or took over, at the fair
    /// price.
    pub liquidated_notional_usdc: f64,
    /// The mark against the price the program accepted, after the keeper
    /// and before the arbitrage desks.
    pub gap_max_bps: f64,
    pub gap_mean_bps: f64,
    /// The mark against the fair price after the arbitrage desks.
    pub fair_gap_max_bps: f64,
    pub fair_gap_mean_bps: f64,
    pub funding_paid_by_fee_pool_usdc: f64,
    pub trade_costs: Vec<TradeCost>,
    /// The attacker's collateral after closing, beyond its deposit
    /// (scenarios with one).
    pub attacker_extraction_usdc: Option<f64>,
    /// Profit claims the attacker holds that the PnL pool has not paid.
    pub attacker_unpaid_claims_usdc: Option<f64>,
    /// Each crowd trader's equity at the last oracle price minus its deposit.
    pub trader_pnl_usdc: Distribution,
    pub role_pnl_usdc: RolePnl,
    pub trades: u64,
    pub refused: u64,
    /// The orders refused (population, attacker and arbitrage desks), by
    /// the program's error name.
    pub refusals: BTreeMap<String, u64>,
    /// The vault held exactly the ledger, the insurance vault the fund, and
    /// the AMM mirrored the positions, at the end.
    pub conserved: bool,
    pub wall_secs: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConfigurationNote {
    pub name: String,
    pub approximations: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioNote {
    pub name: String,
    pub path: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub seed: u64,
    pub start_price_usdc: f64,
    pub scenarios: Vec<ScenarioNote>,
    pub configurations: Vec<ConfigurationNote>,
    pub runs: Vec<RunResult>,
}

/// Runs every scenario under every configuration; `protocol` is the
/// deploy configuration's listing (the other sets derive from it).
pub async fn run(options: &BenchOptions, protocol: &CreateMarketParams) -> Result<BenchReport, String> {
    let mut runs = Vec::new();
    for scenario in &options.scenarios {
        let mut samples_by_configuration = Vec::new();
        for configuration in &options.configurations {
            let (result, samples) = run::run(*scenario, *configuration, protocol, options.seed).await?;
            if let Some(dir) = &options.out_dir {
                write_samples(dir, &result, &samples)?;
            }
            if !result.conserved {
                return Err(format!(
                    "{} under {}: the vaults left the ledger",
                    result.scenario, result.configuration
                ));
            }
            samples_by_configuration.push((configuration.name(), samples));
            runs.push(result);
        }
        if let Some(dir) = &options.out_dir {
            let runs: Vec<(&str, &[Sample])> =
                samples_by_configuration.iter().map(|(name, samples)| (*name, samples.as_slice())).collect();
            let svg = charts::scenario_figure(scenario.name(), &runs)?;
            let path = dir.join(format!("{}.svg", scenario.name()));
            std::fs::write(&path, svg).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let report = BenchReport {
        seed: options.seed,
        start_price_usdc: START_PRICE as f64 / 1e6,
        scenarios: options
            .scenarios
            .iter()
            .map(|s| ScenarioNote { name: s.name().into(), path: s.describe().into() })
            .collect(),
        configurations: options
            .configurations
            .iter()
            .map(|c| ConfigurationNote { name: c.name().into(), approximations: c.approximations().into() })
            .collect(),
        runs,
    };
    if let Some(dir) = &options.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        let path = dir.join("bench.json");
        std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(report)
}

/// A run's time series as CSV: `<scenario>-<configuration>.csv`.
fn write_samples(dir: &std::path::Path, result: &RunResult, samples: &[Sample]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut csv = String::from(
        "secs,oracle_usdc,accepted_usdc,fair_usdc,mark_before_arbitrage_usdc,mark_usdc,insurance_usdc,open_interest_long,open_interest_short\n",
    );
    for s in samples {
        csv.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.9},{:.9}\n",
            s.secs,
            s.oracle as f64 / 1e6,
            s.accepted as f64 / 1e6,
            s.fair as f64 / 1e6,
            s.mark_before_arbitrage as f64 / 1e6,
            s.mark as f64 / 1e6,
            s.insurance as f64 / 1e6,
            s.open_interest_long as f64 / 1e9,
            s.open_interest_short as f64 / 1e9
        ));
    }
    let path = dir.join(format!("{}-{}.csv", result.scenario, result.configuration));
    std::fs::write(&path, csv).map_err(|e| format!("{}: {e}", path.display()))
}

/// The results as a Markdown table, one row per scenario and configuration.
pub fn table(report: &BenchReport) -> String {
    let mut out = String::from(
        "| scenario | configuration | bad debt | insured | socialised | unresolved | fund drawdown | liquidations (takeovers) | liquidated notional | gap max / mean (bps) | fair gap max / mean (bps) | fee pool funding | attacker (+ unpaid claims) | trader PnL p10 / median / p90 | refused | wall (s) |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &report.runs {
        let attacker = match (r.attacker_extraction_usdc, r.attacker_unpaid_claims_usdc) {
            (Some(taken), Some(claims)) => format!("{taken:.2} (+{claims:.2})"),
            _ => "-".to_string(),
        };
        let pnl = &r.trader_pnl_usdc;
        out.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} ({}) | {:.0} | {:.0} / {:.1} | {:.0} / {:.1} | {:.2} | {} | {:.0} / {:.0} / {:.0} | {} | {:.1} |\n",
            r.scenario,
            r.configuration,
            r.bad_debt_usdc,
            r.bad_debt_insured_usdc,
            r.socialised_loss_usdc,
            r.unresolved_loss_usdc,
            r.insurance_drawdown_usdc,
            r.liquidations,
            r.takeovers,
            r.liquidated_notional_usdc,
            r.gap_max_bps,
            r.gap_mean_bps,
            r.fair_gap_max_bps,
            r.fair_gap_mean_bps,
            r.funding_paid_by_fee_pool_usdc,
            attacker,
            pnl.p10,
            pnl.median,
            pnl.p90,
            r.refused,
            r.wall_secs,
        ));
    }
    out
}

/// Who made and lost what, one row per scenario and configuration.
pub fn role_table(report: &BenchReport) -> String {
    let mut out = String::from(
        "| scenario | configuration | crowd | churners | arbitrage desks | liquidator | attacker | insurance stakers | pools |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in &report.runs {
        let p = &r.role_pnl_usdc;
        let attacker = p.attacker.map_or("-".to_string(), whole);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.scenario,
            r.configuration,
            whole(p.crowd),
            whole(p.churners),
            whole(p.arbitrageurs),
            whole(p.liquidator),
            attacker,
            whole(p.insurance_stakers),
            whole(p.pools)
        ));
    }
    out
}

/// Whole USDC, without a "-0" for a loss of less than half a unit.
fn whole(usdc: f64) -> String {
    let rounded = usdc.round();
    format!("{}", if rounded == 0.0 { 0.0 } else { rounded })
}

/// Price impact and fee per configuration (the same in every scenario).
pub fn cost_table(report: &BenchReport) -> String {
    let mut out = String::from(
        "| configuration | trade (USDC) | impact (bps) | average fill vs mark (bps) | fee (USDC) | as one order |\n|---|---:|---:|---:|---:|---|\n",
    );
    let mut seen = Vec::new();
    for r in &report.runs {
        if seen.contains(&r.configuration) {
            continue;
        }
        seen.push(r.configuration.clone());
        for cost in &r.trade_costs {
            out.push_str(&format!(
                "| {} | {} | {} | {:.1} | {:.2} | {} |\n",
                r.configuration,
                cost.size_usdc,
                cost.impact_bps,
                cost.fill_vs_mark_bps,
                cost.fee_usdc,
                cost.refused_by.as_ref().map_or("yes".to_string(), |limit| format!("no: {limit}"))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_quantiles() {
        let d = Distribution::of((1..=11).map(f64::from).collect());
        assert_eq!((d.min, d.p10, d.median, d.p90, d.max), (1.0, 2.0, 6.0, 10.0, 11.0));
        assert_eq!(Distribution::of(vec![]).median, 0.0);
    }

    #[test]
    fn whole_usdc_has_no_negative_zero() {
        assert_eq!([-0.3, -0.0, 0.4, 1234.5, -702.6].map(whole), ["0", "0", "0", "1235", "-703"]);
    }
}

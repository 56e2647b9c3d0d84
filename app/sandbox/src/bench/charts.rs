//! One figure per scenario, every configuration on the same axes: the
//! prices, the mark's gap to the price the program accepted, the insurance
//! fund and the open interest.

use super::Sample;
use crate::chart::{render, Panel, Series, TimeAxis};

/// `runs`: each configuration's name and samples, on the same path.
pub fn scenario_figure(scenario: &str, runs: &[(&str, &[Sample])]) -> Result<String, String> {
    let span = runs.iter().filter_map(|(_, samples)| samples.last()).map(|s| s.secs).max().unwrap_or(0);
    let axis = TimeAxis::for_span(span as f64);
    let series = |name: &str, samples: &[Sample], value: &dyn Fn(&Sample) -> f64| {
        Series::new(name, samples.iter().map(|s| (s.secs as f64 / axis.secs, value(s))).collect())
    };
    let usdc = |native: u64| native as f64 / 1e6;

    // The marks first, so each configuration has the same colour in every
    // panel; the fair price and the oracle after them.
    let mut prices: Vec<Series> = runs
        .iter()
        .map(|(name, samples)| series(&format!("mark, {name}"), samples, &|s| usdc(s.mark_before_arbitrage)))
        .collect();
    if let Some((_, samples)) = runs.first() {
        prices.push(series("fair price", samples, &|s| usdc(s.fair)));
        if samples.iter().any(|s| s.oracle != s.fair) {
            prices.push(series("oracle", samples, &|s| usdc(s.oracle)));
        }
    }
    let gap_bps = |s: &Sample| {
        (s.mark_before_arbitrage as f64 - s.accepted as f64) / s.accepted.max(1) as f64 * 10_000.0
    };
    let open_interest =
        |s: &Sample| (s.open_interest_long + s.open_interest_short) as f64 / 1e9 * s.fair as f64 / 1e6;
    let per_run = |value: &dyn Fn(&Sample) -> f64| -> Vec<Series> {
        runs.iter().map(|(name, samples)| series(name, samples, value)).collect()
    };
    let panels = [
        Panel::new(format!("{scenario}: prices (marks after the keeper, before arbitrage)"), "USDC", prices),
        Panel::new("Mark against the price the program accepted", "bps", per_run(&gap_bps)),
        Panel::new("Insurance fund", "USDC", per_run(&|s| usdc(s.insurance))),
        Panel::new("Open interest, long + short, at the fair price", "USDC", per_run(&open_interest)),
    ];
    render(axis.label, &panels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(secs: u64, oracle: u64, mark: u64) -> Sample {
        Sample {
            secs,
            oracle,
            accepted: oracle,
            fair: 150_000_000,
            mark_before_arbitrage: mark,
            mark,
            insurance: 50_000_000_000,
            open_interest_long: 2_000_000_000,
            open_interest_short: 1_000_000_000,
        }
    }

    #[test]
    fn a_figure_shows_every_configuration_and_the_manipulated_oracle() {
        let protocol = [sample(0, 150_000_000, 150_000_000), sample(600, 1_500_000_000, 151_000_000)];
        let v1 = [sample(0, 150_000_000, 150_000_000), sample(610, 1_500_000_000, 400_000_000)];
        let svg = scenario_figure("oracle-pump", &[("protocol", &protocol), ("perp-v1", &v1)]).unwrap();
        for legend in ["fair price", "oracle", "mark, protocol", "mark, perp-v1", "minutes"] {
            assert!(crate::chart::tests::has_text(&svg, legend), "{legend} missing");
        }
        assert!(svg.contains("oracle-pump: prices"));
        // Four panels: prices (fair, oracle, two marks), gap, fund and open
        // interest (two each), each line with its legend mark.
        assert_eq!(svg.matches(r#"stroke-width="2" points"#).count(), 2 * (4 + 2 + 2 + 2));
    }
}

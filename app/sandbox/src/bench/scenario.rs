//! The benchmark's scenarios: seeded oracle paths (with the fair price an
//! arbitrageur trades towards) and the trader population each one runs.

use crate::prices::{random_walk, WalkParams};
use crate::rng::Rng;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    Calm,
    Trend,
    FlashCrash,
    Crash,
    OraclePump,
    HeavyVolume,
}

/// One step of a path, `PRICE_PRECISION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// What the oracle publishes.
    pub oracle: u64,
    /// What the asset is worth elsewhere: the arbitrageur trades the mark
    /// towards it. Equal to the oracle except while the oracle is
    /// manipulated.
    pub fair: u64,
}

#[derive(Clone, Debug)]
pub struct Path {
    pub step_secs: u64,
    pub ticks: Vec<Tick>,
}

/// Who trades: a crowd opening at the start, and traders churning volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crowd {
    pub traders: usize,
    /// Share of the crowd that goes long, percent.
    pub long_pct: u64,
    /// Leverage range, tenths (20 = 2x).
    pub min_leverage_tenths: u64,
    pub max_leverage_tenths: u64,
    /// Traders that open and close random sizes every step.
    pub churners: usize,
    /// An attacker with a large long who tries to profit from a
    /// manipulated oracle.
    pub attacker: bool,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::Calm,
        Scenario::Trend,
        Scenario::FlashCrash,
        Scenario::Crash,
        Scenario::OraclePump,
        Scenario::HeavyVolume,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Calm => "calm",
            Scenario::Trend => "trend",
            Scenario::FlashCrash => "flash-crash",
            Scenario::Crash => "crash-40",
            Scenario::OraclePump => "oracle-pump",
            Scenario::HeavyVolume => "heavy-volume",
        }
    }

    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The path's generator and its parameters, for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::Calm => "6 h in 1-minute steps, random walk with 0.1% volatility per step, no jumps",
            Scenario::Trend => "12 h in 1-minute steps, +20% drift spread evenly, 0.05% volatility per step",
            Scenario::FlashCrash => {
                "30 min in 10-second steps: flat 5 min, -15% over 3 min, back over 3 min, flat"
            }
            Scenario::Crash => "3 h in 30-second steps: flat 10 min, -40% over 30 min, then 0.1% noise",
            Scenario::OraclePump => {
                "30 min in 10-second steps: the oracle alone prints 10x for 2 min, then back; the fair price stays"
            }
            Scenario::HeavyVolume => {
                "12 h in 1-minute steps, random walk with 0.03% volatility per step, churning two-sided volume"
            }
        }
    }

    pub fn crowd(self) -> Crowd {
        let crowd = |long_pct, min, max| Crowd {
            traders: 24,
            long_pct,
            min_leverage_tenths: min,
            max_leverage_tenths: max,
            churners: 0,
            attacker: false,
        };
        match self {
            Scenario::Calm => crowd(50, 10, 50),
            Scenario::Trend => crowd(80, 20, 60),
            Scenario::FlashCrash => crowd(90, 50, 95),
            Scenario::Crash => crowd(75, 20, 90),
            Scenario::OraclePump => Crowd { attacker: true, ..crowd(50, 20, 80) },
            Scenario::HeavyVolume => Crowd { traders: 12, churners: 8, ..crowd(50, 10, 30) },
        }
    }

    /// The path from `start` (`PRICE_PRECISION`), seeded.
    pub fn path(self, start: u64, rng: &mut Rng) -> Path {
        let walk = |volatility: f64, steps: usize, rng: &mut Rng| -> Vec<u64> {
            let params = WalkParams { volatility, jump_probability: 0.0, jump_min: 0.0, jump_max: 0.0 };
            let mut prices = vec![start];
            prices.extend(random_walk(&[start], &[params], steps, rng).into_iter().map(|row| row[0]));
            prices
        };
        let (step_secs, oracle) = match self {
            Scenario::Calm => (60, walk(0.001, 360, rng)),
            Scenario::Trend => {
                let noise = walk(0.0005, 720, rng);
                let drift = |i: usize| (1.2f64.ln() * i as f64 / 720.0).exp();
                (60, noise.iter().enumerate().map(|(i, p)| scale(*p, drift(i))).collect())
            }
            Scenario::FlashCrash => (10, shape(start, &[(30, 1.0), (18, 0.85), (18, 1.0), (114, 1.0)])),
            Scenario::Crash => {
                let mut prices = shape(start, &[(20, 1.0), (60, 0.6)]);
                let bottom = *prices.last().expect("a shaped path");
                let tail = walk(0.001, 280, rng);
                prices.extend(tail.iter().skip(1).map(|p| scale(bottom, *p as f64 / start as f64)));
                (30, prices)
            }
            Scenario::OraclePump => {
                let mut prices = vec![start; 181];
                for price in prices.iter_mut().skip(30).take(12) {
                    *price = start * 10;
                }
                let ticks = prices.iter().map(|p| Tick { oracle: *p, fair: start }).collect();
                return Path { step_secs: 10, ticks };
            }
            Scenario::HeavyVolume => (60, walk(0.0003, 720, rng)),
        };
        Path { step_secs, ticks: oracle.into_iter().map(|p| Tick { oracle: p, fair: p }).collect() }
    }
}

fn scale(price: u64, factor: f64) -> u64 {
    (price as f64 * factor).round().max(1.0) as u64
}

/// A piecewise-linear path from `start`: each segment moves to `level`
/// (a multiple of `start`) over `steps` steps.
fn shape(start: u64, segments: &[(usize, f64)]) -> Vec<u64> {
    let mut prices = vec![start];
    let mut level = 1.0;
    for (steps, target) in segments {
        for step in 1..=*steps {
            prices.push(scale(start, level + (target - level) * step as f64 / *steps as f64));
        }
        level = *target;
    }
    prices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_have_the_documented_shape() {
        let start = 150_000_000;
        let flash = Scenario::FlashCrash.path(start, &mut Rng::new(1));
        assert_eq!(flash.ticks.len(), 181);
        let low = flash.ticks.iter().map(|t| t.oracle).min().unwrap();
        assert_eq!(low, start * 85 / 100);
        assert_eq!(flash.ticks.last().unwrap().oracle, start);
        let crash = Scenario::Crash.path(start, &mut Rng::new(1));
        assert_eq!(crash.ticks[80].oracle, start * 6 / 10);
        let pump = Scenario::OraclePump.path(start, &mut Rng::new(1));
        assert_eq!(pump.ticks.iter().filter(|t| t.oracle == start * 10).count(), 12);
        assert!(pump.ticks.iter().all(|t| t.fair == start));
        let trend = Scenario::Trend.path(start, &mut Rng::new(1));
        assert_eq!(trend.ticks.len(), 721);
    }

    #[test]
    fn the_same_seed_gives_the_same_path() {
        for scenario in Scenario::ALL {
            let a = scenario.path(100_000_000, &mut Rng::new(7));
            let b = scenario.path(100_000_000, &mut Rng::new(7));
            assert_eq!(a.ticks, b.ticks, "{}", scenario.name());
            assert_eq!(Scenario::from_name(scenario.name()), Some(scenario));
        }
    }
}

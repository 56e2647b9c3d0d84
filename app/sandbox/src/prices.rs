//! Oracle price paths: a seeded random walk with jumps, or a CSV file.

use crate::rng::Rng;

/// One market's path model, per step.
#[derive(Clone, Copy, Debug)]
pub struct WalkParams {
    /// Standard deviation of the log return per step.
    pub volatility: f64,
    /// Probability of a jump per step.
    pub jump_probability: f64,
    /// Jump size range (absolute log return).
    pub jump_min: f64,
    pub jump_max: f64,
}

/// Prices per step (row) and market (column), `PRICE_PRECISION`.
pub fn random_walk(start: &[u64], params: &[WalkParams], steps: usize, rng: &mut Rng) -> Vec<Vec<u64>> {
    let mut current: Vec<f64> = start.iter().map(|p| *p as f64).collect();
    let mut rows = Vec::with_capacity(steps);
    for _ in 0..steps {
        for (price, p) in current.iter_mut().zip(params) {
            let mut log_return = p.volatility * rng.normal();
            if rng.chance(p.jump_probability) {
                let size = p.jump_min + (p.jump_max - p.jump_min) * rng.unit();
                log_return += if rng.chance(0.5) { size } else { -size };
            }
            *price *= log_return.exp();
        }
        rows.push(current.iter().map(|p| p.round().max(1.0) as u64).collect());
    }
    rows
}

/// Reads a CSV of prices: a header line, then one row per step with one
/// decimal price per market (USDC), for example `SOL,BTC,ETH`.
pub fn from_csv(text: &str, markets: usize) -> Result<Vec<Vec<u64>>, String> {
    let mut rows = Vec::new();
    for (line_no, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let values: Result<Vec<u64>, String> = line
            .split(',')
            .map(|field| {
                field.trim().parse::<f64>().map_err(|e| format!("line {}: {e}", line_no + 1)).and_then(|v| {
                    if v > 0.0 {
                        Ok((v * 1e6).round() as u64)
                    } else {
                        Err(format!("line {}: price must be positive", line_no + 1))
                    }
                })
            })
            .collect();
        let values = values?;
        if values.len() != markets {
            return Err(format!("line {}: expected {markets} prices, found {}", line_no + 1, values.len()));
        }
        rows.push(values);
    }
    if rows.is_empty() {
        return Err("no price rows".into());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_is_deterministic_and_positive() {
        let params = [WalkParams { volatility: 0.01, jump_probability: 0.1, jump_min: 0.03, jump_max: 0.08 }];
        let a = random_walk(&[100_000_000], &params, 500, &mut Rng::new(7));
        let b = random_walk(&[100_000_000], &params, 500, &mut Rng::new(7));
        assert_eq!(a, b);
        assert!(a.iter().all(|row| row[0] > 0));
        assert_ne!(a, random_walk(&[100_000_000], &params, 500, &mut Rng::new(8)));
    }

    #[test]
    fn csv_rows_parse_and_bad_rows_are_named() {
        let rows = from_csv("SOL,BTC\n100.5,60000\n101,59000.25\n", 2).unwrap();
        assert_eq!(rows, vec![vec![100_500_000, 60_000_000_000], vec![101_000_000, 59_000_250_000]]);
        assert!(from_csv("SOL\n-1\n", 1).unwrap_err().contains("line 2"));
        assert!(from_csv("SOL,BTC\n1\n", 2).unwrap_err().contains("expected 2"));
    }
}

//! Human amounts to fixed point and back.

/// Parses a non-negative decimal ("12.5") into an integer with `decimals`
/// decimals, refusing more precision than that and overflow.
pub fn parse_decimal(text: &str, decimals: u32) -> Result<u64, String> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(format!("'{text}' is not a non-negative decimal number"));
    }
    if fraction.len() > decimals as usize {
        return Err(format!("'{text}' has more than {decimals} decimals"));
    }
    let scale = 10u64.pow(decimals);
    let whole: u64 =
        if whole.is_empty() { 0 } else { whole.parse().map_err(|_| format!("'{text}' is too large"))? };
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u64>().map_err(|_| format!("'{text}' is not a number"))?
            * 10u64.pow(decimals - fraction.len() as u32)
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// Formats an integer with `decimals` decimals.
pub fn format_decimal(value: i128, decimals: u32) -> String {
    let scale = 10i128.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.abs();
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = decimals as usize)
}

pub fn usdc(value: i128) -> String {
    format_decimal(value, 6)
}

/// Formats a non-negative integer with `decimals` decimals, without
/// trailing zeros ("40000", "12.5"): what a person writes in a file.
pub fn format_plain(value: u128, decimals: u32) -> String {
    let scale = 10u128.pow(decimals);
    let fraction = format!("{:0width$}", value % scale, width = decimals as usize);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{}", value / scale)
    } else {
        format!("{}.{fraction}", value / scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip() {
        assert_eq!(parse_decimal("12.5", 6).unwrap(), 12_500_000);
        assert_eq!(parse_decimal("0.000001", 6).unwrap(), 1);
        assert_eq!(parse_decimal("3", 9).unwrap(), 3_000_000_000);
        assert!(parse_decimal("1.0000001", 6).is_err());
        assert!(parse_decimal("-1", 6).is_err());
        assert!(parse_decimal("abc", 6).is_err());
        assert!(parse_decimal("99999999999999999999", 6).is_err());
        assert_eq!(format_decimal(-1_500_000, 6), "-1.500000");
        assert_eq!(format_plain(40_000_000_000_000, 9), "40000");
        assert_eq!(format_plain(12_500_000, 6), "12.5");
        assert_eq!(format_plain(1, 6), "0.000001");
        assert_eq!(format_plain(0, 4), "0");
    }

    proptest::proptest! {
        #[test]
        fn plain_format_parses_back(value in 0u64..u64::MAX / 1_000, decimals in 0u32..10) {
            let text = format_plain(u128::from(value), decimals);
            proptest::prop_assert_eq!(parse_decimal(&text, decimals), Ok(value));
        }
    }
}

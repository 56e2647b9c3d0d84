//! Checked arithmetic that turns every overflow, underflow and division by
//! zero into a program error.

use crate::error::VammError;
use crate::math::u256::U256;
use anchor_lang::prelude::*;

pub trait SafeMath: Sized {
    fn safe_add(self, rhs: Self) -> Result<Self>;
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    /// Floor division (towards zero for signed types).
    fn safe_div(self, rhs: Self) -> Result<Self>;
}

macro_rules! impl_safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[inline]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                self.checked_add(rhs).ok_or_else(|| error!(VammError::MathOverflow))
            }
            #[inline]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                self.checked_sub(rhs).ok_or_else(|| error!(VammError::MathOverflow))
            }
            #[inline]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                self.checked_mul(rhs).ok_or_else(|| error!(VammError::MathOverflow))
            }
            #[inline]
            fn safe_div(self, rhs: Self) -> Result<Self> {
                if rhs == Self::from(0u8) {
                    return err!(VammError::DivisionByZero);
                }
                self.checked_div(rhs).ok_or_else(|| error!(VammError::MathOverflow))
            }
        }
    )*};
}
impl_safe_math!(u16, u64, u128, i64, i128, U256);

/// `ceil(numerator / denominator)` for unsigned values.
pub fn div_ceil_u128(numerator: u128, denominator: u128) -> Result<u128> {
    let quotient = numerator.safe_div(denominator)?;
    if quotient.safe_mul(denominator)? == numerator {
        Ok(quotient)
    } else {
        quotient.safe_add(1)
    }
}

/// `ceil(numerator / denominator)` for 256-bit values.
pub fn div_ceil_u256(numerator: U256, denominator: U256) -> Result<U256> {
    let quotient = numerator.safe_div(denominator)?;
    if quotient.safe_mul(denominator)? == numerator {
        Ok(quotient)
    } else {
        quotient.safe_add(U256::one())
    }
}

/// `a * b / c`, rounded down (`round_up == false`) or up, computed in 256
/// bits so the product cannot overflow.
pub fn mul_div_u128(a: u128, b: u128, c: u128, round_up: bool) -> Result<u128> {
    let product = U256::from(a).safe_mul(U256::from(b))?;
    let quotient =
        if round_up { div_ceil_u256(product, U256::from(c))? } else { product.safe_div(U256::from(c))? };
    u256_to_u128(quotient)
}

/// `a * b / c` on u64 inputs with a u64 result.
pub fn mul_div_u64(a: u64, b: u64, c: u64, round_up: bool) -> Result<u64> {
    to_u64(mul_div_u128(a as u128, b as u128, c as u128, round_up)?)
}

pub fn u256_to_u128(value: U256) -> Result<u128> {
    if value.bits() > 128 {
        return err!(VammError::CastOverflow);
    }
    Ok(value.as_u128())
}

pub fn to_u64<T: TryInto<u64>>(value: T) -> Result<u64> {
    value.try_into().map_err(|_| error!(VammError::CastOverflow))
}

pub fn to_i64<T: TryInto<i64>>(value: T) -> Result<i64> {
    value.try_into().map_err(|_| error!(VammError::CastOverflow))
}

/// Integer square root, rounded down (Newton's method on 256 bits).
pub fn isqrt_u256(value: U256) -> U256 {
    if value.is_zero() {
        return U256::zero();
    }
    // Start above the root: 2^(ceil(bits/2)).
    let mut x = U256::one() << value.bits().div_ceil(2);
    loop {
        let y = (x + value / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// Integer square root of a u128, rounded down.
pub fn isqrt_u128(value: u128) -> u128 {
    isqrt_u256(U256::from(value)).as_u128()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overflow_is_an_error() {
        assert!(u64::MAX.safe_add(1).is_err());
        assert!(0u64.safe_sub(1).is_err());
        assert!(i64::MIN.safe_sub(1).is_err());
        assert!(5u64.safe_div(0).is_err());
        assert!(mul_div_u64(u64::MAX, u64::MAX, 1, false).is_err());
    }

    #[test]
    fn isqrt_known_values() {
        assert_eq!(isqrt_u128(0), 0);
        assert_eq!(isqrt_u128(1), 1);
        assert_eq!(isqrt_u128(15), 3);
        assert_eq!(isqrt_u128(16), 4);
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
    }

    proptest! {
        #[test]
        fn isqrt_is_floor_root(v in any::<u128>()) {
            let r = U256::from(isqrt_u128(v));
            prop_assert!(r * r <= U256::from(v));
            prop_assert!((r + 1) * (r + 1) > U256::from(v));
        }

        #[test]
        fn mul_div_rounding_brackets_exact(a in any::<u64>(), b in any::<u64>(), c in 1u64..) {
            let down = mul_div_u128(a as u128, b as u128, c as u128, false).unwrap();
            let up = mul_div_u128(a as u128, b as u128, c as u128, true).unwrap();
            prop_assert!(up == down || up == down + 1);
            let exact = (a as u128 * b as u128).is_multiple_of(c as u128);
            prop_assert_eq!(up == down, exact);
        }
    }
}

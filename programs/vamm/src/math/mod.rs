//! Pure fixed-point math: no accounts, no sysvars. Every function takes
//! integers in the precisions documented in `constants` and returns a
//! `Result`, so an overflow is an error and never a wrap or a panic. The
//! client crate previews trades with these same functions.

pub mod amm;
pub mod fees;
pub mod funding;
pub mod liquidation;
pub mod margin;
pub mod position;
pub mod price_guard;
pub mod safe;
pub mod shares;
pub mod stable_price;
pub mod u256;

pub use safe::SafeMath;

//! Account layouts. All program accounts are zero-copy with explicit
//! padding, a reserved tail for upgrades, and compile-time size checks so
//! the layout is the same on SBF and on the host.

pub mod exchange;
pub mod insurance;
pub mod market;
pub mod pod;
pub mod trader;

pub use exchange::*;
pub use insurance::*;
pub use market::*;
pub use pod::*;
pub use trader::*;

//! Account layouts. Program accounts are zero-copy with explicit padding,
//! a reserved tail for upgrades, and compile-time size checks so the
//! layout is the same on SBF and on the host; the one exception is the
//! small, rarely written governance `Proposal`.

pub mod exchange;
pub mod governance;
pub mod insurance;
pub mod market;
pub mod pod;
pub mod trader;

pub use exchange::*;
pub use governance::*;
pub use insurance::*;
pub use market::*;
pub use pod::*;
pub use trader::*;

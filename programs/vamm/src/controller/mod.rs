//! State transitions shared by instruction handlers: they take loaded
//! accounts (never `AccountInfo`s) and call into `math`.

pub mod bankruptcy;
pub mod claims;
pub mod curve;
pub mod funding;
pub mod governance;
pub mod insurance;
pub mod liquidation;
pub mod price_book;
pub mod settlement;
pub mod settlement_close;
pub mod takeover;
pub mod trade;

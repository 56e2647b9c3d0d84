pub mod create_market;
pub mod initialize_exchange;
pub mod repeg;
pub mod set_market_status;
pub mod set_unstake_cooldown;
pub mod settle_market;
pub mod update_market_params;

pub use create_market::*;
pub use initialize_exchange::*;
pub use repeg::*;
pub use set_market_status::*;
pub use set_unstake_cooldown::*;
pub use settle_market::*;
pub use update_market_params::*;

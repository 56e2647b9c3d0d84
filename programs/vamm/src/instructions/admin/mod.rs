pub mod create_market;
pub mod initialize_exchange;
pub mod set_unstake_cooldown;

pub use create_market::*;
pub use initialize_exchange::*;
pub use set_unstake_cooldown::*;

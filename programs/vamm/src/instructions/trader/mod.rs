pub mod close_position;
pub mod close_trader_account;
pub mod create_trader_account;
pub mod deposit;
pub mod open_position;
pub mod set_delegate;
pub mod trade_accounts;
pub mod withdraw;

pub use close_position::*;
pub use close_trader_account::*;
pub use create_trader_account::*;
pub use deposit::*;
pub use open_position::*;
pub use set_delegate::*;
pub use trade_accounts::*;
pub use withdraw::*;

pub mod liquidate;
pub mod resolve_bankruptcy;
pub mod settle_funding;
pub mod settle_pnl;
pub mod sweep_insurance_fees;
pub mod update_twaps;
pub mod withdraw_treasury;

pub use liquidate::*;
pub use resolve_bankruptcy::*;
pub use settle_funding::*;
pub use settle_pnl::*;
pub use sweep_insurance_fees::*;
pub use update_twaps::*;
pub use withdraw_treasury::*;

pub mod create_insurance_stake;
pub mod request_unstake;
pub mod stake_insurance;
pub mod unstake;

pub use create_insurance_stake::*;
pub use request_unstake::*;
pub use stake_insurance::*;
pub use unstake::*;

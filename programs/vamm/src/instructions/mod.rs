pub mod admin;
pub mod trader;

pub use admin::*;
pub use trader::*;

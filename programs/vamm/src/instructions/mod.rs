pub mod admin;
pub mod insurance;
pub mod keeper;
pub mod trader;

pub use admin::*;
pub use insurance::*;
pub use keeper::*;
pub use trader::*;

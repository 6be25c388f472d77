//! The site's pages, one module each.

pub mod car;
pub mod home;
pub mod listing;
pub mod results;
pub mod seller;

//! The catalog: sellers, listings and fitment; the feed format; bulk import and the
//! sellers' inventory sync API; the public read API.

pub mod api_keys;
pub mod feed;
pub mod import;
pub mod inventory;
pub mod listings;
pub mod routes;
pub mod sanitize;
pub mod sellers;
pub mod store;
pub mod taxonomy;

pub use routes::routes;

//! The catalog: sellers, listings and fitment; the feed format; bulk import and the
//! sellers' inventory sync API; the public read API.
//!
//! Only `routes` speaks HTTP; the rest returns [`CatalogError`], which the API's
//! envelope places on the wire.

pub mod api_keys;
mod cities;
pub mod error;
pub mod feed;
pub mod fitment;
pub mod import;
pub mod inventory;
pub mod listings;
pub mod photos;
mod routes;
pub mod sanitize;
pub mod sellers;
pub mod store;
pub mod taxonomy;

pub use cities::canonical_city;
pub use error::CatalogError;
pub use routes::{media_routes, routes};

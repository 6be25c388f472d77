//! CargoParts: an auto spare parts marketplace for Saudi Arabia.
//!
//! One service: the catalog in PostgreSQL, the HTTP API, and the command-line tools
//! engineers run it with. Four storeys, imports pointing down only: [`app`] (the
//! composition root) → the domain modules ([`catalog`], [`search`], [`auth`], [`orders`],
//! [`payments`], [`compliance`]) → [`http`]
//! (the API's conventions) → [`platform`] (what every module may use and none owns).
//! See `ARCHITECTURE.md` for how data flows between them.

pub mod app;
pub mod auth;
pub mod blocklist;
pub mod catalog;
pub mod cli;
pub mod compliance;
pub mod http;
pub mod kyc;
pub mod notify;
pub mod orders;
pub mod payments;
pub mod platform;
pub mod privacy;
pub mod search;
pub mod storefront;

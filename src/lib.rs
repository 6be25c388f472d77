//! CargoParts: an auto spare parts marketplace for Saudi Arabia.
//!
//! One service: the catalog in PostgreSQL, the HTTP API, and the command-line tools
//! engineers run it with. See `ARCHITECTURE.md` for how data flows between them.

pub mod api;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod search;
pub mod startup;
pub mod telemetry;

//! Integration tests against the real PostgreSQL (and Redis where a test says so).
//! One test binary: linking once keeps the suite fast.

mod catalog_import;
mod conventions;
mod helpers;
mod inventory_sync;
mod public_read;
mod search;

//! The orders module's SQL: orders with their groups and lines, stock, invoices.

pub mod invoices;
pub mod orders;
pub mod stock;

pub use orders::{GroupRecord, NewGroup, NewLine, NewOrder, OrderRecord};

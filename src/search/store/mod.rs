//! Every SQL statement of search: the change stream the index follows (`outbox`) and
//! the listings it is built from (`listings`). The rest of search reads PostgreSQL
//! only through these.

pub mod listings;
pub mod outbox;

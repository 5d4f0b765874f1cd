//! confab's SQLite storage: the locked data directory, the schema and its migrations,
//! history written by one group-committing thread and read from a pool, direct messages
//! waiting for offline accounts, accounts and server bans (with what a cluster's nodes
//! compare of them, `sync.rs`). Event bodies are opaque bytes: this crate
//! knows nothing of the chat core or of any protocol.

mod accounts;
mod bans;
mod batch;
mod checkpoint;
mod conversation;
mod db;
mod dir;
mod error;
#[cfg(test)]
mod fixtures;
mod group;
mod history;
mod latency;
mod marks;
mod pending;
mod ratelog;
mod read;
mod record;
mod retention;
mod schema;
mod sync;
mod targets;
mod writer;

pub use accounts::AccountRow;
pub use bans::BanRow;
pub use conversation::{Bound, Conversation};
pub use db::Database;
pub use dir::DataDir;
pub use error::StoreError;
pub use latency::{CommitLatency, COMMIT_BUCKETS_MICROS};
pub use marks::ReadMarkRow;
pub use read::Reader;
pub use record::{Edit, Keep, Record, Stored, WithRecord};
pub use retention::Retention;
pub use sync::{wins, AccountChange, BanChange, Change, Stamped, Version, TOMBSTONES_KEPT_MS};
pub use writer::{Writer, WriterConfig, WriterHandle, WriterStats};

/// The newest schema version this build knows (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = schema::KNOWN_VERSION;

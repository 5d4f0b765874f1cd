//! confab's server: listeners, the connection driver, one adapter per protocol joining the
//! codecs of `confab-proto` to the hub of `confab-core`, and the configuration.

pub mod accept;
pub mod accounts;
pub mod adapter;
pub mod alarms;
pub mod audit;
pub mod bans;
pub mod cluster_records;
pub mod config;
pub mod data;
pub mod driver;
pub mod ending;
pub mod history;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod problems;
pub mod reload;
pub mod server;
pub mod shared;
pub mod socket;
pub mod tls;

pub use confab_proto::{Listener, Protocol};
pub use config::{Config, IrcConfig, Limits, ListenSpec, ListenSpecs, Oper, TlsConfig};
pub use data::{DataSetting, HistoryConfig};
pub use http::HttpConfig;
pub use reload::{ReloadError, Reloaded, Reloader};
pub use server::{BindError, Server};

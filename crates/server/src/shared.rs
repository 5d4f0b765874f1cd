//! What every connection of a server shares: the hub, the limits, the IRC and HTTP
//! settings, the admission counts, the alarms and the metrics.

use std::sync::Arc;

use confab_core::Hub;

use crate::accounts::Accounts;
use crate::adapter::irc::Settings;
use crate::alarms::Alarms;
use crate::config::Limits;
use crate::history::History;
use crate::limits::Admission;
use crate::metrics::Metrics;

pub struct Shared {
    pub hub: Arc<Hub>,
    pub limits: Limits,
    pub irc: Arc<Settings>,
    /// The `http` listener's origins and header timeout.
    pub http: crate::http::Settings,
    /// Connections open, in all and per address, and each address's connection rate.
    pub admission: Arc<Admission>,
    /// Every connection's deadlines, rung by one task that [`crate::Server::run`] starts.
    pub alarms: Alarms,
    /// The data directory's accounts and history; `None` with `--data none`.
    pub history: Option<Arc<History>>,
    /// The password pool and failed-login counts (`crate::accounts`).
    pub accounts: Arc<Accounts>,
    /// What the `metrics` listener serves (`crate::metrics`).
    pub metrics: Metrics,
}

//! What every connection of a server shares: the hub, the limits, the IRC and HTTP
//! settings, the admission counts, the alarms and the metrics. A connection keeps the
//! `Shared` it was accepted with; a configuration reload makes a new one for the
//! connections after it, with the same hub, counts, alarms and metrics.

use std::sync::Arc;

use confab_core::Hub;

use crate::accounts::Accounts;
use crate::adapter::irc::Settings;
use crate::alarms::Alarms;
use crate::config::Limits;
use crate::history::History;
use crate::limits::Admission;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct Shared {
    pub hub: Arc<Hub>,
    pub limits: Limits,
    pub irc: Arc<Settings>,
    /// The `http` listener's origins and header timeout.
    pub http: crate::http::Settings,
    /// Connections open, in all and per address, and each address's connection rate.
    pub admission: Arc<Admission>,
    /// Every connection's deadlines, rung by one task that [`crate::Server::run`] starts.
    pub alarms: Arc<Alarms>,
    /// The data directory's accounts and history; `None` with `--data none`.
    pub history: Option<Arc<History>>,
    /// The password pool and failed-login counts (`crate::accounts`).
    pub accounts: Arc<Accounts>,
    /// What the `metrics` listener serves (`crate::metrics`).
    pub metrics: Arc<Metrics>,
}

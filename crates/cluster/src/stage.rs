//! The cluster stage: the hub's events on their way out. While the link is up each verb's
//! events go to the link, which publishes them and delivers them here only when they come
//! back from Redis, so every node delivers in the one order Redis gave. While it is down
//! they go straight on to the next stage: local users keep chatting.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use confab_core::{Routed, Stage};
use tokio::sync::{mpsc, oneshot};

use crate::stats::ClusterStats;

/// Verbs' worth of events the link may have waiting before they go on without crossing.
pub const OUTGOING_MAX: usize = 8192;

/// Where events go after the cluster: the store, or delivery when there is none.
#[derive(Clone)]
pub struct Next(pub Option<Arc<dyn Stage>>);

impl Next {
    pub fn forward(&self, routed: Vec<Routed>) {
        if routed.is_empty() {
            return;
        }
        match &self.0 {
            Some(stage) => stage.submit(routed),
            None => routed.into_iter().for_each(Routed::deliver),
        }
    }
}

/// What waits for the link, in the order it was made.
pub(crate) enum Outgoing {
    /// One verb's events.
    Verb(Vec<Routed>),
    /// Told once the link has handled everything queued before it (published it, and
    /// handed the store the history of any room it started listening to).
    Settle(oneshot::Sender<()>),
}

pub(crate) struct ClusterStage {
    pub(crate) outgoing: mpsc::Sender<Outgoing>,
    pub(crate) next: Next,
    pub(crate) stats: Arc<ClusterStats>,
}

impl Stage for ClusterStage {
    fn submit(&self, events: Vec<Routed>) {
        if !self.stats.up.load(Ordering::Acquire) {
            ClusterStats::add(&self.stats.local_only, 1);
            return self.next.forward(events);
        }
        if let Err(refused) = self.outgoing.try_send(Outgoing::Verb(events)) {
            ClusterStats::add(&self.stats.local_only, 1);
            let (mpsc::error::TrySendError::Full(Outgoing::Verb(events))
            | mpsc::error::TrySendError::Closed(Outgoing::Verb(events))) = refused
            else {
                return;
            };
            self.next.forward(events);
        }
    }
}

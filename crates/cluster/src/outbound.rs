//! The link's sending side: each verb's events published in the hub's order, after the
//! claims on any name they take (so a name announced to the cluster is this node's in
//! Redis first), with the claims of names given up released after their announcement.

use confab_core::hub::NodeSnapshot;
use confab_core::{EventKind, Name, Routed};
use redis::aio::MultiplexedConnection;
use redis::RedisResult;
use tokio::time::Instant;

use crate::keys;
use crate::link::Link;
use crate::stats::ClusterStats;
use crate::wire::{Body, Envelope, WireEvent};

/// Verbs' worth of events published in one round trip at most.
const BATCHES_PER_TRIP: usize = 256;
/// Users per snapshot part, which keeps a part well under the payload limit.
const USERS_PER_PART: usize = 500;

impl Link {
    /// Publishes `first` and whatever else is queued, in one pipeline.
    pub(crate) async fn publish(
        &mut self,
        conn: &mut MultiplexedConnection,
        first: Vec<Routed>,
    ) -> RedisResult<()> {
        let mut batches = vec![first];
        while batches.len() < BATCHES_PER_TRIP {
            match self.outgoing.try_recv() {
                Ok(batch) => batches.push(batch),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        let value = self.node.to_string();
        let now = Instant::now();
        for batch in batches {
            if let Some(lost) = self.claim_names(conn, &batch).await? {
                // Announced nowhere: the hub takes the name back from its user here.
                self.next.forward(batch);
                self.lose_name(&lost);
                continue;
            }
            self.seq += 1;
            let events = batch.iter().map(|r| WireEvent(r.event.clone())).collect();
            let envelope = self.envelope(Body::Events(events));
            pipe.cmd("PUBLISH")
                .arg(keys::CHANNEL)
                .arg(envelope.encode())
                .ignore();
            for name in given_up(&batch) {
                release_in(&mut pipe, &keys::name_key(name), &value);
            }
            self.pending.push_back((self.seq, now, batch));
            ClusterStats::add(&self.stats.published, 1);
        }
        pipe.query_async::<()>(conn).await
    }

    /// Claims every name `batch` announces as taken; the first one another node holds.
    async fn claim_names(
        &mut self,
        conn: &mut MultiplexedConnection,
        batch: &[Routed],
    ) -> RedisResult<Option<Name>> {
        let value = self.node.to_string();
        for routed in batch {
            if let EventKind::Presence {
                name,
                online: Some(_),
            } = routed.event.kind()
            {
                let key = keys::name_key(name);
                if !keys::claim_name(conn, &key, &value, self.config.lease).await? {
                    return Ok(Some(name.clone()));
                }
            }
        }
        Ok(None)
    }

    /// Publishes a message that carries no events of the hub.
    pub(crate) async fn send(
        &mut self,
        conn: &mut MultiplexedConnection,
        body: Body,
    ) -> RedisResult<()> {
        self.seq += 1;
        let envelope = self.envelope(body);
        ClusterStats::add(&self.stats.published, 1);
        redis::cmd("PUBLISH")
            .arg(keys::CHANNEL)
            .arg(envelope.encode())
            .query_async(conn)
            .await
    }

    /// Publishes this node's snapshot, in parts.
    pub(crate) async fn send_snapshot(
        &mut self,
        conn: &mut MultiplexedConnection,
    ) -> RedisResult<()> {
        let NodeSnapshot { users, rooms } = self.hub.local_snapshot();
        let mut parts: Vec<NodeSnapshot> = users
            .chunks(USERS_PER_PART)
            .map(|users| NodeSnapshot {
                users: users.to_vec(),
                rooms: Vec::new(),
            })
            .collect();
        if parts.is_empty() {
            parts.push(NodeSnapshot::default());
        }
        if let Some(last) = parts.last_mut() {
            last.rooms = rooms;
        }
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let last = i + 1 == count;
            self.send(conn, Body::Snapshot { last, part }).await?;
        }
        Ok(())
    }

    /// Tells the others this node is stopping and frees its names and number at once.
    pub(crate) async fn say_goodbye(&mut self, conn: &mut MultiplexedConnection) {
        let goodbye = async {
            self.send(conn, Body::Goodbye).await?;
            let value = self.node.to_string();
            let mut pipe = redis::pipe();
            for name in self.hub.local_names() {
                release_in(&mut pipe, &keys::name_key(&name), &value);
            }
            release_in(&mut pipe, &keys::node_key(self.node), &self.run.to_string());
            pipe.query_async::<()>(conn).await
        };
        match goodbye.await {
            Ok(()) => tracing::info!(node = self.node, "left the cluster"),
            Err(error) => tracing::warn!(%error, "could not say goodbye to the cluster"),
        }
    }

    fn envelope(&self, body: Body) -> Envelope {
        Envelope {
            node: self.node,
            run: self.run,
            seq: self.seq,
            body,
        }
    }
}

/// The names `batch` announces as given up.
fn given_up(batch: &[Routed]) -> impl Iterator<Item = &Name> {
    batch.iter().filter_map(|routed| match routed.event.kind() {
        EventKind::Presence { name, online: None } => Some(name),
        _ => None,
    })
}

/// Adds to `pipe` the deletion of `key` if it still holds `value`.
fn release_in(pipe: &mut redis::Pipeline, key: &str, value: &str) {
    pipe.cmd("EVAL")
        .arg(keys::RELEASE)
        .arg(1)
        .arg(key)
        .arg(value)
        .ignore();
}

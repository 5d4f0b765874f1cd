//! The link's sending side: each verb's events published in the hub's order, on the
//! control channel or their room's (`rooms.rs`), after the claims on any name they take
//! (so a name announced to the cluster is this node's in Redis first), with the claims of
//! names given up released after their announcement.

use confab_core::hub::NodeSnapshot;
use confab_core::{EventKind, Name, Routed};
use redis::aio::MultiplexedConnection;
use redis::RedisResult;
use tokio::time::Instant;

use crate::link::Link;
use crate::stage::Outgoing;
use crate::stats::ClusterStats;
use crate::wire::{Body, Envelope, WireEvent};
use crate::{keys, rooms};

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
        let mut settled = Vec::new();
        while batches.len() < BATCHES_PER_TRIP {
            match self.outgoing.try_recv() {
                Ok(Outgoing::Verb(batch)) => batches.push(batch),
                Ok(Outgoing::Settle(done)) => settled.push(done),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        let mut batches = batches.into_iter();
        while let Some(batch) = batches.next() {
            match self.prepare(conn, &batch).await {
                Ok(None) => {}
                Ok(Some(lost)) => {
                    // Announced nowhere: the hub takes the name back from its user here.
                    self.next.forward(batch);
                    self.lose_name(&lost);
                    continue;
                }
                Err(error) => {
                    // The link broke before these crossed: they are delivered here when
                    // it is marked down, after what this trip already held.
                    self.unsent.extend(std::iter::once(batch).chain(batches));
                    return Err(error);
                }
            }
            self.publish_in(&mut pipe, batch);
            ClusterStats::add(&self.stats.published, 1);
        }
        pipe.query_async::<()>(conn).await?;
        for done in settled {
            let _ = done.send(());
        }
        Ok(())
    }

    /// What must hold in Redis before `batch` is announced: the claims on the names it takes
    /// (the first one another node holds, if any), and the channel of any room a user of
    /// this node joins for the first time, listened to before anyone hears them join it so
    /// whatever is said there after the join reaches them.
    async fn prepare(
        &mut self,
        conn: &mut MultiplexedConnection,
        batch: &[Routed],
    ) -> RedisResult<Option<Name>> {
        if let Some(lost) = self.claim_names(conn, batch).await? {
            return Ok(Some(lost));
        }
        let rooms: Vec<Name> = rooms::joined(batch).cloned().collect();
        for room in &rooms {
            self.listen(conn, room).await?;
        }
        Ok(None)
    }

    /// Adds one verb's events to `pipe`: published on their channel, kept in their room's
    /// stream if they are a room's messages, and held until they are heard back (or
    /// delivered now, when this node does not listen to the room they were said in).
    fn publish_in(&mut self, pipe: &mut redis::Pipeline, batch: Vec<Routed>) {
        let room = rooms::channel_of(&batch).cloned();
        let channel = room
            .as_ref()
            .map_or_else(|| keys::CHANNEL.to_owned(), keys::room_channel);
        let seq = self.next_seq(&channel);
        let events = batch.iter().map(|r| WireEvent(r.event.clone())).collect();
        let payload = self.envelope(seq, Body::Events(events)).encode();
        // Kept first: a node that hears the message and then reads the stream finds it.
        if let Some(kept) = rooms::history_of(&batch) {
            self.keep_in(pipe, kept, &payload);
        }
        if let Some((old, new)) = rooms::renamed(&batch) {
            rooms::move_history_in(pipe, old, new);
        }
        pipe.cmd("PUBLISH").arg(&channel).arg(&payload).ignore();
        let value = self.node.to_string();
        for name in given_up(&batch) {
            release_in(pipe, &keys::name_key(name), &value);
        }
        let heard_back = room.is_none() || self.listening.contains_key(&channel);
        if heard_back {
            self.pending
                .entry(channel)
                .or_default()
                .push_back((seq, Instant::now(), batch));
            return;
        }
        // Said in a room nobody here is in (a message from outside): nothing comes back,
        // and it goes on after what this node sent on the control channel before it.
        match self.pending.get_mut(keys::CHANNEL) {
            Some(control) if !control.is_empty() => {
                let last = self.seq.get(keys::CHANNEL).copied().unwrap_or(0);
                control.push_back((last, Instant::now(), batch));
            }
            _ => self.next.forward(batch),
        }
    }

    /// The next sequence number of this node on `channel`.
    fn next_seq(&mut self, channel: &str) -> u64 {
        let seq = match self.seq.get_mut(channel) {
            Some(seq) => seq,
            None => self.seq.entry(channel.to_owned()).or_default(),
        };
        *seq += 1;
        *seq
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
        let seq = self.next_seq(keys::CHANNEL);
        let envelope = self.envelope(seq, body);
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

    fn envelope(&self, seq: u64, body: Body) -> Envelope {
        Envelope {
            node: self.node,
            run: self.run,
            seq,
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

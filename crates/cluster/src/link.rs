//! The link to Redis: one task that owns both connections (commands and the
//! subscription), connects and reconnects with backoff, and runs the node's side of the
//! cluster while connected: publishing (`outbound.rs`), listening (`inbound.rs`) to the
//! control channel and to its rooms' channels (`rooms.rs`), renewing its lease and
//! claims, and watching for nodes whose lease ran out.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use confab_core::hub::NodeSnapshot;
use confab_core::{Departure, Hub, Name, Routed, Text};
use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use redis::{AsyncConnectionConfig, Client, RedisResult};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{interval, sleep, Instant, MissedTickBehavior};

use crate::config::ClusterConfig;
use crate::keys;
use crate::records::Directory;
use crate::sharing::{Claim, Sharing};
use crate::stage::{Next, Outgoing};
use crate::stats::ClusterStats;

/// How often a node looks for nodes whose lease ran out.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// Longest wait between two tries to reach Redis.
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long a command may take before the connection counts as broken.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
/// How long this node's own events wait for their echo before they are delivered anyway.
const ECHO_WAIT: Duration = Duration::from_secs(2);

/// This node in the cluster: who it is and what it knows while the link runs.
pub(crate) struct Link {
    pub(crate) config: ClusterConfig,
    pub(crate) client: Client,
    pub(crate) node: u16,
    /// This run's token: the value of the node's lease, and the `run` of its envelopes.
    pub(crate) run: u64,
    pub(crate) hub: Arc<Hub>,
    pub(crate) next: Next,
    pub(crate) outgoing: mpsc::Receiver<Outgoing>,
    /// This node's accounts and bans (`sharing.rs`), when it keeps any.
    pub(crate) directory: Option<Arc<dyn Directory>>,
    /// Changes of this node's accounts and bans, to share.
    pub(crate) records: mpsc::Receiver<Sharing>,
    pub(crate) stats: Arc<ClusterStats>,
    /// The last sequence number this node sent, per channel.
    pub(crate) seq: HashMap<String, u64>,
    /// This node's events sent and not yet heard back, per channel, oldest first, with
    /// their number.
    pub(crate) pending: HashMap<String, VecDeque<Pending>>,
    /// Verbs the link took to publish and could not (it broke first), in order: delivered
    /// here, after `pending`, once it is marked down.
    pub(crate) unsent: Vec<Vec<Routed>>,
    /// Per channel, each other node's run and the last sequence number heard from it.
    pub(crate) heard: HashMap<String, HashMap<u16, (u64, u64)>>,
    /// The room channels this node listens to, with their room (`rooms.rs`).
    pub(crate) listening: HashMap<String, Name>,
    /// Rooms whose history this node fills again from their stream (it missed messages).
    pub(crate) owe_history: Vec<Name>,
    /// Rooms another node renamed under this node's users, with the rename's id: this
    /// node listens to their new channel and catches up from their stream.
    pub(crate) owe_catch_up: Vec<(Name, confab_core::MsgId)>,
    /// When this node last pushed back the expiry of each room stream it adds to.
    pub(crate) expiry_renewed: HashMap<String, Instant>,
    /// The subscribing half of the subscription connection, while connected.
    pub(crate) sink: Option<PubSubSink>,
    /// Snapshot parts received, per node, until the last one.
    pub(crate) partial: HashMap<u16, NodeSnapshot>,
    /// Set when this node owes the others its snapshot (asked by a Hello, or after a gap).
    pub(crate) owe_snapshot: bool,
    /// Set when this node should ask the others for theirs (it missed messages).
    pub(crate) owe_hello: bool,
    /// Told once this node has heard the snapshot of every node alive when it first
    /// connected (or could not connect), so it opens its listeners knowing the chat.
    pub(crate) ready: Option<oneshot::Sender<()>>,
    /// The nodes whose first snapshot this node still waits for.
    pub(crate) awaited: std::collections::HashSet<u16>,
    /// When the link last came up: nodes are not judged lost for one lease after it, the
    /// time every live node needs to reach a restarted Redis and take its lease again.
    pub(crate) up_since: Instant,
}

/// One of this node's verbs published and not yet heard back: its number on its channel,
/// when it was sent, and its events.
pub(crate) type Pending = (u64, Instant, Vec<Routed>);

/// Why a connected session of the link ended.
enum Ended {
    Left,
    Broken(String),
}

impl Link {
    /// Runs until `leave` fires: connected as often as Redis allows, serving local users
    /// alone in between.
    pub(crate) async fn run(mut self, mut leave: oneshot::Receiver<()>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.connect().await {
                Ok((conn, messages)) => {
                    backoff = Duration::from_millis(100);
                    let ended = self.serve(conn, messages, &mut leave).await;
                    self.set_down();
                    match ended {
                        Ended::Left => return,
                        Ended::Broken(why) => tracing::warn!(
                            redis = %self.config.shown_url(),
                            error = %why,
                            "cluster link lost: serving this node's users only until Redis is back"
                        ),
                    }
                }
                Err(error) => {
                    self.set_ready();
                    tracing::warn!(
                        redis = %self.config.shown_url(),
                        %error,
                        retry_ms = backoff.as_millis() as u64,
                        "cannot reach Redis"
                    )
                }
            }
            if self.wait_down(backoff, &mut leave).await {
                return;
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
            ClusterStats::add(&self.stats.reconnects, 1);
        }
    }

    /// Opens both connections and subscribes (the node's lease and claims are taken again
    /// first thing in [`Link::serve`]: they may have run out while Redis was away).
    async fn connect(&mut self) -> RedisResult<(MultiplexedConnection, PubSubStream)> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT));
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(keys::CHANNEL).await?;
        let (sink, messages) = pubsub.split();
        self.sink = Some(sink);
        // A new subscription listens to no room yet: `serve` follows them again. Redis may
        // have restarted empty: streams get their expiry again.
        self.listening.clear();
        self.expiry_renewed.clear();
        Ok((conn, messages))
    }

    async fn serve(
        &mut self,
        mut conn: MultiplexedConnection,
        mut messages: PubSubStream,
        leave: &mut oneshot::Receiver<()>,
    ) -> Ended {
        self.stats.up.store(true, Ordering::Release);
        self.up_since = Instant::now();
        tracing::info!(node = self.node, redis = %self.config.shown_url(), "cluster link up");
        // Claims first (Redis may have lost them): a name another node's user took while
        // the link was down is settled before this node tells anyone of its users.
        if let Err(error) = self.renew(&mut conn).await {
            return Ended::Broken(error.to_string());
        }
        // Accounts and bans before anyone hears of this node: what changed here while
        // Redis was away goes out, what changed elsewhere comes in.
        if let Err(error) = self.reconcile(&mut conn).await {
            return Ended::Broken(error.to_string());
        }
        if let Err(error) = self.follow_rooms(&mut conn).await {
            return Ended::Broken(error.to_string());
        }
        // Whoever knew this node from before hears its state anew; everyone answers with
        // theirs, so this node's picture of the cluster is whole again.
        (self.owe_hello, self.owe_snapshot) = (true, true);
        if self.ready.is_some() {
            match keys::live_nodes(&mut conn).await {
                Ok(nodes) => self.awaited = nodes.into_iter().filter(|&n| n != self.node).collect(),
                Err(error) => return Ended::Broken(error.to_string()),
            }
            self.heard_snapshot(None);
        }
        let mut renew = interval(self.config.lease / 3);
        let mut watch = interval(WATCH_EVERY);
        renew.set_missed_tick_behavior(MissedTickBehavior::Delay);
        watch.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if let Err(error) = self.settle_debts(&mut conn).await {
                return Ended::Broken(error.to_string());
            }
            let step = tokio::select! {
                biased;
                _ = &mut *leave => {
                    self.say_goodbye(&mut conn).await;
                    return Ended::Left;
                }
                message = messages.next() => match message {
                    Some(message) => {
                        self.receive(message.get_channel_name(), message.get_payload_bytes());
                        Ok(())
                    }
                    None => return Ended::Broken("the subscription closed".into()),
                },
                next = self.outgoing.recv() => match next {
                    Some(Outgoing::Verb(batch)) => self.publish(&mut conn, batch).await,
                    Some(Outgoing::Settle(done)) => {
                        let _ = done.send(());
                        Ok(())
                    }
                    None => return Ended::Left,
                },
                Some(sharing) = self.records.recv() => self.share(&mut conn, sharing).await,
                _ = renew.tick() => self.renew(&mut conn).await,
                _ = watch.tick() => self.watch(&mut conn).await,
            };
            if let Err(error) = step {
                return Ended::Broken(error.to_string());
            }
        }
    }

    /// The Hello and snapshot this node owes, sent between two steps of the loop.
    async fn settle_debts(&mut self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        if std::mem::take(&mut self.owe_hello) {
            self.send(conn, crate::wire::Body::Hello).await?;
        }
        for (room, after) in std::mem::take(&mut self.owe_catch_up) {
            self.listen(conn, &room).await?;
            self.catch_up(conn, &room, after).await?;
        }
        for room in std::mem::take(&mut self.owe_history) {
            self.fill_history(conn, &room).await?;
        }
        if std::mem::take(&mut self.owe_snapshot) {
            // Events made before the snapshot go first, so it never tells of older times.
            match self.outgoing.try_recv() {
                Ok(Outgoing::Verb(batch)) => self.publish(conn, batch).await?,
                Ok(Outgoing::Settle(done)) => {
                    let _ = done.send(());
                }
                Err(_) => {}
            }
            self.send_snapshot(conn).await?;
        }
        Ok(())
    }

    /// Notes the first snapshot of `node` heard; once every awaited node's is, this node
    /// is ready.
    pub(crate) fn heard_snapshot(&mut self, node: Option<u16>) {
        if let Some(node) = node {
            self.awaited.remove(&node);
        }
        if self.awaited.is_empty() {
            self.set_ready();
        }
    }

    fn set_ready(&mut self) {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
    }

    /// Marks the link down and delivers what waited for its echo, in order.
    fn set_down(&mut self) {
        self.stats.up.store(false, Ordering::Release);
        self.sink = None;
        let mut pending: Vec<Pending> = self.pending.drain().flat_map(|(_, p)| p).collect();
        pending.sort_by_key(|(_, sent, _)| *sent);
        for (_, _, routed) in pending {
            self.next.forward(routed);
        }
        for routed in std::mem::take(&mut self.unsent) {
            self.next.forward(routed);
        }
        while let Ok(next) = self.outgoing.try_recv() {
            self.pass_on(next);
        }
    }

    /// Waits `backoff` while the link is down, passing on whatever was still queued for
    /// it; `true` if the node is leaving.
    async fn wait_down(&mut self, backoff: Duration, leave: &mut oneshot::Receiver<()>) -> bool {
        let until = sleep(backoff);
        tokio::pin!(until);
        loop {
            tokio::select! {
                _ = &mut *leave => return true,
                _ = &mut until => return false,
                next = self.outgoing.recv() => match next {
                    Some(next) => self.pass_on(next),
                    None => return true,
                },
                // Nothing crosses now: the next reconciliation pushes the change.
                Some(sharing) = self.records.recv() => {
                    if let Some(claim) = sharing.claim {
                        let _ = claim.send(Claim::Alone);
                    }
                }
            }
        }
    }

    /// Hands on, without crossing, what waited for the link while it is down.
    fn pass_on(&self, next: Outgoing) {
        match next {
            Outgoing::Verb(batch) => self.next.forward(batch),
            Outgoing::Settle(done) => {
                let _ = done.send(());
            }
        }
    }

    /// Renews the node's lease and its users' claims; a claim lost (Redis restarted and
    /// another node's user took the name first) costs this node's user the name.
    async fn renew(&mut self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        let token = self.run.to_string();
        let lease = self.config.lease;
        if !keys::claim(conn, &keys::node_key(self.node), &token, lease).await? {
            tracing::error!(
                node = self.node,
                "another process holds this node's number in Redis"
            );
        }
        let names = self.hub.local_names();
        let claims: Vec<String> = names.iter().map(keys::name_key).collect();
        let value = self.node.to_string();
        for lost in keys::renew_all(conn, &claims, &value, lease).await? {
            if !keys::claim_name(conn, &claims[lost], &value, lease).await? {
                self.lose_name(&names[lost]);
            }
        }
        Ok(())
    }

    /// Delivers what overstayed its echo, and forgets the nodes whose lease ran out:
    /// their users quit here.
    async fn watch(&mut self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        self.deliver_overdue();
        self.follow_rooms(conn).await?;
        if self.up_since.elapsed() < self.config.lease {
            return Ok(());
        }
        for node in self.hub.known_nodes() {
            if !keys::node_alive(conn, node).await? {
                tracing::warn!(node, "a node's lease ran out: its users are gone");
                ClusterStats::add(&self.stats.nodes_lost, 1);
                self.forget(node, "Node lost");
            }
        }
        Ok(())
    }

    /// Forgets every user of `node`, who quit with `reason` for this node's users.
    pub(crate) fn forget(&mut self, node: u16, reason: &str) {
        self.heard.values_mut().for_each(|nodes| {
            nodes.remove(&node);
        });
        self.partial.remove(&node);
        let how = Departure::Removed {
            reason: Text::new(reason),
        };
        let routed = self.hub.forget_node(node, &how);
        self.next.forward(routed);
    }

    /// This node's user loses a name another node holds: disconnected, and the others
    /// get this node's snapshot so that nothing of the loser stays with them.
    pub(crate) fn lose_name(&mut self, name: &confab_core::Name) {
        tracing::warn!(%name, "name claimed by another node first: its holder here is disconnected");
        self.hub.give_up_name(name, "Name taken on another node");
        // The others drop what they knew of the loser; this node learns the winner.
        (self.owe_snapshot, self.owe_hello) = (true, true);
    }

    /// Delivers this node's events whose echo is overdue (Redis dropped it).
    fn deliver_overdue(&mut self) {
        for pending in self.pending.values_mut() {
            while pending
                .front()
                .is_some_and(|(_, sent, _)| sent.elapsed() >= ECHO_WAIT)
            {
                if let Some((_, _, routed)) = pending.pop_front() {
                    ClusterStats::add(&self.stats.missed, 1);
                    self.next.forward(routed);
                }
            }
        }
    }
}

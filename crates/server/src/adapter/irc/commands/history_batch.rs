//! A CHATHISTORY answer: read from the store on a blocking thread (SQLite calls never run
//! on the async threads), then played back in its place among the client's replies.
//!
//! ```text
//! :server BATCH +<ref> chathistory <target>
//! @batch=<ref>;time=<time>;msgid=<id> :nick!user@host PRIVMSG <target> :text
//! :server BATCH -<ref>
//! :server BATCH +<ref> draft/chathistory-targets
//! @batch=<ref> :server CHATHISTORY TARGETS <target> <time>
//! :server BATCH -<ref>
//! ```
//!
//! Without `batch` the same lines come without the batch and its tag. Every played-back
//! line carries its own time and msgid (history cannot be paged without them); without
//! `draft/event-playback` only PRIVMSG and NOTICE are read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use confab_core::{Name, Session};
use confab_proto::irc::render;
use confab_store::{Conversation, Reader, StoreError, Stored};

use super::super::caps::{Cap, Caps};
use super::super::label::wrap;
use super::super::ordered::{Ordered, Place};
use super::super::out::iso8601;
use super::super::render::replayed;
use super::super::IrcAdapter;
use super::chathistory::Query;
use crate::adapter::Context;
use crate::history::record::{event_of, in_room, party_name, MESSAGE_KINDS};

/// What to read.
pub enum Read {
    History {
        conversation: Conversation,
        query: Query,
        limit: usize,
    },
    Targets {
        /// The client's own key, for its direct conversations.
        party: String,
        /// The channels it is in: each one's key and the name to show.
        rooms: Vec<(String, String)>,
        from: i64,
        to: i64,
        limit: usize,
    },
}

/// One request, with all it needs on the blocking thread.
pub struct Job {
    reader: Reader,
    read: Read,
    caps: Caps,
    server: Arc<str>,
    /// The subcommand and the target as the client wrote them (echoed back).
    sub: String,
    target: String,
}

impl Job {
    pub fn new(me: &IrcAdapter, reader: Reader, sub: &str, target: &str, read: Read) -> Job {
        Job {
            reader,
            read,
            caps: me.caps,
            server: me.settings.server.clone(),
            sub: sub.to_string(),
            target: target.to_string(),
        }
    }

    /// The whole answer: the batch, or a `MESSAGE_ERROR` if the store failed.
    fn answer(&self) -> Bytes {
        let mut out = BytesMut::new();
        let done = match &self.read {
            Read::History {
                conversation,
                query,
                limit,
            } => self
                .rows(conversation, *query, *limit)
                .map(|rows| self.history(&rows, &mut out)),
            Read::Targets {
                party,
                rooms,
                from,
                to,
                limit,
            } => latest_within(&self.reader, party, rooms, (*from, *to), *limit)
                .map(|found| self.targets(party, rooms, &found, &mut out)),
        };
        if let Err(error) = done {
            tracing::warn!(%error, "CHATHISTORY could not read history");
            out.clear();
            let mut params = vec!["CHATHISTORY", "MESSAGE_ERROR", &self.sub];
            if !self.target.is_empty() {
                params.push(&self.target);
            }
            params.push("Messages could not be retrieved");
            render(&mut out, None, Some(&self.server), "FAIL", &params);
        }
        out.freeze()
    }

    fn rows(
        &self,
        conv: &Conversation,
        query: Query,
        limit: usize,
    ) -> Result<Vec<Stored>, StoreError> {
        let reader = if self.caps.has(Cap::EventPlayback) {
            self.reader.clone()
        } else {
            self.reader.only_kinds(&MESSAGE_KINDS)
        };
        match query {
            Query::Latest(after) => reader.latest(conv, after, limit),
            Query::Before(bound) => reader.before(conv, bound, limit),
            Query::After(bound) => reader.after(conv, bound, limit),
            Query::Around(bound) => reader.around(conv, bound, limit),
            Query::Between(a, b) => reader.between(conv, a, b, limit),
        }
    }

    /// The stored events as the client would have seen them, in a `chathistory` batch.
    fn history(&self, rows: &[Stored], out: &mut BytesMut) {
        let batch = self.open(out, &["chathistory", &self.target]);
        // A channel's conversation from before a rename is shown under its name now.
        let room = self
            .target
            .strip_prefix('#')
            .and_then(|r| Name::room(r).ok());
        for event in rows.iter().filter_map(event_of) {
            let event = match &room {
                Some(room) => in_room(event, room),
                None => event,
            };
            out.extend_from_slice(&replayed(&event, self.caps, batch.as_deref()));
        }
        self.close(out, batch);
    }

    /// Each conversation and its latest message time, in a `draft/chathistory-targets`
    /// batch. A direct conversation shows the other party (or oneself).
    fn targets(
        &self,
        party: &str,
        rooms: &[(String, String)],
        found: &[(Conversation, i64)],
        out: &mut BytesMut,
    ) {
        let batch = self.open(out, &["draft/chathistory-targets"]);
        let tags = batch.as_ref().map(|id| format!("batch={id}"));
        for (conversation, at_ms) in found {
            let name = match conversation {
                Conversation::Room(key) => rooms
                    .iter()
                    .find(|(k, _)| k == key)
                    .map_or_else(|| format!("#{key}"), |(_, shown)| shown.clone()),
                Conversation::Direct(a, b) if a == party => party_name(b).to_string(),
                Conversation::Direct(a, _) => party_name(a).to_string(),
            };
            let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(*at_ms).unwrap_or(0));
            let params = ["TARGETS", name.as_str(), &iso8601(at)];
            render(
                out,
                tags.as_deref(),
                Some(&self.server),
                "CHATHISTORY",
                &params,
            );
        }
        self.close(out, batch);
    }

    /// `BATCH +<ref> <type> [params]` for a `batch` client: the new reference.
    fn open(&self, out: &mut BytesMut, params: &[&str]) -> Option<String> {
        if !self.caps.has(Cap::Batch) {
            return None;
        }
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = format!("hist{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let open = format!("+{id}");
        let mut all = vec![open.as_str()];
        all.extend_from_slice(params);
        render(out, None, Some(&self.server), "BATCH", &all);
        Some(id)
    }

    fn close(&self, out: &mut BytesMut, batch: Option<String>) {
        if let Some(id) = batch {
            render(out, None, Some(&self.server), "BATCH", &[&format!("-{id}")]);
        }
    }
}

/// The conversations whose latest message falls strictly between the two times (ergo's
/// rule: one that went on after the window is not listed), oldest first; with the first
/// time the later, the last `limit`, else the first.
fn latest_within(
    reader: &Reader,
    party: &str,
    rooms: &[(String, String)],
    (from, to): (i64, i64),
    limit: usize,
) -> Result<Vec<(Conversation, i64)>, StoreError> {
    let keys: Vec<String> = rooms.iter().map(|(key, _)| key.clone()).collect();
    let (lo, hi) = (from.min(to), from.max(to));
    // Each conversation's latest message after `lo`, however late, then the window's end.
    let mut found = reader.targets(party, &keys, lo, i64::MAX, usize::MAX)?;
    found.retain(|(_, at)| *at < hi);
    if from > to {
        found.drain(..found.len().saturating_sub(limit));
    } else {
        found.truncate(limit);
    }
    Ok(found)
}

/// Reserves the answer's place among the client's replies and reads it on a blocking
/// thread; the answer fills the place when it is ready.
pub fn spawn(me: &mut IrcAdapter, cx: &Context<'_>, job: Job) {
    let ordered = me.seldom().ordered.get_or_insert_with(Arc::default).clone();
    let session: &Arc<Session> = cx.session;
    let place: Place = Ordered::reserve(&ordered, session);
    // The answer is the labeled response: label it when it is ready, not now.
    let label = me.seldom().label.take();
    let batch = me.caps.has(Cap::Batch);
    let history = cx.shared.history.clone();
    tokio::spawn(async move {
        // In a cluster, a room this node had nobody in gets its history from the others
        // when a user here joins it: the read waits for that (at once when alone).
        if let Some(history) = history {
            history.settle().await;
        }
        let server = job.server.clone();
        let answer = tokio::task::spawn_blocking(move || job.answer()).await;
        // A read that panicked answers nothing; the place is filled so later replies flow.
        let answer = answer.unwrap_or_default();
        place.fill(match label {
            Some(label) => wrap(&label, &server, Some(answer), batch),
            None => answer,
        });
    });
}

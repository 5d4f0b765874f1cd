//! `targets`: which conversations a party had activity in between two times, for
//! `CHATHISTORY TARGETS`.

use rusqlite::{params, Connection, OptionalExtension};

use crate::conversation::Conversation;
use crate::error::StoreError;
use crate::read::Reader;

/// Everyone the party has had a direct conversation with (itself included, if so).
const PARTNERS: &str = "SELECT other FROM direct_parties WHERE party = ?1";

/// One direct conversation's latest message in the window: one seek in
/// `events_conversation`, whose keys are the pair smaller first.
const DIRECT_LATEST: &str = "
    SELECT max(at_ms) FROM events
    WHERE target = ?1 AND peer = ?2 AND at_ms > ?3 AND at_ms < ?4";

const ROOM_LATEST: &str = "
    SELECT at_ms FROM events
    WHERE target = ?1 AND peer IS NULL AND at_ms > ?2 AND at_ms < ?3
    ORDER BY at_ms DESC LIMIT 1";

impl Reader {
    /// The conversations among `rooms` and `party`'s direct conversations that have
    /// messages strictly between `from` and `to` (ms), each with its latest message time
    /// in that window, ordered by that time (oldest first). With `from` earlier than `to`
    /// the first `limit` are kept, with `from` later the last `limit`.
    pub fn targets(
        &self,
        party: &str,
        rooms: &[String],
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Vec<(Conversation, i64)>, StoreError> {
        let (lo, hi) = (from.min(to), from.max(to));
        let mut found = self.with("list conversations with history", |conn| {
            let mut found = direct(conn, party, lo, hi)?;
            for room in rooms {
                let latest: Option<i64> = conn
                    .prepare_cached(ROOM_LATEST)?
                    .query_row(params![room, lo, hi], |row| row.get(0))
                    .optional()?;
                if let Some(at) = latest {
                    found.push((Conversation::Room(room.clone()), at));
                }
            }
            Ok(found)
        })?;
        found.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        if from > to {
            let skip = found.len().saturating_sub(limit);
            found.drain(..skip);
        } else {
            found.truncate(limit);
        }
        Ok(found)
    }
}

fn direct(
    conn: &Connection,
    party: &str,
    lo: i64,
    hi: i64,
) -> rusqlite::Result<Vec<(Conversation, i64)>> {
    let partners: Vec<String> = conn
        .prepare_cached(PARTNERS)?
        .query_map(params![party], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut latest = conn.prepare_cached(DIRECT_LATEST)?;
    let mut found = Vec::new();
    for other in partners {
        let conversation = Conversation::direct(party, other);
        let (target, peer) = conversation.columns();
        let at: Option<i64> = latest.query_row(params![target, peer, lo, hi], |row| row.get(0))?;
        if let Some(at) = at {
            found.push((conversation, at));
        }
    }
    Ok(found)
}

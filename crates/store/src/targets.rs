//! `targets`: which conversations a party had activity in between two times, for
//! `CHATHISTORY TARGETS`.

use rusqlite::{params, Connection, OptionalExtension};

use crate::conversation::Conversation;
use crate::error::StoreError;
use crate::read::Reader;

/// The party's direct conversations where it is the stored `target` (the smaller key).
const DIRECT_AS_TARGET: &str = "
    SELECT peer, max(at_ms) FROM events
    WHERE target = ?1 AND peer IS NOT NULL AND at_ms > ?2 AND at_ms < ?3
    GROUP BY peer";

/// ... and where it is the stored `peer`; a conversation with oneself was counted above.
const DIRECT_AS_PEER: &str = "
    SELECT target, max(at_ms) FROM events
    WHERE peer = ?1 AND target <> ?1 AND at_ms > ?2 AND at_ms < ?3
    GROUP BY target";

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
    let mut found = Vec::new();
    for sql in [DIRECT_AS_TARGET, DIRECT_AS_PEER] {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![party, lo, hi], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (other, at) = row?;
            found.push((Conversation::direct(party, other), at));
        }
    }
    Ok(found)
}

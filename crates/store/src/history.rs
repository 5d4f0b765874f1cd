//! The chathistory queries on a `Reader`: `latest`, `before`, `after`, `around` and
//! `between`, with IRCv3 `draft/chathistory` semantics (exclusive bounds, `limit` caps).
//!
//! Every query is one range scan over the `events_conversation` index between two edges
//! of `(at_ms, msgid)`, walked forwards or backwards; results are always oldest first.

use rusqlite::{params, Connection, OptionalExtension};

use crate::conversation::{first_edge, last_edge, Bound, Conversation, Edge, Resolved};
use crate::error::StoreError;
use crate::read::Reader;
use crate::record::{Stored, STORED_COLUMNS};

/// Which end of the range the `limit` is taken from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    Oldest,
    Newest,
}

/// A range of one conversation: messages `> lower` (or `>= lower` if `inclusive`) and
/// `< upper`.
struct Range {
    lower: Edge,
    inclusive: bool,
    upper: Edge,
}

impl Reader {
    /// `LATEST`: the newest `limit` messages, only those after `after` if given.
    pub fn latest(
        &self,
        conv: &Conversation,
        after: Option<Bound>,
        limit: usize,
    ) -> Result<Vec<Stored>, StoreError> {
        let kinds = self.kinds();
        self.with("read the latest history", |conn| {
            let lower = match after {
                None => first_edge(),
                Some(bound) => match resolve(conn, conv, bound)? {
                    Some(found) => found.after_edge(),
                    None => return Ok(Vec::new()),
                },
            };
            let range = Range {
                lower,
                inclusive: after.is_none(),
                upper: last_edge(),
            };
            scan(conn, conv, kinds, &range, Take::Newest, limit)
        })
    }

    /// `BEFORE`: the `limit` messages just before `bound`.
    pub fn before(
        &self,
        conv: &Conversation,
        bound: Bound,
        limit: usize,
    ) -> Result<Vec<Stored>, StoreError> {
        let side = |found: &Resolved| (below(found), Take::Newest);
        self.beside(conv, bound, limit, "read history before a bound", side)
    }

    /// `AFTER`: the `limit` messages just after `bound`.
    pub fn after(
        &self,
        conv: &Conversation,
        bound: Bound,
        limit: usize,
    ) -> Result<Vec<Stored>, StoreError> {
        let side = |found: &Resolved| (above(found), Take::Oldest);
        self.beside(conv, bound, limit, "read history after a bound", side)
    }

    /// The `limit` messages on one side of `bound`: `side` gives the range it makes of the
    /// bound found and the end the limit is taken from; nothing when the bound is not found.
    fn beside(
        &self,
        conv: &Conversation,
        bound: Bound,
        limit: usize,
        doing: &'static str,
        side: impl FnOnce(&Resolved) -> (Range, Take),
    ) -> Result<Vec<Stored>, StoreError> {
        let kinds = self.kinds();
        self.with(doing, |conn| {
            let Some(found) = resolve(conn, conv, bound)? else {
                return Ok(Vec::new());
            };
            let (range, take) = side(&found);
            scan(conn, conv, kinds, &range, take, limit)
        })
    }

    /// `AROUND`: `limit / 2` messages before `bound` and the rest at or after it (a msgid
    /// bound's own message included).
    pub fn around(
        &self,
        conv: &Conversation,
        bound: Bound,
        limit: usize,
    ) -> Result<Vec<Stored>, StoreError> {
        let kinds = self.kinds();
        self.with("read history around a bound", |conn| {
            let Some(found) = resolve(conn, conv, bound)? else {
                return Ok(Vec::new());
            };
            let early = limit / 2;
            let mut out = scan(conn, conv, kinds, &below(&found), Take::Newest, early)?;
            let from_here = Range {
                lower: found.before_edge(),
                inclusive: true,
                upper: last_edge(),
            };
            out.extend(scan(
                conn,
                conv,
                kinds,
                &from_here,
                Take::Oldest,
                limit - early,
            )?);
            Ok(out)
        })
    }

    /// `BETWEEN`: messages strictly between `a` and `b`. With `a` earlier, the first
    /// `limit` after `a`; with `a` later, the last `limit` before `a`.
    pub fn between(
        &self,
        conv: &Conversation,
        a: Bound,
        b: Bound,
        limit: usize,
    ) -> Result<Vec<Stored>, StoreError> {
        let kinds = self.kinds();
        self.with("read history between two bounds", |conn| {
            let (Some(a), Some(b)) = (resolve(conn, conv, a)?, resolve(conn, conv, b)?) else {
                return Ok(Vec::new());
            };
            if a.before_edge() < b.before_edge() {
                let range = Range {
                    upper: b.before_edge(),
                    ..above(&a)
                };
                scan(conn, conv, kinds, &range, Take::Oldest, limit)
            } else {
                let range = Range {
                    upper: a.before_edge(),
                    ..above(&b)
                };
                scan(conn, conv, kinds, &range, Take::Newest, limit)
            }
        })
    }
}

/// Everything before `found`.
fn below(found: &Resolved) -> Range {
    Range {
        lower: first_edge(),
        inclusive: true,
        upper: found.before_edge(),
    }
}

/// Everything after `found`.
fn above(found: &Resolved) -> Range {
    Range {
        lower: found.after_edge(),
        inclusive: false,
        upper: last_edge(),
    }
}

/// Turns a bound into a position, or `None` for a msgid this conversation does not hold
/// (a msgid from another conversation must not leak where that one stands).
fn resolve(
    conn: &Connection,
    conv: &Conversation,
    bound: Bound,
) -> rusqlite::Result<Option<Resolved>> {
    let msgid = match bound {
        Bound::Time(t) => return Ok(Some(Resolved::Time(t))),
        Bound::MsgId(msgid) => msgid,
    };
    let (target, peer) = conv.columns();
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms FROM events WHERE msgid = ?1 AND target = ?2 AND peer IS ?3",
    )?;
    let at: Option<i64> = stmt
        .query_row(params![msgid, target, peer], |row| row.get(0))
        .optional()?;
    Ok(at.map(|at| Resolved::Row(at, msgid)))
}

/// One index range scan, `limit` rows from the `from` end, returned oldest first.
fn scan(
    conn: &Connection,
    conv: &Conversation,
    kinds: Option<&str>,
    range: &Range,
    from: Take,
    limit: usize,
) -> rusqlite::Result<Vec<Stored>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let (target, peer) = conv.columns();
    let mut stmt = conn.prepare_cached(&scan_sql(range.inclusive, from, kinds.is_some()))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (lower, upper) = (&range.lower, &range.upper);
    let rows = match kinds {
        None => stmt.query_map(
            params![target, peer, lower.0, lower.1, upper.0, upper.1, limit],
            Stored::from_row,
        )?,
        Some(kinds) => stmt.query_map(
            params![target, peer, lower.0, lower.1, upper.0, upper.1, limit, kinds],
            Stored::from_row,
        )?,
    };
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    if from == Take::Newest {
        out.reverse();
    }
    Ok(out)
}

/// The scan's SQL. Only eight distinct texts, so the statement cache keeps them all. A
/// kind filter (`?8`, `,kind,kind,`) is checked on each row the index range yields.
fn scan_sql(inclusive: bool, from: Take, filtered: bool) -> String {
    let lower_op = if inclusive { ">=" } else { ">" };
    let order = match from {
        Take::Oldest => "ASC",
        Take::Newest => "DESC",
    };
    let kinds = if filtered {
        "AND instr(?8, ',' || kind || ',') > 0"
    } else {
        ""
    };
    format!(
        "SELECT {STORED_COLUMNS} FROM events
         WHERE target = ?1 AND peer IS ?2
           AND (at_ms, msgid) {lower_op} (?3, ?4) AND (at_ms, msgid) < (?5, ?6) {kinds}
         ORDER BY at_ms {order}, msgid {order} LIMIT ?7"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;

    /// Every history query must be one range scan of `events_conversation` in index
    /// order: a full scan or a sort would make a query cost the whole table.
    #[test]
    fn every_scan_is_an_index_range_in_index_order() {
        let tmp = tempfile::tempdir().unwrap();
        let db = DataDir::open(tmp.path()).unwrap().database().unwrap();
        for (inclusive, filtered) in [(false, false), (true, false), (false, true), (true, true)] {
            for from in [Take::Oldest, Take::Newest] {
                let plan = db
                    .with("explain", |conn| {
                        let sql = scan_sql(inclusive, from, filtered);
                        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                        let nulls = vec![rusqlite::types::Null; 7 + usize::from(filtered)];
                        let nulls = rusqlite::params_from_iter(nulls);
                        let rows = stmt.query_map(nulls, |row| row.get::<_, String>(3))?;
                        rows.collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .unwrap();
                assert_eq!(
                    plan,
                    ["SEARCH events USING INDEX events_conversation \
                      (target=? AND peer=? AND (at_ms,msgid)>(?,?) AND (at_ms,msgid)<(?,?))"]
                );
            }
        }
    }
}

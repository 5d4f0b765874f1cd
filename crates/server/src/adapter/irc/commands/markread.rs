//! `MARKREAD <target> [timestamp=YYYY-MM-DDThh:mm:ss.sssZ]` (IRCv3 `draft/read-marker`):
//! without a time, asks how far `target` (a channel or a nick) has been read; with one,
//! moves the mark forward (never back). Either way the answer is
//! `:server MARKREAD <target> timestamp=<time>`, or `*` when there is no mark. A logged-in
//! client's marks are its account's (shared by its sessions, stored with history); a
//! client not logged in keeps its own for the connection. A missing target is
//! `FAIL MARKREAD NEED_MORE_PARAMS`, a bad target or time `FAIL MARKREAD INVALID_PARAMS`.

use std::collections::HashMap;

use confab_core::hub::READ_MARKS_MAX;
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{Name, Target};
use confab_proto::irc::Message;

use super::super::caps::Cap;
use super::super::out::iso8601;
use super::super::render::target_param;
use super::super::IrcAdapter;
use super::chathistory::timestamp;
use super::room_name_of;
use crate::adapter::{Context, Flow};

/// The marks of a client not logged in, by target as IRC folds it, at most
/// [`READ_MARKS_MAX`] (past that, new targets are not marked). Boxed and made at the
/// first mark: 8 bytes in every IRC connection rather than a `HashMap`'s 48.
#[derive(Default)]
#[expect(clippy::box_collection, reason = "8 bytes per connection, not 48")]
pub struct SessionMarks(Option<Box<HashMap<String, u64>>>);

impl SessionMarks {
    fn advance(&mut self, target: &Target, at_ms: u64) -> Option<u64> {
        let key = target_param(target).to_ascii_lowercase();
        let marks = self.0.get_or_insert_with(Box::default);
        if !marks.contains_key(&key) && marks.len() >= READ_MARKS_MAX {
            return marks.get(&key).copied();
        }
        let mark = marks.entry(key).or_insert(at_ms);
        *mark = (*mark).max(at_ms);
        Some(*mark)
    }

    fn get(&self, target: &Target) -> Option<u64> {
        let key = target_param(target).to_ascii_lowercase();
        self.0.as_ref()?.get(&key).copied()
    }
}

/// `timestamp=<time>`, or `*` for no mark.
pub fn mark_param(at_ms: Option<u64>) -> String {
    match at_ms {
        Some(ms) => {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
            format!("timestamp={}", iso8601(at))
        }
        None => "*".to_string(),
    }
}

pub fn markread(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let Some(param) = m.param(0).filter(|p| !p.is_empty()) else {
        let text = "MARKREAD needs a target";
        me.out
            .server_line("FAIL", &["MARKREAD", "NEED_MORE_PARAMS", text]);
        return Flow::Continue;
    };
    let Some(target) = target_of(param) else {
        return invalid(me, param, "Not a channel or nick");
    };
    let mark = match m.param(1) {
        None => read_mark(me, cx, &target),
        Some(time) => {
            let at_ms = time
                .strip_prefix("timestamp=")
                .and_then(timestamp)
                .and_then(|ms| u64::try_from(ms).ok());
            let Some(at_ms) = at_ms else {
                return invalid(
                    me,
                    param,
                    "Timestamps are timestamp=YYYY-MM-DDThh:mm:ss.sssZ",
                );
            };
            match cx.hub.mark_read(cx.session, target.clone(), at_ms) {
                Some(mark) => Some(mark),
                None => me.seldom().read_marks.advance(&target, at_ms),
            }
        }
    };
    me.out.server_line("MARKREAD", &[param, &mark_param(mark)]);
    Flow::Continue
}

/// After a JOIN, before the names end: the channel's mark, for a client with the cap.
pub fn on_join(me: &mut IrcAdapter, cx: &Context<'_>, room: &Name) {
    if !me.caps.has(Cap::ReadMarker) {
        return;
    }
    let target = Target::Room(room.clone());
    let mark = read_mark(me, cx, &target);
    me.out
        .server_line("MARKREAD", &[&target_param(&target), &mark_param(mark)]);
}

/// The account's mark for `target`, or the connection's own when not logged in.
fn read_mark(me: &mut IrcAdapter, cx: &Context<'_>, target: &Target) -> Option<u64> {
    match cx.hub.read_mark(cx.session, target) {
        Some(mark) => mark,
        None => me.seldom.as_ref()?.read_marks.get(target),
    }
}

/// `#room` or a nick.
fn target_of(param: &str) -> Option<Target> {
    if param.starts_with('#') {
        return room_name_of(param).map(Target::Room);
    }
    Name::parse(param, NAME_MAX_CEILING).ok().map(Target::User)
}

fn invalid(me: &mut IrcAdapter, param: &str, text: &str) -> Flow {
    me.out
        .server_line("FAIL", &["MARKREAD", "INVALID_PARAMS", param, text]);
    Flow::Continue
}

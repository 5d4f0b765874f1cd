//! What may be said, beyond a room's entry rules: mutes (`+q`) and the exceptions from
//! them, slow mode (`+f N`), no queries (`+C`) and the server's word filter. Every protocol's message goes
//! through here, so a teacher's rule holds for every student whatever their client; the
//! refusal (a [`HubError`]) is each protocol's to put in its own words.

use std::time::Instant;

use super::state::{listed, Room, State};
use super::HubError;
use crate::mask::Identity;
use crate::session::SessionId;
use crate::text::Text;

/// Checks a message from `id` to the room `entry` against its mutes, slow mode and
/// `+C`, and notes the time it is said when slow mode counts it. Operators (the room's
/// or the server's) and voiced members are exempt.
pub(crate) fn check_room_rules(
    state: &mut State,
    id: SessionId,
    room_key: &crate::name::NameKey,
    text: Option<&Text>,
) -> Result<(), HubError> {
    // Most rooms have none: one lookup, and nothing else per message.
    let Some(room) = state.rooms.get(room_key) else {
        return Ok(());
    };
    let query = room.modes.no_ctcp && text.is_some_and(|t| is_query(t.as_str()));
    if room.quiets.is_empty() && room.modes.slow.is_none() && !query {
        return Ok(());
    }
    let who = match room.quiets.is_empty() {
        true => Identity::default(),
        false => state.identity(id),
    };
    let is_oper = state.is_oper(id);
    let Some(room) = state.rooms.get_mut(room_key) else {
        return Ok(());
    };
    let exempt = is_oper || room.members.get(&id).is_some_and(|s| s.op || s.voice);
    if exempt {
        return Ok(());
    }
    if query {
        return Err(HubError::NoCtcp(room.name.to_string()));
    }
    if is_muted(room, &who) {
        return Err(HubError::Muted(room.name.to_string()));
    }
    let Some(interval) = room.modes.slow else {
        return Ok(());
    };
    let now = Instant::now();
    if let Some(&last) = room.last_said.get(&id) {
        let passed = now.duration_since(last).as_secs();
        if passed < u64::from(interval) {
            let wait = u64::from(interval) - passed;
            return Err(HubError::SlowMode {
                room: room.name.to_string(),
                wait,
            });
        }
    }
    room.last_said.insert(id, now);
    Ok(())
}

fn is_muted(room: &Room, who: &Identity) -> bool {
    listed(&room.quiets, who) && !listed(&room.quiet_exceptions, who)
}

/// Whether `text` is a client-to-client query (CTCP: framed by `\x01`, as IRC clients
/// write them and every protocol carries them) other than an action (`/me`).
fn is_query(text: &str) -> bool {
    let Some(query) = text.strip_prefix('\x01') else {
        return false;
    };
    let word = query.split([' ', '\x01']).next().unwrap_or_default();
    word != "ACTION"
}

/// Whether `text` holds one of `words` (already lower-case) as a whole word, in any case:
/// `class` does not hold `ass`.
pub(crate) fn filtered(words: &[String], text: &str) -> bool {
    if words.is_empty() {
        return false;
    }
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .any(|word| words.iter().any(|w| w.eq_ignore_ascii_case(word)))
}

impl super::Hub {
    /// Whether the server's word filter refuses `text` (for a protocol that must answer
    /// before the message is sent).
    pub fn filters(&self, text: &str) -> bool {
        filtered(&self.live.load().filtered_words, text)
    }
}

#[cfg(test)]
mod tests {
    use super::{filtered, is_query};

    #[test]
    fn queries_are_ctcp_but_actions() {
        assert!(is_query("\x01PING 12345\x01"));
        assert!(is_query("\x01VERSION\x01"));
        assert!(is_query("\x01"));
        assert!(!is_query("\x01ACTION is testing\x01"));
        assert!(!is_query("\x01ACTION\x01"));
        assert!(!is_query("hello \x01PING\x01"));
    }

    #[test]
    fn the_filter_matches_whole_words_in_any_case() {
        let words = vec!["darn".to_string()];
        assert!(filtered(&words, "oh DARN it"));
        assert!(filtered(&words, "darn!"));
        assert!(!filtered(&words, "darnell is here"));
        assert!(!filtered(&[], "darn"));
    }
}

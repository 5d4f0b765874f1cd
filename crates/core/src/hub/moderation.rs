//! What may be said, beyond a room's entry rules: mutes (`+q`), slow mode (`+f N`) and
//! the server's word filter. Every protocol's message goes through here, so a teacher's
//! rule holds for every student whatever their client; the refusal (a [`HubError`]) is
//! each protocol's to put in its own words.

use std::time::Instant;

use super::state::{Room, State};
use super::HubError;
use crate::session::SessionId;

/// Checks a message from `id` to the room `entry` against its mutes and slow mode, and
/// notes the time it is said when slow mode counts it. Operators (the room's or the
/// server's) and voiced members are exempt.
pub(crate) fn check_room_rules(
    state: &mut State,
    id: SessionId,
    room_key: &crate::name::NameKey,
) -> Result<(), HubError> {
    // Most rooms have neither: one lookup, and nothing else per message.
    let Some(room) = state.rooms.get(room_key) else {
        return Ok(());
    };
    if room.quiets.is_empty() && room.modes.slow.is_none() {
        return Ok(());
    }
    let hostmask = match room.quiets.is_empty() {
        true => String::new(),
        false => state.hostmask(id).unwrap_or_default(),
    };
    let is_oper = state.is_oper(id);
    let Some(room) = state.rooms.get_mut(room_key) else {
        return Ok(());
    };
    let exempt = is_oper || room.members.get(&id).is_some_and(|s| s.op || s.voice);
    if exempt {
        return Ok(());
    }
    if is_muted(room, &hostmask) {
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

fn is_muted(room: &Room, hostmask: &str) -> bool {
    room.quiets
        .iter()
        .any(|q| crate::mask::mask_matches(&q.mask, hostmask))
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
    use super::filtered;

    #[test]
    fn the_filter_matches_whole_words_in_any_case() {
        let words = vec!["darn".to_string()];
        assert!(filtered(&words, "oh DARN it"));
        assert!(filtered(&words, "darn!"));
        assert!(!filtered(&words, "darnell is here"));
        assert!(!filtered(&[], "darn"));
    }
}

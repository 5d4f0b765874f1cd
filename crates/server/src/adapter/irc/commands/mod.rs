//! One small handler per IRC command (sable's shape), each with its wire syntax in its doc
//! comment. `table.rs` has already checked registration and the parameter count.

pub mod account;
pub mod authenticate;
pub mod away;
pub mod batch;
pub mod cap;
pub mod chathistory;
pub mod history_batch;
pub mod info;
pub mod invite;
pub mod join;
pub mod kick;
pub mod kill;
pub mod kline;
pub mod list;
pub mod markread;
pub mod message;
pub mod metadata;
pub mod metadata_subs;
pub mod mode;
pub mod monitor;
pub mod names;
pub mod nickserv;
pub mod oper;
pub mod part;
pub mod ping;
pub mod quit;
pub mod redact;
pub mod register;
pub mod rename;
pub mod setname;
pub mod topic;
pub mod umode;
pub mod who;
pub mod whois;
pub mod whowas;

use confab_core::name::ROOM_NAME_MAX;
use confab_core::Name;

/// The hub room a channel name stands for: `#x` is room `x`. `None` when the name cannot
/// be a room (no `#`, or characters room names do not allow).
pub fn room_of(channel: &str) -> Option<&str> {
    let room = channel.strip_prefix('#')?;
    Name::parse(room, ROOM_NAME_MAX).ok().map(|_| room)
}

/// The validated room name of `#room` (for the verbs that create a room).
pub fn room_name_of(channel: &str) -> Option<Name> {
    Name::room(channel.strip_prefix('#')?).ok()
}

/// The channel name of a hub room.
pub fn channel(room: &Name) -> String {
    format!("#{room}")
}

/// Cuts `text` to at most `max` bytes at a character boundary (TOPICLEN and friends).
pub fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A comma-separated list, without empty entries.
pub fn list(param: &str) -> impl Iterator<Item = &str> {
    param.split(',').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_map_to_rooms() {
        assert_eq!(room_of("#lobby"), Some("lobby"));
        assert_eq!(room_of("lobby"), None);
        assert_eq!(room_of("#"), None);
        assert_eq!(room_of("#a.b"), None);
        assert_eq!(channel(&Name::parse("x", 32).unwrap()), "#x");
    }

    #[test]
    fn clip_respects_characters() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("héllo", 3), "hé");
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(list("#a,,#b").collect::<Vec<_>>(), ["#a", "#b"]);
    }
}

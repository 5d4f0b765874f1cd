//! `LIST [<filter>{,<filter>}]`: `322 RPL_LIST` per visible channel, then `323`.
//! Filters (ELIST=CMNTU): a channel name or mask (`#ch*`), `!mask` (not matching),
//! `>n` / `<n` (more / fewer than n users), `C>n` / `C<n` (created more / less than n
//! minutes ago), `T>n` / `T<n` (topic set more / less than n minutes ago). Secret
//! channels show only to members.

use std::time::{Duration, SystemTime};

use confab_core::hub::RoomSummary;
use confab_core::mask::mask_matches;
use confab_proto::irc::{Message, Numeric};

use super::super::IrcAdapter;
use super::{channel, list as split};
use crate::adapter::{Context, Flow};

/// One LIST filter.
#[derive(Debug, PartialEq, Eq)]
enum Filter<'a> {
    Mask(&'a str),
    NotMask(&'a str),
    More(usize),
    Fewer(usize),
    /// Created more (`true`) or less than this long ago.
    Created(bool, Duration),
    /// Topic set more (`true`) or less than this long ago.
    TopicSet(bool, Duration),
}

/// `>n` or `<n` minutes, as `C` and `T` filters give them.
fn minutes(rest: &str) -> Option<(bool, Duration)> {
    let (more, n) = match rest.split_at_checked(1)? {
        (">", n) => (true, n),
        ("<", n) => (false, n),
        _ => return None,
    };
    let n: u64 = n.parse().ok()?;
    Some((more, Duration::from_secs(n.checked_mul(60)?)))
}

fn parse(word: &str) -> Option<Filter<'_>> {
    // `C<n` and `T>n`; anything else starting with those letters is a mask.
    if let Some((more, d)) = word.strip_prefix(['C', 'c']).and_then(minutes) {
        return Some(Filter::Created(more, d));
    }
    if let Some((more, d)) = word.strip_prefix(['T', 't']).and_then(minutes) {
        return Some(Filter::TopicSet(more, d));
    }
    if let Some(n) = word.strip_prefix('>') {
        return n.parse().ok().map(Filter::More);
    }
    if let Some(n) = word.strip_prefix('<') {
        return n.parse().ok().map(Filter::Fewer);
    }
    Some(match word.strip_prefix('!') {
        Some(mask) => Filter::NotMask(mask),
        None => Filter::Mask(word),
    })
}

/// How long ago `then` was (nothing for a time in the future).
fn age(now: SystemTime, then: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or_default()
}

/// Whether an age passes a `>`/`<` bound; a channel with no such time passes none.
fn within(more: bool, bound: Duration, age: Option<Duration>) -> bool {
    age.is_some_and(|age| if more { age > bound } else { age < bound })
}

/// A channel passes when it passes every count and time filter and, if any masks are
/// given, one of them, and no negated mask matches.
fn passes(filters: &[Filter<'_>], chan: &str, room: &RoomSummary, now: SystemTime) -> bool {
    let members = room.members;
    let mut masks = filters
        .iter()
        .filter(|f| matches!(f, Filter::Mask(_)))
        .peekable();
    let any_mask = masks.peek().is_none()
        || masks.any(|f| matches!(f, Filter::Mask(m) if mask_matches(m, chan)));
    any_mask
        && filters.iter().all(|f| match f {
            Filter::Mask(_) => true,
            Filter::NotMask(m) => !mask_matches(m, chan),
            Filter::More(n) => members > *n,
            Filter::Fewer(n) => members < *n,
            Filter::Created(more, d) => within(*more, *d, Some(age(now, room.created_at))),
            Filter::TopicSet(more, d) => within(*more, *d, room.topic_set_at.map(|t| age(now, t))),
        })
}

pub fn list(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let filters: Vec<Filter<'_>> = m
        .param(0)
        .map(|p| split(p).filter_map(parse).collect())
        .unwrap_or_default();
    let now = SystemTime::now();
    for room in cx.hub.room_summaries() {
        let chan = channel(&room.name);
        if !passes(&filters, &chan, &room, now)
            || (room.secret && !cx.hub.is_member(cx.session, room.name.as_str()))
        {
            continue;
        }
        let topic = room.topic.as_ref().map_or("", |t| t.as_str());
        let members = room.members.to_string();
        me.out.num(Numeric::RPL_LIST, &[&chan, &members, topic]);
    }
    me.out.num(Numeric::RPL_LISTEND, &[]);
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    use confab_core::Name;

    fn f(s: &str) -> Vec<Filter<'_>> {
        split(s).filter_map(parse).collect()
    }

    /// A room of `members` created `created` minutes ago, its topic set `topic` ago.
    fn room(members: usize, created: u64, topic: Option<u64>) -> RoomSummary {
        let ago = |mins: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(3600 - mins * 60);
        RoomSummary {
            name: Name::parse("a", 32).unwrap(),
            members,
            topic: None,
            secret: false,
            created_at: ago(created),
            topic_set_at: topic.map(ago),
        }
    }

    fn passes_now(filters: &str, chan: &str, room: &RoomSummary) -> bool {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(3600);
        passes(&f(filters), chan, room, now)
    }

    #[test]
    fn filters_follow_elist_mnu() {
        let (one, two) = (room(1, 0, None), room(2, 0, None));
        assert!(passes_now("", "#a", &one));
        assert!(passes_now("*an1", "#chan1", &one));
        assert!(!passes_now("*an1", "#chan2", &one));
        assert!(passes_now("#chan1,#chan2", "#CHAN2", &one));
        assert!(!passes_now("!#ch*", "#chan1", &one));
        assert!(passes_now(">1", "#a", &two) && !passes_now(">1", "#a", &one));
        assert!(passes_now("<2", "#a", &one) && !passes_now("<1", "#a", &one));
        assert_eq!(parse(">x"), None);
    }

    #[test]
    fn time_filters_count_minutes_ago() {
        let old = room(1, 3, Some(3));
        let new = room(1, 1, None);
        assert!(passes_now("C>2", "#a", &old) && !passes_now("C>2", "#a", &new));
        assert!(passes_now("C<2", "#a", &new) && !passes_now("C<2", "#a", &old));
        assert!(!passes_now("C<0", "#a", &new) && passes_now("C>0", "#a", &new));
        assert!(passes_now("T>2", "#a", &old) && !passes_now("T<2", "#a", &old));
        assert!(!passes_now("T>0", "#a", &new), "no topic, no topic time");
        assert_eq!(parse("C=3"), Some(Filter::Mask("C=3")));
        assert_eq!(parse("T<"), Some(Filter::Mask("T<")));
    }
}

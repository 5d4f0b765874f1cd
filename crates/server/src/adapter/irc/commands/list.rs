//! `LIST [<filter>{,<filter>}]`: `322 RPL_LIST` per visible channel, then `323`.
//! Filters (ELIST=MNU): a channel name or mask (`#ch*`), `!mask` (not matching),
//! `>n` / `<n` (more / fewer than n users). Secret channels show only to members.

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
}

fn parse(word: &str) -> Option<Filter<'_>> {
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

/// A channel passes when it passes every count filter and, if any masks are given, one
/// of them, and no negated mask matches.
fn passes(filters: &[Filter<'_>], chan: &str, members: usize) -> bool {
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
        })
}

pub fn list(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let filters: Vec<Filter<'_>> = m
        .param(0)
        .map(|p| split(p).filter_map(parse).collect())
        .unwrap_or_default();
    for RoomSummary {
        name,
        members,
        topic,
        secret,
    } in cx.hub.room_summaries()
    {
        let chan = channel(&name);
        if !passes(&filters, &chan, members)
            || (secret && !cx.hub.is_member(cx.session, name.as_str()))
        {
            continue;
        }
        let topic = topic.as_ref().map_or("", |t| t.as_str());
        me.out
            .num(Numeric::RPL_LIST, &[&chan, &members.to_string(), topic]);
    }
    me.out.num(Numeric::RPL_LISTEND, &[]);
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_elist_mnu() {
        fn f(s: &str) -> Vec<Filter<'_>> {
            split(s).filter_map(parse).collect()
        }
        assert!(passes(&f(""), "#a", 1));
        assert!(passes(&f("*an1"), "#chan1", 1));
        assert!(!passes(&f("*an1"), "#chan2", 1));
        assert!(passes(&f("#chan1,#chan2"), "#CHAN2", 1));
        assert!(!passes(&f("!#ch*"), "#chan1", 1));
        assert!(passes(&f(">1"), "#a", 2) && !passes(&f(">1"), "#a", 1));
        assert!(passes(&f("<2"), "#a", 1) && !passes(&f("<1"), "#a", 1));
        assert_eq!(parse(">x"), None);
    }
}

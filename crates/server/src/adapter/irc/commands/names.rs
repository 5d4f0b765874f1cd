//! `NAMES [<channel>{,<channel>}]`: who is in a channel, as `353 RPL_NAMREPLY` lines cut
//! to fit 512 bytes and one `366 RPL_ENDOFNAMES`. Also the list a JOIN sends.

use confab_core::hub::RoomView;
use confab_core::Name;
use confab_proto::irc::{Message, Numeric, MAX_LINE};

use super::super::caps::{Cap, Caps};
use super::super::out::Out;
use super::super::IrcAdapter;
use super::{channel, list, room_of};
use crate::adapter::{Context, Flow};

/// `NAMES`: every channel the client may see; `NAMES #a,#b`: those (a secret channel
/// one is not in, or one that does not exist, just ends the list).
pub fn names(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    match m.param(0).filter(|p| !p.is_empty()) {
        Some(param) => {
            for chan in list(param) {
                if let Some(view) = room_of(chan).and_then(|room| cx.hub.room_view(room)) {
                    send_names(me, &view);
                }
            }
            me.out.num(Numeric::RPL_ENDOFNAMES, &[param]);
        }
        None => {
            for summary in cx.hub.room_summaries() {
                if let Some(view) = cx.hub.room_view(summary.name.as_str()) {
                    send_names(me, &view);
                }
            }
            me.out.num(Numeric::RPL_ENDOFNAMES, &["*"]);
        }
    }
    Flow::Continue
}

/// The `353` lines for one channel, if the client may see it: secret channels only to
/// members, invisible users only to those who share the channel.
pub fn send_names(me: &mut IrcAdapter, view: &RoomView) {
    let own = me.nick.clone();
    let is_member = view
        .members
        .iter()
        .any(|m| own.as_ref().is_some_and(|n| n.key() == m.name.key()));
    if view.modes.secret && !is_member {
        return;
    }
    let caps = me.caps;
    let entries = view
        .members
        .iter()
        .filter(|m| is_member || !m.invisible)
        .map(|m| entry(caps, m.op, m.voice, (&m.name, &m.user, &m.host)));
    put_names(
        &mut me.out,
        view.modes.secret,
        &channel(&view.name),
        entries,
    );
}

/// `353` lines of `entries`, cut to fit 512 bytes (no `366`: the caller ends the list).
pub fn put_names(out: &mut Out, secret: bool, chan: &str, entries: impl Iterator<Item = String>) {
    let symbol = if secret { "@" } else { "=" };
    // `:server 353 client = #chan :` and the CRLF come before the names.
    let overhead = 1 + out.server().len() + 5 + out.client.len() + 3 + chan.len() + 2;
    let budget = (MAX_LINE - 2).saturating_sub(overhead);
    let mut line = String::new();
    for entry in entries {
        if !line.is_empty() && line.len() + 1 + entry.len() > budget {
            let full = std::mem::take(&mut line);
            out.num(Numeric::RPL_NAMREPLY, &[symbol, chan, &full]);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&entry);
    }
    if !line.is_empty() {
        out.num(Numeric::RPL_NAMREPLY, &[symbol, chan, &line]);
    }
}

/// `@nick`, or with multi-prefix `@+nick`, with userhost-in-names `@nick!user@host`.
pub fn entry(caps: Caps, op: bool, voice: bool, (name, user, host): (&Name, &str, &str)) -> String {
    let mut entry = prefix(op, voice, caps.has(Cap::MultiPrefix));
    entry.push_str(name.as_str());
    if caps.has(Cap::UserhostInNames) {
        entry.push('!');
        entry.push_str(user);
        entry.push('@');
        entry.push_str(host);
    }
    entry
}

/// A member's status prefix: the highest, or every one with multi-prefix.
pub fn prefix(op: bool, voice: bool, all: bool) -> String {
    let mut prefix = String::new();
    if op {
        prefix.push('@');
    }
    if voice && (all || !op) {
        prefix.push('+');
    }
    prefix
}

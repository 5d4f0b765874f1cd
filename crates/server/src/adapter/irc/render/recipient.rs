//! Lines rendered for one recipient alone, never cached: the `MONITOR` numerics of a
//! watched name, and a read marker moved on another of the account's sessions.

use bytes::BytesMut;
use confab_core::EventKind;
use confab_proto::irc::{render_truncated, Numeric};

use super::super::caps::{Cap, Caps};
use super::super::commands::markread::mark_param;
use super::line::target_param;

/// `:server MARKREAD <target> timestamp=<time>` when the account's mark moved on another
/// of its sessions (IRC `draft/read-marker`), for clients with the cap; nothing for
/// others. Whether the event was one.
pub fn read_marker_line(kind: &EventKind, caps: Caps, server: &str, out: &mut BytesMut) -> bool {
    let EventKind::ReadMarked { target, at_ms, .. } = kind else {
        return false;
    };
    if caps.has(Cap::ReadMarker) {
        let mark = mark_param(Some(*at_ms));
        render_truncated(
            out,
            None,
            Some(server),
            "MARKREAD",
            &[&target_param(target), &mark],
        );
    }
    true
}

/// `730 <me> :nick!user@host` when a watched name is taken, `731 <me> :nick` when it is
/// given up (IRC `MONITOR`): addressed to one recipient, so never cached.
pub fn monitor_line(kind: &EventKind, server: &str, me: &str, out: &mut BytesMut) -> bool {
    let EventKind::Presence { name, online } = kind else {
        return false;
    };
    match online {
        Some(peer) => {
            let mask = format!("{}!{}@{}", peer.name, peer.user(), peer.host);
            Numeric::RPL_MONONLINE.render(out, server, me, &[], Some(&mask));
        }
        None => Numeric::RPL_MONOFFLINE.render(out, server, me, &[], Some(name.as_str())),
    }
    true
}

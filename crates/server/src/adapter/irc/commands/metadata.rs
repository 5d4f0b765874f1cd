//! `METADATA <target> <subcommand> [params]` (IRCv3 `draft/metadata`): `GET <keys>`,
//! `LIST`, `SET <key> [:<value>]` and `CLEAR` here; `SUB`, `UNSUB`, `SUBS` and `SYNC` in
//! `metadata_subs.rs`. The target is `*` or one's own nick, another nick, or `#room`.
//! Refusals are `FAIL METADATA <code> ...`: `INVALID_TARGET`, `KEY_INVALID`,
//! `KEY_NO_PERMISSION`, `INVALID_VALUE`, `LIMIT_REACHED`, `SUBCOMMAND_INVALID`.

use std::sync::Arc;

use confab_core::hub::MetaTarget;
use confab_core::metadata::{self as meta, Metadata, MAX_VALUE_BYTES};
use confab_core::name::Folded;
use confab_core::{HubError, Name};
use confab_proto::irc::{Message, Numeric};

use super::super::metadata::{put_pair, shown, Batch};
use super::super::IrcAdapter;
use super::{metadata_subs as subs, room_of};
use crate::adapter::{Context, Flow};

/// Whose metadata a command is about.
pub enum Whose {
    /// The client's own (shown as its nick, `*` before it has one).
    Own,
    User(Name),
    /// A room, by its hub name.
    Room(String),
}

pub fn metadata(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let (target, sub) = (m.params[0], m.params[1].to_ascii_uppercase());
    let args = &m.params[2..];
    let needs_key = matches!(sub.as_str(), "GET" | "SET" | "SUB" | "UNSUB");
    if needs_key && args.first().is_none_or(|a| a.is_empty()) {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["METADATA"]);
        return Flow::Continue;
    }
    match sub.as_str() {
        "SUB" => return subs::sub(me, args),
        "UNSUB" => return subs::unsub(me, args),
        "SUBS" => return subs::subs(me),
        "GET" | "LIST" | "SET" | "CLEAR" | "SYNC" => {}
        _ => {
            let text = "Unknown METADATA subcommand";
            fail(me, &["SUBCOMMAND_INVALID", &sub, text]);
            return Flow::Continue;
        }
    }
    let Some(whose) = whose(me, cx, target) else {
        fail(me, &["INVALID_TARGET", target, "Invalid target"]);
        return Flow::Continue;
    };
    match sub.as_str() {
        "GET" => get(me, cx, &whose, target, args),
        "LIST" => list(me, cx, &whose, target),
        "SET" => set(me, cx, &whose, target, args),
        "CLEAR" => clear(me, cx, &whose, target),
        _ => subs::sync(me, cx, &whose, target),
    }
    Flow::Continue
}

/// `FAIL METADATA <params...>`.
pub fn fail(me: &mut IrcAdapter, params: &[&str]) {
    let mut all = vec!["METADATA"];
    all.extend_from_slice(params);
    me.out.server_line("FAIL", &all);
}

/// The target named: `None` for a nick or room that does not exist.
fn whose(me: &IrcAdapter, cx: &Context<'_>, target: &str) -> Option<Whose> {
    let own = me
        .nick
        .as_ref()
        .is_some_and(|n| n.folded() == Folded::new(target));
    if target == "*" || own {
        return Some(Whose::Own);
    }
    if target.starts_with('#') {
        let room = room_of(target)?;
        return cx
            .hub
            .room_exists(room)
            .then(|| Whose::Room(room.to_string()));
    }
    cx.hub
        .user_metadata(target)
        .ok()
        .map(|(n, _)| Whose::User(n))
}

/// The pairs the client may read, with the target as shown; `None` once refused.
pub fn readable(
    me: &mut IrcAdapter,
    cx: &Context<'_>,
    whose: &Whose,
    target: &str,
) -> Option<(String, Metadata)> {
    match whose {
        Whose::Own => Some((me.out.client.clone(), cx.hub.own_metadata(cx.session))),
        Whose::User(name) => {
            let (name, pairs) = cx.hub.user_metadata(name.as_str()).ok()?;
            Some((name.to_string(), pairs))
        }
        Whose::Room(room) => match cx.hub.room_metadata(cx.session, room) {
            Ok((name, pairs)) => Some((shown(&name, true), pairs)),
            Err(HubError::InviteOnly(_)) => {
                let text = "You may not read the metadata of that channel";
                fail(me, &["KEY_NO_PERMISSION", target, "*", text]);
                None
            }
            Err(_) => {
                fail(me, &["INVALID_TARGET", target, "Invalid target"]);
                None
            }
        },
    }
}

/// `METADATA <target> GET <key>...`: a batch with `761`, `766` or `FAIL KEY_INVALID` for
/// each key, in order.
fn get(me: &mut IrcAdapter, cx: &Context<'_>, whose: &Whose, target: &str, keys: &[&str]) {
    let Some((shown, pairs)) = readable(me, cx, whose, target) else {
        return;
    };
    let batch = Batch::open(&mut me.out, me.caps, &shown);
    for raw in keys {
        match meta::key(raw) {
            Some(key) => put_pair(
                &mut me.out,
                batch.tag(),
                &shown,
                &key,
                pairs.get(&key).map(|v| &**v),
            ),
            None => fail(me, &["KEY_INVALID", raw, "Invalid key"]),
        }
    }
    batch.close(&mut me.out);
}

/// `METADATA <target> LIST`: a batch with a `761` for every key set.
fn list(me: &mut IrcAdapter, cx: &Context<'_>, whose: &Whose, target: &str) {
    let Some((shown, pairs)) = readable(me, cx, whose, target) else {
        return;
    };
    let batch = Batch::open(&mut me.out, me.caps, &shown);
    for (key, value) in pairs.pairs() {
        put_pair(&mut me.out, batch.tag(), &shown, key, Some(value));
    }
    batch.close(&mut me.out);
}

/// `METADATA <target> SET <key> [:<value>]`: `761` with the new value, or `766` once
/// removed (no value, or an empty one).
fn set(me: &mut IrcAdapter, cx: &Context<'_>, whose: &Whose, target: &str, args: &[&str]) {
    let Some(key) = meta::key(args[0]) else {
        fail(me, &["KEY_INVALID", args[0], "Invalid key"]);
        return;
    };
    let value = args.get(1).filter(|v| !v.is_empty());
    if value.is_some_and(|v| !meta::value_fits(v)) {
        let text = format!("Values are at most {MAX_VALUE_BYTES} bytes");
        fail(me, &["INVALID_VALUE", &key, &text]);
        return;
    }
    let Some((verb_target, shown)) = changeable(me, whose, target, &key) else {
        return;
    };
    let value: Option<Arc<str>> = value.map(|v| Arc::from(*v));
    match cx
        .hub
        .set_metadata(cx.session, verb_target, &key, value.clone())
    {
        Ok(_) => put_pair(&mut me.out, None, &shown, &key, value.as_deref()),
        Err(e) => refused(me, &e, target, &key),
    }
}

/// `METADATA <target> CLEAR`: a batch with a `766` for every key removed.
fn clear(me: &mut IrcAdapter, cx: &Context<'_>, whose: &Whose, target: &str) {
    let Some((verb_target, shown)) = changeable(me, whose, target, "*") else {
        return;
    };
    match cx.hub.clear_metadata(cx.session, verb_target) {
        Ok(keys) => {
            let batch = Batch::open(&mut me.out, me.caps, &shown);
            for key in keys {
                put_pair(&mut me.out, batch.tag(), &shown, &key, None);
            }
            batch.close(&mut me.out);
        }
        Err(e) => refused(me, &e, target, "*"),
    }
}

/// The hub's target of a change and the target as shown; another user's metadata is not
/// the client's to change (`FAIL KEY_NO_PERMISSION`).
fn changeable<'a>(
    me: &mut IrcAdapter,
    whose: &'a Whose,
    target: &str,
    key: &str,
) -> Option<(MetaTarget<'a>, String)> {
    match whose {
        Whose::Own => Some((MetaTarget::Own, me.out.client.clone())),
        Whose::Room(room) => Some((MetaTarget::Room(room), format!("#{room}"))),
        Whose::User(_) => {
            let text = "You may not change another user's metadata";
            fail(me, &["KEY_NO_PERMISSION", target, key, text]);
            None
        }
    }
}

/// A change the hub refused, in `FAIL METADATA` form.
fn refused(me: &mut IrcAdapter, e: &HubError, target: &str, key: &str) {
    match e {
        HubError::MetadataFull => {
            let text = format!("At most {} keys may be set", meta::MAX_KEYS);
            fail(me, &["LIMIT_REACHED", target, &text]);
        }
        HubError::ChanOpNeeded(_) => {
            let text = "Only channel operators may change the channel's metadata";
            fail(me, &["KEY_NO_PERMISSION", target, key, text]);
        }
        _ => fail(me, &["INVALID_TARGET", target, "Invalid target"]),
    }
}

//! `METADATA * SUB <keys>`, `UNSUB <keys>`, `SUBS` and `METADATA <target> SYNC`
//! (IRCv3 `draft/metadata`): one client's key subscriptions, and the pairs shown for
//! them when it registers, joins a channel or asks.

use confab_core::metadata as meta;
use confab_core::Name;
use confab_proto::irc::Numeric;

use super::super::caps::Cap;
use super::super::metadata::{put_burst, put_subscribed, Batch};
use super::super::IrcAdapter;
use super::metadata::{fail, readable, Whose};
use crate::adapter::{Context, Flow};

/// `SUB`: `770` with the keys subscribed to; `FAIL KEY_INVALID` for a bad key, and
/// `FAIL TOO_MANY_SUBS <key>` at the first key past the bound (the rest unprocessed).
pub fn sub(me: &mut IrcAdapter, keys: &[&str]) -> Flow {
    let mut done = Vec::new();
    for raw in keys {
        let Some(key) = meta::key(raw) else {
            fail(me, &["KEY_INVALID", raw, "Invalid key"]);
            continue;
        };
        if !me.seldom().metadata_subs.add(key.clone()) {
            fail(me, &["TOO_MANY_SUBS", raw, "Too many subscriptions"]);
            break;
        }
        done.push(key);
    }
    answer(me, Numeric::RPL_METADATASUBOK, &done);
    Flow::Continue
}

/// `UNSUB`: `771` with the keys no longer subscribed to.
pub fn unsub(me: &mut IrcAdapter, keys: &[&str]) -> Flow {
    let mut done = Vec::new();
    for raw in keys {
        let Some(key) = meta::key(raw) else {
            fail(me, &["KEY_INVALID", raw, "Invalid key"]);
            continue;
        };
        me.seldom().metadata_subs.remove(&key);
        done.push(key);
    }
    answer(me, Numeric::RPL_METADATAUNSUBOK, &done);
    Flow::Continue
}

/// `SUBS`: `772` with the keys subscribed to.
pub fn subs(me: &mut IrcAdapter) -> Flow {
    let keys = me.seldom().metadata_subs.keys().to_vec();
    answer(me, Numeric::RPL_METADATASUBS, &keys);
    Flow::Continue
}

/// One numeric per few keys, each line well within 512 bytes.
fn answer(me: &mut IrcAdapter, numeric: Numeric, keys: &[std::sync::Arc<str>]) {
    for chunk in keys.chunks(8) {
        let words: Vec<&str> = chunk.iter().map(|k| &**k).collect();
        me.out.num(numeric, &words);
    }
}

/// `METADATA <target> SYNC`: a batch with the subscribed pairs of the target (and, for
/// a channel, of its members).
pub fn sync(me: &mut IrcAdapter, cx: &Context<'_>, whose: &Whose, target: &str) {
    let Some((shown, pairs)) = readable(me, cx, whose, target) else {
        return;
    };
    let batch = Batch::open(&mut me.out, me.caps, &shown);
    put_subscribed(me, &batch, &shown, pairs.pairs());
    if let Whose::Room(room) = whose {
        // Its members' too, for a member (none for an outsider).
        for (name, of_room, meta) in cx.hub.metadata_in_room(cx.session, room) {
            if !of_room {
                put_subscribed(me, &batch, name.as_str(), meta.pairs());
            }
        }
    }
    batch.close(&mut me.out);
}

/// After a join: the subscribed pairs of the channel and its members, in a batch.
pub fn on_join(me: &mut IrcAdapter, cx: &Context<'_>, room: &Name) {
    if !me.caps.has(Cap::Metadata) {
        return;
    }
    let all = cx.hub.metadata_in_room(cx.session, room.as_str());
    put_burst(me, &format!("#{room}"), &all, false);
}

/// At registration: the client's own pairs (set before connecting), in a batch that is
/// sent even empty (the spec asks for one).
pub fn on_welcome(me: &mut IrcAdapter, cx: &Context<'_>) {
    if !me.caps.has(Cap::Metadata) {
        return;
    }
    let own = cx.hub.own_metadata(cx.session);
    let client = me.out.client.clone();
    let batch = Batch::open(&mut me.out, me.caps, &client);
    for (key, value) in own.pairs() {
        super::super::metadata::put_pair(&mut me.out, batch.tag(), &client, key, Some(value));
    }
    batch.close(&mut me.out);
}

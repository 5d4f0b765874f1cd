//! IRCv3 `draft/metadata` on IRC's side: the cap's value, one client's key
//! subscriptions (bounded), the `metadata` batch and the lines that show pairs
//! (`761 RPL_KEYVALUE`, `766 RPL_KEYNOTSET`), and a change told to a subscriber.
//! The pairs themselves are the hub's (`confab_core::metadata`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::BytesMut;
use confab_core::metadata::Pair;
use confab_core::{EventKind, Name};
use confab_proto::irc::Numeric;

use super::caps::{Cap, Caps};
use super::out::Out;
use super::IrcAdapter;

/// The most keys one client may subscribe to.
pub const MAX_SUBS: usize = 50;
/// What `CAP LS 302` shows after `draft/metadata-3=` (the bounds above and the hub's).
pub const CAP_VALUE: &str = "before-connect,max-subs=50,max-keys=20,max-value-bytes=300";
/// The batch type of GET, LIST, CLEAR, SYNC and the bursts.
pub const BATCH_TYPE: &str = "metadata";

/// How a target is shown: `#room` for a room, the nick for a user.
pub fn shown(name: &Name, of_room: bool) -> String {
    if of_room {
        format!("#{name}")
    } else {
        name.to_string()
    }
}

/// A `metadata` batch being written (plain lines for a client without `batch`).
pub struct Batch(Option<String>);

impl Batch {
    /// `BATCH +<ref> metadata <target>`.
    pub fn open(out: &mut Out, caps: Caps, target: &str) -> Batch {
        if !caps.has(Cap::Batch) {
            return Batch(None);
        }
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = format!("meta{}", NEXT.fetch_add(1, Ordering::Relaxed));
        out.server_line("BATCH", &[&format!("+{id}"), BATCH_TYPE, target]);
        Batch(Some(format!("batch={id}")))
    }

    /// The tag of a line inside the batch.
    pub fn tag(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// `BATCH -<ref>`.
    pub fn close(self, out: &mut Out) {
        if let Some(tag) = self.0 {
            let id = tag.trim_start_matches("batch=");
            out.server_line("BATCH", &[&format!("-{id}")]);
        }
    }
}

/// `761 <me> <target> <key> * :<value>`, or `766 <me> <target> <key> :key not set`
/// without a value.
pub fn put_pair(out: &mut Out, tag: Option<&str>, target: &str, key: &str, value: Option<&str>) {
    match value {
        Some(value) => out.num_tagged(tag, Numeric::RPL_KEYVALUE, &[target, key, "*", value]),
        None => out.num_tagged(tag, Numeric::RPL_KEYNOTSET, &[target, key]),
    }
}

/// The pairs of `target` the client subscribed to, as `761` lines in `batch`.
pub fn put_subscribed(me: &mut IrcAdapter, batch: &Batch, target: &str, pairs: &[Pair]) {
    for (key, value) in pairs {
        if me.subscribed(key) {
            put_pair(&mut me.out, batch.tag(), target, key, Some(value));
        }
    }
}

/// The pairs of each target, those subscribed to, in one batch (a join or a SYNC); no
/// batch at all when there is nothing to show and `always` is false.
pub fn put_burst(
    me: &mut IrcAdapter,
    batch_target: &str,
    all: &[confab_core::hub::MetaOf],
    always: bool,
) {
    let any = all
        .iter()
        .any(|(_, _, meta)| meta.pairs().iter().any(|(k, _)| me.subscribed(k)));
    if !any && !always {
        return;
    }
    let batch = Batch::open(&mut me.out, me.caps, batch_target);
    for (name, of_room, meta) in all {
        put_subscribed(me, &batch, &shown(name, *of_room), meta.pairs());
    }
    batch.close(&mut me.out);
}

/// A change of a key this client subscribed to, told as `761` or `766` (nothing for a
/// client without the cap or the subscription). Per recipient, so never cached.
pub fn notification(me: &IrcAdapter, kind: &EventKind, out: &mut BytesMut) {
    let EventKind::MetadataChanged {
        target,
        of_room,
        key,
        value,
        ..
    } = kind
    else {
        return;
    };
    if !me.caps.has(Cap::Metadata) || !me.subscribed(key) {
        return;
    }
    let target = shown(target, *of_room);
    let (server, client) = (&me.settings.server, &me.out.client);
    match value {
        Some(v) => Numeric::RPL_KEYVALUE.render(out, server, client, &[&target, key, "*", v], None),
        None => Numeric::RPL_KEYNOTSET.render(out, server, client, &[&target, key], None),
    }
}

/// One client's subscriptions, in the order made; at most [`MAX_SUBS`]. Boxed and made
/// on the first: 8 bytes in every IRC connection rather than a `Vec`'s 24, for what few
/// clients use (an idle connection's memory is a target, docs/benchmarks.md).
#[derive(Default)]
#[expect(clippy::box_collection, reason = "8 bytes per connection, not 24")]
pub struct Subs(Option<Box<Vec<Arc<str>>>>);

impl Subs {
    pub fn has(&self, key: &str) -> bool {
        self.keys().iter().any(|k| &**k == key)
    }

    /// Subscribes to `key`: false when the list is full.
    pub fn add(&mut self, key: Arc<str>) -> bool {
        if self.has(&key) {
            return true;
        }
        let keys = self.0.get_or_insert_with(Box::default);
        if keys.len() >= MAX_SUBS {
            return false;
        }
        keys.push(key);
        true
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(keys) = self.0.as_mut() {
            keys.retain(|k| &**k != key);
            if keys.is_empty() {
                self.0 = None;
            }
        }
    }

    pub fn keys(&self) -> &[Arc<str>] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::metadata::{MAX_KEYS, MAX_VALUE_BYTES};

    #[test]
    fn the_cap_value_shows_the_bounds() {
        let value = format!(
            "before-connect,max-subs={MAX_SUBS},max-keys={MAX_KEYS},max-value-bytes={MAX_VALUE_BYTES}"
        );
        assert_eq!(CAP_VALUE, value);
    }

    #[test]
    fn subscriptions_are_bounded() {
        let mut subs = Subs::default();
        for i in 0..MAX_SUBS {
            assert!(subs.add(Arc::from(i.to_string())));
        }
        assert!(subs.add(Arc::from("0")), "already in: no room needed");
        assert!(!subs.add(Arc::from("one-more")));
        subs.remove("0");
        assert!(!subs.has("0"));
        assert!(subs.add(Arc::from("one-more")));
    }
}

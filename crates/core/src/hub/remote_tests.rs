//! Two hubs as two nodes of a cluster, joined by hand: every event one makes is sent
//! (serialised and read back, as over Redis) to the other's `apply_remote`.

use super::*;
use std::sync::Mutex;

use crate::event::{ModeChange, Tone};
use crate::outbox::Delivery;
use crate::text::Text;

/// A stage that keeps what the hub made, as the cluster stage would before publishing.
#[derive(Default)]
struct Outbound(Mutex<Vec<Routed>>);

impl Stage for Outbound {
    fn submit(&self, events: Vec<Routed>) {
        self.0.lock().unwrap().extend(events);
    }
}

struct Node {
    hub: Hub,
    out: Arc<Outbound>,
}

impl Node {
    fn new(node: u16) -> Node {
        let hub = Hub::new(HubConfig {
            node,
            announce_names: true,
            ..HubConfig::default()
        });
        let out = Arc::new(Outbound::default());
        assert!(hub.set_stage(out.clone()).is_ok());
        Node { hub, out }
    }

    fn named(&self, name: &str) -> Arc<Session> {
        let s = self.hub.attach("irc");
        self.hub.take_name(&s, n(name)).unwrap();
        s
    }
}

/// Delivers what each node made to its own sessions and sends it to the other, until
/// neither has anything left.
fn pump(a: &Node, b: &Node) {
    for _ in 0..10 {
        let moved = send(a, b) + send(b, a);
        if moved == 0 {
            return;
        }
    }
    panic!("the nodes kept talking");
}

fn send(from: &Node, to: &Node) -> usize {
    let routed: Vec<Routed> = std::mem::take(&mut *from.out.0.lock().unwrap());
    let count = routed.len();
    let mut events = Vec::new();
    for r in routed {
        let mut wire = Vec::new();
        r.event
            .serialize(&mut serde_json::Serializer::new(&mut wire))
            .unwrap();
        let mut read = serde_json::Deserializer::from_slice(&wire);
        events.push(Event::deserialize(&mut read).unwrap());
        r.deliver();
    }
    let node = from.hub.config().node;
    to.hub
        .apply_remote(node, events)
        .into_iter()
        .for_each(Routed::deliver);
    count
}

/// amy on `a` makes room `c` (and runs it), bob on `b` joins it.
fn in_one_room(a: &Node, b: &Node) -> (Arc<Session>, Arc<Session>) {
    let amy = a.named("amy");
    let bob = b.named("bob");
    a.hub.join(&amy, n("c")).unwrap();
    pump(a, b);
    b.hub.join(&bob, n("c")).unwrap();
    pump(a, b);
    (amy, bob)
}

fn events(session: &Session) -> Vec<EventKind> {
    let mut out = Vec::new();
    session.outbox().drain(&mut out);
    out.into_iter()
        .filter_map(|d| match d {
            Delivery::Event(e) => Some(e.kind().clone()),
            Delivery::Bytes(_) => None,
        })
        .collect()
}

fn n(s: &str) -> Name {
    Name::parse(s, 32).unwrap()
}

fn said(text: &str) -> Text {
    Text::new(text)
}

#[test]
fn a_name_held_on_one_node_is_taken_on_the_other_and_free_once_given_up() {
    let (a, b) = (Node::new(1), Node::new(2));
    let amy = a.named("amy");
    pump(&a, &b);
    let other = b.hub.attach("rooms");
    assert_eq!(
        b.hub.take_name(&other, n("AMY")),
        Err(HubError::NameTaken("AMY".into()))
    );
    assert_eq!(b.hub.names(), vec![n("amy")]);
    assert_eq!(b.hub.lookup("amy").unwrap().host.as_ref(), "irc");
    a.hub.detach(&amy, Departure::Quit { reason: None });
    pump(&a, &b);
    assert_eq!(b.hub.take_name(&other, n("amy")), Ok(n("amy")));
}

#[test]
fn room_members_of_both_nodes_hear_each_other_and_are_listed() {
    let (a, b) = (Node::new(1), Node::new(2));
    let (amy, bob) = in_one_room(&a, &b);
    assert_eq!(a.hub.members("c"), vec![n("amy"), n("bob")]);
    assert_eq!(b.hub.members("c"), vec![n("amy"), n("bob")]);
    let joined = events(&amy);
    assert!(
        matches!(&joined[..], [EventKind::Joined { who, op: false, .. }] if who.name == n("bob"))
    );
    a.hub.say(&amy, "c", said("hi bob")).unwrap();
    pump(&a, &b);
    let heard = events(&bob);
    assert!(
        matches!(&heard[..], [EventKind::Said { from, text, tone: Tone::Chat, .. }]
            if from.name == n("amy") && text.as_str() == "hi bob"),
        "{heard:?}"
    );
    assert!(events(&amy).is_empty(), "no echo of one's own message");
}

#[test]
fn the_first_member_runs_the_room_on_every_node_and_a_kick_crosses() {
    let (a, b) = (Node::new(1), Node::new(2));
    let (amy, bob) = in_one_room(&a, &b);
    let op = ModeChange::Voice {
        on: true,
        who: n("bob"),
    };
    assert!(
        b.hub.change_modes(&bob, "c", vec![op.clone()]).is_err(),
        "bob is no op"
    );
    let outcome = a.hub.change_modes(&amy, "c", vec![op]).unwrap();
    assert_eq!(outcome.applied.len(), 1);
    a.hub.kick(&amy, "c", "bob", Some(said("bye"))).unwrap();
    pump(&a, &b);
    assert_eq!(b.hub.members("c"), vec![n("amy")]);
    assert_eq!(a.hub.members("c"), vec![n("amy")]);
    assert!(!b.hub.is_member(&bob, "c"));
    let heard = events(&bob);
    assert!(
        matches!(heard.last(), Some(EventKind::Kicked { target, .. }) if target.name == n("bob")),
        "{heard:?}"
    );
}

#[test]
fn a_direct_message_reaches_a_user_of_the_other_node_only() {
    let (a, b) = (Node::new(1), Node::new(2));
    let amy = a.named("amy");
    let bob = b.named("bob");
    pump(&a, &b);
    a.hub.whisper(&amy, "bob", said("psst")).unwrap();
    pump(&a, &b);
    let heard = events(&bob);
    assert!(
        matches!(&heard[..], [EventKind::Direct { from, text, .. }]
            if from.name == n("amy") && text.as_str() == "psst"),
        "{heard:?}"
    );
    assert!(events(&amy).is_empty());
}

#[test]
fn a_lost_node_s_users_quit_and_free_their_names() {
    let (a, b) = (Node::new(1), Node::new(2));
    let (_amy, bob) = in_one_room(&a, &b);
    events(&bob);
    let lost = b.hub.forget_node(1, &Departure::Lost);
    lost.into_iter().for_each(Routed::deliver);
    let heard = events(&bob);
    assert!(
        matches!(&heard[..], [EventKind::Quit { who, how: Departure::Lost, .. }] if who.name == n("amy")),
        "{heard:?}"
    );
    assert_eq!(b.hub.members("c"), vec![n("bob")]);
    assert_eq!(b.hub.names(), vec![n("bob")]);
    assert!(b.hub.known_nodes().is_empty());
}

#[test]
fn a_snapshot_brings_a_late_node_up_to_date_and_drops_who_is_gone() {
    let (a, b) = (Node::new(1), Node::new(2));
    let amy = a.named("amy");
    let _cy = a.named("cy");
    a.hub.join(&amy, n("c")).unwrap();
    a.hub.set_topic(&amy, "c", Some(said("plans"))).unwrap();
    a.out.0.lock().unwrap().clear();
    let snapshot = a.hub.local_snapshot();
    assert_eq!(snapshot.users.len(), 2);
    b.hub.apply_snapshot(1, &snapshot);
    assert_eq!(b.hub.names(), vec![n("amy"), n("cy")]);
    assert_eq!(b.hub.members("c"), vec![n("amy")]);
    let view = b.hub.room_view("c").unwrap();
    assert_eq!(
        view.topic.map(|t| t.text.as_str().to_string()).as_deref(),
        Some("plans")
    );
    let wire = serde_json::to_string(&NodeSnapshot::default()).unwrap();
    let empty: NodeSnapshot = serde_json::from_str(&wire).unwrap();
    b.hub.apply_snapshot(1, &empty);
    assert!(b.hub.names().is_empty());
    assert!(b.hub.rooms().is_empty());
}

#[test]
fn a_late_node_learns_the_metadata_of_users_and_rooms_from_a_snapshot() {
    use crate::hub::MetaTarget;
    let (a, b) = (Node::new(1), Node::new(2));
    let amy = a.named("amy");
    a.hub.join(&amy, n("c")).unwrap();
    let key = |k: &str| crate::metadata::key(k).unwrap();
    let value = |v: &str| Some(Arc::<str>::from(v));
    a.hub
        .set_metadata(&amy, MetaTarget::Own, &key("display-name"), value("Amy"))
        .unwrap();
    a.hub
        .set_metadata(&amy, MetaTarget::Room("c"), &key("color"), value("red"))
        .unwrap();
    let mut snapshot = a.hub.local_snapshot();
    // What arrives is checked as if set here: a bad key is left out.
    snapshot.users[0]
        .metadata
        .push((Arc::from("Bad Key"), Arc::from("x")));
    b.hub.apply_snapshot(1, &snapshot);
    let (_, amy_meta) = b.hub.user_metadata("amy").unwrap();
    assert_eq!(amy_meta.pairs(), &[(key("display-name"), Arc::from("Amy"))]);
    let bob = b.named("bob");
    let (_, room_meta) = b.hub.room_metadata(&bob, "c").unwrap();
    assert_eq!(room_meta.pairs(), &[(key("color"), Arc::from("red"))]);
}

#[test]
fn a_name_claimed_elsewhere_is_given_up_here_with_a_reason() {
    let a = Node::new(1);
    let amy = a.named("amy");
    a.out.0.lock().unwrap().clear();
    a.hub.give_up_name(&n("amy"), "name taken on another node");
    assert!(a.hub.names().is_empty());
    assert_eq!(
        amy.outbox().closed(),
        Some(crate::outbox::CloseReason::Removed)
    );
    let made = std::mem::take(&mut *a.out.0.lock().unwrap());
    assert!(made
        .iter()
        .any(|r| matches!(r.event.kind(), EventKind::Presence { online: None, .. })));
}

#[test]
fn names_held_here_are_never_given_to_a_namesake_elsewhere() {
    let (a, b) = (Node::new(1), Node::new(2));
    let _amy_a = a.named("amy");
    let amy_b = b.named("amy");
    pump(&a, &b);
    assert!(b.hub.known_nodes().is_empty(), "b keeps its own amy");
    assert_eq!(b.hub.name_of(&amy_b), Some(n("amy")));
    assert_eq!(b.hub.names(), vec![n("amy")], "one amy, b's own");
}

#[test]
fn a_join_a_snapshot_told_of_first_is_not_heard_twice() {
    let (a, b) = (Node::new(1), Node::new(2));
    let bob = b.named("bob");
    b.hub.join(&bob, n("c")).unwrap();
    pump(&a, &b);
    let amy = a.named("amy");
    a.hub.join(&amy, n("c")).unwrap();
    // The snapshot, taken after the join, overtakes the join's own event.
    let routed = b.hub.apply_snapshot(1, &a.hub.local_snapshot());
    routed.into_iter().for_each(Routed::deliver);
    pump(&a, &b);
    let joins = events(&bob)
        .into_iter()
        .filter(|e| matches!(e, EventKind::Joined { who, .. } if who.name == n("amy")))
        .count();
    assert_eq!(joins, 1);
}

#[test]
fn an_operator_kills_a_user_of_the_other_node() {
    let (a, b) = (Node::new(1), Node::new(2));
    let amy = a.named("amy");
    a.hub.set_oper(&amy, true).unwrap();
    let bob = b.named("bob");
    let cy = b.named("cy");
    b.hub.join(&bob, n("c")).unwrap();
    b.hub.join(&cy, n("c")).unwrap();
    pump(&a, &b);
    events(&bob);
    events(&cy);
    a.hub.kill(&amy, "bob", Some(said("spam"))).unwrap();
    pump(&a, &b);
    let told = events(&bob);
    assert!(
        matches!(&told[..], [EventKind::Killed { target, .. }] if *target == n("bob")),
        "{told:?}"
    );
    assert_eq!(
        bob.outbox().closed(),
        Some(crate::outbox::CloseReason::Removed)
    );
    let heard = events(&cy);
    assert!(
        matches!(&heard[..], [EventKind::Quit { who, how: Departure::Removed { reason }, .. }]
            if who.name == n("bob") && reason.as_str() == "Killed (amy (spam))"),
        "{heard:?}"
    );
    assert_eq!(a.hub.names(), vec![n("amy"), n("cy")]);
    // Each node lists names in the order it learned them.
    assert_eq!(b.hub.names(), vec![n("cy"), n("amy")]);
}

#[test]
fn a_ban_shared_from_another_node_puts_out_only_this_node_s_users_and_lifts() {
    let (a, b) = (Node::new(1), Node::new(2));
    let zed_a = a.named("zed");
    let zed_b = b.named("zedd");
    pump(&a, &b);
    events(&zed_b);
    // Node 2 hears of a ban node 1's operator set: its own zedd goes, told why...
    let ban = ServerBan::new("zed*!*@*", "spam", None);
    let by = crate::event::Peer::classroom(n("teach"), "cluster");
    assert_eq!(b.hub.impose_server_ban(ban, &by), vec![n("zedd")]);
    pump(&a, &b);
    let told = events(&zed_b);
    assert!(
        matches!(&told[..], [EventKind::Killed { target, reason: Some(r), .. }]
            if *target == n("zedd") && r.as_str() == "banned: spam"),
        "{told:?}"
    );
    assert_eq!(
        zed_b.outbox().closed(),
        Some(crate::outbox::CloseReason::Removed)
    );
    // ...and node 1's zed is node 1's to put out, not node 2's.
    assert_eq!(zed_a.outbox().closed(), None);
    assert_eq!(b.hub.server_bans().len(), 1);
    // A newcomer to node 2 the ban matches is refused.
    let again = b.hub.attach("irc");
    assert!(matches!(
        b.hub.take_name(&again, n("zeddy")),
        Err(HubError::ServerBanned(reason)) if reason == "spam"
    ));
    // Lifted on another node, it is gone here too.
    assert!(b.hub.drop_server_ban("ZED*!*@*"));
    assert!(!b.hub.drop_server_ban("zed*!*@*"));
    assert!(b.hub.take_name(&again, n("zeddy")).is_ok());
}

#[test]
fn a_watcher_on_another_node_hears_a_change_of_someone_it_shares_no_room_with() {
    let (a, b) = (Node::new(1), Node::new(2));
    let amy = a.named("amy");
    let bob = b.named("bob");
    pump(&a, &b);
    assert!(b.hub.monitor_add(&bob, vec![n("amy")]).is_ok());
    events(&bob);
    a.hub.set_away(&amy, Some(said("lunch"))).unwrap();
    pump(&a, &b);
    let heard = events(&bob);
    assert!(
        matches!(&heard[..], [EventKind::AwayChanged { who, away: Some(away), to_watchers: true, .. }]
            if who.name == n("amy") && away.as_str() == "lunch"),
        "{heard:?}"
    );
    assert_eq!(
        b.hub
            .away_of("amy")
            .map(|t| t.as_str().to_string())
            .as_deref(),
        Some("lunch")
    );
}

#[test]
fn a_node_lists_as_its_rooms_only_those_its_own_users_are_in() {
    let (a, b) = (Node::new(1), Node::new(2));
    let (amy, _bob) = in_one_room(&a, &b);
    let carl = b.named("carl");
    b.hub.join(&carl, n("solo")).unwrap();
    pump(&a, &b);
    // a knows room solo (carl of b is in it) but has no user of its own there.
    assert_eq!(a.hub.members("solo"), vec![n("carl")]);
    let sorted = |mut rooms: Vec<Name>| {
        rooms.sort();
        rooms
    };
    assert_eq!(sorted(a.hub.local_rooms()), vec![n("c")]);
    assert_eq!(sorted(b.hub.local_rooms()), vec![n("c"), n("solo")]);
    a.hub.part(&amy, "c", None).unwrap();
    pump(&a, &b);
    assert_eq!(a.hub.local_rooms(), Vec::<Name>::new());
    assert_eq!(sorted(b.hub.local_rooms()), vec![n("c"), n("solo")]);
}

#[test]
fn a_room_renamed_on_one_node_is_renamed_on_the_other_with_its_members() {
    let (a, b) = (Node::new(1), Node::new(2));
    let (amy, bob) = in_one_room(&a, &b);
    events(&amy);
    events(&bob);
    let reason = Some(said("tidy"));
    assert!(a
        .hub
        .rename_room(&amy, "c", n("D"), reason)
        .unwrap()
        .is_some());
    pump(&a, &b);
    // bob, on the other node, hears it once, with the room as it was.
    let told = events(&bob);
    let [EventKind::RoomRenamed {
        old, new, roster, ..
    }] = &told[..]
    else {
        panic!("{told:?}");
    };
    assert_eq!((old, new), (&n("c"), &n("D")));
    let members: Vec<_> = roster
        .members
        .iter()
        .map(|m| (m.who.name.to_string(), m.op))
        .collect();
    assert_eq!(members, vec![("amy".into(), true), ("bob".into(), false)]);
    // Both nodes see one room of the new name, with amy still its operator.
    for node in [&a, &b] {
        assert!(node.hub.room_view("c").is_none());
        let view = node.hub.room_view("d").unwrap();
        assert_eq!(view.name, n("D"));
        let ops: Vec<_> = view
            .members
            .iter()
            .map(|m| (m.name.to_string(), m.op))
            .collect();
        assert_eq!(ops, vec![("amy".into(), true), ("bob".into(), false)]);
    }
    assert_eq!(b.hub.rooms_of(&bob), vec![n("D")]);
    // And the conversation goes on under it, both ways.
    b.hub.say(&bob, "d", said("hi")).unwrap();
    pump(&a, &b);
    assert!(matches!(&events(&amy)[..], [EventKind::Said { room, .. }] if *room == n("D")));
}

#[test]
fn a_rename_to_a_name_the_other_node_took_meanwhile_makes_one_room() {
    let (a, b) = (Node::new(1), Node::new(2));
    let (amy, bob) = in_one_room(&a, &b);
    // carol on `b` makes `d` before `b` hears of amy's rename of `c` to `d`.
    assert!(a
        .hub
        .rename_room(&amy, "c", n("d"), None)
        .unwrap()
        .is_some());
    let carol = b.named("carol");
    b.hub.join(&carol, n("d")).unwrap();
    pump(&a, &b);
    for node in [&a, &b] {
        assert!(node.hub.room_view("c").is_none());
        let mut names = node.hub.members("d");
        names.sort_by_key(|name| name.to_string());
        assert_eq!(names, vec![n("amy"), n("bob"), n("carol")]);
    }
    assert_eq!(b.hub.rooms_of(&bob), vec![n("d")]);
}

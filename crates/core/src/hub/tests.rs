//! The hub's verbs, tested through their events.

use super::*;
use std::sync::Mutex;

use crate::event::{ChannelFlag, ModeChange, Peer, Target, Tone};
use crate::name::NameError;
use crate::outbox::{CloseReason, Delivery};
use crate::text::Text;

pub(super) fn hub() -> Hub {
    Hub::new(HubConfig::default())
}

/// Everything queued for `session`, as event kinds (replies are not used here).
pub(super) fn events(session: &Session) -> Vec<EventKind> {
    let mut out = Vec::new();
    session.outbox().drain(&mut out);
    out.into_iter()
        .map(|d| match d {
            Delivery::Event(e) => e.kind().clone(),
            Delivery::Bytes(b) => panic!("unexpected reply {b:?}"),
        })
        .collect()
}

/// Everything queued for `session`, as message ids.
fn ids(session: &Session) -> Vec<MsgId> {
    let mut out = Vec::new();
    session.outbox().drain(&mut out);
    out.into_iter()
        .filter_map(|d| match d {
            Delivery::Event(e) => Some(e.msgid()),
            Delivery::Bytes(_) => None,
        })
        .collect()
}

fn rooms(names: &[&str]) -> Arc<[Name]> {
    names.iter().map(|r| n(r)).collect()
}

pub(super) fn named(hub: &Hub, origin: &'static str, name: &str) -> Arc<Session> {
    let s = hub.attach(origin);
    hub.take_name(&s, n(name)).unwrap();
    s
}

pub(super) fn n(s: &str) -> Name {
    Name::parse(s, 32).unwrap()
}

#[test]
fn names_are_unique_without_case_and_listed_in_taken_order() {
    let hub = hub();
    let a = named(&hub, "prefixed", "A");
    let _b = named(&hub, "prefixed", "B");
    let other = hub.attach("packet");
    assert_eq!(
        hub.take_name(&other, n("a")),
        Err(HubError::NameTaken("a".into()))
    );
    assert_eq!(hub.names(), vec![n("A"), n("B")]);
    hub.detach(&a, Departure::Quit { reason: None });
    assert_eq!(hub.names(), vec![n("B")]);
    hub.take_name(&other, n("a")).unwrap();
    assert_eq!(hub.names(), vec![n("B"), n("a")]);
}

#[test]
fn bad_names_are_refused_by_the_hubs_rules() {
    let config = HubConfig::default();
    assert_eq!(config.user_name("1x"), Err(NameError::BadStart));
    assert_eq!(
        config.user_name(&"x".repeat(21)),
        Err(NameError::TooLong(20))
    );
    assert_eq!(config.user_name(&"x".repeat(20)), Ok(n(&"x".repeat(20))));
    assert_eq!(Name::room("bad room"), Err(NameError::BadCharacter));
    assert_eq!(Name::room(&"r".repeat(33)), Err(NameError::TooLong(32)));
}

#[test]
fn rename_keeps_order_and_tells_room_mates_once() {
    let hub = hub();
    let a = named(&hub, "rooms", "alice");
    let b = named(&hub, "rooms", "bob");
    hub.join(&a, n("r1")).unwrap();
    hub.join(&a, n("r2")).unwrap();
    hub.join(&b, n("r1")).unwrap();
    hub.join(&b, n("r2")).unwrap();
    events(&a);
    hub.take_name(&b, n("bert")).unwrap();
    assert_eq!(
        events(&a),
        vec![EventKind::Renamed {
            old: n("bob"),
            new: Peer::classroom(n("bert"), "rooms"),
            rooms: rooms(&["r1", "r2"]),
        }]
    );
    assert_eq!(hub.names(), vec![n("alice"), n("bert")]);
    assert!(hub.lookup("bob").is_none());
    assert_eq!(hub.lookup("BERT").unwrap().name, n("bert"));
}

#[test]
fn join_say_part_reach_everyone_else_only() {
    let hub = hub();
    let a = named(&hub, "rooms", "alice");
    let b = named(&hub, "broadcast", "bob");
    assert_eq!(hub.join(&a, n("Lobby")).unwrap(), n("Lobby"));
    assert_eq!(hub.join(&b, n("lobby")).unwrap(), n("Lobby"));
    assert_eq!(
        hub.join(&b, n("lobby")),
        Err(HubError::AlreadyMember("Lobby".into()))
    );
    let bob = Peer::classroom(n("bob"), "broadcast");
    assert_eq!(
        events(&a),
        vec![EventKind::Joined {
            room: n("Lobby"),
            who: bob.clone(),
            op: false
        }]
    );
    assert!(events(&b).is_empty());

    hub.say(&b, "LOBBY", Text::new("hi")).unwrap();
    assert_eq!(
        events(&a),
        vec![EventKind::Said {
            room: n("Lobby"),
            from: bob.clone(),
            text: Text::new("hi"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            rank: None,
        }]
    );
    assert!(events(&b).is_empty());

    hub.part(&b, "lobby", None).unwrap();
    assert_eq!(
        events(&a),
        vec![EventKind::Left {
            room: n("Lobby"),
            who: bob,
            how: Departure::Parted { reason: None }
        }]
    );
    assert_eq!(hub.members("lobby"), vec![n("alice")]);
    assert_eq!(
        hub.say(&b, "lobby", Text::new("x")),
        Err(HubError::NotMember("lobby".into()))
    );
}

#[test]
fn rooms_appear_in_creation_order_and_vanish_with_the_last_member() {
    let hub = hub();
    let a = named(&hub, "rooms", "alice");
    hub.join(&a, n("zeta")).unwrap();
    hub.join(&a, n("alpha")).unwrap();
    assert_eq!(hub.rooms(), vec![n("zeta"), n("alpha")]);
    assert_eq!(hub.rooms_of(&a), vec![n("zeta"), n("alpha")]);
    hub.detach(&a, Departure::Lost);
    assert!(hub.rooms().is_empty());
    assert_eq!(hub.session_count(), 0);
}

#[test]
fn a_lost_client_is_announced_as_lost() {
    let hub = hub();
    let a = named(&hub, "broadcast", "alice");
    let b = named(&hub, "broadcast", "bob");
    hub.join(&a, n("lobby")).unwrap();
    hub.join(&b, n("lobby")).unwrap();
    events(&a);
    hub.detach(&b, Departure::Lost);
    assert_eq!(
        events(&a),
        vec![EventKind::Quit {
            who: Peer::classroom(n("bob"), "broadcast"),
            how: Departure::Lost,
            rooms: rooms(&["lobby"]),
        }]
    );
    assert!(hub.lookup("bob").is_none());
}

#[test]
fn leaving_the_server_is_one_quit_per_room_mate_however_many_rooms_are_shared() {
    let hub = hub();
    let a = named(&hub, "irc", "alice");
    let b = named(&hub, "irc", "bob");
    let c = named(&hub, "rooms", "carol");
    for room in ["r1", "r2"] {
        hub.join(&a, n(room)).unwrap();
        hub.join(&b, n(room)).unwrap();
    }
    hub.join(&c, n("r2")).unwrap();
    events(&a);
    events(&c);
    let reason = Some(Text::new("bye"));
    hub.detach(
        &b,
        Departure::Quit {
            reason: reason.clone(),
        },
    );
    let quit = EventKind::Quit {
        who: Peer::classroom(n("bob"), "irc"),
        how: Departure::Quit { reason },
        rooms: rooms(&["r1", "r2"]),
    };
    assert_eq!(events(&a), vec![quit.clone()]);
    assert_eq!(events(&c), vec![quit]);
    assert_eq!(hub.members("r1"), vec![n("alice")]);
}

#[test]
fn retaking_ones_own_name_is_silent_but_a_case_change_is_heard() {
    let hub = hub();
    let a = named(&hub, "rooms", "bo");
    let b = named(&hub, "rooms", "cy");
    hub.join(&a, n("r")).unwrap();
    hub.join(&b, n("r")).unwrap();
    events(&b);
    hub.take_name(&a, n("bo")).unwrap();
    assert!(events(&b).is_empty());
    hub.take_name(&a, n("Bo")).unwrap();
    assert_eq!(
        events(&b),
        vec![EventKind::Renamed {
            old: n("bo"),
            new: Peer::classroom(n("Bo"), "rooms"),
            rooms: rooms(&["r"]),
        }]
    );
}

#[test]
fn a_quiet_detach_tells_no_one() {
    let hub = hub();
    let a = named(&hub, "rooms", "alice");
    let b = named(&hub, "rooms", "bob");
    hub.join(&a, n("r")).unwrap();
    hub.join(&b, n("r")).unwrap();
    events(&a);
    hub.detach_quietly(&b);
    assert!(events(&a).is_empty());
    assert_eq!(hub.members("r"), vec![n("alice")]);
    assert!(hub.lookup("bob").is_none());
}

#[test]
fn messages_carry_unique_ids_and_opaque_client_tags() {
    let hub = hub();
    let a = named(&hub, "irc", "a");
    let b = named(&hub, "irc", "b");
    hub.join(&a, n("r")).unwrap();
    hub.join(&b, n("r")).unwrap();
    events(&a);
    let tags: Option<Arc<str>> = Some(Arc::from("+draft/react=\\o/"));
    let first = hub
        .say_tagged(&b, "r", Some(Text::new("hi")), Tone::Chat, tags.clone())
        .unwrap();
    let second = hub
        .say_tagged(&b, "r", None, Tone::Chat, tags.clone())
        .unwrap();
    let third = hub.whisper_tagged(&b, "a", None, Tone::Chat, None).unwrap();
    assert!(first < second && second < third);
    assert_eq!(
        events(&a),
        vec![
            EventKind::Said {
                room: n("r"),
                from: hub.lookup("b").unwrap(),
                text: Text::new("hi"),
                tone: Tone::Chat,
                client_tags: tags.clone(),
                lines: None,
                rank: None,
            },
            EventKind::Tagged {
                from: hub.lookup("b").unwrap(),
                to: Target::Room(n("r")),
                client_tags: tags,
                to_account: None,
                rank: None,
            },
            EventKind::Tagged {
                from: hub.lookup("b").unwrap(),
                to: Target::User(n("a")),
                client_tags: None,
                to_account: None,
                rank: None,
            },
        ]
    );
    // Tags alone follow the room's rules like text.
    hub.change_modes(&a, "r", vec![flag(ChannelFlag::Moderated, true)])
        .unwrap();
    assert_eq!(
        hub.say_tagged(&b, "r", None, Tone::Chat, None),
        Err(HubError::CannotSend("r".into()))
    );
}

#[test]
fn message_ids_carry_the_node_and_resume_after_the_newest_stored() {
    // Ids carry the time and the node, and a restarted hub resumes after the newest
    // stored one even if its clock is behind.
    let newest = MsgId::new(u64::MAX >> 16, 0, 41);
    let other = Hub::new(HubConfig {
        node: 5,
        ..HubConfig::default()
    });
    other.resume_msgids_after(newest);
    let c = named(&other, "irc", "c");
    let next = other
        .whisper_tagged(&c, "c", None, Tone::Chat, None)
        .unwrap();
    assert_eq!(
        (next.millis(), next.node(), next.counter()),
        (newest.millis(), 5, 42)
    );
    assert_eq!(ids(&c), vec![next]);
}

#[test]
fn whisper_reaches_one_user_even_oneself() {
    let hub = hub();
    let a = named(&hub, "prefixed", "A");
    let b = named(&hub, "packet", "B");
    hub.whisper(&a, "b", Text::new("HELLO")).unwrap();
    assert_eq!(
        events(&b),
        vec![EventKind::Direct {
            from: Peer::classroom(n("A"), "prefixed"),
            to: n("B"),
            text: Text::new("HELLO"),
            tone: Tone::Chat,
            client_tags: None,
            lines: None,
            to_account: None,
            waiting: false,
        }]
    );
    hub.whisper(&a, "A", Text::new("me")).unwrap();
    assert_eq!(events(&a).len(), 1);
    assert_eq!(
        hub.whisper(&a, "nobody", Text::new("x")),
        Err(HubError::NoSuchUser("nobody".into()))
    );
    let anon = hub.attach("prefixed");
    assert_eq!(
        hub.whisper(&anon, "A", Text::new("x")),
        Err(HubError::NoName)
    );
}

#[test]
fn joining_needs_a_name_and_a_good_room() {
    let hub = hub();
    let s = hub.attach("rooms");
    assert_eq!(hub.join(&s, n("r")), Err(HubError::NoName));
    hub.take_name(&s, n("x")).unwrap();
    assert_eq!(hub.join(&s, n("r")).unwrap(), n("r"));
}

#[test]
fn a_slow_consumer_is_closed_and_the_sender_goes_on() {
    let hub = Hub::new(HubConfig {
        outbox_bytes: 1000,
        ..HubConfig::default()
    });
    let talker = named(&hub, "rooms", "talker");
    let fast = named(&hub, "rooms", "fast");
    let slow = named(&hub, "rooms", "slow");
    for s in [&talker, &fast, &slow] {
        hub.join(s, n("r")).unwrap();
    }
    events(&talker);
    events(&fast);
    for i in 0..100 {
        hub.say(&talker, "r", Text::new(&format!("message {i}")))
            .unwrap();
        assert_eq!(events(&fast).len(), 1, "fast reader got message {i}");
    }
    let mut out = Vec::new();
    assert_eq!(slow.outbox().drain(&mut out), Some(CloseReason::Overflow));
}

#[test]
fn new_rules_filter_every_message_and_size_new_outboxes_only() {
    let hub = hub();
    let old = named(&hub, "rooms", "old");
    hub.join(&old, n("r")).unwrap();
    hub.say(&old, "r", Text::new("darn")).unwrap();
    hub.set_rules(LiveRules {
        outbox_bytes: 1000,
        filtered_words: vec!["darn".into()],
    });
    // The filter applies at once, to a session attached before the change too.
    assert_eq!(
        hub.say(&old, "r", Text::new("oh darn")),
        Err(HubError::Filtered)
    );
    assert!(hub.filters("DARN"));
    assert_eq!(hub.rules().outbox_bytes, 1000);
    // A session attached from now on gets the new outbox limit: 100 unread messages
    // overflow it, where they fit the old session's default.
    let new = named(&hub, "rooms", "new");
    hub.join(&new, n("r")).unwrap();
    for i in 0..100 {
        hub.say(&old, "r", Text::new(&format!("message {i}")))
            .unwrap();
    }
    let mut out = Vec::new();
    assert_eq!(new.outbox().drain(&mut out), Some(CloseReason::Overflow));
    assert_eq!(old.outbox().drain(&mut out), None);
}

#[test]
fn release_name_leaves_rooms_and_frees_the_name() {
    let hub = hub();
    let a = named(&hub, "packet", "A");
    hub.join(&a, n("r")).unwrap();
    assert_eq!(
        hub.release_name(&a, Departure::Quit { reason: None }),
        Some(n("A"))
    );
    assert!(hub.rooms().is_empty());
    assert!(hub.names().is_empty());
    assert_eq!(hub.release_name(&a, Departure::Lost), None);
}

// ---- channel rules ----

pub(super) fn flag(flag: ChannelFlag, on: bool) -> ModeChange {
    ModeChange::Flag { flag, on }
}

/// alice creates room `r` (so she is its operator) and bob joins it.
pub(super) fn room_with_op() -> (Hub, Arc<Session>, Arc<Session>) {
    let hub = hub();
    let alice = named(&hub, "irc", "alice");
    let bob = named(&hub, "rooms", "bob");
    hub.join(&alice, n("r")).unwrap();
    hub.join(&bob, n("r")).unwrap();
    events(&alice);
    (hub, alice, bob)
}

#[test]
fn the_first_member_is_operator() {
    let (hub, _, _) = room_with_op();
    let view = hub.room_view("R").unwrap();
    let ops: Vec<_> = view
        .members
        .iter()
        .map(|m| (m.name.to_string(), m.op))
        .collect();
    assert_eq!(
        ops,
        vec![("alice".to_string(), true), ("bob".to_string(), false)]
    );
    assert!(view.modes.topic_lock && view.modes.no_external);
}

#[test]
fn topic_lock_lets_only_operators_set_the_topic() {
    let (hub, alice, bob) = room_with_op();
    assert_eq!(
        hub.set_topic(&bob, "r", Some(Text::new("x"))),
        Err(HubError::ChanOpNeeded("r".into()))
    );
    hub.set_topic(&alice, "r", Some(Text::new("welcome")))
        .unwrap();
    assert!(
        matches!(&events(&bob)[..], [EventKind::TopicChanged { topic: Some(t), .. }] if t.as_str() == "welcome")
    );
    let topic = hub.room_view("r").unwrap().topic.unwrap();
    assert_eq!(topic.text.as_str(), "welcome");
    assert_eq!(topic.set_by, "alice!alice@irc");
    hub.change_modes(&alice, "r", vec![flag(ChannelFlag::TopicLock, false)])
        .unwrap();
    hub.set_topic(&bob, "r", None).unwrap();
    assert_eq!(hub.room_view("r").unwrap().topic, None);
}

#[test]
fn modes_need_an_operator_and_unchanged_ones_are_dropped() {
    let (hub, alice, bob) = room_with_op();
    assert_eq!(
        hub.change_modes(&bob, "r", vec![flag(ChannelFlag::Moderated, true)]),
        Err(HubError::ChanOpNeeded("r".into()))
    );
    let outcome = hub
        .change_modes(
            &alice,
            "r",
            vec![
                flag(ChannelFlag::Moderated, true),
                flag(ChannelFlag::TopicLock, true),
                ModeChange::Op {
                    on: true,
                    who: n("nobody"),
                },
            ],
        )
        .unwrap();
    assert_eq!(outcome.applied, vec![flag(ChannelFlag::Moderated, true)]);
    assert_eq!(
        outcome.refused,
        vec![(
            ModeChange::Op {
                on: true,
                who: n("nobody")
            },
            HubError::NoSuchUser("nobody".into())
        )]
    );
    assert!(
        matches!(&events(&bob)[..], [EventKind::ModesChanged { changes, .. }] if changes.len() == 1)
    );
}

#[test]
fn moderation_silences_all_but_voice_and_operators() {
    let (hub, alice, bob) = room_with_op();
    hub.change_modes(&alice, "r", vec![flag(ChannelFlag::Moderated, true)])
        .unwrap();
    events(&bob);
    assert_eq!(
        hub.say(&bob, "r", Text::new("hi")),
        Err(HubError::CannotSend("r".into()))
    );
    hub.say(&alice, "r", Text::new("ops may")).unwrap();
    hub.change_modes(
        &alice,
        "r",
        vec![ModeChange::Voice {
            on: true,
            who: n("BOB"),
        }],
    )
    .unwrap();
    hub.say(&bob, "r", Text::new("voiced")).unwrap();
    assert_eq!(events(&alice).len(), 1);
}

#[test]
fn outside_messages_follow_no_external() {
    let (hub, alice, _bob) = room_with_op();
    let carol = named(&hub, "irc", "carol");
    assert_eq!(
        hub.say(&carol, "r", Text::new("hi")),
        Err(HubError::NotMember("r".into()))
    );
    assert_eq!(
        hub.say(&carol, "nowhere", Text::new("hi")),
        Err(HubError::NoSuchRoom("nowhere".into()))
    );
    hub.change_modes(&alice, "r", vec![flag(ChannelFlag::NoExternal, false)])
        .unwrap();
    hub.say_as(&carol, "r", Text::new("hi"), Tone::Notice)
        .unwrap();
    assert!(matches!(
        &events(&alice)[..],
        [EventKind::Said {
            tone: Tone::Notice,
            ..
        }]
    ));
}

#[test]
fn keys_limits_invitations_and_bans_guard_the_door() {
    let (hub, alice, _bob) = room_with_op();
    let carol = named(&hub, "broadcast", "carol");
    hub.change_modes(&alice, "r", vec![ModeChange::Key(Some("sesame".into()))])
        .unwrap();
    assert_eq!(hub.join(&carol, n("r")), Err(HubError::BadKey("r".into())));
    assert_eq!(
        hub.join_with_key(&carol, n("r"), Some("nope")),
        Err(HubError::BadKey("r".into()))
    );
    hub.change_modes(
        &alice,
        "r",
        vec![ModeChange::Key(None), ModeChange::Limit(Some(2))],
    )
    .unwrap();
    assert_eq!(hub.join(&carol, n("r")), Err(HubError::Full("r".into())));
    hub.change_modes(
        &alice,
        "r",
        vec![ModeChange::Limit(None), flag(ChannelFlag::InviteOnly, true)],
    )
    .unwrap();
    assert_eq!(
        hub.join(&carol, n("r")),
        Err(HubError::InviteOnly("r".into()))
    );
    hub.change_modes(&alice, "r", vec![flag(ChannelFlag::InviteOnly, false)])
        .unwrap();
    hub.change_modes(
        &alice,
        "r",
        vec![ModeChange::Ban {
            on: true,
            mask: "*!*@BROADCAST".into(),
        }],
    )
    .unwrap();
    assert_eq!(hub.join(&carol, n("r")), Err(HubError::Banned("r".into())));
    // An invitation gets past the ban once.
    hub.invite(&alice, "carol", "r").unwrap();
    assert!(matches!(&events(&carol)[..], [EventKind::Invited { .. }]));
    hub.join(&carol, n("r")).unwrap();
    assert_eq!(
        hub.invite(&alice, "carol", "r"),
        Err(HubError::UserInRoom {
            user: "carol".into(),
            room: "r".into()
        })
    );
    // A banned member cannot speak.
    assert_eq!(
        hub.say(&carol, "r", Text::new("hi")),
        Err(HubError::CannotSend("r".into()))
    );
}

#[test]
fn ban_exceptions_let_matching_users_past_bans() {
    let (hub, alice, bob) = room_with_op();
    let carol = named(&hub, "broadcast", "carol");
    let dave = named(&hub, "broadcast", "dave");
    let ban = |on| ModeChange::Ban {
        on,
        mask: "*!*@broadcast".into(),
    };
    let except = |on| ModeChange::Except {
        on,
        mask: "CAROL!*@*".into(),
    };
    let outcome = hub
        .change_modes(&alice, "r", vec![ban(true), except(true), except(true)])
        .unwrap();
    // The second `+e` of the same mask changes nothing.
    assert_eq!(outcome.applied, vec![ban(true), except(true)]);
    assert!(matches!(
        &events(&bob)[..],
        [EventKind::ModesChanged { changes, .. }] if *changes == vec![ban(true), except(true)]
    ));
    let view = hub.room_view("r").unwrap();
    assert_eq!(view.exceptions.len(), 1);
    assert_eq!(view.exceptions[0].mask, "CAROL!*@*".into());
    assert_eq!(view.exceptions[0].set_by, "alice");
    assert_eq!(hub.join(&dave, n("r")), Err(HubError::Banned("r".into())));
    hub.join(&carol, n("r")).unwrap();
    hub.say(&carol, "r", Text::new("hi")).unwrap();
    // Without the exception the ban holds again, for speaking too.
    let outcome = hub
        .change_modes(&alice, "r", vec![except(false), except(false)])
        .unwrap();
    assert_eq!(outcome.applied, vec![except(false)]);
    assert!(hub.room_view("r").unwrap().exceptions.is_empty());
    assert_eq!(
        hub.say(&carol, "r", Text::new("hi")),
        Err(HubError::CannotSend("r".into()))
    );
}

#[test]
fn exception_lists_are_bounded_like_bans() {
    let (hub, alice, _bob) = room_with_op();
    let except = |i: usize| ModeChange::Except {
        on: true,
        mask: format!("user{i}!*@*").as_str().into(),
    };
    let outcome = hub
        .change_modes(&alice, "r", (0..=MAX_BANS).map(except).collect())
        .unwrap();
    assert_eq!(outcome.applied.len(), MAX_BANS);
    // The one past the bound is refused, and the refusal says why.
    assert_eq!(
        outcome.refused,
        [(except(MAX_BANS), HubError::ListFull("r".into()))]
    );
    assert_eq!(hub.room_view("r").unwrap().exceptions.len(), MAX_BANS);
    assert!(hub.room_view("r").unwrap().bans.is_empty());
}

#[test]
fn a_kick_is_heard_by_all_and_removes_the_target() {
    let (hub, alice, bob) = room_with_op();
    let carol = named(&hub, "irc", "carol");
    hub.join(&carol, n("r")).unwrap();
    events(&alice);
    events(&bob);
    assert_eq!(
        hub.kick(&bob, "r", "alice", None),
        Err(HubError::ChanOpNeeded("r".into()))
    );
    hub.kick(&alice, "r", "bob", Some(Text::new("bye")))
        .unwrap();
    for s in [&bob, &carol] {
        assert!(
            matches!(&events(s)[..], [EventKind::Kicked { target, .. }] if target.name == n("bob"))
        );
    }
    assert!(
        events(&alice).is_empty(),
        "the kicker's echo is its adapter's"
    );
    assert_eq!(hub.members("r"), vec![n("alice"), n("carol")]);
    assert!(hub.rooms_of(&bob).is_empty());
    assert_eq!(
        hub.kick(&alice, "r", "bob", None),
        Err(HubError::UserNotInRoom {
            user: "bob".into(),
            room: "r".into()
        })
    );
}

#[test]
fn away_is_heard_by_room_mates_and_shown_in_whois() {
    let (hub, alice, bob) = room_with_op();
    hub.set_profile(&alice, "al", "Alice Liddell").unwrap();
    hub.set_away(&alice, Some(Text::new("lunch"))).unwrap();
    assert!(
        matches!(&events(&bob)[..], [EventKind::AwayChanged { away: Some(_), who, .. }] if who.user() == "al")
    );
    let view = hub.user_view("ALICE").unwrap();
    assert_eq!(view.away, Some(Text::new("lunch")));
    assert_eq!(
        (&*view.user, &*view.realname, &*view.host),
        ("al", "Alice Liddell", "irc")
    );
    assert_eq!(view.rooms, vec![(n("r"), true, false, false)]);
    let counts = hub.counts();
    assert_eq!(
        (counts.sessions, counts.named, counts.rooms, counts.opers),
        (2, 2, 1, 0)
    );
}

#[test]
fn invisibility_peak_and_user_lists_feed_lusers_and_who() {
    let hub = hub();
    let a = named(&hub, "irc", "alice");
    let b = named(&hub, "rooms", "bob");
    let _unnamed = hub.attach("irc");
    hub.set_invisible(&a, true).unwrap();
    hub.set_oper(&b, true).unwrap();
    hub.join(&a, n("r")).unwrap();
    assert!(hub.room_exists("R") && !hub.room_exists("s"));
    let counts = hub.counts();
    assert_eq!(
        (
            counts.sessions,
            counts.named,
            counts.invisible,
            counts.opers
        ),
        (3, 2, 1, 1)
    );
    hub.detach(&b, Departure::Lost);
    let counts = hub.counts();
    assert_eq!((counts.named, counts.peak_named, counts.opers), (1, 2, 0));
    let users = hub.user_views();
    assert_eq!(users.len(), 1);
    assert!(users[0].invisible);
    assert_eq!(users[0].rooms, vec![(n("r"), true, false, false)]);
    assert!(hub.room_view("r").unwrap().members[0].invisible);
}

#[test]
fn peers_carry_the_real_name_for_extended_join() {
    let (hub, alice, bob) = room_with_op();
    hub.set_profile(&bob, "b", "Bob Real").unwrap();
    hub.part(&bob, "r", None).unwrap();
    events(&alice);
    hub.join(&bob, n("r")).unwrap();
    match &events(&alice)[..] {
        [EventKind::Joined { who, .. }] => {
            assert_eq!((who.user(), who.realname()), ("b", "Bob Real"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(Peer::classroom(n("x"), "rooms").realname(), "x");
}

#[test]
fn invitations_are_listed_until_used_and_summaries_carry_times() {
    let (hub, alice, _bob) = room_with_op();
    let carol = named(&hub, "irc", "carol");
    hub.join(&alice, n("s")).unwrap();
    assert!(hub.invitations(&carol).is_empty());
    hub.invite(&alice, "carol", "s").unwrap();
    hub.invite(&alice, "carol", "r").unwrap();
    assert_eq!(hub.invitations(&carol), vec![n("r"), n("s")]);
    hub.join(&carol, n("r")).unwrap();
    assert_eq!(hub.invitations(&carol), vec![n("s")]);
    hub.set_topic(&alice, "r", Some(Text::new("hello")))
        .unwrap();
    let summaries = hub.room_summaries();
    assert!(summaries[0].topic_set_at.is_some() && summaries[1].topic_set_at.is_none());
    assert!(summaries[0].created_at <= summaries[1].created_at);
}

#[test]
fn joining_while_away_tells_the_room_after_the_join() {
    let (hub, alice, bob) = room_with_op();
    hub.part(&bob, "r", None).unwrap();
    hub.set_away(&bob, Some(Text::new("lunch"))).unwrap();
    events(&alice);
    hub.join(&bob, n("r")).unwrap();
    assert!(matches!(
        &events(&alice)[..],
        [EventKind::Joined { .. }, EventKind::AwayChanged { away: Some(text), .. }]
            if text.as_str() == "lunch"
    ));
    assert!(events(&bob).is_empty(), "not told of oneself");
}

#[test]
fn a_user_may_be_in_at_most_rooms_max_rooms() {
    let hub = Hub::new(HubConfig {
        rooms_max: 2,
        ..HubConfig::default()
    });
    let s = named(&hub, "irc", "amy");
    hub.join(&s, n("a")).unwrap();
    hub.join(&s, n("b")).unwrap();
    assert_eq!(
        hub.join(&s, n("c")),
        Err(HubError::TooManyRooms("c".into()))
    );
    // Joining a room one is in is still only "already a member".
    assert_eq!(
        hub.join(&s, n("a")),
        Err(HubError::AlreadyMember("a".into()))
    );
    // The refused room was not created.
    assert!(hub.room_view("c").is_none());
    hub.part(&s, "a", None).unwrap();
    hub.join(&s, n("c")).unwrap();
}

/// A stage that keeps what it is given until the test delivers it, as the store does
/// until its commit.
#[derive(Default)]
struct HeldStage(Mutex<Vec<crate::router::Routed>>);

impl Stage for HeldStage {
    fn submit(&self, events: Vec<crate::router::Routed>) {
        self.0.lock().unwrap().extend(events);
    }
}

impl HeldStage {
    fn release(&self) -> Vec<MsgId> {
        let held = std::mem::take(&mut *self.0.lock().unwrap());
        let ids = held.iter().map(|r| r.event.msgid()).collect();
        held.into_iter().for_each(crate::router::Routed::deliver);
        ids
    }
}

#[test]
fn with_a_stage_nothing_is_delivered_until_it_delivers_and_then_in_the_hubs_order() {
    let hub = hub();
    let stage = Arc::new(HeldStage::default());
    assert!(hub.set_stage(stage.clone()).is_ok());
    assert!(hub.set_stage(Arc::new(HeldStage::default())).is_err());
    let a = named(&hub, "irc", "a");
    let b = named(&hub, "rooms", "b");
    hub.join(&a, n("r")).unwrap();
    hub.join(&b, n("r")).unwrap();
    hub.say(&b, "r", Text::new("one")).unwrap();
    // A room with only its speaker still makes the event: history keeps it.
    hub.join(&b, n("alone")).unwrap();
    hub.say(&b, "alone", Text::new("nobody hears")).unwrap();
    hub.whisper(&b, "a", Text::new("two")).unwrap();
    assert!(events(&a).is_empty(), "nothing before the stage delivers");
    let made = stage.release();
    assert!(
        made.windows(2).all(|w| w[0] < w[1]),
        "ids in the hub's order"
    );
    assert_eq!(made.len(), 6, "2 joins, 3 messages and the join of alone");
    let kinds = events(&a);
    assert!(matches!(
        &kinds[..],
        [
            EventKind::Joined { .. },
            EventKind::Said { text: one, .. },
            EventKind::Direct { text: two, .. },
        ] if one.as_str() == "one" && two.as_str() == "two"
    ));
}

#[test]
fn who_hears_of_an_event_is_decided_when_it_happens_not_when_it_is_delivered() {
    let hub = hub();
    let stage = Arc::new(HeldStage::default());
    assert!(hub.set_stage(stage.clone()).is_ok());
    let a = named(&hub, "irc", "a");
    let b = named(&hub, "irc", "b");
    let c = named(&hub, "irc", "c");
    let d = named(&hub, "irc", "d");
    for s in [&a, &b, &c] {
        hub.join(s, n("r")).unwrap();
    }
    // Two kicks in a row: c was still in the room when b was kicked, so hears of it,
    // though c is out too by the time anything is delivered. d joins after both.
    hub.kick(&a, "r", "b", None).unwrap();
    hub.kick(&a, "r", "c", None).unwrap();
    hub.join(&d, n("r")).unwrap();
    stage.release();
    let kicks = |kinds: Vec<EventKind>| {
        kinds
            .iter()
            .filter(|k| matches!(k, EventKind::Kicked { .. }))
            .count()
    };
    assert_eq!(kicks(events(&b)), 1, "b hears its own kick");
    assert_eq!(kicks(events(&c)), 2, "c hears b's kick and its own");
    assert_eq!(kicks(events(&a)), 0, "the kicker hears nothing back");
    assert_eq!(events(&d), vec![], "nothing from before d joined");
}

#[test]
fn an_event_from_another_node_reaches_its_author_namesake_too() {
    let hub = hub();
    let a = named(&hub, "irc", "a");
    hub.join(&a, n("r")).unwrap();
    let from = Peer::classroom(n("z"), "rooms");
    let kind = EventKind::Said {
        room: n("r"),
        from,
        text: Text::new("from afar"),
        tone: Tone::Chat,
        client_tags: None,
        lines: None,
        rank: None,
    };
    // The author's session number is a's, but on node 9: not a's own event.
    let remote = Event::new(MsgId::new(1, 9, 0), Some(a.id()), kind);
    let routed = hub.apply_remote(9, vec![remote]);
    routed.into_iter().for_each(Routed::deliver);
    assert_eq!(events(&a).len(), 1);
}

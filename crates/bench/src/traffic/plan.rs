//! A traffic run's setup: the flags checked against the pattern and protocol, how many
//! send and how many hear each message, and each client's part (its name, room, what it
//! sends to whom on which offset of the schedule, and whose messages it should hear).
//! With `--rooms R` client `i` is a member of room `i mod R`, so the first `--senders`
//! clients, the senders, are dealt round the rooms like cards.

use std::net::IpAddr;

use anyhow::bail;

use crate::client::{has_direct, has_rooms, Target};
use crate::{Pattern, Protocol, TrafficArgs};

/// Who sends and who hears, for every client of one run.
pub(super) struct Plan {
    pub(super) pattern: Pattern,
    protocol: Protocol,
    room: String,
    /// Rooms the members are spread over (fanout; 1 in direct).
    pub(super) rooms: usize,
    /// Clients, stalled members not counted.
    pub(super) clients: usize,
    pub(super) senders: usize,
    pub(super) stalled: usize,
    /// Deliveries each message should make.
    pub(super) per_message: usize,
    /// Nanoseconds between two messages of one sender.
    interval_ns: u64,
    /// Every client's name, the stalled members' after the others'.
    pub(super) names: Vec<String>,
}

/// One client's part in the run.
pub(super) struct Role {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) room: Option<String>,
    pub(super) source: Option<IpAddr>,
    /// Its sender id, where to send, and its schedule offset and interval.
    pub(super) send: Option<(u32, Target, u64, u64)>,
    /// The senders it should hear.
    pub(super) hears: Hears,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hears {
    /// Every sender of its room but itself: room `room` of `rooms` holds the senders whose
    /// id is `room` mod `rooms`; `own` is its own sender id, if it sends.
    Room {
        rooms: u32,
        room: u32,
        own: Option<u32>,
    },
    One(u32),
}

impl Hears {
    pub(super) fn includes(self, sender: u32) -> bool {
        match self {
            Hears::Room { rooms, room, own } => sender % rooms == room && own != Some(sender),
            Hears::One(s) => s == sender,
        }
    }

    /// The ids it should hear among senders `0..senders`, without looking at the others
    /// (a direct run of 10,000 clients has 10,000 senders and each client hears one).
    pub(super) fn senders(self, senders: usize) -> impl Iterator<Item = u32> {
        let senders = u32::try_from(senders).unwrap_or(u32::MAX);
        let (first, step, own) = match self {
            Hears::Room { rooms, room, own } => (room, rooms.max(1), own),
            Hears::One(s) => (s, u32::MAX, None),
        };
        (first..senders)
            .step_by(step as usize)
            .filter(move |&id| Some(id) != own)
    }
}

impl Plan {
    /// The run's plan, or why the flags cannot make one.
    pub(super) fn new(
        args: &TrafficArgs,
        pattern: Pattern,
        rate: f64,
        tag: &str,
        step: u32,
    ) -> anyhow::Result<Plan> {
        let n = args.common.clients;
        if rate <= 0.0 || !rate.is_finite() {
            bail!("--rate must be positive");
        }
        let senders = senders(args, pattern)?;
        if args.stalled > 0 && pattern != Pattern::Fanout {
            bail!("--stalled needs fanout (stalled members sit in the room)");
        }
        let rooms = rooms(args, pattern, senders)?;
        let per_message = match pattern {
            Pattern::Fanout => n / rooms - 1,
            Pattern::Direct => 1,
        };
        Ok(Plan {
            pattern,
            protocol: args.common.protocol.protocol(),
            room: args.room.clone(),
            rooms,
            clients: n,
            senders,
            stalled: args.stalled,
            per_message,
            // Each sender sends at rate/senders, the senders' schedules staggered evenly.
            interval_ns: (1e9 * senders as f64 / rate).max(1.0) as u64,
            names: (0..n + args.stalled)
                .map(|i| crate::names::client_name(tag, step, i))
                .collect(),
        })
    }

    /// Client `i`'s part; `sources` are the local addresses to spread clients over.
    pub(super) fn role(&self, i: usize, sources: &[IpAddr]) -> Role {
        let (room, send) = match self.pattern {
            Pattern::Fanout => {
                let name = self.room_of(i);
                let send = (i < self.senders).then(|| self.sends(i, Target::Room(name.clone())));
                ((self.protocol != Protocol::Broadcast).then_some(name), send)
            }
            Pattern::Direct => {
                let (room, target) = match self.protocol {
                    // A pair shares a room of its own.
                    Protocol::Rooms => {
                        let room = format!("{}{}", self.room, i / 2);
                        (Some(room.clone()), Target::Room(room))
                    }
                    _ => (None, Target::User(self.names[i ^ 1].clone())),
                };
                (room, Some(self.sends(i, target)))
            }
        };
        Role {
            index: i,
            name: self.names[i].clone(),
            room,
            source: (!sources.is_empty()).then(|| sources[i % sources.len()]),
            send,
            hears: self.hears(i),
        }
    }

    /// The room of fanout member `i` (a stalled member's too): `--room` itself when there
    /// is one room, else `--room` and `i mod --rooms` (`lobby0`, `lobby1`...).
    pub(super) fn room_of(&self, i: usize) -> String {
        match self.rooms {
            1 => self.room.clone(),
            rooms => format!("{}{}", self.room, i % rooms),
        }
    }

    /// Sender `i`'s id, target, offset and interval: offsets spread over one interval.
    fn sends(&self, i: usize, target: Target) -> (u32, Target, u64, u64) {
        let id = i as u32;
        let offset = self.interval_ns * u64::from(id) / self.senders as u64;
        (id, target, offset, self.interval_ns)
    }

    /// Whose messages client `i` should hear: in fanout every sender of its room but
    /// itself, in direct its partner.
    pub(super) fn hears(&self, i: usize) -> Hears {
        match self.pattern {
            Pattern::Fanout => Hears::Room {
                rooms: self.rooms as u32,
                room: (i % self.rooms) as u32,
                own: (i < self.senders).then_some(i as u32),
            },
            Pattern::Direct => Hears::One((i ^ 1) as u32),
        }
    }
}

/// How many clients send: `--senders` in fanout (which needs rooms and 2 clients), every
/// client in direct (which needs direct messages and pairs).
fn senders(args: &TrafficArgs, pattern: Pattern) -> anyhow::Result<usize> {
    let wire = args.common.protocol;
    let n = args.common.clients;
    match pattern {
        Pattern::Fanout => {
            if !has_rooms(wire.protocol()) {
                bail!(
                    "{} has no rooms: fanout needs irc, rooms or broadcast (use direct)",
                    wire.name()
                );
            }
            if n < 2 {
                bail!("fanout needs at least 2 clients");
            }
            Ok(args.senders.clamp(1, n))
        }
        Pattern::Direct => {
            if !has_direct(wire.protocol()) {
                bail!("broadcast has no direct messages: use fanout");
            }
            if n < 2 || !n.is_multiple_of(2) {
                bail!("direct needs an even number of clients (pairs), got {n}");
            }
            Ok(n)
        }
    }
}

/// How many rooms the members spread over: `--rooms`, which fanout needs to divide the
/// clients evenly (at least 2 a room) and to give a sender each, and direct leaves at 1.
fn rooms(args: &TrafficArgs, pattern: Pattern, senders: usize) -> anyhow::Result<usize> {
    let (rooms, n) = (args.rooms, args.common.clients);
    if rooms == 1 {
        return Ok(1);
    }
    if rooms == 0 || pattern != Pattern::Fanout {
        bail!("--rooms {rooms}: expected 1, or more than 1 with fanout");
    }
    if args.common.protocol.protocol() == Protocol::Broadcast {
        bail!("broadcast has one conversation: --rooms needs irc, ws or rooms");
    }
    if !n.is_multiple_of(rooms) || n / rooms < 2 {
        bail!("--rooms {rooms}: --clients {n} must be a multiple of it, at least 2 a room");
    }
    if senders < rooms {
        bail!("--rooms {rooms}: every room needs a sender, but --senders is {senders}");
    }
    Ok(rooms)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        traffic: TrafficArgs,
    }

    fn plan(pattern: Pattern, flags: &str) -> anyhow::Result<Plan> {
        let words = std::iter::once("bench").chain(flags.split_whitespace());
        let args = Flags::try_parse_from(words)?.traffic;
        Plan::new(&args, pattern, 100.0, "t0", 0)
    }

    #[test]
    fn one_room_by_default_named_by_room() {
        let p = plan(Pattern::Fanout, "--clients 4 --senders 2 --room hall").expect("plan");
        assert_eq!((p.rooms, p.per_message), (1, 3));
        assert!((0..4).all(|i| p.role(i, &[]).room.as_deref() == Some("hall")));
        // Every member hears every sender but itself.
        assert_eq!(p.hears(0).senders(2).collect::<Vec<_>>(), [1]);
        assert_eq!(p.hears(3).senders(2).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn members_and_senders_are_dealt_round_the_rooms() {
        let p = plan(Pattern::Fanout, "--clients 12 --senders 6 --rooms 3").expect("plan");
        assert_eq!((p.rooms, p.per_message), (3, 3));
        let rooms: Vec<_> = (0..12).map(|i| p.role(i, &[]).room).collect();
        assert_eq!(rooms[0].as_deref(), Some("lobby0"));
        assert_eq!(rooms[4].as_deref(), Some("lobby1"));
        assert_eq!(rooms[11].as_deref(), Some("lobby2"));
        // Sender 4 sends to its own room, lobby1.
        match p.role(4, &[]).send {
            Some((4, Target::Room(room), _, _)) => assert_eq!(room, "lobby1"),
            other => panic!("{other:?}"),
        }
        // Member 7 (lobby1, not a sender) hears senders 1 and 4; sender 1 hears only 4.
        assert_eq!(p.hears(7).senders(6).collect::<Vec<_>>(), [1, 4]);
        assert_eq!(p.hears(1).senders(6).collect::<Vec<_>>(), [4]);
        assert!(p.hears(7).includes(4) && !p.hears(7).includes(5));
        // Each member hears every message of its room but its own: per_message in all.
        let heard: usize = (0..12).map(|i| p.hears(i).senders(6).count()).sum();
        assert_eq!(heard, 6 * p.per_message);
    }

    #[test]
    fn a_direct_client_hears_its_partner_only() {
        let p = plan(Pattern::Direct, "--clients 10000").expect("plan");
        assert_eq!(p.hears(6).senders(10_000).collect::<Vec<_>>(), [7]);
        assert_eq!(p.hears(7).senders(10_000).collect::<Vec<_>>(), [6]);
        assert_eq!(p.per_message, 1);
    }

    #[test]
    fn rooms_that_cannot_be_spread_evenly_are_refused() {
        let refused = |pattern, flags| match plan(pattern, flags) {
            Ok(_) => panic!("{flags} was accepted"),
            Err(e) => e.to_string(),
        };
        let e = refused(Pattern::Fanout, "--clients 10 --senders 3 --rooms 4");
        assert!(e.contains("must be a multiple"), "{e}");
        let e = refused(Pattern::Fanout, "--clients 8 --senders 3 --rooms 4");
        assert!(e.contains("every room needs a sender"), "{e}");
        let e = refused(Pattern::Fanout, "--clients 4 --senders 4 --rooms 4");
        assert!(e.contains("at least 2 a room"), "{e}");
        let e = refused(Pattern::Direct, "--clients 8 --rooms 2");
        assert!(e.contains("with fanout"), "{e}");
        let e = refused(
            Pattern::Fanout,
            "--clients 8 --senders 4 --rooms 2 --protocol broadcast",
        );
        assert!(e.contains("one conversation"), "{e}");
    }
}

//! A traffic run's setup: the flags checked against the pattern and protocol, how many
//! send and how many hear each message, and each client's part (its name, room, what it
//! sends to whom on which offset of the schedule, and whose messages it should hear).

use std::net::IpAddr;

use anyhow::bail;

use crate::client::{has_direct, has_rooms, Target};
use crate::{Pattern, Protocol, TrafficArgs};

/// Who sends and who hears, for every client of one run.
pub(super) struct Plan {
    pub(super) pattern: Pattern,
    protocol: Protocol,
    room: String,
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

#[derive(Clone, Copy)]
pub(super) enum Hears {
    /// Every sender but itself (`Some(own id)`).
    AllBut(Option<u32>),
    One(u32),
}

impl Hears {
    pub(super) fn includes(self, sender: u32) -> bool {
        match self {
            Hears::AllBut(own) => own != Some(sender),
            Hears::One(s) => s == sender,
        }
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
        let per_message = match pattern {
            Pattern::Fanout => n - 1,
            Pattern::Direct => 1,
        };
        Ok(Plan {
            pattern,
            protocol: args.common.protocol.protocol(),
            room: args.room.clone(),
            clients: n,
            senders,
            stalled: args.stalled,
            per_message,
            // Each sender sends at rate/senders, the senders' schedules staggered evenly.
            interval_ns: (1e9 * senders as f64 / rate).max(1.0) as u64,
            names: (0..n + args.stalled)
                .map(|i| crate::client_name(tag, step, i))
                .collect(),
        })
    }

    /// Client `i`'s part; `sources` are the local addresses to spread clients over.
    pub(super) fn role(&self, i: usize, sources: &[IpAddr]) -> Role {
        let (room, send) = match self.pattern {
            Pattern::Fanout => {
                let room = (self.protocol != Protocol::Broadcast).then(|| self.room.clone());
                let send =
                    (i < self.senders).then(|| self.sends(i, Target::Room(self.room.clone())));
                (room, send)
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

    /// Sender `i`'s id, target, offset and interval: offsets spread over one interval.
    fn sends(&self, i: usize, target: Target) -> (u32, Target, u64, u64) {
        let id = i as u32;
        let offset = self.interval_ns * u64::from(id) / self.senders as u64;
        (id, target, offset, self.interval_ns)
    }

    /// Whose messages client `i` should hear: in fanout every sender but itself, in
    /// direct its partner.
    pub(super) fn hears(&self, i: usize) -> Hears {
        match self.pattern {
            Pattern::Fanout => Hears::AllBut((i < self.senders).then_some(i as u32)),
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

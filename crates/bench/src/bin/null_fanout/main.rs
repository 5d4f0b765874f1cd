//! `null_fanout`: the loopback limit for a fan-out, the baseline `bench/compare` measures
//! every server against. It speaks just enough IRC for `confab bench` (001 after NICK and
//! USER, 366 after JOIN, PONG for PING) and otherwise only relays: each PRIVMSG line from
//! a member goes, as `:nick!u@null PRIVMSG ...`, to every other member of the one room
//! (whatever channel name was joined). Nothing is parsed beyond the command word, nothing
//! is checked, no state is kept but the member list.
//!
//! One blocking reader thread per connection; one writer thread per core, each owning a
//! share of the members. A reader appends what its client sent to every writer's pending
//! buffer; a writer takes all that is pending at once and sends it, coalesced, with one
//! non-blocking `send` per member (the sender's own lines left out), at most once per
//! `--tick-us` (1 ms: messages arriving within a tick share one send per member, which is
//! what keeps the syscalls, and the generator's reads, per member bounded). What a socket
//! does not take waits in a per-member backlog; a member whose backlog passes
//! `--backlog-max` is dropped.
//!
//! `null_fanout [--listen ADDR] [--threads N] [--backlog-max BYTES] [--tick-us US]`;
//! prints `listening ADDR` once bound and runs until killed.
//!
//! This file: the command line, the listener and a reader thread per connection
//! (`reader.rs`); the writers in `fanout.rs`.

mod fanout;
mod reader;

use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use fanout::{write_loop, Hub};
use reader::serve;

/// The command line's flags.
struct Flags {
    listen: String,
    threads: usize,
    backlog_max: usize,
    tick_us: u64,
}

/// The flags, or the usage line's exit code.
fn parse_flags() -> Result<Flags, ExitCode> {
    let mut flags = Flags {
        listen: "127.0.0.1:0".to_owned(),
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        backlog_max: 4 << 20,
        tick_us: 1000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--listen", Some(v)) => flags.listen = v,
            ("--threads", Some(v)) if v.parse::<usize>().is_ok_and(|n| n > 0) => {
                flags.threads = v.parse().unwrap_or(1)
            }
            ("--backlog-max", Some(v)) if v.parse::<usize>().is_ok() => {
                flags.backlog_max = v.parse().unwrap_or(flags.backlog_max)
            }
            ("--tick-us", Some(v)) if v.parse::<u64>().is_ok() => {
                flags.tick_us = v.parse().unwrap_or(flags.tick_us)
            }
            _ => {
                eprintln!("usage: null_fanout [--listen ADDR] [--threads N] [--backlog-max BYTES] [--tick-us US]");
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(flags)
}

fn main() -> ExitCode {
    let flags = match parse_flags() {
        Ok(flags) => flags,
        Err(code) => return code,
    };
    let listen = flags.listen;
    let listener = match TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("null_fanout: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hub = Arc::new(Hub::new(flags.threads, flags.backlog_max, flags.tick_us));
    for i in 0..flags.threads {
        let hub = hub.clone();
        std::thread::spawn(move || write_loop(hub, i));
    }
    match listener.local_addr() {
        Ok(addr) => println!("listening {addr}"),
        Err(e) => {
            eprintln!("null_fanout: {e}");
            return ExitCode::FAILURE;
        }
    }
    accept(&listener, &hub);
    ExitCode::SUCCESS
}

/// A reader thread for each connection, until the listener fails for good.
fn accept(listener: &TcpListener, hub: &Arc<Hub>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // Out of descriptors or similar: back off instead of spinning.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let hub = hub.clone();
        let spawned = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || serve(hub, stream));
        if spawned.is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

//! The one test harness: the server fixture ([`TestServer`], port 0, its own data
//! directory) and the scripted clients every integration test speaks through.
//!
//! - [`Wire`] (from `confab-check`, the same client the conformance scenarios use): send
//!   literal bytes, expect exact bytes, a line, a frame or a packet, silence or a close;
//!   each step returns a [`Failure`] showing what arrived. Tests write their steps as an
//!   `async` block returning [`Step`] and hand it to [`ok`].
//! - [`classroom`]: a named user of each classroom protocol on a `Wire`.
//! - [`irc::Irc`]: an IRC client on a `Wire` (register, join, expect lines, tags).
//! - [`ws::Web`]: IRC over WebSocket, and the upgrade and raw frames as bytes.
//! - [`Client`]: a client of any protocol that panics at the first wrong step instead of
//!   returning a `Failure`, and reads line by line, to a quiet moment or to the close
//!   (limits, flood control, slow consumers), over TCP or TLS.
//! - [`blocking`]: the same without a runtime, for the tests that drive the real binary
//!   from plain threads.
//!
//! Every wait is bounded.

pub mod blocking;
pub mod classroom;
mod client;
pub mod irc;
mod received;
mod server;
pub mod ws;

pub use client::{Client, WAIT};
pub use confab_check::wire::{self, Wire};
pub use confab_check::{escape, Failure};
pub use server::TestServer;

/// What one scripted step (or a whole script) comes to.
pub type Step = Result<(), Failure>;

/// Turns a script's failure into a test failure showing the bytes.
///
/// # Panics
/// On `Err`: the test fails there, with the expected and the received bytes.
pub fn ok(result: Step) {
    if let Err(failure) = result {
        panic!("\n{failure}");
    }
}

/// Asserts that every test file directly in a crate's `tests/` folder (and every folder
/// there with a `mod.rs`) is a module of the crate's one test binary, whose root is
/// `tests/<root>`: under `autotests = false` a file left out is silently never run.
/// `separate` names the files that are test binaries of their own (see the crate's
/// `Cargo.toml`).
///
/// # Panics
/// Naming every file that is neither declared (`mod <name>;`) nor separate.
pub fn assert_every_test_file_is_a_module(manifest_dir: &str, root: &str, separate: &[&str]) {
    let tests = std::path::Path::new(manifest_dir).join("tests");
    let main = std::fs::read_to_string(tests.join(root)).expect("the test binary's root");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("the tests folder") {
        let path = entry.expect("a folder entry").path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let module = if path.is_dir() && path.join("mod.rs").is_file() {
            file.clone()
        } else if let Some(stem) = file.strip_suffix(".rs") {
            stem.to_owned()
        } else {
            continue;
        };
        if file == root || separate.contains(&file.as_str()) {
            continue;
        }
        if !main
            .lines()
            .any(|line| line.trim_end() == format!("mod {module};"))
        {
            missing.push(file);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{root} does not declare `mod` for {missing:?}: add them (or list them as \
         binaries of their own in Cargo.toml)"
    );
}

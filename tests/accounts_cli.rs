//! `confab account`: adding with the password on stdin, listing, clear errors, and a
//! server started on that data directory honouring the account (its name refused to a
//! classroom user, a SASL login accepted).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};

use crate::serve_support::account;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts `confab serve` on `dir` with a loopback listener for each of `protocols`; the
/// child and the listeners' addresses, in that order.
fn serve(dir: &std::path::Path, protocols: &[&str]) -> (std::process::Child, Vec<SocketAddr>) {
    let mut command = Command::new(BIN);
    command.arg("serve");
    for protocol in protocols {
        command
            .arg("--listen")
            .arg(format!("{protocol}=127.0.0.1:0"));
    }
    let mut server = command
        .arg("--data")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("confab serve starts");
    let mut lines = BufReader::new(server.stdout.take().unwrap());
    let addrs = protocols
        .iter()
        .map(|protocol| {
            let mut line = String::new();
            lines.read_line(&mut line).unwrap();
            let rest = line
                .trim_end()
                .strip_prefix(&format!("listening {protocol} "));
            rest.unwrap_or_else(|| panic!("{line:?}")).parse().unwrap()
        })
        .collect();
    (server, addrs)
}

#[test]
fn accounts_added_on_the_command_line_are_honoured_by_the_server() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    // add, with the password as one line of stdin.
    let out = account(dir, &["add", "amy"], "sesame\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "account amy created\n");
    let out = account(dir, &["add", "Amy"], "x\n");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "confab: an account named Amy exists already\n"
    );
    let out = account(dir, &["del", "bob"], "");
    assert_eq!(text(&out.stderr), "confab: no account named bob\n");
    // list: name, created, no oper flag.
    let out = account(dir, &["list"], "");
    let listed = text(&out.stdout);
    assert!(
        listed.starts_with("amy  20") && listed.ends_with("Z\n"),
        "{listed}"
    );

    let (mut server, addrs) = serve(dir, &["prefixed", "irc"]);
    let (prefixed, irc) = (addrs[0], addrs[1]);

    // A prefixed user cannot take the name: the protocol's own "taken" reply.
    let mut p = TcpStream::connect(prefixed).unwrap();
    p.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    p.write_all(b"08NAME amy").unwrap();
    let reply = b"24Error: name amy is taken";
    let mut got = vec![0; reply.len()];
    p.read_exact(&mut got).unwrap();
    assert_eq!(text(&got), text(reply));

    // IRC: SASL PLAIN with the password given on the command line.
    let mut i = TcpStream::connect(irc).unwrap();
    i.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    i.write_all(b"CAP REQ sasl\r\nNICK amy\r\nUSER amy 0 * :amy\r\nAUTHENTICATE PLAIN\r\n")
        .unwrap();
    i.write_all(b"AUTHENTICATE AGFteQBzZXNhbWU=\r\n").unwrap();
    let mut seen = String::new();
    let mut reader = BufReader::new(i.try_clone().unwrap());
    while !seen.contains(" 903 ") {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push_str(&line);
    }
    assert!(
        seen.contains(":confab 900 amy amy!amy@127.0.0.1 amy :You are now logged in as amy\r\n"),
        "{seen}"
    );
    i.write_all(b"CAP END\r\n").unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.contains(" 001 amy "), "{line}");
    let _ = server.kill();
    let _ = server.wait();
}

/// Reads lines from `reader` until one contains `needle`; everything read, or a panic
/// naming what was missing.
fn read_until(reader: &mut impl BufRead, needle: &str) -> String {
    let mut seen = String::new();
    while !seen.contains(needle) {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("no {needle:?} in {seen}");
        }
        seen.push_str(&line);
    }
    seen
}

#[test]
fn an_operator_account_runs_every_room_once_logged_in() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    assert!(account(dir, &["add", "teach"], "sesame\n").status.success());
    let out = account(dir, &["op", "teach"], "");
    assert_eq!(text(&out.stdout), "account teach is a server operator\n");
    let out = account(dir, &["op", "nobody"], "");
    assert_eq!(text(&out.stderr), "confab: no account named nobody\n");
    assert!(!out.status.success());
    let listed = text(&account(dir, &["list"], "").stdout);
    assert!(listed.ends_with("Z  oper\n"), "{listed}");

    let (mut server, addrs) = serve(dir, &["irc"]);
    let irc = addrs[0];

    // A plain user makes no topic in the server's lobby; once logged in to teach, does.
    let mut i = TcpStream::connect(irc).unwrap();
    i.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(i.try_clone().unwrap());
    i.write_all(b"NICK guest\r\nUSER t 0 * :t\r\nJOIN #lobby\r\nTOPIC #lobby :one\r\n")
        .unwrap();
    read_until(
        &mut reader,
        ":confab 482 guest #lobby :You're not channel operator\r\n",
    );
    i.write_all(b"PRIVMSG NickServ :IDENTIFY teach sesame\r\n")
        .unwrap();
    let seen = read_until(&mut reader, "MODE guest +o\r\n");
    assert!(
        seen.ends_with(
            ":confab 381 guest :You are now an IRC operator\r\n:guest!t@127.0.0.1 MODE guest +o\r\n"
        ),
        "{seen}"
    );
    i.write_all(b"MODE guest\r\nTOPIC #lobby :two\r\n").unwrap();
    read_until(&mut reader, ":confab 221 guest +o\r\n");
    read_until(&mut reader, ":guest!t@127.0.0.1 TOPIC #lobby two\r\n");
    // Deop takes effect at the next login (the running server keeps the grant).
    let _ = server.kill();
    let _ = server.wait();
    let out = account(dir, &["deop", "teach"], "");
    assert_eq!(
        text(&out.stdout),
        "account teach is no longer a server operator\n"
    );
}

//! Reloading the real `confab serve --config FILE` while clients stay connected: the file
//! is rewritten, SIGHUP, `confab reload --pid` or `confab reload --data` (the control
//! socket, which answers with the outcome) applies it, and the bytes clients see change; a
//! broken file changes nothing. Everything on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::serve_support::trusting;
use crate::serve_support::watched::{Watched, WAIT};
use confab_testkit::blocking::Irc;

use rustls_pki_types::ServerName;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// A `confab serve --config FILE` child, watched, with the file it reads.
struct Serve {
    watched: Watched,
    config: PathBuf,
}

impl Serve {
    /// Writes `text` to `dir/confab.toml` and serves it; waits for `listeners` lines.
    fn start(dir: &Path, text: &str, listeners: usize) -> (Serve, Vec<(String, SocketAddr)>) {
        let config = dir.join("confab.toml");
        std::fs::write(&config, text).unwrap();
        let mut command = Command::new(BIN);
        command.arg("serve").arg("--config").arg(&config);
        let serve = Serve {
            watched: Watched::spawn(command),
            config,
        };
        let listening = (0..listeners).map(|_| serve.listening()).collect();
        (serve, listening)
    }

    /// The next `listening KIND ADDR` line.
    fn listening(&self) -> (String, SocketAddr) {
        self.watched.listening()
    }

    /// Rewrites the configuration file (the server reads it on the next SIGHUP).
    fn rewrite(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn pid(&self) -> u32 {
        self.watched.pid()
    }

    /// Waits for a log line containing `wanted` (lines before it are skipped).
    fn logged(&self, wanted: &str) -> String {
        self.watched.logged(wanted)
    }
}

/// Registers `nick`; returns the client and the welcome's MOTD lines (375 to 376).
fn register(addr: SocketAddr, nick: &str) -> (Irc, Vec<String>) {
    let irc = Irc::register(addr, nick);
    let motd = motd_of(&irc.welcome);
    (irc, motd)
}

/// The MOTD lines of `lines`, from `375` to the end (a `376`).
fn motd_of(lines: &[String]) -> Vec<String> {
    let start = lines
        .iter()
        .position(|l| l.starts_with(":confab 375 "))
        .unwrap();
    lines[start..].to_vec()
}

/// What the server answers to a message to oneself, up to a PONG.
fn say_to_self(irc: &mut Irc, nick: &str, text: &str) -> Vec<String> {
    irc.send(&format!("PRIVMSG {nick} :{text}\r\nPING :done\r\n"));
    irc.until(|line| line.ends_with(" PONG confab done"))
}

fn motd_lines(nick: &str, text: &str) -> Vec<String> {
    vec![
        format!(":confab 375 {nick} :- confab Message of the day - "),
        format!(":confab 372 {nick} :- {text}"),
        format!(":confab 376 {nick} :End of /MOTD command."),
    ]
}

/// Waits until connecting to `addr` is refused: the listener there is closed.
fn refused(addr: SocketAddr) -> bool {
    for _ in 0..100 {
        match TcpStream::connect(addr) {
            Err(error) => return error.kind() == std::io::ErrorKind::ConnectionRefused,
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    false
}

const BEFORE: &str = "listen = [\"irc=127.0.0.1:0\", \"rooms=127.0.0.1:0\"]
data = \"none\"
[irc]
motd = [\"before the reload\"]
";

const AFTER: &str = "listen = [\"irc=127.0.0.1:0\", \"broadcast=127.0.0.1:0\"]
data = \"none\"
[irc]
motd = [\"after the reload\"]
[moderation]
filtered_words = [\"darn\"]
";

const BROKEN: &str = "listen = [\"irc=127.0.0.1:0\"]
data = \"none\"
[irc]
motd = [\"from a broken file\"]
[limits]
name_max = 40
";

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: one server through a reload and a refused one, amy connected throughout"
)]
fn sighup_applies_motd_filter_and_listeners_and_a_broken_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (serve, listening) = Serve::start(dir.path(), BEFORE, 2);
    let (irc, rooms) = (listening[0].1, listening[1].1);
    assert_eq!((&*listening[0].0, &*listening[1].0), ("irc", "rooms"));
    // amy connects before the reload and stays connected through it.
    let (mut amy, motd) = register(irc, "amy");
    assert_eq!(motd, motd_lines("amy", "before the reload"));
    let said = say_to_self(&mut amy, "amy", "oh darn");
    assert!(!said.iter().any(|l| l.contains(" 404 ")), "{said:?}");

    serve.rewrite(AFTER);
    let output = Command::new(BIN)
        .args(["reload", "--pid", &serve.pid().to_string()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "sent SIGHUP to {}: its log says `reloaded: ...` with what changed, or `reload \
             refused, nothing changed: ...` with why\n",
            serve.pid()
        )
    );
    // The added listener prints its line like those of the start.
    let (kind, broadcast) = serve.listening();
    assert_eq!(kind, "broadcast");
    let line = serve.logged("reloaded:");
    assert!(
        line.ends_with(&format!(
            " confab_server::reload: reloaded: motd, filtered_words; listeners \
             +broadcast={broadcast} -rooms=127.0.0.1:0"
        )),
        "{line}"
    );
    // amy, connected before, gets the new MOTD and the new filter.
    amy.send("MOTD\r\n");
    let again = amy.until(|line| line.starts_with(":confab 376 "));
    assert_eq!(motd_of(&again), motd_lines("amy", "after the reload"));
    assert_eq!(
        say_to_self(&mut amy, "amy", "oh darn"),
        [
            ":confab 404 amy amy :Cannot send to channel: it contains a word that is not allowed here",
            ":confab PONG confab done",
        ]
    );
    // The new listener accepts; the removed one is closed.
    let mut user = TcpStream::connect(broadcast).unwrap();
    user.set_read_timeout(Some(WAIT)).unwrap();
    user.write_all(b"bob\n").unwrap();
    let mut welcome = String::new();
    BufReader::new(&user).read_line(&mut welcome).unwrap();
    assert_eq!(
        welcome,
        "Welcome to the chat. Enter 'bye' anytime to exit.\n"
    );
    assert!(refused(rooms), "the rooms listener still accepts");

    // A broken file: refused whole with check-config's reason, the old MOTD kept.
    serve.rewrite(BROKEN);
    serve.hangup();
    let path = serve.config.display();
    let reason = format!("{path}:6: limits.name_max must be 1 to 32, not 40");
    let line = serve.logged("reload refused");
    assert!(
        line.ends_with(&format!(
            " confab_server::reload: reload refused, nothing changed: {reason}"
        )),
        "{line}"
    );
    let check = Command::new(BIN)
        .args(["serve", "--check-config"])
        .arg(&serve.config)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&check.stderr),
        format!("confab: {reason}\n")
    );
    let (_carol, motd) = register(irc, "carol");
    assert_eq!(motd, motd_lines("carol", "after the reload"));
    assert!(TcpStream::connect(broadcast).is_ok(), "broadcast kept");
    // amy was never disconnected.
    amy.send("PING :still\r\n");
    assert_eq!(amy.line(), ":confab PONG confab still");
}

/// Writes a self-signed pair into `dir` with `confab cert`.
fn make_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let output = Command::new(BIN)
        .args(["cert", "--out"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    (dir.join("confab-cert.pem"), dir.join("confab-key.pem"))
}

/// A TLS handshake with `addr` trusting only `cert`: whether it succeeds.
fn handshake(addr: SocketAddr, cert: &Path) -> bool {
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut client = rustls::ClientConnection::new(trusting(cert), name).unwrap();
    let mut socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    for _ in 0..20 {
        if !client.is_handshaking() {
            return true;
        }
        if client.complete_io(&mut socket).is_err() {
            return false;
        }
    }
    false
}

/// An IRC user over TLS, trusting only `cert`: CRLF lines over a blocking rustls stream.
struct TlsIrc(BufReader<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>);

impl TlsIrc {
    /// Connects, registers `nick` and reads its whole welcome.
    fn register(addr: SocketAddr, cert: &Path, nick: &str) -> TlsIrc {
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let client = rustls::ClientConnection::new(trusting(cert), name).unwrap();
        let socket = TcpStream::connect(addr).unwrap();
        socket.set_read_timeout(Some(WAIT)).unwrap();
        let mut irc = TlsIrc(BufReader::new(rustls::StreamOwned::new(client, socket)));
        // The PONG comes after the whole welcome: nothing of it is left to read.
        irc.send(&format!(
            "NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\nPING :ready\r\n"
        ));
        while !irc.line().ends_with(" PONG confab ready") {}
        irc
    }

    fn send(&mut self, text: &str) {
        let stream = self.0.get_mut();
        stream.write_all(text.as_bytes()).unwrap();
        stream.flush().unwrap();
    }

    /// The next line, without its CR LF.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.0.read_line(&mut line).expect("a line in time");
        assert!(line.ends_with("\r\n"), "{line:?}");
        line.truncate(line.len() - 2);
        line
    }
}

#[test]
fn a_renewed_certificate_serves_new_handshakes_after_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (old, renewed) = (dir.path().join("old"), dir.path().join("renewed"));
    let (cert, key) = make_cert(&old);
    let (new_cert, new_key) = make_cert(&renewed);
    let text = format!(
        "listen = [\"irc+tls=127.0.0.1:0\"]\ndata = \"none\"\n[tls]\ncert = {:?}\nkey = {:?}\n",
        cert.display().to_string(),
        key.display().to_string()
    );
    let (serve, listening) = Serve::start(dir.path(), &text, 1);
    let addr = listening[0].1;
    assert!(handshake(addr, &cert));
    assert!(
        !handshake(addr, &new_cert),
        "the renewed pair is not served yet"
    );
    // amy and bob chat over TLS through the renewal.
    let mut amy = TlsIrc::register(addr, &cert, "amy");
    let mut bob = TlsIrc::register(addr, &cert, "bob");
    amy.send("PRIVMSG bob :before the renewal\r\n");
    assert_eq!(
        bob.line(),
        ":amy!amy@127.0.0.1 PRIVMSG bob :before the renewal"
    );
    // The renewal replaces the files in place, as certbot does.
    let first = dir.path().join("first-cert.pem");
    std::fs::copy(&cert, &first).unwrap();
    std::fs::copy(&new_cert, &cert).unwrap();
    std::fs::copy(&new_key, &key).unwrap();
    serve.hangup();
    let line = serve.logged("reloaded:");
    assert!(
        line.ends_with(" confab_server::reload: reloaded: tls"),
        "{line}"
    );
    assert!(handshake(addr, &new_cert));
    assert!(
        !handshake(addr, &first),
        "the first pair is no longer served"
    );
    // Neither was disconnected: their sessions, made with the first pair, go on.
    bob.send("PRIVMSG amy :after the renewal\r\n");
    assert_eq!(
        amy.line(),
        ":bob!bob@127.0.0.1 PRIVMSG amy :after the renewal"
    );
}

/// Runs `confab reload ARGS...` and returns its exit status and stdout.
fn reload_command(args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN).arg("reload").args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

const ROOMY: &str = "listen = [\"irc=127.0.0.1:0\"]
data = \"data\"
[limits]
connections_max = 10
";

const FULL_AT_TWO: &str = "listen = [\"irc=127.0.0.1:0\"]
data = \"data\"
[limits]
connections_max = 2
name_max = 25
";

const BROKEN_WITH_DATA: &str = "listen = [\"irc=127.0.0.1:0\"]
data = \"data\"
[limits]
name_max = 40
";

#[test]
fn confab_reload_answers_with_the_outcome_and_a_lowered_limit_holds_while_users_chat() {
    let dir = tempfile::tempdir().unwrap();
    let (serve, listening) = Serve::start(dir.path(), ROOMY, 1);
    let irc = listening[0].1;
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    // amy and bob are chatting when the limit on connections drops to the two they hold.
    let mut amy = Irc::register(irc, "amy");
    let mut bob = Irc::register(irc, "bob");
    amy.send("PRIVMSG bob :before\r\n");
    assert_eq!(bob.line(), ":amy!amy@127.0.0.1 PRIVMSG bob before");

    serve.rewrite(FULL_AT_TWO);
    // The control socket in the data directory says what changed, and what waits for a
    // restart, as the log does.
    assert_eq!(
        reload_command(&["--data", data]),
        (
            true,
            "reloaded: limits; kept until a restart: limits.name_max\n".to_owned()
        )
    );
    serve.logged("reloaded: limits");
    // The new limit is in force for the next connection ...
    let third = TcpStream::connect(irc).unwrap();
    third.set_read_timeout(Some(WAIT)).unwrap();
    let mut refusal = String::new();
    BufReader::new(&third).read_line(&mut refusal).unwrap();
    assert_eq!(refusal, "ERROR :Closing link: (too many connections)\r\n");
    // ... and nobody connected was put out: amy and bob go on chatting.
    bob.send("PRIVMSG amy :after\r\n");
    assert_eq!(amy.line(), ":bob!bob@127.0.0.1 PRIVMSG amy after");

    // A broken file is refused whole, with the reason, and a failing exit status.
    serve.rewrite(BROKEN_WITH_DATA);
    let reason = format!(
        "{}:4: limits.name_max must be 1 to 32, not 40",
        serve.config.display()
    );
    assert_eq!(
        reload_command(&["--data", data]),
        (false, format!("refused: {reason}\n"))
    );
    amy.send("PING :still\r\n");
    assert_eq!(amy.line(), ":confab PONG confab still");

    // No server at a directory: a clear error, and no output.
    let nowhere = dir.path().join("nowhere");
    let output = Command::new(BIN)
        .args(["reload", "--data"])
        .arg(&nowhere)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "confab: no server answers at {}/control.sock (is `confab serve` running with \
             --data {}? `confab reload --pid PID` signals a server by its process id instead)",
            nowhere.display(),
            nowhere.display()
        )),
        "{stderr}"
    );
}

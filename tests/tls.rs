//! TLS on the real `confab serve` binary, with certificates made by the real `confab cert`:
//! `openssl s_client` registering over `irc+tls` and checking the certificate; TLS 1.2 and
//! 1.3 spoken and TLS 1.1 refused; a tokio-rustls rooms client talking with a plain-TCP
//! rooms client on the same server; the web page over HTTPS and an IRC user over `wss://`
//! talking with a plain IRC user; stalled and garbage handshakes holding up nobody; and
//! the clear errors. Everything on 127.0.0.1, every wait bounded. The openssl tests are
//! skipped, with a notice, when openssl is not installed (`scripts/test.sh` installs it).
//! `confab connect --tls`/`--ca`: IRC and rooms sessions, and its refusals (issue 15 #12).

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::serve_support::trusting;
use crate::serve_support::watched::{lines_of, Watched, WAIT};
use confab_testkit::{ws, Client};
use rustls_pki_types::ServerName;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// A fresh directory for one test, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("confab-tls-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `confab cert` into `dir`; returns the certificate and key paths.
fn make_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let output = Command::new(BIN)
        .args(["cert", "--out"])
        .arg(dir)
        .output()
        .expect("confab cert runs");
    assert!(output.status.success(), "{output:?}");
    (dir.join("confab-cert.pem"), dir.join("confab-key.pem"))
}

/// A `confab serve` child with TLS, watched, on a data directory of its own.
struct Serve {
    watched: Watched,
    /// The server's own data directory, removed on drop.
    _data: tempfile::TempDir,
}

impl Serve {
    fn start(args: &[&str], cert: &Path, key: &Path) -> Serve {
        let data = tempfile::tempdir().expect("a data directory");
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .arg("--data")
            .arg(data.path())
            .args(args);
        command
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key);
        Serve {
            watched: Watched::spawn(command),
            _data: data,
        }
    }

    /// Reads the `listening KIND ADDR` lines, one per listener.
    fn listening(&self, count: usize) -> Vec<(String, SocketAddr)> {
        (0..count).map(|_| self.watched.listening()).collect()
    }

    /// Waits for a log line containing `text`.
    fn expect_log(&self, text: &str) -> String {
        self.watched.logged(text)
    }
}

/// True when openssl can be run; otherwise prints the skip notice for `test`.
fn openssl_installed(test: &str) -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("skipped {test}: openssl is not installed (scripts/test.sh installs it)");
    }
    found
}

/// `openssl s_client` to `addr` with `args`, stdin closed at once: it handshakes, prints
/// the session and exits. Killed if it takes longer than [`WAIT`].
fn s_client(addr: SocketAddr, args: &[&str]) -> Output {
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = pipe.read_to_end(&mut all);
            all
        })
    };
    let stdout = read_all(Box::new(stdout));
    let stderr = read_all(Box::new(stderr));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > WAIT {
            let _ = child.kill();
            panic!("openssl s_client {args:?} did not finish within {WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: one openssl s_client session, from verification to QUIT"
)]
fn openssl_s_client_verifies_the_certificate_and_registers_over_irc_tls() {
    if !openssl_installed("openssl_s_client_verifies_the_certificate_and_registers_over_irc_tls") {
        return;
    }
    let dir = TempDir::new("s-client-irc");
    let (cert, key) = make_cert(&dir.0);
    let serve = Serve::start(&["--listen", "irc+tls=127.0.0.1:0"], &cert, &key);
    let listening = serve.listening(1);
    assert_eq!(listening[0].0, "irc+tls", "the listener's kind as written");
    let addr = listening[0].1;

    // A real TLS client that checks the chain against the generated certificate and the
    // address against its names, and gives up if either is wrong.
    let mut client = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-quiet"])
        .arg("-CAfile")
        .arg(&cert)
        .args(["-verify_return_error", "-verify_ip", "127.0.0.1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    struct Kill(Child, Option<ChildStdin>);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdin = client.stdin.take();
    let lines = lines_of(client.stdout.take().unwrap());
    let errors = lines_of(client.stderr.take().unwrap());
    let mut client = Kill(client, stdin);

    // Register: the welcome numeric 001 comes back through TLS.
    let stdin = client.1.as_mut().unwrap();
    stdin
        .write_all(b"NICK ann\r\nUSER ann 0 * :Ann over TLS\r\n")
        .unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + WAIT;
    let welcome = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(" 001 ann ") => break line,
            Ok(_) => {}
            Err(_) => {
                let errors: Vec<String> = errors.try_iter().collect();
                panic!("no 001 within {WAIT:?}; openssl said {errors:?}");
            }
        }
    };
    assert!(welcome.starts_with(":confab 001 ann :"), "{welcome}");
    // openssl prints its verification on stderr, read by another thread: wait for it
    // (bounded) rather than take what has arrived by now.
    let mut verified: Vec<String> = Vec::new();
    while !verified.iter().any(|l| l.contains("verify return:1")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match errors.recv_timeout(left) {
            Ok(line) => verified.push(line),
            Err(_) => panic!("the certificate was not verified: {verified:?}"),
        }
    }
    serve.expect_log("ann");

    // QUIT closes the connection; s_client sees the end and exits.
    let stdin = client.1.as_mut().unwrap();
    stdin.write_all(b"QUIT :bye\r\n").unwrap();
    let start = Instant::now();
    while client.0.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < WAIT, "s_client exits after QUIT");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tls_1_2_and_1_3_are_spoken_and_tls_1_1_is_refused() {
    if !openssl_installed("tls_1_2_and_1_3_are_spoken_and_tls_1_1_is_refused") {
        return;
    }
    let dir = TempDir::new("versions");
    let (cert, key) = make_cert(&dir.0);
    let serve = Serve::start(&["--listen", "rooms+tls=127.0.0.1:0"], &cert, &key);
    let addr = serve.listening(1)[0].1;
    let ca = cert.to_str().unwrap();

    for (flag, version) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let output = s_client(addr, &[flag, "-CAfile", ca, "-verify_return_error"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{flag}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains(&format!("New, {version}, Cipher is")),
            "{flag} negotiates {version}: {stdout}"
        );
    }

    // TLS 1.1: OpenSSL 3 offers it only at security level 0, so lower the client's level;
    // then the refusal seen is the server's alert, not openssl's own.
    let help = s_client_help();
    if !help.contains("-tls1_1") {
        eprintln!("skipped the TLS 1.1 half: this openssl has no -tls1_1");
        return;
    }
    let output = s_client(addr, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "TLS 1.1 must fail: {said}");
    if said.contains("no protocols available") {
        eprintln!("skipped the TLS 1.1 half: this openssl cannot offer TLS 1.1 at all");
        return;
    }
    // rustls answers a TLS 1.1 hello with an alert (handshake_failure: such a hello lacks
    // the signature_algorithms extension every TLS 1.2+ hello carries).
    assert!(
        said.contains("alert handshake failure") || said.contains("alert protocol version"),
        "the server refuses TLS 1.1 with an alert: {said}"
    );
    assert!(!said.contains("New, TLSv1.1"), "no TLS 1.1 session: {said}");
    serve.expect_log("TLS handshake failed");
}

fn s_client_help() -> String {
    let output = Command::new("openssl")
        .args(["s_client", "-help"])
        .output()
        .expect("openssl runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A rustls client that trusts exactly the certificate in `cert`.
fn connector(cert: &Path) -> tokio_rustls::TlsConnector {
    tokio_rustls::TlsConnector::from(trusting(cert))
}

/// A harness client over TLS to `addr`, trusting exactly `cert` and checking that it is
/// made for `name`.
async fn tls_client(
    addr: SocketAddr,
    cert: &Path,
    name: ServerName<'static>,
) -> Client<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = tokio::time::timeout(WAIT, connector(cert).connect(name, tcp))
        .await
        .expect("handshake in time")
        .expect("handshake succeeds");
    Client::over(tls).waiting(WAIT)
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: a TLS and a plain rooms user, from joining to the shutdown"
)]
async fn a_rooms_user_over_tls_and_a_plain_rooms_user_talk() {
    let dir = TempDir::new("cross");
    let (cert, key) = make_cert(&dir.0);
    let serve = Serve::start(
        &[
            "--listen",
            "rooms+tls=127.0.0.1:0",
            "--listen",
            "rooms=127.0.0.1:0",
        ],
        &cert,
        &key,
    );
    let listening = serve.listening(2);
    assert_eq!(listening[0].0, "rooms+tls");
    assert_eq!(listening[1].0, "rooms");

    // alice comes in over TLS, checking the server's certificate for 127.0.0.1.
    let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
    let mut alice = tls_client(listening[0].1, &cert, name).await;
    alice.send(b"/join lobby\n/nick alice\n").await;
    alice.expect(b"0\n0\n").await; // alice joins and is named

    // bob comes in over plain TCP to the same room.
    let mut bob = Client::connect(listening[1].1).await.waiting(WAIT);
    bob.send(b"/join lobby\n/nick bob\n").await;
    bob.expect(b"0\n0\n").await; // bob joins and is named
    alice.expect(b"* bob joined\n").await; // alice sees bob arrive

    // Both directions across the transports.
    alice.send(b"hello in plain sight\n").await;
    bob.expect(b"alice: hello in plain sight\n").await; // bob hears alice
    bob.send(b"hi, encrypted alice\n").await;
    alice.expect(b"bob: hi, encrypted alice\n").await; // alice hears bob

    // alice leaves over TLS; bob is told.
    alice.send(b"/logout\n").await;
    bob.expect(b"* alice left\n").await; // bob sees alice go
                                         // alice's connection closes, with a clean TLS close_notify.
    alice.rest_bytes().await;

    // A TLS client hears the shutdown goodbye like a plain one, then a clean TLS close.
    let name = ServerName::try_from("localhost").unwrap();
    let mut dave = tls_client(listening[0].1, &cert, name).await;
    dave.send(b"/join lobby\n/nick dave\n").await;
    dave.expect(b"0\n0\n").await; // dave joins
    bob.expect(b"* dave joined\n").await; // bob sees dave
    let status = Command::new("kill")
        .args(["-TERM", &serve.watched.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // dave's connection closes after the goodbye, with a clean TLS close_notify.
    assert_eq!(dave.rest().await, "* server shutting down\n");
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: the page over HTTPS, then a wss user and a plain user talking"
)]
async fn the_page_over_https_and_a_wss_irc_user_talking_with_a_plain_irc_user() {
    let dir = TempDir::new("https");
    let (cert, key) = make_cert(&dir.0);
    let serve = Serve::start(
        &[
            "--listen",
            "http+tls=127.0.0.1:0",
            "--listen",
            "irc=127.0.0.1:0",
            "--listen",
            "http=127.0.0.1:0",
        ],
        &cert,
        &key,
    );
    let listening = serve.listening(3);
    let kinds: Vec<&str> = listening.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["http+tls", "irc", "http"]);
    let https = listening[0].1;
    let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());

    // The page, over HTTPS and over plain HTTP alike.
    let get = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut secure = tls_client(https, &cert, name.clone()).await;
    secure.send(get).await;
    let mut plain = Client::connect(listening[2].1).await.waiting(WAIT);
    plain.send(get).await;
    for page in [secure.rest().await, plain.rest().await] {
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.ends_with("</html>\n"), "{page}");
    }

    // wss:// from the server's own page, which over TLS is https://HOST.
    let mut tls = tls_client(https, &cert, name).await;
    let extra = format!("Origin: https://{https}\r\nSec-WebSocket-Protocol: text.ircv3.net\r\n");
    let request = ws::upgrade_request(&https.to_string(), "/irc", &extra);
    assert_eq!(
        ws::upgrade(&mut tls, &request).await,
        ws::switching("text.ircv3.net")
    );
    let mut web = ws::Web::over(tls, "web").await;
    web.register("confab", "confab").await;

    // A plain IRC user, and a message each way.
    let mut tcp = Client::connect(listening[1].1).await.waiting(WAIT);
    tcp.send(b"NICK tcp\r\nUSER tcp 0 * :Tcp\r\n").await;
    tcp.read_through(b" 376 tcp :End of /MOTD command.\r\n")
        .await;
    web.send("PRIVMSG tcp :over wss").await;
    tcp.expect(b":web!web@127.0.0.1 PRIVMSG tcp :over wss\r\n")
        .await; // tcp hears web
    tcp.send(b"PRIVMSG web :over tcp\r\n").await;
    web.expect(":tcp!tcp@127.0.0.1 PRIVMSG web :over tcp").await;
}

#[tokio::test]
async fn stalled_and_garbage_handshakes_hold_up_nobody_and_are_dropped() {
    let dir = TempDir::new("stall");
    let (cert, key) = make_cert(&dir.0);
    let config = dir.0.join("confab.toml");
    std::fs::write(&config, "[tls]\nhandshake_timeout_secs = 3\n").unwrap();
    let serve = Serve::start(
        &[
            "--config",
            config.to_str().unwrap(),
            "--listen",
            "rooms+tls=127.0.0.1:0",
        ],
        &cert,
        &key,
    );
    let addr = serve.listening(1)[0].1;

    // A client that connects and never says a word, and one that speaks plain text.
    let mut silent = Client::connect(addr).await.waiting(WAIT);
    let mut plain = Client::connect(addr).await.waiting(WAIT);
    plain.send(b"/join lobby\n/nick mallory\n").await;

    // Meanwhile a real client is accepted and served at once: well before the silent
    // client's handshake time runs out, as it would not be if handshakes held up accepting.
    let start = Instant::now();
    let name = ServerName::try_from("localhost").unwrap();
    let mut carol = tls_client(addr, &cert, name).await;
    carol.send(b"/join lobby\n/nick carol\n").await;
    carol.expect(b"0\n0\n").await; // carol is served
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "carol waited {:?} behind a stalled handshake",
        start.elapsed()
    );

    // The plain-text client gets a TLS alert at most, never a rooms reply, then the close.
    let got = plain.until_closed().await;
    assert!(!got.starts_with(b"0\n"), "no rooms reply: {got:?}");
    serve.expect_log("TLS handshake failed");

    // The silent client is dropped when the handshake time (3 s here) runs out.
    let got = silent.until_closed().await;
    assert!(got.is_empty(), "{got:?}");
    assert!(
        start.elapsed() >= Duration::from_millis(2500),
        "dropped at the handshake timeout, not before: {:?}",
        start.elapsed()
    );
    serve.expect_log("TLS handshake timed out");

    // carol never noticed.
    carol.send(b"/who\n").await;
    carol.expect(b"1\ncarol\n").await; // carol is still served, alone
}

#[test]
fn confab_cert_writes_a_private_key_says_how_to_serve_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("cert");
    let out = dir.0.join("certs");
    let cert_run = || {
        let mut command = Command::new(BIN);
        command
            .args(["cert", "--name", "chat.example.org", "--name", "10.0.0.7"])
            .arg("--out")
            .arg(&out);
        command
    };
    let output = cert_run().output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let cert = out.join("confab-cert.pem");
    let key = out.join("confab-key.pem");
    assert!(
        stdout.contains(&format!("wrote {}", cert.display())),
        "{stdout}"
    );
    assert!(stdout.contains("chat.example.org, 10.0.0.7"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "confab serve --listen irc+tls=0.0.0.0:6697 --tls-cert {} --tls-key {}",
            cert.display(),
            key.display()
        )),
        "{stdout}"
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key is the owner's alone");
    let key_pem = std::fs::read_to_string(&key).unwrap();
    assert!(
        key_pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{key_pem}"
    );
    let cert_pem = std::fs::read(&cert).unwrap();

    // A second run refuses and leaves both files as they were.
    let output = cert_run().output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("already exists (use --force to replace it)"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&cert).unwrap(), cert_pem);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_pem);

    // --force makes a new pair.
    let output = cert_run().arg("--force").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_ne!(std::fs::read(&cert).unwrap(), cert_pem);
}

#[test]
fn tls_without_a_usable_certificate_is_a_clear_startup_error() {
    let serve = |args: &[&str]| {
        let output = Command::new(BIN)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(output.stdout.is_empty(), "nothing listens: {output:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = serve(&["--listen", "irc+tls=127.0.0.1:0"]);
    assert!(
        stderr.starts_with("confab: the irc+tls=127.0.0.1:0 listener needs a certificate and key"),
        "{stderr}"
    );
    assert!(stderr.contains("--tls-cert FILE"), "{stderr}");
    assert!(stderr.contains("confab cert"), "{stderr}");

    let stderr = serve(&[
        "--listen",
        "packet+tls=127.0.0.1:0",
        "--tls-cert",
        "/nonexistent/cert.pem",
        "--tls-key",
        "/nonexistent/key.pem",
    ]);
    assert!(
        stderr.starts_with("confab: cannot read TLS certificate /nonexistent/cert.pem: "),
        "{stderr}"
    );

    // The key given as the certificate: said plainly, not a panic.
    let dir = TempDir::new("bad");
    let (_, key) = make_cert(&dir.0);
    let key = key.to_str().unwrap();
    let stderr = serve(&[
        "--listen",
        "broadcast+tls=127.0.0.1:0",
        "--tls-cert",
        key,
        "--tls-key",
        key,
    ]);
    assert!(
        stderr.starts_with(&format!("confab: cannot read TLS certificate {key}: ")),
        "{stderr}"
    );

    // An unknown transport is caught by the argument parser.
    let output = Command::new(BIN)
        .args(["serve", "--listen", "irc+ssl=127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("only +tls"), "{stderr}");
}

/// The welcome `confab connect` shows an IRC user (as in tests/connect_script.rs).
fn irc_welcome(nick: &str) -> Vec<String> {
    vec![
        format!("Welcome to the confab Network, {nick}!{nick}@127.0.0.1"),
        "Welcome to confab: one chat for every protocol.".into(),
        "Channels are shared with the rooms and broadcast users (#lobby).".into(),
    ]
}

#[test]
fn connect_with_ca_runs_irc_and_rooms_sessions_over_tls() {
    let dir = TempDir::new("connect-ca");
    let (cert, key) = make_cert(&dir.0);
    let listen = [
        "--listen",
        "irc+tls=127.0.0.1:0",
        "--listen",
        "rooms+tls=127.0.0.1:0",
    ];
    let serve = Serve::start(&listen, &cert, &key);
    let addrs = serve.listening(2);
    let addr_of = |kind: &str| {
        let (_, addr) = addrs.iter().find(|(k, _)| k == kind).expect("listener");
        addr.to_string()
    };
    let (irc, rooms) = (addr_of("irc+tls"), addr_of("rooms+tls"));
    let ca = cert.to_str().expect("a UTF-8 path");

    // An IRC user over TLS, trusting the self-signed certificate given with --ca.
    let mut amy = crate::connect_support::Script::start(&[
        "--ca", ca, "--nick", "amy", "--join", "#lobby", &irc,
    ]);
    let mut expected = irc_welcome("amy");
    expected.extend([
        "* You joined #lobby".into(),
        "* Names in #lobby: amy".into(),
    ]);
    assert_eq!(amy.expect(5), expected);

    // A rooms user over TLS (--tls said too: --ca alone implies it, both are fine).
    let mut bob = crate::connect_support::Script::start(&[
        "--protocol",
        "rooms",
        "--tls",
        "--ca",
        ca,
        &rooms,
    ]);
    bob.send("lobby");
    bob.send("bob");
    let lines = bob.expect(5);
    assert!(
        lines[4].starts_with("You are in lobby as bob."),
        "{lines:?}"
    );
    assert_eq!(amy.expect(1), ["* bob joined #lobby"]);

    // Each hears the other through the encrypted connections.
    bob.send("hello amy");
    assert_eq!(amy.expect(1), ["[#lobby] <bob> hello amy"]);
    amy.send("hi bob");
    assert_eq!(bob.expect(1), ["amy: hi bob"]);

    let (code, rest) = bob.finish();
    assert_eq!((code, rest), (Some(0), vec![]), "/logout over TLS, exit 0");
    assert_eq!(amy.expect(1), ["* bob quit (Quit)"]);
    let (code, _) = amy.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn connect_tls_refuses_an_untrusted_or_misnamed_certificate_and_a_plain_port() {
    let dir = TempDir::new("connect-refused");
    let (cert, key) = make_cert(&dir.0);
    let listen = [
        "--listen",
        "irc+tls=127.0.0.1:0",
        "--listen",
        "irc=127.0.0.1:0",
    ];
    let serve = Serve::start(&listen, &cert, &key);
    let addrs = serve.listening(2);
    let addr_of = |kind: &str| {
        let (_, addr) = addrs.iter().find(|(k, _)| k == kind).expect("listener");
        addr.to_string()
    };
    let (tls, plain) = (addr_of("irc+tls"), addr_of("irc"));
    // One line on stderr, nothing on stdout, exit 1: never a panic or garbage.
    let refused = |args: &[&str]| {
        let mut client = crate::connect_support::Script::start(args);
        let (code, rest) = client.wait();
        assert_eq!(code, Some(1), "{args:?}");
        assert!(rest.is_empty(), "{args:?}: {rest:?}");
        let stderr = client.stderr();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        stderr
    };

    // Self-signed, not in the system's roots: refused without --ca.
    let stderr = refused(&["--tls", "--nick", "amy", &tls]);
    let expected = format!(
        "confab: cannot connect to {tls} over TLS: invalid peer certificate: UnknownIssuer ("
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("--ca FILE"), "names the remedy: {stderr}");

    // Trusted, but made for other names than the one connected to.
    let other = dir.0.join("other");
    std::fs::create_dir_all(&other).unwrap();
    let output = Command::new(BIN)
        .args(["cert", "--name", "chat.example.test", "--out"])
        .arg(&other)
        .output()
        .expect("confab cert runs");
    assert!(output.status.success(), "{output:?}");
    let (other_cert, other_key) = (other.join("confab-cert.pem"), other.join("confab-key.pem"));
    let misnamed = Serve::start(
        &["--listen", "irc+tls=127.0.0.1:0"],
        &other_cert,
        &other_key,
    );
    let misnamed_addr = misnamed.listening(1)[0].1.to_string();
    let ca = other_cert.to_str().expect("a UTF-8 path");
    let stderr = refused(&["--ca", ca, "--nick", "amy", &misnamed_addr]);
    assert!(
        stderr.contains("invalid peer certificate: certificate not valid for name \"127.0.0.1\""),
        "{stderr}"
    );

    // --tls to a plain port: the server answers in plain text, which is said plainly.
    let ca = cert.to_str().expect("a UTF-8 path");
    let stderr = refused(&["--ca", ca, "--nick", "amy", &plain]);
    let expected =
        format!("confab: cannot connect to {plain} over TLS: the server does not speak TLS here");
    assert!(stderr.starts_with(&expected), "{stderr}");
}

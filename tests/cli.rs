//! The `confab serve` command line as other tools rely on it: the exact `listening` lines,
//! `--config` with flags winning, clear errors, the log of names taken, and a graceful stop
//! on SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use confab_testkit::blocking::Lines;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// A `confab serve` child process, killed if a test fails before stopping it.
struct Serve {
    child: Child,
    /// The server's own data directory, removed on drop.
    _data: tempfile::TempDir,
    stdout: BufReader<ChildStdout>,
    /// Where the server's log (stderr) goes.
    log: tempfile::NamedTempFile,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        Serve::start_logging(args, "warn")
    }

    /// Starts a server whose log keeps what `filter` (`RUST_LOG`) lets through.
    fn start_logging(args: &[&str], filter: &str) -> Serve {
        let data = tempfile::tempdir().expect("a data directory");
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--data")
            .arg(data.path())
            .args(args)
            .env("RUST_LOG", filter)
            .stdout(Stdio::piped())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("confab starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Serve {
            child,
            _data: data,
            stdout,
            log,
        }
    }

    /// The log lines holding `what`, once there are `count` of them (within 5 s).
    fn log_lines(&self, what: &str, count: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let log = std::fs::read_to_string(self.log.path()).expect("the log reads");
            let lines: Vec<String> = log
                .lines()
                .filter(|l| l.contains(what))
                .map(str::to_owned)
                .collect();
            if lines.len() >= count || start.elapsed() > Duration::from_secs(5) {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Reads the `listening PROTOCOL ADDR` lines, one per listener.
    fn listening(&mut self, count: usize) -> Vec<(String, SocketAddr)> {
        (0..count)
            .map(|_| {
                let mut line = String::new();
                self.stdout.read_line(&mut line).expect("a listening line");
                let parts: Vec<&str> = line.trim_end().split(' ').collect();
                assert_eq!(parts.len(), 3, "line {line:?}");
                assert_eq!(parts[0], "listening", "line {line:?}");
                (parts[1].to_string(), parts[2].parse().expect("an address"))
            })
            .collect()
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; returns its exit code.
    fn wait(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The four classroom protocols, each on a port of its own, in this order.
const FOUR_LISTENERS: [&str; 8] = [
    "--listen",
    "rooms=127.0.0.1:0",
    "--listen",
    "broadcast=127.0.0.1:0",
    "--listen",
    "prefixed=127.0.0.1:0",
    "--listen",
    "packet=127.0.0.1:0",
];

#[test]
fn prints_one_listening_line_per_listener_in_order() {
    let mut serve = Serve::start(&FOUR_LISTENERS);
    let lines = serve.listening(4);
    let protocols: Vec<&str> = lines.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(protocols, ["rooms", "broadcast", "prefixed", "packet"]);
    for (_, addr) in &lines {
        assert_eq!(addr.ip().to_string(), "127.0.0.1");
        assert_ne!(addr.port(), 0, "port 0 is resolved to the bound port");
        Lines::connect(*addr);
    }
}

#[test]
fn sigterm_says_goodbye_in_each_protocol_and_exits_zero_within_two_seconds() {
    let mut serve = Serve::start(&FOUR_LISTENERS);
    let addrs = serve.listening(4);
    let mut rooms = Lines::connect(addrs[0].1);
    let mut broadcast = Lines::connect(addrs[1].1);
    let mut prefixed = Lines::connect(addrs[2].1);
    let mut packet = Lines::connect(addrs[3].1);
    rooms.send(b"/join lobby\n/nick carol\n");
    assert_eq!(rooms.read_exact(4), b"0\n0\n");
    broadcast.send(b"dave\n");
    assert_eq!(
        broadcast.read_exact(50),
        b"Welcome to the chat. Enter 'bye' anytime to exit.\n"
    );
    assert_eq!(rooms.read_exact(14), b"* dave joined\n");
    prefixed.send(b"06NAME A");
    assert_eq!(prefixed.read_exact(9), b"07Hello A");
    // The packet client says nothing: it has no goodbye form, only the close.

    // A message sent just before the signal is delivered before the goodbye.
    broadcast.send(b"last words\n");
    assert_eq!(rooms.read_exact(17), b"dave: last words\n");

    let start = Instant::now();
    serve.terminate();
    assert_eq!(rooms.rest(), b"* server shutting down\n");
    assert_eq!(broadcast.rest(), b"Server shutting down\n");
    assert_eq!(prefixed.rest(), b"20Server shutting down");
    assert_eq!(packet.rest(), b"");
    assert_eq!(
        serve.wait(Duration::from_secs(2)),
        Some(0),
        "exit 0 within 2 s"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_config_file_sets_listeners_and_flags_win() {
    let dir = std::env::temp_dir().join(format!("confab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("confab.toml");
    std::fs::write(
        &path,
        "listen = [\"broadcast=127.0.0.1:0\"]\n[limits]\nname_max = 3\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();

    let mut from_file = Serve::start(&["--config", path]);
    let addrs = from_file.listening(1);
    assert_eq!(addrs[0].0, "broadcast");
    let mut long = Lines::connect(addrs[0].1);
    long.send(b"abcd\n");
    assert_eq!(
        long.rest(),
        b"Username not allowed!\n",
        "name_max = 3 from the file"
    );

    let mut flags = Serve::start(&[
        "--config",
        path,
        "--listen",
        "rooms=127.0.0.1:0",
        "--name-max",
        "4",
    ]);
    let addrs = flags.listening(1);
    assert_eq!(
        addrs[0].0, "rooms",
        "--listen replaces the file's listeners"
    );
    let mut rooms = Lines::connect(addrs[0].1);
    rooms.send(b"/join r\n/nick abcd\n");
    assert_eq!(
        rooms.read_exact(4),
        b"0\n0\n",
        "--name-max wins over the file"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_arguments_get_clear_errors() {
    let stderr = exits_with(2, &["serve", "--listen", "smtp=127.0.0.1:25"]);
    assert!(stderr.contains("unknown protocol \"smtp\""), "{stderr}");

    let stderr = exits_with(1, &["serve", "--config", "/nonexistent/confab.toml"]);
    assert!(
        stderr.starts_with("confab: cannot read /nonexistent/confab.toml"),
        "{stderr}"
    );
}

#[test]
fn listen_takes_a_host_name_and_binds_each_of_its_addresses() {
    use std::net::ToSocketAddrs;
    // What localhost is here: 127.0.0.1, and ::1 too where the hosts file says so.
    let mut ips: Vec<std::net::IpAddr> = Vec::new();
    for addr in ("localhost", 0).to_socket_addrs().unwrap() {
        if !ips.contains(&addr.ip()) {
            ips.push(addr.ip());
        }
    }
    let mut serve = Serve::start(&["--listen", "rooms=localhost:0"]);
    let addrs = serve.listening(ips.len());
    assert_eq!(
        addrs
            .iter()
            .map(|(kind, a)| (kind.as_str(), a.ip()))
            .collect::<Vec<_>>(),
        ips.iter().map(|ip| ("rooms", *ip)).collect::<Vec<_>>()
    );
    for (_, addr) in addrs {
        let mut rooms = Lines::connect(addr);
        rooms.send(b"/join lobby\n");
        assert_eq!(rooms.read_exact(2), b"0\n", "{addr} serves rooms");
    }

    // A name that resolves to nothing is refused by name, before anything starts.
    let stderr = exits_with(
        2,
        &[
            "serve",
            "--data",
            "none",
            "--listen",
            "rooms=nohost.invalid:5220",
        ],
    );
    assert!(
        stderr.contains("cannot resolve \"nohost.invalid:5220\""),
        "{stderr}"
    );
}

#[test]
fn a_port_in_use_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let spec = format!("rooms={}", taken.local_addr().unwrap());
    let stderr = exits_with(1, &["serve", "--data", "none", "--listen", &spec]);
    // The cause once, exactly as the operating system words it: not `…: X: X`.
    let cause = std::net::TcpListener::bind(taken.local_addr().unwrap()).unwrap_err();
    assert_eq!(
        error_lines(&stderr),
        [format!("confab: cannot listen for {spec}: {cause}")]
    );
}

#[test]
fn irc_nick_changes_are_logged_like_rooms_renames() {
    let mut serve = Serve::start_logging(
        &[
            "--listen",
            "rooms=127.0.0.1:0",
            "--listen",
            "irc=127.0.0.1:0",
        ],
        "info",
    );
    let addrs = serve.listening(2);
    // rooms: a first nickname, then a rename.
    let mut rooms = Lines::connect(addrs[0].1);
    rooms.send(b"/join lobby\n/nick bo\n/nick bo2\n");
    assert_eq!(rooms.read_exact(6), b"0\n0\n0\n");
    // IRC: registered as cy, then NICK cy2 (echoed once done).
    let mut irc = Lines::connect(addrs[1].1);
    irc.send(b"NICK cy\r\nUSER cy 0 * cy\r\nNICK cy2\r\n");
    irc.until(|line| line.ends_with(" NICK cy2\r"));
    let named: Vec<String> = serve
        .log_lines(" named ", 4)
        .iter()
        .map(|l| l[l.find("protocol=").expect("a protocol field")..].to_owned())
        .collect();
    assert_eq!(
        named,
        [
            "protocol=\"rooms\" name=bo",
            "protocol=\"rooms\" name=bo2",
            "protocol=\"irc\" name=cy",
            "protocol=\"irc\" name=cy2",
        ]
    );
}

/// What a finished `confab` run left: its exit code, stdout and stderr as text.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `confab ARGS` to its end.
fn confab(args: &[&str]) -> Ran {
    let output = Command::new(BIN).args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Ran {
        code: output.status.code(),
        stdout: text(&output.stdout),
        stderr: text(&output.stderr),
    }
}

/// Runs `confab ARGS`, which must exit with `code`; returns its stderr.
fn exits_with(code: i32, args: &[&str]) -> String {
    let ran = confab(args);
    assert_eq!(ran.code, Some(code), "{}", ran.stderr);
    ran.stderr
}

/// The `confab: ` lines of stderr (the log lines left out).
fn error_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.starts_with("confab: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_cause_of_an_error_is_printed_once() {
    // A file that cannot be read: the io error once.
    let missing = "/nonexistent/confab.toml";
    let cause = std::fs::read_to_string(missing).unwrap_err();
    let stderr = exits_with(1, &["serve", "--config", missing]);
    assert_eq!(
        error_lines(&stderr),
        [format!("confab: cannot read {missing}: {cause}")]
    );

    // A typo in the file: TOML's own message (several lines) once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.toml");
    std::fs::write(&path, "lissten = 1\n").unwrap();
    let stderr = exits_with(1, &["serve", "--config", path.to_str().unwrap()]);
    assert_eq!(
        stderr.matches("unknown field `lissten`").count(),
        1,
        "{stderr}"
    );
    assert_eq!(stderr.matches("TOML parse error").count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("confab: {}: TOML parse error", path.display())),
        "{stderr}"
    );

    // A data directory that is a file: the store's io error once.
    let cause = std::fs::create_dir_all(&path).unwrap_err();
    let stderr = exits_with(
        1,
        &[
            "serve",
            "--listen",
            "irc=127.0.0.1:0",
            "--data",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(
        error_lines(&stderr),
        [format!(
            "confab: cannot use {}: cannot create the directory: {cause}",
            path.display()
        )]
    );
}

#[test]
fn every_message_accepted_before_sigterm_is_delivered_before_the_goodbye() {
    let mut serve = Serve::start(&["--listen", "rooms=127.0.0.1:0"]);
    let addr = serve.listening(1)[0].1;
    let mut reader = Lines::connect(addr);
    reader.send(b"/join r\n/nick reader\n");
    assert_eq!(reader.read_exact(4), b"0\n0\n");
    let mut talker = Lines::connect(addr);
    talker.send(b"/join r\n/nick talker\n");
    assert_eq!(talker.read_exact(4), b"0\n0\n");
    // The reader reads nothing more until the end. The talker's /who is answered after
    // its messages were handled, so all of them were accepted before the signal.
    let mut burst = String::new();
    for n in 0..50 {
        burst.push_str(&format!("m{n:02}\n"));
    }
    burst.push_str("/who\n");
    talker.send(burst.as_bytes());
    assert_eq!(talker.read_exact(2), b"2\n");
    serve.terminate();
    let mut expected = String::from("* talker joined\n");
    for n in 0..50 {
        expected.push_str(&format!("talker: m{n:02}\n"));
    }
    expected.push_str("* server shutting down\n");
    assert_eq!(String::from_utf8(reader.rest()).unwrap(), expected);
    assert_eq!(serve.wait(Duration::from_secs(2)), Some(0));
}

#[test]
fn a_client_connecting_during_shutdown_is_told_so() {
    let mut serve = Serve::start(&[
        "--listen",
        "rooms=127.0.0.1:0",
        "--listen",
        "irc=127.0.0.1:0",
        "--listen",
        "prefixed=127.0.0.1:0",
    ]);
    let addrs = serve.listening(3);
    serve.terminate();
    // Connected after the signal, while the server is still going: a refusal, not a reset.
    // (The signal may take a moment to arrive, so a connection that was still served gets
    // the goodbye, which says the same.)
    let mut rooms = Lines::connect(addrs[0].1);
    assert_eq!(rooms.rest(), b"* server shutting down\n");
    let mut irc = Lines::connect(addrs[1].1);
    assert_eq!(irc.rest(), b"ERROR :Closing link: server shutting down\r\n");
    let mut prefixed = Lines::connect(addrs[2].1);
    assert_eq!(prefixed.rest(), b"20Server shutting down");
    assert_eq!(serve.wait(Duration::from_secs(2)), Some(0));
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: one bad file after another, each refused with its reason"
)]
fn check_config_validates_a_file_without_serving() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let check = |path: &std::path::Path| {
        let ran = confab(&["serve", "--check-config", path.to_str().unwrap()]);
        (ran.code, ran.stdout, ran.stderr)
    };
    let good = write(
        "good.toml",
        "listen = [\"rooms=127.0.0.1:0\", \"irc=127.0.0.1:0\"]\ndata = \"none\"\n",
    );
    let (code, stdout, stderr) = check(&good);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "{}: ok (rooms=127.0.0.1:0, irc=127.0.0.1:0)\n",
            good.display()
        )
    );
    // Values out of range: every one, each with the file, its line and its key.
    let bad = write(
        "bad.toml",
        "[limits]\nname_max = 40\n# flooding\nflood_burst = 0\n[irc]\nserver_name = \"a b\"\n",
    );
    let (code, stdout, stderr) = check(&bad);
    assert_eq!((code, stdout.as_str()), (Some(1), ""));
    let bad = bad.display();
    assert_eq!(
        stderr,
        format!(
            "confab: {bad}:2: limits.name_max must be 1 to 32, not 40\n\
             {bad}:4: limits.flood_burst must be above 0\n\
             {bad}:6: irc.server_name must be one word, not \"a b\"\n"
        )
    );
    // A misspelt key: the line and the key.
    let typo = write("typo.toml", "[limits]\nname_maxx = 4\n");
    let (code, _, stderr) = check(&typo);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with(&format!(
            "confab: {}: TOML parse error at line 2, column 1",
            typo.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("unknown field `name_maxx`"), "{stderr}");
    assert_eq!(
        stderr.matches(&*typo.display().to_string()).count(),
        1,
        "{stderr}"
    );
    // A TLS listener whose certificate cannot be read.
    let tls = write(
        "tls.toml",
        "listen = [\"irc+tls=127.0.0.1:0\"]\n[tls]\ncert = \"missing.pem\"\nkey = \"missing.pem\"\n",
    );
    let (code, _, stderr) = check(&tls);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("missing.pem"), "{stderr}");
    // Nothing was served: no data directory appeared beside the files.
    assert!(!dir.path().join("confab-data").exists());
}

#[test]
fn version_names_the_release_and_the_commit() {
    let ran = confab(&["--version"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let stdout = ran.stdout;
    let commit = stdout
        .strip_prefix(concat!("confab ", env!("CARGO_PKG_VERSION"), " (commit "))
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{stdout:?}"));
    let hex = commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(hex || commit == "unknown", "{commit:?}");
}

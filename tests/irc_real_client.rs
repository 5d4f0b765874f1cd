//! Real IRC clients from Debian against the real `confab serve` binary on 127.0.0.1: the
//! client connects, joins `#lobby` and exchanges a message both ways with a broadcast user.
//! weechat-headless is driven through its fifo and read through its log files; irssi runs
//! in tmux on a private socket, typed at with send-keys and read through its log. Each
//! client gets a temporary home of its own, so the user's real configuration is never
//! touched. A test is skipped, with a notice, when its client (or tmux) is not installed;
//! `scripts/test.sh` installs them.

#![cfg(unix)]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::connect_support::{Tmux, BIN, WAIT};
use confab_testkit::blocking::Lines;

/// How long a client may take from its start to its own JOIN (it loads its plugins first).
const STARTUP: Duration = Duration::from_secs(10);

/// True when `program` can be run; otherwise prints the skip notice for `test`.
fn installed(test: &str, program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("skipped {test}: {program} is not installed (scripts/test.sh installs it)");
    }
    found
}

/// `confab serve` with an IRC and a broadcast listener on 127.0.0.1, port 0; killed on drop.
struct Serve {
    child: Child,
    /// The server's own data directory, removed on drop.
    _data: tempfile::TempDir,
    irc: SocketAddr,
    broadcast: SocketAddr,
}

impl Serve {
    fn start() -> Serve {
        let data = tempfile::tempdir().expect("a data directory");
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "irc=127.0.0.1:0"])
            .arg("--data")
            .arg(data.path())
            .args(["--listen", "broadcast=127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("confab starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let unbound = SocketAddr::from(([127, 0, 0, 1], 0));
        // The guard exists before the first wait, so a timeout still kills the server.
        let mut serve = Serve {
            child,
            _data: data,
            irc: unbound,
            broadcast: unbound,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        for _ in 0..2 {
            let line = rx
                .recv_timeout(WAIT)
                .expect("a `listening PROTOCOL ADDR` line");
            let parts: Vec<&str> = line.split(' ').collect();
            assert!(parts.len() == 3 && parts[0] == "listening", "{line:?}");
            let addr = parts[2].parse().expect("an address");
            match parts[1] {
                "irc" => serve.irc = addr,
                "broadcast" => serve.broadcast = addr,
                other => panic!("unexpected listener {other}"),
            }
        }
        assert_ne!(serve.irc.port(), 0, "an irc listener");
        assert_ne!(serve.broadcast.port(), 0, "a broadcast listener");
        serve
    }

    /// A broadcast user named `name`, welcomed.
    fn broadcast_user(&self, name: &str) -> Lines {
        Lines::broadcast_user(self.broadcast, name)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("confab-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A client killed a moment ago may still be closing a file: one retry.
        if fs::remove_dir_all(&self.0).is_err() {
            std::thread::sleep(Duration::from_millis(100));
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// Polls `path` until one of its lines, passed through `parse`, equals `what`, for at most
/// `limit`. On timeout, panics showing the file and `context()` (the client's other view).
fn wait_line(
    path: &Path,
    what: &str,
    limit: Duration,
    context: impl Fn() -> String,
    parse: impl Fn(&str) -> Option<String>,
) {
    let start = Instant::now();
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.lines().filter_map(&parse).any(|l| l == what) {
            return;
        }
        if start.elapsed() > limit {
            panic!(
                "timed out waiting for {what:?} in {}:\n{text}\n---\n{}",
                path.display(),
                context()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// weechat-headless with its own `--dir`, a fifo for commands and logs flushed at once;
/// killed on drop, then its directory removed.
struct Weechat {
    child: Child,
    dir: TempDir,
}

impl Weechat {
    /// Starts weechat-headless with server `t` at `irc`, nick `nick`, autojoining `#lobby`.
    fn start(dir: TempDir, irc: SocketAddr, nick: &str) -> Weechat {
        let fifo = dir.path().join("fifo");
        let commands = [
            format!("/set fifo.file.path {}", fifo.display()),
            "/set logger.file.flush_delay 0".to_owned(),
            format!("/server add t {}/{}", irc.ip(), irc.port()),
            format!("/set irc.server.t.nicks {nick}"),
            format!("/set irc.server.t.username {nick}"),
            "/set irc.server.t.realname \"WeeChat test\"".to_owned(),
            "/set irc.server.t.autoreconnect off".to_owned(),
            // No anti-flood delay between lines sent (WeeChat 3.x's options, then 4.x's).
            "/set irc.server.t.anti_flood_prio_high 0".to_owned(),
            "/set irc.server.t.anti_flood_prio_low 0".to_owned(),
            "/set irc.server.t.anti_flood 0".to_owned(),
            "/set irc.server.t.autojoin #lobby".to_owned(),
            "/connect t".to_owned(),
        ];
        let child = Command::new("weechat-headless")
            .arg("--dir")
            .arg(dir.path())
            .arg("-r")
            .arg(commands.join("; "))
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("weechat-headless starts");
        Weechat { child, dir }
    }

    /// The log file of a buffer (`irc.t.#lobby`, `irc.server.t`).
    fn log(&self, buffer: &str) -> PathBuf {
        self.dir
            .path()
            .join("logs")
            .join(format!("{buffer}.weechatlog"))
    }

    /// Waits until the log of `buffer` has a line `prefix<TAB>message` after its date.
    fn wait_log(&self, buffer: &str, prefix: &str, message: &str, limit: Duration) {
        let what = format!("{prefix}\t{message}");
        wait_line(
            &self.log(&format!("irc.t.{buffer}")),
            &what,
            limit,
            || {
                let server = self.log("irc.server.t");
                let text = fs::read_to_string(&server).unwrap_or_default();
                format!("{}:\n{text}", server.display())
            },
            |line| line.split_once('\t').map(|(_date, rest)| rest.to_owned()),
        );
    }

    /// Writes one fifo line: `buffer *text` (text, or a command when it starts with `/`).
    fn send(&self, buffer: &str, text: &str) {
        let fifo = self.dir.path().join("fifo");
        // Non-blocking, so that a missing reader is an error to retry, never a hang.
        const O_NONBLOCK: i32 = if cfg!(any(target_os = "linux", target_os = "android")) {
            0o4000
        } else {
            0x0004
        };
        let start = Instant::now();
        let mut pipe = loop {
            match fs::OpenOptions::new()
                .write(true)
                .custom_flags(O_NONBLOCK)
                .open(&fifo)
            {
                Ok(pipe) => break pipe,
                Err(error) if start.elapsed() > WAIT => {
                    panic!("weechat's fifo {} did not open: {error}", fifo.display())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        pipe.write_all(format!("irc.t.{buffer} *{text}\n").as_bytes())
            .expect("write the fifo");
    }

    /// Waits for weechat to exit on its own; its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("weechat-headless did not exit within {WAIT:?}");
    }
}

impl Drop for Weechat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Then `dir` is dropped: the directory goes.
    }
}

#[test]
fn weechat_headless_joins_lobby_and_talks_with_a_broadcast_user() {
    let test = "irc-weechat";
    if !installed(test, "weechat-headless") {
        return;
    }
    let serve = Serve::start();
    let mut bob = serve.broadcast_user("bob");

    let mut weechat = Weechat::start(TempDir::new(test), serve.irc, "wuser");
    // Its own JOIN, with the real name (extended-join) and its host, the address.
    weechat.wait_log(
        "#lobby",
        "-->",
        "wuser (WeeChat test) (wuser@127.0.0.1) has joined #lobby",
        STARTUP,
    );
    assert_eq!(bob.line(), "wuser joined the conversation");

    weechat.send("#lobby", "hello from irc");
    assert_eq!(bob.line(), "wuser: hello from irc");
    weechat.wait_log("#lobby", "wuser", "hello from irc", WAIT);

    bob.send("hello from broadcast\n");
    // #lobby is the server's: bob, first in it, is no operator of it.
    weechat.wait_log("#lobby", "bob", "hello from broadcast", WAIT);

    weechat.send("#lobby", "/quit see you");
    assert_eq!(bob.line(), "wuser left the conversation");
    assert_eq!(weechat.wait_exit(), Some(0));
}

/// Strips irssi's `HH:MM ` log timestamp; other lines (`--- Log opened ...`) are dropped.
fn irssi_line(line: &str) -> Option<String> {
    let (stamp, rest) = line.split_at_checked(6)?;
    let b = stamp.as_bytes();
    let digits = [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
    (digits && b[2] == b':' && b[5] == b' ').then(|| rest.to_owned())
}

#[test]
fn irssi_in_tmux_joins_lobby_and_talks_with_a_broadcast_user() {
    let test = "irc-irssi";
    if !installed(test, "irssi") {
        return;
    }
    let serve = Serve::start();
    let mut bob = serve.broadcast_user("bob");

    // Declared before tmux, so dropped after it: the client is gone when the dir goes.
    let home = TempDir::new(test);
    let logs = home.path().join("logs");
    // No flood queue (irssi's default sends one command per 2.2 s after registration, which
    // would delay the JOIN by 5 s); every window item logged as `HH:MM text`.
    let config = format!(
        "settings = {{\n  \
           core = {{ real_name = \"Irssi test\"; user_name = \"iuser\"; nick = \"iuser\"; }};\n  \
           \"irc/core\" = {{ cmd_queue_speed = \"0\"; cmds_max_at_once = \"100\"; }};\n  \
           \"fe-common/core\" = {{ autolog = \"yes\"; autolog_path = \"{}/$0.log\"; }};\n\
         }};\n",
        logs.display()
    );
    fs::write(home.path().join("config"), config).expect("irssi config");
    let command = format!(
        "HOME='{home}' irssi --home='{home}' -n iuser -c {ip} -p {port}",
        home = home.path().display(),
        ip = serve.irc.ip(),
        port = serve.irc.port(),
    );
    let Some(tmux) = Tmux::start(test, &command, 100, 30) else {
        return;
    };
    let lobby = logs.join("#lobby.log");
    let wait_log = |what: &str, limit: Duration| {
        wait_line(
            &lobby,
            what,
            limit,
            || format!("screen:\n{}", tmux.screen().join("\n")),
            irssi_line,
        );
    };

    // Registered (the MOTD's end is on the screen), then joins by typing.
    tmux.wait_for("the end of the MOTD", |screen| {
        screen.iter().any(|r| r.ends_with("End of /MOTD command."))
    });
    tmux.type_text("/join #lobby");
    tmux.keys(&["Enter"]);
    wait_log("-!- iuser [iuser@127.0.0.1] has joined #lobby", WAIT);
    assert_eq!(bob.line(), "iuser joined the conversation");

    tmux.type_text("hello from irc");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "iuser: hello from irc");
    wait_log("< iuser> hello from irc", WAIT);

    bob.send("hello from broadcast\n");
    // #lobby is the server's: bob, first in it, is no operator of it.
    wait_log("< bob> hello from broadcast", WAIT);
    tmux.wait_for("bob's message on the screen", |screen| {
        screen
            .iter()
            .any(|r| irssi_line(r).as_deref() == Some("< bob> hello from broadcast"))
    });

    tmux.type_text("/quit see you");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "iuser left the conversation");
    tmux.wait_row("[exit 0]");
}

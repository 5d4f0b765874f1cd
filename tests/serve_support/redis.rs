//! A real `redis-server` (Debian's) on a free loopback port for the cluster tests, with
//! nothing kept on disk; it can be stopped and started again on the same port.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Redis {
    port: u16,
    child: Option<Child>,
    /// The certificate and key Redis serves TLS with, if it speaks only TLS.
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Redis {
    pub fn start() -> Redis {
        let mut redis = Redis::start_with(None);
        redis.restart();
        redis
    }

    /// A Redis that speaks only TLS, with this certificate and key (PEM).
    pub fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> Redis {
        let mut redis = Redis::start_with(Some((cert.to_path_buf(), key.to_path_buf())));
        redis.restart();
        redis
    }

    fn start_with(tls: Option<(std::path::PathBuf, std::path::PathBuf)>) -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Redis {
            port,
            child: None,
            tls,
        }
    }

    /// `rediss://localhost:PORT`, for a TLS Redis.
    pub fn tls_url(&self) -> String {
        format!("rediss://localhost:{}", self.port)
    }

    /// `redis://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (its data is gone with it).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on its port, and waits until it answers.
    pub fn restart(&mut self) {
        let mut command = Command::new("redis-server");
        match &self.tls {
            None => command.args(["--port", &self.port.to_string()]),
            Some((cert, key)) => command
                .args(["--port", "0", "--tls-port", &self.port.to_string()])
                .arg("--tls-cert-file")
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key)
                .args(["--tls-auth-clients", "no"]),
        };
        let child = command
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/test.sh installs it)");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Redis {
    /// Publishes `payload` on `channel` as any Redis client could, in RESP by hand (no
    /// argument list is long enough for the large ones); the server's reply line.
    pub fn publish(&self, channel: &str, payload: &[u8]) -> String {
        use std::io::{BufRead, BufReader, Write};
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis answers");
        let mut command = format!(
            "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n${}\r\n",
            channel.len(),
            payload.len()
        )
        .into_bytes();
        command.extend_from_slice(payload);
        command.extend_from_slice(b"\r\n");
        stream.write_all(&command).expect("writes");
        let mut reply = String::new();
        BufReader::new(stream)
            .read_line(&mut reply)
            .expect("a reply");
        reply
    }
}

impl Redis {
    /// Runs one command with `redis-cli` (Debian's, beside the server): its output, one
    /// line per value.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        assert!(out.status.success(), "redis-cli {args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// How many nodes listen to the channel of `room` (its name in the hub: an IRC
    /// channel without its `#`), by `PUBSUB NUMSUB`.
    pub fn listeners_of(&self, room: &str) -> u64 {
        let channel = format!("confab:room:{{{room}}}");
        let said = self.cli(&["PUBSUB", "NUMSUB", &channel]);
        let count = said.lines().nth(1).and_then(|n| n.trim().parse().ok());
        count.unwrap_or_else(|| panic!("PUBSUB NUMSUB said {said:?}"))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

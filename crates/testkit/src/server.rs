//! The server fixture: a confab server on port 0 in the test's own runtime, with its own
//! temporary data directory, stopped on drop.

use std::net::SocketAddr;

use confab_server::{Config, DataSetting, ListenSpec, Listener, Server};
use tokio_util::sync::CancellationToken;

/// A running server with every listener (the classroom protocols, IRC and `http`) on
/// 127.0.0.1 and a free port.
pub struct TestServer {
    addrs: Vec<(Listener, SocketAddr)>,
    /// The data directory, removed when the server is dropped.
    data: tempfile::TempDir,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with the default limits.
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the configuration (the listeners are
    /// set to port 0 on loopback first).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config {
            listen: Listener::SERVED_BY_DEFAULT
                .into_iter()
                .map(|listener| ListenSpec {
                    listener,
                    addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                    tls: false,
                })
                .collect(),
            ..Config::default()
        };
        let data = tempfile::tempdir().expect("a temporary data directory");
        config.data = DataSetting::Dir(data.path().to_path_buf());
        adjust(&mut config);
        let server = Server::bind(&config).await.expect("test server binds");
        let addrs = server.local_addrs();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.run(shutdown.clone()));
        TestServer {
            addrs,
            data,
            shutdown,
            task: Some(task),
        }
    }

    /// The address of the listener named `name` ("prefixed", "packet", "rooms",
    /// "broadcast", "irc", "http", and "metrics" when `start_with` added one).
    ///
    /// # Panics
    /// If the server has no listener for it: a test asking for one is wrong.
    pub fn addr(&self, name: &str) -> SocketAddr {
        let listener: Listener = name.parse().expect("known listener");
        self.addrs
            .iter()
            .find(|(l, _)| *l == listener)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("test server has no {listener} listener"))
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// Starts a graceful shutdown without waiting for it: the server says goodbye to its
    /// connections while a test watches (a `metrics` listener's `/readyz` turns 503).
    pub fn begin_stop(&self) {
        self.shutdown.cancel();
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

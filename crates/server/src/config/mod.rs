//! The server's settings: which listeners run and every limit, from a TOML file and flags.
//!
//! ```toml
//! listen = ["rooms=0.0.0.0:5220", "broadcast=127.0.0.1:5001", "irc=0.0.0.0:6667",
//!           "irc+tls=0.0.0.0:6697", "http=0.0.0.0:8080"]
//! data = "/var/lib/confab"    # or "none"; relative to this file
//! [history]
//! keep_days = 90
//! max_per_target = 100000
//! [tls]
//! cert = "confab-cert.pem"   # relative to this file
//! key = "confab-key.pem"
//! [limits]
//! outbox_bytes = 262144
//! connections_per_ip = 64
//! flood_burst = 16
//! [irc]
//! server_name = "irc.example.org"
//! motd = ["Welcome!"]
//! [[irc.opers]]
//! name = "admin"
//! password = "secret"
//! [http]
//! allowed_origins = ["https://chat.example.org"]
//! [moderation]
//! filtered_words = ["darn"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

mod irc;
mod limits;
mod listen;

pub use irc::{IrcConfig, Oper};
pub use limits::Limits;
use listen::deserialize_listen;
pub use listen::{ListenSpec, ListenSpecError, ListenSpecs};

use crate::data::{DataSetting, HistoryConfig};
use crate::http::{HttpConfig, OriginError};
use crate::problems::{Problem, Problems};
use confab_proto::Listener;

/// The certificate and key of every `+tls` listener (the `[tls]` table). Relative paths in
/// a config file are taken from the file's directory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, PEM, the server's own certificate first.
    pub cert: Option<PathBuf>,
    /// The certificate's private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// Seconds a client has to complete its TLS handshake before it is dropped.
    pub handshake_timeout_secs: u64,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert: None,
            key: None,
            handshake_timeout_secs: 10,
        }
    }
}

/// Rules for what users say (the `[moderation]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// Words no message (in a room or direct) may hold, as whole words in any case: the
    /// sender is told why and nothing is relayed.
    pub filtered_words: Vec<String>,
}

/// Joining a cluster of nodes over Redis (the `[cluster]` table; `--cluster URL`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    /// `redis://HOST:PORT[/DB]` (`rediss://` for TLS); none: a lone server.
    pub redis: Option<String>,
    /// This node's number, 1 to 65535, unique in the cluster; none: Redis hands out one.
    pub node: Option<u16>,
    /// Seconds a node's lease and its names' claims last without renewal (default 8):
    /// a node killed outright is gone from the others within this plus a few seconds.
    pub lease_secs: Option<u64>,
    /// For `rediss://`: a CA certificate (PEM) to trust for Redis besides the system's.
    pub ca: Option<PathBuf>,
}

impl ClusterSettings {
    /// The settings the cluster crate takes, when a Redis URL is set.
    pub fn to_cluster(&self) -> Option<confab_cluster::ClusterConfig> {
        let mut config = confab_cluster::ClusterConfig::new(self.redis.clone()?);
        config.node = self.node;
        config.ca = self.ca.clone();
        if let Some(secs) = self.lease_secs {
            config.lease = std::time::Duration::from_secs(secs);
        }
        Some(config)
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Listeners to run; every protocol on its default port when empty.
    #[serde(deserialize_with = "deserialize_listen")]
    pub listen: Vec<ListenSpec>,
    /// Where accounts and history are kept (`none`: nowhere).
    pub data: DataSetting,
    pub history: HistoryConfig,
    pub limits: Limits,
    pub irc: IrcConfig,
    pub tls: TlsConfig,
    /// The `http` listener's page and WebSocket origins (`crate::http`).
    pub http: HttpConfig,
    pub moderation: ModerationConfig,
    pub cluster: ClusterSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: Listener::SERVED_BY_DEFAULT
                .into_iter()
                .map(ListenSpec::default_for)
                .collect(),
            data: DataSetting::default(),
            history: HistoryConfig::default(),
            limits: Limits::default(),
            irc: IrcConfig::default(),
            tls: TlsConfig::default(),
            http: HttpConfig::default(),
            moderation: ModerationConfig::default(),
            cluster: ClusterSettings::default(),
        }
    }
}

/// Each message names its cause itself (the field is `cause`, not `source`, so that
/// `confab: {error:#}` does not print it a second time).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("{path}: {cause}")]
    Parse {
        path: String,
        cause: Box<toml::de::Error>,
    },
    /// Values that do not make sense, every one found (`crate::problems`).
    #[error("{0}")]
    Invalid(Problems),
}

/// An `[http] allowed_origins` entry that is not an origin.
fn origin_problem(error: OriginError) -> Problem {
    Problem::new("http.allowed_origins", error.to_string())
}

impl From<OriginError> for ConfigError {
    fn from(error: OriginError) -> Self {
        ConfigError::Invalid(Problems::new(vec![origin_problem(error)]))
    }
}

impl Config {
    /// Reads a TOML file; settings it leaves out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.display().to_string(),
            cause,
        })?;
        let shown = path.display().to_string();
        let mut config = Config::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { cause, .. } => ConfigError::Parse {
                path: shown.clone(),
                cause,
            },
            ConfigError::Invalid(problems) => {
                ConfigError::Invalid(problems.in_file(shown.clone(), &text))
            }
            other => other,
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        config.data = config.data.relative_to(dir);
        for file in [
            &mut config.tls.cert,
            &mut config.tls.key,
            &mut config.cluster.ca,
        ]
        .into_iter()
        .flatten()
        {
            if file.is_relative() {
                *file = dir.join(&*file);
            }
        }
        Ok(config)
    }

    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|cause| ConfigError::Parse {
            path: "config".into(),
            cause: Box::new(cause),
        })?;
        config.validated()
    }

    /// Checks the limits make sense; an empty listener list means the defaults. Every
    /// problem found is in the error, not only the first.
    pub fn validated(mut self) -> Result<Config, ConfigError> {
        if self.listen.is_empty() {
            self.listen = Config::default().listen;
        }
        let mut problems = self.limits.problems();
        if self.cluster.node == Some(0) {
            let text = "cluster.node must be 1 to 65535, not 0".to_owned();
            problems.push(Problem::new("cluster.node", text));
        }
        if self.cluster.lease_secs == Some(0) {
            let text = "cluster.lease_secs must be above 0".to_owned();
            problems.push(Problem::new("cluster.lease_secs", text));
        }
        if self.tls.handshake_timeout_secs == 0 {
            let text = "tls.handshake_timeout_secs must be above 0".to_owned();
            problems.push(Problem::new("tls.handshake_timeout_secs", text));
        }
        problems.extend(self.irc.problems());
        if let Err(error) = crate::http::Settings::new(&self.http) {
            problems.push(origin_problem(error));
        }
        if self.http.header_timeout_secs == 0 {
            let text = "http.header_timeout_secs must be above 0".to_owned();
            problems.push(Problem::new("http.header_timeout_secs", text));
        }
        match problems.is_empty() {
            true => Ok(self),
            false => Err(ConfigError::Invalid(Problems::new(problems))),
        }
    }

    /// The certificate and key files when a listener is `+tls` (`None` when none is). A
    /// `+tls` listener needs both; the server checks this when it binds, after the flags
    /// have had their say, and then whether they load.
    pub fn tls_files(&self) -> Result<Option<(&Path, &Path)>, ConfigError> {
        let Some(spec) = self.listen.iter().find(|spec| spec.tls) else {
            return Ok(None);
        };
        let (key, text) = match (&self.tls.cert, &self.tls.key) {
            (Some(cert), Some(key)) => return Ok(Some((cert, key))),
            (None, None) => (
                "tls.cert",
                format!(
                    "the {spec} listener needs a certificate and key: give --tls-cert FILE and \
                     --tls-key FILE (or cert and key in the [tls] table); `confab cert` makes \
                     a self-signed pair"
                ),
            ),
            (Some(_), None) => (
                "tls.key",
                format!("the {spec} listener has a certificate but no key: give --tls-key FILE"),
            ),
            (None, Some(_)) => (
                "tls.cert",
                format!("the {spec} listener has a key but no certificate: give --tls-cert FILE"),
            ),
        };
        Err(ConfigError::Invalid(Problems::new(vec![Problem::new(
            key, text,
        )])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tls_listener_needs_a_certificate_and_key() {
        let listen = "listen = [\"irc+tls=127.0.0.1:6697\"]\n";
        // The file alone is valid: the certificate may still come from the flags.
        let config = Config::from_toml(listen).unwrap();
        let err = config.tls_files().unwrap_err().to_string();
        assert!(
            err.contains("irc+tls=127.0.0.1:6697 listener needs"),
            "{err}"
        );
        assert!(err.contains("--tls-cert FILE"), "{err}");
        let config = Config::from_toml(&format!("{listen}[tls]\ncert = \"c.pem\"\n")).unwrap();
        let err = config.tls_files().unwrap_err().to_string();
        assert!(err.contains("no key"), "{err}");
        let config = Config::from_toml(&format!(
            "{listen}[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n"
        ))
        .unwrap();
        assert_eq!(
            config.tls_files().unwrap(),
            Some((Path::new("c.pem"), Path::new("k.pem")))
        );
        assert_eq!(config.tls.handshake_timeout_secs, 10);
        // Without a TLS listener the files are not needed.
        let config = Config::from_toml("[tls]\ncert = \"c.pem\"\n").unwrap();
        assert_eq!(config.tls_files().unwrap(), None);
        assert!(Config::from_toml("[tls]\nhandshake_timeout_secs = 0\n").is_err());
    }

    #[test]
    fn tls_paths_in_a_file_are_relative_to_it() {
        let dir = std::env::temp_dir().join(format!("confab-config-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("confab.toml");
        std::fs::write(&path, "[tls]\ncert = \"c.pem\"\nkey = \"/abs/k.pem\"\n").unwrap();
        let config = Config::from_file(&path).unwrap();
        assert_eq!(config.tls.cert, Some(dir.join("c.pem")));
        assert_eq!(config.tls.key, Some(PathBuf::from("/abs/k.pem")));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let config = Config::from_toml("").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.len(), 6);
        assert_eq!(config.listen[4].addr.port(), 6667);
        assert_eq!(config.listen[5].addr.port(), 8080);
        assert_eq!(config.listen[5].kind(), "http");
        assert_eq!(config.irc.server_name, "confab");
        assert_eq!(config.listen[0].addr.port(), 8820);
    }

    #[test]
    fn a_file_sets_listeners_and_limits() {
        let config = Config::from_toml(
            "listen = [\"broadcast=127.0.0.1:7000\"]\n[limits]\noutbox_bytes = 1000\nname_max = 32\n",
        )
        .unwrap();
        let ListenSpecs(expected) = "broadcast=127.0.0.1:7000".parse().unwrap();
        assert_eq!(config.listen, expected);
        assert_eq!(config.limits.outbox_bytes, 1000);
        assert_eq!(config.limits.name_max, 32);
        assert_eq!(config.limits.rooms_line_max, 1024);
    }

    #[test]
    fn the_hardening_limits_have_the_issue_defaults() {
        let limits = Limits::default();
        assert_eq!(limits.irc_read_max, 16 * 1024);
        assert_eq!(limits.rooms_per_user, 100);
        assert_eq!(limits.connections_max, 10_000);
        assert_eq!(limits.connections_per_ip, 64);
        assert_eq!((limits.connect_burst, limits.connect_per_sec), (10, 2));
        assert!(limits.exempt_loopback);
        assert_eq!(limits.registration_timeout_secs, 60);
        assert_eq!((limits.flood_burst, limits.flood_per_sec), (16, 4));
        assert_eq!(limits.flood_queue_bytes, 65_536);
        let irc = IrcConfig::default();
        assert_eq!((irc.ping_interval_secs, irc.ping_timeout_secs), (90, 60));
        let config =
            Config::from_toml("[limits]\nexempt_loopback = false\nflood_burst = 3\n").unwrap();
        assert!(!config.limits.exempt_loopback);
        assert_eq!(config.limits.flood_burst, 3);
        let err = Config::from_toml("[limits]\nflood_per_sec = 0\n").unwrap_err();
        assert_eq!(err.to_string(), "limits.flood_per_sec must be above 0");
    }

    #[test]
    fn the_irc_table_sets_names_password_and_opers() {
        let config = Config::from_toml(
            "[irc]\nserver_name = \"My.Little.Server\"\npassword = \"pw\"\nmotd = []\n\
             [[irc.opers]]\nname = \"operuser\"\npassword = \"operpassword\"\n",
        )
        .unwrap();
        assert_eq!(config.irc.server_name, "My.Little.Server");
        assert_eq!(config.irc.network, "confab");
        assert_eq!(config.irc.password.as_deref(), Some("pw"));
        assert!(config.irc.motd.is_empty());
        assert_eq!(
            config.irc.opers,
            vec![Oper {
                name: "operuser".into(),
                password: "operpassword".into()
            }]
        );
        let err = Config::from_toml("[irc]\nserver_name = \"a b\"\n").unwrap_err();
        assert!(err.to_string().contains("one word"), "{err}");
        assert!(Config::from_toml("[irc]\nping_timeout_secs = 0\n").is_err());
    }

    #[test]
    fn the_http_table_sets_allowed_origins() {
        let config =
            Config::from_toml("[http]\nallowed_origins = [\"https://chat.example.org\", \"*\"]\n")
                .unwrap();
        assert_eq!(
            config.http.allowed_origins,
            ["https://chat.example.org", "*"]
        );
        assert_eq!(config.http.header_timeout_secs, 10);
        let defaults = Config::default().http.allowed_origins;
        assert!(
            defaults.contains(&"http://127.0.0.1:*".to_string()),
            "{defaults:?}"
        );
        let err = Config::from_toml("[http]\nallowed_origins = [\"example.org\"]\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("http.allowed_origins: \"example.org\" is not an origin"),
            "{err}"
        );
        assert!(Config::from_toml("[http]\nheader_timeout_secs = 0\n").is_err());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = Config::from_toml("[limits]\nname_max = 40\n").unwrap_err();
        assert_eq!(err.to_string(), "limits.name_max must be 1 to 32, not 40");
        let err = Config::from_toml("colour = 1\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
        let err = Config::from_toml("listen = [\"x=1\"]\n").unwrap_err();
        assert!(err.to_string().contains("unknown protocol"), "{err}");
    }

    #[test]
    fn the_cluster_table_gives_the_cluster_its_settings_and_refuses_node_0() {
        let config = Config::from_toml(
            "[cluster]\nredis = \"redis://:pw@10.0.0.5:6379/2\"\nnode = 3\nlease_secs = 20\n",
        )
        .unwrap();
        let cluster = config.cluster.to_cluster().expect("a cluster");
        assert_eq!(cluster.url, "redis://:pw@10.0.0.5:6379/2");
        assert_eq!(cluster.node, Some(3));
        assert_eq!(cluster.lease, std::time::Duration::from_secs(20));
        assert_eq!(cluster.shown_url(), "redis://:***@10.0.0.5:6379/2");
        assert!(Config::default().cluster.to_cluster().is_none());
        let refused = Config::from_toml("[cluster]\nredis = \"redis://h\"\nnode = 0\n");
        assert_eq!(
            refused.unwrap_err().to_string(),
            "cluster.node must be 1 to 65535, not 0"
        );
    }
}

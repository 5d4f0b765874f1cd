//! Applying a new configuration while serving (SIGHUP, `confab reload`): all of it or
//! none of it. What can change live changes; what cannot (the data directory, history,
//! the cluster, the names the hub and IRC clients were given) keeps its running value and
//! is reported as needing a restart.
//!
//! Everything that can fail (the TLS certificate and key, binding added listeners) is
//! done before anything changes, so a refused reload leaves the server as it was.

use std::fmt;
use std::sync::Arc;

use confab_core::LiveRules;
use tokio::sync::{mpsc, oneshot};

use crate::accept::{Accepting, Live, Transport};
use crate::adapter::irc::Settings;
use crate::config::{Config, ConfigError, ListenSpec};
use crate::server::{bind_listener, BindError};
use crate::shared::Shared;

/// Reloads waiting for the server: one at a time, so few ever wait.
const WAITING: usize = 4;

/// Asks a running server to apply a configuration; cheap to clone.
#[derive(Clone)]
pub struct Reloader {
    requests: mpsc::Sender<Request>,
}

/// One reload asked for, and where its outcome goes.
pub struct Request {
    config: Config,
    reply: oneshot::Sender<Result<Reloaded, BindError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The configuration was refused whole; the server runs on as before.
    #[error(transparent)]
    Refused(#[from] BindError),
    #[error("the server is not serving (not started, or shutting down)")]
    Stopped,
}

impl Reloader {
    pub(crate) fn channel() -> (Reloader, mpsc::Receiver<Request>) {
        let (requests, receiver) = mpsc::channel(WAITING);
        (Reloader { requests }, receiver)
    }

    /// Applies `config` (already validated, the flags applied) and says what changed.
    pub async fn reload(&self, config: Config) -> Result<Reloaded, ReloadError> {
        let (reply, outcome) = oneshot::channel();
        let request = Request { config, reply };
        self.requests
            .send(request)
            .await
            .map_err(|_| ReloadError::Stopped)?;
        Ok(outcome.await.map_err(|_| ReloadError::Stopped)??)
    }
}

/// What one reload changed: the log line `reloaded: ...`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The parts applied: `limits`, `motd`, `opers`, `irc`, `filtered_words`, `http`, `tls`.
    pub changed: Vec<&'static str>,
    /// Listeners opened, with their bound addresses (port 0 resolved).
    pub added: Vec<ListenSpec>,
    /// Listeners closed, as they were configured.
    pub removed: Vec<ListenSpec>,
    /// Settings that differ from the running ones but take a restart to change.
    pub need_restart: Vec<&'static str>,
}

impl fmt::Display for Reloaded {
    /// `limits, motd; listeners +irc=127.0.0.1:6697 -rooms=0.0.0.0:5220`, or
    /// `nothing changed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let listeners: Vec<String> = (self.added.iter().map(|spec| format!("+{spec}")))
            .chain(self.removed.iter().map(|spec| format!("-{spec}")))
            .collect();
        match (self.changed.is_empty(), listeners.is_empty()) {
            (true, true) => f.write_str("nothing changed"),
            (false, true) => f.write_str(&self.changed.join(", ")),
            (true, false) => write!(f, "listeners {}", listeners.join(" ")),
            (false, false) => write!(
                f,
                "{}; listeners {}",
                self.changed.join(", "),
                listeners.join(" ")
            ),
        }
    }
}

impl Reloaded {
    /// What `confab reload` prints after `reloaded: `: what changed, then the settings kept
    /// until a restart, e.g. `limits; kept until a restart: data, server_name`.
    pub fn summary(&self) -> String {
        match self.need_restart.is_empty() {
            true => self.to_string(),
            false => format!(
                "{self}; kept until a restart: {}",
                self.need_restart.join(", ")
            ),
        }
    }
}

/// Logs a reload's outcome: one line, `reloaded: ...`, or why it was refused.
pub fn log_outcome(outcome: &Result<Reloaded, String>) {
    match outcome {
        Ok(reloaded) => {
            tracing::info!("reloaded: {reloaded}");
            if !reloaded.need_restart.is_empty() {
                let keys = reloaded.need_restart.join(", ");
                tracing::warn!("changed in the file but kept until a restart: {keys}");
            }
        }
        Err(why) => tracing::warn!("reload refused, nothing changed: {why}"),
    }
}

/// The server's side: the configuration in force and how to move to the next.
pub(crate) struct Reloading {
    config: Config,
    /// The certificate and key files' bytes, to tell whether a reload changed them.
    tls_files: Option<Vec<u8>>,
}

impl Reloading {
    pub(crate) fn new(config: Config) -> Reloading {
        let tls_files = tls_bytes(&config);
        Reloading { config, tls_files }
    }

    /// Carries out `request`, logs its outcome and answers it.
    pub(crate) async fn serve(&mut self, request: Request, accepting: &mut Accepting) {
        let outcome = self.apply(request.config, accepting).await;
        log_outcome(&outcome.as_ref().map_err(ToString::to_string).cloned());
        let _ = request.reply.send(outcome);
    }

    async fn apply(
        &mut self,
        wanted: Config,
        accepting: &mut Accepting,
    ) -> Result<Reloaded, BindError> {
        let need_restart = restart_only(&self.config, &wanted);
        let new = keeping_restart_only(&self.config, wanted);
        // What may fail, first.
        let tls = Transport::for_config(&new)?;
        let http = crate::http::Settings::new(&new.http).map_err(ConfigError::from)?;
        let mut bound = Vec::new();
        for spec in new
            .listen
            .iter()
            .filter(|s| !self.config.listen.contains(s))
        {
            bound.push((*spec, bind_listener(*spec).await?));
        }
        let tls_files = tls_bytes(&new);
        let mut changed = changes(&self.config, &new);
        if tls_files != self.tls_files && !changed.contains(&"tls") {
            changed.push("tls");
        }
        let shared = next_shared(&accepting.live().shared, &new, http);
        accepting.set_live(Live { shared, tls });
        let removed: Vec<ListenSpec> = (self.config.listen.iter())
            .filter(|spec| !new.listen.contains(spec))
            .copied()
            .collect();
        for spec in &removed {
            accepting.stop(*spec);
        }
        let mut added = Vec::new();
        for (spec, listener) in bound {
            let addr = listener.local_addr().map_or(spec.addr, |addr| addr);
            added.push(ListenSpec { addr, ..spec });
            accepting.start(spec, listener);
        }
        (self.config, self.tls_files) = (new, tls_files);
        Ok(Reloaded {
            changed,
            added,
            removed,
            need_restart,
        })
    }
}

/// The settings of the connections from now on, and the hub's and admission's rules.
fn next_shared(running: &Arc<Shared>, config: &Config, http: crate::http::Settings) -> Arc<Shared> {
    running.hub.set_rules(LiveRules {
        outbox_bytes: config.limits.outbox_bytes,
        filtered_words: config.moderation.filtered_words.clone(),
    });
    running.admission.set_limits(&config.limits);
    let irc = Settings::with_limits(&config.irc, &config.limits)
        .with_history(running.history.is_some())
        .succeeding(&running.irc);
    Arc::new(Shared {
        limits: config.limits.clone(),
        irc: Arc::new(irc),
        http,
        ..Shared::clone(running)
    })
}

/// The parts that differ between `old` and `new` and change live.
fn changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let (a, b) = (&old.irc, &new.irc);
    let irc_rest = a.description != b.description
        || a.password != b.password
        || a.ping_interval_secs != b.ping_interval_secs
        || a.ping_timeout_secs != b.ping_timeout_secs
        || a.register_before_connect != b.register_before_connect;
    [
        ("limits", old.limits != new.limits),
        ("motd", a.motd != b.motd),
        ("opers", a.opers != b.opers),
        ("irc", irc_rest),
        ("filtered_words", old.moderation != new.moderation),
        ("http", old.http != new.http),
        ("tls", old.tls != new.tls),
    ]
    .into_iter()
    .filter_map(|(part, differs)| differs.then_some(part))
    .collect()
}

/// The keys of `wanted` that differ from the running configuration and cannot change
/// without a restart: the hub, the store and the cluster are made with them, and IRC
/// clients were told the server's names and `NICKLEN`/`CHANLIMIT` when they connected.
fn restart_only(running: &Config, wanted: &Config) -> Vec<&'static str> {
    [
        ("data", running.data != wanted.data),
        ("history", running.history != wanted.history),
        ("cluster", running.cluster != wanted.cluster),
        (
            "irc.server_name",
            running.irc.server_name != wanted.irc.server_name,
        ),
        ("irc.network", running.irc.network != wanted.irc.network),
        (
            "limits.name_max",
            running.limits.name_max != wanted.limits.name_max,
        ),
        (
            "limits.rooms_per_user",
            running.limits.rooms_per_user != wanted.limits.rooms_per_user,
        ),
    ]
    .into_iter()
    .filter_map(|(key, differs)| differs.then_some(key))
    .collect()
}

/// `wanted` with the running values of what takes a restart to change.
fn keeping_restart_only(running: &Config, mut wanted: Config) -> Config {
    wanted.data = running.data.clone();
    wanted.history = running.history.clone();
    wanted.cluster = running.cluster.clone();
    wanted.irc.server_name = running.irc.server_name.clone();
    wanted.irc.network = running.irc.network.clone();
    wanted.limits.name_max = running.limits.name_max;
    wanted.limits.rooms_per_user = running.limits.rooms_per_user;
    wanted
}

/// The certificate's and key's bytes when a listener uses them (unreadable: none, and
/// loading them has already refused the reload).
fn tls_bytes(config: &Config) -> Option<Vec<u8>> {
    let (cert, key) = config.tls_files().ok()??;
    let mut bytes = std::fs::read(cert).ok()?;
    bytes.extend(std::fs::read(key).ok()?);
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::from_toml(text).unwrap()
    }

    #[test]
    fn each_part_that_differs_is_named_once() {
        let old = config("[irc]\nmotd = [\"a\"]\n");
        let new = config(
            "[irc]\nmotd = [\"b\"]\n[[irc.opers]]\nname = \"o\"\npassword = \"p\"\n\
             [limits]\nflood_burst = 3\n[moderation]\nfiltered_words = [\"darn\"]\n",
        );
        assert_eq!(
            changes(&old, &new),
            ["limits", "motd", "opers", "filtered_words"]
        );
        assert!(changes(&old, &old).is_empty());
    }

    #[test]
    fn what_takes_a_restart_is_named_and_kept() {
        let running = config("data = \"none\"\n");
        let wanted = config("data = \"elsewhere\"\n[limits]\nname_max = 9\noutbox_bytes = 9\n");
        assert_eq!(restart_only(&running, &wanted), ["data", "limits.name_max"]);
        let kept = keeping_restart_only(&running, wanted);
        assert_eq!(kept.data, running.data);
        assert_eq!(kept.limits.name_max, 20);
        assert_eq!(kept.limits.outbox_bytes, 9);
    }

    #[test]
    fn the_log_line_names_parts_then_listeners() {
        let mut reloaded = Reloaded::default();
        assert_eq!(reloaded.to_string(), "nothing changed");
        reloaded.changed = vec!["limits", "motd"];
        assert_eq!(reloaded.to_string(), "limits, motd");
        let ListenSpecs(added) = "irc=127.0.0.1:6668".parse().unwrap();
        let ListenSpecs(removed) = "rooms=127.0.0.1:5220".parse().unwrap();
        (reloaded.added, reloaded.removed) = (added, removed);
        assert_eq!(
            reloaded.to_string(),
            "limits, motd; listeners +irc=127.0.0.1:6668 -rooms=127.0.0.1:5220"
        );
    }

    #[test]
    fn the_reply_adds_what_is_kept_until_a_restart() {
        let mut reloaded = Reloaded {
            changed: vec!["limits"],
            ..Reloaded::default()
        };
        assert_eq!(reloaded.summary(), "limits");
        reloaded.need_restart = vec!["data", "server_name"];
        assert_eq!(
            reloaded.summary(),
            "limits; kept until a restart: data, server_name"
        );
    }

    use crate::config::ListenSpecs;
}

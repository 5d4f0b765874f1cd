//! Accounts on a running server: logging in and registering, with the password work on
//! a bounded pool (`pool.rs`), failures answered late and throttled per address
//! (`throttle.rs`), hashes made and checked in `password.rs`. `admin.rs` is the
//! `confab account` command's side. The hub learns only names: the registered ones at
//! startup and as they are registered, and who is logged in to which.

pub mod admin;
pub mod password;
pub mod pool;
pub mod throttle;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use confab_cluster::Claim;
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{Hub, Name, Session};
use confab_store::{AccountRow, Change};

use crate::history::{record, History};
use pool::Pool;
use throttle::Throttle;

/// How long a failed login waits before it is answered (on the connection's own task).
pub const FAIL_DELAY: Duration = Duration::from_secs(1);
/// The longest password accepted, in bytes (argon2 takes any length; this bounds work).
/// Longer than an IRC line can carry, so a passphrase set with `confab account` that
/// only SASL's chunks can send (irctest's 592 bytes) is still taken.
pub const PASSWORD_MAX: usize = 1024;

/// A login that succeeded: the account's name as registered, and whether it is a
/// server operator's (`confab account op`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    pub account: Name,
    pub oper: bool,
}

impl LoggedIn {
    /// Tells the hub: the session is logged in, and an operator account's session runs
    /// every room from now on.
    pub fn apply(&self, hub: &Hub, session: &Session) {
        let _ = hub.log_in(session, self.account.clone());
        if self.oper {
            let _ = hub.set_oper(session, true);
        }
    }
}

/// Why a login did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("invalid account or password")]
    Failed,
    #[error("too many logins at once; try again later")]
    Busy,
    #[error("accounts are not available")]
    Unavailable,
}

/// Why a registration did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("the account already exists")]
    Exists,
    #[error("the password must be 1 to {PASSWORD_MAX} bytes")]
    BadPassword,
    #[error("too many registrations at once; try again later")]
    Busy,
    #[error("accounts are not available")]
    Unavailable,
}

/// One server's password pool and failure counts.
#[derive(Default)]
pub struct Accounts {
    pool: Pool,
    throttle: Throttle,
}

impl Accounts {
    /// Checks `password` for the account `name`: the account as registered, or why not. A failure is answered after [`FAIL_DELAY`]; an address with too many
    /// recent failures is refused without a check.
    pub async fn log_in(
        &self,
        history: Option<Arc<History>>,
        ip: IpAddr,
        name: &str,
        password: String,
    ) -> Result<LoggedIn, LoginError> {
        let history = history.ok_or(LoginError::Unavailable)?;
        let found = if self.throttle.blocked(ip) || password.len() > PASSWORD_MAX {
            None
        } else {
            let key = name.to_ascii_lowercase();
            let checked = self
                .pool
                .run(move || {
                    let row = history.database().account(&key)?;
                    let ok = password::verify(row.as_ref().map(|r| r.hash.as_str()), &password);
                    Ok::<_, confab_store::StoreError>(row.filter(|_| ok).map(|r| (r.name, r.oper)))
                })
                .await
                .map_err(|_| LoginError::Busy)?;
            checked.map_err(|error| {
                tracing::error!(%error, "cannot read an account");
                LoginError::Unavailable
            })?
        };
        let found =
            found.and_then(|(name, oper)| Some((Name::parse(&name, NAME_MAX_CEILING).ok()?, oper)));
        match found {
            Some((account, oper)) => Ok(LoggedIn { account, oper }),
            None => {
                self.throttle.failed(ip);
                tokio::time::sleep(FAIL_DELAY).await;
                Err(LoginError::Failed)
            }
        }
    }

    /// Registers the account `name` with `password` and tells the hub, so the name is
    /// protected from now on. In a cluster the name is claimed across every node first.
    pub async fn register(
        &self,
        history: Option<Arc<History>>,
        hub: &Hub,
        name: &Name,
        password: String,
    ) -> Result<(), RegisterError> {
        let history = history.ok_or(RegisterError::Unavailable)?;
        if password.is_empty() || password.len() > PASSWORD_MAX {
            return Err(RegisterError::BadPassword);
        }
        if hub.is_account(name.as_str()) {
            return Err(RegisterError::Exists);
        }
        let phc = self
            .pool
            .run(move || password::hash(&password).map_err(|_| RegisterError::Unavailable))
            .await
            .map_err(|_| RegisterError::Busy)??;
        if !create(history, name, phc).await? {
            return Err(RegisterError::Exists);
        }
        hub.add_account(name);
        Ok(())
    }
}

/// Keeps a new account: claimed in the cluster first, if in one and Redis answers, and
/// then shared; alone, as a lone server does. `false` if the name is taken.
async fn create(history: Arc<History>, name: &Name, phc: String) -> Result<bool, RegisterError> {
    let now = crate::bans::millis(std::time::SystemTime::now());
    let row = AccountRow {
        key: record::key(name),
        name: name.to_string(),
        hash: phc,
        created_ms: now,
        oper: false,
        updated_ms: now,
    };
    let claim = match history.cluster() {
        Some(cluster) => {
            let record = crate::cluster_records::account_record(Change::Put(row.clone()));
            cluster.claim(record).await
        }
        None => Claim::Alone,
    };
    let stored = tokio::task::spawn_blocking(move || {
        let db = history.database();
        match claim {
            // Claimed and shared already: kept here as the cluster holds it.
            Claim::Won => db.merge_account(&Change::Put(row)),
            Claim::Lost => Ok(false),
            Claim::Alone => {
                let created = db.create_account(&row.key, &row.name, &row.hash, false)?;
                if created {
                    crate::cluster_records::share_account(&history, &row.key);
                }
                Ok(created)
            }
        }
    })
    .await;
    match stored {
        Ok(Ok(created)) => Ok(created),
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot create an account");
            Err(RegisterError::Unavailable)
        }
        Err(_) => Err(RegisterError::Unavailable),
    }
}

/// Tells the hub every registered account's name (at startup).
pub fn load_names(history: &History, hub: &Hub) -> Result<usize, confab_store::StoreError> {
    let rows = history.database().list_accounts()?;
    let names: Vec<Name> = rows
        .iter()
        .filter_map(|row| Name::parse(&row.name, NAME_MAX_CEILING).ok())
        .collect();
    let count = names.len();
    hub.set_accounts(names);
    Ok(count)
}

//! Logging in from a classroom protocol: a name given with a password (`NAME amy sesame`,
//! a packet name field `amy sesame`, `/nick amy sesame`, or a first broadcast line `amy
//! sesame`) takes a registered name. None of these is a valid name (a name has no
//! space), so no exchange of the seeds changes.
//!
//! The password is checked on the accounts pool, off the connection's task; meanwhile the
//! adapter reads no further input, and polls the outcome through its deadline, so every
//! reply keeps the order of the client's requests. After the login the direct messages
//! that waited for the account are read from history and delivered in the protocol's own
//! form, before anything else.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_core::{Event, Name};
use tokio::time::Instant;

use super::Context;

/// How often an adapter looks whether the password check has answered.
const POLL: Duration = Duration::from_millis(10);

/// A name with a password: `name password`, split at the first space. The password is
/// the rest of the field, spaces and all, and may not be empty.
fn credentials(field: &str) -> Option<(&str, &str)> {
    let (name, password) = field.split_once(' ')?;
    let password = password.trim_start_matches(' ');
    (!name.is_empty() && !password.is_empty()).then_some((name, password))
}

/// How a login ended.
pub enum Outcome {
    /// The password was right: the session is logged in to `account`; `waiting` are the
    /// direct messages that waited for it, oldest first (handed over once).
    LoggedIn {
        account: Name,
        waiting: Vec<Arc<Event>>,
    },
    /// Wrong password (or accounts unavailable): answered as the name being taken.
    Refused,
}

/// A login under way; the adapter holds it until [`PendingLogin::poll`] answers.
pub struct PendingLogin {
    /// The name as the client wrote it, to take once logged in.
    pub name: String,
    slot: Arc<Mutex<Option<Outcome>>>,
    /// When to look next.
    due: Instant,
}

impl PendingLogin {
    /// Starts a login if `field` is a registered account's name with a password.
    /// Anything else (no password, no such account, no data directory) is `None`: the
    /// field is an ordinary name, refused as one for its space.
    pub fn begin(cx: &Context<'_>, field: &str) -> Option<PendingLogin> {
        let (name, password) = credentials(field)?;
        if cx.history().is_none() || !cx.hub.is_account(name) {
            return None;
        }
        Some(PendingLogin::start(cx, name, password))
    }

    /// Starts checking `password` for the account `name` on the accounts pool.
    fn start(cx: &Context<'_>, name: &str, password: &str) -> PendingLogin {
        let slot = Arc::new(Mutex::new(None));
        let answer = slot.clone();
        let (accounts, history) = (cx.shared.accounts.clone(), cx.shared.history.clone());
        let (hub, session, ip) = (cx.shared.hub.clone(), cx.session.clone(), cx.peer.ip());
        let (account, password) = (name.to_string(), password.to_string());
        tokio::spawn(async move {
            let checked = accounts
                .log_in(history.clone(), ip, &account, password)
                .await;
            let outcome = match checked {
                Ok(login) => {
                    // Logged in before the name is taken, so the name is the owner's.
                    login.apply(&hub, &session);
                    let account = login.account;
                    let waiting = match history {
                        Some(history) => history.take_waiting(&account).await,
                        None => Vec::new(),
                    };
                    Outcome::LoggedIn { account, waiting }
                }
                Err(_) => Outcome::Refused,
            };
            *answer.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
        });
        PendingLogin {
            name: name.to_string(),
            slot,
            due: Instant::now() + POLL,
        }
    }

    /// When the adapter should look again.
    pub fn deadline(&self) -> Instant {
        self.due
    }

    /// The outcome, once there is one; otherwise the next look is one poll later.
    pub fn poll(&mut self) -> Option<Outcome> {
        let outcome = self.slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        if outcome.is_none() {
            self.due = Instant::now() + POLL;
        }
        outcome
    }
}

/// The name and outcome of a login that has answered, which is then over; `None` while
/// it is still under way (or when there is none).
pub fn answered(login: &mut Option<PendingLogin>) -> Option<(String, Outcome)> {
    let outcome = login.as_mut()?.poll()?;
    let name = login.take()?.name;
    Some((name, outcome))
}

#[cfg(test)]
mod tests {
    use super::credentials;

    #[test]
    fn a_name_with_a_password_is_split_at_the_first_space() {
        assert_eq!(credentials("amy sesame"), Some(("amy", "sesame")));
        assert_eq!(
            credentials("amy  open sesame"),
            Some(("amy", "open sesame"))
        );
        assert_eq!(credentials("amy"), None);
        assert_eq!(credentials("amy "), None);
        assert_eq!(credentials(" amy"), None);
    }
}

//! Logins and registrations answered off the connection's task: the password work runs
//! on the accounts pool (`crate::accounts`), so the answer is rendered here, from what
//! the connection was when it asked, and pushed into its outbox as a reply. A login made
//! after registration is followed at once by the direct messages that waited for the
//! account, with `server-time`. The answer keeps its place among the client's replies
//! (`ordered.rs`): what the client sent after it is answered after it.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::BytesMut;
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{Hub, Name, Session};
use confab_proto::irc::{render, Numeric};

use super::caps::{Cap, Caps};
use super::ordered::{Ordered, Place};
use super::IrcAdapter;
use crate::accounts::{Accounts, LoginError, RegisterError};
use crate::adapter::Context;
use crate::history::History;

/// The services' nick, reserved on every protocol.
pub const NICKSERV: &str = "NickServ";

/// [`NICKSERV`] as the validated name the hub reserves.
pub fn nickserv() -> Name {
    Name::parse(NICKSERV, NAME_MAX_CEILING).expect("NickServ follows the name rules")
}
/// The source of NickServ's notices.
const NICKSERV_MASK: &str = "NickServ!NickServ@services";

/// How the client asked, which decides the form of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `AUTHENTICATE` (SASL PLAIN): `900` and `903`, or `904`.
    Sasl,
    /// `NickServ IDENTIFY` / `NickServ REGISTER`: NickServ's notices.
    NickServ,
    /// `REGISTER` (draft/account-registration): `REGISTER SUCCESS` or `FAIL REGISTER`.
    Register,
}

/// What an answer needs of the connection, taken when the client asked.
pub struct Asker {
    hub: Arc<Hub>,
    session: Arc<Session>,
    history: Option<Arc<History>>,
    accounts: Arc<Accounts>,
    server: Arc<str>,
    /// The nick (or `*`) numerics are addressed to, and the `nick!user@host` of `900`.
    client: String,
    mask: String,
    ip: IpAddr,
    registered: bool,
    caps: Caps,
    /// The answer's place among the client's replies; later pushes queue behind it.
    place: Option<Place>,
    ordered: Arc<Ordered>,
}

impl Asker {
    pub fn new(me: &mut IrcAdapter, cx: &Context<'_>) -> Asker {
        // Before registration the nick and user name sent so far stand in.
        let pending = me.pending.as_deref();
        let (client, mask) = match (
            &me.nick,
            pending.and_then(|p| p.nick.as_ref().map(Name::as_str)),
        ) {
            (None, Some(nick)) => {
                let user = pending
                    .and_then(|p| p.user.as_ref())
                    .map_or("*", |u| u.0.as_str());
                (nick.to_string(), format!("{nick}!{user}@{}", me.host))
            }
            _ => (me.out.client.clone(), me.mask()),
        };
        // What this command answered so far goes first, then the place of the rest.
        let ordered = me.seldom().ordered.get_or_insert_with(Arc::default).clone();
        if let Some(bytes) = me.out.take() {
            ordered.reply(cx.session, bytes);
        }
        let place = Some(Ordered::reserve(&ordered, cx.session));
        Asker {
            hub: cx.shared.hub.clone(),
            session: cx.session.clone(),
            history: cx.shared.history.clone(),
            accounts: cx.shared.accounts.clone(),
            server: me.settings.server.clone(),
            client,
            mask,
            ip: cx.peer.ip(),
            registered: me.registered(),
            caps: me.caps,
            place,
            ordered,
        }
    }

    fn num(&self, out: &mut BytesMut, numeric: Numeric, params: &[&str], text: Option<&str>) {
        numeric.render(out, &self.server, &self.client, params, text);
    }

    fn nickserv(&self, out: &mut BytesMut, text: &str) {
        render(
            out,
            None,
            Some(NICKSERV_MASK),
            "NOTICE",
            &[&self.client, text],
        );
    }

    fn fail(&self, out: &mut BytesMut, code: &str, account: &str, text: &str) {
        let params = ["REGISTER", code, account, text];
        render(out, None, Some(&self.server), "FAIL", &params);
    }

    /// The first push fills the answer's place; later ones follow it.
    fn push(&mut self, out: BytesMut) {
        match self.place.take() {
            Some(place) => place.fill(out.freeze()),
            None if !out.is_empty() => self.ordered.reply(&self.session, out.freeze()),
            None => {}
        }
    }

    /// `900 <nick> <mask> <account> :You are now logged in as <account>`.
    /// An operator account's login, as OPER answers: `381` and `MODE nick +o` (before
    /// registration there is no nick for them yet; the status holds all the same).
    fn now_oper(&self, out: &mut BytesMut) {
        if self.registered {
            self.num(out, Numeric::RPL_YOUREOPER, &[], None);
            render(out, None, Some(&self.mask), "MODE", &[&self.client, "+o"]);
        }
    }

    fn logged_in(&self, out: &mut BytesMut, account: &Name) {
        let text = format!("You are now logged in as {account}");
        let params = [self.mask.as_str(), account.as_str()];
        self.num(out, Numeric::RPL_LOGGEDIN, &params, Some(&text));
    }
}

/// Checks `password` for `account` on the pool and answers in the form of `via`.
pub fn log_in(mut asker: Asker, via: Via, account: String, password: String) {
    tokio::spawn(async move {
        let history = asker.history.clone();
        let outcome = asker
            .accounts
            .log_in(history, asker.ip, &account, password)
            .await;
        let mut out = BytesMut::new();
        match outcome {
            Ok(login) => {
                login.apply(&asker.hub, &asker.session);
                let name = login.account;
                asker.logged_in(&mut out, &name);
                if login.oper {
                    asker.now_oper(&mut out);
                }
                match via {
                    Via::Sasl => asker.num(&mut out, Numeric::RPL_SASLSUCCESS, &[], None),
                    _ => asker.nickserv(&mut out, &format!("You're now logged in as {name}")),
                }
                asker.push(out);
                if asker.registered {
                    play_waiting(&mut asker, &name).await;
                }
            }
            Err(error) => {
                match via {
                    Via::Sasl => asker.num(&mut out, Numeric::ERR_SASLFAIL, &[], None),
                    _ => asker.nickserv(&mut out, &login_failure(error)),
                }
                asker.push(out);
            }
        }
    });
}

fn login_failure(error: LoginError) -> String {
    match error {
        LoginError::Failed => "Invalid account credentials".into(),
        other => format!("Cannot log in: {other}"),
    }
}

/// Registers `account` with `password` on the pool and, once registered, logs the
/// connection in to it.
pub fn register(mut asker: Asker, via: Via, account: Name, password: String) {
    tokio::spawn(async move {
        let history = asker.history.clone();
        let outcome = asker
            .accounts
            .register(history, &asker.hub, &account, password)
            .await;
        let mut out = BytesMut::new();
        match (outcome, via) {
            (Ok(()), _) => {
                let _ = asker.hub.log_in(&asker.session, account.clone());
                if via == Via::Register {
                    let text = "Account successfully registered";
                    let params = ["SUCCESS", account.as_str(), text];
                    render(&mut out, None, Some(&asker.server), "REGISTER", &params);
                } else {
                    asker.nickserv(&mut out, "Account created");
                }
                asker.logged_in(&mut out, &account);
            }
            (Err(error), Via::Register) => {
                let code = match error {
                    RegisterError::Exists => "ACCOUNT_EXISTS",
                    RegisterError::BadPassword => "UNACCEPTABLE_PASSWORD",
                    RegisterError::Busy | RegisterError::Unavailable => "TEMPORARILY_UNAVAILABLE",
                };
                asker.fail(&mut out, code, account.as_str(), &error.to_string());
            }
            (Err(error), _) => asker.nickserv(&mut out, &format!("Cannot register: {error}")),
        }
        asker.push(out);
    });
}

/// Plays the direct messages that waited for `account`, each as it was sent and with
/// its time, then forgets them (the store hands each over once).
async fn play_waiting(asker: &mut Asker, account: &Name) {
    let Some(history) = asker.history.clone() else {
        return;
    };
    let waiting = history.take_waiting(account).await;
    let mut caps = asker.caps;
    caps.set(Cap::ServerTime, true);
    let mut out = BytesMut::new();
    for event in &waiting {
        super::render::event(event, caps, &mut out);
    }
    asker.push(out);
}

/// Starts playing what waited for the connection's account, if it is logged in to one
/// (called as registration completes, after the welcome).
pub fn play_waiting_after_registration(me: &mut IrcAdapter, cx: &Context<'_>) {
    let Some(account) = cx.hub.account_of(cx.session) else {
        return;
    };
    let mut asker = Asker::new(me, cx);
    tokio::spawn(async move { play_waiting(&mut asker, &account).await });
}

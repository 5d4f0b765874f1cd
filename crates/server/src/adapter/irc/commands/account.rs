//! `REGISTER <account|*> <email|*> <password>` and `VERIFY <account> <code>` (IRCv3
//! draft/account-registration), before or after registration. The account is the
//! client's nick (`*` says so); no email is asked for and nothing needs verifying.

use confab_core::Name;
use confab_proto::irc::Message;

use super::super::login::{self, Asker, Via};
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

pub fn register(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let (wanted, password) = (m.params[0], m.params[2]);
    let nick = match &me.nick {
        Some(nick) => Some(nick.clone()),
        None => me
            .pending
            .as_ref()
            .and_then(|p| p.nick.clone().or_else(|| p.refused_nick.clone())),
    };
    let shown = if wanted == "*" {
        nick.as_ref().map_or_else(|| "*".into(), Name::to_string)
    } else {
        wanted.to_string()
    };
    let refuse = |me: &mut IrcAdapter, code: &str, text: &str| {
        me.out
            .server_line("FAIL", &["REGISTER", code, &shown, text]);
        Flow::Continue
    };
    // ergo answers REGISTER without the cap too; the cap only advertises it.
    if cx.history().is_none() {
        return refuse(me, "TEMPORARILY_UNAVAILABLE", "Accounts are not available");
    }
    if !me.registered() && !me.settings.register_before_connect {
        return refuse(
            me,
            "COMPLETE_CONNECTION_REQUIRED",
            "Complete the connection before registering",
        );
    }
    if cx.hub.account_of(cx.session).is_some() {
        return refuse(me, "ALREADY_AUTHENTICATED", "You are already logged in");
    }
    let Some(nick) = nick else {
        return refuse(me, "NEED_NICK", "Choose a nick first");
    };
    if !shown.eq_ignore_ascii_case(nick.as_str()) {
        return refuse(
            me,
            "ACCOUNT_NAME_MUST_BE_NICK",
            "The account must be your nick",
        );
    }
    // Someone else holds the nick now: registering it would take it from under them.
    let held = cx.hub.lookup(nick.as_str()).is_some() && me.nick.is_none();
    if held || cx.hub.is_account(nick.as_str()) {
        return refuse(me, "ACCOUNT_EXISTS", "Account already exists");
    }
    login::register(
        Asker::new(me, cx),
        Via::Register,
        nick,
        password.to_string(),
    );
    Flow::Continue
}

/// Nothing is ever waiting for verification.
pub fn verify(me: &mut IrcAdapter, _cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let text = "No verification is needed";
    me.out
        .server_line("FAIL", &["VERIFY", "INVALID_CODE", m.params[0], text]);
    Flow::Continue
}

//! The `NickServ` pseudo-user: `PRIVMSG NickServ :REGISTER <password>` (registers the
//! current nick as an account) and `IDENTIFY [account] <password>`, also as the `NS` and
//! `NICKSERV` commands. It answers with notices from `NickServ!NickServ@services`.

use confab_proto::irc::Message;

use super::super::login::{self, Asker, Via, NICKSERV};
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

const HELP: &str = "Commands: REGISTER <password>, IDENTIFY [account] <password>";

/// `NS <command> [args]` and `NICKSERV <command> [args]`.
pub fn command(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let text = m.params.join(" ");
    said(me, cx, &text);
    Flow::Continue
}

/// Whether a PRIVMSG target is NickServ.
pub fn is_nickserv(target: &str) -> bool {
    target.eq_ignore_ascii_case(NICKSERV)
}

/// What a client told NickServ.
pub fn said(me: &mut IrcAdapter, cx: &Context<'_>, text: &str) {
    let mut words = text.split_whitespace();
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    let args: Vec<&str> = words.collect();
    match (verb.as_str(), args.as_slice()) {
        ("REGISTER", [password, ..]) => register(me, cx, password),
        ("IDENTIFY", [password]) => {
            let nick = me.out.client.clone();
            identify(me, cx, &nick, password);
        }
        ("IDENTIFY", [account, password, ..]) => identify(me, cx, account, password),
        _ => notice(me, HELP),
    }
}

fn notice(me: &mut IrcAdapter, text: &str) {
    let client = me.out.client.clone();
    me.out
        .line("NickServ!NickServ@services", "NOTICE", &[&client, text]);
}

fn identify(me: &mut IrcAdapter, cx: &Context<'_>, account: &str, password: &str) {
    if cx.hub.account_of(cx.session).is_some() {
        return notice(me, "You are already logged in");
    }
    let asker = Asker::new(me, cx);
    login::log_in(
        asker,
        Via::NickServ,
        account.to_string(),
        password.to_string(),
    );
}

fn register(me: &mut IrcAdapter, cx: &Context<'_>, password: &str) {
    let Some(nick) = me.nick.clone() else {
        return notice(me, "Register your connection first");
    };
    if cx.history().is_none() {
        return notice(me, "Accounts are not available");
    }
    if cx.hub.account_of(cx.session).is_some() {
        return notice(me, "You are already logged in");
    }
    if cx.hub.is_account(nick.as_str()) {
        return notice(me, &format!("{nick} is registered already"));
    }
    login::register(
        Asker::new(me, cx),
        Via::NickServ,
        nick,
        password.to_string(),
    );
}

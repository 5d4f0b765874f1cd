//! Registration: `PASS`, `NICK`, `USER` (with `CAP` holding it back, see `cap.rs`), and
//! the nick changes of a registered client.

use confab_core::{HubError, Name};
use confab_proto::irc::{Message, Numeric};
use confab_proto::Protocol;

use super::super::settings::USER_LEN;
use super::super::{login, welcome, IrcAdapter};
use crate::adapter::{Context, Flow};

/// `PASS <password>`: remembered until registration completes, then checked.
pub fn pass(me: &mut IrcAdapter, _cx: &Context<'_>, m: &Message<'_>) -> Flow {
    if me.registered() {
        me.out.num(Numeric::ERR_ALREADYREGISTERED, &[]);
    } else {
        me.pending().pass = Some(m.params[0].to_string());
    }
    Flow::Continue
}

/// `NICK <nick>`: before registration the nick waits for USER (taken only then, so an
/// unregistered client holds no name); after it, a change the client's channels hear.
pub fn nick(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let wanted = m.param(0).unwrap_or("");
    if wanted.is_empty() {
        me.out.num(Numeric::ERR_NONICKNAMEGIVEN, &[]);
        return Flow::Continue;
    }
    let Ok(name) = Name::parse(wanted, me.settings.nick_max) else {
        me.out.num(Numeric::ERR_ERRONEUSNICKNAME, &[wanted]);
        return Flow::Continue;
    };
    let Some(old) = me.nick.clone() else {
        if cx.hub.lookup(wanted).is_some() {
            me.out.num(Numeric::ERR_NICKNAMEINUSE, &[wanted]);
            me.pending().refused_nick = Some(name);
            return Flow::Continue;
        }
        me.pending().nick = Some(name);
        return try_register(me, cx);
    };
    let old_mask = me.mask();
    match cx.hub.take_name(cx.session, name) {
        // The very same nick, case and all, changes nothing and is not echoed.
        Ok(new) if new.as_str() == old.as_str() => {}
        Ok(new) => {
            cx.log_named(Protocol::Irc, &new);
            me.out.line(&old_mask, "NICK", &[new.as_str()]);
            me.out.client = new.to_string();
            me.nick = Some(new);
        }
        // A registered account's nick is in use as far as others are concerned.
        Err(HubError::NameTaken(_) | HubError::NameReserved(_)) => {
            me.out.num(Numeric::ERR_NICKNAMEINUSE, &[wanted])
        }
        Err(HubError::ServerBanned(reason)) => return banned(me, &reason),
        Err(_) => me.out.num(Numeric::ERR_ERRONEUSNICKNAME, &[wanted]),
    }
    Flow::Continue
}

/// A server-wide ban matches the nick the client asked for: `465` with the reason, and
/// the connection closes.
fn banned(me: &mut IrcAdapter, reason: &str) -> Flow {
    let text = format!("You are banned from this server: {reason}");
    me.out.num_text(Numeric::ERR_YOUREBANNEDCREEP, &[], &text);
    me.out.error(&format!("Closing link: banned ({reason})"));
    Flow::Close
}

/// `USER <username> <mode> <unused> :<realname>`: neither may be empty (Modern IRC).
pub fn user(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    if me.registered() {
        me.out.num(Numeric::ERR_ALREADYREGISTERED, &[]);
        return Flow::Continue;
    }
    let (username, realname) = (m.params[0], m.params[3]);
    if username.is_empty() || realname.is_empty() {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["USER"]);
        return Flow::Continue;
    }
    me.pending().user = Some((clean_username(username), realname.to_string()));
    try_register(me, cx)
}

/// Keeps the user name one plain word for `nick!user@host`: ASCII letters, digits and
/// `-_.`, at most `USERLEN`; anything else left nothing, so `u` stands in.
fn clean_username(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(USER_LEN)
        .collect();
    if kept.is_empty() {
        "u".into()
    } else {
        kept
    }
}

/// Completes registration once NICK and USER are in and no CAP negotiation is open:
/// checks the server password, takes the nick in the hub and sends the welcome burst.
pub fn try_register(me: &mut IrcAdapter, cx: &Context<'_>) -> Flow {
    if me.registered() || me.cap_negotiating {
        return Flow::Continue;
    }
    let pending = me.pending();
    let (Some(nick), Some((username, realname))) = (pending.nick.clone(), pending.user.clone())
    else {
        return Flow::Continue;
    };
    let pass = pending.pass.clone();
    if let Some(expected) = &me.settings.answers().password {
        if pass.as_deref() != Some(expected.as_str()) {
            me.out.num(Numeric::ERR_PASSWDMISMATCH, &[]);
            me.out.error("Closing link: bad password");
            return Flow::Close;
        }
    }
    let name = match cx.hub.take_name(cx.session, nick.clone()) {
        Ok(name) => name,
        // Someone took it since NICK: the client picks another and registers then.
        Err(HubError::NameTaken(_) | HubError::NameReserved(_)) => {
            me.out.num(Numeric::ERR_NICKNAMEINUSE, &[nick.as_str()]);
            me.pending().nick = None;
            return Flow::Continue;
        }
        Err(HubError::ServerBanned(reason)) => return banned(me, &reason),
        Err(_) => {
            me.out.num(Numeric::ERR_ERRONEUSNICKNAME, &[nick.as_str()]);
            me.pending().nick = None;
            return Flow::Continue;
        }
    };
    // The hub and this adapter share the two strings.
    me.user = username.into();
    me.realname = realname.into();
    let _ = cx
        .hub
        .set_profile(cx.session, me.user.clone(), me.realname.clone());
    cx.log_named(Protocol::Irc, &name);
    me.out.client = name.to_string();
    me.nick = Some(name);
    me.pending = None;
    welcome::welcome(me, cx);
    // The welcome goes out first; what waited for the account follows it.
    login::play_waiting_after_registration(me, cx);
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_stay_one_plain_word() {
        assert_eq!(clean_username("myusernam"), "myusernam");
        assert_eq!(clean_username("a b@c!d"), "abcd");
        assert_eq!(clean_username("😊😊"), "u");
        assert_eq!(clean_username(&"x".repeat(40)).len(), USER_LEN);
    }
}

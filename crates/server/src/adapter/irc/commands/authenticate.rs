//! `AUTHENTICATE <mechanism>`, then `AUTHENTICATE <base64>` in chunks of 400 bytes (a
//! shorter chunk, or `+` after a full one, ends it; `*` aborts; a chunk over 400 bytes
//! is `905`, more than 8 KiB in all `904`): IRCv3 SASL 3.1, with
//! the PLAIN mechanism only. Allowed before and after registration; the password is
//! checked off the connection's task (`login.rs`), which answers `900`/`903` or `904`.

use base64ct::{Base64, Encoding};
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::login::{self, Asker, Via};
use super::super::IrcAdapter;
use crate::adapter::{Context, Flow};

/// One chunk's length; a chunk this long means more follow.
const CHUNK: usize = 400;
/// The most a whole exchange may carry, base64 as sent.
const SASL_MAX: usize = 8192;

pub fn authenticate(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let arg = m.params[0];
    let exchange = me.pending.as_mut().and_then(|p| p.sasl.take());
    if arg == "*" {
        me.out.num(Numeric::ERR_SASLABORTED, &[]);
    } else if !me.caps.has(Cap::Sasl) || cx.history().is_none() {
        me.out.num(Numeric::ERR_SASLFAIL, &[]);
    } else if cx.hub.account_of(cx.session).is_some() {
        me.out.num(Numeric::ERR_SASLALREADY, &[]);
    } else {
        match exchange {
            None => start(me, arg),
            Some(so_far) => go_on(me, cx, so_far, arg),
        }
    }
    forget_if_done(me);
    Flow::Continue
}

/// `AUTHENTICATE PLAIN`: `AUTHENTICATE +` asks for the credentials.
fn start(me: &mut IrcAdapter, mechanism: &str) {
    if mechanism.eq_ignore_ascii_case("PLAIN") {
        me.pending().sasl = Some(String::new());
        me.out.bare("AUTHENTICATE", &["+"]);
    } else {
        me.out.num(Numeric::RPL_SASLMECHS, &["PLAIN"]);
        me.out.num(Numeric::ERR_SASLFAIL, &[]);
    }
}

/// One more chunk: kept while full ones come, checked when the last is in.
fn go_on(me: &mut IrcAdapter, cx: &Context<'_>, mut so_far: String, chunk: &str) {
    if chunk.len() > CHUNK {
        me.out.num(Numeric::ERR_SASLTOOLONG, &[]);
        return;
    }
    if chunk != "+" {
        so_far.push_str(chunk);
    }
    if so_far.len() > SASL_MAX {
        // 905 is for one line over 400 bytes; too many of them fail the exchange
        // (as ergo answers, and irctest expects).
        me.out.num(Numeric::ERR_SASLFAIL, &[]);
        return;
    }
    if chunk.len() == CHUNK {
        me.pending().sasl = Some(so_far);
        return;
    }
    match plain(&so_far) {
        Some((account, password)) => {
            login::log_in(Asker::new(me, cx), Via::Sasl, account, password);
        }
        None => me.out.num(Numeric::ERR_SASLFAIL, &[]),
    }
}

/// PLAIN's `authzid NUL authcid NUL password`: the account and password, when the
/// authorisation identity is empty or the same account.
fn plain(base64: &str) -> Option<(String, String)> {
    let bytes = Base64::decode_vec(base64).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split('\0');
    let (authzid, authcid, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || authcid.is_empty() {
        return None;
    }
    if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(authcid) {
        return None;
    }
    Some((authcid.to_string(), password.to_string()))
}

/// A registered connection keeps no pending state once an exchange is over.
fn forget_if_done(me: &mut IrcAdapter) {
    if me.registered() && me.pending.as_ref().is_some_and(|p| p.sasl.is_none()) {
        me.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_takes_an_empty_or_equal_authzid() {
        let enc = |s: &str| Base64::encode_string(s.as_bytes());
        assert_eq!(
            plain(&enc("\0amy\0sesame")),
            Some(("amy".into(), "sesame".into()))
        );
        assert_eq!(
            plain(&enc("AMY\0amy\0se same")),
            Some(("amy".into(), "se same".into()))
        );
        assert_eq!(plain(&enc("bob\0amy\0sesame")), None);
        assert_eq!(plain(&enc("amy\0sesame")), None);
        assert_eq!(plain("not base64!"), None);
    }
}

//! `CHATHISTORY` (IRCv3 `draft/chathistory`): the command's syntax and who may read what.
//!
//! ```text
//! CHATHISTORY LATEST <target> <* | msgid=<id> | timestamp=<time>> <limit>
//! CHATHISTORY BEFORE|AFTER|AROUND <target> <msgid=<id> | timestamp=<time>> <limit>
//! CHATHISTORY BETWEEN <target> <ref> <ref> <limit>
//! CHATHISTORY TARGETS <timestamp=<time>> <timestamp=<time>> <limit>
//! ```
//!
//! Times are `YYYY-MM-DDThh:mm:ss.sssZ`; bounds are exclusive (AROUND includes its own
//! message); a limit above `CHATHISTORY_MAX` gets that many. A channel's history is read
//! only by a current member of it, a direct conversation only between the requester's
//! current nick and the target nick. `history_batch.rs` reads the store off the async
//! threads and plays the answer back.

use confab_core::name::ROOM_NAME_MAX;
use confab_core::{MsgId, Name};
use confab_proto::irc::Message;
use confab_store::{Bound, Conversation};

use super::super::settings::CHATHISTORY_MAX;
use super::super::IrcAdapter;
use super::history_batch::{self, Job, Read};
use super::room_of;
use crate::adapter::{Context, Flow};
use crate::history::record::{direct_conversation, key, party_key, room_conversation};

/// What to read from one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// The newest messages, only those after the bound if there is one.
    Latest(Option<Bound>),
    Before(Bound),
    After(Bound),
    Around(Bound),
    Between(Bound, Bound),
}

/// A well-formed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    History {
        target: &'a str,
        query: Query,
        limit: usize,
    },
    /// Conversations with messages between two times (unix milliseconds).
    Targets { from: i64, to: i64, limit: usize },
}

/// Why a request is refused before any target is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed<'a> {
    /// `FAIL CHATHISTORY NEED_MORE_PARAMS <subcommand>`.
    NeedMoreParams,
    /// `FAIL CHATHISTORY INVALID_PARAMS <subcommand> :Unknown subcommand`.
    UnknownSubcommand,
    /// `FAIL CHATHISTORY INVALID_PARAMS <subcommand> <param> :<why>`.
    Invalid(&'a str, &'static str),
}

/// Answers a malformed or refused request at once with its FAIL; reads the others off the
/// async threads (`history_batch::spawn`).
pub fn chathistory(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let sub = m.param(0).map_or("*".to_string(), str::to_ascii_uppercase);
    let sub = sub.as_str();
    let Some(history) = cx.history() else {
        return fail(me, &["MESSAGE_ERROR", sub, "History is off on this server"]);
    };
    let read = match parse(&m.params) {
        Err(Malformed::NeedMoreParams) => {
            return fail(me, &["NEED_MORE_PARAMS", sub, "Missing parameters"])
        }
        Err(Malformed::UnknownSubcommand) => {
            return fail(me, &["INVALID_PARAMS", sub, "Unknown subcommand"])
        }
        Err(Malformed::Invalid(param, why)) => {
            return fail(me, &["INVALID_PARAMS", sub, param, why])
        }
        Ok(Request::Targets { from, to, limit }) => targets(me, cx, from, to, limit),
        Ok(Request::History {
            target,
            query,
            limit,
        }) => match conversation(me, cx, target) {
            Some(conversation) => Read::History {
                conversation,
                query,
                limit,
            },
            None => {
                let why = "Messages could not be retrieved";
                return fail(me, &["INVALID_TARGET", sub, target, why]);
            }
        },
    };
    let target = m.param(1).filter(|_| sub != "TARGETS").unwrap_or("");
    let job = Job::new(me, history.reader().clone(), sub, target, read);
    history_batch::spawn(me, cx, job);
    Flow::Continue
}

/// `FAIL CHATHISTORY <code> <params...> :<text>`.
fn fail(me: &mut IrcAdapter, rest: &[&str]) -> Flow {
    let mut params = vec!["CHATHISTORY"];
    params.extend_from_slice(rest);
    me.out.server_line("FAIL", &params);
    Flow::Continue
}

/// The conversation `target` names, if the client may read it: a channel it is in now,
/// or the direct conversation between the client and the party behind a nick (each side
/// its account when logged in, else its nick: [`party_key`]).
fn conversation(me: &IrcAdapter, cx: &Context<'_>, target: &str) -> Option<Conversation> {
    let nick = me.nick.as_ref()?;
    if target.starts_with('#') {
        let room = room_of(target)?;
        if !cx.hub.is_member(cx.session, room) {
            return None;
        }
        return Some(room_conversation(&Name::parse(room, ROOM_NAME_MAX).ok()?));
    }
    let other = Name::parse(target, me.settings.nick_max).ok()?;
    let other_account = cx.hub.account_behind(other.as_str());
    Some(direct_conversation(
        party_key(nick, cx.hub.account_of(cx.session).as_ref()),
        party_key(&other, other_account.as_ref()),
    ))
}

/// TARGETS looks through the channels the client is in now and its own direct
/// conversations.
fn targets(me: &IrcAdapter, cx: &Context<'_>, from: i64, to: i64, limit: usize) -> Read {
    let rooms = cx
        .hub
        .rooms_of(cx.session)
        .iter()
        .map(|room| (key(room), format!("#{room}")))
        .collect();
    let account = cx.hub.account_of(cx.session);
    let party = me
        .nick
        .as_ref()
        .map_or(String::new(), |nick| party_key(nick, account.as_ref()));
    Read::Targets {
        party,
        rooms,
        from,
        to,
        limit,
    }
}

/// Parses CHATHISTORY's parameters (the subcommand first).
pub fn parse<'a>(params: &[&'a str]) -> Result<Request<'a>, Malformed<'a>> {
    let Some(sub) = params.first() else {
        return Err(Malformed::NeedMoreParams);
    };
    let sub = sub.to_ascii_uppercase();
    let wanted = match sub.as_str() {
        "LATEST" | "BEFORE" | "AFTER" | "AROUND" | "TARGETS" => 4,
        "BETWEEN" => 5,
        _ => return Err(Malformed::UnknownSubcommand),
    };
    if params.len() < wanted {
        return Err(Malformed::NeedMoreParams);
    }
    if params.len() > wanted {
        return Err(Malformed::Invalid(params[wanted], "Too many parameters"));
    }
    let limit = limit(params[wanted - 1])?;
    if sub == "TARGETS" {
        let from = timestamp_ref(params[1])?;
        let to = timestamp_ref(params[2])?;
        return Ok(Request::Targets { from, to, limit });
    }
    let (target, at) = (params[1], params[2]);
    let query = match sub.as_str() {
        "LATEST" if at == "*" => Query::Latest(None),
        "LATEST" => Query::Latest(Some(reference(at)?)),
        "BEFORE" => Query::Before(reference(at)?),
        "AFTER" => Query::After(reference(at)?),
        "AROUND" => Query::Around(reference(at)?),
        _ => Query::Between(reference(at)?, reference(params[3])?),
    };
    Ok(Request::History {
        target,
        query,
        limit,
    })
}

/// A positive count; more than the most one request returns gets that most.
fn limit(param: &str) -> Result<usize, Malformed<'_>> {
    let invalid = Malformed::Invalid(param, "The limit must be a positive number");
    if param.is_empty() || !param.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid);
    }
    match param.parse::<usize>() {
        Ok(0) => Err(invalid),
        Ok(n) => Ok(n.min(CHATHISTORY_MAX)),
        // Only digits, yet too big for a number: far past the most anyway.
        Err(_) => Ok(CHATHISTORY_MAX),
    }
}

/// `msgid=<id>` or `timestamp=<time>` (the key in any case).
fn reference(param: &str) -> Result<Bound, Malformed<'_>> {
    let invalid = Malformed::Invalid(param, "Invalid message reference");
    let (kind, value) = param.split_once('=').ok_or(invalid.clone())?;
    if kind.eq_ignore_ascii_case("msgid") {
        let id: MsgId = value.parse().map_err(|_| invalid)?;
        Ok(Bound::MsgId(id.to_bytes()))
    } else if kind.eq_ignore_ascii_case("timestamp") {
        timestamp(value).map(Bound::Time).ok_or(invalid)
    } else {
        Err(invalid)
    }
}

/// TARGETS takes only `timestamp=<time>`.
fn timestamp_ref(param: &str) -> Result<i64, Malformed<'_>> {
    match reference(param) {
        Ok(Bound::Time(ms)) => Ok(ms),
        _ => Err(Malformed::Invalid(
            param,
            "TARGETS takes timestamp= references",
        )),
    }
}

/// `YYYY-MM-DDThh:mm:ss.sssZ` (exactly that form, UTC) as unix milliseconds.
pub fn timestamp(text: &str) -> Option<i64> {
    const FORM: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year repr:full sign:automatic]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let at = time::PrimitiveDateTime::parse(text, FORM)
        .ok()?
        .assume_utc();
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "01HF7YAT3V003G00000000001A";

    fn id() -> Bound {
        Bound::MsgId(ID.parse::<MsgId>().unwrap().to_bytes())
    }

    fn history(target: &str, query: Query, limit: usize) -> Request<'_> {
        Request::History {
            target,
            query,
            limit,
        }
    }

    #[test]
    fn timestamps_are_utc_milliseconds() {
        assert_eq!(timestamp("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(
            timestamp("2024-02-29T12:00:00.123Z"),
            Some(1_709_208_000_123)
        );
        assert_eq!(timestamp("2000-02-29T00:00:00.000Z"), Some(951_782_400_000));
        assert_eq!(timestamp("1969-12-31T23:59:59.999Z"), Some(-1));
        for bad in [
            "2023-02-29T00:00:00.000Z",
            "2024-13-01T00:00:00.000Z",
            "2024-01-01T24:00:00.000Z",
            "2024-01-01T00:00:00Z",
            "2024-01-01 00:00:00.000Z",
            "2024-01-01T00:00:00.000",
            "+024-01-01T00:00:00.000Z",
            "",
        ] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_subcommand_parses_in_any_case() {
        let at = "timestamp=2024-02-29T12:00:00.123Z";
        let time = Bound::Time(1_709_208_000_123);
        let msgid = format!("msgid={ID}");
        assert_eq!(
            parse(&["latest", "#a", "*", "10"]),
            Ok(history("#a", Query::Latest(None), 10))
        );
        assert_eq!(
            parse(&["LATEST", "bob", &msgid, "5"]),
            Ok(history("bob", Query::Latest(Some(id())), 5))
        );
        assert_eq!(
            parse(&["Before", "#a", at, "1"]),
            Ok(history("#a", Query::Before(time), 1))
        );
        assert_eq!(
            parse(&["AFTER", "#a", &msgid.to_lowercase(), "2"]),
            Ok(history("#a", Query::After(id()), 2))
        );
        assert_eq!(
            parse(&["AROUND", "#a", "TIMESTAMP=2024-02-29T12:00:00.123Z", "3"]),
            Ok(history("#a", Query::Around(time), 3))
        );
        assert_eq!(
            parse(&["BETWEEN", "#a", &msgid, at, "4"]),
            Ok(history("#a", Query::Between(id(), time), 4))
        );
        assert_eq!(
            parse(&["TARGETS", "timestamp=1970-01-01T00:00:00.000Z", at, "7"]),
            Ok(Request::Targets {
                from: 0,
                to: 1_709_208_000_123,
                limit: 7
            })
        );
    }

    #[test]
    fn limits_are_positive_and_clamped() {
        let latest = |n: &'static str| parse(&["LATEST", "#a", "*", n]);
        assert_eq!(latest("100"), Ok(history("#a", Query::Latest(None), 100)));
        assert_eq!(latest("101"), Ok(history("#a", Query::Latest(None), 100)));
        let huge = "99999999999999999999999999";
        assert_eq!(latest(huge), Ok(history("#a", Query::Latest(None), 100)));
        for bad in ["0", "-1", "ten", "", "+5"] {
            let why = "The limit must be a positive number";
            assert_eq!(latest(bad), Err(Malformed::Invalid(bad, why)), "{bad}");
        }
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        use Malformed::*;
        let bad_ref = "Invalid message reference";
        assert_eq!(parse(&[]), Err(NeedMoreParams));
        assert_eq!(parse(&["LATEST", "#a", "*"]), Err(NeedMoreParams));
        assert_eq!(parse(&["BETWEEN", "#a", "*", "1"]), Err(NeedMoreParams));
        assert_eq!(parse(&["FOO", "#a", "*", "1"]), Err(UnknownSubcommand));
        assert_eq!(
            parse(&["LATEST", "#a", "*", "1", "x"]),
            Err(Invalid("x", "Too many parameters"))
        );
        assert_eq!(
            parse(&["BEFORE", "#a", "*", "1"]),
            Err(Invalid("*", bad_ref))
        );
        assert_eq!(
            parse(&["AFTER", "#a", "msgid=nope", "1"]),
            Err(Invalid("msgid=nope", bad_ref))
        );
        assert_eq!(
            parse(&["AROUND", "#a", "time=2024-02-29T12:00:00.123Z", "1"]),
            Err(Invalid("time=2024-02-29T12:00:00.123Z", bad_ref))
        );
        assert_eq!(
            parse(&["LATEST", "#a", "timestamp=yesterday", "1"]),
            Err(Invalid("timestamp=yesterday", bad_ref))
        );
        let msgid = format!("msgid={ID}");
        assert_eq!(
            parse(&["TARGETS", &msgid, "timestamp=1970-01-01T00:00:00.000Z", "1"]),
            Err(Invalid(&msgid, "TARGETS takes timestamp= references"))
        );
    }
}

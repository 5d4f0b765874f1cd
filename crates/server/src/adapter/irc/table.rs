//! The command table (ergo's shape): each command's name, the parameters it needs and
//! whether it may come before registration, checked here in one place so the handlers
//! in `commands/` only ever see well-formed calls.

use confab_proto::irc::{Message, Numeric};

use super::commands as c;
use super::IrcAdapter;
use crate::adapter::{Context, Flow};

pub type Handler = fn(&mut IrcAdapter, &Context<'_>, &Message<'_>) -> Flow;

pub struct Command {
    pub name: &'static str,
    /// Fewer parameters are answered with `461 ERR_NEEDMOREPARAMS`.
    pub min_params: usize,
    /// Commands allowed before registration; the rest get `451 ERR_NOTREGISTERED`.
    pub before_registration: bool,
    pub run: Handler,
}

const fn cmd(name: &'static str, min_params: usize, run: Handler) -> Command {
    Command {
        name,
        min_params,
        before_registration: false,
        run,
    }
}

const fn early(name: &'static str, min_params: usize, run: Handler) -> Command {
    Command {
        name,
        min_params,
        before_registration: true,
        run,
    }
}

/// Every command confab answers. Commands whose missing parameter has its own numeric
/// (NICK's 431, PRIVMSG's 411 and 412), or that mean something else without one (INVITE
/// lists one's invitations), take 0 here and say so themselves.
pub const COMMANDS: &[Command] = &[
    early("CAP", 1, c::cap::cap),
    early("PASS", 1, c::register::pass),
    early("NICK", 0, c::register::nick),
    early("USER", 4, c::register::user),
    early("PING", 1, c::ping::ping),
    early("PONG", 0, c::ping::pong),
    early("QUIT", 0, c::quit::quit),
    early("AUTHENTICATE", 1, c::authenticate::authenticate),
    early("REGISTER", 3, c::account::register),
    early("VERIFY", 2, c::account::verify),
    cmd("NS", 0, c::nickserv::command),
    cmd("NICKSERV", 0, c::nickserv::command),
    cmd("JOIN", 1, c::join::join),
    cmd("PART", 1, c::part::part),
    cmd("PRIVMSG", 0, c::message::privmsg),
    cmd("NOTICE", 0, c::message::notice),
    cmd("TAGMSG", 0, c::message::tagmsg),
    cmd("BATCH", 1, c::batch::batch),
    cmd("NAMES", 0, c::names::names),
    cmd("WHO", 0, c::who::who),
    cmd("WHOIS", 1, c::whois::whois),
    cmd("USERHOST", 1, c::whois::userhost),
    cmd("WHOWAS", 0, c::whowas::whowas),
    cmd("LIST", 0, c::list::list),
    cmd("TOPIC", 1, c::topic::topic),
    cmd("MODE", 1, c::mode::mode),
    cmd("KICK", 2, c::kick::kick),
    cmd("RENAME", 2, c::rename::rename),
    cmd("KILL", 1, c::kill::kill),
    cmd("KLINE", 1, c::kline::kline),
    cmd("UNKLINE", 1, c::kline::unkline),
    cmd("DLINE", 1, c::kline::dline),
    cmd("UNDLINE", 1, c::kline::undline),
    cmd("STATS", 1, c::kline::stats),
    cmd("INVITE", 0, c::invite::invite),
    cmd("AWAY", 0, c::away::away),
    cmd("SETNAME", 1, c::setname::setname),
    early("METADATA", 2, c::metadata::metadata),
    cmd("MARKREAD", 0, c::markread::markread),
    cmd("REDACT", 2, c::redact::redact),
    cmd("MONITOR", 1, c::monitor::monitor),
    cmd("OPER", 2, c::oper::oper),
    cmd("WALLOPS", 1, c::oper::wallops),
    cmd("LUSERS", 0, c::info::lusers),
    cmd("MOTD", 0, c::info::motd),
    cmd("TIME", 0, c::info::time),
    cmd("INFO", 0, c::info::info),
    cmd("LINKS", 0, c::info::links),
    cmd("HELP", 0, c::info::help),
    cmd("HELPOP", 0, c::info::help),
    // Its parameters depend on the subcommand: it answers FAIL NEED_MORE_PARAMS itself.
    cmd("CHATHISTORY", 0, c::chathistory::chathistory),
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// Checks the command's rules, then runs its handler.
pub fn dispatch(me: &mut IrcAdapter, cx: &Context<'_>, message: &Message<'_>) -> Flow {
    let Some(command) = find(message.command) else {
        let name = message.command_upper();
        me.out.num(Numeric::ERR_UNKNOWNCOMMAND, &[&name]);
        return Flow::Continue;
    };
    if !command.before_registration && !me.registered() {
        me.out.num(Numeric::ERR_NOTREGISTERED, &[]);
        return Flow::Continue;
    }
    if message.params.len() < command.min_params {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &[command.name]);
        return Flow::Continue;
    }
    (command.run)(me, cx, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_upper_case_and_found_in_any_case() {
        for (i, a) in COMMANDS.iter().enumerate() {
            assert_eq!(a.name, a.name.to_ascii_uppercase());
            assert!(COMMANDS[i + 1..].iter().all(|b| b.name != a.name));
        }
        assert_eq!(find("privmsg").map(|c| c.name), Some("PRIVMSG"));
        assert!(find("FOO").is_none());
        let early: Vec<&str> = COMMANDS
            .iter()
            .filter(|c| c.before_registration)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            early,
            [
                "CAP",
                "PASS",
                "NICK",
                "USER",
                "PING",
                "PONG",
                "QUIT",
                "AUTHENTICATE",
                "REGISTER",
                "VERIFY",
                "METADATA"
            ]
        );
    }
}

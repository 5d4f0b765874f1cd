//! `LUSERS`, `MOTD`, `TIME`, `INFO`, `LINKS` and `HELP`: the server describing itself
//! on request.

use std::time::SystemTime;

use confab_proto::irc::{Message, Numeric};

use super::super::out::{iso8601, unix_secs};
use super::super::{help, welcome, IrcAdapter};
use crate::adapter::{Context, Flow};

pub fn lusers(me: &mut IrcAdapter, cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    welcome::lusers(&mut me.out, cx.hub);
    Flow::Continue
}

pub fn motd(me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    let settings = me.settings.clone();
    welcome::motd(&mut me.out, &settings);
    Flow::Continue
}

/// `391 RPL_TIME <server> <unix time> :<readable time>`.
pub fn time(me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    let now = SystemTime::now();
    let server = me.settings.server.clone();
    me.out.num(
        Numeric::RPL_TIME,
        &[&server, &unix_secs(now), &iso8601(now)],
    );
    Flow::Continue
}

/// `INFO`: a few `371` lines about this server, then `374`.
pub fn info(me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    let version = format!("confab {}", env!("CARGO_PKG_VERSION"));
    for line in [
        version.as_str(),
        "One chat for every protocol: IRC, the web page, and the classroom protocols",
        "(prefixed, packet, rooms, broadcast), sharing names, rooms and history.",
    ] {
        me.out.num_text(Numeric::RPL_INFO, &[], line);
    }
    me.out.num(Numeric::RPL_ENDOFINFO, &[]);
    Flow::Continue
}

/// `LINKS`: this server alone (`364 <server> <server> :0 <description>`), then `365`.
pub fn links(me: &mut IrcAdapter, _cx: &Context<'_>, _m: &Message<'_>) -> Flow {
    let server = me.settings.server.clone();
    let info = format!("0 {}", me.settings.answers().description);
    me.out
        .num_text(Numeric::RPL_LINKS, &[&server, &server], &info);
    me.out.num(Numeric::RPL_ENDOFLINKS, &["*"]);
    Flow::Continue
}

/// `HELP [<command>]` and `HELPOP`: `704`, `705`…, `706` with the subject; `524` for a
/// subject with no help. Without one, the list of commands.
pub fn help(me: &mut IrcAdapter, _cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let subject = m.param(0).filter(|s| !s.is_empty());
    let (subject, lines): (String, Vec<String>) = match subject {
        None => {
            let names: Vec<&str> = help::HELP.iter().map(|(name, _)| *name).collect();
            let mut lines = vec!["confab's commands; HELP <command> for one:".to_string()];
            lines.extend(names.chunks(10).map(|chunk| chunk.join(" ")));
            ("index".into(), lines)
        }
        Some(subject) => match help::help_of(subject) {
            Some(lines) => (
                subject.to_ascii_uppercase(),
                lines.iter().map(|l| l.to_string()).collect(),
            ),
            None => {
                me.out.num(Numeric::ERR_HELPNOTFOUND, &[subject]);
                return Flow::Continue;
            }
        },
    };
    let (first, rest) = lines.split_first().expect("help has a first line");
    me.out.num_text(Numeric::RPL_HELPSTART, &[&subject], first);
    for line in rest {
        me.out.num_text(Numeric::RPL_HELPTXT, &[&subject], line);
    }
    me.out.num(Numeric::RPL_ENDOFHELP, &[&subject]);
    Flow::Continue
}

//! The text of `HELP` for every command of the table (`table.rs`): the syntax line and
//! what it does, in a few words. A test keeps the two lists the same.

/// `(command, lines)`: the first line is the syntax.
pub const HELP: &[(&str, &[&str])] = &[
    (
        "CAP",
        &[
            "CAP LS [302] | REQ :<caps> | END",
            "Negotiates IRCv3 capabilities.",
        ],
    ),
    (
        "PASS",
        &[
            "PASS <password>",
            "The server password, before NICK and USER.",
        ],
    ),
    (
        "NICK",
        &["NICK <nick>", "Chooses or changes your nickname."],
    ),
    (
        "USER",
        &["USER <user> 0 * :<real name>", "Completes registration."],
    ),
    (
        "PING",
        &["PING <token>", "The server answers PONG <token>."],
    ),
    ("PONG", &["PONG <token>", "Answers the server's PING."]),
    ("QUIT", &["QUIT [:<reason>]", "Leaves the server."]),
    (
        "AUTHENTICATE",
        &[
            "AUTHENTICATE PLAIN | <base64>",
            "SASL PLAIN login (cap sasl).",
        ],
    ),
    (
        "REGISTER",
        &["REGISTER <account> * <password>", "Registers an account."],
    ),
    (
        "VERIFY",
        &["VERIFY <account> <code>", "No verification is needed here."],
    ),
    (
        "NS",
        &[
            "NS REGISTER <password> | IDENTIFY [account] <password>",
            "NickServ.",
        ],
    ),
    (
        "NICKSERV",
        &[
            "NICKSERV REGISTER <password> | IDENTIFY [account] <password>",
            "NickServ.",
        ],
    ),
    (
        "JOIN",
        &["JOIN <#room>[,<#room>] [<key>]", "Joins or creates rooms."],
    ),
    (
        "PART",
        &["PART <#room>[,<#room>] [:<reason>]", "Leaves rooms."],
    ),
    (
        "PRIVMSG",
        &["PRIVMSG <#room|nick>[,...] :<text>", "Sends a message."],
    ),
    (
        "NOTICE",
        &[
            "NOTICE <#room|nick>[,...] :<text>",
            "Sends a notice (never answered).",
        ],
    ),
    (
        "TAGMSG",
        &["@+tag TAGMSG <#room|nick>", "Sends client tags only."],
    ),
    (
        "BATCH",
        &[
            "BATCH +<ref> draft/multiline <#room|nick>, lines, BATCH -<ref>",
            "Sends several lines as one message.",
        ],
    ),
    ("NAMES", &["NAMES [<#room>]", "Lists a room's members."]),
    ("WHO", &["WHO <#room|mask> [%fields]", "Lists users."]),
    ("WHOIS", &["WHOIS <nick>", "Tells about a user."]),
    (
        "USERHOST",
        &["USERHOST <nick> [<nick>...]", "Nicks with their user@host."],
    ),
    (
        "WHOWAS",
        &[
            "WHOWAS <nick|mask> [<count>]",
            "Who had a name, newest first.",
        ],
    ),
    (
        "LIST",
        &[
            "LIST [<#room>[,...]]",
            "Lists rooms with member counts and topics.",
        ],
    ),
    (
        "TOPIC",
        &["TOPIC <#room> [:<topic>]", "Shows or sets a room's topic."],
    ),
    (
        "MODE",
        &[
            "MODE <#room|nick> [<modes> [<args>]]",
            "Shows or changes modes.",
        ],
    ),
    (
        "KICK",
        &[
            "KICK <#room> <nick> [:<reason>]",
            "Puts a member out (operators).",
        ],
    ),
    (
        "RENAME",
        &[
            "RENAME <#room> <#new> [:<reason>]",
            "Renames a channel you run (cap draft/channel-rename).",
        ],
    ),
    (
        "KILL",
        &[
            "KILL <nick> [:<reason>]",
            "Disconnects a user (server operators).",
        ],
    ),
    (
        "KLINE",
        &[
            "KLINE [minutes] <mask> [:<reason>]",
            "Bans server-wide (server operators).",
        ],
    ),
    ("UNKLINE", &["UNKLINE <mask>", "Lifts a KLINE."]),
    (
        "DLINE",
        &[
            "DLINE [minutes] <address> [:<reason>]",
            "Bans an address (server operators).",
        ],
    ),
    ("UNDLINE", &["UNDLINE <address>", "Lifts a DLINE."]),
    (
        "STATS",
        &["STATS K | D", "Lists server-wide bans (server operators)."],
    ),
    (
        "INVITE",
        &["INVITE <nick> <#room>", "Invites a user into a room."],
    ),
    (
        "AWAY",
        &[
            "AWAY [:<message>]",
            "Marks you away, or back without a message.",
        ],
    ),
    (
        "SETNAME",
        &[
            "SETNAME :<real name>",
            "Changes your real name (cap setname).",
        ],
    ),
    (
        "METADATA",
        &[
            "METADATA <*|nick|#room> GET keys | LIST | SET key [:value] | CLEAR | SYNC",
            "METADATA * SUB keys | UNSUB keys | SUBS",
            "Reads and sets metadata (cap draft/metadata-3).",
        ],
    ),
    (
        "MARKREAD",
        &[
            "MARKREAD <target> [timestamp=<time>]",
            "Asks or moves how far you have read a channel or nick (cap draft/read-marker).",
        ],
    ),
    (
        "REDACT",
        &[
            "REDACT <target> <msgid> [:<reason>]",
            "Takes back a message (cap draft/message-redaction).",
        ],
    ),
    (
        "MONITOR",
        &[
            "MONITOR + nicks | - nicks | C | L | S",
            "Tells you when nicks come and go.",
        ],
    ),
    (
        "OPER",
        &["OPER <name> <password>", "Server operator status."],
    ),
    (
        "WALLOPS",
        &[
            "WALLOPS :<text>",
            "To every server operator (server operators).",
        ],
    ),
    ("LUSERS", &["LUSERS", "Counts users, rooms and operators."]),
    ("MOTD", &["MOTD", "The message of the day."]),
    ("TIME", &["TIME", "The server's time."]),
    ("INFO", &["INFO", "About this server."]),
    (
        "LINKS",
        &["LINKS", "The servers of the network (this one)."],
    ),
    ("HELP", &["HELP [<command>]", "This help."]),
    ("HELPOP", &["HELPOP [<command>]", "This help."]),
    (
        "CHATHISTORY",
        &[
            "CHATHISTORY LATEST|BEFORE|AFTER|AROUND|BETWEEN|TARGETS ...",
            "Reads history.",
        ],
    ),
];

/// The help of `subject` (any case).
pub fn help_of(subject: &str) -> Option<&'static [&'static str]> {
    HELP.iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(subject))
        .map(|(_, lines)| *lines)
}

#[cfg(test)]
mod tests {
    use super::super::table::COMMANDS;
    use super::HELP;

    #[test]
    fn every_command_has_help_and_every_help_a_command() {
        let commands: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        let helped: Vec<&str> = HELP.iter().map(|(name, _)| *name).collect();
        assert_eq!(commands, helped);
    }
}

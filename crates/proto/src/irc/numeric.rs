//! Every numeric reply confab sends, in ONE table: code, name and the default trailing
//! text of Modern IRC (modern.ircdocs.horse) or the IRCv3 spec that defines it. Adding a
//! numeric is one line here; the enum, `code`, `name`, `default_text` and `from_code` are
//! all generated from it.

use super::message::{put_head, put_params};
use super::MAX_LINE;
use bytes::BytesMut;

macro_rules! numerics {
    ($($name:ident = $code:literal, $text:expr;)*) => {
        /// A numeric reply. Variants keep their spec names, so they can be grepped for.
        // Codes keep their leading zeros (`001`): they are decimal, and `code()` is
        // their spelling.
        #[allow(non_camel_case_types, clippy::zero_prefixed_literal)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Numeric {
            $($name = $code,)*
        }

        impl Numeric {
            /// Every numeric in the table, in code order.
            pub const ALL: &'static [Numeric] = &[$(Numeric::$name,)*];

            /// The three digits sent on the wire, e.g. `"001"`.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Numeric::$name => stringify!($code),)*
                }
            }

            /// The spec name, e.g. `"ERR_NOSUCHNICK"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Numeric::$name => stringify!($name),)*
                }
            }

            /// The usual last parameter when it is fixed text, e.g. `"No such
            /// nick/channel"`; `None` when the server must compose it (a topic, a list,
            /// a count in a sentence) or the reply has no text parameter.
            pub const fn default_text(self) -> Option<&'static str> {
                match self {
                    $(Numeric::$name => $text,)*
                }
            }
        }
    };
}

const fn t(text: &'static str) -> Option<&'static str> {
    Some(text)
}

const NONE: Option<&str> = None;

numerics! {
    // Registration.
    RPL_WELCOME = 001, NONE; // "Welcome to the <network> Network, <nick>"
    RPL_YOURHOST = 002, NONE; // "Your host is <server>, running version <version>"
    RPL_CREATED = 003, NONE; // "This server was created <datetime>"
    RPL_MYINFO = 004, NONE;
    RPL_ISUPPORT = 005, t("are supported by this server");
    // STATS (server-wide bans).
    RPL_STATSKLINE = 216, NONE;
    RPL_ENDOFSTATS = 219, t("End of /STATS report");
    RPL_UMODEIS = 221, NONE;
    RPL_STATSDLINE = 225, NONE;
    // LUSERS.
    RPL_LUSERCLIENT = 251, NONE; // "There are <u> users and <i> invisible on <s> servers"
    RPL_LUSEROP = 252, t("operator(s) online");
    RPL_LUSERUNKNOWN = 253, t("unknown connection(s)");
    RPL_LUSERCHANNELS = 254, t("channels formed");
    RPL_LUSERME = 255, NONE; // "I have <c> clients and <s> servers"
    RPL_LOCALUSERS = 265, NONE; // "Current local users <u>, max <m>"
    RPL_GLOBALUSERS = 266, NONE; // "Current global users <u>, max <m>"
    // AWAY, USERHOST.
    RPL_AWAY = 301, NONE;
    RPL_USERHOST = 302, NONE; // ":<nick>[*]=<+|-><user>@<host> ..."
    RPL_UNAWAY = 305, t("You are no longer marked as being away");
    RPL_NOWAWAY = 306, t("You have been marked as being away");
    // WHOIS.
    RPL_WHOISUSER = 311, NONE;
    RPL_WHOISSERVER = 312, NONE;
    RPL_WHOISOPERATOR = 313, t("is an IRC operator");
    RPL_WHOWASUSER = 314, NONE;
    RPL_ENDOFWHO = 315, t("End of WHO list");
    RPL_WHOISIDLE = 317, t("seconds idle, signon time");
    RPL_ENDOFWHOIS = 318, t("End of /WHOIS list");
    RPL_WHOISCHANNELS = 319, NONE;
    // LIST and channel state.
    RPL_LISTSTART = 321, t("Users  Name");
    RPL_LIST = 322, NONE;
    RPL_LISTEND = 323, t("End of /LIST");
    RPL_CHANNELMODEIS = 324, NONE;
    RPL_CREATIONTIME = 329, NONE;
    RPL_WHOISACCOUNT = 330, t("is logged in as");
    RPL_NOTOPIC = 331, t("No topic is set");
    RPL_TOPIC = 332, NONE;
    RPL_TOPICWHOTIME = 333, NONE;
    RPL_WHOISBOT = 335, NONE; // "is a bot on <network>" (IRCv3 bot mode)
    RPL_INVITELIST = 336, NONE;
    RPL_ENDOFINVITELIST = 337, t("End of /INVITE list");
    RPL_WHOISACTUALLY = 338, t("is actually using host");
    RPL_INVITING = 341, NONE;
    RPL_INVEXLIST = 346, NONE;
    RPL_ENDOFINVEXLIST = 347, t("End of Channel Invite Exception List");
    RPL_EXCEPTLIST = 348, NONE;
    RPL_ENDOFEXCEPTLIST = 349, t("End of channel exception list");
    RPL_WHOREPLY = 352, NONE;
    RPL_NAMREPLY = 353, NONE;
    RPL_WHOSPCRPL = 354, NONE;
    RPL_LINKS = 364, NONE;
    RPL_ENDOFLINKS = 365, t("End of /LINKS list");
    RPL_ENDOFNAMES = 366, t("End of /NAMES list");
    RPL_BANLIST = 367, NONE;
    RPL_ENDOFBANLIST = 368, t("End of channel ban list");
    RPL_ENDOFWHOWAS = 369, t("End of WHOWAS");
    // MOTD, OPER, TIME.
    RPL_INFO = 371, NONE;
    RPL_MOTD = 372, NONE;
    RPL_ENDOFINFO = 374, t("End of INFO list");
    RPL_MOTDSTART = 375, NONE; // "- <server> Message of the day - "
    RPL_ENDOFMOTD = 376, t("End of /MOTD command.");
    RPL_WHOISHOST = 378, NONE; // "is connecting from *@<host> <ip>"
    RPL_YOUREOPER = 381, t("You are now an IRC operator");
    RPL_TIME = 391, NONE;
    // Errors.
    ERR_UNKNOWNERROR = 400, NONE;
    ERR_NOSUCHNICK = 401, t("No such nick/channel");
    ERR_NOSUCHSERVER = 402, t("No such server");
    ERR_NOSUCHCHANNEL = 403, t("No such channel");
    ERR_CANNOTSENDTOCHAN = 404, t("Cannot send to channel");
    ERR_TOOMANYCHANNELS = 405, t("You have joined too many channels");
    ERR_WASNOSUCHNICK = 406, t("There was no such nickname");
    // Not in Modern IRC; RFC 2812 composes the text, this is the usual short form.
    ERR_TOOMANYTARGETS = 407, t("Too many targets");
    ERR_NOORIGIN = 409, t("No origin specified");
    // IRCv3 capability negotiation.
    ERR_INVALIDCAPCMD = 410, t("Invalid CAP command");
    ERR_NORECIPIENT = 411, NONE; // "No recipient given (<command>)"
    ERR_NOTEXTTOSEND = 412, t("No text to send");
    ERR_INPUTTOOLONG = 417, t("Input line was too long");
    ERR_UNKNOWNCOMMAND = 421, t("Unknown command");
    ERR_NOMOTD = 422, t("MOTD File is missing");
    ERR_NONICKNAMEGIVEN = 431, t("No nickname given");
    // The misspelling is the spec's own, and clients match on the numeric anyway.
    ERR_ERRONEUSNICKNAME = 432, t("Erroneus nickname");
    ERR_NICKNAMEINUSE = 433, t("Nickname is already in use");
    ERR_USERNOTINCHANNEL = 441, t("They aren't on that channel");
    ERR_NOTONCHANNEL = 442, t("You're not on that channel");
    ERR_USERONCHANNEL = 443, t("is already on channel");
    ERR_NOTREGISTERED = 451, t("You have not registered");
    ERR_NEEDMOREPARAMS = 461, t("Not enough parameters");
    ERR_ALREADYREGISTERED = 462, t("You may not reregister");
    ERR_PASSWDMISMATCH = 464, t("Password incorrect");
    ERR_YOUREBANNEDCREEP = 465, t("You are banned from this server.");
    ERR_CHANNELISFULL = 471, t("Cannot join channel (+l)");
    ERR_UNKNOWNMODE = 472, t("is unknown mode char to me");
    ERR_INVITEONLYCHAN = 473, t("Cannot join channel (+i)");
    ERR_BANNEDFROMCHAN = 474, t("Cannot join channel (+b)");
    ERR_BADCHANNELKEY = 475, t("Cannot join channel (+k)");
    ERR_BADCHANMASK = 476, t("Bad Channel Mask");
    // `<channel> <mask>`, as ircd-hybrid and others send it.
    ERR_BANLISTFULL = 478, t("Channel ban list is full");
    ERR_NOPRIVILEGES = 481, t("Permission Denied- You're not an IRC operator");
    ERR_CHANOPRIVSNEEDED = 482, t("You're not channel operator");
    ERR_NOOPERHOST = 491, t("No O-lines for your host");
    ERR_UMODEUNKNOWNFLAG = 501, t("Unknown MODE flag");
    ERR_USERSDONTMATCH = 502, t("Cant change mode for other users");
    ERR_HELPNOTFOUND = 524, t("No help available on this topic");
    ERR_INVALIDKEY = 525, t("Key is not well-formed");
    ERR_INVALIDMODEPARAM = 696, NONE; // "<target> <mode char> <parameter> :<description>"
    RPL_HELPSTART = 704, NONE;
    RPL_HELPTXT = 705, NONE;
    RPL_ENDOFHELP = 706, t("End of /HELP");
    ERR_NOPRIVS = 723, t("Insufficient oper privileges.");
    // MONITOR (IRCv3 monitor).
    RPL_QUIETLIST = 728, NONE;
    RPL_ENDOFQUIETLIST = 729, t("End of channel quiet list");
    RPL_MONONLINE = 730, NONE;
    RPL_MONOFFLINE = 731, NONE;
    RPL_MONLIST = 732, NONE;
    RPL_ENDOFMONLIST = 733, t("End of MONITOR list");
    ERR_MONLISTFULL = 734, t("Monitor list is full.");
    // Metadata (IRCv3 draft/metadata).
    RPL_WHOISKEYVALUE = 760, NONE;
    RPL_KEYVALUE = 761, NONE;
    RPL_KEYNOTSET = 766, t("key not set");
    RPL_METADATASUBOK = 770, NONE;
    RPL_METADATAUNSUBOK = 771, NONE;
    RPL_METADATASUBS = 772, NONE;
    RPL_METADATASYNCLATER = 774, NONE;
    // Accounts and SASL (IRCv3 sasl-3.1).
    RPL_LOGGEDIN = 900, NONE; // "You are now logged in as <account>"
    RPL_LOGGEDOUT = 901, t("You are now logged out");
    ERR_NICKLOCKED = 902, t("You must use a nick assigned to you");
    RPL_SASLSUCCESS = 903, t("SASL authentication successful");
    ERR_SASLFAIL = 904, t("SASL authentication failed");
    ERR_SASLTOOLONG = 905, t("SASL message too long");
    ERR_SASLABORTED = 906, t("SASL authentication aborted");
    ERR_SASLALREADY = 907, t("You have already authenticated using SASL");
    RPL_SASLMECHS = 908, t("are available SASL mechanisms");
}

impl Numeric {
    /// The numeric with this code, if it is in the table.
    pub fn from_code(code: u16) -> Option<Numeric> {
        Numeric::ALL.iter().copied().find(|n| *n as u16 == code)
    }

    /// True for error replies (those named `ERR_`).
    pub fn is_error(self) -> bool {
        self.name().starts_with("ERR_")
    }

    /// Appends `:server CODE client params... :text\r\n`. `client` is the recipient's
    /// nick (`*` before it has one). `text` overrides [`default_text`](Self::default_text);
    /// with neither, the last of `params` is the last parameter. The line is kept within
    /// [`MAX_LINE`] like [`render_truncated`](super::render_truncated): by cutting the last
    /// parameter, or a parameter that echoes an over-long word the client sent.
    ///
    /// `Numeric::ERR_NOSUCHNICK.render(out, "irc.example", "alice", &["bob"], None)`
    /// writes `:irc.example 401 alice bob :No such nick/channel\r\n`.
    pub fn render(
        self,
        out: &mut BytesMut,
        server: &str,
        client: &str,
        params: &[&str],
        text: Option<&str>,
    ) {
        let body_start = put_head(out, None, Some(server), self.code());
        let (middles, last) = match text.or(self.default_text()) {
            Some(text) => (params, text),
            None => match params.split_last() {
                Some((last, middles)) => (middles, *last),
                None => (&[][..], client),
            },
        };
        let mut all = Vec::with_capacity(params.len() + 2);
        if !(text.is_none() && self.default_text().is_none() && params.is_empty()) {
            all.push(client);
        }
        all.extend_from_slice(middles);
        all.push(last);
        // Within 512 bytes, cutting an echoed parameter if that is what is long.
        put_params(out, body_start, &all, Some(MAX_LINE));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn rendered(n: Numeric, client: &str, params: &[&str], text: Option<&str>) -> String {
        let mut out = BytesMut::new();
        n.render(&mut out, "irc.example", client, params, text);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn codes_and_texts_match_the_spec() {
        assert_eq!(Numeric::RPL_WELCOME.code(), "001");
        assert_eq!(Numeric::RPL_ISUPPORT.code(), "005");
        assert_eq!(Numeric::RPL_NAMREPLY.code(), "353");
        assert_eq!(Numeric::ERR_NOSUCHNICK.code(), "401");
        assert_eq!(
            Numeric::ERR_NOSUCHNICK.default_text(),
            Some("No such nick/channel")
        );
        assert_eq!(Numeric::ERR_INPUTTOOLONG.code(), "417");
        assert_eq!(
            Numeric::ERR_INPUTTOOLONG.default_text(),
            Some("Input line was too long")
        );
        assert_eq!(
            Numeric::ERR_NICKNAMEINUSE.default_text(),
            Some("Nickname is already in use")
        );
        assert_eq!(
            Numeric::ERR_NEEDMOREPARAMS.default_text(),
            Some("Not enough parameters")
        );
        assert_eq!(
            Numeric::ERR_CHANOPRIVSNEEDED.default_text(),
            Some("You're not channel operator")
        );
        assert_eq!(
            Numeric::RPL_ENDOFNAMES.default_text(),
            Some("End of /NAMES list")
        );
        assert_eq!(
            Numeric::RPL_ENDOFMOTD.default_text(),
            Some("End of /MOTD command.")
        );
        assert_eq!(Numeric::RPL_TOPIC.default_text(), None);
        assert_eq!(Numeric::ERR_SASLFAIL.code(), "904");
        assert_eq!(Numeric::ERR_NOSUCHNICK.name(), "ERR_NOSUCHNICK");
        assert_eq!(Numeric::ERR_BANNEDFROMCHAN as u16, 474);
    }

    #[test]
    fn the_table_is_consistent() {
        let mut seen = HashSet::new();
        for &n in Numeric::ALL {
            let code = n.code();
            assert_eq!(code.len(), 3, "{n:?}");
            assert_eq!(code.parse::<u16>().unwrap(), n as u16, "{n:?}");
            assert!(seen.insert(code), "duplicate {code}");
            assert!(n.name().starts_with("RPL_") || n.name().starts_with("ERR_"));
            assert_eq!(Numeric::from_code(n as u16), Some(n));
            if let Some(text) = n.default_text() {
                assert!(!text.is_empty() && !text.contains(['\r', '\n']));
            }
        }
        assert!(Numeric::ALL
            .windows(2)
            .all(|w| (w[0] as u16) < (w[1] as u16)));
        assert_eq!(Numeric::from_code(999), None);
        assert!(Numeric::ERR_SASLFAIL.is_error() && !Numeric::RPL_SASLSUCCESS.is_error());
    }

    #[test]
    fn render_with_default_text() {
        assert_eq!(
            rendered(Numeric::ERR_NOSUCHNICK, "alice", &["bob"], None),
            ":irc.example 401 alice bob :No such nick/channel\r\n"
        );
        assert_eq!(
            rendered(Numeric::ERR_NOTREGISTERED, "*", &[], None),
            ":irc.example 451 * :You have not registered\r\n"
        );
    }

    #[test]
    fn render_with_own_text_or_none() {
        assert_eq!(
            rendered(Numeric::RPL_TOPIC, "alice", &["#a"], Some("the topic")),
            ":irc.example 332 alice #a :the topic\r\n"
        );
        assert_eq!(
            rendered(
                Numeric::RPL_TOPICWHOTIME,
                "alice",
                &["#a", "bob", "1700000000"],
                None
            ),
            ":irc.example 333 alice #a bob 1700000000\r\n"
        );
        assert_eq!(
            rendered(
                Numeric::RPL_NAMREPLY,
                "alice",
                &["=", "#a", "@alice bob"],
                None
            ),
            ":irc.example 353 alice = #a :@alice bob\r\n"
        );
        assert_eq!(
            rendered(Numeric::RPL_WELCOME, "alice", &[], Some("Welcome, alice")),
            ":irc.example 001 alice :Welcome, alice\r\n"
        );
        assert_eq!(
            rendered(Numeric::RPL_UMODEIS, "alice", &["+i"], None),
            ":irc.example 221 alice +i\r\n"
        );
        assert_eq!(
            rendered(Numeric::RPL_UMODEIS, "alice", &[], None),
            ":irc.example 221 alice\r\n"
        );
    }

    #[test]
    fn render_keeps_long_motd_lines_within_the_limit() {
        let long = "m".repeat(1000);
        let mut out = BytesMut::new();
        Numeric::RPL_MOTD.render(&mut out, "irc.example", "alice", &[], Some(&long));
        assert_eq!(out.len(), MAX_LINE);
        assert!(out.ends_with(b"mm\r\n"));
    }

    #[test]
    fn render_cuts_an_echoed_parameter_and_keeps_the_reason() {
        let command = "X".repeat(500);
        let mut out = BytesMut::new();
        Numeric::ERR_UNKNOWNCOMMAND.render(&mut out, "irc.example", "alice", &[&command], None);
        let kept = MAX_LINE - ":irc.example 421 alice  :Unknown command\r\n".len();
        assert_eq!(
            String::from_utf8(out.to_vec()).unwrap(),
            format!(
                ":irc.example 421 alice {} :Unknown command\r\n",
                &command[..kept]
            )
        );
    }
}

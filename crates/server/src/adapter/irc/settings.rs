//! What every IRC connection of a server shares: the `[irc]` configuration, the limits it
//! advertises in `RPL_ISUPPORT`, and the welcome texts, computed once at startup. The
//! [`Answers`] are swapped by a configuration reload for every connection; the rest a
//! connection keeps from its start (a reload makes new `Settings` for new connections).

use std::sync::Arc;

use arc_swap::ArcSwap;
use std::time::{Duration, SystemTime};

use confab_core::name::ROOM_NAME_MAX;

use super::out::iso8601;
use crate::config::{IrcConfig, Limits, Oper};

/// Longest topic kept (longer ones are cut), `TOPICLEN`.
pub const TOPIC_LEN: usize = 390;
/// Longest kick reason kept, `KICKLEN`.
pub const KICK_LEN: usize = 255;
/// Longest away message kept, `AWAYLEN`.
pub const AWAY_LEN: usize = 200;
/// Longest user name kept from USER, `USERLEN`.
pub const USER_LEN: usize = 16;
/// Longest channel name: `#` and a room name, `CHANNELLEN`.
pub const CHANNEL_LEN: usize = 1 + ROOM_NAME_MAX;
/// Targets one PRIVMSG or NOTICE may name (`TARGMAX`).
pub const MAX_TARGETS: usize = 4;
/// Longest channel key accepted (RFC 2812's 23).
pub const KEY_LEN: usize = 23;
/// The user mode that marks a bot (`BOT`, IRCv3 bot mode).
pub const BOT_MODE: char = 'B';
/// Parameter-taking modes one MODE command may carry (`MODES`).
pub const MAX_MODES: usize = 6;
/// The user modes and channel modes of `004 RPL_MYINFO`.
pub const USER_MODES: &str = "Bio";
pub const CHANNEL_MODES: &str = "CIbefiklmnoqstv";
pub const CHANNEL_MODES_WITH_PARAM: &str = "Ibefkloqv";
/// `ELIST`: LIST filters by creation time (`C`), mask (`M`), negated mask (`N`), topic
/// time (`T`) and user count (`U`).
pub const ELIST: &str = "CMNTU";
/// The most messages one `CHATHISTORY` request returns (`CHATHISTORY`); asking for more
/// gets this many.
pub const CHATHISTORY_MAX: usize = 100;

pub struct Settings {
    pub server: Arc<str>,
    pub network: String,
    /// Read when answering, so a reload reaches connections already open; one handle
    /// shared by the settings of every connection since the start.
    answers: Arc<ArcSwap<Answers>>,
    /// `NICKLEN`: the hub's name limit.
    pub nick_max: usize,
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// The decoder's hard limit: a longer line disconnects the client.
    pub read_max: usize,
    /// When the server started, as `003 RPL_CREATED` tells it.
    pub created: String,
    /// The `RPL_ISUPPORT` tokens, at most 13 per line.
    pub isupport: Vec<Vec<String>>,
    /// `REGISTER` before the connection completes (`[irc] register_before_connect`).
    pub register_before_connect: bool,
}

impl Settings {
    pub fn new(config: &IrcConfig, nick_max: usize) -> Settings {
        Settings {
            server: Arc::from(config.server_name.as_str()),
            network: config.network.clone(),
            answers: Arc::new(ArcSwap::from_pointee(Answers::new(config))),
            nick_max,
            ping_interval: Duration::from_secs(config.ping_interval_secs),
            ping_timeout: Duration::from_secs(config.ping_timeout_secs),
            read_max: confab_proto::irc::DEFAULT_READ_MAX,
            created: iso8601(SystemTime::now()),
            register_before_connect: config.register_before_connect,
            isupport: isupport(
                &config.network,
                nick_max,
                confab_core::hub::DEFAULT_ROOMS_MAX,
            ),
        }
    }

    /// The settings with the server's `[limits]`: the names, the read limit, `CHANLIMIT`.
    pub fn with_limits(config: &IrcConfig, limits: &Limits) -> Settings {
        Settings {
            read_max: limits.irc_read_max,
            isupport: isupport(&config.network, limits.name_max, limits.rooms_per_user),
            ..Settings::new(config, limits.name_max)
        }
    }

    /// With history kept, `RPL_ISUPPORT` also names the `CHATHISTORY` limit and the
    /// message references it takes (`MSGREFTYPES`), after the other tokens.
    pub fn with_history(mut self, on: bool) -> Settings {
        if on {
            let mut tokens: Vec<String> = self.isupport.concat();
            tokens.push(format!("CHATHISTORY={CHATHISTORY_MAX}"));
            tokens.push("MSGREFTYPES=msgid,timestamp".into());
            self.isupport = tokens.chunks(13).map(<[String]>::to_vec).collect();
        }
        self
    }

    /// The texts and accounts in force now.
    pub fn answers(&self) -> Arc<Answers> {
        self.answers.load_full()
    }

    /// Settings made for a reload that go on from `running`: the same start time, and
    /// answers that every connection, old or new, reads from now on.
    pub fn succeeding(mut self, running: &Settings) -> Settings {
        running.answers.store(self.answers());
        self.answers = running.answers.clone();
        self.created = running.created.clone();
        self
    }

    /// The version `002` and `004` show.
    pub fn version() -> &'static str {
        concat!("confab-", env!("CARGO_PKG_VERSION"))
    }
}

/// What the server answers with, read anew each time (`[irc]` `motd`, `description`,
/// `password`, `opers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// `[irc] description`, as `LINKS` shows it.
    pub description: String,
    pub motd: Vec<String>,
    pub password: Option<String>,
    pub opers: Vec<Oper>,
}

impl Answers {
    fn new(config: &IrcConfig) -> Answers {
        Answers {
            description: config.description.clone(),
            motd: config.motd.clone(),
            password: config.password.clone(),
            opers: config.opers.clone(),
        }
    }
}

fn isupport(network: &str, nick_max: usize, chan_limit: usize) -> Vec<Vec<String>> {
    let tokens = [
        format!("ACCOUNTEXTBAN={}", super::extban::ACCOUNT),
        format!("AWAYLEN={AWAY_LEN}"),
        format!("BOT={BOT_MODE}"),
        "CASEMAPPING=ascii".into(),
        format!("CHANLIMIT=#:{chan_limit}"),
        "CHANMODES=Ibeq,k,fl,Cimnst".into(),
        format!("CHANNELLEN={CHANNEL_LEN}"),
        "CHANTYPES=#".into(),
        format!("ELIST={ELIST}"),
        "EXCEPTS=e".into(),
        format!("EXTBAN={}", super::extban::TOKEN),
        "INVEX=I".into(),
        format!("KICKLEN={KICK_LEN}"),
        format!("MAXLIST=I:{0},b:{0},e:{0},q:{0}", confab_core::hub::MAX_BANS),
        format!("MODES={MAX_MODES}"),
        format!("MONITOR={}", confab_core::hub::MONITOR_MAX),
        format!("NETWORK={network}"),
        format!("NICKLEN={nick_max}"),
        "PREFIX=(ov)@+".into(),
        format!("STATUSMSG={}", super::statusmsg::token()),
        format!(
            "TARGMAX=JOIN:,KICK:,LIST:,NAMES:,NOTICE:{MAX_TARGETS},PART:,PRIVMSG:{MAX_TARGETS},WHOIS:1"
        ),
        format!("TOPICLEN={TOPIC_LEN}"),
        format!("USERLEN={USER_LEN}"),
        "UTF8ONLY".into(),
        "WHOX".into(),
    ];
    tokens.chunks(13).map(<[String]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isupport_lines_hold_at_most_13_tokens() {
        let settings = Settings::new(&IrcConfig::default(), 20);
        assert!(settings.isupport.iter().all(|line| line.len() <= 13));
        let all: Vec<&String> = settings.isupport.iter().flatten().collect();
        assert!(all.iter().any(|t| *t == "NICKLEN=20"));
        assert!(all.iter().any(|t| *t == "CHANNELLEN=33"));
        assert!(all.iter().any(|t| *t == "NETWORK=confab"));
        assert!(all.iter().any(|t| *t == "CHANLIMIT=#:100"));
        let limits = Limits {
            rooms_per_user: 3,
            ..Limits::default()
        };
        let settings = Settings::with_limits(&IrcConfig::default(), &limits);
        assert!(settings
            .isupport
            .iter()
            .flatten()
            .any(|t| t == "CHANLIMIT=#:3"));
        assert!(all.iter().all(|t| t.is_ascii() && !t.contains(' ')));
        assert!(!all.iter().any(|t| t.starts_with("CHATHISTORY")));
        let with = Settings::new(&IrcConfig::default(), 20).with_history(true);
        let tokens = with.isupport.concat();
        assert_eq!(tokens.len(), all.len() + 2);
        assert_eq!(
            tokens[tokens.len() - 2..],
            ["CHATHISTORY=100", "MSGREFTYPES=msgid,timestamp"]
        );
    }
}

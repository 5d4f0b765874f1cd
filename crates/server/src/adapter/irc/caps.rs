//! IRCv3 capabilities: the ones confab offers and the set one client negotiated (the `CAP`
//! command itself is `commands/cap.rs`).

/// One capability confab offers (named as the spec names them, `cap-notify` included).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    ServerTime,
    EchoMessage,
    MultiPrefix,
    AwayNotify,
    ExtendedJoin,
    ExtendedMonitor,
    CapNotify,
    UserhostInNames,
    MessageTags,
    LabeledResponse,
    Batch,
    ChatHistory,
    EventPlayback,
    Sasl,
    AccountRegistration,
    AccountTag,
    AccountNotify,
    Setname,
    Multiline,
    Metadata,
    ReadMarker,
    MessageRedaction,
    ChannelRename,
}

impl Cap {
    /// Every capability offered, in the order `CAP LS` lists them.
    pub const ALL: [Cap; 23] = [
        Cap::AccountNotify,
        Cap::AccountTag,
        Cap::AwayNotify,
        Cap::Batch,
        Cap::CapNotify,
        Cap::ChannelRename,
        Cap::ChatHistory,
        Cap::EventPlayback,
        Cap::EchoMessage,
        Cap::ExtendedJoin,
        Cap::ExtendedMonitor,
        Cap::LabeledResponse,
        Cap::MessageRedaction,
        Cap::MessageTags,
        Cap::Metadata,
        Cap::MultiPrefix,
        Cap::Multiline,
        Cap::AccountRegistration,
        Cap::ReadMarker,
        Cap::Sasl,
        Cap::ServerTime,
        Cap::Setname,
        Cap::UserhostInNames,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cap::ServerTime => "server-time",
            Cap::EchoMessage => "echo-message",
            Cap::MultiPrefix => "multi-prefix",
            Cap::AwayNotify => "away-notify",
            Cap::ExtendedJoin => "extended-join",
            Cap::ExtendedMonitor => "extended-monitor",
            Cap::CapNotify => "cap-notify",
            Cap::UserhostInNames => "userhost-in-names",
            Cap::MessageTags => "message-tags",
            Cap::LabeledResponse => "labeled-response",
            Cap::Batch => "batch",
            Cap::ChatHistory => "draft/chathistory",
            Cap::EventPlayback => "draft/event-playback",
            Cap::Sasl => "sasl",
            Cap::AccountRegistration => "draft/account-registration",
            Cap::AccountTag => "account-tag",
            Cap::AccountNotify => "account-notify",
            Cap::Setname => "setname",
            Cap::Multiline => "draft/multiline",
            Cap::Metadata => "draft/metadata-3",
            Cap::ReadMarker => "draft/read-marker",
            Cap::MessageRedaction => "draft/message-redaction",
            Cap::ChannelRename => "draft/channel-rename",
        }
    }

    /// The value `CAP LS 302` shows after the name (`sasl=PLAIN`), given whether
    /// `REGISTER` is allowed before the connection completes.
    pub fn value(self, register_before_connect: bool) -> Option<&'static str> {
        match self {
            Cap::Sasl => Some("PLAIN"),
            // Registering needs no email or verification; and, unless configured
            // otherwise, no connection first.
            Cap::AccountRegistration if register_before_connect => Some("before-connect"),
            Cap::Multiline => Some(super::multiline::CAP_VALUE),
            Cap::Metadata => Some(super::metadata::CAP_VALUE),
            _ => None,
        }
    }

    /// Offered only by a server that keeps history (not with `--data none`).
    pub fn needs_history(self) -> bool {
        // Accounts live in the data directory too.
        matches!(
            self,
            Cap::ChatHistory | Cap::EventPlayback | Cap::Sasl | Cap::AccountRegistration
        )
    }

    pub fn from_name(name: &str) -> Option<Cap> {
        Cap::ALL.into_iter().find(|c| c.name() == name)
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The capabilities one client has enabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps(u32);

impl Caps {
    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap.bit() != 0
    }

    pub fn set(&mut self, cap: Cap, on: bool) {
        if on {
            self.0 |= cap.bit();
        } else {
            self.0 &= !cap.bit();
        }
    }

    /// The enabled capabilities' names, space-separated.
    pub fn names(self) -> String {
        Cap::ALL
            .into_iter()
            .filter(|c| self.has(*c))
            .map(Cap::name)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `CAP REQ`'s list: every entry must be known (a `-` disables), or none applies.
pub fn parse_request(list: &str) -> Option<Vec<(Cap, bool)>> {
    list.split(' ')
        .filter(|w| !w.is_empty())
        .map(|word| match word.strip_prefix('-') {
            Some(name) => Cap::from_name(name).map(|c| (c, false)),
            None => Cap::from_name(word).map(|c| (c, true)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_all_or_nothing() {
        assert_eq!(
            parse_request("server-time -echo-message"),
            Some(vec![(Cap::ServerTime, true), (Cap::EchoMessage, false)])
        );
        assert_eq!(parse_request("server-time draft/unknown"), None);
        assert_eq!(parse_request(""), Some(vec![]));
        assert_eq!(
            parse_request("sasl account-tag"),
            Some(vec![(Cap::Sasl, true), (Cap::AccountTag, true)])
        );
        assert_eq!(Cap::Sasl.value(true), Some("PLAIN"));
        assert_eq!(Cap::AccountRegistration.value(true), Some("before-connect"));
        assert_eq!(Cap::AccountRegistration.value(false), None);
    }

    #[test]
    fn caps_set_and_list() {
        let mut caps = Caps::default();
        caps.set(Cap::MultiPrefix, true);
        caps.set(Cap::AwayNotify, true);
        assert!(caps.has(Cap::MultiPrefix) && !caps.has(Cap::ServerTime));
        assert_eq!(caps.names(), "away-notify multi-prefix");
        caps.set(Cap::MultiPrefix, false);
        assert_eq!(caps.names(), "away-notify");
    }
}

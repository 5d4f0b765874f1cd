//! Why a chat connection ended: the driver's one list of reasons, how the log words each,
//! what the client is told on the way out, and how `confab_disconnects_total` labels it.

use crate::adapter::Farewell;

/// Why a chat connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The session said goodbye (QUIT, `bye`, a logout packet).
    Closed,
    /// The client closed its side without one.
    Eof,
    /// A read or write failed (reset, broken pipe).
    Failed,
    /// A slow consumer: its outbox filled up.
    Overflow,
    Shutdown,
    /// Put out of the one room its protocol lives in.
    Removed,
    /// The client took no name within the registration timeout.
    RegistrationTimeout,
    /// The client's input waiting for flood control passed its bound.
    ExcessFlood,
}

impl Ending {
    /// Every reason, in the order `confab_disconnects_total` registers them.
    pub const ALL: [Ending; 8] = [
        Ending::Closed,
        Ending::Eof,
        Ending::Failed,
        Ending::Overflow,
        Ending::Shutdown,
        Ending::Removed,
        Ending::RegistrationTimeout,
        Ending::ExcessFlood,
    ];

    /// The reason as `confab_disconnects_total` labels it.
    pub fn label(self) -> &'static str {
        match self {
            Ending::Closed => "closed",
            Ending::Eof => "eof",
            Ending::Failed => "failed",
            Ending::Overflow => "overflow",
            Ending::Shutdown => "shutdown",
            Ending::Removed => "removed",
            Ending::RegistrationTimeout => "registration_timeout",
            Ending::ExcessFlood => "excess_flood",
        }
    }

    /// The reason as the log shows it.
    pub fn describe(self) -> &'static str {
        match self {
            Ending::Closed => "ended by the session",
            Ending::Eof => "closed by the client",
            Ending::Failed => "connection lost",
            Ending::Overflow => "too slow: outbox full",
            Ending::Shutdown => "server shutdown",
            Ending::Removed => "removed from its room",
            Ending::RegistrationTimeout => Farewell::RegistrationTimeout.text(),
            Ending::ExcessFlood => Farewell::ExcessFlood.text(),
        }
    }

    /// What the server tells the client on the way out, when the server ends it.
    pub fn farewell(self) -> Option<Farewell> {
        match self {
            Ending::Closed | Ending::Eof | Ending::Failed => None,
            Ending::Overflow => Some(Farewell::Overflow),
            Ending::Shutdown => Some(Farewell::Shutdown),
            Ending::Removed => Some(Farewell::Removed),
            Ending::RegistrationTimeout => Some(Farewell::RegistrationTimeout),
            Ending::ExcessFlood => Some(Farewell::ExcessFlood),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ends_the_server_chose_say_goodbye_and_each_label_is_its_own() {
        let told: Vec<(&str, Option<Farewell>)> = Ending::ALL
            .iter()
            .map(|end| (end.label(), end.farewell()))
            .collect();
        assert_eq!(
            told,
            [
                ("closed", None),
                ("eof", None),
                ("failed", None),
                ("overflow", Some(Farewell::Overflow)),
                ("shutdown", Some(Farewell::Shutdown)),
                ("removed", Some(Farewell::Removed)),
                ("registration_timeout", Some(Farewell::RegistrationTimeout)),
                ("excess_flood", Some(Farewell::ExcessFlood)),
            ]
        );
        assert_eq!(Ending::ExcessFlood.describe(), "excess flood");
        assert_eq!(Ending::Eof.describe(), "closed by the client");
    }
}

//! Accounts as the hub sees them: the registered names (which only a session logged in
//! to that account may take), the reserved names nobody may take, and the account each
//! session is logged in to. The core knows no passwords and no store: the server checks
//! the password, then tells the hub.

use super::state::State;
use super::{Hub, HubError, Outgoing};
use crate::event::EventKind;
use crate::name::{Folded, Name};
use crate::session::{Session, SessionId};

/// Whom a direct message to a name would reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Someone holds the name now.
    Online,
    /// Nobody holds it, but it is a registered account: the message waits for its login.
    Waiting,
    Nobody,
}

impl Hub {
    /// Replaces the set of registered account names (the server loads it at startup).
    pub fn set_accounts(&self, names: impl IntoIterator<Item = Name>) {
        let mut state = self.lock();
        state.accounts = names.into_iter().map(|n| n.key()).collect();
    }

    /// Notes an account registered at run time.
    pub fn add_account(&self, name: &Name) {
        self.lock().accounts.insert(name.key());
    }

    /// Forgets a deleted account: its name is free again and nobody stays logged in to it.
    pub fn remove_account(&self, name: &str) {
        let mut state = self.lock();
        state.accounts.remove(Folded::new(name));
        for member in state.sessions.values_mut() {
            if member
                .account()
                .is_some_and(|a| a.folded() == Folded::new(name))
            {
                member.set_account(None);
            }
        }
    }

    pub fn is_account(&self, name: &str) -> bool {
        self.lock().accounts.contains(Folded::new(name))
    }

    /// Keeps `name` from everyone (the services' own names).
    pub fn reserve(&self, name: Name) {
        self.lock().reserved.insert(name.key());
    }

    /// Logs the session in to `account` (its password was checked by the caller). Room
    /// mates hear of it (IRC account-notify).
    pub fn log_in(&self, session: &Session, account: Name) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let member = state.sessions.get_mut(&id).ok_or(HubError::Detached)?;
        member.set_account(Some(account));
        state.tell_change(id, &mut out, |who, rooms, to_watchers| {
            EventKind::AccountChanged {
                who,
                rooms,
                to_watchers,
            }
        });
        self.send(state, out);
        Ok(())
    }

    /// The account the session is logged in to.
    pub fn account_of(&self, session: &Session) -> Option<Name> {
        self.lock().sessions.get(&session.id())?.account().cloned()
    }

    /// The account behind `name` for direct history: the account of whoever holds the
    /// name now (`None` if they are not logged in), or, when nobody holds it, the
    /// registered account of that name.
    pub fn account_behind(&self, name: &str) -> Option<Name> {
        let state = self.lock();
        match state.session_named(name) {
            Ok(id) => state.sessions.get(&id)?.account().cloned(),
            Err(_) => state.account_named(name),
        }
    }

    /// Whether a direct message to `name` reaches someone now, waits for an account's
    /// login, or has nobody to go to.
    pub fn reach(&self, name: &str) -> Reach {
        let state = self.lock();
        if state.names.contains_key(Folded::new(name)) {
            Reach::Online
        } else if state.accounts.contains(Folded::new(name)) {
            Reach::Waiting
        } else {
            Reach::Nobody
        }
    }
}

impl State {
    /// Whether session `id` may take `name`: not a reserved one, and a registered one only
    /// when logged in to it.
    pub(crate) fn may_take(&self, id: SessionId, name: &Name) -> bool {
        let key = name.folded();
        if self.reserved.contains(key) {
            return false;
        }
        if !self.accounts.contains(key) {
            return true;
        }
        let account = self.sessions.get(&id).and_then(|m| m.account());
        account.is_some_and(|a| a.folded() == key)
    }

    /// The registered account named `name` (as it was registered), if there is one.
    pub(crate) fn account_named(&self, name: &str) -> Option<Name> {
        self.accounts
            .get(Folded::new(name))
            .map(|k| k.name().clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::event::Event;
    use crate::outbox::Delivery;
    use crate::router::Stage;
    use crate::text::Text;
    use crate::HubConfig;

    fn n(s: &str) -> Name {
        Name::parse(s, 32).unwrap()
    }

    /// A stage that keeps what it is given, to see the events the hub made.
    #[derive(Default)]
    struct Keep(Mutex<Vec<Arc<Event>>>);

    impl Stage for Keep {
        fn submit(&self, events: Vec<crate::router::Routed>) {
            self.0
                .lock()
                .unwrap()
                .extend(events.iter().map(|r| r.event.clone()));
        }
    }

    #[test]
    fn a_registered_name_is_taken_only_by_its_logged_in_owner() {
        let hub = Hub::new(HubConfig::default());
        hub.set_accounts([n("Amy")]);
        let s = hub.attach("irc");
        assert_eq!(
            hub.take_name(&s, n("AMY")),
            Err(HubError::NameReserved("AMY".into()))
        );
        assert_eq!(hub.take_name(&s, n("bob")).unwrap(), n("bob"));
        hub.log_in(&s, n("Amy")).unwrap();
        assert_eq!(hub.account_of(&s), Some(n("Amy")));
        assert_eq!(hub.take_name(&s, n("amy")).unwrap(), n("amy"));
        let other = hub.attach("rooms");
        hub.log_in(&other, n("Cy")).unwrap();
        assert_eq!(
            hub.take_name(&other, n("Amy")),
            Err(HubError::NameTaken("Amy".into()))
        );
    }

    #[test]
    fn reserved_names_are_nobodys_and_deleted_accounts_free_their_name() {
        let hub = Hub::new(HubConfig::default());
        hub.reserve(n("NickServ"));
        let s = hub.attach("prefixed");
        hub.log_in(&s, n("nickserv")).unwrap();
        assert!(matches!(
            hub.take_name(&s, n("nickserv")),
            Err(HubError::NameReserved(_))
        ));
        hub.add_account(&n("zed"));
        assert!(hub.is_account("ZED"));
        hub.remove_account("Zed");
        assert!(!hub.is_account("zed"));
        assert_eq!(hub.take_name(&s, n("zed")).unwrap(), n("zed"));
    }

    #[test]
    fn a_direct_message_to_an_offline_account_is_made_waiting() {
        let hub = Hub::new(HubConfig::default());
        let kept = Arc::new(Keep::default());
        hub.set_stage(kept.clone()).ok().unwrap();
        hub.set_accounts([n("Amy")]);
        let bob = hub.attach("prefixed");
        hub.take_name(&bob, n("bob")).unwrap();
        assert_eq!(hub.reach("amy"), Reach::Waiting);
        assert_eq!(hub.reach("BOB"), Reach::Online);
        assert_eq!(hub.reach("cy"), Reach::Nobody);
        hub.whisper(&bob, "amy", Text::new("later")).unwrap();
        assert_eq!(
            hub.whisper(&bob, "cy", Text::new("x")),
            Err(HubError::NoSuchUser("cy".into()))
        );
        let kept = kept.0.lock().unwrap();
        assert!(matches!(
            kept[..],
            [ref e] if matches!(e.kind(), EventKind::Direct { to, waiting: true, to_account: Some(a), .. }
                if to.as_str() == "Amy" && a.as_str() == "Amy")
        ));
    }

    #[test]
    fn the_account_behind_a_name_is_its_holders_or_else_its_registrations() {
        let hub = Hub::new(HubConfig::default());
        let kept = Arc::new(Keep::default());
        hub.set_stage(kept.clone()).ok().unwrap();
        hub.set_accounts([n("Amy"), n("Bo")]);
        let (amy, cy) = (hub.attach("irc"), hub.attach("rooms"));
        hub.log_in(&amy, n("Amy")).unwrap();
        hub.take_name(&amy, n("amy_away")).unwrap();
        hub.take_name(&cy, n("cy")).unwrap();
        assert_eq!(hub.account_behind("AMY_AWAY"), Some(n("Amy")));
        assert_eq!(hub.account_behind("bo"), Some(n("Bo")), "offline account");
        assert_eq!(hub.account_behind("cy"), None, "online, not logged in");
        assert_eq!(hub.account_behind("dee"), None, "nobody");
        hub.whisper(&cy, "amy_away", Text::new("hi")).unwrap();
        let kept = kept.0.lock().unwrap();
        assert!(matches!(
            kept[..],
            [ref e] if matches!(e.kind(), EventKind::Direct { to_account: Some(a), waiting: false, .. }
                if a.as_str() == "Amy")
        ));
    }

    #[test]
    fn room_mates_hear_a_login_with_the_account_on_the_peer() {
        let hub = Hub::new(HubConfig::default());
        let (a, b) = (hub.attach("irc"), hub.attach("irc"));
        hub.take_name(&a, n("al")).unwrap();
        hub.take_name(&b, n("bo")).unwrap();
        hub.join(&a, n("r")).unwrap();
        hub.join(&b, n("r")).unwrap();
        let mut drained = Vec::new();
        a.outbox().drain(&mut drained);
        drained.clear();
        hub.log_in(&b, n("Bo")).unwrap();
        a.outbox().drain(&mut drained);
        let [Delivery::Event(event)] = &drained[..] else {
            panic!("one event expected, got {}", drained.len());
        };
        let EventKind::AccountChanged { who, .. } = event.kind() else {
            panic!("{:?}", event.kind());
        };
        assert_eq!(who.account, Some(n("Bo")));
        assert_eq!(hub.user_view("bo").unwrap().account, Some(n("Bo")));
    }
}

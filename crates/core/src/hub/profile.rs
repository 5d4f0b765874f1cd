//! What a user tells about themself: IRC's user name and real name, away, bot, operator.

use std::sync::Arc;

use super::{Hub, HubError, Outgoing};
use crate::event::EventKind;
use crate::session::Session;
use crate::text::Text;

impl Hub {
    /// Sets the IRC user name and real name (USER). An adapter that keeps them too hands
    /// in its own `Arc`s, so each string exists once.
    pub fn set_profile(
        &self,
        session: &Session,
        user: impl Into<Arc<str>>,
        realname: impl Into<Arc<str>>,
    ) -> Result<(), HubError> {
        let mut state = self.lock();
        let member = state
            .sessions
            .get_mut(&session.id())
            .ok_or(HubError::Detached)?;
        member.user = Some(user.into());
        member.realname = Some(realname.into());
        Ok(())
    }

    /// Changes the IRC real name (SETNAME); room mates hear it, and those watching the
    /// name. The adapter hands in its own `Arc`, so the string exists once.
    pub fn set_realname(
        &self,
        session: &Session,
        realname: impl Into<Arc<str>>,
    ) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let member = state.sessions.get_mut(&id).ok_or(HubError::Detached)?;
        member.realname = Some(realname.into());
        state.tell_change(id, &mut out, |who, rooms, to_watchers| {
            EventKind::RealnameChanged {
                who,
                rooms,
                to_watchers,
            }
        });
        self.send(state, out);
        Ok(())
    }

    /// Marks the user away with a message, or back with `None`. Room mates hear it, and
    /// those watching the name.
    pub fn set_away(&self, session: &Session, away: Option<Text>) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let id = session.id();
        let member = state.sessions.get_mut(&id).ok_or(HubError::Detached)?;
        member.set_away(away.clone());
        state.tell_change(id, &mut out, |who, rooms, to_watchers| {
            let away = away.clone();
            EventKind::AwayChanged {
                who,
                away,
                rooms,
                to_watchers,
            }
        });
        self.send(state, out);
        Ok(())
    }

    /// Hides the user from lists of users (WHO masks, LUSERS' visible count) for those who
    /// share no room with them, or shows them again (IRC user mode `i`).
    pub fn set_invisible(&self, session: &Session, invisible: bool) -> Result<(), HubError> {
        let mut state = self.lock();
        let member = state
            .sessions
            .get_mut(&session.id())
            .ok_or(HubError::Detached)?;
        member.invisible = invisible;
        Ok(())
    }

    /// Marks the user a bot, or not (IRC user mode `B`): WHOIS and WHO show it, and their
    /// messages carry IRC's `bot` tag.
    pub fn set_bot(&self, session: &Session, bot: bool) -> Result<(), HubError> {
        let mut state = self.lock();
        let member = state
            .sessions
            .get_mut(&session.id())
            .ok_or(HubError::Detached)?;
        member.set_bot(bot);
        Ok(())
    }

    /// A server operator's message to every server operator, themself included (IRC
    /// `WALLOPS`).
    pub fn wallops(&self, session: &Session, text: Text) -> Result<(), HubError> {
        let mut out = Outgoing::default();
        let mut state = self.lock();
        let from = state.peer(session.id())?;
        if !state.is_oper(session.id()) {
            return Err(HubError::NotOper);
        }
        out.push(state.event(Some(session.id()), EventKind::Wallops { from, text }));
        self.send(state, out);
        Ok(())
    }

    /// Whether the session is a server operator (IRC `OPER`, or an operator account).
    pub fn is_oper(&self, session: &Session) -> bool {
        self.lock().is_oper(session.id())
    }

    /// Grants or withdraws server operator status (IRC OPER).
    pub fn set_oper(&self, session: &Session, oper: bool) -> Result<(), HubError> {
        let mut state = self.lock();
        let member = state
            .sessions
            .get_mut(&session.id())
            .ok_or(HubError::Detached)?;
        member.oper = oper;
        Ok(())
    }
}

//! Who had a name: a bounded history of names given up (a departure, a rename, a kill),
//! newest first, for IRC's `WHOWAS`. Protocol-neutral: a classroom user who left is in it
//! too, with their name standing in for IRC's user and real name.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use super::state::{Member, State};
use super::Hub;
use crate::mask::mask_matches;
use crate::name::Name;

/// How many names given up are remembered, oldest forgotten first.
pub const WHOWAS_MAX: usize = 1024;

/// One name given up, as WHOWAS shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasView {
    pub name: Name,
    pub user: Arc<str>,
    pub host: Arc<str>,
    pub realname: Arc<str>,
    pub at: SystemTime,
}

impl WasView {
    /// `member` as it gave up `name`, now.
    pub(crate) fn of(member: &Member, name: Name) -> WasView {
        let as_name = || Arc::from(name.as_str());
        WasView {
            user: member.user.clone().unwrap_or_else(as_name),
            realname: member.realname.clone().unwrap_or_else(as_name),
            host: member.host.clone(),
            name,
            at: SystemTime::now(),
        }
    }
}

/// The history itself, newest first.
#[derive(Default)]
pub(crate) struct WhoWas(VecDeque<WasView>);

impl State {
    /// Notes a name given up.
    pub(crate) fn remember(&mut self, was: WasView) {
        let gone = &mut self.whowas.0;
        gone.push_front(was);
        gone.truncate(WHOWAS_MAX);
    }
}

impl Hub {
    /// The names given up that match `mask` (`*` and `?`, any case), newest first, at most
    /// `count` (0: all of them).
    pub fn whowas(&self, mask: &str, count: usize) -> Vec<WasView> {
        let state = self.lock();
        let matching = state
            .whowas
            .0
            .iter()
            .filter(|was| mask_matches(mask, was.name.as_str()));
        match count {
            0 => matching.cloned().collect(),
            n => matching.take(n).cloned().collect(),
        }
    }
}

//! What every connection of a server shares: the hub, the limits and the IRC settings.

use std::sync::Arc;

use confab_core::Hub;

use crate::adapter::irc::Settings;
use crate::config::Limits;

pub struct Shared {
    pub hub: Hub,
    pub limits: Limits,
    pub irc: Arc<Settings>,
}

//! What every connection of a server shares: the hub and the limits.

use confab_core::Hub;

use crate::config::Limits;

pub struct Shared {
    pub hub: Hub,
    pub limits: Limits,
}

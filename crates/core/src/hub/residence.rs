//! How a protocol lives in rooms: the two rules of the hub that depend on it, who may run
//! a room they create and what becomes of a user someone else puts out of their room.

/// Set when a session attaches, from its protocol; the core names no protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Residence {
    /// Any number of rooms, or none, with the commands to run one (IRC, the web page):
    /// the first member of a new room becomes its operator; put out, the user stays.
    #[default]
    Free,
    /// One room at a time, and a lobby to go back to (`rooms`): put out of the room, the
    /// user loses the name with it and is back in the lobby.
    Lobby,
    /// The one room is the whole conversation (`broadcast`): put out of it, the user is
    /// disconnected once told why.
    Fixed,
}

impl Residence {
    /// Whether the protocol has commands to run a room, so that making one an operator
    /// gives them something they can use.
    pub fn runs_rooms(self) -> bool {
        self == Residence::Free
    }
}

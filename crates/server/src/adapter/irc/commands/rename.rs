//! `RENAME <channel> <new channel> [:<reason>]` (IRCv3 `draft/channel-rename`): a
//! channel's operator (or a server operator in it) gives it a new name, keeping
//! everything else. Its members, the renamer too, see
//! `:nick!user@host RENAME <channel> <new channel> :<reason>` with the cap, or the
//! fallback (`renamed.rs`) without it. Refusals: `461` for an empty name, `403` for no
//! such channel, `442` not in it, `482` not its operator;
//! `FAIL RENAME CHANNEL_NAME_IN_USE <channel> <new> :...` for a name taken, and
//! `FAIL RENAME CANNOT_RENAME <channel> <new> :...` for a new name that is no channel name
//! (confab's channels are all `#`: any other prefix would change the channel's type) or
//! for the server's own channel (`#lobby`), which cannot be renamed nor named.

use bytes::BytesMut;
use confab_core::hub::RenameError;
use confab_core::Text;
use confab_proto::irc::{Message, Numeric};

use super::super::settings::KICK_LEN;
use super::super::IrcAdapter;
use super::{clip, room_name_of, room_of};
use crate::adapter::{Adapter, Context, Flow};

pub fn rename(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let (chan, new_chan) = (m.params[0], m.params[1]);
    if chan.is_empty() || new_chan.is_empty() {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["RENAME"]);
        return Flow::Continue;
    }
    let Some(room) = room_of(chan) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]);
        return Flow::Continue;
    };
    let Some(new) = room_name_of(new_chan) else {
        let text = format!("{new_chan} is not a valid channel name");
        return fail(me, "CANNOT_RENAME", (chan, new_chan), &text);
    };
    // A reason is kept as long as a kick's.
    let reason = m
        .param(2)
        .filter(|r| !r.is_empty())
        .map(|r| Text::new(clip(r, KICK_LEN)));
    match cx.hub.rename_room(cx.session, room, new, reason) {
        // The renamer is answered as the other members are told, in its own caps' form.
        Ok(Some(event)) => {
            let mut echo = BytesMut::new();
            me.render(&event, &mut echo);
            me.out.raw(&echo);
        }
        Ok(None) => {}
        Err(RenameError::NoSuchRoom(_)) => me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]),
        Err(RenameError::NotMember(shown)) => {
            me.out
                .num(Numeric::ERR_NOTONCHANNEL, &[&format!("#{shown}")]);
        }
        Err(RenameError::ChanOpNeeded(shown)) => {
            me.out
                .num(Numeric::ERR_CHANOPRIVSNEEDED, &[&format!("#{shown}")]);
        }
        Err(RenameError::NameInUse(_)) => {
            let text = "The channel name is already taken";
            return fail(me, "CHANNEL_NAME_IN_USE", (chan, new_chan), text);
        }
        Err(RenameError::ServerRoom(shown)) => {
            let text = format!("#{shown} belongs to the server and cannot be renamed");
            return fail(me, "CANNOT_RENAME", (chan, new_chan), &text);
        }
    }
    Flow::Continue
}

/// `FAIL RENAME <code> <channel> <new channel> :<text>`.
fn fail(me: &mut IrcAdapter, code: &str, (chan, new_chan): (&str, &str), text: &str) -> Flow {
    me.out
        .server_line("FAIL", &["RENAME", code, chan, new_chan, text]);
    Flow::Continue
}

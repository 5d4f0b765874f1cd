//! `JOIN <channel>{,<channel>} [<key>{,<key>}]` and `JOIN 0` (leave every channel).
//! A successful join answers with the JOIN itself, the topic and the names.

use confab_core::{HubError, Name};
use confab_proto::irc::{Message, Numeric};

use super::super::caps::{Cap, Caps};
use super::super::out::Out;
use super::super::IrcAdapter;
use super::names::send_names;
use super::topic::send_topic;
use super::{channel, list, room_name_of};
use crate::adapter::{Context, Flow};

pub fn join(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    if m.params[0] == "0" {
        for room in cx.hub.rooms_of(cx.session) {
            super::part::part_one(me, cx, &channel(&room), None);
        }
        return Flow::Continue;
    }
    let mut keys = m.param(1).map(|k| k.split(',')).into_iter().flatten();
    for chan in list(m.params[0]) {
        let key = keys.next().filter(|k| !k.is_empty());
        join_one(me, cx, chan, key);
    }
    Flow::Continue
}

fn join_one(me: &mut IrcAdapter, cx: &Context<'_>, chan: &str, key: Option<&str>) {
    let Some(room) = room_name_of(chan) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]);
        return;
    };
    let refusal = match cx.hub.join_with_key(cx.session, room, key) {
        Ok(shown) => return joined(me, cx, &shown),
        // Joining a channel one is in is not an error on IRC: nothing happens.
        Err(HubError::AlreadyMember(_)) => return,
        Err(HubError::Full(_)) => Numeric::ERR_CHANNELISFULL,
        Err(HubError::TooManyRooms(_)) => {
            tracing::info!(peer = %cx.peer, channel = chan, "too many channels: join refused");
            Numeric::ERR_TOOMANYCHANNELS
        }
        Err(HubError::InviteOnly(_)) => Numeric::ERR_INVITEONLYCHAN,
        Err(HubError::Banned(_)) => Numeric::ERR_BANNEDFROMCHAN,
        Err(HubError::BadKey(_)) => Numeric::ERR_BADCHANNELKEY,
        Err(_) => Numeric::ERR_NOSUCHCHANNEL,
    };
    me.out.num(refusal, &[chan]);
}

/// The client's own JOIN line (`mask` and real name its own), in the form the others got.
pub fn own_join(out: &mut Out, caps: Caps, (mask, realname): (&str, &str), chan: &str) {
    if caps.has(Cap::ExtendedJoin) {
        out.line(mask, "JOIN", &[chan, "*", realname]);
    } else {
        out.line(mask, "JOIN", &[chan]);
    }
}

/// The joiner's own JOIN (in the form the others got), then topic and names.
fn joined(me: &mut IrcAdapter, cx: &Context<'_>, room: &Name) {
    let chan = channel(room);
    let (mask, realname) = (me.mask(), me.realname.clone());
    own_join(&mut me.out, me.caps, (&mask, &realname), &chan);
    if let Some(view) = cx.hub.room_view(room.as_str()) {
        if let Some(topic) = &view.topic {
            send_topic(&mut me.out, &chan, topic);
        }
        send_names(me, &view);
    }
    super::markread::on_join(me, cx, room);
    me.out.num(Numeric::RPL_ENDOFNAMES, &[&chan]);
    super::metadata_subs::on_join(me, cx, room);
}

//! `TOPIC <channel> [:<topic>]`: ask for the topic (`332`+`333` or `331`), or set it
//! (`:` alone clears it); under `+t` only operators may set it.

use std::time::{Duration, UNIX_EPOCH};

use confab_core::hub::Topic;
use confab_core::{HubError, Text};
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::out::{unix_secs, Out};
use super::super::settings::TOPIC_LEN;
use super::super::IrcAdapter;
use super::{channel, clip, room_of};
use crate::adapter::{Context, Flow};

pub fn topic(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let chan = m.params[0];
    let Some(view) = room_of(chan).and_then(|room| cx.hub.room_view(room)) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[chan]);
        return Flow::Continue;
    };
    let chan = channel(&view.name);
    let Some(text) = m.param(1) else {
        let member = cx.hub.is_member(cx.session, view.name.as_str());
        if view.modes.secret && !member {
            me.out.num(Numeric::ERR_NOTONCHANNEL, &[&chan]);
        } else {
            match &view.topic {
                Some(topic) => send_topic(&mut me.out, &chan, topic),
                None => me.out.num(Numeric::RPL_NOTOPIC, &[&chan]),
            }
        }
        return Flow::Continue;
    };
    let text = clip(text, TOPIC_LEN);
    let topic = (!text.is_empty()).then(|| Text::new(text));
    match cx.hub.set_topic(cx.session, view.name.as_str(), topic) {
        Ok(msgid) => {
            // As history and `message-tags` recipients show it: its id and own time.
            let mask = me.mask();
            let tags = me
                .caps
                .has(Cap::MessageTags)
                .then(|| format!("msgid={msgid}"));
            let at = UNIX_EPOCH + Duration::from_millis(msgid.millis());
            me.out
                .line_tagged_at(at, tags.as_deref(), &mask, "TOPIC", &[&chan, text]);
        }
        Err(HubError::ChanOpNeeded(_)) => me.out.num(Numeric::ERR_CHANOPRIVSNEEDED, &[&chan]),
        Err(_) => me.out.num(Numeric::ERR_NOTONCHANNEL, &[&chan]),
    }
    Flow::Continue
}

/// `332 RPL_TOPIC` and `333 RPL_TOPICWHOTIME`.
pub fn send_topic(out: &mut Out, chan: &str, topic: &Topic) {
    out.num_text(Numeric::RPL_TOPIC, &[chan], topic.text.as_str());
    out.num(
        Numeric::RPL_TOPICWHOTIME,
        &[chan, &topic.set_by, &unix_secs(topic.set_at)],
    );
}

//! Channel `MODE <channel> [<modes> [<args>...]]`: ask for the modes (`324`, `329`), list
//! bans (`+b` alone: `367`s, `368`), ban exceptions (`+e` alone: `348`s, `349`), invite
//! exceptions (`+I` alone: `346`s, `347`) or mutes (`+q` alone: `728`s, `729`), or change
//! them (operators only): flags `Cimnst`, key `k`, limit `l`, slow mode `f`, bans `b`,
//! exceptions `e` and `I`, mutes `q` (masks and extbans as `extban.rs` reads them),
//! operator `o` and voice `v`. A nick as target is a user mode (`umode.rs`).

use confab_core::hub::RoomView;
use confab_core::name::NAME_MAX_CEILING;
use confab_core::{ChannelFlag, HubError, ModeChange, Name};
use confab_proto::irc::{Message, Numeric};

use super::super::out::unix_secs;
use super::super::settings::KEY_LEN;
use super::super::{extban, IrcAdapter};
use super::{channel, room_of};
use crate::adapter::irc::modes::{flag_letter, mode_string, parameter};
use crate::adapter::{Context, Flow};

pub fn mode(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let target = m.params[0];
    if !target.starts_with('#') {
        return super::umode::umode(me, cx, m);
    }
    let Some(view) = room_of(target).and_then(|room| cx.hub.room_view(room)) else {
        me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[target]);
        return Flow::Continue;
    };
    let chan = channel(&view.name);
    let Some(modes) = m.param(1) else {
        send_modes(me, cx, &view, &chan);
        return Flow::Continue;
    };
    let changes = parse_changes(me, &view, &chan, modes, &m.params[2..]);
    if changes.is_empty() {
        return Flow::Continue;
    }
    match cx.hub.change_modes(cx.session, view.name.as_str(), changes) {
        Ok(outcome) => {
            for (change, error) in outcome.refused {
                match error {
                    HubError::NoSuchUser(nick) => me.out.num(Numeric::ERR_NOSUCHNICK, &[&nick]),
                    HubError::UserNotInRoom { user, .. } => {
                        me.out.num(Numeric::ERR_USERNOTINCHANNEL, &[&user, &chan])
                    }
                    HubError::ListFull(_) => list_full(me, &chan, &change),
                    other => tracing::debug!(?change, %other, "mode change refused"),
                }
            }
            if !outcome.applied.is_empty() {
                let modes = mode_string(&outcome.applied);
                crate::audit::record(&me.out.client, "mode", &chan, &modes);
                let mut params = vec![chan.as_str()];
                params.extend(modes.split(' '));
                let mask = me.mask();
                me.out.line(&mask, "MODE", &params);
            }
        }
        Err(HubError::ChanOpNeeded(_)) => me.out.num(Numeric::ERR_CHANOPRIVSNEEDED, &[&chan]),
        Err(HubError::NotMember(_)) => me.out.num(Numeric::ERR_NOTONCHANNEL, &[&chan]),
        Err(_) => me.out.num(Numeric::ERR_NOSUCHCHANNEL, &[&chan]),
    }
    Flow::Continue
}

/// `478 <channel> <mask>`: a ban or exception list holds `MAXLIST` masks already.
fn list_full(me: &mut IrcAdapter, chan: &str, change: &ModeChange) {
    let text = match change {
        ModeChange::Ban { .. } => "Channel ban list is full",
        ModeChange::Except { .. } => "Channel exception list is full",
        ModeChange::Quiet { .. } => "Channel quiet list is full",
        ModeChange::QuietExcept { .. } => "Channel mute exception list is full",
        ModeChange::InviteExcept { .. } => "Channel invite exception list is full",
        _ => return,
    };
    let mask = parameter(change).unwrap_or_default();
    me.out
        .num_text(Numeric::ERR_BANLISTFULL, &[chan, &mask], text);
}

/// Reads `+mk-o key bob` into changes, answering what cannot be a change at once:
/// unknown letters (`472`), bad keys and limits (`696`), bad nicks (`401`); `+b` or `+e`
/// without a mask lists the bans or the exceptions.
/// A change to a list (`b`, `e`, `I`, `q`), or `696 ERR_INVALIDMODEPARAM` for a mask that
/// is not one (an extban without its argument).
fn list_mode(
    me: &mut IrcAdapter,
    chan: &str,
    letter: char,
    on: bool,
    mask: &str,
) -> Option<ModeChange> {
    let change = list_change(letter, on, mask);
    if change.is_none() {
        let mut buf = [0; 4];
        let letter = &*letter.encode_utf8(&mut buf);
        let params = [chan, letter, mask];
        me.out
            .num_text(Numeric::ERR_INVALIDMODEPARAM, &params, "Invalid mask");
    }
    change
}

fn parse_changes(
    me: &mut IrcAdapter,
    view: &RoomView,
    chan: &str,
    modes: &str,
    args: &[&str],
) -> Vec<ModeChange> {
    let mut args = args.iter().copied();
    let mut changes = Vec::new();
    let mut on = true;
    let mut listed = Vec::new();
    for letter in modes.chars() {
        let flag = |flag| Some(ModeChange::Flag { flag, on });
        let change = match letter {
            '+' | '-' => {
                on = letter == '+';
                None
            }
            'n' => flag(ChannelFlag::NoExternal),
            't' => flag(ChannelFlag::TopicLock),
            'm' => flag(ChannelFlag::Moderated),
            's' => flag(ChannelFlag::Secret),
            'i' => flag(ChannelFlag::InviteOnly),
            'C' => flag(ChannelFlag::NoCtcp),
            'b' | 'e' | 'I' | 'q' => match args.next() {
                Some(mask) => list_mode(me, chan, letter, on, mask),
                None => {
                    if !listed.contains(&letter) {
                        listed.push(letter);
                        send_list(me, view, chan, letter);
                    }
                    None
                }
            },
            'f' if on => slow_mode(me, chan, args.next()),
            'f' => Some(ModeChange::Slow(None)),
            'k' if on => key(me, chan, args.next()),
            // `-k` carries the key on the wire; any value (or none) removes it.
            'k' => {
                args.next();
                Some(ModeChange::Key(None))
            }
            'l' if on => limit(me, chan, args.next()),
            'l' => Some(ModeChange::Limit(None)),
            'o' | 'v' => args
                .next()
                .and_then(|nick| member_mode(me, letter, on, nick)),
            other => {
                let mut buf = [0; 4];
                me.out
                    .num(Numeric::ERR_UNKNOWNMODE, &[other.encode_utf8(&mut buf)]);
                None
            }
        };
        changes.extend(change);
    }
    changes
}

/// `+f SECONDS`, or `696` for an interval out of range.
fn slow_mode(me: &mut IrcAdapter, chan: &str, arg: Option<&str>) -> Option<ModeChange> {
    match arg.and_then(|a| a.parse::<u32>().ok()) {
        Some(seconds @ 1..=SLOW_MAX) => Some(ModeChange::Slow(Some(seconds))),
        _ => {
            me.out.num_text(
                Numeric::ERR_INVALIDMODEPARAM,
                &[chan, "f", "*"],
                "Invalid slow mode: seconds between messages, 1 to 3600",
            );
            None
        }
    }
}

/// `+k KEY`, or `696` for a key that cannot be one.
fn key(me: &mut IrcAdapter, chan: &str, arg: Option<&str>) -> Option<ModeChange> {
    match arg {
        Some(key) if is_valid_key(key) => Some(ModeChange::Key(Some(key.to_string()))),
        _ => {
            me.out.num_text(
                Numeric::ERR_INVALIDMODEPARAM,
                &[chan, "k", "*"],
                "Invalid key",
            );
            None
        }
    }
}

/// `+l LIMIT`, or `696` for a limit that is not a positive number.
fn limit(me: &mut IrcAdapter, chan: &str, arg: Option<&str>) -> Option<ModeChange> {
    match arg.and_then(|a| a.parse::<usize>().ok()).filter(|n| *n > 0) {
        Some(limit) => Some(ModeChange::Limit(Some(limit))),
        None => {
            let given = arg.filter(|a| !a.is_empty()).unwrap_or("*");
            me.out.num_text(
                Numeric::ERR_INVALIDMODEPARAM,
                &[chan, "l", given],
                "Invalid limit",
            );
            None
        }
    }
}

/// `+o NICK` or `+v NICK` (or `-`), or `401` for what cannot be a nick.
fn member_mode(me: &mut IrcAdapter, letter: char, on: bool, nick: &str) -> Option<ModeChange> {
    let Ok(who) = Name::parse(nick, NAME_MAX_CEILING) else {
        me.out.num(Numeric::ERR_NOSUCHNICK, &[nick]);
        return None;
    };
    Some(if letter == 'o' {
        ModeChange::Op { on, who }
    } else {
        ModeChange::Voice { on, who }
    })
}

/// The longest slow mode interval, in seconds: an hour.
const SLOW_MAX: u32 = 3600;

/// A change to the list of `letter`: bans (`b`), exceptions (`e`), invite exceptions
/// (`I`) or mutes (`q`); a ban's or an exception's `m:` extban is a mute or an exception
/// from mutes. `None` for a mask that names nobody (`a:` alone).
fn list_change(letter: char, on: bool, text: &str) -> Option<ModeChange> {
    let mute = matches!(letter, 'b' | 'e')
        .then(|| extban::strip(text, extban::MUTE))
        .flatten();
    let mask = extban::read(mute.unwrap_or(text))?;
    Some(match (letter, mute.is_some()) {
        ('b', false) => ModeChange::Ban { on, mask },
        ('e', false) => ModeChange::Except { on, mask },
        ('e', true) => ModeChange::QuietExcept { on, mask },
        ('I', _) => ModeChange::InviteExcept { on, mask },
        _ => ModeChange::Quiet { on, mask },
    })
}

/// RFC 2812's key: 1 to 23 printable ASCII characters, no spaces or commas.
fn is_valid_key(key: &str) -> bool {
    (1..=KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic() && b != b',')
}

/// `324 RPL_CHANNELMODEIS` (the key shown to members only) and `329 RPL_CREATIONTIME`.
fn send_modes(me: &mut IrcAdapter, cx: &Context<'_>, view: &RoomView, chan: &str) {
    let modes = &view.modes;
    let mut letters = String::from("+");
    let mut params: Vec<String> = Vec::new();
    for flag in [
        ChannelFlag::NoCtcp,
        ChannelFlag::InviteOnly,
        ChannelFlag::Moderated,
        ChannelFlag::NoExternal,
        ChannelFlag::Secret,
        ChannelFlag::TopicLock,
    ] {
        if modes.flag(flag) {
            letters.push(flag_letter(flag));
        }
    }
    if let Some(key) = &modes.key {
        letters.push('k');
        let member = cx.hub.is_member(cx.session, view.name.as_str());
        params.push(if member { key.clone() } else { "*".into() });
    }
    if let Some(seconds) = modes.slow {
        letters.push('f');
        params.push(seconds.to_string());
    }
    if let Some(limit) = modes.limit {
        letters.push('l');
        params.push(limit.to_string());
    }
    let mut all = vec![chan, letters.as_str()];
    all.extend(params.iter().map(String::as_str));
    me.out.num(Numeric::RPL_CHANNELMODEIS, &all);
    me.out.num(
        Numeric::RPL_CREATIONTIME,
        &[chan, &unix_secs(view.created_at)],
    );
}

/// Bans (`b`): `367 RPL_BANLIST` each, then `368 RPL_ENDOFBANLIST`; exceptions (`e`):
/// `348`, then `349`; invite exceptions (`I`): `346`, then `347`; mutes (`q`): `728
/// <chan> q <mask> ...` each, then `729 <chan> q`. The bans list the mutes after them as
/// `m:` extbans, and the exceptions the exceptions from mutes, for clients that know
/// mutes only as extbans.
fn send_list(me: &mut IrcAdapter, view: &RoomView, chan: &str, letter: char) {
    let (list, mutes, item, end) = match letter {
        'b' => (
            &view.bans,
            &view.quiets,
            Numeric::RPL_BANLIST,
            Numeric::RPL_ENDOFBANLIST,
        ),
        'e' => (
            &view.exceptions,
            &view.quiet_exceptions,
            Numeric::RPL_EXCEPTLIST,
            Numeric::RPL_ENDOFEXCEPTLIST,
        ),
        'I' => (
            &view.invite_exceptions,
            &Vec::new(),
            Numeric::RPL_INVEXLIST,
            Numeric::RPL_ENDOFINVEXLIST,
        ),
        _ => (
            &view.quiets,
            &Vec::new(),
            Numeric::RPL_QUIETLIST,
            Numeric::RPL_ENDOFQUIETLIST,
        ),
    };
    // The quiet list names its letter, as other servers' 728 and 729 do.
    let quiet = letter == 'q';
    let entries = list.iter().map(|e| (extban::write(&e.mask), e));
    let mutes = mutes.iter().map(|e| (extban::write_mute(&e.mask), e));
    for (mask, entry) in entries.chain(mutes) {
        let at = unix_secs(entry.set_at);
        let mut params = vec![chan];
        params.extend(quiet.then_some("q"));
        params.extend([mask.as_str(), entry.set_by.as_str(), at.as_str()]);
        me.out.num(item, &params);
    }
    let mut params = vec![chan];
    params.extend(quiet.then_some("q"));
    me.out.num(end, &params);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_short_word() {
        assert!(is_valid_key("beer"));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key(" "));
        assert!(!is_valid_key("pass phrase"));
        assert!(!is_valid_key(&"long".repeat(100)));
        assert!(!is_valid_key("a,b"));
    }
}

//! `BATCH +<ref> draft/multiline <target>` opens a multiline message, `BATCH -<ref>`
//! sends it (IRCv3 `draft/multiline`); the lines between are gathered by `multiline.rs`.
//! No other batch type may come from a client. Refusals are `FAIL BATCH <code>`.

use confab_core::MsgId;
use confab_proto::irc::{Message, Numeric};

use super::super::caps::Cap;
use super::super::multiline::{Fault, Gathered, Gathering, BATCH_TYPE};
use super::super::render_lines::Multiline;
use super::super::IrcAdapter;
use super::message::{client_tags, refusal_of_channel, refusal_of_nick, Refused};
use super::room_of;
use crate::adapter::{Context, Flow};

pub fn batch(me: &mut IrcAdapter, cx: &Context<'_>, m: &Message<'_>) -> Flow {
    let reference = m.param(0).unwrap_or("");
    if let Some(reference) = reference.strip_prefix('+') {
        open(me, m, reference);
    } else if let Some(reference) = reference.strip_prefix('-') {
        close(me, cx, reference);
    } else {
        fail(me, Fault::Invalid("A batch reference starts with + or -"));
    }
    Flow::Continue
}

/// `BATCH +<ref> draft/multiline <target>`: a new batch (one at a time).
fn open(me: &mut IrcAdapter, m: &Message<'_>, reference: &str) {
    let (Some(kind), Some(target)) = (m.param(1), m.param(2)) else {
        me.out.num(Numeric::ERR_NEEDMOREPARAMS, &["BATCH"]);
        return;
    };
    if reference.is_empty() || target.is_empty() {
        return fail(me, Fault::Invalid("A batch needs a reference and a target"));
    }
    if kind != BATCH_TYPE || !me.caps.has(Cap::Multiline) {
        return fail(
            me,
            Fault::Invalid("Only draft/multiline batches may be sent"),
        );
    }
    if me.seldom().multiline.take().is_some() {
        return fail(me, Fault::Invalid("A multiline batch is open already"));
    }
    // The label goes on the message's echo, not on this line's (empty) answer.
    let label = me.seldom().label.take();
    let tags = m.tags.and_then(client_tags);
    let gathering = Gathering::open(reference, target, label, tags);
    me.seldom().multiline = Some(Box::new(gathering));
}

/// `@batch=<ref> PRIVMSG <target> :<line>`: one line of the open batch.
pub fn line(me: &mut IrcAdapter, m: &Message<'_>, reference: &str) {
    let open = me.seldom().multiline.as_mut();
    let Some(open) = open.filter(|g| g.reference == reference) else {
        if let Some(open) = me.seldom().multiline.as_mut() {
            open.failed = true;
        }
        return fail(me, Fault::Invalid("No multiline batch with that reference"));
    };
    if open.failed {
        return;
    }
    if let Err(fault) = open.add(m) {
        open.failed = true;
        fail(me, fault);
    }
}

/// `BATCH -<ref>`: the batch is whole; send it.
fn close(me: &mut IrcAdapter, cx: &Context<'_>, reference: &str) {
    let open = me.seldom().multiline.take();
    let Some(open) = open.filter(|g| g.reference == reference) else {
        return fail(me, Fault::Invalid("No multiline batch with that reference"));
    };
    if open.failed {
        return;
    }
    match open.finish() {
        Ok(whole) => send(me, cx, whole),
        Err(fault) => fail(me, fault),
    }
}

/// Sends a whole batch as one message, and echoes it (with its label) when asked.
fn send(me: &mut IrcAdapter, cx: &Context<'_>, whole: Gathered) {
    if whole.label.is_some() {
        me.seldom().label = whole.label.clone();
    }
    let target = whole.target.as_str();
    let (lines, tone, tags) = (whole.lines.clone(), whole.tone, whole.client_tags.clone());
    let sent: Result<MsgId, Refused> = if target.starts_with('#') {
        match room_of(target) {
            Some(room) => cx
                .hub
                .say_lines(cx.session, room, lines, tone, tags)
                .map_err(refusal_of_channel),
            None => Err(Numeric::ERR_NOSUCHCHANNEL.into()),
        }
    } else {
        cx.hub
            .whisper_lines(cx.session, target, lines, tone, tags)
            .map_err(refusal_of_nick)
    };
    match sent {
        Ok(msgid) if me.caps.has(Cap::EchoMessage) => echo(me, &whole, msgid),
        Ok(_) => {}
        Err(refused) => refused.answer(me, target),
    }
}

/// The sender's own copy, as the others with its caps see it.
fn echo(me: &mut IrcAdapter, whole: &Gathered, msgid: MsgId) {
    let source = me.mask();
    let text = whole.lines.joined();
    let mut bytes = bytes::BytesMut::new();
    Multiline {
        source: &source,
        tone: whole.tone,
        target: &whole.target,
        text: &text,
        lines: &whole.lines,
        msgid,
        at: std::time::UNIX_EPOCH + std::time::Duration::from_millis(msgid.millis()),
        bot: me.bot,
        client_tags: whole.client_tags.as_ref(),
        account: None,
    }
    .render(me.caps, &mut bytes);
    me.out.raw(&bytes);
}

fn fail(me: &mut IrcAdapter, fault: Fault) {
    let params = fault.params();
    let mut all = vec!["BATCH"];
    all.extend(params.iter().map(String::as_str));
    me.out.server_line("FAIL", &all);
}

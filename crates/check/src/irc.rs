//! Scenarios for IRC (docs/irc.md, after RFC 2812): registration and the 001 welcome,
//! JOIN with the names list, PRIVMSG to a channel and to a nick, PART, QUIT seen by the
//! other member, error numerics (401, 403, 421, 461), and how many are on the server.
//! Server lines are parsed, not compared byte for byte: the server's name and the
//! numerics around the checked ones are the server's own.

use crate::guard::Occupancy;
use crate::ircmsg::Irc;
use crate::{scenario, Ctx, Failure, Protocol, Scenario};

pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Irc as P;
    vec![
        scenario!(
            P,
            "irc_registration_welcome",
            "docs/irc.md, Registration: NICK and USER, then 001 to the nick and the burst through 376 or 422; 433 for a taken nick; PING -> PONG",
            &[],
            registration_welcome
        ),
        scenario!(
            P,
            "irc_join_names",
            "docs/irc.md, Commands, JOIN: the JOIN echoed, 353 with the members, 366; the others see the JOIN",
            &[],
            join_names
        ),
        scenario!(
            P,
            "irc_privmsg",
            "docs/irc.md, Commands, PRIVMSG: to a channel (every other member, not the sender) and to a nick",
            &[],
            privmsg
        ),
        scenario!(
            P,
            "irc_part",
            "docs/irc.md, Commands, PART: echoed to the leaver and seen by the others with its reason",
            &[],
            part
        ),
        scenario!(
            P,
            "irc_quit_seen",
            "docs/irc.md, Commands, QUIT: ERROR to the leaver, then the close; QUIT with the reason to those who shared a channel",
            &[],
            quit_seen
        ),
        scenario!(
            P,
            "irc_error_numerics",
            "docs/irc.md, Registration and Commands: 401 no such nick, 403 no such channel, 421 unknown command, 461 not enough parameters",
            &[],
            error_numerics
        ),
    ]
}

/// Registers, checks a taken nick is refused, and PING is answered.
async fn registration_welcome(t: Ctx) -> Result<(), Failure> {
    // ann registers: 001 names her, and the burst ends with the MOTD (or 422).
    let ann = t.name("ann");
    let mut a = Irc::registered(t.addr, &ann).await?;
    // A second client asks for ANN (any case): 433, and it is not registered.
    let mut b = Irc::connect(t.addr, "second").await?;
    b.send(&format!("NICK {}", ann.to_uppercase())).await?;
    b.send("USER second 0 * :confab check").await?;
    b.expect("433", &["*", &ann.to_uppercase()]).await?;
    // It picks a free nick and completes registration.
    let bob = t.name("bob");
    b.send(&format!("NICK {bob}")).await?;
    b.expect("001", &[&bob]).await?;
    // PING with a token is answered by PONG carrying it.
    a.send("PING :check-token").await?;
    let pong = a.until(&["PONG"]).await?;
    if pong.params.last().map(String::as_str) != Some("check-token") {
        a.check(&pong, "PONG", &["<server>", "check-token"])?;
    }
    quit(a).await?;
    quit(b).await
}

/// JOIN answers the joiner with the JOIN and the names list; members see newcomers.
async fn join_names(t: Ctx) -> Result<(), Failure> {
    let chan = t.name("#joins");
    let mut a = Irc::registered(t.addr, &t.name("ann")).await?;
    let mut b = Irc::registered(t.addr, &t.name("bob")).await?;
    // ann joins a new channel: her own JOIN, then 353 naming her, then 366.
    a.send(&format!("JOIN {chan}")).await?;
    let (ann, bob) = (a.nick.clone(), b.nick.clone());
    a.expect_next_from(&ann, "JOIN", &[&chan]).await?;
    names_are(&mut a, &chan, &[&ann]).await?;
    // bob joins: ann sees his JOIN, and his list holds both.
    b.send(&format!("JOIN {chan}")).await?;
    b.expect_next_from(&bob, "JOIN", &[&chan]).await?;
    names_are(&mut b, &chan, &[&ann, &bob]).await?;
    a.expect_next_from(&bob, "JOIN", &[&chan]).await?;
    quit(b).await?;
    quit(a).await
}

/// Reads 353 lines up to 366 for `chan` and checks the nicks (prefixes like `@` apart).
async fn names_are(c: &mut Irc, chan: &str, nicks: &[&str]) -> Result<(), Failure> {
    let mut seen: Vec<String> = Vec::new();
    loop {
        let msg = c.until(&["353", "366"]).await?;
        if msg.command == "366" {
            c.check(&msg, "366", &[&c.nick.clone(), chan])?;
            break;
        }
        let last = msg.params.last().cloned().unwrap_or_default();
        let words = last.split(' ').filter(|w| !w.is_empty());
        seen.extend(words.map(|w| w.trim_start_matches(['@', '+', '%', '~', '&']).to_owned()));
    }
    let mut want: Vec<String> = nicks.iter().map(|n| n.to_ascii_lowercase()).collect();
    let mut got: Vec<String> = seen.iter().map(|n| n.to_ascii_lowercase()).collect();
    want.sort();
    got.sort();
    if want == got {
        return Ok(());
    }
    let step = format!("{}: 353 names of {chan}", c.nick);
    Err(Failure::new(
        step,
        want.join(" ").as_bytes(),
        got.join(" ").as_bytes(),
    ))
}

/// Two registered clients in a fresh channel, each having seen the other arrive.
async fn pair(t: &Ctx, chan: &str) -> Result<(Irc, Irc), Failure> {
    let mut a = Irc::registered(t.addr, &t.name("ann")).await?;
    let mut b = Irc::registered(t.addr, &t.name("bob")).await?;
    a.send(&format!("JOIN {chan}")).await?;
    a.expect("366", &[&a.nick.clone(), chan]).await?;
    b.send(&format!("JOIN {chan}")).await?;
    b.expect("366", &[&b.nick.clone(), chan]).await?;
    let bob = b.nick.clone();
    a.expect_next_from(&bob, "JOIN", &[chan]).await?;
    Ok((a, b))
}

/// A channel message reaches the other member only; a direct one reaches its nick.
async fn privmsg(t: Ctx) -> Result<(), Failure> {
    let chan = t.name("#talk");
    let (mut a, mut b) = pair(&t, &chan).await?;
    let (ann, bob) = (a.nick.clone(), b.nick.clone());
    // ann speaks in the channel: bob gets it with her prefix.
    a.send(&format!("PRIVMSG {chan} :hello channel")).await?;
    b.expect_next_from(&ann, "PRIVMSG", &[&chan, "hello channel"])
        .await?;
    // bob writes to ann directly; her next message is it, so her own line was not echoed.
    b.send(&format!("PRIVMSG {ann} :just you")).await?;
    a.expect_next_from(&bob, "PRIVMSG", &[&ann, "just you"])
        .await?;
    quit(b).await?;
    quit(a).await
}

/// PART is echoed to the leaver and shown to the others with its reason.
async fn part(t: Ctx) -> Result<(), Failure> {
    let chan = t.name("#parts");
    let (mut a, mut b) = pair(&t, &chan).await?;
    let bob = b.nick.clone();
    b.send(&format!("PART {chan} :see you")).await?;
    b.expect_next_from(&bob, "PART", &[&chan]).await?;
    a.expect_next_from(&bob, "PART", &[&chan, "see you"])
        .await?;
    // bob is no longer a member: ann's channel message does not reach him, and his
    // next message is ann's direct one.
    let ann = a.nick.clone();
    a.send(&format!("PRIVMSG {chan} :bob is gone")).await?;
    a.send(&format!("PRIVMSG {bob} :still there?")).await?;
    b.expect_next_from(&ann, "PRIVMSG", &[&bob, "still there?"])
        .await?;
    quit(b).await?;
    quit(a).await
}

/// QUIT closes the leaver's connection and is shown to who shared a channel.
async fn quit_seen(t: Ctx) -> Result<(), Failure> {
    let chan = t.name("#quits");
    let (mut a, mut b) = pair(&t, &chan).await?;
    let bob = b.nick.clone();
    b.send("QUIT :off to lunch").await?;
    b.until(&["ERROR"]).await?;
    b.wire.expect_closed().await?;
    let msg = a.expect_next_from(&bob, "QUIT", &[]).await?;
    // The reason is carried (servers may put `Quit: ` before it).
    if !msg.param(0).ends_with("off to lunch") {
        a.check(&msg, "QUIT", &["off to lunch"])?;
    }
    quit(a).await
}

/// The error numerics, each naming the client and what it got wrong.
async fn error_numerics(t: Ctx) -> Result<(), Failure> {
    let mut a = Irc::registered(t.addr, &t.name("ann")).await?;
    let me = a.nick.clone();
    let (nobody, nochan) = (t.name("nobody"), t.name("#nochan"));
    // 401: a message to a nick nobody has.
    a.send(&format!("PRIVMSG {nobody} :hi")).await?;
    a.expect("401", &[&me, &nobody]).await?;
    // 403: parting a channel that does not exist.
    a.send(&format!("PART {nochan}")).await?;
    a.expect("403", &[&me, &nochan]).await?;
    // 461: JOIN without a channel.
    a.send("JOIN").await?;
    a.expect("461", &[&me, "JOIN"]).await?;
    // 421: a command nobody defined.
    a.send("FROBNICATE now").await?;
    a.expect("421", &[&me, "FROBNICATE"]).await?;
    // The connection goes on.
    a.send("PING :after-errors").await?;
    a.until(&["PONG"]).await?;
    quit(a).await
}

/// QUIT and wait for the close.
async fn quit(mut c: Irc) -> Result<(), Failure> {
    c.send("QUIT :done").await?;
    c.wire.expect_closed_after_anything().await
}

/// Registers a probe and reads LUSERS' 251 (users and invisible users) from the burst:
/// more than the probe means someone else is connected. Nobody sees the probe.
pub(crate) async fn occupancy(t: &Ctx) -> Result<Occupancy, Failure> {
    let probe = t.name("check");
    let mut c = Irc::connect(t.addr, &probe).await?;
    c.send(&format!("NICK {probe}")).await?;
    c.send(&format!("USER {probe} 0 * :confab check")).await?;
    c.send("LUSERS").await?;
    let msg = c.until(&["251"]).await?;
    let text = msg.params.last().cloned().unwrap_or_default();
    let _ = quit(c).await;
    // "There are N users and M invisible on S servers".
    let numbers: Vec<usize> = text.split(' ').filter_map(|w| w.parse().ok()).collect();
    Ok(match numbers.as_slice() {
        [users, invisible, ..] if users + invisible <= 1 => Occupancy::Quiet,
        [users, invisible, ..] => Occupancy::InUse(format!(
            "LUSERS counts {} users besides the checker",
            users + invisible - 1
        )),
        _ => Occupancy::Unknown(format!("LUSERS answered {text:?}")),
    })
}

//! Scenarios for `rooms` (seed 003): `/list`, `/join`, `/nick` and their numeric replies,
//! the joined and left notices, chat relayed to the room, `/who`, `/logout`, the
//! server's `* ` notices, and robustness.

use crate::wire::{garbage, Wire, DEFAULT_TIMEOUT};
use crate::{scenario, Failure, Protocol, Scenario};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Rooms as P;
    vec![
        scenario!(
            P,
            "rooms_list_and_join_replies",
            "docs/protocols/rooms.md: `/list`, `/join ROOM` -> `0` or `1`, `/who` outside a room",
            list_and_join_replies
        ),
        scenario!(
            P,
            "rooms_nick_replies_and_joined_notice",
            "docs/protocols/rooms.md: `/nick NAME` -> `0`, `1` or `2` (unique server-wide), `* bob joined`",
            nick_replies_and_joined_notice
        ),
        scenario!(
            P,
            "rooms_chat_relay_and_who",
            "docs/protocols/rooms.md: chat relayed to everyone else in the room as `NAME: text`; `/who` with the count first",
            chat_relay_and_who
        ),
        scenario!(
            P,
            "rooms_logout_and_left_notice",
            "docs/protocols/rooms.md: `/logout` removes the user and closes; `* bob left`",
            logout_and_left_notice
        ),
        scenario!(
            P,
            "rooms_room_shows_in_list",
            "docs/protocols/rooms.md: `/list`; a room empties and disappears when its last member leaves",
            room_shows_in_list
        ),
        scenario!(
            P,
            "rooms_notices",
            "docs/protocols/rooms.md: the server's `* ` notices (join first, nickname first, unknown command, not UTF-8, over 1024 bytes)",
            notices
        ),
        scenario!(
            P,
            "rooms_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            robustness
        ),
    ]
}

/// Sends `line` and expects the one-line reply `reply`.
async fn ask(c: &mut Wire, line: &str, reply: &str) -> Result<(), Failure> {
    c.send_line(line.as_bytes()).await?;
    c.expect_line(reply.as_bytes()).await
}

/// Connects, joins `room` and takes the nickname `nick` (the client is labelled by it).
async fn member(addr: SocketAddr, room: &str, nick: &str) -> Result<Wire, Failure> {
    let mut c = Wire::connect(addr, nick).await?;
    ask(&mut c, &format!("/join {room}"), "0").await?;
    ask(&mut c, &format!("/nick {nick}"), "0").await?;
    Ok(c)
}

/// `/logout`, then waits until the server has closed the connection.
async fn logout(mut c: Wire) -> Result<(), Failure> {
    c.send_line(b"/logout").await?;
    c.expect_closed().await
}

/// Expects one `NOTICE` line on every client of `others`.
async fn all_expect(others: &mut [&mut Wire], line: &str) -> Result<(), Failure> {
    for c in others.iter_mut() {
        c.expect_line(line.as_bytes()).await?;
    }
    Ok(())
}

/// Sends `/list` and reads the count line and that many room names.
async fn room_list(c: &mut Wire) -> Result<Vec<Vec<u8>>, Failure> {
    c.send_line(b"/list").await?;
    let count = c.read_line().await?;
    let Some(n) = std::str::from_utf8(&count)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    else {
        let step = format!("{}: /list (a count line)", c.label());
        return Err(Failure::new(step, b"<count>\n", &count));
    };
    let mut rooms = Vec::with_capacity(n.min(1000));
    for _ in 0..n {
        rooms.push(c.read_line().await?);
    }
    Ok(rooms)
}

/// Asks `/list` until `room` is (or is not) among the rooms: a room disappearing after
/// its last member vanished is noticed by the server asynchronously.
async fn eventually_listed(c: &mut Wire, room: &str, present: bool) -> Result<(), Failure> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let rooms = room_list(c).await?;
        if rooms.iter().any(|r| r == room.as_bytes()) == present {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let what = if present { "among" } else { "gone from" };
            let step = format!("{}: /list until room {room} is {what} the rooms", c.label());
            return Err(Failure::new(step, room.as_bytes(), &rooms.join(&b'\n')));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `/list` in the lobby, `/who` outside a room, and `/join`'s replies.
async fn list_and_join_replies(addr: SocketAddr) -> Result<(), Failure> {
    let mut ann = Wire::connect(addr, "ann").await?;
    let mut ben = Wire::connect(addr, "ben").await?;
    // /list answers a count and that many names (0 on a quiet server).
    room_list(&mut ann).await?;
    // /who outside a room: 0.
    ask(&mut ann, "/who", "0").await?;
    // /join with a missing, a bad, or a too long (33 characters) room name: 1.
    ask(&mut ann, "/join", "1").await?;
    ask(&mut ann, "/join bad name!", "1").await?;
    ask(&mut ann, &format!("/join {}", "r".repeat(33)), "1").await?;
    // /join a new room, then a second client joins the same room: 0 both.
    ask(&mut ann, "/join joinroom", "0").await?;
    ask(&mut ben, "/join joinroom", "0").await?;
    // Both take nicknames; ann sees ben arrive.
    ask(&mut ann, "/nick ann", "0").await?;
    ask(&mut ben, "/nick ben", "0").await?;
    ann.expect_line(b"* ben joined").await?;
    // ben leaves, ann sees it, then ann leaves.
    logout(ben).await?;
    ann.expect_line(b"* ben left").await?;
    logout(ann).await
}

/// `/nick`'s replies, names unique server-wide, and `* NAME joined` to the room only.
async fn nick_replies_and_joined_notice(addr: SocketAddr) -> Result<(), Failure> {
    // bo joins a room; /nick missing or bad: 1; then bo.
    let mut bo = Wire::connect(addr, "bo").await?;
    ask(&mut bo, "/join nickroom", "0").await?;
    ask(&mut bo, "/nick", "1").await?;
    ask(&mut bo, "/nick bad!", "1").await?;
    ask(&mut bo, "/nick 9lives", "1").await?;
    ask(&mut bo, "/nick bo", "0").await?;
    // In another room, BO is taken (server-wide, case-insensitive): 2.
    let mut dora = Wire::connect(addr, "dora").await?;
    ask(&mut dora, "/join otherroom", "0").await?;
    ask(&mut dora, "/nick BO", "2").await?;
    // In the same room, Bo is taken too; cleo is free and bo sees her arrive.
    let mut cleo = Wire::connect(addr, "cleo").await?;
    ask(&mut cleo, "/join nickroom", "0").await?;
    ask(&mut cleo, "/nick Bo", "2").await?;
    ask(&mut cleo, "/nick cleo", "0").await?;
    bo.expect_line(b"* cleo joined").await?;
    // dora takes her nickname in the other room; nobody in nickroom hears of it.
    ask(&mut dora, "/nick dora", "0").await?;
    // Chat in nickroom reaches cleo; bo's next line shows he got no notice about dora.
    bo.send_line(b"hi all").await?;
    cleo.expect_line(b"bo: hi all").await?;
    cleo.send_line(b"hi bo").await?;
    bo.expect_line(b"cleo: hi bo").await?;
    // dora, alone in otherroom, heard none of it.
    dora.expect_silence(Duration::from_millis(200)).await?;
    // Everyone leaves; bo sees cleo go.
    logout(cleo).await?;
    bo.expect_line(b"* cleo left").await?;
    logout(bo).await?;
    logout(dora).await
}

/// Chat goes to everyone else in the room, never back to the sender; `/who`.
async fn chat_relay_and_who(addr: SocketAddr) -> Result<(), Failure> {
    // dan, eve and fay join in that order; each earlier member sees each later one.
    let mut dan = member(addr, "chatroom", "dan").await?;
    let mut eve = member(addr, "chatroom", "eve").await?;
    dan.expect_line(b"* eve joined").await?;
    let mut fay = member(addr, "chatroom", "fay").await?;
    all_expect(&mut [&mut dan, &mut eve], "* fay joined").await?;
    // dan's line reaches eve and fay.
    dan.send_line(b"hello room").await?;
    all_expect(&mut [&mut eve, &mut fay], "dan: hello room").await?;
    // eve's line ends in \r\n; the \r is dropped. dan's next line is eve's, so dan's
    // own line was not echoed to him.
    eve.send(b"hi dan\r\n").await?;
    all_expect(&mut [&mut dan, &mut fay], "eve: hi dan").await?;
    // fay asks /who: the count, then the nicknames in join order.
    fay.send_line(b"/who").await?;
    fay.expect(b"3\ndan\neve\nfay\n").await?;
    // fay speaks; her next line is dan's, so she got no echo of her own.
    fay.send_line(b"bye all").await?;
    all_expect(&mut [&mut dan, &mut eve], "fay: bye all").await?;
    dan.send_line(b"bye fay").await?;
    all_expect(&mut [&mut eve, &mut fay], "dan: bye fay").await?;
    // Everyone leaves, each departure seen by those who remain.
    logout(fay).await?;
    all_expect(&mut [&mut dan, &mut eve], "* fay left").await?;
    logout(eve).await?;
    dan.expect_line(b"* eve left").await?;
    logout(dan).await
}

/// `/logout` closes the connection and the others get `* NAME left`.
async fn logout_and_left_notice(addr: SocketAddr) -> Result<(), Failure> {
    let mut gil = member(addr, "byeroom", "gil").await?;
    let hal = member(addr, "byeroom", "hal").await?;
    gil.expect_line(b"* hal joined").await?;
    // hal logs out: his connection closes, gil is told.
    logout(hal).await?;
    gil.expect_line(b"* hal left").await?;
    // gil is alone in the room now.
    ask(&mut gil, "/who", "1").await?;
    gil.expect_line(b"gil").await?;
    // The nickname hal is free again.
    let hal = member(addr, "byeroom", "hal").await?;
    gil.expect_line(b"* hal joined").await?;
    logout(hal).await?;
    gil.expect_line(b"* hal left").await?;
    logout(gil).await
}

/// A room with a member shows in `/list`; it disappears with its last member.
async fn room_shows_in_list(addr: SocketAddr) -> Result<(), Failure> {
    // jay joins listroom and takes a nickname (confab lists rooms that have members).
    let jay = member(addr, "listroom", "jay").await?;
    // kit, in the lobby, sees the room.
    let mut kit = Wire::connect(addr, "kit").await?;
    eventually_listed(&mut kit, "listroom", true).await?;
    // jay leaves; the room disappears.
    logout(jay).await?;
    eventually_listed(&mut kit, "listroom", false).await?;
    // kit, still in the lobby, holds nothing: a close suffices.
    kit.close().await;
    Ok(())
}

/// The server's `* ` notices, each to the sender only, and the connection goes on.
async fn notices(addr: SocketAddr) -> Result<(), Failure> {
    let mut kim = Wire::connect(addr, "kim").await?;
    // Chat in the lobby.
    ask(&mut kim, "hello", "* join a room first: /join ROOM").await?;
    // An unknown command in the lobby.
    ask(&mut kim, "/foo", "* unknown command /foo").await?;
    // Chat in a room before a nickname.
    ask(&mut kim, "/join noticeroom", "0").await?;
    ask(&mut kim, "hello", "* choose a nickname first: /nick NAME").await?;
    ask(&mut kim, "/nick kim", "0").await?;
    let mut lia = member(addr, "noticeroom", "lia").await?;
    kim.expect_line(b"* lia joined").await?;
    // A line that is not UTF-8.
    kim.send_line(b"caf\xc3 \xff").await?;
    kim.expect_line(b"* line is not UTF-8, dropped").await?;
    // An unknown command with an argument, in a room.
    ask(&mut kim, "/foo bar", "* unknown command /foo").await?;
    // A 3000-byte line: one notice, and the next line works.
    kim.send_line(&[b'x'; 3000]).await?;
    kim.expect_line(b"* line over 1024 bytes dropped").await?;
    kim.send_line(b"after").await?;
    lia.expect_line(b"kim: after").await?;
    // 1025 bytes is over; exactly 1024 is relayed whole.
    kim.send_line(&[b'x'; 1025]).await?;
    kim.expect_line(b"* line over 1024 bytes dropped").await?;
    kim.send_line(&[b'y'; 1024]).await?;
    let mut relayed = b"kim: ".to_vec();
    relayed.extend_from_slice(&[b'y'; 1024]);
    lia.expect_line(&relayed).await?;
    // kim got nothing else: his next line is lia's.
    lia.send_line(b"ok").await?;
    kim.expect_line(b"lia: ok").await?;
    logout(lia).await?;
    kim.expect_line(b"* lia left").await?;
    logout(kim).await
}

/// Garbage, half a line then EOF, a reset mid-line; then the others still work exactly.
async fn robustness(addr: SocketAddr) -> Result<(), Failure> {
    // nia watches in robroom the whole time.
    let mut nia = member(addr, "robroom", "nia").await?;
    // Random garbage from the lobby, then a close: only its sender could get replies.
    let mut junk = Wire::connect(addr, "garbage").await?;
    junk.send(&garbage(0x5eed_0003, 4096)).await?;
    junk.close().await;
    // A member sends garbage (its relays to nia are unpredictable) and half a line,
    // then EOF: nia sees, after whatever, that it left.
    let mut gab = member(addr, "robroom", "gab").await?;
    nia.expect_line(b"* gab joined").await?;
    gab.send(&garbage(0x5eed_0004, 2048)).await?;
    gab.send(b"\nhalf a li").await?;
    gab.close().await;
    nia.skip_until(b"* gab left\n").await?;
    // A member resets in the middle of a line: nothing of it is relayed.
    let mut mia = member(addr, "robroom", "mia").await?;
    nia.expect_line(b"* mia joined").await?;
    mia.send(b"never finish").await?;
    mia.reset();
    nia.expect_line(b"* mia left").await?;
    // nia and a newcomer talk exactly.
    let mut ole = member(addr, "robroom", "ole").await?;
    nia.expect_line(b"* ole joined").await?;
    nia.send_line(b"still fine").await?;
    ole.expect_line(b"nia: still fine").await?;
    ole.send_line(b"good").await?;
    nia.expect_line(b"ole: good").await?;
    ask(&mut ole, "/who", "2").await?;
    ole.expect(b"nia\nole\n").await?;
    logout(ole).await?;
    nia.expect_line(b"* ole left").await?;
    logout(nia).await
}

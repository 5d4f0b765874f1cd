//! Scenarios for `rooms` (seed 003): `/list`, `/join`, `/nick` and their numeric replies,
//! the joined and left notices, chat relayed to the room, `/who`, `/logout`, the
//! server's `* ` notices, and robustness.

use crate::guard::Occupancy;
use crate::wire::{garbage, Wire, DEFAULT_TIMEOUT};
use crate::{quotes, scenario, Ctx, Failure, Protocol, Scenario};
use std::time::Duration;
use tokio::time::Instant;

pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Rooms as P;
    vec![
        scenario!(
            P,
            "rooms_list_and_join_replies",
            "docs/protocols/rooms.md: `/list`, `/join ROOM` -> `0` or `1`, `/who` outside a room",
            quotes![
                S003: "Ask for a list of rooms. To do this, send \"/list\" to the server. It will then send you back an integer giving the number of existing chat rooms. Next it will send you the names of them all.",
                S003: "Join a room. To do this, send \"/join ROOM\" where ROOM is the name of the chat room you wish to join. This can be an existing room, or a new one. The server will send you a \"0\" to indicate that this was successful, or a \"1\" to indicate that your request was not formatted correctly.",
                S003: "This can be done by sending \"/nick NAME\" to the server where NAME is the nickname the user has chosen. The server will send \"0\" to indicate success"
            ],
            list_and_join_replies
        ),
        scenario!(
            P,
            "rooms_nick_replies_and_joined_notice",
            "docs/protocols/rooms.md: `/nick NAME` -> `0`, `1` or `2` (unique server-wide), `* bob joined`",
            &[],
            nick_replies_and_joined_notice
        ),
        scenario!(
            P,
            "rooms_chat_relay_and_who",
            "docs/protocols/rooms.md: chat relayed to everyone else in the room as `NAME: text`; `/who` with the count first",
            &[],
            chat_relay_and_who
        ),
        scenario!(
            P,
            "rooms_logout_and_left_notice",
            "docs/protocols/rooms.md: `/logout` removes the user and closes; `* bob left`",
            &[],
            logout_and_left_notice
        ),
        scenario!(
            P,
            "rooms_room_shows_in_list",
            "docs/protocols/rooms.md: `/list`; a room empties and disappears when its last member leaves",
            &[],
            room_shows_in_list
        ),
        scenario!(
            P,
            "rooms_notices",
            "docs/protocols/rooms.md: the server's `* ` notices (join first, nickname first, unknown command, not UTF-8, over 1024 bytes)",
            &[],
            notices
        ),
        scenario!(
            P,
            "rooms_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            &[],
            robustness
        ),
    ]
}

/// Sends `line` and expects the one-line reply `reply`.
async fn ask(c: &mut Wire, line: &str, reply: &str) -> Result<(), Failure> {
    c.send_line(line.as_bytes()).await?;
    c.expect_line(reply.as_bytes()).await
}

/// Connects, joins this run's `room` and takes the nickname `nick` (both suffixed; the
/// client is labelled by the nickname).
async fn member(t: &Ctx, room: &str, nick: &str) -> Result<Wire, Failure> {
    let (room, nick) = (t.name(room), t.name(nick));
    let mut c = Wire::connect(t.addr, &nick).await?;
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

/// Expects `* NAME joined` on every client of `others`.
async fn all_see_join(others: &mut [&mut Wire], name: &str) -> Result<(), Failure> {
    all_expect(others, &format!("* {name} joined")).await
}

/// `/logout` of `leaver`, known as `name`; every client of `others` gets `* NAME left`.
async fn logout_seen(leaver: Wire, name: &str, others: &mut [&mut Wire]) -> Result<(), Failure> {
    logout(leaver).await?;
    all_expect(others, &format!("* {name} left")).await
}

/// `speaker`, known as `name`, says `text`; every client of `others` gets `NAME: text`.
async fn say(
    speaker: &mut Wire,
    name: &str,
    text: &str,
    others: &mut [&mut Wire],
) -> Result<(), Failure> {
    speaker.send_line(text.as_bytes()).await?;
    all_expect(others, &format!("{name}: {text}")).await
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

/// `/list` in the lobby, `/who` outside a room, and `/join`'s replies. Graded against
/// seed 003, the steps only confab asks for (`/who` outside a room, the 32-character
/// limit, the joined notice) are left out.
async fn list_and_join_replies(t: Ctx) -> Result<(), Failure> {
    let (room, ann_name, ben_name) = (t.name("joinroom"), t.name("ann"), t.name("ben"));
    let mut ann = Wire::connect(t.addr, &ann_name).await?;
    let mut ben = Wire::connect(t.addr, &ben_name).await?;
    // /list answers a count and that many names (0 on a quiet server).
    room_list(&mut ann).await?;
    if t.all_rules() {
        // /who outside a room: 0.
        ask(&mut ann, "/who", "0").await?;
    }
    // /join with a missing or a bad room name: 1.
    ask(&mut ann, "/join", "1").await?;
    ask(&mut ann, "/join bad name!", "1").await?;
    if t.all_rules() {
        // A room name over 32 characters: 1.
        ask(&mut ann, &format!("/join {}", "r".repeat(33)), "1").await?;
    }
    // /join a new room, then a second client joins the same room: 0 both.
    ask(&mut ann, &format!("/join {room}"), "0").await?;
    ask(&mut ben, &format!("/join {room}"), "0").await?;
    // Both take nicknames; ann sees ben arrive.
    ask(&mut ann, &format!("/nick {ann_name}"), "0").await?;
    ask(&mut ben, &format!("/nick {ben_name}"), "0").await?;
    if t.all_rules() {
        all_see_join(&mut [&mut ann], &ben_name).await?;
        // ben leaves, ann sees it, then ann leaves.
        logout_seen(ben, &ben_name, &mut [&mut ann]).await?;
        logout(ann).await
    } else {
        // The joined and left notices are confab's: whatever ann was told, she leaves.
        logout(ben).await?;
        ann.send_line(b"/logout").await?;
        ann.expect_closed_after_anything().await
    }
}

/// `/nick`'s replies, names unique server-wide, and `* NAME joined` to the room only.
async fn nick_replies_and_joined_notice(t: Ctx) -> Result<(), Failure> {
    let (nickroom, otherroom) = (t.name("nickroom"), t.name("otherroom"));
    let (bo_name, dora_name, cleo_name) = (t.name("bo"), t.name("dora"), t.name("cleo"));
    // bo joins a room; /nick missing or bad: 1; then bo.
    let mut bo = Wire::connect(t.addr, &bo_name).await?;
    ask(&mut bo, &format!("/join {nickroom}"), "0").await?;
    ask(&mut bo, "/nick", "1").await?;
    ask(&mut bo, "/nick bad!", "1").await?;
    ask(&mut bo, "/nick 9lives", "1").await?;
    ask(&mut bo, &format!("/nick {bo_name}"), "0").await?;
    // In another room, BO is taken (server-wide, case-insensitive): 2.
    let mut dora = Wire::connect(t.addr, &dora_name).await?;
    ask(&mut dora, &format!("/join {otherroom}"), "0").await?;
    ask(&mut dora, &format!("/nick {}", bo_name.to_uppercase()), "2").await?;
    // In the same room, Bo is taken too; cleo is free and bo sees her arrive.
    let mut cleo = Wire::connect(t.addr, &cleo_name).await?;
    ask(&mut cleo, &format!("/join {nickroom}"), "0").await?;
    let capital = format!("B{}", &bo_name[1..]);
    ask(&mut cleo, &format!("/nick {capital}"), "2").await?;
    ask(&mut cleo, &format!("/nick {cleo_name}"), "0").await?;
    all_see_join(&mut [&mut bo], &cleo_name).await?;
    // dora takes her nickname in the other room; nobody in nickroom hears of it.
    ask(&mut dora, &format!("/nick {dora_name}"), "0").await?;
    // Chat in nickroom reaches cleo; bo's next line shows he got no notice about dora.
    say(&mut bo, &bo_name, "hi all", &mut [&mut cleo]).await?;
    say(&mut cleo, &cleo_name, "hi bo", &mut [&mut bo]).await?;
    // dora, alone in otherroom, heard none of it.
    dora.expect_silence(Duration::from_millis(200)).await?;
    // Everyone leaves; bo sees cleo go.
    logout_seen(cleo, &cleo_name, &mut [&mut bo]).await?;
    logout(bo).await?;
    logout(dora).await
}

/// Chat goes to everyone else in the room, never back to the sender; `/who`.
async fn chat_relay_and_who(t: Ctx) -> Result<(), Failure> {
    let (dan_n, eve_n, fay_n) = (t.name("dan"), t.name("eve"), t.name("fay"));
    // dan, eve and fay join in that order; each earlier member sees each later one.
    let mut dan = member(&t, "chatroom", "dan").await?;
    let mut eve = member(&t, "chatroom", "eve").await?;
    all_see_join(&mut [&mut dan], &eve_n).await?;
    let mut fay = member(&t, "chatroom", "fay").await?;
    all_see_join(&mut [&mut dan, &mut eve], &fay_n).await?;
    // dan's line reaches eve and fay.
    say(&mut dan, &dan_n, "hello room", &mut [&mut eve, &mut fay]).await?;
    // eve's line ends in \r\n; the \r is dropped. dan's next line is eve's, so dan's
    // own line was not echoed to him.
    eve.send(b"hi dan\r\n").await?;
    all_expect(&mut [&mut dan, &mut fay], &format!("{eve_n}: hi dan")).await?;
    // fay asks /who: the count, then the nicknames in join order.
    fay.send_line(b"/who").await?;
    fay.expect(format!("3\n{dan_n}\n{eve_n}\n{fay_n}\n").as_bytes())
        .await?;
    // fay speaks; her next line is dan's, so she got no echo of her own.
    say(&mut fay, &fay_n, "bye all", &mut [&mut dan, &mut eve]).await?;
    say(&mut dan, &dan_n, "bye fay", &mut [&mut eve, &mut fay]).await?;
    // Everyone leaves, each departure seen by those who remain.
    logout_seen(fay, &fay_n, &mut [&mut dan, &mut eve]).await?;
    logout_seen(eve, &eve_n, &mut [&mut dan]).await?;
    logout(dan).await
}

/// `/logout` closes the connection and the others get `* NAME left`.
async fn logout_and_left_notice(t: Ctx) -> Result<(), Failure> {
    let (gil_n, hal_n) = (t.name("gil"), t.name("hal"));
    let mut gil = member(&t, "byeroom", "gil").await?;
    let hal = member(&t, "byeroom", "hal").await?;
    all_see_join(&mut [&mut gil], &hal_n).await?;
    // hal logs out: his connection closes, gil is told.
    logout_seen(hal, &hal_n, &mut [&mut gil]).await?;
    // gil is alone in the room now.
    ask(&mut gil, "/who", "1").await?;
    gil.expect_line(gil_n.as_bytes()).await?;
    // The nickname hal is free again.
    let hal = member(&t, "byeroom", "hal").await?;
    all_see_join(&mut [&mut gil], &hal_n).await?;
    logout_seen(hal, &hal_n, &mut [&mut gil]).await?;
    logout(gil).await
}

/// A room with a member shows in `/list`; it disappears with its last member.
async fn room_shows_in_list(t: Ctx) -> Result<(), Failure> {
    let room = t.name("listroom");
    // jay joins listroom and takes a nickname (confab lists rooms that have members).
    let jay = member(&t, "listroom", "jay").await?;
    // kit, in the lobby, sees the room.
    let mut kit = Wire::connect(t.addr, "kit").await?;
    eventually_listed(&mut kit, &room, true).await?;
    // jay leaves; the room disappears.
    logout(jay).await?;
    eventually_listed(&mut kit, &room, false).await?;
    // kit, still in the lobby, holds nothing: a close suffices.
    kit.close().await;
    Ok(())
}

/// The server's `* ` notices, each to the sender only, and the connection goes on.
async fn notices(t: Ctx) -> Result<(), Failure> {
    let (room, kim_n, lia_n) = (t.name("noticeroom"), t.name("kim"), t.name("lia"));
    let mut kim = Wire::connect(t.addr, &kim_n).await?;
    // Chat in the lobby.
    ask(&mut kim, "hello", "* join a room first: /join ROOM").await?;
    // An unknown command in the lobby.
    ask(&mut kim, "/foo", "* unknown command /foo").await?;
    // Chat in a room before a nickname.
    ask(&mut kim, &format!("/join {room}"), "0").await?;
    ask(&mut kim, "hello", "* choose a nickname first: /nick NAME").await?;
    ask(&mut kim, &format!("/nick {kim_n}"), "0").await?;
    let mut lia = member(&t, "noticeroom", "lia").await?;
    all_see_join(&mut [&mut kim], &lia_n).await?;
    // A line that is not UTF-8.
    kim.send_line(b"caf\xc3 \xff").await?;
    kim.expect_line(b"* line is not UTF-8, dropped").await?;
    // An unknown command with an argument, in a room.
    ask(&mut kim, "/foo bar", "* unknown command /foo").await?;
    // A 3000-byte line: one notice, and the next line works.
    kim.send_line(&[b'x'; 3000]).await?;
    kim.expect_line(b"* line over 1024 bytes dropped").await?;
    say(&mut kim, &kim_n, "after", &mut [&mut lia]).await?;
    // 1025 bytes is over; exactly 1024 is relayed whole.
    kim.send_line(&[b'x'; 1025]).await?;
    kim.expect_line(b"* line over 1024 bytes dropped").await?;
    kim.send_line(&[b'y'; 1024]).await?;
    let mut relayed = format!("{kim_n}: ").into_bytes();
    relayed.extend_from_slice(&[b'y'; 1024]);
    lia.expect_line(&relayed).await?;
    // kim got nothing else: his next line is lia's.
    say(&mut lia, &lia_n, "ok", &mut [&mut kim]).await?;
    logout_seen(lia, &lia_n, &mut [&mut kim]).await?;
    logout(kim).await
}

/// Garbage, half a line then EOF, a reset mid-line; then the others still work exactly.
async fn robustness(t: Ctx) -> Result<(), Failure> {
    let (nia_n, gab_n, mia_n, ole_n) = (t.name("nia"), t.name("gab"), t.name("mia"), t.name("ole"));
    // nia watches in robroom the whole time.
    let mut nia = member(&t, "robroom", "nia").await?;
    // Random garbage from the lobby, then a close: only its sender could get replies.
    let mut junk = Wire::connect(t.addr, "garbage").await?;
    junk.send(&garbage(0x5eed_0003, 4096)).await?;
    junk.close().await;
    // A member sends garbage (its relays to nia are unpredictable) and half a line,
    // then EOF: nia sees, after whatever, that it left.
    let mut gab = member(&t, "robroom", "gab").await?;
    all_see_join(&mut [&mut nia], &gab_n).await?;
    gab.send(&garbage(0x5eed_0004, 2048)).await?;
    gab.send(b"\nhalf a li").await?;
    gab.close().await;
    nia.skip_until(format!("* {gab_n} left\n").as_bytes())
        .await?;
    // A member resets in the middle of a line: nothing of it is relayed.
    let mut mia = member(&t, "robroom", "mia").await?;
    all_see_join(&mut [&mut nia], &mia_n).await?;
    mia.send(b"never finish").await?;
    mia.reset();
    nia.expect_line(format!("* {mia_n} left").as_bytes())
        .await?;
    // nia and a newcomer talk exactly.
    let mut ole = member(&t, "robroom", "ole").await?;
    all_see_join(&mut [&mut nia], &ole_n).await?;
    say(&mut nia, &nia_n, "still fine", &mut [&mut ole]).await?;
    say(&mut ole, &ole_n, "good", &mut [&mut nia]).await?;
    ask(&mut ole, "/who", "2").await?;
    ole.expect(format!("{nia_n}\n{ole_n}\n").as_bytes()).await?;
    logout_seen(ole, &ole_n, &mut [&mut nia]).await?;
    logout(nia).await
}

/// Asks `/list` from the lobby, which nobody sees: a room exists only while someone is
/// in it, so any room means the server is in use. A user still in the lobby (connected,
/// in no room) is not seen, and sees nothing of the scenarios either.
pub(crate) async fn occupancy(t: &Ctx) -> Result<Occupancy, Failure> {
    let mut c = Wire::connect(t.addr, "look").await?;
    let rooms = room_list(&mut c).await;
    c.close().await;
    let rooms: Vec<String> = rooms?
        .iter()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect();
    Ok(if rooms.is_empty() {
        Occupancy::Quiet
    } else {
        Occupancy::InUse(format!("/list shows the rooms {}", rooms.join(" ")))
    })
}

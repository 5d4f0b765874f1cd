//! IRCv3 `draft/chathistory`: every subcommand with msgid and timestamp references, batch
//! framing, event playback on and off, who may read what, direct messages, history a
//! classroom user wrote, and a FAIL for every malformed request.
//!
//! Message ids, times and batch references vary from run to run: lines are compared
//! with them masked (`msgid=ID`, `time=T`, `REF`), and the ids and times are kept to
//! name them in later requests. Whoever is to query waits until it has received the
//! last event from someone else: the store commits an event before anyone receives it.

use std::time::Duration;

use confab_server::DataSetting;
use confab_testkit::classroom::*;
use confab_testkit::irc::*;

const CAPS: &str = "batch draft/chathistory message-tags server-time";
const PLAYBACK: &str = "batch draft/chathistory draft/event-playback message-tags server-time";

/// One played-back line: masked, with its msgid and time.
struct Played {
    line: String,
    msgid: String,
    time: String,
}

/// Replaces the value of `key=` (`len` characters) with `shown`; returns the value.
fn mask_tag(line: &mut String, key: &str, len: usize, shown: &str) -> String {
    let Some(at) = line.find(key) else {
        return String::new();
    };
    let start = at + key.len();
    let end = (start + len).min(line.len());
    let value = line[start..end].to_string();
    line.replace_range(start..end, shown);
    value
}

fn masked(raw: &[u8], batch: Option<&str>) -> Played {
    let mut line = String::from_utf8_lossy(raw).trim_end().to_string();
    if let Some(id) = batch {
        line = line.replace(id, "REF");
    }
    let time = mask_tag(&mut line, "time=", 24, "T");
    let msgid = mask_tag(&mut line, "msgid=", 26, "ID");
    Played { line, msgid, time }
}

/// Reads a whole `chathistory` (or `draft/chathistory-targets`) batch: checks its opening
/// line, then returns the lines inside it, masked.
async fn batch(irc: &mut Irc, opening: &str) -> Result<Vec<Played>, Failure> {
    let first = irc.wire.read_line().await?;
    let text = String::from_utf8_lossy(&first).trim_end().to_string();
    let id = text
        .strip_prefix(":irc.test BATCH +")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("")
        .to_string();
    let expected = format!(":irc.test BATCH +REF {opening}");
    if id.is_empty() || text.replacen(&id, "REF", 1) != expected {
        return Err(Failure::new("expect a batch", expected.as_bytes(), &first));
    }
    let mut inside = Vec::new();
    loop {
        let raw = irc.wire.read_line().await?;
        let played = masked(&raw, Some(&id));
        if played.line == ":irc.test BATCH -REF" {
            return Ok(inside);
        }
        inside.push(played);
    }
}

/// TARGETS lines with their last parameter, the time, masked as `T` and kept.
fn targets(played: Vec<Played>) -> Vec<Played> {
    played
        .into_iter()
        .map(|p| {
            let (head, time) = p.line.rsplit_once(' ').unwrap_or((&p.line, ""));
            Played {
                line: format!("{head} T"),
                msgid: p.msgid,
                time: time.to_string(),
            }
        })
        .collect()
}

/// The masked lines of a batch.
fn lines(played: &[Played]) -> Vec<&str> {
    played.iter().map(|p| p.line.as_str()).collect()
}

/// `@batch=REF;time=T;msgid=ID :<rest>`.
fn tagged(rest: &str) -> String {
    format!("@batch=REF;time=T;msgid=ID {rest}")
}

/// bob says `m0`..`m5` in `#h` two milliseconds apart (distinct times); alice, who has
/// `caps`, waits for each.
async fn six_messages(server: &TestServer, caps: &str) -> Result<(Irc, Irc), Failure> {
    let mut alice = Irc::register_with_caps(server, "alice", caps).await?;
    let mut bob = Irc::register(server, "bob").await?;
    alice.join("#h").await?;
    bob.join("#h").await?;
    alice.skip_past(" JOIN #h").await?;
    for i in 0..6 {
        bob.send(&format!("PRIVMSG #h :m{i}")).await?;
        alice.skip_past(&format!(" PRIVMSG #h m{i}")).await?;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok((alice, bob))
}

fn message(i: usize) -> String {
    tagged(&format!(":bob!bob@127.0.0.1 PRIVMSG #h m{i}"))
}

fn messages(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(message).collect()
}

#[tokio::test]
async fn latest_plays_back_the_newest_messages_oldest_first_in_a_batch() {
    let server = server().await;
    ok(async {
        let (mut alice, _bob) = six_messages(&server, CAPS).await?;
        alice.send("CHATHISTORY LATEST #h * 10").await?;
        let all = batch(&mut alice, "chathistory #h").await?;
        assert_eq!(lines(&all), messages(0..6));
        assert!(all
            .iter()
            .all(|p| p.msgid.len() == 26 && p.time.len() == 24));
        // The limit takes the newest; a bound takes only what came after it.
        alice.send("CHATHISTORY LATEST #h * 2").await?;
        assert_eq!(
            lines(&batch(&mut alice, "chathistory #h").await?),
            messages(4..6)
        );
        let after = format!("CHATHISTORY LATEST #h msgid={} 10", all[3].msgid);
        alice.send(&after).await?;
        assert_eq!(
            lines(&batch(&mut alice, "chathistory #h").await?),
            messages(4..6)
        );
        let after = format!("CHATHISTORY LATEST #h timestamp={} 10", all[3].time);
        alice.send(&after).await?;
        assert_eq!(
            lines(&batch(&mut alice, "chathistory #h").await?),
            messages(4..6)
        );
        // The channel name in any case is the same channel, echoed as written.
        alice.send("CHATHISTORY latest #H * 1").await?;
        let last = batch(&mut alice, "chathistory #H").await?;
        assert_eq!(lines(&last), messages(5..6));
        assert_eq!(
            (&last[0].msgid, &last[0].time),
            (&all[5].msgid, &all[5].time)
        );
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn before_after_around_and_between_take_msgids_and_timestamps() {
    let server = server().await;
    ok(async {
        let (mut alice, _bob) = six_messages(&server, CAPS).await?;
        alice.send("CHATHISTORY LATEST #h * 10").await?;
        let all = batch(&mut alice, "chathistory #h").await?;
        let id = |i: usize| format!("msgid={}", all[i].msgid);
        let at = |i: usize| format!("timestamp={}", all[i].time);
        let cases = [
            (format!("BEFORE #h {} 10", id(3)), messages(0..3)),
            (format!("BEFORE #h {} 2", id(3)), messages(1..3)),
            (format!("BEFORE #h {} 10", at(3)), messages(0..3)),
            (format!("AFTER #h {} 10", id(3)), messages(4..6)),
            (format!("AFTER #h {} 1", at(3)), messages(4..5)),
            (format!("AROUND #h {} 1", id(3)), messages(3..4)),
            (format!("AROUND #h {} 3", id(3)), messages(2..5)),
            (format!("AROUND #h {} 3", at(3)), messages(2..5)),
            (format!("BETWEEN #h {} {} 10", id(0), id(5)), messages(1..5)),
            (format!("BETWEEN #h {} {} 10", id(5), id(0)), messages(1..5)),
            (format!("BETWEEN #h {} {} 2", id(0), id(5)), messages(1..3)),
            (format!("BETWEEN #h {} {} 2", id(5), id(0)), messages(3..5)),
            (format!("BETWEEN #h {} {} 10", at(1), at(4)), messages(2..4)),
            (format!("BETWEEN #h {} {} 10", id(1), at(4)), messages(2..4)),
            (format!("BEFORE #h {} 10", id(0)), vec![]),
        ];
        for (request, expected) in cases {
            alice.send(&format!("CHATHISTORY {request}")).await?;
            let got = batch(&mut alice, "chathistory #h").await?;
            assert_eq!(lines(&got), expected, "CHATHISTORY {request}");
        }
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn without_the_batch_cap_the_lines_come_alone_and_in_order_with_other_replies() {
    let server = server().await;
    ok(async {
        let caps = "draft/chathistory message-tags server-time";
        let (mut alice, _bob) = six_messages(&server, caps).await?;
        // The answer is read off the async threads; the PONG still waits behind it.
        alice
            .wire
            .send(b"CHATHISTORY LATEST #h * 2\r\nPING after\r\n")
            .await?;
        for i in 4..6 {
            let line = masked(&alice.wire.read_line().await?, None).line;
            assert_eq!(
                line,
                format!("@time=T;msgid=ID :bob!bob@127.0.0.1 PRIVMSG #h m{i}")
            );
        }
        alice.expect_timed(":irc.test PONG irc.test after").await
    }
    .await);
}

/// alice (op) sets the topic, says hello, voices and kicks bob; cat parts. Events by
/// others reach alice only once stored, so cat's PART tells her everything is.
async fn channel_events(server: &TestServer, alice: &mut Irc) -> Step {
    let mut bob = Irc::register(server, "bob").await?;
    let mut cat = Irc::register(server, "cat").await?;
    alice.join("#ev").await?;
    bob.join("#ev").await?;
    cat.join("#ev").await?;
    alice.send("TOPIC #ev :the topic").await?;
    alice.send("PRIVMSG #ev :hello").await?;
    alice.send("MODE #ev +v bob").await?;
    alice.send("KICK #ev bob :bye").await?;
    // cat parts once the kick happened, so her PART is stored after it.
    cat.skip_past(":alice!alice@127.0.0.1 KICK #ev bob bye")
        .await?;
    cat.send("PART #ev :later").await?;
    alice.skip_past(":cat!cat@127.0.0.1 PART #ev later").await?;
    let mut dee = Irc::register(server, "dee").await?;
    dee.join("#ev").await?;
    dee.send("NICK dot").await?;
    alice.skip_past(":dee!dee@127.0.0.1 NICK dot").await?;
    alice.send("@+draft/persist TAGMSG #ev").await?;
    alice.send("@+typing=active TAGMSG #ev").await?;
    dee.send("QUIT :gone").await?;
    alice.skip_past(":dot!dee@127.0.0.1 QUIT :Quit: gone").await
}

#[tokio::test]
async fn event_playback_adds_joins_parts_quits_kicks_renames_topics_and_modes() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", PLAYBACK).await?;
        channel_events(&server, &mut alice).await?;
        alice.send("CHATHISTORY LATEST #ev * 20").await?;
        let got = batch(&mut alice, "chathistory #ev").await?;
        let expected: Vec<String> = [
            ":alice!alice@127.0.0.1 JOIN #ev",
            ":bob!bob@127.0.0.1 JOIN #ev",
            ":cat!cat@127.0.0.1 JOIN #ev",
            ":alice!alice@127.0.0.1 TOPIC #ev :the topic",
            ":alice!alice@127.0.0.1 PRIVMSG #ev hello",
            ":alice!alice@127.0.0.1 MODE #ev +v bob",
            ":alice!alice@127.0.0.1 KICK #ev bob bye",
            ":cat!cat@127.0.0.1 PART #ev later",
            ":dee!dee@127.0.0.1 JOIN #ev",
            ":dee!dee@127.0.0.1 NICK dot",
        ]
        .into_iter()
        .map(tagged)
        .chain([
            // Tags alone are kept only with +draft/persist.
            "@batch=REF;time=T;msgid=ID;+draft/persist :alice!alice@127.0.0.1 TAGMSG #ev".into(),
            tagged(":dot!dee@127.0.0.1 QUIT :Quit: gone"),
        ])
        .collect();
        assert_eq!(lines(&got), expected);
        // Without event playback, the same history is its one message; the limit
        // counts messages only.
        let mut dan = Irc::register_with_caps(&server, "dan", CAPS).await?;
        dan.join("#ev").await?;
        dan.send("CHATHISTORY LATEST #ev * 1").await?;
        let got = batch(&mut dan, "chathistory #ev").await?;
        assert_eq!(
            lines(&got),
            [tagged(":alice!alice@127.0.0.1 PRIVMSG #ev hello")]
        );
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn only_current_members_read_a_channel() {
    let server = server().await;
    ok(async {
        let (mut alice, _bob) = six_messages(&server, CAPS).await?;
        let mut carl = Irc::register_with_caps(&server, "carl", CAPS).await?;
        let refused = |sub: &str, target: &str| {
            format!(
                ":irc.test FAIL CHATHISTORY INVALID_TARGET {sub} {target} \
                 :Messages could not be retrieved"
            )
        };
        carl.send("CHATHISTORY LATEST #h * 10").await?;
        carl.expect_timed(&refused("LATEST", "#h")).await?;
        carl.send("CHATHISTORY BEFORE #nowhere timestamp=2030-01-01T00:00:00.000Z 10")
            .await?;
        carl.expect_timed(&refused("BEFORE", "#nowhere")).await?;
        carl.send("CHATHISTORY LATEST #bad,chan * 10").await?;
        carl.expect_timed(&refused("LATEST", "#bad,chan")).await?;
        // Having been in the channel is not enough.
        alice.send("PART #h").await?;
        alice.skip_past(" PART #h").await?;
        alice.send("CHATHISTORY LATEST #h * 10").await?;
        alice.expect_timed(&refused("LATEST", "#h")).await
    }
    .await);
}

#[tokio::test]
async fn a_direct_conversation_is_read_by_its_two_nicks_only() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        let mut bob = Irc::register_with_caps(&server, "bob", CAPS).await?;
        let mut carl = Irc::register_with_caps(&server, "carl", CAPS).await?;
        alice.send("PRIVMSG bob :hi bob").await?;
        bob.skip_past(" PRIVMSG bob :hi bob").await?;
        bob.send("NOTICE alice :hi alice").await?;
        alice.skip_past(" NOTICE alice :hi alice").await?;
        let conversation = [
            tagged(":alice!alice@127.0.0.1 PRIVMSG bob :hi bob"),
            tagged(":bob!bob@127.0.0.1 NOTICE alice :hi alice"),
        ];
        alice.send("CHATHISTORY LATEST bob * 10").await?;
        assert_eq!(
            lines(&batch(&mut alice, "chathistory bob").await?),
            conversation
        );
        bob.send("CHATHISTORY LATEST ALICE * 10").await?;
        assert_eq!(
            lines(&batch(&mut bob, "chathistory ALICE").await?),
            conversation
        );
        // carl's conversations with either of them are empty.
        carl.send("CHATHISTORY LATEST alice * 10").await?;
        assert!(batch(&mut carl, "chathistory alice").await?.is_empty());
        // A target that cannot be a nick is refused.
        carl.send("CHATHISTORY LATEST * * 10").await?;
        carl.expect_timed(
            ":irc.test FAIL CHATHISTORY INVALID_TARGET LATEST * :Messages could not be retrieved",
        )
        .await
    }
    .await);
}

#[tokio::test]
async fn targets_lists_channels_and_nicks_by_latest_message() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = six_messages(&server, CAPS).await?;
        tokio::time::sleep(Duration::from_millis(2)).await;
        bob.send("PRIVMSG alice :psst").await?;
        alice.skip_past(" PRIVMSG alice psst").await?;
        let (begin, end) = (
            "timestamp=2020-01-01T00:00:00.000Z",
            "timestamp=2262-01-01T00:00:00.000Z",
        );
        alice
            .send(&format!("CHATHISTORY TARGETS {begin} {end} 10"))
            .await?;
        let all = targets(batch(&mut alice, "draft/chathistory-targets").await?);
        let got = &all;
        let expected = [
            "@batch=REF :irc.test CHATHISTORY TARGETS #h T",
            "@batch=REF :irc.test CHATHISTORY TARGETS bob T",
        ];
        assert_eq!(lines(got), expected);
        assert!(got[0].time < got[1].time, "oldest first");
        assert!(
            got.iter().all(|p| p.time.len() == 24),
            "times as YYYY-MM-DDThh:mm:ss.sssZ"
        );
        // Reversed bounds keep the newest; the limit applies.
        alice
            .send(&format!("CHATHISTORY TARGETS {end} {begin} 1"))
            .await?;
        let got = targets(batch(&mut alice, "draft/chathistory-targets").await?);
        assert_eq!(lines(&got), &expected[1..]);
        // A window after the last channel message has only the direct conversation.
        alice.send("CHATHISTORY LATEST #h * 1").await?;
        let last = batch(&mut alice, "chathistory #h").await?;
        let from = format!("timestamp={}", last[0].time);
        alice
            .send(&format!("CHATHISTORY TARGETS {from} {end} 10"))
            .await?;
        let got = targets(batch(&mut alice, "draft/chathistory-targets").await?);
        assert_eq!(lines(&got), &expected[1..]);
        // A conversation that went on after the window is not listed (ergo's rule).
        let until = format!("timestamp={}", all[1].time);
        alice
            .send(&format!("CHATHISTORY TARGETS {begin} {until} 10"))
            .await?;
        let got = targets(batch(&mut alice, "draft/chathistory-targets").await?);
        assert_eq!(lines(&got), &expected[..1]);
        let until = format!("timestamp={}", all[0].time);
        alice
            .send(&format!("CHATHISTORY TARGETS {begin} {until} 10"))
            .await?;
        assert!(batch(&mut alice, "draft/chathistory-targets")
            .await?
            .is_empty());
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn history_a_classroom_user_wrote_is_played_back_to_irc() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        alice.join("#lobby").await?;
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        carol.send_line(b"hello from rooms").await?;
        alice.skip_past(" PRIVMSG #lobby :hello from rooms").await?;
        alice.send("CHATHISTORY LATEST #lobby * 10").await?;
        let got = batch(&mut alice, "chathistory #lobby").await?;
        let expected = [tagged(
            ":carol!carol@rooms PRIVMSG #lobby :hello from rooms",
        )];
        assert_eq!(lines(&got), expected);
        Ok(())
    }
    .await);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: each malformed CHATHISTORY request in turn, with its FAIL"
)]
async fn every_malformed_request_gets_its_fail() {
    let server = server().await;
    ok(async {
        let (mut alice, _bob) = six_messages(&server, CAPS).await?;
        let id = "01HF7YAT3V003G00000000001A";
        let cases = [
            ("CHATHISTORY", "NEED_MORE_PARAMS * :Missing parameters"),
            (
                "CHATHISTORY LATEST #h *",
                "NEED_MORE_PARAMS LATEST :Missing parameters",
            ),
            (
                "CHATHISTORY BETWEEN #h * 10",
                "NEED_MORE_PARAMS BETWEEN :Missing parameters",
            ),
            (
                "CHATHISTORY TARGETS",
                "NEED_MORE_PARAMS TARGETS :Missing parameters",
            ),
            (
                "CHATHISTORY FOO #h * 10",
                "INVALID_PARAMS FOO :Unknown subcommand",
            ),
            (
                "CHATHISTORY LATEST #h * 10 more",
                "INVALID_PARAMS LATEST more :Too many parameters",
            ),
            (
                "CHATHISTORY LATEST #h * ten",
                "INVALID_PARAMS LATEST ten :The limit must be a positive number",
            ),
            (
                "CHATHISTORY LATEST #h * 0",
                "INVALID_PARAMS LATEST 0 :The limit must be a positive number",
            ),
            (
                "CHATHISTORY BEFORE #h * 10",
                "INVALID_PARAMS BEFORE * :Invalid message reference",
            ),
            (
                "CHATHISTORY AFTER #h msgid=xyz 10",
                "INVALID_PARAMS AFTER msgid=xyz :Invalid message reference",
            ),
            (
                "CHATHISTORY AROUND #h timestamp=2024-02-30T00:00:00.000Z 10",
                "INVALID_PARAMS AROUND timestamp=2024-02-30T00:00:00.000Z \
                 :Invalid message reference",
            ),
            (
                "CHATHISTORY BETWEEN #h msgid=01HF7YAT3V003G00000000001A id=1 10",
                "INVALID_PARAMS BETWEEN id=1 :Invalid message reference",
            ),
            (
                "CHATHISTORY TARGETS * timestamp=2024-02-29T00:00:00.000Z 10",
                "INVALID_PARAMS TARGETS * :TARGETS takes timestamp= references",
            ),
        ];
        for (request, fail) in cases {
            alice.send(request).await?;
            alice
                .expect_timed(&format!(":irc.test FAIL CHATHISTORY {fail}"))
                .await?;
        }
        // A msgid from no conversation of this channel finds nothing; it is no error.
        alice
            .send(&format!("CHATHISTORY BEFORE #h msgid={id} 10"))
            .await?;
        assert!(batch(&mut alice, "chathistory #h").await?.is_empty());
        // A limit over CHATHISTORY=100 is taken as 100.
        alice.send("CHATHISTORY LATEST #h * 1000").await?;
        assert_eq!(
            lines(&batch(&mut alice, "chathistory #h").await?),
            messages(0..6)
        );
        alice.send("PING done").await?;
        alice.expect_timed(":irc.test PONG irc.test done").await
    }
    .await);
}

#[tokio::test]
async fn the_caps_and_tokens_are_offered_only_with_history() {
    ok(async {
        let server = server().await;
        let mut alice = Irc::connect(&server, "alice").await?;
        alice.send("CAP LS 302").await?;
        let line = alice.wire.read_line().await?;
        let text = String::from_utf8_lossy(&line);
        let offered = " draft/chathistory draft/event-playback echo-message ";
        assert!(text.contains(offered), "{text}");
        alice.send("NICK alice").await?;
        alice.send("USER alice 0 * :A").await?;
        alice.send("CAP END").await?;
        // The history tokens come last, past the 13 tokens of a line.
        alice
            .skip_past(" WHOX CHATHISTORY=100 :are supported by this server")
            .await?;
        alice
            .expect(":irc.test 005 alice MSGREFTYPES=msgid,timestamp :are supported by this server")
            .await?;

        let server = server_with(|c| c.data = DataSetting::Memory).await;
        let mut bob = Irc::connect(&server, "bob").await?;
        bob.send("CAP LS 302").await?;
        let line = bob.wire.read_line().await?;
        let text = String::from_utf8_lossy(&line);
        assert!(
            text.contains(" batch ") && !text.contains("chathistory"),
            "{text}"
        );
        bob.send("CAP REQ :batch draft/chathistory").await?;
        bob.expect(":irc.test CAP * NAK :batch draft/chathistory")
            .await?;
        bob.send("NICK bob").await?;
        bob.send("USER bob 0 * :B").await?;
        bob.send("CAP END").await?;
        bob.skip_past(" 376 bob :End of /MOTD command.").await?;
        bob.send("CHATHISTORY LATEST #h * 10").await?;
        bob.expect(":irc.test FAIL CHATHISTORY MESSAGE_ERROR LATEST :History is off on this server")
            .await
    }
    .await);
}

#[tokio::test]
async fn echoes_show_the_msgid_and_time_history_plays_back() {
    let server = server().await;
    ok(async {
        let caps = "echo-message draft/chathistory draft/event-playback message-tags server-time";
        let mut alice = Irc::register_with_caps(&server, "alice", caps).await?;
        let mut bob = Irc::register(&server, "bob").await?;
        alice.join("#e").await?;
        bob.join("#e").await?;
        alice.skip_past(" JOIN #e").await?;
        alice.send("TOPIC #e :a topic").await?;
        let topic = masked(&alice.wire.read_line().await?, None);
        assert_eq!(
            topic.line,
            "@time=T;msgid=ID :alice!alice@127.0.0.1 TOPIC #e :a topic"
        );
        alice.send("PRIVMSG #e :said").await?;
        let said = masked(&alice.wire.read_line().await?, None);
        assert_eq!(
            said.line,
            "@time=T;msgid=ID :alice!alice@127.0.0.1 PRIVMSG #e said"
        );
        // bob has heard it: it is stored.
        bob.skip_past(":alice!alice@127.0.0.1 PRIVMSG #e said")
            .await?;
        alice.send("CHATHISTORY LATEST #e * 2").await?;
        let mut played = Vec::new();
        for _ in 0..2 {
            played.push(masked(&alice.wire.read_line().await?, None));
        }
        for (echo, back) in [&topic, &said].into_iter().zip(&played) {
            assert_eq!((&echo.msgid, &echo.time), (&back.msgid, &back.time));
        }
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn labeled_requests_get_labeled_answers() {
    let server = server().await;
    ok(async {
        let caps = "batch draft/chathistory labeled-response message-tags";
        let (mut alice, _bob) = six_messages(&server, caps).await?;
        // One line carries the label; no answer at all is an ACK.
        alice.send("@label=a PING x").await?;
        alice.expect("@label=a :irc.test PONG irc.test x").await?;
        alice.send("@label=b PONG x").await?;
        alice.expect("@label=b :irc.test ACK").await?;
        // Several lines come in a labeled-response batch.
        alice.send("@label=c NAMES #h").await?;
        let opening = String::from_utf8_lossy(&alice.wire.read_line().await?)
            .trim_end()
            .to_string();
        let id = opening
            .strip_prefix("@label=c :irc.test BATCH +")
            .and_then(|rest| rest.strip_suffix(" labeled-response"))
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty(), "{opening}");
        alice
            .expect_all(&[
                &format!("@batch={id} :irc.test 353 alice = #h :@alice bob"),
                &format!("@batch={id} :irc.test 366 alice #h :End of /NAMES list"),
                &format!(":irc.test BATCH -{id}"),
            ])
            .await?;
        // A CHATHISTORY answer is one batch already: its start carries the label.
        alice.send("@label=d CHATHISTORY LATEST #h * 1").await?;
        let start = masked(&alice.wire.read_line().await?, None).line;
        let id = start
            .strip_prefix("@label=d :irc.test BATCH +")
            .and_then(|rest| rest.strip_suffix(" chathistory #h"))
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty(), "{start}");
        let line = masked(&alice.wire.read_line().await?, Some(&id)).line;
        assert_eq!(line, message(5));
        alice.expect(&format!(":irc.test BATCH -{id}")).await
    }
    .await);
}

#[tokio::test]
async fn a_pong_comes_after_what_the_ping_sender_caused() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register(&server, "alice").await?;
        let mut bob = Irc::register(&server, "bob").await?;
        alice.join("#p").await?;
        bob.join("#p").await?;
        // Messages reach their recipients once stored; the PONG waits for that too.
        alice
            .wire
            .send(b"PRIVMSG alice :to me\r\nPRIVMSG #p :to all\r\nPING t\r\n")
            .await?;
        alice
            .expect_all(&[
                ":bob!bob@127.0.0.1 JOIN #p",
                ":alice!alice@127.0.0.1 PRIVMSG alice :to me",
                ":irc.test PONG irc.test t",
            ])
            .await?;
        bob.send("PING u").await?;
        bob.expect_all(&[
            ":alice!alice@127.0.0.1 PRIVMSG #p :to all",
            ":irc.test PONG irc.test u",
        ])
        .await
    }
    .await);
}

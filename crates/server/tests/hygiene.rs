//! Input hygiene: regression tests for the classes of bug that hit IRC servers before, one
//! test per class, each asserting the exact bytes every other client receives.
//!
//! - CR/LF injection: text relayed from any protocol cannot forge a line in another's
//!   stream (CR, LF and NUL inside become spaces; IRC refuses such a line outright, with
//!   `FAIL <command> INVALID_BYTE`).
//! - Invalid UTF-8 is refused with each protocol's error and never relayed.
//! - Message tags from clients are relayed still escaped, and length-checked (`417`).
//! - An echoed label tag cannot inject a command (`labeled-response` is not offered; the
//!   `label` tag is dropped, and client tags travel escaped).
//! - A missing parameter on every command of the IRC command table gets its numeric, and
//!   the server goes on.
//! - A nick that differs only by case is taken, across protocols.
//! - A look-alike nick (Cyrillic, fullwidth, accented, zero-width) is erroneous: names
//!   are ASCII only.

use confab_check::wire::{kind, name_field, result, sendto_body, text_field};
use confab_testkit::classroom::{
    broadcast_user, packet_user, prefixed_user, rooms_sync, rooms_user, silence,
};
use confab_testkit::irc::*;

/// One user of each protocol: alice (IRC), carol (rooms) and dave (broadcast) in the
/// lobby, each told of those after, and pete (prefixed) and kim (packet) named.
async fn everyone(server: &TestServer) -> Result<(Irc, Wire, Wire, Wire, Wire), Failure> {
    let mut alice = Irc::register(server, "alice").await?;
    alice.join("#lobby").await?;
    let mut carol = rooms_user(server, "lobby", "carol").await?;
    alice.expect(":carol!carol@rooms JOIN #lobby").await?;
    let dave = broadcast_user(server, "dave").await?;
    alice.expect(":dave!dave@broadcast JOIN #lobby").await?;
    carol.expect_line(b"* dave joined").await?;
    let pete = prefixed_user(server, "pete").await?;
    let kim = packet_user(server, "kim").await?;
    Ok((alice, carol, dave, pete, kim))
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: forged bytes sent in each protocol in turn, each step's bytes checked"
)]
async fn crlf_injection_cannot_forge_a_line_in_any_stream() {
    let server = server().await;
    ok(async {
        let (mut alice, mut carol, mut dave, mut pete, mut kim) = everyone(&server).await?;

        // rooms: a lone CR and a NUL inside a chat line (LF ends the line, so it cannot be
        // inside one).
        carol.send(b"hi\rKICK #lobby alice\0x\n").await?;
        alice
            .expect(":carol!carol@rooms PRIVMSG #lobby :hi KICK #lobby alice x")
            .await?;
        dave.expect_line(b"carol: hi KICK #lobby alice x").await?;

        // broadcast: the same, and a trailing CR of a CRLF is not part of the text.
        dave.send(b"yo\rQUIT :bye\0x\r\n").await?;
        alice
            .expect(":dave!dave@broadcast PRIVMSG #lobby :yo QUIT :bye x")
            .await?;
        carol.expect_line(b"dave: yo QUIT :bye x").await?;

        // prefixed: a frame may hold any byte; inner CR/LF/NUL become spaces in every
        // recipient's form, a trailing CRLF is stripped.
        pete.send_frame(2, b"MSG alice a\r\nQUIT\0b\r\n").await?;
        alice
            .expect(":pete!pete@prefixed PRIVMSG alice :a  QUIT b")
            .await?;
        pete.send_frame(2, b"MSG carol a\nb\rc\r\n").await?;
        carol.expect_line(b"* pete (private): a b c").await?;
        pete.send_frame(2, b"MSG dave x\r\n* dave joined").await?;
        dave.expect_line(b"* pete (private): x  * dave joined")
            .await?;
        pete.send_frame(2, b"MSG kim k\r\nl\0").await?;
        kim.expect_packet(kind::SENDTO_REPLY, &sendto_body(b"pete", b"k  l "))
            .await?;

        // packet: a SENDTO's text may hold any byte, too.
        kim.send_packet(
            kind::SENDTO,
            &sendto_body(b"alice", b"p\r\nPRIVMSG #lobby :x"),
        )
        .await?;
        kim.expect_response(result::OK).await?;
        alice
            .expect(":kim!kim@packet PRIVMSG alice :p  PRIVMSG #lobby :x")
            .await?;
        kim.send_packet(kind::SENDTO, &sendto_body(b"pete", b"q\r\n05EXIT"))
            .await?;
        kim.expect_response(result::OK).await?;
        pete.expect_frame(2, b"kim sent q  05EXIT").await?;

        // IRC: a lone CR or a NUL inside a line refuses the whole line: nothing relayed,
        // the sender told why (a standard reply naming the command), the connection goes on.
        alice
            .wire
            .send(b"PRIVMSG #lobby :a\rKICK #lobby carol\r\n")
            .await?;
        let refused = ":irc.test FAIL PRIVMSG INVALID_BYTE \
                       :Message rejected, your message contained a NUL or CR byte";
        alice.expect(refused).await?;
        alice.wire.send(b"PRIVMSG #lobby :b\0c\r\n").await?;
        alice.expect(refused).await?;
        // Whatever the byte's place, even in the command.
        alice.wire.send(b"\0\r\n").await?;
        alice
            .expect(
                ":irc.test FAIL * INVALID_BYTE \
                 :Message rejected, your message contained a NUL or CR byte",
            )
            .await?;
        alice.sync().await?;
        alice.send("PRIVMSG #lobby :clean").await?;
        carol.expect_line(b"alice: clean").await?;
        dave.expect_line(b"alice: clean").await?;

        // A raw CRLF inside an IRC message is just the end of the line: the rest is a
        // command of the sender's own (here an unknown one), never someone else's line.
        alice
            .wire
            .send(b"PRIVMSG #lobby :one\r\nFORGED :line\r\n")
            .await?;
        alice
            .expect(":irc.test 421 alice FORGED :Unknown command")
            .await?;
        carol.expect_line(b"alice: one").await?;
        dave.expect_line(b"alice: one").await?;

        silence(&mut carol).await?;
        silence(&mut dave).await?;
        alice.silence().await
    }
    .await);
}

#[tokio::test]
async fn invalid_utf8_is_refused_in_each_protocol_and_never_relayed() {
    let server = server().await;
    ok(async {
        let (mut alice, mut carol, mut dave, mut pete, mut kim) = everyone(&server).await?;

        // IRC (UTF8ONLY): FAIL to the sender, nothing to anyone.
        alice.wire.send(b"PRIVMSG #lobby :caf\xe9\r\n").await?;
        alice
            .expect(
                ":irc.test FAIL PRIVMSG INVALID_UTF8 \
                 :Message rejected, your message contained invalid UTF-8",
            )
            .await?;
        alice.wire.send(b"PRIVMSG carol :\xff\xfe\r\n").await?;
        alice
            .expect(
                ":irc.test FAIL PRIVMSG INVALID_UTF8 \
                 :Message rejected, your message contained invalid UTF-8",
            )
            .await?;
        // rooms: a notice to the sender.
        carol.send(b"bad \xc3\x28 text\n").await?;
        carol.expect_line(b"* line is not UTF-8, dropped").await?;
        // broadcast: a notice to the sender.
        dave.send(b"\xed\xa0\x80 surrogate\n").await?;
        dave.expect_line(b"Message not sent: not UTF-8.").await?;
        // prefixed: an error frame.
        pete.send_frame(2, b"MSG alice \xc0\xaf").await?;
        pete.expect_frame(2, b"Error: text is not UTF-8").await?;
        // packet: RESPONSE malformed.
        kim.send_packet(kind::SENDTO, &sendto_body(b"alice", b"\x80abc"))
            .await?;
        kim.expect_response(result::MALFORMED).await?;
        let mut body = name_field(b"carol");
        body.extend(text_field(b"ok \xf8"));
        kim.send_packet(kind::SENDTO, &body).await?;
        kim.expect_response(result::MALFORMED).await?;

        // Nothing of it reached anyone: the next clean message is the first thing each
        // recipient sees.
        carol.send_line(b"clean").await?;
        alice
            .expect(":carol!carol@rooms PRIVMSG #lobby clean")
            .await?;
        dave.expect_line(b"carol: clean").await?;
        pete.send_frame(2, b"MSG kim clean").await?;
        kim.expect_packet(kind::SENDTO_REPLY, &sendto_body(b"pete", b"clean"))
            .await?;
        kim.send_packet(kind::SENDTO, &sendto_body(b"pete", b"clean"))
            .await?;
        kim.expect_response(result::OK).await?;
        pete.expect_frame(2, b"kim sent clean").await?;
        alice.sync().await?;
        alice.silence().await?;
        silence(&mut carol).await?;
        silence(&mut dave).await
    }
    .await);
}

#[tokio::test]
async fn client_tags_are_relayed_escaped_and_length_checked() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = tagged_alice_and_bob(&server).await?;
        let mut carol = Irc::register(&server, "carol").await?;
        let mut dave = rooms_user(&server, "c", "dave").await?;
        for c in [&mut alice, &mut bob, &mut carol] {
            c.join("#c").await?;
        }
        for c in [&mut alice, &mut bob, &mut carol] {
            c.skip_to_sync().await?;
        }
        dave.expect(b"* alice joined\n* bob joined\n* carol joined\n")
            .await?;

        // Escaped `;`, space, CR, LF and backslash travel as sent, still escaped: one line.
        let tag = r"+example.com/x=a\:b\sc\r\nQUIT\\d";
        alice.send(&format!("@{tag} PRIVMSG #c :hi")).await?;
        let line = ":alice!alice@127.0.0.1 PRIVMSG #c hi";
        all_expect_msgid(&mut [&mut alice, &mut bob], tag, line).await?;
        carol.expect(line).await?;
        dave.expect_line(b"alice: hi").await?;

        // Unescaped `=` in a value, empty keys, a value with a trailing backslash: kept
        // within the tag, one line, never split.
        alice.send(r"@+k=v=w;;+e=x\ PRIVMSG #c :two").await?;
        let line = ":alice!alice@127.0.0.1 PRIVMSG #c two";
        all_expect_msgid(&mut [&mut alice, &mut bob], r"+k=v=w;+e=x\", line).await?;
        carol.expect(line).await?;
        dave.expect_line(b"alice: two").await?;

        // Over-long tags: 417, nothing relayed, the connection goes on.
        let too_long = ":irc.test 417 alice :Input line was too long";
        let value = "a".repeat(4100);
        alice
            .ask(&format!("@+big={value} PRIVMSG #c :three"), too_long)
            .await?;
        let escaped = r"\s".repeat(2100);
        alice
            .ask(&format!("@+big={escaped} PRIVMSG #c :four"), too_long)
            .await?;
        bob.sync().await?;
        carol.sync().await?;
        silence(&mut dave).await?;

        // Past the read limit (tags and line without an end): ERROR and disconnected.
        let mut eve = Irc::register(&server, "eve").await?;
        eve.wire
            .send(format!("@+x={} PRIVMSG #c :x", "y".repeat(20_000)).as_bytes())
            .await?;
        eve.expect("ERROR :Closing link: input line too long")
            .await?;
        eve.wire.expect_closed().await?;
        alice.sync().await
    }
    .await);
}

#[tokio::test]
async fn an_echoed_label_cannot_inject_a_command() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::connect(&server, "alice").await?;
        // labeled-response echoes a label back, still escaped as sent.
        alice
            .send("CAP REQ :labeled-response message-tags echo-message")
            .await?;
        alice
            .expect(":irc.test CAP * ACK :labeled-response message-tags echo-message")
            .await?;
        alice
            .send("NICK alice\r\nUSER alice 0 * :A\r\nCAP END")
            .await?;
        alice.skip_past(" 376 alice :End of /MOTD command.").await?;
        let mut bob = Irc::register_with_caps(&server, "bob", "message-tags").await?;
        bob.join("#c").await?;
        alice.join("#c").await?;
        bob.expect(":alice!alice@127.0.0.1 JOIN #c").await?;

        // A label (escaped CRLF and all) on a PING: the PONG carries it as sent, one line.
        alice.send(r"@label=x\r\nQUIT\s:pwned PING tok").await?;
        alice
            .expect(r"@label=x\r\nQUIT\s:pwned :irc.test PONG irc.test tok")
            .await?;
        // On a PRIVMSG the echo carries the label (as sent) and the msgid, the relay the
        // msgid alone: `label` is not a client tag, so it is never relayed.
        alice
            .send(r"@label=x\r\nKICK\s#c\sbob PRIVMSG #c :hi")
            .await?;
        let line = ":alice!alice@127.0.0.1 PRIVMSG #c hi";
        let echo = String::from_utf8_lossy(&alice.wire.read_line().await?).to_string();
        let (tags, rest) = echo.trim_end().split_once(' ').unwrap_or_default();
        let echoed = tags
            .strip_prefix(r"@label=x\r\nKICK\s#c\sbob;msgid=")
            .unwrap_or_default();
        assert!(!echoed.is_empty() && rest == line, "{echo}");
        assert_eq!(bob.expect_msgid("", line).await?, echoed);

        // A raw CRLF in the tags ends the line there: `@label=x` alone is a line with no
        // command (dropped), and what follows is the sender's own command, here a KICK
        // refused by the server.
        alice.wire.send(b"@label=x\r\nKICK #c bob\r\n").await?;
        alice
            .expect(":irc.test 482 alice #c :You're not channel operator")
            .await?;
        // A raw CR inside the tags refuses the whole line, and says so (the command named
        // is the line's as if the CR were a space).
        alice
            .wire
            .send(b"@+label=x\rQUIT PRIVMSG #c :sneaky\r\n")
            .await?;
        alice
            .expect(
                ":irc.test FAIL QUIT INVALID_BYTE \
                 :Message rejected, your message contained a NUL or CR byte",
            )
            .await?;
        alice.sync().await?;
        alice.silence().await?;
        bob.sync().await?;
        bob.silence().await
    }
    .await);
}

/// What each command of the table answers when sent with no parameter at all (or one
/// too few) by a registered client named `t`; `None`: no reply (PONG, NOTICE), or a
/// reply of its own that is checked only by its first numeric.
#[allow(
    clippy::too_many_lines,
    reason = "table: each command's reply when sent without its parameters"
)]
fn missing_parameter_reply(command: &str) -> Vec<(&'static str, &'static str)> {
    // (line to send, first line expected back, `*` for "nothing but the PONG")
    match command {
        "CAP" => vec![("CAP", ":irc.test 461 t CAP :Not enough parameters")],
        "PASS" => vec![("PASS", ":irc.test 461 t PASS :Not enough parameters")],
        "NICK" => vec![("NICK", ":irc.test 431 t :No nickname given")],
        "USER" => vec![
            ("USER", ":irc.test 461 t USER :Not enough parameters"),
            ("USER a b c", ":irc.test 461 t USER :Not enough parameters"),
        ],
        "PING" => vec![("PING", ":irc.test 461 t PING :Not enough parameters")],
        "PONG" => vec![("PONG", "*")],
        "QUIT" => vec![],
        "JOIN" => vec![("JOIN", ":irc.test 461 t JOIN :Not enough parameters")],
        "PART" => vec![("PART", ":irc.test 461 t PART :Not enough parameters")],
        "PRIVMSG" => vec![
            ("PRIVMSG", ":irc.test 411 t :No recipient given (PRIVMSG)"),
            ("PRIVMSG t", ":irc.test 412 t :No text to send"),
            ("PRIVMSG t :", ":irc.test 412 t :No text to send"),
        ],
        "NOTICE" => vec![("NOTICE", "*"), ("NOTICE t", "*")],
        "TAGMSG" => vec![("TAGMSG", ":irc.test 411 t :No recipient given (TAGMSG)")],
        "NAMES" => vec![("NAMES", ":irc.test 353 t = #c @t")],
        "WHO" => vec![(
            "WHO",
            ":irc.test 352 t * t 127.0.0.1 irc.test t H :0 Real t",
        )],
        "WHOIS" => vec![("WHOIS", ":irc.test 461 t WHOIS :Not enough parameters")],
        "USERHOST" => vec![(
            "USERHOST",
            ":irc.test 461 t USERHOST :Not enough parameters",
        )],
        "LIST" => vec![("LIST", ":irc.test 322 t #c 1 :")],
        "TOPIC" => vec![("TOPIC", ":irc.test 461 t TOPIC :Not enough parameters")],
        "MODE" => vec![("MODE", ":irc.test 461 t MODE :Not enough parameters")],
        "KICK" => vec![
            ("KICK", ":irc.test 461 t KICK :Not enough parameters"),
            ("KICK #c", ":irc.test 461 t KICK :Not enough parameters"),
        ],
        "RENAME" => vec![
            ("RENAME", ":irc.test 461 t RENAME :Not enough parameters"),
            ("RENAME #c", ":irc.test 461 t RENAME :Not enough parameters"),
            (
                "RENAME #c :",
                ":irc.test 461 t RENAME :Not enough parameters",
            ),
        ],
        "INVITE" => vec![("INVITE", ":irc.test 337 t :End of /INVITE list")],
        "AWAY" => vec![(
            "AWAY",
            ":irc.test 305 t :You are no longer marked as being away",
        )],
        "OPER" => vec![
            ("OPER", ":irc.test 461 t OPER :Not enough parameters"),
            (
                "OPER operuser",
                ":irc.test 461 t OPER :Not enough parameters",
            ),
        ],
        "KILL" => vec![("KILL", ":irc.test 461 t KILL :Not enough parameters")],
        "MONITOR" => vec![("MONITOR", ":irc.test 461 t MONITOR :Not enough parameters")],
        "SETNAME" => vec![("SETNAME", ":irc.test 461 t SETNAME :Not enough parameters")],
        "METADATA" => vec![
            (
                "METADATA *",
                ":irc.test 461 t METADATA :Not enough parameters",
            ),
            (
                "METADATA * SET",
                ":irc.test 461 t METADATA :Not enough parameters",
            ),
            (
                "METADATA * GET",
                ":irc.test 461 t METADATA :Not enough parameters",
            ),
            (
                "METADATA * SUB",
                ":irc.test 461 t METADATA :Not enough parameters",
            ),
            (
                "METADATA * UNSUB",
                ":irc.test 461 t METADATA :Not enough parameters",
            ),
        ],
        "MARKREAD" => vec![(
            "MARKREAD",
            ":irc.test FAIL MARKREAD NEED_MORE_PARAMS :MARKREAD needs a target",
        )],
        "REDACT" => vec![
            ("REDACT", ":irc.test 461 t REDACT :Not enough parameters"),
            ("REDACT #c", ":irc.test 461 t REDACT :Not enough parameters"),
        ],
        "WALLOPS" => vec![("WALLOPS", ":irc.test 461 t WALLOPS :Not enough parameters")],
        "KLINE" => vec![("KLINE", ":irc.test 461 t KLINE :Not enough parameters")],
        "UNKLINE" => vec![("UNKLINE", ":irc.test 461 t UNKLINE :Not enough parameters")],
        "DLINE" => vec![("DLINE", ":irc.test 461 t DLINE :Not enough parameters")],
        "UNDLINE" => vec![("UNDLINE", ":irc.test 461 t UNDLINE :Not enough parameters")],
        "STATS" => vec![("STATS", ":irc.test 461 t STATS :Not enough parameters")],
        "LUSERS" => vec![("LUSERS", ":irc.test 251 t :")],
        "WHOWAS" => vec![("WHOWAS", ":irc.test 431 t :No nickname given")],
        "INFO" => vec![("INFO", ":irc.test 371 t :confab ")],
        "LINKS" => vec![("LINKS", ":irc.test 364 t irc.test irc.test :0 ")],
        "HELP" => vec![("HELP", ":irc.test 704 t index :")],
        "HELPOP" => vec![("HELPOP", ":irc.test 704 t index :")],
        "MOTD" => vec![("MOTD", ":irc.test 375 t :")],
        "TIME" => vec![("TIME", ":irc.test 391 t irc.test ")],
        "AUTHENTICATE" => vec![(
            "AUTHENTICATE",
            ":irc.test 461 t AUTHENTICATE :Not enough parameters",
        )],
        "REGISTER" => vec![
            (
                "REGISTER",
                ":irc.test 461 t REGISTER :Not enough parameters",
            ),
            (
                "REGISTER t *",
                ":irc.test 461 t REGISTER :Not enough parameters",
            ),
        ],
        "VERIFY" => vec![
            ("VERIFY", ":irc.test 461 t VERIFY :Not enough parameters"),
            ("VERIFY t", ":irc.test 461 t VERIFY :Not enough parameters"),
        ],
        "NS" => vec![(
            "NS",
            ":NickServ!NickServ@services NOTICE t :Commands: REGISTER <password>",
        )],
        "NICKSERV" => vec![(
            "NICKSERV",
            ":NickServ!NickServ@services NOTICE t :Commands: REGISTER <password>",
        )],
        "CHATHISTORY" => vec![
            (
                "CHATHISTORY",
                ":irc.test FAIL CHATHISTORY NEED_MORE_PARAMS * :Missing parameters",
            ),
            (
                "CHATHISTORY LATEST #c *",
                ":irc.test FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :Missing parameters",
            ),
        ],
        "BATCH" => vec![
            ("BATCH", ":irc.test 461 t BATCH :Not enough parameters"),
            ("BATCH +1", ":irc.test 461 t BATCH :Not enough parameters"),
            (
                "BATCH +1 draft/multiline",
                ":irc.test 461 t BATCH :Not enough parameters",
            ),
        ],
        other => panic!("command {other} of the table has no missing-parameter case here"),
    }
}

/// Sends `line` then a PING; returns every line that came before the PONG.
async fn replies_to(irc: &mut Irc, line: &str) -> Result<Vec<String>, Failure> {
    irc.send(line).await?;
    irc.send("PING sync").await?;
    let mut lines = Vec::new();
    loop {
        let raw = irc.wire.read_line().await?;
        let text = String::from_utf8_lossy(&raw)
            .trim_end_matches('\r')
            .to_string();
        if text == ":irc.test PONG irc.test sync" {
            return Ok(lines);
        }
        lines.push(text);
    }
}

#[tokio::test]
async fn a_missing_parameter_on_every_command_is_answered_and_the_server_goes_on() {
    let server = server().await;
    ok(async {
        let table: Vec<(&str, usize, bool)> =
            confab_server::adapter::irc::command_table().collect();
        assert!(table.len() >= 25, "the whole command table: {table:?}");

        // Before registration: early commands check their parameters, the rest get 451.
        let mut early = Irc::connect(&server, "early").await?;
        for &(name, min, before_registration) in &table {
            if name == "QUIT" || name == "PING" {
                continue;
            }
            let got = replies_to(&mut early, name).await?;
            let expected = if !before_registration {
                vec![":irc.test 451 * :You have not registered".to_string()]
            } else if name == "NICK" {
                vec![":irc.test 431 * :No nickname given".to_string()]
            } else if min > 0 {
                vec![format!(":irc.test 461 * {name} :Not enough parameters")]
            } else {
                vec![]
            };
            assert_eq!(got, expected, "{name} before registration");
        }

        // Registered: every command, with no parameter and with one too few.
        let mut t = Irc::register(&server, "t").await?;
        t.join("#c").await?;
        for &(name, _, _) in &table {
            for (line, first) in missing_parameter_reply(name) {
                let got = replies_to(&mut t, line).await?;
                if first == "*" {
                    assert!(got.is_empty(), "{line:?}: expected no reply, got {got:?}");
                } else {
                    let head = got.first().map(String::as_str).unwrap_or("");
                    assert!(
                        head.starts_with(first),
                        "{line:?}: expected {first:?} first, got {got:?}"
                    );
                }
            }
        }

        // Extra parameters (fifteen, IRC's most) on every command: answered somehow, and
        // the connection goes on.
        let junk = ["*"; 14].join(" ");
        for &(name, _, _) in &table {
            if name == "QUIT" {
                continue;
            }
            replies_to(&mut t, &format!("{name} {junk}")).await?;
        }

        // QUIT without a reason closes as asked, and the server is still up for others.
        t.send("QUIT").await?;
        let last = t.wire.read_line().await?;
        assert!(last.starts_with(b"ERROR :Closing link"), "{last:?}");
        t.wire.expect_closed().await?;
        let mut u = Irc::register(&server, "u").await?;
        u.sync().await
    }
    .await);
}

#[tokio::test]
async fn a_reply_echoing_an_over_long_parameter_is_cut_to_512_bytes() {
    let server = server().await;
    ok(async {
        let mut t = Irc::register(&server, "t").await?;
        let long = "x".repeat(480);
        // Each line fits 512 bytes; its reply echoes the long word and must fit too.
        let cases = [
            ("X".repeat(500), vec!["421"]),
            (format!("NICK {long}"), vec!["432"]),
            (format!("JOIN #{long}"), vec!["403"]),
            (format!("NAMES #{long}"), vec!["366"]),
            (format!("PRIVMSG {long} :hi"), vec!["401"]),
            (format!("WHOIS {long}"), vec!["401", "318"]),
            (format!("WHO {long}"), vec!["315"]),
            (format!("TOPIC #{long}"), vec!["403"]),
        ];
        for (line, numerics) in cases {
            let got = replies_to(&mut t, &line).await?;
            let codes: Vec<&str> = got.iter().filter_map(|l| l.split(' ').nth(1)).collect();
            assert_eq!(codes, numerics, "{line:.20}: {got:?}");
            for reply in &got {
                // 510 bytes and the CR LF.
                assert!(reply.len() <= 510, "{line:.20}: {} bytes", reply.len());
            }
        }
        // The cut is exact: the echo loses what the line overflowed by, and the reason
        // stays whole.
        let got = replies_to(&mut t, &"X".repeat(500)).await?;
        let cut = 510 - ":irc.test 421 t ".len() - " :Unknown command".len();
        assert_eq!(
            got,
            [format!(
                ":irc.test 421 t {} :Unknown command",
                "X".repeat(cut)
            )]
        );
        t.sync().await
    }
    .await);
}

#[tokio::test]
async fn a_nick_differing_only_by_case_is_taken_on_every_protocol() {
    let server = server().await;
    ok(async {
        // IRC holds `Alice`.
        let mut alice = Irc::register(&server, "Alice").await?;
        let mut r = Wire::connect(server.addr("rooms"), "r").await?;
        r.send(b"/join x\n/nick alice\n").await?;
        r.expect(b"0\n2\n").await?;
        r.send_line(b"/nick ALICE").await?;
        r.expect_line(b"2").await?;
        let mut b = Wire::connect(server.addr("broadcast"), "b").await?;
        b.send_line(b"aLIce").await?;
        b.expect(b"Username already taken!\n").await?;
        b.expect_closed().await?;
        let mut p = Wire::connect(server.addr("prefixed"), "p").await?;
        p.send_frame(2, b"NAME aLiCe").await?;
        p.expect_frame(2, b"Error: name aLiCe is taken").await?;
        let mut k = Wire::connect(server.addr("packet"), "k").await?;
        k.send_packet(kind::LOGIN, &name_field(b"ALICE")).await?;
        k.expect_response(result::FAILURE).await?;

        // A rooms user holds `bob`: IRC can neither register nor rename to `BOB`.
        r.send_line(b"/nick bob").await?;
        r.expect_line(b"0").await?;
        let mut c = Irc::connect(&server, "c").await?;
        c.send("NICK BOB").await?;
        c.expect(":irc.test 433 * BOB :Nickname is already in use")
            .await?;
        alice.send("NICK Bob").await?;
        alice
            .expect(":irc.test 433 Alice Bob :Nickname is already in use")
            .await?;
        // A broadcast user holds `Carol`: prefixed, packet, rooms and IRC are refused.
        let mut carol = broadcast_user(&server, "Carol").await?;
        p.send_frame(2, b"NAME CAROL").await?;
        p.expect_frame(2, b"Error: name CAROL is taken").await?;
        k.send_packet(kind::LOGIN, &name_field(b"carol")).await?;
        k.expect_response(result::FAILURE).await?;
        r.send_line(b"/nick cArol").await?;
        r.expect_line(b"2").await?;
        alice.send("NICK CAROL").await?;
        alice
            .expect(":irc.test 433 Alice CAROL :Nickname is already in use")
            .await?;
        // One's own name in another case is a rename, not a clash.
        alice.send("NICK alice").await?;
        alice.expect(":Alice!Alice@127.0.0.1 NICK alice").await?;
        r.send_line(b"/nick BOB").await?;
        r.expect_line(b"0").await?;
        // The names are unchanged: each once, as typed.
        p.send_frame(2, b"GET_NAMES").await?;
        p.expect_frame(2, b"alice BOB Carol").await?;
        silence(&mut carol).await
    }
    .await);
}

#[tokio::test]
async fn a_look_alike_nick_is_erroneous_on_every_protocol() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register(&server, "alice").await?;
        // Cyrillic а (U+0430), fullwidth ａ (U+FF41), Latin-1 é, a zero-width space, a
        // Greek omicron for o, a combining accent.
        let look_alikes = [
            "\u{430}lice",
            "\u{ff41}lice",
            "alic\u{e9}",
            "ali\u{200b}ce",
            "b\u{3bf}b",
            "bob\u{301}",
        ];
        let mut c = Irc::connect(&server, "c").await?;
        let mut r = Wire::connect(server.addr("rooms"), "r").await?;
        r.send_line(b"/join x").await?;
        r.expect_line(b"0").await?;
        let mut p = Wire::connect(server.addr("prefixed"), "p").await?;
        let mut k = Wire::connect(server.addr("packet"), "k").await?;
        for nick in look_alikes {
            c.send(&format!("NICK {nick}")).await?;
            c.expect(&format!(":irc.test 432 * {nick} :Erroneus nickname"))
                .await?;
            alice.send(&format!("NICK {nick}")).await?;
            alice
                .expect(&format!(":irc.test 432 alice {nick} :Erroneus nickname"))
                .await?;
            r.send_line(format!("/nick {nick}").as_bytes()).await?;
            r.expect_line(b"1").await?;
            p.send_frame(4, format!("NAME {nick}").as_bytes()).await?;
            p.expect_frame(4, b"Error: bad name").await?;
            k.send_packet(kind::LOGIN, &name_field(nick.as_bytes()))
                .await?;
            k.expect_response(result::FAILURE).await?;
            let mut b = Wire::connect(server.addr("broadcast"), "b").await?;
            b.send_line(nick.as_bytes()).await?;
            b.expect(b"Username not allowed!\n").await?;
            b.expect_closed().await?;
        }
        // Nobody took any of them; alice is still alice.
        p.send_frame(4, b"GET_NAMES").await?;
        p.expect_frame(4, b"alice").await?;
        alice.sync().await?;
        rooms_sync(&mut r).await
    }
    .await);
}

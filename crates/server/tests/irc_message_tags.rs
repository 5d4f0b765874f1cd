//! IRCv3 message-tags: client-only tags relayed to those who negotiated the cap and
//! stripped for the others, `msgid` on every message, `TAGMSG`, and the client tags' limit.

mod irc_support;

use irc_support::*;

/// Reads the next line, which must be `@msgid=<id>[;<tags>] <rest>` with `<tags>` and
/// `<rest>` as given, and returns the id.
async fn expect_msgid(irc: &mut Irc, tags: &str, rest: &str) -> Result<String, Failure> {
    let line = irc.wire.read_line().await?;
    let text = String::from_utf8_lossy(&line).into_owned();
    let id = text
        .strip_prefix("@msgid=")
        .and_then(|t| t.split([';', ' ']).next())
        .unwrap_or("")
        .to_string();
    let expected = if tags.is_empty() {
        format!("@msgid={id} {rest}\r")
    } else {
        format!("@msgid={id};{tags} {rest}\r")
    };
    if !id.is_empty() && text == expected {
        Ok(id)
    } else {
        Err(Failure::new(
            format!("{}: expect a line with a msgid", irc.nick),
            format!("@msgid=<id>;{tags} {rest}\r").as_bytes(),
            &line,
        ))
    }
}

#[tokio::test]
async fn client_tags_reach_message_tags_clients_only() {
    let server = server().await;
    ok(async {
        let mut alice =
            Irc::register_with_caps(&server, "alice", "message-tags echo-message").await?;
        let mut bob = Irc::register_with_caps(&server, "bob", "message-tags").await?;
        let mut carol = Irc::register(&server, "carol").await?;
        let mut dave = Irc::register_with_caps(&server, "dave", "server-time").await?;
        for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
            c.join("#c").await?;
        }
        // Skip the joins each saw.
        for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
            c.send("PING sync").await?;
            c.skip_past(":irc.test PONG irc.test sync").await?;
        }

        alice
            .send(r"@+draft/react=\\o/;fizz=buzz PRIVMSG #c :hi there")
            .await?;
        let line = ":alice!alice@127.0.0.1 PRIVMSG #c :hi there";
        let echoed = expect_msgid(&mut alice, r"+draft/react=\\o/", line).await?;
        let relayed = expect_msgid(&mut bob, r"+draft/react=\\o/", line).await?;
        assert_eq!(echoed, relayed, "one msgid for the echo and the relay");
        carol.expect(line).await?;
        dave.expect_timed(line).await?;

        // Without client tags a message-tags client still gets the msgid.
        carol.send("PRIVMSG #c :plain").await?;
        let line = ":carol!carol@127.0.0.1 PRIVMSG #c plain";
        let first = expect_msgid(&mut alice, "", line).await?;
        let second = expect_msgid(&mut bob, "", line).await?;
        assert_eq!(first, second);
        dave.expect_timed(line).await?;
        assert_ne!(first, relayed, "every message has its own msgid");

        // TAGMSG reaches message-tags clients alone (not dave, despite server-time).
        alice.send("@+typing=active;+ TAGMSG #c").await?;
        let line = ":alice!alice@127.0.0.1 TAGMSG #c";
        expect_msgid(&mut alice, "+typing=active", line).await?;
        expect_msgid(&mut bob, "+typing=active", line).await?;
        carol.sync().await?;
        dave.send("PING sync").await?;
        dave.expect_timed(":irc.test PONG irc.test sync").await?;

        // To a nick: tags for bob, none for carol.
        bob.send("@+draft/reply=abc NOTICE alice :yo").await?;
        expect_msgid(
            &mut alice,
            "+draft/reply=abc",
            ":bob!bob@127.0.0.1 NOTICE alice yo",
        )
        .await?;
        alice.send("@+draft/reply=abc PRIVMSG carol :yo").await?;
        expect_msgid(
            &mut alice,
            "+draft/reply=abc",
            ":alice!alice@127.0.0.1 PRIVMSG carol yo",
        )
        .await?;
        carol
            .expect(":alice!alice@127.0.0.1 PRIVMSG carol yo")
            .await?;
        alice.send("@+typing=done TAGMSG carol").await?;
        expect_msgid(
            &mut alice,
            "+typing=done",
            ":alice!alice@127.0.0.1 TAGMSG carol",
        )
        .await?;
        carol.sync().await?;
        bob.sync().await
    }
    .await);
}

/// irctest message_tags.py `testLengthLimits`: 4094 bytes of client tags (4096 with the
/// `@` and the space) are relayed whole; one more is `417` and nothing is relayed.
#[tokio::test]
async fn client_tags_are_limited_to_4094_bytes() {
    let server = server().await;
    ok(async {
        let mut alice =
            Irc::register_with_caps(&server, "alice", "message-tags echo-message").await?;
        let mut bob = Irc::register_with_caps(&server, "bob", "message-tags").await?;
        alice.join("#c").await?;
        bob.join("#c").await?;
        alice.expect(":bob!bob@127.0.0.1 JOIN #c").await?;
        let value = "a".repeat(4081);
        alice
            .send(&format!("@foo=bar;+baz={value} TAGMSG #c"))
            .await?;
        let tags = format!("+baz={value}");
        let line = ":alice!alice@127.0.0.1 TAGMSG #c";
        let echoed = expect_msgid(&mut alice, &tags, line).await?;
        assert_eq!(expect_msgid(&mut bob, &tags, line).await?, echoed);
        alice
            .send(&format!("@foo=bar;+baz={value}a TAGMSG #c"))
            .await?;
        alice
            .expect(":irc.test 417 alice :Input line was too long")
            .await?;
        bob.sync().await
    }
    .await);
}

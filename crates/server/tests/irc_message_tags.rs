//! IRCv3 message-tags: client-only tags relayed to those who negotiated the cap and
//! stripped for the others, `msgid` on every message, `TAGMSG`, and the client tags' limit.

use confab_testkit::irc::*;

#[tokio::test]
async fn client_tags_reach_message_tags_clients_only() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = tagged_alice_and_bob(&server).await?;
        let mut carol = Irc::register(&server, "carol").await?;
        let mut dave = Irc::register_with_caps(&server, "dave", "server-time").await?;
        for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
            c.join("#c").await?;
        }
        // Skip the joins each saw.
        for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
            c.skip_to_sync().await?;
        }

        alice
            .send(r"@+draft/react=\\o/;fizz=buzz PRIVMSG #c :hi there")
            .await?;
        let line = ":alice!alice@127.0.0.1 PRIVMSG #c :hi there";
        let echoed = alice.expect_msgid(r"+draft/react=\\o/", line).await?;
        let relayed = bob.expect_msgid(r"+draft/react=\\o/", line).await?;
        assert_eq!(echoed, relayed, "one msgid for the echo and the relay");
        carol.expect(line).await?;
        dave.expect_timed(line).await?;

        // Without client tags a message-tags client still gets the msgid.
        carol.send("PRIVMSG #c :plain").await?;
        let line = ":carol!carol@127.0.0.1 PRIVMSG #c plain";
        let first = alice.expect_msgid("", line).await?;
        let second = bob.expect_msgid("", line).await?;
        assert_eq!(first, second);
        dave.expect_timed(line).await?;
        assert_ne!(first, relayed, "every message has its own msgid");

        // TAGMSG reaches message-tags clients alone (not dave, despite server-time).
        alice.send("@+typing=active;+ TAGMSG #c").await?;
        let line = ":alice!alice@127.0.0.1 TAGMSG #c";
        alice.expect_msgid("+typing=active", line).await?;
        bob.expect_msgid("+typing=active", line).await?;
        carol.sync().await?;
        dave.send("PING sync").await?;
        dave.expect_timed(":irc.test PONG irc.test sync").await?;

        // To a nick: tags for bob, none for carol.
        bob.send("@+draft/reply=abc NOTICE alice :yo").await?;
        alice
            .expect_msgid("+draft/reply=abc", ":bob!bob@127.0.0.1 NOTICE alice yo")
            .await?;
        alice.send("@+draft/reply=abc PRIVMSG carol :yo").await?;
        alice
            .expect_msgid(
                "+draft/reply=abc",
                ":alice!alice@127.0.0.1 PRIVMSG carol yo",
            )
            .await?;
        carol
            .expect(":alice!alice@127.0.0.1 PRIVMSG carol yo")
            .await?;
        alice.send("@+typing=done TAGMSG carol").await?;
        alice
            .expect_msgid("+typing=done", ":alice!alice@127.0.0.1 TAGMSG carol")
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
        let (mut alice, mut bob) = tagged_alice_and_bob(&server).await?;
        alice.join("#c").await?;
        bob.join("#c").await?;
        alice.expect(":bob!bob@127.0.0.1 JOIN #c").await?;
        let value = "a".repeat(4081);
        alice
            .send(&format!("@foo=bar;+baz={value} TAGMSG #c"))
            .await?;
        let tags = format!("+baz={value}");
        let line = ":alice!alice@127.0.0.1 TAGMSG #c";
        all_expect_msgid(&mut [&mut alice, &mut bob], &tags, line).await?;
        alice
            .ask(
                &format!("@foo=bar;+baz={value}a TAGMSG #c"),
                ":irc.test 417 alice :Input line was too long",
            )
            .await?;
        bob.sync().await
    }
    .await);
}

//! IRCv3 `draft/message-redaction`: `REDACT` by the author or a channel operator, relayed
//! to the members with the cap (not to those without it), a notice for a `rooms` user,
//! the message gone from `CHATHISTORY`, direct messages, and every `FAIL REDACT` code.

use confab_testkit::irc::*;

const CAPS: &str = "echo-message message-tags draft/message-redaction";
const HISTORY: &str = "batch draft/chathistory draft/message-redaction message-tags";

/// The id of the next line, which must be `@msgid=<id>` and then exactly `rest`.
async fn said(irc: &mut Irc, rest: &str) -> Result<String, Failure> {
    irc.expect_msgid("", rest).await
}

/// `CHATHISTORY LATEST #c * 10`: the lines inside the batch.
async fn history(irc: &mut Irc) -> Result<Vec<String>, Failure> {
    irc.send("CHATHISTORY LATEST #c * 10").await?;
    let read = |raw: Vec<u8>| String::from_utf8_lossy(&raw).trim_end().to_string();
    let opening = read(irc.wire.read_line().await?);
    let reference = opening
        .strip_prefix(":irc.test BATCH +")
        .and_then(|rest| rest.strip_suffix(" chathistory #c"))
        .unwrap_or("?")
        .to_string();
    let mut inside = Vec::new();
    loop {
        let line = read(irc.wire.read_line().await?);
        if line == format!(":irc.test BATCH -{reference}") {
            return Ok(inside);
        }
        inside.push(line);
    }
}

#[tokio::test]
async fn the_author_redacts_members_with_the_cap_hear_it_and_history_forgets_it() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        let mut bob = Irc::register_with_caps(&server, "bob", HISTORY).await?;
        let mut carol = Irc::register(&server, "carol").await?;
        alice.join("#c").await?;
        bob.join("#c").await?;
        carol.join("#c").await?;
        // A rooms user in the same room.
        let mut ann = Wire::connect(server.addr("rooms"), "ann").await?;
        ann.send(b"/join c\n/nick ann\n").await?;
        ann.expect(b"0\n0\n").await?;
        alice.skip_past(" JOIN #c").await?;
        alice.skip_past(" JOIN #c").await?;
        alice.skip_past(" JOIN #c").await?;
        bob.skip_past(" JOIN #c").await?;
        bob.skip_past(" JOIN #c").await?;

        // alice says something; everyone hears it.
        alice.send("PRIVMSG #c oops").await?;
        let id = said(&mut alice, ":alice!alice@127.0.0.1 PRIVMSG #c oops").await?;
        bob.expect(&format!(
            "@msgid={id} :alice!alice@127.0.0.1 PRIVMSG #c oops"
        ))
        .await?;
        carol
            .skip_past(":alice!alice@127.0.0.1 PRIVMSG #c oops")
            .await?;
        ann.skip_until(b"alice: oops\n").await?;
        // It is in history.
        let before = history(&mut bob).await?;
        assert!(
            before.iter().any(|l| l.ends_with(" PRIVMSG #c oops")),
            "{before:?}"
        );

        // alice takes it back, with a reason.
        alice.send(&format!("REDACT #c {id} typo")).await?;
        let redact = format!(":alice!alice@127.0.0.1 REDACT #c {id} typo");
        alice.expect(&redact).await?;
        bob.expect(&redact).await?;
        ann.expect(b"* alice deleted a message (typo)\n").await?;
        // carol, without the cap, is not told.
        carol.sync().await?;

        // History no longer plays it (the joins are still there).
        let after = history(&mut bob).await?;
        assert_eq!(after.len() + 1, before.len(), "{after:?}");
        assert!(!after.iter().any(|l| l.contains("oops")), "{after:?}");

        // The same id again is unknown now.
        alice.send(&format!("REDACT #c {id}")).await?;
        alice
            .expect(&format!(
                ":irc.test FAIL REDACT UNKNOWN_MSGID #c {id} :No such message to redact"
            ))
            .await
    }
    .await);
}

#[tokio::test]
async fn an_operator_may_redact_anyone_and_a_member_only_their_own() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        let mut bob = Irc::register_with_caps(&server, "bob", CAPS).await?;
        alice.join("#c").await?;
        bob.join("#c").await?;
        alice.skip_past(" JOIN #c").await?;

        alice.send("PRIVMSG #c mine").await?;
        let mine = said(&mut alice, ":alice!alice@127.0.0.1 PRIVMSG #c mine").await?;
        bob.skip_past(" PRIVMSG #c mine").await?;
        // bob is no operator: alice's message is not his to redact.
        bob.send(&format!("REDACT #c {mine}")).await?;
        bob.expect(&format!(
            ":irc.test FAIL REDACT REDACT_FORBIDDEN #c {mine} :You may not redact that message"
        ))
        .await?;
        alice.silence().await?;

        // alice, the channel's operator, may redact bob's.
        bob.send("PRIVMSG #c spam").await?;
        let spam = said(&mut bob, ":bob!bob@127.0.0.1 PRIVMSG #c spam").await?;
        alice.skip_past(" PRIVMSG #c spam").await?;
        alice.send(&format!("REDACT #c {spam} spam")).await?;
        let redact = format!(":alice!alice@127.0.0.1 REDACT #c {spam} spam");
        alice.expect(&redact).await?;
        bob.expect(&redact).await
    }
    .await);
}

#[tokio::test]
async fn a_direct_message_is_redacted_by_its_author_alone() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        let mut bob = Irc::register_with_caps(&server, "bob", CAPS).await?;
        alice.send("PRIVMSG bob psst").await?;
        let id = said(&mut alice, ":alice!alice@127.0.0.1 PRIVMSG bob psst").await?;
        bob.skip_past(" PRIVMSG bob psst").await?;
        // bob names the conversation by alice: not his message.
        bob.send(&format!("REDACT alice {id}")).await?;
        bob.expect(&format!(
            ":irc.test FAIL REDACT REDACT_FORBIDDEN alice {id} :You may not redact that message"
        ))
        .await?;
        alice.send(&format!("REDACT bob {id}")).await?;
        let redact = format!(":alice!alice@127.0.0.1 REDACT bob {id}");
        alice.expect(&redact).await?;
        bob.expect(&redact).await
    }
    .await);
}

#[tokio::test]
async fn bad_redactions_fail_with_the_spec_codes() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        alice.join("#c").await?;
        // A channel alice is not in, whatever the id.
        alice.send("REDACT #elsewhere x").await?;
        alice
            .expect(
                ":irc.test FAIL REDACT INVALID_TARGET #elsewhere :You cannot redact messages there",
            )
            .await?;
        // An id that is no id, in a channel she is in.
        alice.send("REDACT #c nonsense").await?;
        alice
            .expect(":irc.test FAIL REDACT UNKNOWN_MSGID #c nonsense :No such message to redact")
            .await?;
        // Too few parameters.
        alice.send("REDACT #c").await?;
        alice
            .expect(":irc.test 461 alice REDACT :Not enough parameters")
            .await
    }
    .await);
}

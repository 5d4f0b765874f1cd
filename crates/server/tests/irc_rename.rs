//! IRCv3 `draft/channel-rename`: `RENAME` by a channel operator, shown as `RENAME` to
//! members with the cap and as the spec's fallback (a PART, a JOIN, the topic and the
//! names) to the others; a change of case; history under the new name; a `rooms` user
//! taken along; and every refusal.

use confab_testkit::classroom::rooms_user;
use confab_testkit::irc::*;

const CAP: &str = "draft/channel-rename";

/// alice (with `caps`) makes `#c` and runs it, bob (no caps) joins it; both caught up.
async fn alice_and_bob_in_c(server: &TestServer, caps: &str) -> Result<(Irc, Irc), Failure> {
    let mut alice = Irc::register_with_caps(server, "alice", caps).await?;
    let mut bob = Irc::register(server, "bob").await?;
    alice.join("#c").await?;
    bob.join("#c").await?;
    alice.skip_to_sync().await?;
    Ok((alice, bob))
}

#[tokio::test]
async fn members_with_the_cap_see_rename_and_the_others_part_and_join_the_new_name() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAP).await?;
        let mut bob = Irc::register(&server, "bob").await?;
        let mut carol = Irc::register_with_caps(&server, "carol", CAP).await?;
        alice.join("#c").await?;
        alice.send("TOPIC #c :welcome").await?;
        alice
            .expect(":alice!alice@127.0.0.1 TOPIC #c welcome")
            .await?;
        bob.join("#c").await?;
        // bob reads the topic's setter and time as a join shows them.
        bob.send("TOPIC #c").await?;
        bob.expect(":irc.test 332 bob #c welcome").await?;
        let whotime = String::from_utf8_lossy(&bob.wire.read_line().await?).into_owned();
        let whotime = whotime.trim_end().replace(" #c ", " #d ");
        carol.join("#c").await?;
        bob.skip_past(":carol!carol@127.0.0.1 JOIN #c").await?;
        alice.skip_to_sync().await?;

        alice.send("RENAME #c #d :tidy up").await?;
        // alice and carol, with the cap: the RENAME itself.
        all_expect(
            &mut [&mut alice, &mut carol],
            ":alice!alice@127.0.0.1 RENAME #c #d :tidy up",
        )
        .await?;
        // bob, without it: he leaves #c with the reason and joins #d as a join shows it.
        bob.expect_all(&[
            ":bob!bob@127.0.0.1 PART #c :tidy up",
            ":bob!bob@127.0.0.1 JOIN #d",
            ":irc.test 332 bob #d welcome",
            &whotime,
            ":irc.test 353 bob = #d :@alice bob carol",
            ":irc.test 366 bob #d :End of /NAMES list",
        ])
        .await?;

        // The conversation goes on under the new name; the old one is gone.
        bob.send("PRIVMSG #d hi").await?;
        all_expect(
            &mut [&mut alice, &mut carol],
            ":bob!bob@127.0.0.1 PRIVMSG #d hi",
        )
        .await?;
        bob.send("NAMES #c").await?;
        bob.expect(":irc.test 366 bob #c :End of /NAMES list")
            .await?;
        // alice is still its operator.
        alice.send("MODE #d +m").await?;
        alice.expect(":alice!alice@127.0.0.1 MODE #d +m").await
    }
    .await);
}

#[tokio::test]
async fn without_a_reason_the_rename_says_an_empty_one_and_the_part_where_it_went() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = alice_and_bob_in_c(&server, CAP).await?;
        // bob renames without the cap: he too is told by the fallback.
        alice.send("MODE #c +o bob").await?;
        alice
            .expect(":alice!alice@127.0.0.1 MODE #c +o bob")
            .await?;
        bob.skip_past(" MODE #c +o bob").await?;
        bob.send("RENAME #c #Games").await?;
        bob.expect_all(&[
            ":bob!bob@127.0.0.1 PART #c :Channel renamed to #Games",
            ":bob!bob@127.0.0.1 JOIN #Games",
            ":irc.test 353 bob = #Games :@alice @bob",
            ":irc.test 366 bob #Games :End of /NAMES list",
        ])
        .await?;
        alice.expect(":bob!bob@127.0.0.1 RENAME #c #Games :").await
    }
    .await);
}

#[tokio::test]
async fn a_change_of_case_is_a_rename_the_fallback_does_not_show() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = alice_and_bob_in_c(&server, CAP).await?;
        alice.send("RENAME #c #C").await?;
        alice
            .expect(":alice!alice@127.0.0.1 RENAME #c #C :")
            .await?;
        // The very same name changes nothing and says nothing.
        alice.send("RENAME #C #C").await?;
        alice.sync().await?;
        bob.sync().await?;
        bob.send("NAMES #c").await?;
        bob.expect_all(&[
            ":irc.test 353 bob = #C :@alice bob",
            ":irc.test 366 bob #c :End of /NAMES list",
        ])
        .await
    }
    .await);
}

#[tokio::test]
async fn history_of_the_new_name_is_the_old_conversation() {
    let server = server().await;
    ok(async {
        let caps = "batch draft/chathistory draft/channel-rename";
        let (mut alice, mut bob) = alice_and_bob_in_c(&server, caps).await?;
        bob.send("PRIVMSG #c :before the rename").await?;
        alice
            .expect(":bob!bob@127.0.0.1 PRIVMSG #c :before the rename")
            .await?;
        alice.send("RENAME #c #d").await?;
        alice
            .expect(":alice!alice@127.0.0.1 RENAME #c #d :")
            .await?;
        bob.skip_past(":irc.test 366 bob #d :End of /NAMES list")
            .await?;
        bob.send("PRIVMSG #d :after it").await?;
        alice
            .expect(":bob!bob@127.0.0.1 PRIVMSG #d :after it")
            .await?;
        // Both lines, under the name the channel has now.
        alice.send("CHATHISTORY LATEST #d * 10").await?;
        let opening = String::from_utf8_lossy(&alice.wire.read_line().await?).into_owned();
        let reference = opening
            .trim_end()
            .strip_prefix(":irc.test BATCH +")
            .and_then(|rest| rest.strip_suffix(" chathistory #d"))
            .unwrap_or("?")
            .to_string();
        for text in [":before the rename", ":after it"] {
            let line = String::from_utf8_lossy(&alice.wire.read_line().await?).into_owned();
            let line = line.trim_end();
            let tail = format!(" :bob!bob@127.0.0.1 PRIVMSG #d {text}");
            if !line.starts_with(&format!("@batch={reference};time=")) || !line.ends_with(&tail) {
                return Err(Failure::new(
                    "a replayed line",
                    tail.as_bytes(),
                    line.as_bytes(),
                ));
            }
        }
        alice
            .expect(&format!(":irc.test BATCH -{reference}"))
            .await?;
        // Nothing is left under the old name.
        alice.send("JOIN #c").await?;
        alice
            .skip_past(":irc.test 366 alice #c :End of /NAMES list")
            .await?;
        alice.send("CHATHISTORY LATEST #c * 10").await?;
        let empty = String::from_utf8_lossy(&alice.wire.read_line().await?).into_owned();
        let reference = empty
            .trim_end()
            .strip_prefix(":irc.test BATCH +")
            .and_then(|rest| rest.strip_suffix(" chathistory #c"))
            .unwrap_or("?")
            .to_string();
        alice.expect(&format!(":irc.test BATCH -{reference}")).await
    }
    .await);
}

#[tokio::test]
async fn a_rooms_user_is_taken_along_and_told_in_words() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAP).await?;
        alice.join("#c").await?;
        let mut ann = rooms_user(&server, "c", "ann").await?;
        alice.skip_past(":ann!ann@rooms JOIN #c").await?;
        alice.send("RENAME #c #d :moving").await?;
        alice
            .expect(":alice!alice@127.0.0.1 RENAME #c #d moving")
            .await?;
        ann.expect(b"* alice renamed c to d (moving)\n").await?;
        // ann chats on in the room under its new name, and /who lists it.
        ann.send(b"hello\n/who\n").await?;
        alice.expect(":ann!ann@rooms PRIVMSG #d hello").await?;
        ann.expect(b"2\nalice\nann\n").await?;
        // A new #c is another room: ann is not in it.
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("JOIN #c").await?;
        bob.expect_all(&[
            ":bob!bob@127.0.0.1 JOIN #c",
            ":irc.test 353 bob = #c @bob",
            ":irc.test 366 bob #c :End of /NAMES list",
        ])
        .await?;
        ann.send(b"/list\n").await?;
        ann.expect(b"2\nd\nc\n").await
    }
    .await);
}

#[tokio::test]
async fn refusals_have_their_numerics_and_fail_codes() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register(&server, "alice").await?;
        let mut bob = Irc::register(&server, "bob").await?;
        alice.join("#c").await?;
        alice.join("#taken").await?;
        bob.join("#c").await?;
        bob.join("#b").await?;
        let long = format!("#{}", "x".repeat(40));
        alice.skip_to_sync().await?;
        alice
            .ask_all(&[
                ("RENAME #c", ":irc.test 461 alice RENAME :Not enough parameters"),
                ("RENAME #c :", ":irc.test 461 alice RENAME :Not enough parameters"),
                ("RENAME #nope #x", ":irc.test 403 alice #nope :No such channel"),
                (&format!("RENAME {long} #x"), &format!(":irc.test 403 alice {long} :No such channel")),
                ("RENAME #b #x", ":irc.test 442 alice #b :You're not on that channel"),
                (
                    "RENAME #c #TAKEN :x",
                    ":irc.test FAIL RENAME CHANNEL_NAME_IN_USE #c #TAKEN :The channel name is already taken",
                ),
                (
                    "RENAME #c &local",
                    ":irc.test FAIL RENAME CANNOT_RENAME #c &local :&local is not a valid channel name",
                ),
                (
                    &format!("RENAME #c {long}"),
                    &format!(":irc.test FAIL RENAME CANNOT_RENAME #c {long} :{long} is not a valid channel name"),
                ),
            ])
            .await?;
        bob.skip_to_sync().await?;
        bob.ask("RENAME #c #x", ":irc.test 482 bob #c :You're not channel operator").await?;
        // The server's own channel, broadcast's one conversation, even for an operator.
        alice.send("OPER operuser operpassword").await?;
        alice.expect(":irc.test 381 alice :You are now an IRC operator").await?;
        alice.join("#lobby").await?;
        alice
            .ask_all(&[
                (
                    "RENAME #lobby #x",
                    ":irc.test FAIL RENAME CANNOT_RENAME #lobby #x :#lobby belongs to the server and cannot be renamed",
                ),
                (
                    "RENAME #c #Lobby",
                    ":irc.test FAIL RENAME CANNOT_RENAME #c #Lobby :#Lobby belongs to the server and cannot be renamed",
                ),
            ])
            .await?;
        // Nothing was renamed.
        bob.send("RENAME #c #x").await?;
        bob.expect(":irc.test 482 bob #c :You're not channel operator").await
    }
    .await);
}

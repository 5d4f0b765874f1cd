//! Issue 17's channel modes end to end: account extbans (`a:`) in bans and exceptions,
//! mute extbans (`m:`) that mute users of every protocol, and `+C`, which refuses
//! client queries (CTCP) other than actions to everyone but operators and voiced members.

use confab_testkit::irc::*;

/// `op` runs `#chan`, where IRC user `amy` and rooms user `carol` are too.
async fn chan_with_amy_and_carol(server: &TestServer) -> Result<(Irc, Irc, Wire), Failure> {
    let mut op = Irc::register(server, "op").await?;
    op.join("#chan").await?;
    let mut amy = Irc::register(server, "amy").await?;
    amy.join("#chan").await?;
    op.expect(":amy!amy@127.0.0.1 JOIN #chan").await?;
    let mut carol = Wire::connect(server.addr("rooms"), "carol").await?;
    carol.send(b"/join chan\n/nick carol\n").await?;
    carol.expect(b"0\n0\n").await?;
    op.expect(":carol!carol@rooms JOIN #chan").await?;
    amy.expect(":carol!carol@rooms JOIN #chan").await?;
    Ok((op, amy, carol))
}

/// Reads one `<numeric> op #chan <mask> op <time>` list entry.
async fn expect_entry(op: &mut Irc, numeric: &str, mask: &str) -> Step {
    let head = format!(":irc.test {numeric} op #chan {mask} op ");
    op.wire.expect(head.as_bytes()).await?;
    op.wire.read_line().await.map(drop)
}

#[tokio::test]
async fn account_extbans_match_the_account_logged_in_not_the_nick() {
    let server = server().await;
    ok(async {
        let mut op = Irc::register(&server, "op").await?;
        op.join("#chan").await?;
        op.send("MODE #chan +b a:amy").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +b a:amy").await?;
        // `a:` names nobody: refused with 696, as an empty key is.
        op.send("MODE #chan +b a:").await?;
        op.expect(":irc.test 696 op #chan b a: :Invalid mask")
            .await?;
        op.send("MODE #chan +b").await?;
        expect_entry(&mut op, "367", "a:amy").await?;
        op.expect(":irc.test 368 op #chan :End of channel ban list")
            .await?;
        // Named amy but logged in to no account: not banned.
        let mut nick_only = Irc::register(&server, "amy").await?;
        nick_only.join("#chan").await?;
        nick_only.send("PART #chan").await?;
        // Logged in to amy (NickServ REGISTER logs in): banned.
        nick_only.send("NS REGISTER sesame").await?;
        nick_only
            .skip_past(" :You are now logged in as amy")
            .await?;
        nick_only.send("JOIN #chan").await?;
        nick_only
            .expect(":irc.test 474 amy #chan :Cannot join channel (+b)")
            .await?;
        // Everyone banned but the account amy, by exception.
        op.send("MODE #chan -b+be a:amy *!*@* a:amy").await?;
        op.skip_past(":op!op@127.0.0.1 MODE #chan -b+be a:amy *!*@* a:amy")
            .await?;
        nick_only.send("JOIN #chan").await?;
        nick_only
            .skip_past(" 366 amy #chan :End of /NAMES list")
            .await?;
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("JOIN #chan").await?;
        bob.expect(":irc.test 474 bob #chan :Cannot join channel (+b)")
            .await
    }
    .await);
}

#[tokio::test]
async fn mute_extbans_mute_every_protocol_until_an_exception_or_removal() {
    let server = server().await;
    ok(async {
        let (mut op, mut amy, mut carol) = chan_with_amy_and_carol(&server).await?;
        // A mute set as a ban's extban is a mute, and is announced as one.
        op.send("MODE #chan +bb m:amy m:carol").await?;
        let announced = ":op!op@127.0.0.1 MODE #chan +qq amy!*@* carol!*@*";
        op.expect(announced).await?;
        amy.expect(announced).await?;
        carol
            .expect(b"* op set mode +qq amy!*@* carol!*@*\n")
            .await?;
        amy.send("PRIVMSG #chan :hi").await?;
        amy.expect(":irc.test 404 amy #chan :Cannot send to channel: you are muted in chan")
            .await?;
        carol.send(b"hello\n").await?;
        carol
            .expect(b"* message not sent: you are muted in chan\n")
            .await?;
        // The ban list shows mutes as extbans after the bans, the exceptions likewise.
        op.send("MODE #chan +be *!*@nowhere *!*@elsewhere").await?;
        op.skip_past(" MODE #chan +be *!*@nowhere *!*@elsewhere")
            .await?;
        carol
            .expect(b"* op set mode +be *!*@nowhere *!*@elsewhere\n")
            .await?;
        op.send("MODE #chan b").await?;
        expect_entry(&mut op, "367", "*!*@nowhere").await?;
        expect_entry(&mut op, "367", "m:amy!*@*").await?;
        expect_entry(&mut op, "367", "m:carol!*@*").await?;
        op.expect(":irc.test 368 op #chan :End of channel ban list")
            .await?;
        // An exception from mutes lets amy speak; removing carol's mute lets her.
        op.send("MODE #chan +e-b m:*!amy@* m:carol").await?;
        let announced = ":op!op@127.0.0.1 MODE #chan +e-q m:*!amy@* carol!*@*";
        op.expect(announced).await?;
        carol
            .expect(b"* op set mode +e-q m:*!amy@* carol!*@*\n")
            .await?;
        op.send("MODE #chan e").await?;
        expect_entry(&mut op, "348", "*!*@elsewhere").await?;
        expect_entry(&mut op, "348", "m:*!amy@*").await?;
        op.expect(":irc.test 349 op #chan :End of channel exception list")
            .await?;
        amy.skip_past(announced).await?;
        amy.send("PRIVMSG #chan :hi").await?;
        op.expect(":amy!amy@127.0.0.1 PRIVMSG #chan hi").await?;
        carol.expect(b"amy: hi\n").await?;
        carol.send(b"hello\n").await?;
        op.expect(":carol!carol@rooms PRIVMSG #chan hello").await
    }
    .await);
}

#[tokio::test]
async fn no_ctcp_refuses_queries_but_actions_in_every_protocol() {
    let server = server().await;
    ok(async {
        let (mut op, mut amy, mut carol) = chan_with_amy_and_carol(&server).await?;
        op.send("MODE #chan +C").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +C").await?;
        amy.expect(":op!op@127.0.0.1 MODE #chan +C").await?;
        carol.expect(b"* op set mode +C\n").await?;
        op.send("MODE #chan").await?;
        op.expect(":irc.test 324 op #chan +Cnt").await?;
        op.wire.read_line().await?; // 329, the creation time
        amy.send("PRIVMSG #chan :\x01PING 1\x01").await?;
        amy.expect(
            ":irc.test 404 amy #chan :Cannot send to channel: client queries (CTCP) are not allowed in chan",
        )
        .await?;
        carol.send(b"\x01VERSION\x01\n").await?;
        carol
            .expect(b"* message not sent: client queries (CTCP) are not allowed in chan\n")
            .await?;
        // Actions pass, and the room's operators may still query.
        amy.send("PRIVMSG #chan :\x01ACTION waves\x01").await?;
        op.expect(":amy!amy@127.0.0.1 PRIVMSG #chan :\x01ACTION waves\x01")
            .await?;
        op.send("PRIVMSG #chan :\x01PING 2\x01").await?;
        amy.expect(":op!op@127.0.0.1 PRIVMSG #chan :\x01PING 2\x01")
            .await
    }
    .await);
}

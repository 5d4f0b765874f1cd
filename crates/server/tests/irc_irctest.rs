//! Regressions found by the irctest conformance suite (see `docs/irc.md`, "irctest"):
//! each test is named after what it once got wrong or lacked, in raw lines.

use confab_testkit::irc::*;

/// irctest invite.py `testInviteList`: `INVITE` alone lists the invitations one holds
/// (`336`, `337`) rather than answering `461`; one parameter is still `461`.
#[tokio::test]
async fn invite_without_parameters_lists_ones_invitations() {
    let server = server().await;
    ok(async {
        let mut foo = Irc::register(&server, "foo").await?;
        let mut bar = Irc::register(&server, "bar").await?;
        foo.join("#chan").await?;
        // Nothing yet: just the end.
        bar.send("INVITE").await?;
        bar.expect(":irc.test 337 bar :End of /INVITE list").await?;
        foo.send("INVITE bar #chan").await?;
        foo.expect(":irc.test 341 foo bar #chan").await?;
        bar.expect(":foo!foo@127.0.0.1 INVITE bar #chan").await?;
        bar.send("INVITE").await?;
        bar.expect_all(&[
            ":irc.test 336 bar #chan",
            ":irc.test 337 bar :End of /INVITE list",
        ])
        .await?;
        bar.send("INVITE foo").await?;
        bar.expect(":irc.test 461 bar INVITE :Not enough parameters")
            .await?;
        // Joining uses the invitation up.
        bar.join("#chan").await?;
        bar.send("INVITE").await?;
        bar.expect(":irc.test 337 bar :End of /INVITE list").await
    }
    .await);
}

/// irctest list.py `testListCreationTime` / `testListTopicTime` (ELIST=C and T): `C<n`,
/// `C>n`, `T<n`, `T>n` filter by minutes since creation and since the topic was set;
/// a channel without a topic passes no `T` filter.
#[tokio::test]
async fn list_filters_by_creation_and_topic_time() {
    let server = server().await;
    ok(async {
        let mut foo = Irc::register(&server, "foo").await?;
        foo.join("#chan1").await?;
        foo.join("#chan2").await?;
        foo.send("TOPIC #chan1 :First channel").await?;
        foo.expect(":foo!foo@127.0.0.1 TOPIC #chan1 :First channel")
            .await?;
        foo.send("LIST C<1").await?;
        foo.expect_all(&[
            ":irc.test 322 foo #chan1 1 :First channel",
            ":irc.test 322 foo #chan2 1 :",
            ":irc.test 323 foo :End of /LIST",
        ])
        .await?;
        foo.send("LIST C>1").await?;
        foo.expect(":irc.test 323 foo :End of /LIST").await?;
        foo.send("LIST T<1").await?;
        foo.expect_all(&[
            ":irc.test 322 foo #chan1 1 :First channel",
            ":irc.test 323 foo :End of /LIST",
        ])
        .await?;
        foo.send("LIST T>0,C<0").await?;
        foo.expect(":irc.test 323 foo :End of /LIST").await
    }
    .await);
}

/// irctest away_notify.py `testAwayNotifyOnJoin`: someone already away who joins is
/// followed by their AWAY for away-notify members (not for others, nor for themself).
#[tokio::test]
async fn away_notify_tells_the_channel_when_someone_away_joins() {
    let server = server().await;
    ok(async {
        let mut foo = Irc::register_with_caps(&server, "foo", "away-notify").await?;
        let mut plain = Irc::register(&server, "plain").await?;
        foo.join("#chan").await?;
        plain.join("#chan").await?;
        foo.expect(":plain!plain@127.0.0.1 JOIN #chan").await?;
        let mut bar = Irc::register_with_caps(&server, "bar", "away-notify").await?;
        bar.send("AWAY :i'm already away").await?;
        bar.expect(":irc.test 306 bar :You have been marked as being away")
            .await?;
        bar.join("#chan").await?;
        bar.sync().await?;
        foo.expect_all(&[
            ":bar!bar@127.0.0.1 JOIN #chan",
            ":bar!bar@127.0.0.1 AWAY :i'm already away",
        ])
        .await?;
        plain.expect(":bar!bar@127.0.0.1 JOIN #chan").await?;
        plain.sync().await
    }
    .await);
}

/// irctest chmodes/ban.py `testBanException`: `+e` (ISUPPORT `EXCEPTS`, `e` in CHANMODES'
/// list group) lets a banned mask join; `+e` alone lists the exceptions (`348`, `349`).
#[tokio::test]
async fn ban_exceptions_let_banned_users_in_and_are_listed() {
    let server = server().await;
    ok(async {
        let mut op = Irc::register(&server, "chanop").await?;
        op.join("#chan").await?;
        op.send("MODE #chan +b ba*!*@*").await?;
        op.expect(":chanop!chanop@127.0.0.1 MODE #chan +b ba*!*@*")
            .await?;
        let mut bar = Irc::register(&server, "Bar").await?;
        bar.send("JOIN #chan").await?;
        bar.expect(":irc.test 474 Bar #chan :Cannot join channel (+b)")
            .await?;
        op.send("MODE #chan +e *ar").await?;
        op.expect(":chanop!chanop@127.0.0.1 MODE #chan +e *ar!*@*")
            .await?;
        op.send("MODE #chan e").await?;
        op.wire
            .expect(b":irc.test 348 chanop #chan *ar!*@* chanop ")
            .await?;
        op.wire.read_line().await?;
        op.expect(":irc.test 349 chanop #chan :End of channel exception list")
            .await?;
        bar.join("#chan").await?;
        op.expect(":Bar!Bar@127.0.0.1 JOIN #chan").await?;
        op.send("MODE #chan -e *AR!*@*").await?;
        op.expect(":chanop!chanop@127.0.0.1 MODE #chan -e *AR!*@*")
            .await?;
        bar.expect(":chanop!chanop@127.0.0.1 MODE #chan -e *AR!*@*")
            .await?;
        op.send("MODE #chan +e").await?;
        op.expect(":irc.test 349 chanop #chan :End of channel exception list")
            .await
    }
    .await);
}

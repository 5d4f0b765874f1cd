//! IRCv3 capabilities, each with its effect: echo-message, server-time, extended-join,
//! away-notify, multi-prefix, userhost-in-names, cap-notify, setname, MONITOR and
//! extended-monitor.

use confab_testkit::classroom::*;
use confab_testkit::irc::*;

#[tokio::test]
async fn echo_message_echoes_privmsg_and_notice_to_the_sender() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register_with_caps(&server, "a", "echo-message").await?;
        let mut b = Irc::register(&server, "b").await?;
        a.join("#c").await?;
        b.join("#c").await?;
        a.expect(":b!b@127.0.0.1 JOIN #c").await?;
        a.send("PRIVMSG #c :hello all").await?;
        a.expect(":a!a@127.0.0.1 PRIVMSG #c :hello all").await?;
        b.expect(":a!a@127.0.0.1 PRIVMSG #c :hello all").await?;
        a.send("NOTICE b :psst").await?;
        a.expect(":a!a@127.0.0.1 NOTICE b psst").await?;
        b.expect(":a!a@127.0.0.1 NOTICE b psst").await?;
        // Without the cap, nothing comes back.
        b.send("PRIVMSG #c :reply").await?;
        b.silence().await?;
        a.expect(":b!b@127.0.0.1 PRIVMSG #c reply").await?;
        // A refused message is not echoed.
        a.send("PRIVMSG nobody :x").await?;
        a.expect(":irc.test 401 a nobody :No such nick/channel")
            .await
    }
    .await);
}

#[tokio::test]
async fn server_time_tags_relayed_and_echoed_lines() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register_with_caps(&server, "a", "server-time echo-message").await?;
        let mut b = Irc::register(&server, "b").await?;
        a.send("JOIN #c").await?;
        a.expect_timed(":a!a@127.0.0.1 JOIN #c").await?;
        a.skip_past(" 366 a #c :End of /NAMES list").await?;
        b.join("#c").await?;
        a.expect_timed(":b!b@127.0.0.1 JOIN #c").await?;
        b.send("PRIVMSG #c :tick").await?;
        a.expect_timed(":b!b@127.0.0.1 PRIVMSG #c tick").await?;
        a.send("PRIVMSG #c :tock").await?;
        a.expect_timed(":a!a@127.0.0.1 PRIVMSG #c tock").await?;
        // Untagged for the client without the cap.
        b.expect(":a!a@127.0.0.1 PRIVMSG #c tock").await?;
        // Numerics stay untagged.
        a.send("WHO nobody").await?;
        a.expect(":irc.test 315 a nobody :End of WHO list").await
    }
    .await);
}

#[tokio::test]
async fn extended_join_adds_account_and_realname() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register_with_caps(&server, "a", "extended-join").await?;
        a.send("JOIN #c").await?;
        a.expect(":a!a@127.0.0.1 JOIN #c * :Real a").await?;
        a.skip_past(" 366 a #c :End of /NAMES list").await?;
        let mut b = Irc::register(&server, "b").await?;
        b.join("#c").await?;
        a.expect(":b!b@127.0.0.1 JOIN #c * :Real b").await?;
        // A classroom user's real name is their name.
        let _carol = rooms_user(&server, "c", "carol").await?;
        a.expect(":carol!carol@rooms JOIN #c * carol").await?;
        b.expect(":carol!carol@rooms JOIN #c").await?;
        // With server-time as well, the tag goes in front.
        let mut d = Irc::register_with_caps(&server, "d", "extended-join server-time").await?;
        d.join("#c").await?;
        let mut e = Irc::register(&server, "e").await?;
        e.join("#c").await?;
        d.expect_timed(":e!e@127.0.0.1 JOIN #c * :Real e").await
    }
    .await);
}

#[tokio::test]
async fn away_notify_tells_channel_mates() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register_with_caps(&server, "a", "away-notify").await?;
        let mut plain = Irc::register(&server, "plain").await?;
        let mut b = Irc::register(&server, "b").await?;
        for c in [&mut a, &mut plain, &mut b] {
            c.join("#c").await?;
        }
        a.skip_past(":b!b@127.0.0.1 JOIN #c").await?;
        plain.skip_past(":b!b@127.0.0.1 JOIN #c").await?;
        b.send("AWAY :brb").await?;
        b.expect(":irc.test 306 b :You have been marked as being away")
            .await?;
        a.expect(":b!b@127.0.0.1 AWAY brb").await?;
        b.send("AWAY").await?;
        b.skip_past(" 305 b :You are no longer marked as being away")
            .await?;
        a.expect(":b!b@127.0.0.1 AWAY").await?;
        plain.silence().await
    }
    .await);
}

#[tokio::test]
async fn multi_prefix_and_userhost_in_names() {
    let server = server().await;
    ok(async {
        let mut op = Irc::register(&server, "op").await?;
        op.join("#c").await?;
        op.send("MODE #c +v op").await?;
        op.expect(":op!op@127.0.0.1 MODE #c +v op").await?;
        let mut multi = Irc::register_with_caps(&server, "m", "multi-prefix").await?;
        multi.send("NAMES #c").await?;
        multi.expect(":irc.test 353 m = #c @+op").await?;
        multi.skip_past(" 366 m #c :End of /NAMES list").await?;
        multi.join("#c").await?;
        multi.send("WHO #c").await?;
        multi
            .expect(":irc.test 352 m #c op 127.0.0.1 irc.test op H@+ :0 Real op")
            .await?;
        let mut plain = Irc::register(&server, "p").await?;
        plain.send("NAMES #c").await?;
        plain.expect(":irc.test 353 p = #c :@op m").await?;
        let mut uhnames = Irc::register_with_caps(&server, "u", "userhost-in-names").await?;
        uhnames.send("NAMES #c").await?;
        uhnames
            .expect(":irc.test 353 u = #c :@op!op@127.0.0.1 m!m@127.0.0.1")
            .await?;
        let mut both =
            Irc::register_with_caps(&server, "both", "multi-prefix userhost-in-names").await?;
        both.send("NAMES #c").await?;
        both.expect(":irc.test 353 both = #c :@+op!op@127.0.0.1 m!m@127.0.0.1")
            .await
    }
    .await);
}

#[tokio::test]
async fn cap_notify_is_acknowledged_and_caps_can_be_dropped_later() {
    let server = server().await;
    ok(async {
        let mut c = Irc::register_with_caps(&server, "c", "cap-notify echo-message").await?;
        c.send("CAP LIST").await?;
        c.expect(":irc.test CAP c LIST :cap-notify echo-message")
            .await?;
        c.send("CAP REQ -echo-message").await?;
        c.expect(":irc.test CAP c ACK -echo-message").await?;
        c.join("#x").await?;
        c.send("PRIVMSG #x :no echo now").await?;
        c.silence().await?;
        c.send("CAP LIST").await?;
        c.expect(":irc.test CAP c LIST cap-notify").await
    }
    .await);
}

#[tokio::test]
async fn setname_changes_the_real_name_for_whois_and_tells_room_mates_with_the_cap() {
    let server = server().await;
    ok(async {
        let mut foo = Irc::register_with_caps(&server, "foo", "setname").await?;
        let mut bar = Irc::register_with_caps(&server, "bar", "setname").await?;
        let mut baz = Irc::register(&server, "baz").await?;
        for irc in [&mut foo, &mut bar, &mut baz] {
            irc.join("#chan").await?;
        }
        foo.skip_past(":baz!baz@127.0.0.1 JOIN #chan").await?;
        bar.skip_past(":baz!baz@127.0.0.1 JOIN #chan").await?;
        foo.send("SETNAME :Foo Bar").await?;
        foo.expect(":foo!foo@127.0.0.1 SETNAME :Foo Bar").await?;
        bar.expect(":foo!foo@127.0.0.1 SETNAME :Foo Bar").await?;
        baz.silence().await?;
        bar.send("WHOIS foo").await?;
        bar.expect(":irc.test 311 bar foo foo 127.0.0.1 * :Foo Bar")
            .await?;
        foo.send("SETNAME :").await?;
        foo.expect(":irc.test FAIL SETNAME INVALID_REALNAME :Real names are 1 to 150 bytes")
            .await
    }
    .await);
}

#[tokio::test]
async fn monitor_follows_nicks_of_every_protocol_coming_and_going() {
    let server = server().await;
    ok(async {
        let mut amy = Irc::register(&server, "amy").await?;
        let _bob = Irc::register(&server, "bob").await?;
        amy.send("MONITOR + bob,carol,*!u@h").await?;
        amy.expect_all(&[
            ":irc.test 432 amy *!u@h :Erroneus nickname",
            ":irc.test 730 amy bob!bob@127.0.0.1",
            ":irc.test 731 amy carol",
        ])
        .await?;
        // carol comes and goes over rooms, then renames.
        let mut carol = rooms_user(&server, "r", "carol").await?;
        amy.expect(":irc.test 730 amy carol!carol@rooms").await?;
        carol.send(b"/nick caro\n").await?;
        carol.expect(b"0\n").await?;
        amy.expect(":irc.test 731 amy carol").await?;
        amy.send("MONITOR L").await?;
        amy.expect_all(&[
            ":irc.test 732 amy bob,carol",
            ":irc.test 733 amy :End of MONITOR list",
        ])
        .await?;
        amy.send("MONITOR - bob").await?;
        amy.send("MONITOR S").await?;
        amy.expect(":irc.test 731 amy carol").await?;
        amy.send("MONITOR C").await?;
        amy.send("MONITOR L").await?;
        amy.expect(":irc.test 733 amy :End of MONITOR list").await?;
        carol.send(b"/nick carol\n").await?;
        carol.expect(b"0\n").await?;
        amy.silence().await
    }
    .await);
}

#[tokio::test]
async fn extended_monitor_tells_watchers_of_changes_once_and_only_with_both_caps() {
    let server = server().await;
    ok(async {
        let mut far =
            Irc::register_with_caps(&server, "far", "extended-monitor away-notify setname").await?;
        let mut plain = Irc::register_with_caps(&server, "plain", "away-notify setname").await?;
        let mut mate =
            Irc::register_with_caps(&server, "mate", "extended-monitor away-notify").await?;
        let mut bob = Irc::register_with_caps(&server, "bob", "setname").await?;
        // mate also shares a channel with bob; far and plain share none.
        mate.join("#r").await?;
        bob.join("#r").await?;
        mate.expect(":bob!bob@127.0.0.1 JOIN #r").await?;
        for watcher in [&mut far, &mut plain, &mut mate] {
            watcher.send("MONITOR + bob").await?;
            let me = watcher.nick.clone();
            watcher
                .expect(&format!(":irc.test 730 {me} bob!bob@127.0.0.1"))
                .await?;
        }
        // Away: far hears it by extended-monitor, mate once (as a channel mate), plain not.
        bob.send("AWAY :lunch").await?;
        bob.expect(":irc.test 306 bob :You have been marked as being away")
            .await?;
        far.expect(":bob!bob@127.0.0.1 AWAY lunch").await?;
        mate.expect(":bob!bob@127.0.0.1 AWAY lunch").await?;
        bob.send("AWAY").await?;
        bob.expect(":irc.test 305 bob :You are no longer marked as being away")
            .await?;
        far.expect(":bob!bob@127.0.0.1 AWAY").await?;
        mate.expect(":bob!bob@127.0.0.1 AWAY").await?;
        mate.silence().await?;
        plain.silence().await?;
        // SETNAME: far has setname too; mate has not, so it hears nothing.
        bob.send("SETNAME :Bob Builder").await?;
        bob.expect(":bob!bob@127.0.0.1 SETNAME :Bob Builder")
            .await?;
        far.expect(":bob!bob@127.0.0.1 SETNAME :Bob Builder")
            .await?;
        far.silence().await?;
        mate.silence().await?;
        plain.silence().await
    }
    .await);
}

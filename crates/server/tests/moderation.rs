//! Moderation reaches every protocol in its own words (issue 15 #1-#4): who runs a room,
//! server operators running every room, and kicked or banned `rooms` and `broadcast`
//! users told why and removed cleanly, never left holding a name in no room.

use confab_check::wire::{kind, name_field, result, sendto_body};
use confab_testkit::classroom::*;
use confab_testkit::irc::*;

/// An IRC user in `#lobby` with server operator status.
async fn oper_in_lobby(server: &TestServer, nick: &str) -> Result<Irc, Failure> {
    let mut irc = Irc::register(server, nick).await?;
    irc.send("OPER operuser operpassword").await?;
    irc.skip_past(&format!(":{nick}!{nick}@127.0.0.1 MODE {nick} +o"))
        .await?;
    irc.join("#lobby").await?;
    Ok(irc)
}

#[tokio::test]
async fn a_room_is_run_by_a_first_member_who_can_run_it_and_by_server_operators() {
    let server = server().await;
    ok(async {
        // A rooms user who makes a room first does not run it: rooms has no commands to.
        let _carol = rooms_user(&server, "study", "carol").await?;
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("JOIN #study").await?;
        bob.skip_past(":irc.test 353 bob = #study :carol bob")
            .await?;
        // An IRC user who makes a room runs it; nobody runs the server's lobby.
        bob.send("JOIN #own").await?;
        bob.skip_past(":irc.test 353 bob = #own @bob").await?;
        bob.join("#lobby").await?;
        bob.send("TOPIC #lobby :mine").await?;
        bob.expect(":irc.test 482 bob #lobby :You're not channel operator")
            .await?;
        // A server operator runs every room: topic, modes and kicks.
        let mut op = oper_in_lobby(&server, "teach").await?;
        bob.expect(":teach!teach@127.0.0.1 JOIN #lobby").await?;
        op.send("TOPIC #lobby welcome").await?;
        op.expect(":teach!teach@127.0.0.1 TOPIC #lobby welcome")
            .await?;
        op.send("MODE #lobby +o bob").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby +o bob")
            .await?;
        op.send("JOIN #study").await?;
        op.skip_past(" 366 teach #study :End of /NAMES list")
            .await?;
        op.send("KICK #study bob enough").await?;
        op.expect(":teach!teach@127.0.0.1 KICK #study bob enough")
            .await
    }
    .await);
}

#[tokio::test]
async fn a_kicked_rooms_user_is_back_in_the_lobby_without_the_name() {
    let server = server().await;
    ok(async {
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        let mut op = oper_in_lobby(&server, "teach").await?;
        carol.expect(b"* teach joined\n").await?;
        op.send("KICK #lobby carol spam").await?;
        op.expect(":teach!teach@127.0.0.1 KICK #lobby carol spam")
            .await?;
        carol
            .expect(b"* carol was kicked by teach (spam)\n")
            .await?;
        // The name is free at once: another user takes it.
        let mut other = Irc::connect(&server, "other").await?;
        other.send("NICK carol").await?;
        other.send("USER c 0 * :c").await?;
        other
            .skip_past(":irc.test 376 carol :End of /MOTD command.")
            .await?;
        // carol is in the lobby: chat needs a room, and she can come back under a name.
        carol.send(b"hi\n/who\n").await?;
        carol
            .expect(b"* join a room first: /join ROOM\n0\n")
            .await?;
        carol.send(b"/join lobby\n/nick carol2\n").await?;
        carol.expect(b"0\n0\n").await?;
        op.expect(":carol2!carol2@rooms JOIN #lobby").await
    }
    .await);
}

#[tokio::test]
async fn a_kicked_broadcast_user_is_told_and_disconnected() {
    let server = server().await;
    ok(async {
        let mut op = oper_in_lobby(&server, "teach").await?;
        let mut dave = broadcast_user(&server, "dave").await?;
        op.expect(":dave!dave@broadcast JOIN #lobby").await?;
        op.send("KICK #lobby dave spam").await?;
        op.expect(":teach!teach@127.0.0.1 KICK #lobby dave spam")
            .await?;
        dave.expect(b"dave was kicked by teach (spam)\nRemoved from the conversation\n")
            .await?;
        dave.expect_closed().await?;
        // Out of every room already, dave leaves without another word to anyone.
        op.silence().await?;
        let mut again = Wire::connect(server.addr("broadcast"), "dave2").await?;
        again.send(b"dave\n").await?;
        again.expect(WELCOME).await
    }
    .await);
}

#[tokio::test]
async fn a_banned_user_is_refused_in_their_protocols_words() {
    let server = server().await;
    ok(async {
        let mut op = oper_in_lobby(&server, "teach").await?;
        op.send("MODE #lobby +b zed*!*@*").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby +b zed*!*@*")
            .await?;
        // broadcast: the reason, and the connection closes; no welcome, nothing relayed.
        let mut zed = Wire::connect(server.addr("broadcast"), "zed").await?;
        zed.send(b"zed\n").await?;
        zed.expect(b"Cannot join the conversation: banned from lobby.\n")
            .await?;
        zed.expect_closed().await?;
        // rooms, choosing a nickname: the reason and `1`; the name is not kept and the
        // user is back in the lobby.
        let mut zed = Wire::connect(server.addr("rooms"), "zed").await?;
        zed.send(b"/join lobby\n/nick zed2\n").await?;
        zed.expect(b"0\n* cannot join lobby: banned from lobby\n1\n")
            .await?;
        zed.send(b"/nick zed3\n").await?;
        zed.expect(b"* join a room first: /join ROOM\n").await?;
        // rooms, named in another room: the move is refused and the user stays.
        zed.send(b"/join side\n/nick zed4\n/join lobby\n/who\n")
            .await?;
        zed.expect(b"0\n0\n* cannot join lobby: banned from lobby\n1\n1\nzed4\n")
            .await?;
        op.silence().await
    }
    .await);
}

#[tokio::test]
async fn a_server_operator_kills_a_user_of_any_protocol() {
    let server = server().await;
    ok(async {
        let mut op = oper_in_lobby(&server, "teach").await?;
        // Only server operators may; the nick must exist.
        let mut bob = Irc::register(&server, "bob").await?;
        bob.join("#lobby").await?;
        op.expect(":bob!bob@127.0.0.1 JOIN #lobby").await?;
        bob.send("KILL teach :no").await?;
        bob.expect(":irc.test 481 bob :Permission Denied- You're not an IRC operator")
            .await?;
        op.send("KILL nobody :x").await?;
        op.expect(":irc.test 401 teach nobody :No such nick/channel")
            .await?;
        // IRC: the KILL, then the closing ERROR; the room hears the reason.
        op.send("KILL bob :spam").await?;
        op.expect(":bob!bob@127.0.0.1 QUIT :Killed (teach (spam))")
            .await?;
        op.expect(":irc.test NOTICE teach :bob was disconnected").await?;
        bob.wire
            .expect(b":teach!teach@127.0.0.1 KILL bob spam\r\nERROR :Closing link: removed by an operator\r\n")
            .await?;
        bob.wire.expect_closed().await?;
        // rooms and broadcast: why, in their words, and the close.
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        op.expect(":carol!carol@rooms JOIN #lobby").await?;
        op.send("KILL carol :spam").await?;
        carol
            .expect(b"* disconnected by teach (spam)\n* removed by an operator\n")
            .await?;
        carol.expect_closed().await?;
        op.expect(":carol!carol@rooms QUIT :Killed (teach (spam))")
            .await?;
        let mut dave = broadcast_user(&server, "dave").await?;
        op.send("KILL dave").await?;
        dave.expect(b"Disconnected by teach\nRemoved from the conversation\n")
            .await?;
        dave.expect_closed().await?;
        // prefixed: an error frame; packet: the close (it has no words for it).
        let mut pre = prefixed_user(&server, "pre").await?;
        op.send("KILL pre :spam").await?;
        pre.expect_frame(2, b"Error: disconnected by teach (spam)")
            .await?;
        pre.expect_frame(2, b"Error: removed by an operator").await?;
        pre.expect_closed().await?;
        let mut pak = packet_user(&server, "pak").await?;
        op.send("KILL pak").await?;
        pak.expect_closed().await?;
        // Every name is free again.
        op.skip_past(":irc.test NOTICE teach :pak was disconnected").await?;
        op.send("NAMES #lobby").await?;
        op.expect(":irc.test 353 teach = #lobby teach").await
    }
    .await);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: a ban, a restart and the lift, in order, in every protocol"
)]
async fn a_server_wide_ban_puts_out_refuses_in_every_protocol_and_outlives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let with_dir = |dir: std::path::PathBuf| {
        move |config: &mut confab_server::Config| {
            config.data = confab_server::DataSetting::Dir(dir);
        }
    };
    let server = server_with(with_dir(dir.clone())).await;
    ok(async {
        let mut zed = rooms_user(&server, "lobby", "zed").await?;
        let mut op = oper_in_lobby(&server, "teach").await?;
        zed.expect(b"* teach joined\n").await?;
        // Only server operators ban.
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("KLINE zed :spam").await?;
        bob.expect(":irc.test 481 bob :Permission Denied- You're not an IRC operator")
            .await?;
        // A ban puts out whoever it matches now, told why.
        op.send("KLINE 0 zed :spam").await?;
        op.expect(":zed!zed@rooms QUIT :Banned (teach (spam))")
            .await?;
        op.expect(":irc.test NOTICE teach :zed!*@* is banned (spam); put out: zed")
            .await?;
        zed.expect(b"* disconnected by teach (banned: spam)\n* removed by an operator\n")
            .await?;
        zed.expect_closed().await?;
        op.send("STATS k").await?;
        op.expect_all(&[
            ":irc.test 216 teach K zed!*@* spam",
            ":irc.test 219 teach K :End of /STATS report",
        ])
        .await
    }
    .await);
    server.stop().await;
    // After a restart the ban holds, and every protocol refuses the name in its words.
    let server = server_with(with_dir(dir.clone())).await;
    ok(async {
        let mut r = Wire::connect(server.addr("rooms"), "rooms").await?;
        r.send(b"/join lobby\n/nick Zed\n").await?;
        r.expect(b"0\n* banned from this server: spam\n1\n").await?;
        let mut p = Wire::connect(server.addr("prefixed"), "prefixed").await?;
        p.send_frame(2, b"NAME zed").await?;
        p.expect_frame(2, b"Error: banned from this server: spam")
            .await?;
        let mut b = Wire::connect(server.addr("broadcast"), "broadcast").await?;
        b.send(b"zed\n").await?;
        b.expect(b"Banned from this server: spam.\n").await?;
        b.expect_closed().await?;
        let mut k = Wire::connect(server.addr("packet"), "packet").await?;
        k.send_packet(kind::LOGIN, &name_field(b"zed")).await?;
        k.expect_response(result::FAILURE).await?;
        let mut i = Irc::connect(&server, "zed").await?;
        i.send("NICK zed").await?;
        i.send("USER z 0 * :z").await?;
        i.wire
            .expect(b":irc.test 465 * :You are banned from this server: spam\r\nERROR :Closing link: banned (spam)\r\n")
            .await?;
        i.wire.expect_closed().await?;
        // Lifted, the name is free again.
        let mut op = oper_in_lobby(&server, "teach").await?;
        op.send("UNKLINE zed").await?;
        op.expect(":irc.test NOTICE teach :zed!*@* is no longer banned")
            .await?;
        r.send(b"/join lobby\n/nick zed\n").await?;
        r.expect(b"0\n0\n").await?;
        op.expect(":zed!zed@rooms JOIN #lobby").await?;
        // An address ban refuses new connections; lifted, they come in again.
        op.send("DLINE 127.0.0.1/8 :flood").await?;
        op.expect(":irc.test NOTICE teach :127.0.0.0/8 is banned (flood)")
            .await?;
        op.send("STATS D").await?;
        op.expect_all(&[
            ":irc.test 225 teach D 127.0.0.0/8 flood",
            ":irc.test 219 teach D :End of /STATS report",
        ])
        .await?;
        let mut refused = Wire::connect(server.addr("rooms"), "refused").await?;
        refused
            .expect(b"* your address is banned from this server\n")
            .await?;
        refused.expect_closed().await?;
        op.send("UNDLINE 127.0.0.1/8").await?;
        op.expect(":irc.test NOTICE teach :127.0.0.0/8 is no longer banned")
            .await?;
        let mut back = Wire::connect(server.addr("rooms"), "back").await?;
        back.send(b"/list\n").await?;
        back.expect(b"1\nlobby\n").await
    }
    .await);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: mutes, slow mode, then the word filter, in one room"
)]
async fn mutes_slow_mode_and_the_word_filter_hold_for_every_protocol() {
    let server = server_with(|c| c.moderation.filtered_words = vec!["darn".into()]).await;
    ok(async {
        let mut op = oper_in_lobby(&server, "teach").await?;
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        op.expect(":carol!carol@rooms JOIN #lobby").await?;
        let mut dave = broadcast_user(&server, "dave").await?;
        carol.expect(b"* dave joined\n").await?;
        let mut amy = Irc::register(&server, "amy").await?;
        amy.join("#lobby").await?;
        carol.expect(b"* amy joined\n").await?;
        dave.expect(b"amy joined the conversation\n").await?;
        op.skip_past(":amy!amy@127.0.0.1 JOIN #lobby").await?;

        // Mutes: a rooms user and an IRC user are told, in their words.
        op.send("MODE #lobby +qq carol amy").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby +qq carol!*@* amy!*@*")
            .await?;
        carol
            .expect(b"* teach set mode +qq carol!*@* amy!*@*\n")
            .await?;
        dave.expect(b"teach set mode +qq carol!*@* amy!*@*\n").await?;
        amy.skip_past(":teach!teach@127.0.0.1 MODE #lobby +qq carol!*@* amy!*@*")
            .await?;
        carol.send(b"hello\n").await?;
        carol
            .expect(b"* message not sent: you are muted in lobby\n")
            .await?;
        amy.send("PRIVMSG #lobby :hi").await?;
        amy.expect(":irc.test 404 amy #lobby :Cannot send to channel: you are muted in lobby")
            .await?;
        op.send("MODE #lobby +q dave").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby +q dave!*@*").await?;
        carol.expect(b"* teach set mode +q dave!*@*\n").await?;
        dave.expect(b"teach set mode +q dave!*@*\n").await?;
        amy.skip_past(":teach!teach@127.0.0.1 MODE #lobby +q dave!*@*")
            .await?;
        dave.send(b"anyone?\n").await?;
        dave.expect(b"Message not sent: you are muted in lobby.\n").await?;
        op.send("MODE #lobby -q dave").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby -q dave!*@*").await?;
        carol.expect(b"* teach set mode -q dave!*@*\n").await?;
        dave.expect(b"teach set mode -q dave!*@*\n").await?;
        amy.skip_past(":teach!teach@127.0.0.1 MODE #lobby -q dave!*@*")
            .await?;
        op.send("MODE #lobby q").await?;
        let first = op.wire.read_line().await?;
        assert!(first.starts_with(b":irc.test 728 teach #lobby q carol!*@* teach "));
        let second = op.wire.read_line().await?;
        assert!(second.starts_with(b":irc.test 728 teach #lobby q amy!*@* teach "));
        op.expect(":irc.test 729 teach #lobby q :End of channel quiet list")
            .await?;
        op.send("MODE #lobby -qq carol amy").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby -qq carol!*@* amy!*@*")
            .await?;
        carol
            .expect(b"* teach set mode -qq carol!*@* amy!*@*\n")
            .await?;
        dave.expect(b"teach set mode -qq carol!*@* amy!*@*\n").await?;

        // Slow mode: one message a minute; the second is refused with the wait.
        op.send("MODE #lobby +f 60").await?;
        op.expect(":teach!teach@127.0.0.1 MODE #lobby +f 60").await?;
        carol.expect(b"* teach set mode +f 60\n").await?;
        dave.expect(b"teach set mode +f 60\n").await?;
        dave.send(b"one\ntwo\n").await?;
        carol.expect(b"dave: one\n").await?;
        dave.expect(b"Message not sent: slow mode in lobby: wait 60 s.\n")
            .await?;
        // A server operator is not held back.
        op.send("PRIVMSG #lobby :a\r\nPRIVMSG #lobby :b").await?;
        carol.expect(b"teach: a\nteach: b\n").await?;
        op.send("MODE #lobby -f").await?;
        op.skip_past(":teach!teach@127.0.0.1 MODE #lobby -f").await?;
        carol.expect(b"* teach set mode -f\n").await?;
        dave.expect(b"teach: a\nteach: b\nteach set mode -f\n").await?;

        // The word filter, in rooms and in direct messages, in any case.
        dave.send(b"oh DARN\n").await?;
        dave.expect(b"Message not sent: it contains a word that is not allowed here.\n")
            .await?;
        amy.send("PRIVMSG carol :darn it").await?;
        amy.skip_past(":teach!teach@127.0.0.1 MODE #lobby -f").await?;
        amy.expect(
            ":irc.test 404 amy carol :Cannot send to channel: it contains a word that is not allowed here",
        )
        .await?;
        // prefixed and packet users, who only send direct messages, are filtered too.
        let mut pre = prefixed_user(&server, "pre").await?;
        pre.send_frame(2, b"MSG carol darn").await?;
        pre.expect_frame(
            2,
            b"Error: message not sent: it contains a word that is not allowed here",
        )
        .await?;
        let mut pak = packet_user(&server, "pak").await?;
        pak.send_packet(kind::SENDTO, &sendto_body(b"carol", b"Darn"))
            .await?;
        pak.expect_response(result::FAILURE).await?;
        carol.expect_silence(std::time::Duration::from_millis(200)).await
    }
    .await);
}

#[tokio::test]
async fn wallops_reach_every_server_operator_and_nobody_else() {
    let server = server().await;
    ok(async {
        let mut teach = oper_in_lobby(&server, "teach").await?;
        let mut aide = oper_in_lobby(&server, "aide").await?;
        teach.skip_past(":aide!aide@127.0.0.1 JOIN #lobby").await?;
        let mut bob = Irc::register(&server, "bob").await?;
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        bob.send("WALLOPS :not me").await?;
        bob.expect(":irc.test 481 bob :Permission Denied- You're not an IRC operator")
            .await?;
        teach.send("WALLOPS :class ends at three").await?;
        teach.expect(":carol!carol@rooms JOIN #lobby").await?;
        teach
            .expect(":teach!teach@127.0.0.1 WALLOPS :class ends at three")
            .await?;
        aide.skip_past(":teach!teach@127.0.0.1 WALLOPS :class ends at three")
            .await?;
        bob.silence().await?;
        carol
            .expect_silence(std::time::Duration::from_millis(200))
            .await
    }
    .await);
}

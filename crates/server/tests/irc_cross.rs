//! One core: IRC users meet classroom users. Channel `#lobby` is the room `lobby` of the
//! rooms protocol and broadcast's one conversation; direct messages cross to and from
//! prefixed and packet users; classroom users show on IRC as `name!name@<protocol>`;
//! no one's text can forge an IRC line.

use confab_check::wire::{kind, result, sendto_body};
use confab_testkit::classroom::*;
use confab_testkit::irc::*;

#[tokio::test]
async fn irc_and_rooms_share_lobby() {
    let server = server().await;
    ok(async {
        let mut carol = rooms_user(&server, "lobby", "carol").await?;
        let mut alice = Irc::register(&server, "alice").await?;
        alice.send("JOIN #lobby").await?;
        // carol came first, but the lobby is the server's and rooms has no commands to
        // run a channel: nobody is its operator.
        alice
            .expect_all(&[
                ":alice!alice@127.0.0.1 JOIN #lobby",
                ":irc.test 353 alice = #lobby :carol alice",
                ":irc.test 366 alice #lobby :End of /NAMES list",
            ])
            .await?;
        carol.expect_line(b"* alice joined").await?;
        alice.send("PRIVMSG #lobby :hi carol").await?;
        carol.expect_line(b"alice: hi carol").await?;
        carol.send_line(b"hello from rooms").await?;
        alice
            .expect(":carol!carol@rooms PRIVMSG #lobby :hello from rooms")
            .await?;
        alice.send("WHO #lobby").await?;
        alice
            .expect_all(&[
                ":irc.test 352 alice #lobby carol rooms irc.test carol H :0 carol",
                ":irc.test 352 alice #lobby alice 127.0.0.1 irc.test alice H :0 Real alice",
                ":irc.test 315 alice #lobby :End of WHO list",
            ])
            .await?;
        // IRC's channel events reach rooms users in words.
        carol.send_line(b"/nick caro").await?;
        carol.expect_line(b"0").await?;
        alice.expect(":carol!carol@rooms NICK caro").await?;
        alice.send("TOPIC #lobby :the lobby").await?;
        alice
            .expect(":irc.test 482 alice #lobby :You're not channel operator")
            .await?;
        // A rooms user switching rooms is a PART; losing the connection a QUIT.
        carol.send_line(b"/join elsewhere").await?;
        carol.expect_line(b"0").await?;
        alice.expect(":caro!caro@rooms PART #lobby").await?;
        carol.send_line(b"/join lobby").await?;
        carol.expect_line(b"0").await?;
        alice.expect(":caro!caro@rooms JOIN #lobby").await?;
        carol.reset();
        alice.expect(":caro!caro@rooms QUIT :Connection lost").await
    }
    .await);
}

#[tokio::test]
async fn irc_and_broadcast_share_lobby() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register(&server, "alice").await?;
        alice.join("#lobby").await?;
        let mut dave = broadcast_user(&server, "dave").await?;
        alice.expect(":dave!dave@broadcast JOIN #lobby").await?;
        dave.send_line(b"hi there").await?;
        alice
            .expect(":dave!dave@broadcast PRIVMSG #lobby :hi there")
            .await?;
        alice.send("PRIVMSG #lobby :hello dave").await?;
        dave.expect_line(b"alice: hello dave").await?;
        // The lobby is the server's: its server operators run it.
        alice.send("MODE #lobby +m").await?;
        alice
            .expect(":irc.test 482 alice #lobby :You're not channel operator")
            .await?;
        alice.send("OPER operuser operpassword").await?;
        alice
            .skip_past(":alice!alice@127.0.0.1 MODE alice +o")
            .await?;
        alice.send("MODE #lobby +m").await?;
        alice
            .expect(":alice!alice@127.0.0.1 MODE #lobby +m")
            .await?;
        dave.expect_line(b"alice set mode +m").await?;
        dave.send_line(b"muted?").await?;
        dave.expect_line(b"Message not sent: cannot speak in lobby.")
            .await?;
        dave.send_line(b"bye").await?;
        alice.expect(":dave!dave@broadcast QUIT Quit").await
    }
    .await);
}

#[tokio::test]
async fn direct_messages_cross_to_and_from_prefixed_and_packet() {
    let server = server().await;
    ok(async {
        let mut bob = Irc::register(&server, "bob").await?;
        let mut pre = prefixed_user(&server, "A").await?;
        pre.send_frame(2, b"MSG bob hi").await?;
        bob.expect(":A!A@prefixed PRIVMSG bob hi").await?;
        bob.send("PRIVMSG A :hi yourself").await?;
        pre.expect_frame(2, b"bob sent hi yourself").await?;
        let mut pak = packet_user(&server, "pak").await?;
        pak.send_packet(kind::SENDTO, &sendto_body(b"BOB", b"from a packet"))
            .await?;
        pak.expect_response(result::OK).await?;
        bob.expect(":pak!pak@packet PRIVMSG bob :from a packet")
            .await?;
        bob.send("NOTICE pak :notice back").await?;
        pak.expect_packet(kind::SENDTO_REPLY, &sendto_body(b"bob", b"notice back"))
            .await?;
        // IRC sees the classroom users by name.
        bob.send("WHOIS A").await?;
        bob.expect_all(&[
            ":irc.test 311 bob A A prefixed * A",
            ":irc.test 312 bob A irc.test :TestNet (prefixed)",
            ":irc.test 318 bob A :End of /WHOIS list",
        ])
        .await?;
        pre.send_frame(2, b"GET_NAMES").await?;
        pre.expect_frame(2, b"bob A pak").await
    }
    .await);
}

#[tokio::test]
async fn classroom_text_cannot_forge_an_irc_line() {
    let server = server().await;
    ok(async {
        let mut bob = Irc::register(&server, "bob").await?;
        bob.join("#lobby").await?;
        let mut dave = broadcast_user(&server, "dave").await?;
        bob.expect(":dave!dave@broadcast JOIN #lobby").await?;
        // A lone CR inside a broadcast line.
        dave.send_line(b"hi\rKICK #lobby bob :forged").await?;
        bob.expect(":dave!dave@broadcast PRIVMSG #lobby :hi KICK #lobby bob :forged")
            .await?;
        // CR, LF and NUL inside a packet's text.
        let mut pak = packet_user(&server, "pak").await?;
        pak.send_packet(
            kind::SENDTO,
            &sendto_body(b"bob", b"a\r\nQUIT :x\0y\r\nPRIVMSG #lobby :z"),
        )
        .await?;
        pak.expect_response(result::OK).await?;
        bob.expect(":pak!pak@packet PRIVMSG bob :a  QUIT :x y  PRIVMSG #lobby :z")
            .await?;
        bob.silence().await
    }
    .await);
}

#[tokio::test]
async fn a_quit_read_at_eof_keeps_its_reason() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register(&server, "a").await?;
        a.join("#c").await?;
        let mut b = Irc::register(&server, "b").await?;
        b.join("#c").await?;
        a.expect(":b!b@127.0.0.1 JOIN #c").await?;
        // The last line has no CRLF and the client closes at once.
        b.wire.send(b"QUIT :short visit").await?;
        b.wire.close().await;
        a.expect(":b!b@127.0.0.1 QUIT :Quit: short visit").await
    }
    .await);
}

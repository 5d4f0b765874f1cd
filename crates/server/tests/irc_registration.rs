//! IRC registration and the connection's own rules: the welcome burst, CAP holding
//! registration, PASS, nick errors, PING/PONG both ways, QUIT, line limits and the
//! numerics for unknown, early and incomplete commands.

use std::time::Duration;

use confab_testkit::irc::*;

#[tokio::test]
async fn registration_sends_the_welcome_burst_with_isupport_lusers_and_motd() {
    let server = server().await;
    ok(async {
        let mut c = Irc::connect(&server, "alice").await?;
        c.send("NICK alice").await?;
        c.send("USER alice 0 * :Alice Liddell").await?;
        c.expect_all(&[
            ":irc.test 001 alice :Welcome to the TestNet Network, alice!alice@127.0.0.1",
            ":irc.test 002 alice :Your host is irc.test, running version confab-0.1.0",
        ])
        .await?;
        // 003 names the start time: only its shape is fixed.
        c.wire
            .expect(b":irc.test 003 alice :This server was created ")
            .await?;
        c.wire.read_line().await?;
        c.expect_all(&[
            ":irc.test 004 alice irc.test confab-0.1.0 Bio CIbefiklmnoqstv Ibefkloqv",
            ":irc.test 005 alice ACCOUNTEXTBAN=a AWAYLEN=200 BOT=B CASEMAPPING=ascii \
             CHANLIMIT=#:100 CHANMODES=Ibeq,k,fl,Cimnst CHANNELLEN=33 CHANTYPES=# ELIST=CMNTU \
             EXCEPTS=e EXTBAN=,am INVEX=I KICKLEN=255 :are supported by this server",
            ":irc.test 005 alice MAXLIST=I:100,b:100,e:100,q:100 MODES=6 MONITOR=100 \
             NETWORK=TestNet NICKLEN=20 PREFIX=(ov)@+ STATUSMSG=@+ \
             TARGMAX=JOIN:,KICK:,LIST:,NAMES:,NOTICE:4,PART:,PRIVMSG:4,WHOIS:1 TOPICLEN=390 \
             USERLEN=16 UTF8ONLY WHOX CHATHISTORY=100 :are supported by this server",
            ":irc.test 005 alice MSGREFTYPES=msgid,timestamp :are supported by this server",
            ":irc.test 251 alice :There are 1 users and 0 invisible on 1 servers",
            ":irc.test 252 alice 0 :operator(s) online",
            ":irc.test 253 alice 0 :unknown connection(s)",
            ":irc.test 254 alice 0 :channels formed",
            ":irc.test 255 alice :I have 1 clients and 0 servers",
            ":irc.test 265 alice 1 1 :Current local users 1, max 1",
            ":irc.test 266 alice 1 1 :Current global users 1, max 1",
            ":irc.test 375 alice :- irc.test Message of the day - ",
            ":irc.test 372 alice :- hello",
            ":irc.test 376 alice :End of /MOTD command.",
        ])
        .await?;
        c.silence().await
    }
    .await);
}

#[tokio::test]
async fn no_motd_is_422_and_lusers_counts_unregistered_and_invisible_users() {
    let server = server_with(|c| c.irc.motd.clear()).await;
    ok(async {
        let mut a = Irc::connect(&server, "a").await?;
        a.send("NICK a\r\nUSER a 0 * :A").await?;
        a.skip_past(" 266 a 1 1 :Current global users 1, max 1")
            .await?;
        a.expect(":irc.test 422 a :MOTD File is missing").await?;
        a.send("MODE a +i").await?;
        a.expect(":a!a@127.0.0.1 MODE a +i").await?;
        // b has only sent NICK: an unknown connection, not a user.
        let mut b = Irc::connect(&server, "b").await?;
        b.send("NICK b").await?;
        b.send("PING x").await?;
        b.expect(":irc.test PONG irc.test x").await?;
        a.send("LUSERS").await?;
        a.expect_all(&[
            ":irc.test 251 a :There are 0 users and 1 invisible on 1 servers",
            ":irc.test 252 a 0 :operator(s) online",
            ":irc.test 253 a 1 :unknown connection(s)",
            ":irc.test 254 a 0 :channels formed",
            ":irc.test 255 a :I have 1 clients and 0 servers",
            ":irc.test 265 a 1 1 :Current local users 1, max 1",
            ":irc.test 266 a 1 1 :Current global users 1, max 1",
        ])
        .await?;
        a.send("MOTD").await?;
        a.expect(":irc.test 422 a :MOTD File is missing").await
    }
    .await);
}

#[tokio::test]
async fn cap_negotiation_holds_registration_until_cap_end() {
    let server = server().await;
    ok(async {
        let mut c = Irc::connect(&server, "carl").await?;
        c.send("CAP LS 302").await?;
        c.expect(
            ":irc.test CAP * LS :account-notify account-tag away-notify batch cap-notify \
             draft/channel-rename draft/chathistory draft/event-playback echo-message extended-join \
             extended-monitor labeled-response draft/message-redaction message-tags \
             draft/metadata-3=before-connect,max-subs=50,max-keys=20,max-value-bytes=300 \
             multi-prefix draft/multiline=max-bytes=4096,max-lines=32 \
             draft/account-registration=before-connect draft/read-marker sasl=PLAIN \
             server-time setname userhost-in-names",
        )
        .await?;
        c.send("NICK carl").await?;
        c.send("USER carl 0 * :Carl").await?;
        // Registration waits for CAP END.
        c.silence().await?;
        c.send("CAP REQ :multi-prefix draft/unknown").await?;
        c.expect(":irc.test CAP * NAK :multi-prefix draft/unknown")
            .await?;
        c.send("CAP REQ :multi-prefix away-notify").await?;
        // Before registration the client has no nick yet: `*`.
        c.expect(":irc.test CAP * ACK :multi-prefix away-notify")
            .await?;
        c.send("CAP END").await?;
        c.skip_past(" 376 carl :End of /MOTD command.").await?;
        // 302 enabled cap-notify by itself.
        c.send("CAP LIST").await?;
        c.expect(":irc.test CAP carl LIST :away-notify cap-notify multi-prefix")
            .await?;
        c.send("CAP FOO").await?;
        c.expect(":irc.test 410 carl FOO :Invalid CAP command")
            .await
    }
    .await);
}

#[tokio::test]
async fn a_server_password_is_required_and_checked() {
    let server = server_with(|c| c.irc.password = Some("sesame".into())).await;
    ok(async {
        let mut good = Irc::connect(&server, "good").await?;
        good.send("PASS sesame\r\nNICK good\r\nUSER g 0 * :G")
            .await?;
        good.expect(":irc.test 001 good :Welcome to the TestNet Network, good!g@127.0.0.1")
            .await?;
        good.skip_past(" 376 good :End of /MOTD command.").await?;
        good.send("PASS again").await?;
        good.expect(":irc.test 462 good :You may not reregister")
            .await?;
        let mut bad = Irc::connect(&server, "bad").await?;
        bad.send("PASS wrong\r\nNICK bad\r\nUSER b 0 * :B").await?;
        bad.expect(":irc.test 464 * :Password incorrect").await?;
        bad.expect("ERROR :Closing link: bad password").await?;
        bad.wire.expect_closed().await?;
        let mut none = Irc::connect(&server, "none").await?;
        none.send("NICK none\r\nUSER n 0 * :N").await?;
        none.expect(":irc.test 464 * :Password incorrect").await
    }
    .await);
}

#[tokio::test]
async fn nick_errors_and_collisions() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register(&server, "alice").await?;
        let mut b = Irc::connect(&server, "b").await?;
        b.send("NICK").await?;
        b.expect(":irc.test 431 * :No nickname given").await?;
        b.send("NICK :").await?;
        b.expect(":irc.test 431 * :No nickname given").await?;
        b.send("NICK 9lives").await?;
        b.expect(":irc.test 432 * 9lives :Erroneus nickname")
            .await?;
        b.send("NICK *").await?;
        b.expect(":irc.test 432 * * :Erroneus nickname").await?;
        b.send("NICK ALICE").await?;
        b.expect(":irc.test 433 * ALICE :Nickname is already in use")
            .await?;
        b.send("NICK bob").await?;
        b.send("USER bob 0 * :Bob").await?;
        b.skip_past(" 376 bob :End of /MOTD command.").await?;
        // A registered client renaming onto a taken nick.
        a.send("NICK bob").await?;
        a.expect(":irc.test 433 alice bob :Nickname is already in use")
            .await?;
        // The same nick is silent; a case change is a change.
        a.send("NICK alice").await?;
        a.silence().await?;
        a.send("NICK Alice").await?;
        a.expect(":alice!alice@127.0.0.1 NICK Alice").await?;
        a.send("USER x 0 * :X").await?;
        a.expect(":irc.test 462 Alice :You may not reregister")
            .await
    }
    .await);
}

#[tokio::test]
async fn two_clients_racing_for_one_nick_get_one_welcome() {
    let server = server().await;
    ok(async {
        let mut a = Irc::connect(&server, "a").await?;
        let mut b = Irc::connect(&server, "b").await?;
        a.send("NICK foo").await?;
        b.send("NICK foo").await?;
        a.send("USER u 0 * :U").await?;
        a.expect(":irc.test 001 foo :Welcome to the TestNet Network, foo!u@127.0.0.1")
            .await?;
        b.send("USER u 0 * :U").await?;
        b.expect(":irc.test 433 * foo :Nickname is already in use")
            .await?;
        // The loser picks another nick and is welcomed.
        b.send("NICK foo2").await?;
        b.expect(":irc.test 001 foo2 :Welcome to the TestNet Network, foo2!u@127.0.0.1")
            .await
    }
    .await);
}

#[tokio::test]
async fn commands_before_registration_unknown_and_empty_ones() {
    let server = server().await;
    ok(async {
        let mut c = Irc::connect(&server, "c").await?;
        c.send("JOIN #a").await?;
        c.expect(":irc.test 451 * :You have not registered").await?;
        c.send("PRIVMSG x :hi").await?;
        c.expect(":irc.test 451 * :You have not registered").await?;
        c.send("FOO bar").await?;
        c.expect(":irc.test 421 * FOO :Unknown command").await?;
        c.send("USER x 0 *").await?;
        c.expect(":irc.test 461 * USER :Not enough parameters")
            .await?;
        c.send("USER x 0 * :").await?;
        c.expect(":irc.test 461 * USER :Not enough parameters")
            .await?;
        // Empty lines are ignored.
        c.send("").await?;
        c.send("   ").await?;
        c.silence().await?;
        c.send("PING early").await?;
        c.expect(":irc.test PONG irc.test early").await?;
        c.send("NICK c\r\nUSER c 0 * :C").await?;
        c.skip_past(" 376 c :End of /MOTD command.").await?;
        c.send("frobnicate").await?;
        c.expect(":irc.test 421 c FROBNICATE :Unknown command")
            .await
    }
    .await);
}

#[tokio::test]
async fn every_command_that_needs_a_parameter_says_461_and_the_connection_goes_on() {
    let server = server().await;
    ok(async {
        let mut c = Irc::register(&server, "c").await?;
        for command in [
            "CAP", "PASS", "PING", "JOIN", "PART", "WHOIS", "USERHOST", "TOPIC", "MODE", "KICK",
            "OPER",
        ] {
            c.send(command).await?;
            c.expect(&format!(":irc.test 461 c {command} :Not enough parameters"))
                .await?;
        }
        c.send("KICK #a").await?;
        c.expect(":irc.test 461 c KICK :Not enough parameters")
            .await?;
        // INVITE alone lists invitations (irc_irctest.rs); with one parameter it is 461.
        c.send("INVITE bob").await?;
        c.expect(":irc.test 461 c INVITE :Not enough parameters")
            .await?;
        c.send("OPER x").await?;
        c.expect(":irc.test 461 c OPER :Not enough parameters")
            .await?;
        c.send("PRIVMSG").await?;
        c.expect(":irc.test 411 c :No recipient given (PRIVMSG)")
            .await?;
        c.send("PRIVMSG c").await?;
        c.expect(":irc.test 412 c :No text to send").await?;
        c.send("PRIVMSG c :").await?;
        c.expect(":irc.test 412 c :No text to send").await?;
        // NOTICE never gets an error back.
        c.send("NOTICE").await?;
        c.send("NOTICE c").await?;
        c.send("NOTICE nobody :hi").await?;
        c.send("NOTICE #nowhere :hi").await?;
        c.silence().await?;
        c.sync().await
    }
    .await);
}

#[tokio::test]
async fn ping_pong_both_ways_and_a_silent_client_is_dropped() {
    let server = server_with(|c| {
        c.irc.ping_interval_secs = 1;
        c.irc.ping_timeout_secs = 1;
    })
    .await;
    ok(async {
        let mut c = Irc::register(&server, "c").await?;
        c.send("PING :some token").await?;
        c.expect(":irc.test PONG irc.test :some token").await?;
        c.send("PING :").await?;
        c.expect(":irc.test PONG irc.test :").await?;
        // Idle for a second: the server asks, the client answers and stays.
        c.expect("PING irc.test").await?;
        c.send("PONG irc.test").await?;
        c.expect("PING irc.test").await?;
        // This time nobody answers.
        c.expect("ERROR :Closing link: Ping timeout: 1 seconds")
            .await?;
        c.wire.expect_closed().await
    }
    .await);
}

#[tokio::test]
async fn quit_says_error_and_closes_and_frees_the_nick() {
    let server = server().await;
    ok(async {
        let mut c = Irc::register(&server, "quitter").await?;
        c.send("QUIT :see you").await?;
        c.expect("ERROR :Closing link: (quitter@127.0.0.1) [Quit: see you]")
            .await?;
        c.wire.expect_closed().await?;
        let mut again = Irc::register(&server, "QUITTER").await?;
        // An unregistered client quitting holds no nick either.
        let mut early = Irc::connect(&server, "early").await?;
        early.send("NICK early\r\nQUIT").await?;
        early
            .expect("ERROR :Closing link: (*@127.0.0.1) [Quit]")
            .await?;
        early.wire.expect_closed().await?;
        let _ = Irc::register(&server, "early").await?;
        again.sync().await
    }
    .await);
}

#[tokio::test]
async fn lines_over_512_bytes_get_417_and_past_the_read_limit_the_connection_closes() {
    let server = server().await;
    ok(async {
        let mut c = Irc::register(&server, "c").await?;
        // 510 bytes before the CRLF is the most a line may have.
        let fits = format!("PING {}", "x".repeat(505));
        c.send(&fits).await?;
        c.skip_past("xxxx").await?;
        let long = format!("PING {}", "x".repeat(506));
        c.send(&long).await?;
        c.expect(":irc.test 417 c :Input line was too long").await?;
        // Tags do not count against the 512, but a client's are capped at 4096 bytes.
        let tagged = format!("@+a={} PING ok", "t".repeat(4000));
        c.send(&tagged).await?;
        c.expect(":irc.test PONG irc.test ok").await?;
        let tagged = format!("@+a={} PING ok", "t".repeat(5000));
        c.send(&tagged).await?;
        c.expect(":irc.test 417 c :Input line was too long").await?;
        // Past tags and line together, the client is cut off.
        c.wire.send(&vec![b'x'; 16 * 1024]).await?;
        c.expect("ERROR :Closing link: input line too long").await?;
        c.wire.expect_closed().await
    }
    .await);
}

#[tokio::test]
async fn invalid_utf8_is_refused_with_fail() {
    let server = server().await;
    ok(async {
        let mut c = Irc::register(&server, "c").await?;
        c.wire.send(b"PRIVMSG c :caf\xe9\r\n").await?;
        c.expect(
            ":irc.test FAIL PRIVMSG INVALID_UTF8 :Message rejected, your message contained \
             invalid UTF-8",
        )
        .await?;
        c.silence().await
    }
    .await);
}

#[tokio::test]
async fn a_client_that_vanishes_is_removed_at_once() {
    let server = server().await;
    ok(async {
        let a = Irc::register(&server, "gone").await?;
        a.wire.reset();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut b = Irc::register(&server, "gone").await?;
        b.sync().await
    }
    .await);
}

#[tokio::test]
async fn info_links_and_help_describe_the_server_and_every_command() {
    let server = server_with(|c| c.irc.description = "the test server".into()).await;
    ok(async {
        let mut amy = Irc::register(&server, "amy").await?;
        amy.send("LINKS").await?;
        amy.expect_all(&[
            ":irc.test 364 amy irc.test irc.test :0 the test server",
            ":irc.test 365 amy * :End of /LINKS list",
        ])
        .await?;
        amy.send("INFO").await?;
        amy.expect(&format!(":irc.test 371 amy :confab {}", env!("CARGO_PKG_VERSION")))
            .await?;
        amy.skip_past(":irc.test 374 amy :End of INFO list").await?;
        amy.send("HELP privmsg").await?;
        amy.expect_all(&[
            ":irc.test 704 amy PRIVMSG :PRIVMSG <#room|nick>[,...] :<text>",
            ":irc.test 705 amy PRIVMSG :Sends a message.",
            ":irc.test 706 amy PRIVMSG :End of /HELP",
        ])
        .await?;
        amy.send("HELPOP nothing").await?;
        amy.expect(":irc.test 524 amy nothing :No help available on this topic")
            .await?;
        amy.send("HELP").await?;
        amy.expect(":irc.test 704 amy index :confab's commands; HELP <command> for one:")
            .await?;
        amy.expect(":irc.test 705 amy index :CAP PASS NICK USER PING PONG QUIT AUTHENTICATE REGISTER VERIFY")
            .await?;
        amy.skip_past(":irc.test 706 amy index :End of /HELP").await
    }
    .await);
}

#[tokio::test]
async fn whowas_remembers_names_given_up_on_any_protocol_newest_first() {
    let server = server().await;
    ok(async {
        let mut amy = Irc::register(&server, "amy").await?;
        amy.send("WHOWAS bob").await?;
        amy.expect_all(&[
            ":irc.test 406 amy bob :There was no such nickname",
            ":irc.test 369 amy bob :End of WHOWAS",
        ])
        .await?;
        // bob renames, then leaves; a rooms user named bob comes and goes.
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("NICK bobby").await?;
        bob.send("QUIT :bye").await?;
        bob.wire.skip_until(b"ERROR").await?;
        let mut rooms = Wire::connect(server.addr("rooms"), "rooms").await?;
        rooms.send(b"/join r\n/nick bob\n/logout\n").await?;
        rooms.expect(b"0\n0\n").await?;
        rooms.expect_closed().await?;
        amy.send("WHOWAS bob").await?;
        let first = amy.wire.read_line().await?;
        assert_eq!(first, b":irc.test 314 amy bob bob rooms * bob\r");
        let at = amy.wire.read_line().await?;
        assert!(
            at.starts_with(b":irc.test 312 amy bob irc.test 20"),
            "{at:?}"
        );
        let second = amy.wire.read_line().await?;
        assert_eq!(second, b":irc.test 314 amy bob bob 127.0.0.1 * :Real bob\r");
        amy.wire.read_line().await?;
        amy.expect(":irc.test 369 amy bob :End of WHOWAS").await?;
        // A mask, and a count: the two newest whose name starts with bob.
        amy.send("WHOWAS bob* 2").await?;
        amy.skip_past(":irc.test 314 amy bob bob rooms * bob")
            .await?;
        amy.wire.read_line().await?;
        amy.expect(":irc.test 314 amy bobby bob 127.0.0.1 * :Real bob")
            .await?;
        amy.wire.read_line().await?;
        amy.expect(":irc.test 369 amy bob* :End of WHOWAS").await?;
        amy.send("WHOWAS").await?;
        amy.expect(":irc.test 431 amy :No nickname given").await
    }
    .await);
}

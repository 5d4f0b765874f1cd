//! Accounts end to end: registering (NickServ, REGISTER), logging in (SASL PLAIN,
//! NickServ IDENTIFY), registered names refused on every protocol with that protocol's
//! own "taken" bytes, what others see of a logged-in user (account-tag, account-notify,
//! extended-join, WHOIS 330), and direct messages that wait for an offline account.

use std::time::{Duration, Instant};

use confab_check::wire::{name_field, packet, text_field};
use confab_testkit::irc::{ok, server, server_with, Failure, Irc, Step, TestServer, Wire, SERVER};

/// `base64("\0amy\0sesame")`, SASL PLAIN's credentials for amy.
const AMY_PLAIN: &str = "AGFteQBzZXNhbWU=";

/// Registers `nick` with password `sesame` through NickServ and disconnects.
async fn register_account(server: &TestServer, nick: &str) -> Step {
    let mut irc = Irc::register(server, nick).await?;
    // NS REGISTER, as irctest's registerUser does: NickServ's notice, then 900.
    irc.send("NS REGISTER sesame").await?;
    irc.expect_all(&[
        &format!(":NickServ!NickServ@services NOTICE {nick} :Account created"),
        &format!(
            ":{SERVER} 900 {nick} {nick}!{nick}@127.0.0.1 {nick} :You are now logged in as {nick}"
        ),
    ])
    .await?;
    quit(irc).await
}

/// QUIT: the server says goodbye and closes.
async fn quit(mut irc: Irc) -> Step {
    irc.send("QUIT").await?;
    irc.expect(&format!(
        "ERROR :Closing link: ({}@127.0.0.1) [Quit]",
        irc.nick
    ))
    .await?;
    irc.wire.expect_closed().await
}

/// Connects, logs in to amy with SASL PLAIN before registering, and registers as amy
/// with the caps asked for (`sasl` added).
async fn sasl_amy(server: &TestServer, caps: &str) -> Result<Irc, Failure> {
    let mut irc = Irc::connect(server, "amy").await?;
    let caps = format!("sasl {caps}").trim().to_string();
    irc.send(&format!("CAP REQ :{caps}")).await?;
    let colon = if caps.contains(' ') { ":" } else { "" };
    irc.expect(&format!(":{SERVER} CAP * ACK {colon}{caps}"))
        .await?;
    irc.send("NICK amy").await?;
    irc.send("USER amy 0 * :Real amy").await?;
    begin_plain(&mut irc).await?;
    irc.send(&format!("AUTHENTICATE {AMY_PLAIN}")).await?;
    irc.expect_all(&[
        &format!(":{SERVER} 900 amy amy!amy@127.0.0.1 amy :You are now logged in as amy"),
        &format!(":{SERVER} 903 amy :SASL authentication successful"),
    ])
    .await?;
    irc.send("CAP END").await?;
    irc.skip_past(" 376 amy :End of /MOTD command.").await?;
    Ok(irc)
}

/// AUTHENTICATE PLAIN, and the server's go-ahead.
async fn begin_plain(irc: &mut Irc) -> Step {
    irc.send("AUTHENTICATE PLAIN").await?;
    irc.expect("AUTHENTICATE +").await
}

/// 904, the answer to a failed (or refused) SASL attempt before registration.
fn sasl_failed() -> String {
    format!(":{SERVER} 904 * :SASL authentication failed")
}

#[tokio::test]
async fn a_registered_name_is_taken_on_every_classroom_protocol() {
    let server = server().await;
    ok(register_account(&server, "amy").await);
    // prefixed: the seed's own refusal, as the client typed the name.
    let mut p = Wire::connect(server.addr("prefixed"), "prefixed")
        .await
        .unwrap();
    ok(p.send_frame(2, b"NAME Amy").await);
    ok(p.expect_frame(2, b"Error: name Amy is taken").await);
    // rooms: code 2.
    let mut r = Wire::connect(server.addr("rooms"), "rooms").await.unwrap();
    ok(r.send(b"/join lobby\n/nick AMY\n").await);
    ok(r.expect(b"0\n2\n").await);
    // packet: RESPONSE 1.
    let mut k = Wire::connect(server.addr("packet"), "packet")
        .await
        .unwrap();
    ok(k.send(&packet(1, &name_field(b"amy"))).await);
    ok(k.expect(b"\x82\x00\x00\x00\x01\x01").await);
    // broadcast: taken, then closed.
    let mut b = Wire::connect(server.addr("broadcast"), "broadcast")
        .await
        .unwrap();
    ok(b.send(b"amy\n").await);
    ok(b.expect(b"Username already taken!\n").await);
    ok(b.expect_closed().await);
    // IRC: 433 without the account.
    let mut i = Irc::connect(&server, "i").await.unwrap();
    ok(i.send("NICK amy").await);
    ok(i.send("USER amy 0 * :x").await);
    ok(
        i.expect(&format!(":{SERVER} 433 * amy :Nickname is already in use"))
            .await,
    );
    // NickServ is nobody's, on any protocol.
    ok(p.send_frame(2, b"NAME nickserv").await);
    ok(p.expect_frame(2, b"Error: name nickserv is taken").await);
    // Nor are ChanServ and the server's own name ("confab" by default), here over rooms.
    ok(r.send(b"/nick chanserv\n/nick CONFAB\n").await);
    ok(r.expect(b"2\n2\n").await);
}

#[tokio::test]
async fn sasl_plain_logs_in_and_the_owner_takes_the_name() {
    let server = server().await;
    ok(register_account(&server, "amy").await);
    let mut amy = sasl_amy(&server, "").await.unwrap();
    ok(amy.send("WHOIS amy").await);
    ok(amy.skip_past(" 312 amy amy irc.test :TestNet (irc)").await);
    ok(amy
        .expect(&format!(":{SERVER} 330 amy amy amy :is logged in as"))
        .await);
    ok(amy
        .expect(&format!(":{SERVER} 318 amy amy :End of /WHOIS list"))
        .await);
    // WHOX's account field: the account, or 0 for a user logged in to none.
    let mut bob = Irc::register(&server, "bob").await.unwrap();
    ok(amy.send("JOIN #club").await);
    ok(amy.skip_past(" 366 amy #club :End of /NAMES list").await);
    ok(bob.send("JOIN #club").await);
    ok(bob.skip_past(" 366 bob #club :End of /NAMES list").await);
    ok(amy.expect(":bob!bob@127.0.0.1 JOIN #club").await);
    ok(bob.send("WHO #club %tcna,7").await);
    ok(bob
        .expect_all(&[
            &format!(":{SERVER} 354 bob 7 #club amy amy"),
            &format!(":{SERVER} 354 bob 7 #club bob 0"),
            &format!(":{SERVER} 315 bob #club :End of WHO list"),
        ])
        .await);
    ok(bob.send("WHO amy %na").await);
    ok(bob
        .expect_all(&[
            &format!(":{SERVER} 354 bob amy amy"),
            &format!(":{SERVER} 315 bob amy :End of WHO list"),
        ])
        .await);
    // Once logged in, another AUTHENTICATE is refused.
    ok(amy.send("AUTHENTICATE PLAIN").await);
    ok(amy
        .expect(&format!(
            ":{SERVER} 907 amy :You have already authenticated using SASL"
        ))
        .await);
}

#[tokio::test]
async fn sasl_failures_abort_and_limits() {
    let server = server().await;
    ok(register_account(&server, "amy").await);
    let mut c = Irc::connect(&server, "c").await.unwrap();
    // Without the cap: 904.
    ok(c.send("AUTHENTICATE PLAIN").await);
    ok(c.expect(&sasl_failed()).await);
    ok(c.send("CAP REQ sasl").await);
    ok(c.expect(&format!(":{SERVER} CAP * ACK sasl")).await);
    // An unknown mechanism: 908 then 904.
    ok(c.send("AUTHENTICATE EXTERNAL").await);
    ok(c.expect_all(&[
        &format!(":{SERVER} 908 * PLAIN :are available SASL mechanisms"),
        &sasl_failed(),
    ])
    .await);
    // Aborted: 906.
    ok(begin_plain(&mut c).await);
    ok(c.send("AUTHENTICATE *").await);
    ok(
        c.expect(&format!(":{SERVER} 906 * :SASL authentication aborted"))
            .await,
    );
    // One chunk over 400 bytes: 905.
    ok(begin_plain(&mut c).await);
    ok(c.send(&format!("AUTHENTICATE {}", "A".repeat(401))).await);
    ok(c.expect(&format!(":{SERVER} 905 * :SASL message too long"))
        .await);
    // Over 8 KiB in 400-byte chunks: 904.
    ok(begin_plain(&mut c).await);
    let chunk = "A".repeat(400);
    for _ in 0..20 {
        ok(c.send(&format!("AUTHENTICATE {chunk}")).await);
    }
    ok(c.sync().await);
    ok(c.send(&format!("AUTHENTICATE {chunk}")).await);
    ok(c.expect(&sasl_failed()).await);
    // A wrong password: 904, answered only after the failure delay.
    ok(begin_plain(&mut c).await);
    let asked = Instant::now();
    // base64("\0amy\0wrong")
    ok(c.send("AUTHENTICATE AGFteQB3cm9uZw==").await);
    ok(c.expect(&sasl_failed()).await);
    assert!(
        asked.elapsed() >= Duration::from_millis(900),
        "{:?}",
        asked.elapsed()
    );
}

/// amy connects, reads CAP LS 302 up to the line ending `ls_tail`, asks for
/// draft/account-registration, sends NICK and then `REGISTER * * sesame` before USER.
async fn register_before_user(server: &TestServer, ls_tail: &str) -> Result<Irc, Failure> {
    let mut amy = Irc::connect(server, "amy").await?;
    amy.send("CAP LS 302").await?;
    amy.skip_past(ls_tail).await?;
    amy.send("CAP REQ draft/account-registration").await?;
    amy.expect(&format!(":{SERVER} CAP * ACK draft/account-registration"))
        .await?;
    amy.send("NICK amy").await?;
    amy.send("REGISTER * * sesame").await?;
    Ok(amy)
}

#[tokio::test]
async fn register_before_connect_then_what_others_see_of_the_account() {
    let server = server().await;
    let mut bob =
        Irc::register_with_caps(&server, "bob", "account-notify account-tag extended-join")
            .await
            .unwrap();
    ok(bob.join("#r").await);
    // amy registers before completing registration (draft/account-registration).
    let mut amy =
        register_before_user(&server, " sasl=PLAIN server-time setname userhost-in-names")
            .await
            .unwrap();
    ok(amy
        .expect_all(&[
            &format!(":{SERVER} REGISTER SUCCESS amy :Account successfully registered"),
            &format!(":{SERVER} 900 amy amy!*@127.0.0.1 amy :You are now logged in as amy"),
        ])
        .await);
    ok(amy.send("USER amy 0 * :Real amy").await);
    ok(amy.send("CAP END").await);
    ok(amy.skip_past(" 376 amy :End of /MOTD command.").await);
    ok(amy.join("#r").await);
    // extended-join shows the account; account-tag tags amy's lines.
    ok(bob
        .expect("@account=amy :amy!amy@127.0.0.1 JOIN #r amy :Real amy")
        .await);
    ok(amy.send("PRIVMSG #r :hi").await);
    ok(bob
        .expect("@account=amy :amy!amy@127.0.0.1 PRIVMSG #r hi")
        .await);
    // VERIFY: nothing to verify.
    ok(amy.send("VERIFY amy 123").await);
    ok(amy
        .expect(&format!(
            ":{SERVER} FAIL VERIFY INVALID_CODE amy :No verification is needed"
        ))
        .await);
    // A second REGISTER of a taken account, by someone else.
    let mut cy = Irc::register_with_caps(&server, "cy", "draft/account-registration")
        .await
        .unwrap();
    ok(cy.send("REGISTER amy * pw").await);
    ok(cy
        .expect(&format!(
            ":{SERVER} FAIL REGISTER ACCOUNT_NAME_MUST_BE_NICK amy :The account must be your nick"
        ))
        .await);
    // cy registers through NickServ and identifies later: bob hears ACCOUNT.
    ok(cy.join("#r").await);
    ok(bob.expect(":cy!cy@127.0.0.1 JOIN #r * :Real cy").await);
    ok(cy.send("PRIVMSG NickServ :REGISTER pw").await);
    ok(cy.skip_past(" :You are now logged in as cy").await);
    ok(bob.expect("@account=cy :cy!cy@127.0.0.1 ACCOUNT cy").await);
}

/// The answer to guest's NickServ IDENTIFY as amy: 900, then NickServ's notice.
async fn expect_guest_is_amy(g: &mut Irc) -> Step {
    g.expect_all(&[
        &format!(":{SERVER} 900 guest guest!guest@127.0.0.1 amy :You are now logged in as amy"),
        ":NickServ!NickServ@services NOTICE guest :You're now logged in as amy",
    ])
    .await
}

#[tokio::test]
async fn nickserv_identify_logs_in_a_guest_who_then_takes_the_name() {
    let server = server().await;
    ok(register_account(&server, "amy").await);
    let mut g = Irc::register(&server, "guest").await.unwrap();
    ok(g.send("NICK amy").await);
    ok(g.expect(&format!(
        ":{SERVER} 433 guest amy :Nickname is already in use"
    ))
    .await);
    ok(g.send("PRIVMSG NickServ :IDENTIFY amy nope").await);
    ok(
        g.expect(":NickServ!NickServ@services NOTICE guest :Invalid account credentials")
            .await,
    );
    // A PING sent right behind the IDENTIFY is answered after it: the answer, checked
    // off the connection's task, keeps its place.
    ok(g.send("NICKSERV IDENTIFY amy sesame\r\nPING behind").await);
    ok(expect_guest_is_amy(&mut g).await);
    ok(g.expect(&format!(":{SERVER} PONG {SERVER} behind")).await);
    ok(g.send("NICK amy").await);
    ok(g.expect(":guest!guest@127.0.0.1 NICK amy").await);
}

#[tokio::test]
async fn a_message_to_an_offline_account_waits_for_its_login() {
    let server = server().await;
    ok(register_account(&server, "amy").await);
    // prefixed: no error, as for anyone online.
    let mut p = Wire::connect(server.addr("prefixed"), "prefixed")
        .await
        .unwrap();
    ok(p.send_frame(2, b"NAME bob").await);
    ok(p.expect_frame(2, b"Hello bob").await);
    ok(p.send_frame(2, b"MSG amy first").await);
    ok(p.send_frame(2, b"MSG nobody x").await);
    ok(p.expect_frame(2, b"Error: no user named nobody").await);
    // packet: RESPONSE ok.
    let mut k = Wire::connect(server.addr("packet"), "packet")
        .await
        .unwrap();
    ok(k.send(&packet(1, &name_field(b"kit"))).await);
    ok(k.expect(b"\x82\x00\x00\x00\x01\x00").await);
    let mut body = name_field(b"amy");
    body.extend(text_field(b"second"));
    ok(k.send(&packet(3, &body)).await);
    ok(k.expect(b"\x82\x00\x00\x00\x01\x00").await);
    // IRC: told it waits.
    let mut c = Irc::register(&server, "cy").await.unwrap();
    ok(leave_for_amy(&mut c, "third").await);
    // amy logs in: after the welcome, the three, in order, with their times.
    let mut amy = sasl_amy(&server, "").await.unwrap();
    ok(amy
        .expect_timed(":bob!bob@prefixed PRIVMSG amy first")
        .await);
    ok(amy.expect_timed(":kit!kit@packet PRIVMSG amy second").await);
    ok(amy.expect_timed(":cy!cy@127.0.0.1 PRIVMSG amy third").await);
    // Handed over once: a second login gets nothing.
    ok(quit(amy).await);
    let mut again = sasl_amy(&server, "").await.unwrap();
    ok(again.silence().await);
    ok(quit(again).await);
    // A login after registration (NickServ IDENTIFY) plays what waited right after it.
    ok(leave_for_amy(&mut c, "fourth").await);
    let mut g = Irc::register(&server, "guest").await.unwrap();
    ok(g.send("NS IDENTIFY amy sesame").await);
    ok(expect_guest_is_amy(&mut g).await);
    ok(g.expect_timed(":cy!cy@127.0.0.1 PRIVMSG amy fourth").await);
    ok(g.silence().await);
}

/// Expects a played-back history line: `@time=<t>;msgid=<id> ` and then exactly `rest`.
async fn expect_played(irc: &mut Irc, rest: &str) -> Step {
    let line = irc.wire.read_line().await?;
    let text = String::from_utf8_lossy(&line);
    let shown = text
        .strip_prefix("@time=")
        .and_then(|t| t.split_once(' '))
        .filter(|(tags, _)| tags.contains(";msgid="))
        .map(|(_, after)| after.trim_end_matches(['\r', '\n']));
    if shown == Some(rest) {
        return Ok(());
    }
    Err(Failure::new(
        format!("{}: expect a played-back line", irc.nick),
        format!("@time=T;msgid=ID {rest}\r\n").as_bytes(),
        &line,
    ))
}

#[tokio::test]
async fn direct_history_is_kept_between_accounts_not_nicks() {
    let server = server().await;
    ok(async {
        // cy talks to amy before amy is an account: that conversation is nick to nick.
        let mut cy = Irc::register(&server, "cy").await?;
        let mut amy = Irc::register(&server, "amy").await?;
        cy.send("PRIVMSG amy :before").await?;
        amy.expect(":cy!cy@127.0.0.1 PRIVMSG amy before").await?;
        amy.send("QUIT").await?;
        amy.skip_past("[Quit]").await?;
        register_account(&server, "amy").await?;
        // Whoever registers the nick later does not read it.
        let mut amy = sasl_amy(&server, "draft/chathistory").await?;
        amy.send("CHATHISTORY LATEST cy * 10").await?;
        amy.sync().await?;
        cy.send("PRIVMSG amy :after").await?;
        amy.expect(":cy!cy@127.0.0.1 PRIVMSG amy after").await?;
        amy.send("CHATHISTORY LATEST cy * 10").await?;
        expect_played(&mut amy, ":cy!cy@127.0.0.1 PRIVMSG amy after").await?;
        amy.sync().await?;
        // The account reads it under another nick, logged in with NickServ.
        let mut guest = Irc::register_with_caps(&server, "guest", "draft/chathistory").await?;
        guest.send("NS IDENTIFY amy sesame").await?;
        guest
            .skip_past(" NOTICE guest :You're now logged in as amy")
            .await?;
        guest.send("CHATHISTORY LATEST cy * 10").await?;
        expect_played(&mut guest, ":cy!cy@127.0.0.1 PRIVMSG amy after").await?;
        guest.sync().await?;
        // cy's side: "amy" is the account now, whoever holds the nick.
        cy.send("CAP REQ draft/chathistory").await?;
        cy.expect(&format!(":{SERVER} CAP cy ACK draft/chathistory"))
            .await?;
        cy.send("CHATHISTORY LATEST amy * 10").await?;
        expect_played(&mut cy, ":cy!cy@127.0.0.1 PRIVMSG amy after").await?;
        cy.sync().await
    }
    .await);
}

/// cy (IRC) sends amy a direct message while amy is offline; it waits.
async fn leave_for_amy(cy: &mut Irc, text: &str) -> Step {
    cy.send(&format!("PRIVMSG amy :{text}")).await?;
    cy.expect(&format!(
        ":{SERVER} NOTICE cy :amy is not online; your message will be delivered when they log in"
    ))
    .await
}

#[tokio::test]
async fn classroom_users_log_in_with_name_and_password_and_get_what_waited() {
    let server = server().await;
    ok(register_account(&server, "amy").await);
    let mut cy = Irc::register(&server, "cy").await.unwrap();
    ok(async {
        // prefixed: a wrong password is "taken"; the right one takes the name, then what
        // waited comes as ordinary direct messages.
        leave_for_amy(&mut cy, "for prefixed").await?;
        let mut p = Wire::connect(server.addr("prefixed"), "prefixed").await?;
        p.send_frame(2, b"NAME amy wrong").await?;
        p.send_frame(2, b"GET_NAMES").await?;
        p.expect_frame(2, b"Error: name amy is taken").await?;
        p.expect_frame(2, b"cy").await?;
        p.send_frame(2, b"NAME amy sesame").await?;
        p.expect_frame(2, b"Hello amy").await?;
        p.expect_frame(2, b"cy sent for prefixed").await?;
        p.send_frame(2, b"EXIT").await?;
        p.expect_closed().await?;
        // packet: RESPONSE 0, then the SENDTO.
        leave_for_amy(&mut cy, "for packet").await?;
        let mut k = Wire::connect(server.addr("packet"), "packet").await?;
        k.send(&packet(1, &name_field(b"amy sesame"))).await?;
        k.expect(b"\x82\x00\x00\x00\x01\x00").await?;
        let mut sendto = name_field(b"cy");
        sendto.extend(text_field(b"for packet"));
        k.expect(&packet(0x83, &sendto)).await?;
        k.close().await;
        // rooms: /nick with the password; the private line follows the welcome.
        leave_for_amy(&mut cy, "for rooms").await?;
        let mut r = Wire::connect(server.addr("rooms"), "rooms").await?;
        r.send(b"/join lobby\n/nick amy sesame\n/who\n").await?;
        r.expect(b"0\n0\n").await?;
        r.skip_until(b"* cy (private): for rooms\n").await?;
        r.expect(b"1\namy\n").await?;
        r.send(b"/logout\n").await?;
        r.expect_closed().await?;
        // broadcast: a wrong password is "taken" and the connection closes.
        let mut b = Wire::connect(server.addr("broadcast"), "broadcast").await?;
        b.send(b"amy wrong\n").await?;
        b.expect(b"Username already taken!\n").await?;
        b.expect_closed().await?;
        leave_for_amy(&mut cy, "for broadcast").await?;
        let mut b = Wire::connect(server.addr("broadcast"), "broadcast").await?;
        b.send(b"amy sesame\n").await?;
        b.expect(b"Welcome to the chat. Enter 'bye' anytime to exit.\n")
            .await?;
        b.expect(b"* cy (private): for broadcast\n").await
    }
    .await);
}

#[tokio::test]
async fn register_can_be_kept_until_the_connection_completes() {
    let server = server_with(|config| config.irc.register_before_connect = false).await;
    // The cap is offered without `before-connect`.
    let mut amy = register_before_user(
        &server,
        " draft/account-registration draft/read-marker sasl=PLAIN server-time setname \
         userhost-in-names",
    )
    .await
    .unwrap();
    ok(amy
        .expect(&format!(
            ":{SERVER} FAIL REGISTER COMPLETE_CONNECTION_REQUIRED amy \
             :Complete the connection before registering"
        ))
        .await);
    ok(amy.send("USER amy 0 * :Real amy").await);
    ok(amy.send("CAP END").await);
    ok(amy.skip_past(" 376 amy :End of /MOTD command.").await);
    ok(amy.send("REGISTER * * sesame").await);
    ok(amy
        .expect_all(&[
            &format!(":{SERVER} REGISTER SUCCESS amy :Account successfully registered"),
            &format!(":{SERVER} 900 amy amy!amy@127.0.0.1 amy :You are now logged in as amy"),
        ])
        .await);
}

#[tokio::test]
async fn register_star_after_a_refused_nick_is_told_the_nick_is_taken() {
    let server = server().await;
    let _root = Irc::register(&server, "root").await.unwrap();
    let mut bar = Irc::connect(&server, "bar").await.unwrap();
    ok(bar.send("NICK root").await);
    ok(bar
        .expect(&format!(":{SERVER} 433 * root :Nickname is already in use"))
        .await);
    ok(bar.send("REGISTER * * sesame").await);
    ok(bar
        .expect(&format!(
            ":{SERVER} FAIL REGISTER ACCOUNT_EXISTS root :Account already exists"
        ))
        .await);
}

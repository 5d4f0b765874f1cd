//! IRCv3 `draft/multiline`: a client's batch of lines is one message, delivered as a
//! batch to clients with the cap and line by line to the others (classroom users too),
//! bounded in lines and bytes, every bad batch refused with its `FAIL BATCH` code.

use confab_testkit::irc::*;

const CAPS: &str = "message-tags batch echo-message labeled-response draft/multiline";

/// `alice`, with every cap a multiline batch needs, in `#c`.
async fn alice_in_c(server: &TestServer) -> Result<Irc, Failure> {
    let mut alice = Irc::register_with_caps(server, "alice", CAPS).await?;
    alice.join("#c").await?;
    Ok(alice)
}

/// The start of a `FAIL BATCH` with `code`.
fn fail(code: &str) -> String {
    format!(":irc.test FAIL BATCH {code}")
}

/// Reads the next line, which must be `make(id)` for the msgid it carries; returns the id.
async fn expect_with_id(irc: &mut Irc, make: impl Fn(&str) -> String) -> Result<String, Failure> {
    let line = irc.wire.read_line().await?;
    let text = String::from_utf8_lossy(&line).trim_end().to_string();
    let id = text
        .split_once("msgid=")
        .and_then(|(_, rest)| rest.split([';', ' ']).next())
        .unwrap_or_default()
        .to_string();
    if !id.is_empty() && text == make(&id) {
        Ok(id)
    } else {
        let want = format!("{}\r", make("<id>"));
        Err(Failure::new(
            format!("{}: expect a msgid", irc.nick),
            want.as_bytes(),
            &line,
        ))
    }
}

#[tokio::test]
async fn a_multiline_batch_is_one_message_batched_or_line_by_line() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAPS).await?;
        let mut bob = Irc::register_with_caps(&server, "bob", "batch draft/multiline").await?;
        let mut carol = Irc::register_with_caps(&server, "carol", "message-tags").await?;
        for c in [&mut alice, &mut bob, &mut carol] {
            c.join("#c").await?;
        }
        // Skip the joins each saw.
        for c in [&mut alice, &mut bob, &mut carol] {
            c.send("PING sync").await?;
            c.skip_past(":irc.test PONG irc.test sync").await?;
        }
        // alice sends three lines, the last continuing the second, one of them blank.
        alice
            .send("@label=xyz;+draft/x=1 BATCH +b1 draft/multiline #c")
            .await?;
        alice.send("@batch=b1 PRIVMSG #c :").await?;
        alice.send("@batch=b1 PRIVMSG #c :how is ").await?;
        alice
            .send("@batch=b1;draft/multiline-concat PRIVMSG #c :everyone?")
            .await?;
        alice.send("BATCH -b1").await?;
        // Her echo is one batch labeled on its start, its id the message's msgid.
        let a = "alice!alice@127.0.0.1";
        let id = expect_with_id(&mut alice, |id| {
            format!("@label=xyz;msgid={id};+draft/x=1 :{a} BATCH +{id} draft/multiline #c")
        })
        .await?;
        let rest = [
            format!("@batch={id} :{a} PRIVMSG #c :"),
            format!("@batch={id} :{a} PRIVMSG #c :how is "),
            format!("@batch={id};draft/multiline-concat :{a} PRIVMSG #c everyone?"),
            format!(":{a} BATCH -{id}"),
        ];
        for line in &rest {
            alice.expect(line).await?;
        }
        // bob (no message-tags) gets the batch without the message's tags.
        bob.expect(&format!(":{a} BATCH +{id} draft/multiline #c"))
            .await?;
        for line in &rest {
            bob.expect(line).await?;
        }
        // carol, without the cap, gets the lines that have text, the msgid on the first.
        carol
            .expect(&format!("@msgid={id};+draft/x=1 :{a} PRIVMSG #c :how is "))
            .await?;
        carol
            .expect(&format!("@+draft/x=1 :{a} PRIVMSG #c everyone?"))
            .await?;
        carol.sync().await
    }
    .await);
}

#[tokio::test]
async fn multiline_reaches_classroom_users_one_line_each() {
    let server = server().await;
    ok(async {
        let mut carol = Wire::connect(server.addr("rooms"), "carol").await?;
        carol.send_line(b"/join lobby").await?;
        carol.expect_line(b"0").await?;
        carol.send_line(b"/nick carol").await?;
        carol.expect_line(b"0").await?;
        let mut pre = Wire::connect(server.addr("prefixed"), "A").await?;
        pre.send_frame(2, b"NAME A").await?;
        pre.expect_frame(2, b"Hello A").await?;
        let mut alice = Irc::register_with_caps(&server, "alice", "batch draft/multiline").await?;
        alice.join("#lobby").await?;
        carol.expect_line(b"* alice joined").await?;
        alice.send("BATCH +m draft/multiline #lobby").await?;
        alice.send("@batch=m PRIVMSG #lobby :first").await?;
        alice.send("@batch=m PRIVMSG #lobby :").await?;
        alice.send("@batch=m PRIVMSG #lobby :second").await?;
        alice.send("BATCH -m").await?;
        carol.expect_line(b"alice: first").await?;
        carol.expect_line(b"alice: second").await?;
        alice.send("BATCH +d draft/multiline A").await?;
        alice.send("@batch=d PRIVMSG A :one").await?;
        alice.send("@batch=d PRIVMSG A :two").await?;
        alice.send("BATCH -d").await?;
        pre.expect_frame(2, b"alice sent one").await?;
        pre.expect_frame(2, b"alice sent two").await?;
        alice.sync().await
    }
    .await);
}

#[tokio::test]
async fn bad_multiline_batches_get_their_fail_codes() {
    let server = server().await;
    ok(async {
        let mut alice = alice_in_c(&server).await?;
        // Parameters missing: 461.
        alice.send("BATCH").await?;
        alice
            .expect(":irc.test 461 alice BATCH :Not enough parameters")
            .await?;
        alice.send("BATCH +x draft/multiline").await?;
        alice
            .expect(":irc.test 461 alice BATCH :Not enough parameters")
            .await?;
        // A type of batch clients may not send, and a reference without + or -.
        alice.send("BATCH +x chathistory #c").await?;
        let only = "Only draft/multiline batches may be sent";
        alice
            .expect(&format!("{} :{only}", fail("MULTILINE_INVALID")))
            .await?;
        alice.send("BATCH x").await?;
        let sign = "A batch reference starts with + or -";
        alice
            .expect(&format!("{} :{sign}", fail("MULTILINE_INVALID")))
            .await?;
        // A line for another batch, an end of no batch.
        alice.send("BATCH +1 draft/multiline #c").await?;
        alice.send("@batch=2 PRIVMSG #c :hi").await?;
        let none = "No multiline batch with that reference";
        alice
            .expect(&format!("{} :{none}", fail("MULTILINE_INVALID")))
            .await?;
        alice
            .send("@batch=1 PRIVMSG #c :dropped, the batch failed")
            .await?;
        alice.send("BATCH -1").await?;
        alice.send("BATCH -1").await?;
        alice
            .expect(&format!("{} :{none}", fail("MULTILINE_INVALID")))
            .await?;
        alice.sync().await
    }
    .await);
}

#[tokio::test]
async fn multiline_batches_with_a_blank_concat_another_target_or_no_text_are_refused() {
    let server = server().await;
    ok(async {
        let mut alice = alice_in_c(&server).await?;
        // A concatenated blank line; another target; an empty batch.
        alice.send("BATCH +3 draft/multiline #c").await?;
        alice
            .send("@batch=3;draft/multiline-concat PRIVMSG #c :")
            .await?;
        let blank = "A blank line cannot be concatenated";
        alice
            .expect(&format!("{} :{blank}", fail("MULTILINE_INVALID")))
            .await?;
        alice.send("BATCH -3").await?;
        alice.send("BATCH +4 draft/multiline #c").await?;
        alice.send("@batch=4 PRIVMSG #d :x").await?;
        let other = "Multiline batch line has another target";
        alice
            .expect(&format!(
                "{} #c #d :{other}",
                fail("MULTILINE_INVALID_TARGET")
            ))
            .await?;
        alice.send("BATCH -4").await?;
        alice.send("BATCH +5 draft/multiline #c").await?;
        alice.send("@batch=5 PRIVMSG #c :").await?;
        alice.send("BATCH -5").await?;
        let empty = "A multiline batch needs a line with text";
        alice
            .expect(&format!("{} :{empty}", fail("MULTILINE_INVALID")))
            .await?;
        alice.sync().await
    }
    .await);
}

#[tokio::test]
async fn multiline_batches_past_the_limits_or_to_nowhere_are_refused() {
    let server = server().await;
    ok(async {
        let mut alice = alice_in_c(&server).await?;
        // Limits: 33 lines, 4,400 bytes.
        alice.send("BATCH +6 draft/multiline #c").await?;
        for _ in 0..33 {
            alice.send("@batch=6 PRIVMSG #c hi").await?;
        }
        let lines = "Multiline batch has too many lines";
        alice
            .expect(&format!("{} 32 :{lines}", fail("MULTILINE_MAX_LINES")))
            .await?;
        alice.send("BATCH -6").await?;
        alice.send("BATCH +7 draft/multiline #c").await?;
        let long = format!("@batch=7 PRIVMSG #c {}", "x".repeat(400));
        for _ in 0..11 {
            alice.send(&long).await?;
        }
        let bytes = "Multiline batch is too long";
        alice
            .expect(&format!("{} 4096 :{bytes}", fail("MULTILINE_MAX_BYTES")))
            .await?;
        alice.send("BATCH -7").await?;
        // To a channel that does not exist: the numeric PRIVMSG would get.
        alice.send("BATCH +8 draft/multiline #nowhere").await?;
        alice.send("@batch=8 PRIVMSG #nowhere hi").await?;
        alice.send("BATCH -8").await?;
        alice
            .expect(":irc.test 403 alice #nowhere :No such channel")
            .await?;
        alice.sync().await
    }
    .await);
}

#[tokio::test]
async fn a_client_without_the_cap_cannot_open_a_multiline_batch() {
    let server = server().await;
    ok(async {
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("BATCH +1 draft/multiline #c").await?;
        let only = "Only draft/multiline batches may be sent";
        bob.expect(&format!(":irc.test FAIL BATCH MULTILINE_INVALID :{only}"))
            .await?;
        bob.sync().await
    }
    .await);
}

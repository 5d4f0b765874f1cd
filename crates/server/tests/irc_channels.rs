//! IRC channels between IRC clients: JOIN, PART, PRIVMSG and NOTICE, the queries (NAMES,
//! WHO, WHOIS, LIST, TOPIC), NICK and QUIT as channel mates see them, AWAY, OPER and bot
//! mode.

use confab_testkit::irc::*;

/// alice creates #chan (so she is its operator), then bob joins it.
async fn two_in_chan(server: &TestServer) -> Result<(Irc, Irc), Failure> {
    let mut alice = Irc::register(server, "alice").await?;
    alice.send("JOIN #chan").await?;
    alice
        .expect_all(&[
            ":alice!alice@127.0.0.1 JOIN #chan",
            ":irc.test 353 alice = #chan @alice",
            ":irc.test 366 alice #chan :End of /NAMES list",
        ])
        .await?;
    let mut bob = Irc::register(server, "bob").await?;
    bob.send("JOIN #CHAN").await?;
    bob.expect_all(&[
        ":bob!bob@127.0.0.1 JOIN #chan",
        ":irc.test 353 bob = #chan :@alice bob",
        ":irc.test 366 bob #chan :End of /NAMES list",
    ])
    .await?;
    alice.expect(":bob!bob@127.0.0.1 JOIN #chan").await?;
    Ok((alice, bob))
}

#[tokio::test]
async fn join_privmsg_notice_and_part_between_two_clients() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = two_in_chan(&server).await?;
        alice.send("PRIVMSG #chan :hello there").await?;
        bob.expect(":alice!alice@127.0.0.1 PRIVMSG #chan :hello there")
            .await?;
        bob.send("NOTICE #Chan :a notice").await?;
        alice
            .expect(":bob!bob@127.0.0.1 NOTICE #chan :a notice")
            .await?;
        // Several targets: a channel and a nick.
        alice.send("PRIVMSG #chan,BOB :twice").await?;
        bob.expect(":alice!alice@127.0.0.1 PRIVMSG #chan twice")
            .await?;
        bob.expect(":alice!alice@127.0.0.1 PRIVMSG bob twice")
            .await?;
        alice.silence().await?;
        // Errors for what does not exist.
        alice.send("PRIVMSG #nowhere :x").await?;
        alice
            .expect(":irc.test 403 alice #nowhere :No such channel")
            .await?;
        alice.send("PRIVMSG nobody :x").await?;
        alice
            .expect(":irc.test 401 alice nobody :No such nick/channel")
            .await?;
        // Joining again does nothing.
        bob.send("JOIN #chan").await?;
        bob.silence().await?;
        bob.send("PART #chan :bye now").await?;
        bob.expect(":bob!bob@127.0.0.1 PART #chan :bye now").await?;
        alice
            .expect(":bob!bob@127.0.0.1 PART #chan :bye now")
            .await?;
        bob.send("PART #chan").await?;
        bob.expect(":irc.test 442 bob #chan :You're not on that channel")
            .await?;
        bob.send("PART #nowhere,#chan").await?;
        bob.expect(":irc.test 403 bob #nowhere :No such channel")
            .await?;
        bob.expect(":irc.test 442 bob #chan :You're not on that channel")
            .await?;
        // +n (the default): an outsider cannot speak in.
        bob.send("PRIVMSG #chan :from outside").await?;
        bob.expect(":irc.test 404 bob #chan :Cannot send to channel")
            .await?;
        alice.silence().await
    }
    .await);
}

#[tokio::test]
async fn join_several_with_keys_bad_names_and_join_0() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register(&server, "a").await?;
        a.send("JOIN #one,inv@lid,#two,#bad.name").await?;
        a.expect_all(&[
            ":a!a@127.0.0.1 JOIN #one",
            ":irc.test 353 a = #one @a",
            ":irc.test 366 a #one :End of /NAMES list",
            ":irc.test 403 a inv@lid :No such channel",
            ":a!a@127.0.0.1 JOIN #two",
            ":irc.test 353 a = #two @a",
            ":irc.test 366 a #two :End of /NAMES list",
            ":irc.test 403 a #bad.name :No such channel",
        ])
        .await?;
        a.send("MODE #one +k key1").await?;
        a.expect(":a!a@127.0.0.1 MODE #one +k key1").await?;
        let mut b = Irc::register(&server, "b").await?;
        b.send("JOIN #one,#two wrong").await?;
        b.expect(":irc.test 475 b #one :Cannot join channel (+k)")
            .await?;
        b.skip_past(" 366 b #two :End of /NAMES list").await?;
        b.send("JOIN #one key1").await?;
        b.skip_past(" 366 b #one :End of /NAMES list").await?;
        a.skip_past(":b!b@127.0.0.1 JOIN #one").await?;
        b.send("JOIN 0").await?;
        b.expect(":b!b@127.0.0.1 PART #two").await?;
        b.expect(":b!b@127.0.0.1 PART #one").await?;
        b.send("NAMES #one").await?;
        b.expect_all(&[
            ":irc.test 353 b = #one @a",
            ":irc.test 366 b #one :End of /NAMES list",
        ])
        .await
    }
    .await);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: NAMES, WHO, WHOIS and LIST asked in turn about one set of members"
)]
async fn names_who_whois_and_list() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = two_in_chan(&server).await?;
        bob.send("NAMES #chan,#nothing").await?;
        bob.expect_all(&[
            ":irc.test 353 bob = #chan :@alice bob",
            ":irc.test 366 bob #chan,#nothing :End of /NAMES list",
        ])
        .await?;
        bob.send("WHO #chan").await?;
        bob.expect_all(&[
            ":irc.test 352 bob #chan alice 127.0.0.1 irc.test alice H@ :0 Real alice",
            ":irc.test 352 bob #chan bob 127.0.0.1 irc.test bob H :0 Real bob",
            ":irc.test 315 bob #chan :End of WHO list",
        ])
        .await?;
        bob.send("WHO ali*").await?;
        bob.expect_all(&[
            ":irc.test 352 bob * alice 127.0.0.1 irc.test alice H :0 Real alice",
            ":irc.test 315 bob ali* :End of WHO list",
        ])
        .await?;
        // WHOX: fields come in the spec's order whatever order they were asked in.
        bob.send("WHO alice %nuct,42").await?;
        bob.expect_all(&[
            ":irc.test 354 bob 42 * alice alice",
            ":irc.test 315 bob alice :End of WHO list",
        ])
        .await?;
        bob.send("WHO nobody").await?;
        bob.expect(":irc.test 315 bob nobody :End of WHO list")
            .await?;
        alice.send("AWAY :gone fishing").await?;
        alice
            .expect(":irc.test 306 alice :You have been marked as being away")
            .await?;
        bob.send("WHOIS alice").await?;
        bob.expect_all(&[
            ":irc.test 311 bob alice alice 127.0.0.1 * :Real alice",
            ":irc.test 319 bob alice @#chan",
            ":irc.test 312 bob alice irc.test :TestNet (irc)",
            ":irc.test 301 bob alice :gone fishing",
            ":irc.test 318 bob alice :End of /WHOIS list",
        ])
        .await?;
        bob.send("WHOIS irc.test nobody").await?;
        bob.expect_all(&[
            ":irc.test 401 bob nobody :No such nick/channel",
            ":irc.test 318 bob nobody :End of /WHOIS list",
        ])
        .await?;
        bob.send("USERHOST alice bob").await?;
        bob.expect(":irc.test 302 bob :alice=-alice@127.0.0.1 bob=+bob@127.0.0.1")
            .await?;
        alice.send("JOIN #other").await?;
        alice
            .skip_past(" 366 alice #other :End of /NAMES list")
            .await?;
        alice.send("TOPIC #other :about other things").await?;
        alice
            .expect(":alice!alice@127.0.0.1 TOPIC #other :about other things")
            .await?;
        bob.send("LIST").await?;
        bob.expect_all(&[
            ":irc.test 322 bob #chan 2 :",
            ":irc.test 322 bob #other 1 :about other things",
            ":irc.test 323 bob :End of /LIST",
        ])
        .await?;
        bob.send("LIST >1").await?;
        bob.expect_all(&[
            ":irc.test 322 bob #chan 2 :",
            ":irc.test 323 bob :End of /LIST",
        ])
        .await?;
        bob.send("LIST !*an").await?;
        bob.expect_all(&[
            ":irc.test 322 bob #other 1 :about other things",
            ":irc.test 323 bob :End of /LIST",
        ])
        .await?;
        // A secret channel is listed to its members only.
        alice.send("MODE #other +s").await?;
        alice
            .expect(":alice!alice@127.0.0.1 MODE #other +s")
            .await?;
        bob.send("LIST #other").await?;
        bob.expect(":irc.test 323 bob :End of /LIST").await?;
        alice.send("LIST #other").await?;
        alice
            .expect_all(&[
                ":irc.test 322 alice #other 1 :about other things",
                ":irc.test 323 alice :End of /LIST",
            ])
            .await?;
        alice.send("NAMES #other").await?;
        alice
            .expect_all(&[
                ":irc.test 353 alice @ #other @alice",
                ":irc.test 366 alice #other :End of /NAMES list",
            ])
            .await
    }
    .await);
}

#[tokio::test]
async fn topic_query_set_clear_and_lock() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = two_in_chan(&server).await?;
        bob.send("TOPIC #chan").await?;
        bob.expect(":irc.test 331 bob #chan :No topic is set")
            .await?;
        // +t is on by default: bob is no operator.
        bob.send("TOPIC #chan :mine").await?;
        bob.expect(":irc.test 482 bob #chan :You're not channel operator")
            .await?;
        alice.send("TOPIC #chan T0P1C").await?;
        alice
            .expect(":alice!alice@127.0.0.1 TOPIC #chan T0P1C")
            .await?;
        bob.expect(":alice!alice@127.0.0.1 TOPIC #chan T0P1C")
            .await?;
        bob.send("TOPIC #chan").await?;
        bob.expect(":irc.test 332 bob #chan T0P1C").await?;
        bob.wire
            .expect(b":irc.test 333 bob #chan alice!alice@127.0.0.1 ")
            .await?;
        bob.wire.read_line().await?;
        // A newcomer hears the topic on joining.
        let mut carol = Irc::register(&server, "carol").await?;
        carol.send("JOIN #chan").await?;
        carol.expect(":carol!carol@127.0.0.1 JOIN #chan").await?;
        carol.expect(":irc.test 332 carol #chan T0P1C").await?;
        alice.send("MODE #chan -t").await?;
        alice
            .skip_past(":alice!alice@127.0.0.1 MODE #chan -t")
            .await?;
        bob.skip_past(":alice!alice@127.0.0.1 MODE #chan -t")
            .await?;
        bob.send("TOPIC #chan :").await?;
        bob.expect(":bob!bob@127.0.0.1 TOPIC #chan :").await?;
        alice.expect(":bob!bob@127.0.0.1 TOPIC #chan :").await?;
        bob.send("TOPIC #nowhere").await?;
        bob.expect(":irc.test 403 bob #nowhere :No such channel")
            .await?;
        let mut dave = Irc::register(&server, "dave").await?;
        dave.send("TOPIC #chan :outsider").await?;
        dave.expect(":irc.test 442 dave #chan :You're not on that channel")
            .await
    }
    .await);
}

#[tokio::test]
async fn nick_changes_and_quits_reach_channel_mates_once() {
    let server = server().await;
    ok(async {
        let (mut alice, mut bob) = two_in_chan(&server).await?;
        alice.send("JOIN #second").await?;
        alice
            .skip_past(" 366 alice #second :End of /NAMES list")
            .await?;
        bob.send("JOIN #second").await?;
        bob.skip_past(" 366 bob #second :End of /NAMES list")
            .await?;
        alice.expect(":bob!bob@127.0.0.1 JOIN #second").await?;
        bob.send("NICK robert").await?;
        bob.expect(":bob!bob@127.0.0.1 NICK robert").await?;
        alice.expect(":bob!bob@127.0.0.1 NICK robert").await?;
        bob.send("QUIT :gone for lunch").await?;
        bob.expect("ERROR :Closing link: (bob@127.0.0.1) [Quit: gone for lunch]")
            .await?;
        // Two shared channels, one QUIT.
        alice
            .expect(":robert!bob@127.0.0.1 QUIT :Quit: gone for lunch")
            .await?;
        alice.silence().await?;
        alice.send("NAMES #chan").await?;
        alice.expect(":irc.test 353 alice = #chan @alice").await
    }
    .await);
}

#[tokio::test]
async fn away_and_oper() {
    let server = server().await;
    ok(async {
        let mut a = Irc::register(&server, "a").await?;
        let mut b = Irc::register(&server, "b").await?;
        a.send("AWAY :not here").await?;
        a.expect(":irc.test 306 a :You have been marked as being away")
            .await?;
        b.send("PRIVMSG a :you there?").await?;
        b.expect(":irc.test 301 b a :not here").await?;
        a.expect(":b!b@127.0.0.1 PRIVMSG a :you there?").await?;
        a.send("AWAY").await?;
        a.expect(":irc.test 305 a :You are no longer marked as being away")
            .await?;
        b.send("PRIVMSG a :better").await?;
        b.silence().await?;
        a.expect(":b!b@127.0.0.1 PRIVMSG a better").await?;
        a.send("OPER operuser wrong").await?;
        a.expect(":irc.test 464 a :Password incorrect").await?;
        a.send("OPER operuser operpassword").await?;
        a.expect(":irc.test 381 a :You are now an IRC operator")
            .await?;
        a.expect(":a!a@127.0.0.1 MODE a +o").await?;
        b.send("WHO a").await?;
        b.expect(":irc.test 352 b * a 127.0.0.1 irc.test a H* :0 Real a")
            .await?;
        b.skip_past(" 315 b a :End of WHO list").await?;
        a.send("MODE a").await?;
        a.expect(":irc.test 221 a +o").await?;
        a.send("MODE a -o+x").await?;
        a.expect(":irc.test 501 a :Unknown MODE flag").await?;
        a.expect(":a!a@127.0.0.1 MODE a -o").await?;
        a.send("MODE b +i").await?;
        a.expect(":irc.test 502 a b :Cant change mode for other users")
            .await?;
        a.send("MODE nobody +i").await?;
        a.expect(":irc.test 401 a nobody :No such nick/channel")
            .await
    }
    .await);
}

#[tokio::test]
async fn invisible_users_hide_from_who_masks_unless_they_share_a_channel() {
    let server = server().await;
    ok(async {
        let mut evan = Irc::register(&server, "evan").await?;
        evan.send("MODE evan +i").await?;
        evan.expect(":evan!evan@127.0.0.1 MODE evan +i").await?;
        let mut s = Irc::register(&server, "shiv").await?;
        s.send("WHO eva*").await?;
        s.expect(":irc.test 315 shiv eva* :End of WHO list").await?;
        s.send("WHO evan").await?;
        s.skip_past(" 352 shiv * evan 127.0.0.1 irc.test evan H :0 Real evan")
            .await?;
        s.expect(":irc.test 315 shiv evan :End of WHO list").await?;
        evan.join("#test").await?;
        s.join("#test").await?;
        s.send("WHO eva*").await?;
        s.expect(":irc.test 352 shiv * evan 127.0.0.1 irc.test evan H :0 Real evan")
            .await
    }
    .await);
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: a client marks itself a bot, is seen as one, then unmarks"
)]
async fn bot_mode_shows_in_whois_who_and_the_bot_tag() {
    let server = server().await;
    ok(async {
        let mut robo =
            Irc::register_with_caps(&server, "robo", "echo-message message-tags").await?;
        let mut tagged = Irc::register_with_caps(&server, "tagged", "message-tags").await?;
        let mut plain = Irc::register(&server, "plain").await?;
        // robo marks itself a bot; asking again changes nothing and says nothing.
        robo.send("MODE robo +B").await?;
        robo.expect(":robo!robo@127.0.0.1 MODE robo +B").await?;
        robo.send("MODE robo +B").await?;
        robo.send("MODE robo").await?;
        robo.expect(":irc.test 221 robo +B").await?;
        // WHOIS says so with 335, after 312.
        plain.send("WHOIS robo").await?;
        plain
            .expect_all(&[
                ":irc.test 311 plain robo robo 127.0.0.1 * :Real robo",
                ":irc.test 312 plain robo irc.test :TestNet (irc)",
                ":irc.test 335 plain robo :is a bot on TestNet",
                ":irc.test 318 plain robo :End of /WHOIS list",
            ])
            .await?;
        // WHO shows the B flag, on a channel and by nick.
        robo.join("#bots").await?;
        plain.join("#bots").await?;
        tagged.join("#bots").await?;
        robo.skip_past(":tagged!tagged@127.0.0.1 JOIN #bots")
            .await?;
        plain
            .skip_past(":tagged!tagged@127.0.0.1 JOIN #bots")
            .await?;
        plain.send("WHO #bots").await?;
        plain
            .expect_all(&[
                ":irc.test 352 plain #bots robo 127.0.0.1 irc.test robo H@B :0 Real robo",
                ":irc.test 352 plain #bots plain 127.0.0.1 irc.test plain H :0 Real plain",
                ":irc.test 352 plain #bots tagged 127.0.0.1 irc.test tagged H :0 Real tagged",
                ":irc.test 315 plain #bots :End of WHO list",
            ])
            .await?;
        plain.send("WHO robo").await?;
        plain
            .expect(":irc.test 352 plain * robo 127.0.0.1 irc.test robo HB :0 Real robo")
            .await?;
        plain.skip_past(" 315 plain robo :End of WHO list").await?;
        // A bot's message: the bot tag for message-tags clients (and its own echo),
        // nothing new for the others.
        robo.send("PRIVMSG #bots :beep").await?;
        robo.expect_msgid("bot", ":robo!robo@127.0.0.1 PRIVMSG #bots beep")
            .await?;
        tagged
            .expect_msgid("bot", ":robo!robo@127.0.0.1 PRIVMSG #bots beep")
            .await?;
        plain
            .expect(":robo!robo@127.0.0.1 PRIVMSG #bots beep")
            .await?;
        robo.send("NOTICE tagged :boop").await?;
        robo.expect_msgid("bot", ":robo!robo@127.0.0.1 NOTICE tagged boop")
            .await?;
        tagged
            .expect_msgid("bot", ":robo!robo@127.0.0.1 NOTICE tagged boop")
            .await?;
        // -B takes it back: no 335, no tag; an unknown letter is still 501.
        robo.send("MODE robo -B+Z").await?;
        robo.expect(":irc.test 501 robo :Unknown MODE flag").await?;
        robo.expect(":robo!robo@127.0.0.1 MODE robo -B").await?;
        robo.send("PRIVMSG tagged :human now").await?;
        robo.expect_msgid("", ":robo!robo@127.0.0.1 PRIVMSG tagged :human now")
            .await?;
        tagged
            .expect_msgid("", ":robo!robo@127.0.0.1 PRIVMSG tagged :human now")
            .await?;
        plain.send("WHOIS robo").await?;
        plain
            .expect_all(&[
                ":irc.test 311 plain robo robo 127.0.0.1 * :Real robo",
                ":irc.test 319 plain robo @#bots",
                ":irc.test 312 plain robo irc.test :TestNet (irc)",
                ":irc.test 318 plain robo :End of /WHOIS list",
            ])
            .await
    }
    .await);
}

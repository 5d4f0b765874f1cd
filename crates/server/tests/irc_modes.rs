//! IRC channel rules: the first member is operator; MODE +o +v +m +k +l +i +b +s +n +t
//! with their effects and errors (478 for a full ban list); KICK and INVITE; messages to
//! a channel's operators or voiced members (STATUSMSG).

use confab_testkit::irc::*;

/// `op` creates `#chan` and `user` joins it.
async fn op_and_user(server: &TestServer) -> Result<(Irc, Irc), Failure> {
    let mut op = Irc::register(server, "op").await?;
    op.join("#chan").await?;
    let mut user = Irc::register(server, "user").await?;
    user.join("#chan").await?;
    op.expect(":user!user@127.0.0.1 JOIN #chan").await?;
    Ok((op, user))
}

/// Runs `body` on a fresh server where `op` has created `#chan` and `user` is in it.
async fn with_op_and_user(body: impl AsyncFnOnce(&TestServer, Irc, Irc) -> Step) {
    let server = server().await;
    ok(async {
        let (op, user) = op_and_user(&server).await?;
        body(&server, op, user).await
    }
    .await);
}

/// A third member of `#chan`, whose JOIN `op` and `user` have seen.
async fn third_member(
    server: &TestServer,
    nick: &str,
    op: &mut Irc,
    user: &mut Irc,
) -> Result<Irc, Failure> {
    let mut third = Irc::register(server, nick).await?;
    third.join("#chan").await?;
    let join = format!(":{nick}!{nick}@127.0.0.1 JOIN #chan");
    all_expect(&mut [op, user], &join).await?;
    Ok(third)
}

/// `op` sends `MODE #chan {change}`; `op` and every one of `others` see it applied as
/// `{applied}`.
async fn op_mode(op: &mut Irc, change: &str, applied: &str, others: &mut [&mut Irc]) -> Step {
    let seen = format!(":op!op@127.0.0.1 MODE #chan {applied}");
    op.ask(&format!("MODE #chan {change}"), &seen).await?;
    all_expect(others, &seen).await
}

/// `op` makes `#chan` invite-only (`user` sees it); `guest` registers and is refused.
async fn invite_only_with_guest(
    server: &TestServer,
    op: &mut Irc,
    user: &mut Irc,
) -> Result<Irc, Failure> {
    op_mode(op, "+i", "+i", &mut [user]).await?;
    let mut guest = Irc::register(server, "guest").await?;
    guest.ask("JOIN #chan", GUEST_INVITE_ONLY).await?;
    Ok(guest)
}

const GUEST_INVITE_ONLY: &str = ":irc.test 473 guest #chan :Cannot join channel (+i)";

#[tokio::test]
async fn channel_mode_query_and_flag_changes() {
    with_op_and_user(async |server, mut op, mut user| {
        op.ask("MODE #chan", ":irc.test 324 op #chan +nt").await?;
        op.wire.expect(b":irc.test 329 op #chan ").await?;
        op.wire.read_line().await?;
        op_mode(&mut op, "+int", "+i", &mut [&mut user]).await?;
        op_mode(&mut op, "-int", "-int", &mut [&mut user]).await?;
        op.ask("MODE #chan", ":irc.test 324 op #chan +").await?;
        op.wire.read_line().await?;
        // Errors: unknown letters, a non-operator, a channel that does not exist.
        op.send("MODE #chan +pZ").await?;
        op.expect_all(&[
            ":irc.test 472 op p :is unknown mode char to me",
            ":irc.test 472 op Z :is unknown mode char to me",
        ])
        .await?;
        user.ask(
            "MODE #chan +o user",
            ":irc.test 482 user #chan :You're not channel operator",
        )
        .await?;
        op.ask(
            "MODE #nowhere +o op",
            ":irc.test 403 op #nowhere :No such channel",
        )
        .await?;
        let mut outsider = Irc::register(server, "out").await?;
        outsider
            .ask(
                "MODE #chan +m",
                ":irc.test 442 out #chan :You're not on that channel",
            )
            .await
    })
    .await;
}

#[tokio::test]
async fn operator_and_voice_and_moderation() {
    with_op_and_user(async |server, mut op, mut user| {
        let _other = Irc::register(server, "other").await?;
        op.ask_all(&[
            (
                "MODE #chan +o nobody",
                ":irc.test 401 op nobody :No such nick/channel",
            ),
            (
                "MODE #chan +o other",
                ":irc.test 441 op other #chan :They aren't on that channel",
            ),
        ])
        .await?;
        op_mode(&mut op, "+m", "+m", &mut [&mut user]).await?;
        user.ask(
            "PRIVMSG #chan :can I speak?",
            ":irc.test 404 user #chan :Cannot send to channel",
        )
        .await?;
        op_mode(&mut op, "+v user", "+v user", &mut [&mut user]).await?;
        user.send("PRIVMSG #chan :now I can").await?;
        op.expect(":user!user@127.0.0.1 PRIVMSG #chan :now I can")
            .await?;
        op_mode(&mut op, "+o user", "+o user", &mut [&mut user]).await?;
        op.ask("NAMES #chan", ":irc.test 353 op = #chan :@op @user")
            .await?;
        op.skip_past(" 366 op #chan :End of /NAMES list").await?;
        // The new operator takes the old one's status away.
        let demoted = ":user!user@127.0.0.1 MODE #chan -o+v op op";
        user.ask("MODE #chan -o+v op op", demoted).await?;
        op.expect(demoted).await?;
        op.ask(
            "MODE #chan -m",
            ":irc.test 482 op #chan :You're not channel operator",
        )
        .await
    })
    .await;
}

#[tokio::test]
async fn key_limit_and_their_bad_values() {
    with_op_and_user(async |server, mut op, mut user| {
        op.ask_all(&[
            (
                "MODE #chan +k :pass phrase",
                ":irc.test 696 op #chan k * :Invalid key",
            ),
            (
                "MODE #chan +l :0",
                ":irc.test 696 op #chan l 0 :Invalid limit",
            ),
            (
                "MODE #chan +l abc",
                ":irc.test 696 op #chan l abc :Invalid limit",
            ),
        ])
        .await?;
        op_mode(&mut op, "+kl beer 2", "+kl beer 2", &mut [&mut user]).await?;
        op.ask("MODE #chan", ":irc.test 324 op #chan +ntkl beer 2")
            .await?;
        op.wire.read_line().await?;
        let mut third = Irc::register(server, "third").await?;
        third
            .ask("MODE #chan", ":irc.test 324 third #chan +ntkl * 2")
            .await?;
        third.wire.read_line().await?;
        // The limit is checked before the key.
        third
            .ask(
                "JOIN #chan beer",
                ":irc.test 471 third #chan :Cannot join channel (+l)",
            )
            .await?;
        op.ask("MODE #chan -l", ":op!op@127.0.0.1 MODE #chan -l")
            .await?;
        third
            .ask_all(&[
                (
                    "JOIN #chan",
                    ":irc.test 475 third #chan :Cannot join channel (+k)",
                ),
                ("JOIN #chan beer", ":third!third@127.0.0.1 JOIN #chan"),
            ])
            .await?;
        third
            .skip_past(" 366 third #chan :End of /NAMES list")
            .await?;
        op.expect(":third!third@127.0.0.1 JOIN #chan").await?;
        op.ask("MODE #chan -k beer", ":op!op@127.0.0.1 MODE #chan -k *")
            .await
    })
    .await;
}

#[tokio::test]
async fn bans_keep_people_out_and_are_listed() {
    let server = server().await;
    ok(async {
        let mut op = Irc::register(&server, "op").await?;
        op.join("#chan").await?;
        op.ask(
            "MODE #chan +b BAR",
            ":op!op@127.0.0.1 MODE #chan +b BAR!*@*",
        )
        .await?;
        op.send("MODE #chan +b").await?;
        op.wire
            .expect(b":irc.test 367 op #chan BAR!*@* op ")
            .await?;
        op.wire.read_line().await?;
        op.expect(":irc.test 368 op #chan :End of channel ban list")
            .await?;
        let banned = ":irc.test 474 bar #chan :Cannot join channel (+b)";
        let mut bar = Irc::register(&server, "bar").await?;
        bar.ask("JOIN #chan", banned).await?;
        // An invitation lets one past a ban, once.
        op.ask("INVITE bar #chan", ":irc.test 341 op bar #chan")
            .await?;
        bar.expect(":op!op@127.0.0.1 INVITE bar #chan").await?;
        bar.join("#chan").await?;
        op.expect(":bar!bar@127.0.0.1 JOIN #chan").await?;
        op.ask("KICK #chan bar", ":op!op@127.0.0.1 KICK #chan bar op")
            .await?;
        bar.expect(":op!op@127.0.0.1 KICK #chan bar op").await?;
        bar.ask("JOIN #chan", banned).await?;
        op.ask(
            "MODE #chan -b bar!*@*",
            ":op!op@127.0.0.1 MODE #chan -b bar!*@*",
        )
        .await?;
        bar.ask("JOIN #chan", ":bar!bar@127.0.0.1 JOIN #chan").await
    }
    .await);
}

#[tokio::test]
async fn a_full_ban_or_exception_list_is_answered_478() {
    let server = server().await;
    ok(async {
        let mut op = Irc::register(&server, "op").await?;
        op.join("#chan").await?;
        // MAXLIST=b:100,e:100: a hundred of each go in.
        for i in 1..=100 {
            op_mode(
                &mut op,
                &format!("+b u{i}"),
                &format!("+b u{i}!*@*"),
                &mut [],
            )
            .await?;
            op_mode(
                &mut op,
                &format!("+e x{i}"),
                &format!("+e x{i}!*@*"),
                &mut [],
            )
            .await?;
        }
        // The 101st is refused, and said so; the other changes of the line still apply.
        op.send("MODE #chan +bm u101").await?;
        op.expect_all(&[
            ":irc.test 478 op #chan u101!*@* :Channel ban list is full",
            ":op!op@127.0.0.1 MODE #chan +m",
        ])
        .await?;
        op.ask(
            "MODE #chan +e x101",
            ":irc.test 478 op #chan x101!*@* :Channel exception list is full",
        )
        .await?;
        // A mask already listed changes nothing and is no error; removing makes room.
        op.send("MODE #chan +b u1").await?;
        op_mode(&mut op, "-b u1", "-b u1!*@*", &mut []).await?;
        op_mode(&mut op, "+b u101", "+b u101!*@*", &mut []).await?;
        op.sync().await?;
        op.silence().await
    }
    .await);
}

#[tokio::test]
async fn invite_only_and_invite_errors() {
    with_op_and_user(async |server, mut op, mut user| {
        let mut guest = invite_only_with_guest(server, &mut op, &mut user).await?;
        // Under +i only operators invite.
        user.ask(
            "INVITE guest #chan",
            ":irc.test 482 user #chan :You're not channel operator",
        )
        .await?;
        guest
            .ask(
                "INVITE op #chan",
                ":irc.test 442 guest #chan :You're not on that channel",
            )
            .await?;
        op.ask_all(&[
            (
                "INVITE nobody #chan",
                ":irc.test 401 op nobody :No such nick/channel",
            ),
            (
                "INVITE user #chan",
                ":irc.test 443 op user #chan :is already on channel",
            ),
            (
                "INVITE guest #nowhere",
                ":irc.test 403 op #nowhere :No such channel",
            ),
            ("INVITE guest #chan", ":irc.test 341 op guest #chan"),
        ])
        .await?;
        guest.expect(":op!op@127.0.0.1 INVITE guest #chan").await?;
        // Other members are not told.
        user.silence().await?;
        guest
            .ask("JOIN #chan", ":guest!guest@127.0.0.1 JOIN #chan")
            .await
    })
    .await;
}

#[tokio::test]
async fn kick_needs_an_operator_and_reaches_everyone() {
    with_op_and_user(async |server, mut op, mut user| {
        let mut third = third_member(server, "third", &mut op, &mut user).await?;
        user.ask(
            "KICK #chan third",
            ":irc.test 482 user #chan :You're not channel operator",
        )
        .await?;
        let _lone = Irc::register(server, "lone").await?;
        op.ask_all(&[
            (
                "KICK #chan nobody",
                ":irc.test 401 op nobody :No such nick/channel",
            ),
            (
                "KICK #chan lone",
                ":irc.test 441 op lone #chan :They aren't on that channel",
            ),
            (
                "KICK #nowhere user",
                ":irc.test 403 op #nowhere :No such channel",
            ),
        ])
        .await?;
        let (kick_user, kick_third) = (
            ":op!op@127.0.0.1 KICK #chan user enough",
            ":op!op@127.0.0.1 KICK #chan third enough",
        );
        op.send("KICK #chan user,THIRD :enough").await?;
        op.expect_all(&[kick_user, kick_third]).await?;
        user.expect(kick_user).await?;
        third.expect_all(&[kick_user, kick_third]).await?;
        user.silence().await?;
        user.ask_all(&[
            (
                "PRIVMSG #chan :still here?",
                ":irc.test 404 user #chan :Cannot send to channel",
            ),
            (
                "KICK #chan op",
                ":irc.test 442 user #chan :You're not on that channel",
            ),
        ])
        .await
    })
    .await;
}

#[tokio::test]
async fn statusmsg_reaches_only_operators_or_voiced_members() {
    with_op_and_user(async |server, mut op, mut user| {
        let mut vee = third_member(server, "vee", &mut op, &mut user).await?;
        op_mode(&mut op, "+v vee", "+v vee", &mut [&mut user, &mut vee]).await?;
        // A plain member writes to the operators: only op reads it, prefix kept.
        user.send("PRIVMSG @#chan :for ops").await?;
        op.expect(":user!user@127.0.0.1 PRIVMSG @#chan :for ops")
            .await?;
        vee.silence().await?;
        user.silence().await?;
        // To voiced members and above: vee and op, not user.
        op.send("NOTICE +#chan :voiced ones").await?;
        vee.expect(":op!op@127.0.0.1 NOTICE +#chan :voiced ones")
            .await?;
        user.silence().await?;
        op.silence().await?;
        vee.send("@+typing=active TAGMSG @#chan").await?;
        op.silence().await?;
        // The channel's rules still hold, and errors name the target as written.
        let mut out = Irc::register(server, "out").await?;
        out.ask_all(&[
            (
                "PRIVMSG @#chan :let me in",
                ":irc.test 404 out @#chan :Cannot send to channel",
            ),
            (
                "PRIVMSG +#nowhere :hello",
                ":irc.test 403 out +#nowhere :No such channel",
            ),
            (
                "PRIVMSG @ :hello",
                ":irc.test 401 out @ :No such nick/channel",
            ),
        ])
        .await?;
        op.silence().await
    })
    .await;
}

#[tokio::test]
async fn invite_exceptions_let_matching_users_past_invite_only_and_are_listed() {
    with_op_and_user(async |server, mut op, mut user| {
        let mut guest = invite_only_with_guest(server, &mut op, &mut user).await?;
        // A bare nick is completed to a mask; only operators set one.
        user.ask(
            "MODE #chan +I guest",
            ":irc.test 482 user #chan :You're not channel operator",
        )
        .await?;
        op_mode(&mut op, "+I guest", "+I guest!*@*", &mut [&mut user]).await?;
        // The list: 346 per mask (who set it, when), then 347; members may read it.
        user.send("MODE #chan +I").await?;
        user.wire
            .expect(b":irc.test 346 user #chan guest!*@* op ")
            .await?;
        user.wire.read_line().await?;
        user.expect(":irc.test 347 user #chan :End of Channel Invite Exception List")
            .await?;
        // guest joins uninvited; once the mask is gone, a second try is refused.
        guest
            .ask("JOIN #chan", ":guest!guest@127.0.0.1 JOIN #chan")
            .await?;
        guest
            .skip_past(" 366 guest #chan :End of /NAMES list")
            .await?;
        guest
            .ask("PART #chan", ":guest!guest@127.0.0.1 PART #chan")
            .await?;
        op.send("MODE #chan -I guest!*@*").await?;
        op.skip_past(":op!op@127.0.0.1 MODE #chan -I guest!*@*")
            .await?;
        guest.ask("JOIN #chan", GUEST_INVITE_ONLY).await?;
        op.ask(
            "MODE #chan +I",
            ":irc.test 347 op #chan :End of Channel Invite Exception List",
        )
        .await
    })
    .await;
}

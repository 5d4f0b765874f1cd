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
    op.expect(&join).await?;
    user.expect(&join).await?;
    Ok(third)
}

#[tokio::test]
async fn channel_mode_query_and_flag_changes() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        op.send("MODE #chan").await?;
        op.expect(":irc.test 324 op #chan +nt").await?;
        op.wire.expect(b":irc.test 329 op #chan ").await?;
        op.wire.read_line().await?;
        op.send("MODE #chan +int").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +i").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +i").await?;
        op.send("MODE #chan -int").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan -int").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan -int").await?;
        op.send("MODE #chan").await?;
        op.expect(":irc.test 324 op #chan +").await?;
        op.wire.read_line().await?;
        // Errors: unknown letters, a non-operator, a channel that does not exist.
        op.send("MODE #chan +pZ").await?;
        op.expect_all(&[
            ":irc.test 472 op p :is unknown mode char to me",
            ":irc.test 472 op Z :is unknown mode char to me",
        ])
        .await?;
        user.send("MODE #chan +o user").await?;
        user.expect(":irc.test 482 user #chan :You're not channel operator")
            .await?;
        op.send("MODE #nowhere +o op").await?;
        op.expect(":irc.test 403 op #nowhere :No such channel")
            .await?;
        let mut outsider = Irc::register(&server, "out").await?;
        outsider.send("MODE #chan +m").await?;
        outsider
            .expect(":irc.test 442 out #chan :You're not on that channel")
            .await
    }
    .await);
}

#[tokio::test]
async fn operator_and_voice_and_moderation() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        let _other = Irc::register(&server, "other").await?;
        op.send("MODE #chan +o nobody").await?;
        op.expect(":irc.test 401 op nobody :No such nick/channel")
            .await?;
        op.send("MODE #chan +o other").await?;
        op.expect(":irc.test 441 op other #chan :They aren't on that channel")
            .await?;
        op.send("MODE #chan +m").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +m").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +m").await?;
        user.send("PRIVMSG #chan :can I speak?").await?;
        user.expect(":irc.test 404 user #chan :Cannot send to channel")
            .await?;
        op.send("MODE #chan +v user").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +v user").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +v user").await?;
        user.send("PRIVMSG #chan :now I can").await?;
        op.expect(":user!user@127.0.0.1 PRIVMSG #chan :now I can")
            .await?;
        op.send("MODE #chan +o user").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +o user").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +o user").await?;
        op.send("NAMES #chan").await?;
        op.expect(":irc.test 353 op = #chan :@op @user").await?;
        op.skip_past(" 366 op #chan :End of /NAMES list").await?;
        // The new operator takes the old one's status away.
        user.send("MODE #chan -o+v op op").await?;
        user.expect(":user!user@127.0.0.1 MODE #chan -o+v op op")
            .await?;
        op.expect(":user!user@127.0.0.1 MODE #chan -o+v op op")
            .await?;
        op.send("MODE #chan -m").await?;
        op.expect(":irc.test 482 op #chan :You're not channel operator")
            .await
    }
    .await);
}

#[tokio::test]
async fn key_limit_and_their_bad_values() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        op.send("MODE #chan +k :pass phrase").await?;
        op.expect(":irc.test 696 op #chan k * :Invalid key").await?;
        op.send("MODE #chan +l :0").await?;
        op.expect(":irc.test 696 op #chan l 0 :Invalid limit")
            .await?;
        op.send("MODE #chan +l abc").await?;
        op.expect(":irc.test 696 op #chan l abc :Invalid limit")
            .await?;
        op.send("MODE #chan +kl beer 2").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +kl beer 2").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +kl beer 2")
            .await?;
        op.send("MODE #chan").await?;
        op.expect(":irc.test 324 op #chan +ntkl beer 2").await?;
        op.wire.read_line().await?;
        let mut third = Irc::register(&server, "third").await?;
        third.send("MODE #chan").await?;
        third.expect(":irc.test 324 third #chan +ntkl * 2").await?;
        third.wire.read_line().await?;
        // The limit is checked before the key.
        third.send("JOIN #chan beer").await?;
        third
            .expect(":irc.test 471 third #chan :Cannot join channel (+l)")
            .await?;
        op.send("MODE #chan -l").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan -l").await?;
        third.send("JOIN #chan").await?;
        third
            .expect(":irc.test 475 third #chan :Cannot join channel (+k)")
            .await?;
        third.send("JOIN #chan beer").await?;
        third.expect(":third!third@127.0.0.1 JOIN #chan").await?;
        third
            .skip_past(" 366 third #chan :End of /NAMES list")
            .await?;
        op.expect(":third!third@127.0.0.1 JOIN #chan").await?;
        op.send("MODE #chan -k beer").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan -k *").await
    }
    .await);
}

#[tokio::test]
async fn bans_keep_people_out_and_are_listed() {
    let server = server().await;
    ok(async {
        let mut op = Irc::register(&server, "op").await?;
        op.join("#chan").await?;
        op.send("MODE #chan +b BAR").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +b BAR!*@*").await?;
        op.send("MODE #chan +b").await?;
        op.wire
            .expect(b":irc.test 367 op #chan BAR!*@* op ")
            .await?;
        op.wire.read_line().await?;
        op.expect(":irc.test 368 op #chan :End of channel ban list")
            .await?;
        let mut bar = Irc::register(&server, "bar").await?;
        bar.send("JOIN #chan").await?;
        bar.expect(":irc.test 474 bar #chan :Cannot join channel (+b)")
            .await?;
        // An invitation lets one past a ban, once.
        op.send("INVITE bar #chan").await?;
        op.expect(":irc.test 341 op bar #chan").await?;
        bar.expect(":op!op@127.0.0.1 INVITE bar #chan").await?;
        bar.join("#chan").await?;
        op.expect(":bar!bar@127.0.0.1 JOIN #chan").await?;
        op.send("KICK #chan bar").await?;
        op.expect(":op!op@127.0.0.1 KICK #chan bar op").await?;
        bar.expect(":op!op@127.0.0.1 KICK #chan bar op").await?;
        bar.send("JOIN #chan").await?;
        bar.expect(":irc.test 474 bar #chan :Cannot join channel (+b)")
            .await?;
        op.send("MODE #chan -b bar!*@*").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan -b bar!*@*").await?;
        bar.send("JOIN #chan").await?;
        bar.expect(":bar!bar@127.0.0.1 JOIN #chan").await
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
            op.send(&format!("MODE #chan +b u{i}")).await?;
            op.expect(&format!(":op!op@127.0.0.1 MODE #chan +b u{i}!*@*"))
                .await?;
            op.send(&format!("MODE #chan +e x{i}")).await?;
            op.expect(&format!(":op!op@127.0.0.1 MODE #chan +e x{i}!*@*"))
                .await?;
        }
        // The 101st is refused, and said so; the other changes of the line still apply.
        op.send("MODE #chan +bm u101").await?;
        op.expect_all(&[
            ":irc.test 478 op #chan u101!*@* :Channel ban list is full",
            ":op!op@127.0.0.1 MODE #chan +m",
        ])
        .await?;
        op.send("MODE #chan +e x101").await?;
        op.expect(":irc.test 478 op #chan x101!*@* :Channel exception list is full")
            .await?;
        // A mask already listed changes nothing and is no error; removing makes room.
        op.send("MODE #chan +b u1").await?;
        op.send("MODE #chan -b u1").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan -b u1!*@*").await?;
        op.send("MODE #chan +b u101").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +b u101!*@*").await?;
        op.sync().await?;
        op.silence().await
    }
    .await);
}

#[tokio::test]
async fn invite_only_and_invite_errors() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        op.send("MODE #chan +i").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +i").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +i").await?;
        op.send("INVITE nobody #chan").await?;
        op.expect(":irc.test 401 op nobody :No such nick/channel")
            .await?;
        let mut guest = Irc::register(&server, "guest").await?;
        guest.send("JOIN #chan").await?;
        guest
            .expect(":irc.test 473 guest #chan :Cannot join channel (+i)")
            .await?;
        // Under +i only operators invite.
        user.send("INVITE guest #chan").await?;
        user.expect(":irc.test 482 user #chan :You're not channel operator")
            .await?;
        op.send("INVITE user #chan").await?;
        op.expect(":irc.test 443 op user #chan :is already on channel")
            .await?;
        guest.send("INVITE op #chan").await?;
        guest
            .expect(":irc.test 442 guest #chan :You're not on that channel")
            .await?;
        op.send("INVITE guest #nowhere").await?;
        op.expect(":irc.test 403 op #nowhere :No such channel")
            .await?;
        op.send("INVITE guest #chan").await?;
        op.expect(":irc.test 341 op guest #chan").await?;
        guest.expect(":op!op@127.0.0.1 INVITE guest #chan").await?;
        // Other members are not told.
        user.silence().await?;
        guest.send("JOIN #chan").await?;
        guest.expect(":guest!guest@127.0.0.1 JOIN #chan").await
    }
    .await);
}

#[tokio::test]
async fn kick_needs_an_operator_and_reaches_everyone() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        let mut third = third_member(&server, "third", &mut op, &mut user).await?;
        user.send("KICK #chan third").await?;
        user.expect(":irc.test 482 user #chan :You're not channel operator")
            .await?;
        op.send("KICK #chan nobody").await?;
        op.expect(":irc.test 401 op nobody :No such nick/channel")
            .await?;
        let _lone = Irc::register(&server, "lone").await?;
        op.send("KICK #chan lone").await?;
        op.expect(":irc.test 441 op lone #chan :They aren't on that channel")
            .await?;
        op.send("KICK #nowhere user").await?;
        op.expect(":irc.test 403 op #nowhere :No such channel")
            .await?;
        op.send("KICK #chan user,THIRD :enough").await?;
        op.expect(":op!op@127.0.0.1 KICK #chan user enough").await?;
        op.expect(":op!op@127.0.0.1 KICK #chan third enough")
            .await?;
        user.expect(":op!op@127.0.0.1 KICK #chan user enough")
            .await?;
        third
            .expect(":op!op@127.0.0.1 KICK #chan user enough")
            .await?;
        third
            .expect(":op!op@127.0.0.1 KICK #chan third enough")
            .await?;
        user.silence().await?;
        user.send("PRIVMSG #chan :still here?").await?;
        user.expect(":irc.test 404 user #chan :Cannot send to channel")
            .await?;
        user.send("KICK #chan op").await?;
        user.expect(":irc.test 442 user #chan :You're not on that channel")
            .await
    }
    .await);
}

#[tokio::test]
async fn statusmsg_reaches_only_operators_or_voiced_members() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        let mut vee = third_member(&server, "vee", &mut op, &mut user).await?;
        op.send("MODE #chan +v vee").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +v vee").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +v vee").await?;
        vee.expect(":op!op@127.0.0.1 MODE #chan +v vee").await?;
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
        let mut out = Irc::register(&server, "out").await?;
        out.send("PRIVMSG @#chan :let me in").await?;
        out.expect(":irc.test 404 out @#chan :Cannot send to channel")
            .await?;
        out.send("PRIVMSG +#nowhere :hello").await?;
        out.expect(":irc.test 403 out +#nowhere :No such channel")
            .await?;
        out.send("PRIVMSG @ :hello").await?;
        out.expect(":irc.test 401 out @ :No such nick/channel")
            .await?;
        op.silence().await
    }
    .await);
}

#[tokio::test]
async fn invite_exceptions_let_matching_users_past_invite_only_and_are_listed() {
    let server = server().await;
    ok(async {
        let (mut op, mut user) = op_and_user(&server).await?;
        op.send("MODE #chan +i").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +i").await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +i").await?;
        let mut guest = Irc::register(&server, "guest").await?;
        guest.send("JOIN #chan").await?;
        guest
            .expect(":irc.test 473 guest #chan :Cannot join channel (+i)")
            .await?;
        // A bare nick is completed to a mask; only operators set one.
        user.send("MODE #chan +I guest").await?;
        user.expect(":irc.test 482 user #chan :You're not channel operator")
            .await?;
        op.send("MODE #chan +I guest").await?;
        op.expect(":op!op@127.0.0.1 MODE #chan +I guest!*@*")
            .await?;
        user.expect(":op!op@127.0.0.1 MODE #chan +I guest!*@*")
            .await?;
        // The list: 346 per mask (who set it, when), then 347; members may read it.
        user.send("MODE #chan +I").await?;
        user.wire
            .expect(b":irc.test 346 user #chan guest!*@* op ")
            .await?;
        user.wire.read_line().await?;
        user.expect(":irc.test 347 user #chan :End of Channel Invite Exception List")
            .await?;
        // guest joins uninvited; once the mask is gone, a second try is refused.
        guest.send("JOIN #chan").await?;
        guest.expect(":guest!guest@127.0.0.1 JOIN #chan").await?;
        guest
            .skip_past(" 366 guest #chan :End of /NAMES list")
            .await?;
        guest.send("PART #chan").await?;
        guest.expect(":guest!guest@127.0.0.1 PART #chan").await?;
        op.send("MODE #chan -I guest!*@*").await?;
        op.skip_past(":op!op@127.0.0.1 MODE #chan -I guest!*@*")
            .await?;
        guest.send("JOIN #chan").await?;
        guest
            .expect(":irc.test 473 guest #chan :Cannot join channel (+i)")
            .await?;
        op.send("MODE #chan +I").await?;
        op.expect(":irc.test 347 op #chan :End of Channel Invite Exception List")
            .await
    }
    .await);
}

//! IRCv3 `draft/read-marker`: `MARKREAD` asks and moves a mark that only moves forward, a
//! JOIN shows the channel's mark before the names end, an account's mark reaches its
//! other sessions with the cap, and every `FAIL MARKREAD` code.

use confab_testkit::irc::*;

const CAP: &str = "draft/read-marker";
const EARLY: &str = "timestamp=2019-01-04T14:33:26.123Z";
const LATE: &str = "timestamp=2020-03-15T10:00:00.000Z";

/// `base64("\0amy\0sesame")`, SASL PLAIN's credentials for amy.
const AMY_PLAIN: &str = "AGFteQBzZXNhbWU=";

/// Registers the account amy (password `sesame`) through NickServ, and leaves.
async fn register_amy(server: &TestServer) -> Step {
    let mut irc = Irc::register(server, "amy").await?;
    irc.send("NS REGISTER sesame").await?;
    irc.skip_past(" :You are now logged in as amy").await?;
    irc.send("QUIT").await?;
    irc.skip_past(" [Quit]").await?;
    irc.wire.expect_closed().await
}

/// Connects as `nick`, logged in to amy with SASL PLAIN, with the read-marker cap.
async fn amy_as(server: &TestServer, nick: &str) -> Result<Irc, Failure> {
    let mut irc = Irc::connect(server, nick).await?;
    irc.send(&format!("CAP REQ :sasl {CAP}")).await?;
    irc.expect(&format!(":{SERVER} CAP * ACK :sasl {CAP}"))
        .await?;
    irc.send(&format!("NICK {nick}")).await?;
    irc.send(&format!("USER {nick} 0 * :Real {nick}")).await?;
    irc.send("AUTHENTICATE PLAIN").await?;
    irc.expect("AUTHENTICATE +").await?;
    irc.send(&format!("AUTHENTICATE {AMY_PLAIN}")).await?;
    irc.skip_past(" :SASL authentication successful").await?;
    irc.send("CAP END").await?;
    irc.skip_past(&format!(" 376 {nick} :End of /MOTD command."))
        .await?;
    Ok(irc)
}

#[tokio::test]
async fn a_mark_is_asked_moved_forward_never_back_and_shown_on_join() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAP).await?;
        // No mark yet.
        alice.send("MARKREAD #c").await?;
        alice.expect(":irc.test MARKREAD #c *").await?;
        // Set, then an older time: the newer one stays.
        alice.send(&format!("MARKREAD #c {LATE}")).await?;
        alice
            .expect(&format!(":irc.test MARKREAD #c {LATE}"))
            .await?;
        alice.send(&format!("MARKREAD #c {EARLY}")).await?;
        alice
            .expect(&format!(":irc.test MARKREAD #c {LATE}"))
            .await?;
        // A nick is a target too.
        alice.send(&format!("MARKREAD Bob {EARLY}")).await?;
        alice
            .expect(&format!(":irc.test MARKREAD Bob {EARLY}"))
            .await?;
        alice.send("MARKREAD bob").await?;
        alice
            .expect(&format!(":irc.test MARKREAD bob {EARLY}"))
            .await?;
        // JOIN: the mark after the names, before their end.
        alice.send("JOIN #c").await?;
        alice
            .expect_all(&[
                ":alice!alice@127.0.0.1 JOIN #c",
                ":irc.test 353 alice = #c @alice",
                &format!(":irc.test MARKREAD #c {LATE}"),
                ":irc.test 366 alice #c :End of /NAMES list",
            ])
            .await?;
        // A client without the cap hears no MARKREAD on its JOIN.
        let mut bob = Irc::register(&server, "bob").await?;
        bob.send("JOIN #c").await?;
        bob.expect_all(&[
            ":bob!bob@127.0.0.1 JOIN #c",
            ":irc.test 353 bob = #c :@alice bob",
            ":irc.test 366 bob #c :End of /NAMES list",
        ])
        .await
    }
    .await);
}

#[tokio::test]
async fn bad_markreads_fail_with_the_spec_codes() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", CAP).await?;
        alice.send("MARKREAD").await?;
        alice
            .expect(":irc.test FAIL MARKREAD NEED_MORE_PARAMS :MARKREAD needs a target")
            .await?;
        let times = ":Timestamps are timestamp=YYYY-MM-DDThh:mm:ss.sssZ";
        for bad in ["*", "timestamp=yesterday", "2019-01-04T14:33:26.123Z"] {
            alice.send(&format!("MARKREAD #c {bad}")).await?;
            alice
                .expect(&format!(
                    ":irc.test FAIL MARKREAD INVALID_PARAMS #c {times}"
                ))
                .await?;
        }
        alice.send("MARKREAD #bad!name").await?;
        alice
            .expect(":irc.test FAIL MARKREAD INVALID_PARAMS #bad!name :Not a channel or nick")
            .await
    }
    .await);
}

#[tokio::test]
async fn an_accounts_mark_reaches_its_other_sessions_and_later_ones() {
    let server = server().await;
    ok(async {
        register_amy(&server).await?;
        let mut phone = amy_as(&server, "amy").await?;
        let mut laptop = amy_as(&server, "amy_laptop").await?;
        // Another user's marks are their own.
        let mut bob = Irc::register_with_caps(&server, "bob", CAP).await?;
        phone.send(&format!("MARKREAD #c {LATE}")).await?;
        phone
            .expect(&format!(":irc.test MARKREAD #c {LATE}"))
            .await?;
        laptop
            .expect(&format!(":irc.test MARKREAD #c {LATE}"))
            .await?;
        // Not moved: nobody else is told.
        laptop.send(&format!("MARKREAD #c {EARLY}")).await?;
        laptop
            .expect(&format!(":irc.test MARKREAD #c {LATE}"))
            .await?;
        phone.silence().await?;
        bob.send("MARKREAD #c").await?;
        bob.expect(":irc.test MARKREAD #c *").await?;
        // A session that logs in later finds the mark.
        let mut tablet = amy_as(&server, "amy_tablet").await?;
        tablet.send("MARKREAD #C").await?;
        tablet
            .expect(&format!(":irc.test MARKREAD #C {LATE}"))
            .await
    }
    .await);
}

#[tokio::test]
async fn an_accounts_marks_outlive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let with_dir = |dir: std::path::PathBuf| {
        move |config: &mut confab_server::Config| {
            config.data = confab_server::DataSetting::Dir(dir);
        }
    };
    let server = server_with(with_dir(data.path().to_path_buf())).await;
    ok(async {
        register_amy(&server).await?;
        let mut amy = amy_as(&server, "amy").await?;
        amy.send(&format!("MARKREAD #c {LATE}")).await?;
        amy.expect(&format!(":irc.test MARKREAD #c {LATE}")).await?;
        amy.send(&format!("MARKREAD Bob {EARLY}")).await?;
        amy.expect(&format!(":irc.test MARKREAD Bob {EARLY}")).await
    }
    .await);
    server.stop().await;
    let server = server_with(with_dir(data.path().to_path_buf())).await;
    ok(async {
        let mut amy = amy_as(&server, "amy").await?;
        amy.send("JOIN #C").await?;
        amy.skip_past(" 353 amy = #C @amy").await?;
        amy.expect(&format!(":irc.test MARKREAD #C {LATE}")).await?;
        amy.skip_past(" 366 amy #C :End of /NAMES list").await?;
        amy.send("MARKREAD bob").await?;
        amy.expect(&format!(":irc.test MARKREAD bob {EARLY}")).await
    }
    .await);
}

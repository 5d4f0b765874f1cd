//! IRCv3 `draft/metadata-3`: a user's and a channel's key-value pairs, set, read,
//! listed and cleared; subscribers told of changes by those they share a channel with
//! and shown the pairs on joining; keys set before registration; channel pairs changed
//! by operators only and hidden from outsiders of an invitation-only channel; every bad
//! input refused with 461 or its `FAIL METADATA` code.

use confab_testkit::irc::*;

/// The cap alone: no `batch`, so replies come as plain lines with exact bytes.
const CAP: &str = "draft/metadata-3";

async fn with_cap(server: &TestServer, nick: &str) -> Result<Irc, Failure> {
    Irc::register_with_caps(server, nick, CAP).await
}

#[tokio::test]
async fn set_get_list_unset_and_clear_ones_own_keys() {
    let server = server().await;
    ok(async {
        let mut alice = with_cap(&server, "alice").await?;
        // Unset keys read as 766, in the order asked.
        alice.send("METADATA * GET display-name avatar").await?;
        alice
            .expect_all(&[
                ":irc.test 766 alice alice display-name :key not set",
                ":irc.test 766 alice alice avatar :key not set",
            ])
            .await?;
        // SET answers the new value; keys are case-insensitive and shown folded.
        alice.send("METADATA * SET Display-Name :Alice A.").await?;
        alice
            .expect(":irc.test 761 alice alice display-name * :Alice A.")
            .await?;
        alice
            .send("METADATA alice SET avatar :https://a.example/a.png")
            .await?;
        alice
            .expect(":irc.test 761 alice alice avatar * https://a.example/a.png")
            .await?;
        alice.send("METADATA * LIST").await?;
        alice
            .expect_all(&[
                ":irc.test 761 alice alice display-name * :Alice A.",
                ":irc.test 761 alice alice avatar * https://a.example/a.png",
            ])
            .await?;
        // SET without a value removes the key.
        alice.send("METADATA * SET display-name").await?;
        alice
            .expect(":irc.test 766 alice alice display-name :key not set")
            .await?;
        alice.send("METADATA * GET display-name").await?;
        alice
            .expect(":irc.test 766 alice alice display-name :key not set")
            .await?;
        // CLEAR removes the rest, one 766 per key.
        alice.send("METADATA * CLEAR").await?;
        alice
            .expect(":irc.test 766 alice alice avatar :key not set")
            .await?;
        alice.send("METADATA * LIST").await?;
        alice.sync().await
    }
    .await);
}

#[tokio::test]
async fn replies_come_in_a_metadata_batch_for_a_batch_client() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::register_with_caps(&server, "alice", "draft/metadata-3 batch").await?;
        // The registration burst ends with alice's own (empty) metadata batch.
        let id = batch_start(&mut alice, "metadata alice").await?;
        alice.expect(&format!(":irc.test BATCH -{id}")).await?;
        alice.send("METADATA * GET avatar").await?;
        let id = batch_start(&mut alice, "metadata alice").await?;
        alice
            .expect_all(&[
                &format!("@batch={id} :irc.test 766 alice alice avatar :key not set"),
                &format!(":irc.test BATCH -{id}"),
            ])
            .await
    }
    .await);
}

/// Reads `:irc.test BATCH +<id> <rest>`: the id.
async fn batch_start(irc: &mut Irc, rest: &str) -> Result<String, Failure> {
    let line = irc.wire.read_line().await?;
    let text = String::from_utf8_lossy(&line).trim_end().to_string();
    let id = text
        .strip_prefix(":irc.test BATCH +")
        .and_then(|t| t.strip_suffix(&format!(" {rest}")))
        .unwrap_or_default()
        .to_string();
    if id.is_empty() || id.contains(' ') {
        let want = format!(":irc.test BATCH +<id> {rest}\r");
        return Err(Failure::new("expect a batch start", want.as_bytes(), &line));
    }
    Ok(id)
}

#[tokio::test]
async fn subscribers_sharing_a_channel_hear_changes_and_see_pairs_on_join() {
    let server = server().await;
    ok(async {
        let mut alice = with_cap(&server, "alice").await?;
        let mut bob = with_cap(&server, "bob").await?;
        bob.send("METADATA * SUB display-name avatar").await?;
        bob.expect(":irc.test 770 bob display-name avatar").await?;
        bob.send("METADATA * SUBS").await?;
        bob.expect(":irc.test 772 bob display-name avatar").await?;
        // Sharing no channel yet: bob hears nothing.
        alice.send("METADATA * SET display-name :Alice").await?;
        alice
            .expect(":irc.test 761 alice alice display-name * Alice")
            .await?;
        bob.silence().await?;
        alice.join("#c").await?;
        alice
            .send("METADATA #c SET avatar :https://c.example/c.png")
            .await?;
        alice
            .expect(":irc.test 761 alice #c avatar * https://c.example/c.png")
            .await?;
        // Joining, bob is shown the channel's pairs and alice's, for his keys.
        bob.join("#c").await?;
        bob.expect_all(&[
            ":irc.test 761 bob #c avatar * https://c.example/c.png",
            ":irc.test 761 bob alice display-name * Alice",
        ])
        .await?;
        // Now alice's changes reach him, but not keys he did not subscribe to.
        alice.send("METADATA * SET display-name :Alice B.").await?;
        bob.expect(":irc.test 761 bob alice display-name * :Alice B.")
            .await?;
        alice.send("METADATA * SET pronouns :she/her").await?;
        alice.send("METADATA * SET display-name").await?;
        bob.expect(":irc.test 766 bob alice display-name :key not set")
            .await?;
        bob.send("METADATA * UNSUB avatar").await?;
        bob.expect(":irc.test 771 bob avatar").await?;
        alice.send("METADATA #c SET avatar").await?;
        bob.sync().await?;
        bob.silence().await
    }
    .await);
}

#[tokio::test]
async fn keys_set_before_registration_are_kept() {
    let server = server().await;
    ok(async {
        let mut alice = Irc::connect(&server, "alice").await?;
        alice.send("CAP REQ draft/metadata-3").await?;
        alice.expect(":irc.test CAP * ACK draft/metadata-3").await?;
        alice.send("METADATA * SET display-name :Early").await?;
        alice
            .expect(":irc.test 761 * * display-name * Early")
            .await?;
        alice.send("NICK alice").await?;
        alice.send("USER alice 0 * :Real alice").await?;
        alice.send("CAP END").await?;
        alice.skip_past(" 376 alice :End of /MOTD command.").await?;
        // Without `batch` the burst is the lines alone.
        alice
            .expect(":irc.test 761 alice alice display-name * Early")
            .await?;
        alice.send("METADATA * GET display-name").await?;
        alice
            .expect(":irc.test 761 alice alice display-name * Early")
            .await
    }
    .await);
}

#[tokio::test]
async fn only_channel_operators_change_channel_pairs_and_no_one_anothers() {
    let server = server().await;
    ok(async {
        let mut alice = with_cap(&server, "alice").await?;
        let mut bob = with_cap(&server, "bob").await?;
        alice.join("#c").await?;
        bob.join("#c").await?;
        bob.send("METADATA #c SET display-name :Mine").await?;
        bob.expect(":irc.test FAIL METADATA KEY_NO_PERMISSION #c display-name :Only channel operators may change the channel's metadata").await?;
        bob.send("METADATA #c CLEAR").await?;
        bob.expect(":irc.test FAIL METADATA KEY_NO_PERMISSION #c * :Only channel operators may change the channel's metadata").await?;
        bob.send("METADATA alice SET display-name :Not Alice").await?;
        bob.expect(":irc.test FAIL METADATA KEY_NO_PERMISSION alice display-name :You may not change another user's metadata").await?;
        bob.send("METADATA alice CLEAR").await?;
        bob.expect(":irc.test FAIL METADATA KEY_NO_PERMISSION alice * :You may not change another user's metadata").await?;
        // The operator may; members read it, and so may an outsider of a public channel.
        alice.skip_past(" JOIN #c").await?;
        alice.send("METADATA #c SET display-name :Chan").await?;
        alice.expect(":irc.test 761 alice #c display-name * Chan").await?;
        bob.send("METADATA #C GET display-name").await?;
        bob.expect(":irc.test 761 bob #c display-name * Chan").await?;
        let mut carol = with_cap(&server, "carol").await?;
        carol.send("METADATA #c LIST").await?;
        carol.expect(":irc.test 761 carol #c display-name * Chan").await?;
        // Invitation-only: closed to outsiders; a secret channel is unknown to them.
        alice.send("MODE #c +i").await?;
        alice.skip_past(" MODE #c +i").await?;
        carol.send("METADATA #c GET display-name").await?;
        carol.expect(":irc.test FAIL METADATA KEY_NO_PERMISSION #c * :You may not read the metadata of that channel").await?;
        alice.send("MODE #c -i+s").await?;
        alice.skip_past(" MODE #c -i+s").await?;
        carol.send("METADATA #c SYNC").await?;
        carol.expect(":irc.test FAIL METADATA INVALID_TARGET #c :Invalid target").await
    }
    .await);
}

#[tokio::test]
async fn bad_input_is_refused_with_its_code() {
    let server = server().await;
    ok(async {
        let mut alice = with_cap(&server, "alice").await?;
        alice.send("METADATA *").await?;
        alice
            .expect(":irc.test 461 alice METADATA :Not enough parameters")
            .await?;
        alice.send("METADATA * SET").await?;
        alice
            .expect(":irc.test 461 alice METADATA :Not enough parameters")
            .await?;
        alice.send("METADATA * GET :").await?;
        alice
            .expect(":irc.test 461 alice METADATA :Not enough parameters")
            .await?;
        alice.send("METADATA * FROB").await?;
        alice
            .expect(":irc.test FAIL METADATA SUBCOMMAND_INVALID FROB :Unknown METADATA subcommand")
            .await?;
        alice.send("METADATA nobody LIST").await?;
        alice
            .expect(":irc.test FAIL METADATA INVALID_TARGET nobody :Invalid target")
            .await?;
        alice.send("METADATA #nowhere GET a").await?;
        alice
            .expect(":irc.test FAIL METADATA INVALID_TARGET #nowhere :Invalid target")
            .await?;
        alice.send("METADATA * SET bad$key :x").await?;
        alice
            .expect(":irc.test FAIL METADATA KEY_INVALID bad$key :Invalid key")
            .await?;
        // `::colon` is the last parameter `:colon`, a key that may not start with `:`
        // (shown with the `:` made harmless, as a middle parameter must be).
        alice.send("METADATA * SUB ok ::colon").await?;
        alice
            .expect(":irc.test FAIL METADATA KEY_INVALID _colon :Invalid key")
            .await?;
        alice.expect(":irc.test 770 alice ok").await?;
        let long = "v".repeat(301);
        alice.send(&format!("METADATA * SET k :{long}")).await?;
        alice
            .expect(":irc.test FAIL METADATA INVALID_VALUE k :Values are at most 300 bytes")
            .await?;
        Ok(())
    }
    .await);
}

#[tokio::test]
async fn keys_and_subscriptions_are_bounded_as_the_cap_says() {
    let server = server().await;
    ok(async {
        let mut alice = with_cap(&server, "alice").await?;
        // At most 20 keys.
        for i in 0..20 {
            alice.send(&format!("METADATA * SET k{i} :v")).await?;
            alice
                .expect(&format!(":irc.test 761 alice alice k{i} * v"))
                .await?;
        }
        alice.send("METADATA * SET k20 :v").await?;
        alice
            .expect(":irc.test FAIL METADATA LIMIT_REACHED * :At most 20 keys may be set")
            .await?;
        // At most 50 subscriptions: the first key past them is named, the rest dropped.
        let keys: Vec<String> = (0..52).map(|i| format!("s{i}")).collect();
        alice
            .send(&format!("METADATA * SUB {}", keys[..45].join(" ")))
            .await?;
        for chunk in keys[..45].chunks(8) {
            alice
                .expect(&format!(":irc.test 770 alice {}", chunk.join(" ")))
                .await?;
        }
        alice
            .send(&format!("METADATA * SUB {}", keys[45..].join(" ")))
            .await?;
        alice
            .expect(":irc.test FAIL METADATA TOO_MANY_SUBS s50 :Too many subscriptions")
            .await?;
        alice
            .expect(":irc.test 770 alice s45 s46 s47 s48 s49")
            .await
    }
    .await);
}

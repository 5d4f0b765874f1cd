//! Several real `confab serve` nodes on one real `redis-server`: users of different
//! protocols on different nodes share one chat, names are unique across nodes, a node
//! killed outright or stopped loses only its own users, and Redis can restart.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::serve_support::redis::Redis;
use crate::serve_support::Serve;
use confab_testkit::blocking::{Irc, Lines};

/// A node of the cluster on `redis`, every protocol on a free port.
fn node(redis: &Redis) -> Serve {
    Serve::start(&["--cluster", &redis.url()])
}

/// bob on node `one` and amy on node `two`, once bob has heard amy arrive.
fn meet(one: &Serve, two: &Serve) -> (Lines, Lines) {
    let mut bob = Lines::broadcast_user(one.addr("broadcast"), "bob");
    let amy = Lines::broadcast_user(two.addr("broadcast"), "amy");
    wait_for(
        &mut bob,
        "amy joined the conversation",
        Duration::from_secs(5),
    );
    (bob, amy)
}

/// Reads `user`'s lines until one equals `expected`, for at most `within`.
fn wait_for(user: &mut Lines, expected: &str, within: Duration) -> Duration {
    let start = Instant::now();
    while start.elapsed() < within {
        match user.next_line() {
            Some(line) if line == expected => return start.elapsed(),
            Some(_) => {}
            None => {}
        }
    }
    panic!("{expected:?} did not arrive within {within:?}");
}

#[test]
fn users_of_every_node_share_one_chat_and_one_set_of_names() {
    let redis = Redis::start();
    let (one, two, three) = (node(&redis), node(&redis), node(&redis));
    let mut bob = Lines::broadcast_user(one.addr("broadcast"), "bob");
    let mut amy = Lines::broadcast_user(two.addr("broadcast"), "amy");
    // bob (node 1) hears amy (node 2) arrive in the one conversation.
    wait_for(
        &mut bob,
        "amy joined the conversation",
        Duration::from_secs(5),
    );
    let mut carol = Irc::register(three.addr("irc"), "carol");
    carol.send("JOIN #lobby\r\n");
    // Each node lists members in the order it learned of them: node 3 heard bob's and
    // amy's joins in whichever order their nodes published them.
    let names = carol.until_containing(" 353 ");
    let listed = names
        .strip_prefix(":confab 353 carol = #lobby :")
        .unwrap_or_else(|| panic!("{names}"));
    let mut listed: Vec<&str> = listed.split(' ').collect();
    listed.sort_unstable();
    assert_eq!(listed, ["amy", "bob", "carol"]);
    wait_for(
        &mut bob,
        "carol joined the conversation",
        Duration::from_secs(5),
    );
    wait_for(
        &mut amy,
        "carol joined the conversation",
        Duration::from_secs(5),
    );
    amy.send("hello from two\n");
    assert_eq!(bob.next_line().as_deref(), Some("amy: hello from two"));
    assert_eq!(
        carol.until_containing("PRIVMSG"),
        ":amy!amy@broadcast PRIVMSG #lobby :hello from two"
    );
    carol.send("PRIVMSG #lobby :and from three\r\n");
    assert_eq!(bob.next_line().as_deref(), Some("carol: and from three"));
    assert_eq!(amy.next_line().as_deref(), Some("carol: and from three"));
    // A direct message crosses to the one node its recipient is on.
    let mut dave = Irc::register(one.addr("irc"), "dave");
    carol.send("PRIVMSG dave :psst\r\n");
    assert_eq!(
        dave.until_containing("PRIVMSG"),
        ":carol!carol@127.0.0.1 PRIVMSG dave psst"
    );
    // Names held on one node are taken on every other, in each protocol's own words.
    let mut other = TcpStream::connect(three.addr("broadcast")).expect("connects");
    other.write_all(b"amy\n").expect("writes");
    let mut reply = BufReader::new(other);
    let mut line = String::new();
    reply.read_line(&mut line).expect("a reply");
    assert_eq!(line, "Username already taken!\n");
    let mut eve = TcpStream::connect(two.addr("irc")).expect("connects");
    eve.write_all(b"NICK dave\r\n").expect("writes");
    let mut reply = BufReader::new(eve);
    line.clear();
    reply.read_line(&mut line).expect("a reply");
    assert_eq!(line, ":confab 433 * dave :Nickname is already in use\r\n");
}

#[test]
fn a_node_killed_outright_loses_only_its_users_who_are_gone_within_15_s() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let (mut bob, _amy) = meet(&one, &two);
    two.kill_9();
    let took = wait_for(
        &mut bob,
        "amy left the conversation",
        Duration::from_secs(15),
    );
    eprintln!("a killed node's user was gone after {took:?}");
    // Her name is free again, on the node that is left.
    let _amy_again = Lines::broadcast_user(one.addr("broadcast"), "amy");
    bob.send("still here\n");
    let mut carol = Irc::register(one.addr("irc"), "carol");
    carol.send("NAMES #lobby\r\n");
    assert_eq!(
        carol.until_containing(" 353 "),
        ":confab 353 carol = #lobby :bob amy"
    );
}

#[test]
fn a_node_stopped_gracefully_says_goodbye_and_frees_its_names_at_once() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let (mut bob, _amy) = meet(&one, &two);
    two.stop(Duration::from_secs(5));
    wait_for(
        &mut bob,
        "amy left the conversation",
        Duration::from_secs(3),
    );
    let _amy_again = Lines::broadcast_user(one.addr("broadcast"), "amy");
}

#[test]
fn after_redis_restarts_the_nodes_find_each_other_again() {
    let mut redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let (mut bob, mut amy) = meet(&one, &two);
    redis.kill();
    // Each node keeps serving its own users meanwhile. (Within 10 s: the node first
    // notices the link is gone, which takes longer when the test binary's other tests
    // load both cores.)
    let mut cy = Lines::broadcast_user(two.addr("broadcast"), "cy");
    let local = Duration::from_secs(10);
    wait_for(&mut amy, "cy joined the conversation", local);
    cy.send("while redis is away\n");
    wait_for(&mut amy, "cy: while redis is away", local);
    redis.restart();
    // Within 10 s cross-node chat works again, and node 1 knows of cy.
    let start = Instant::now();
    let mut n = 0;
    let mut heard = Vec::new();
    loop {
        n += 1;
        amy.send(format!("ping {n}\n"));
        bob.set_wait(Duration::from_millis(500));
        if let Some(line) = bob.next_line() {
            if line.starts_with("amy: ping") {
                break;
            }
            heard.push(line);
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no chat across nodes 10 s after Redis came back"
        );
    }
    eprintln!(
        "chat crossed again {:?} after Redis came back",
        start.elapsed()
    );
    // bob learns of cy, who came while Redis was away; nobody flaps out and in.
    assert_eq!(heard, ["cy joined the conversation"]);
    let mut carol = Irc::register(one.addr("irc"), "carol");
    carol.send("NAMES #lobby\r\n");
    let names = carol.until_containing(" 353 ");
    for who in ["bob", "amy", "cy", "carol"] {
        assert!(
            names.split(' ').any(|n| n.trim_start_matches(':') == who),
            "{who} in {names}"
        );
    }
}

#[test]
fn a_join_the_link_could_not_publish_is_still_heard_on_its_own_node() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let (_bob, mut amy) = meet(&one, &two);
    // Redis holds every write for 4 s: cy's name claim times out (2 s) in the middle of
    // publishing cy's arrival, and the link breaks with the arrival still in its hands.
    redis.cli(&["CLIENT", "PAUSE", "4000", "WRITE"]);
    let _cy = Lines::broadcast_user(two.addr("broadcast"), "cy");
    wait_for(
        &mut amy,
        "cy joined the conversation",
        Duration::from_secs(6),
    );
}

#[test]
fn garbage_on_the_channel_is_dropped_and_the_chat_goes_on() {
    let redis = Redis::start();
    let url = redis.url();
    let one = Serve::start(&["--cluster", &url, "--listen", "metrics=127.0.0.1:0"]);
    let two = node(&redis);
    let (mut bob, mut amy) = meet(&one, &two);
    let huge = vec![b'x'; 5 << 20];
    for payload in [&b"not msgpack"[..], b"\x93\x01", b"", &huge] {
        // Both nodes hear each one.
        assert_eq!(redis.publish("confab:events", payload), ":2\r\n");
    }
    // On a room's channel too (both nodes have a member in the lobby)...
    assert_eq!(redis.publish("confab:room:{lobby}", b"\xc1"), ":2\r\n");
    // ...and in the stream a node fills a room's history from when it starts listening.
    redis.cli(&["XADD", "confab:history:{elsewhere}", "*", "e", "garbage"]);
    let mut dave = Irc::register(one.addr("irc"), "dave");
    // CHATHISTORY answers once the link has handled the join (listened, read the stream):
    // the garbage is no history.
    assert!(joined_and_read(&mut dave, "#elsewhere").is_empty());
    amy.send("after the garbage\n");
    assert_eq!(bob.next_line().as_deref(), Some("amy: after the garbage"));
    // The operator sees it: each payload refused, and the link up all along.
    let metrics = scrape(one.addr("metrics"));
    assert!(
        metrics.lines().any(|l| l == "confab_cluster_up 1"),
        "{metrics}"
    );
    // amy's message crossed: its lag, on one machine, is under a second.
    let lag: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("confab_cluster_lag_seconds "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no lag in {metrics}"));
    assert!(lag > 0.0 && lag < 1.0, "lag {lag}");
    assert!(
        metrics
            .lines()
            .any(|l| l == "confab_cluster_refused_total 6"),
        "{metrics}"
    );
    // Node 1 listens to the lobby's channel and #elsewhere's.
    assert!(
        metrics.lines().any(|l| l == "confab_cluster_rooms 2"),
        "{metrics}"
    );
}

/// The metrics listener's page.
fn scrape(addr: SocketAddr) -> String {
    use std::io::Read;
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("writes");
    let mut page = String::new();
    stream.read_to_string(&mut page).expect("a page");
    page
}

#[test]
fn a_node_number_in_use_is_refused_and_no_password_reaches_the_log() {
    let redis = Redis::start();
    let _seven = Serve::start(&["--cluster", &redis.url(), "--node", "7"]);
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["serve", "--data", "none", "--listen", "irc=127.0.0.1:0"])
        .args(["--cluster", &redis.url(), "--node", "7"])
        .output()
        .expect("confab runs");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("node number 7 is in use by another running node"),
        "{said}"
    );
    let secret_url = redis.url().replace("redis://", "redis://:hunter2@");
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["serve", "--data", "none", "--listen", "irc=127.0.0.1:0"])
        .args(["--cluster", &secret_url])
        .output()
        .expect("confab runs");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success(),
        "a password the server does not take fails"
    );
    assert!(said.contains(":***@127.0.0.1"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
}

/// `user` joins `room` and reads its latest history: the texts of its messages.
fn joined_and_read(user: &mut Irc, room: &str) -> Vec<String> {
    user.send("CAP REQ :draft/chathistory batch\r\n");
    user.until_containing(" ACK ");
    user.send(&format!(
        "JOIN {room}\r\nCHATHISTORY LATEST {room} * 10\r\n"
    ));
    let mut said = Vec::new();
    let privmsg = format!(" PRIVMSG {room} ");
    loop {
        let line = user.line();
        if line.starts_with(":confab BATCH -") {
            return said;
        }
        if let Some((_, text)) = line.split_once(&privmsg) {
            said.push(text.trim_start_matches(':').to_string());
        }
    }
}

#[test]
fn history_said_on_one_node_is_read_back_on_another() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let (mut bob, mut amy) = meet(&one, &two);
    amy.send("first\nsecond\n");
    assert_eq!(bob.next_line().as_deref(), Some("amy: first"));
    assert_eq!(bob.next_line().as_deref(), Some("amy: second"));
    // A client of node 1 reads what was said on node 2 from node 1's own history.
    let mut carol = Irc::register(one.addr("irc"), "carol");
    assert_eq!(joined_and_read(&mut carol, "#lobby"), ["first", "second"]);
}

#[test]
fn a_node_that_starts_late_knows_the_chat_before_its_first_user_arrives() {
    let redis = Redis::start();
    let one = node(&redis);
    let _bob = Lines::broadcast_user(one.addr("broadcast"), "bob");
    let mut dave = Irc::register(one.addr("irc"), "dave");
    dave.send("JOIN #team\r\nTOPIC #team :plans\r\n");
    dave.until_containing(" TOPIC ");
    // Its listeners open once it has heard node 1's state: no wait, no retry.
    let two = node(&redis);
    let mut carol = Irc::register(two.addr("irc"), "carol");
    // LUSERS counts the whole cluster, and this node's own clients apart.
    let counts: Vec<&str> = carol
        .welcome
        .iter()
        .filter(|l| l.contains(" 251 ") || l.contains(" 255 ") || l.contains(" 265 "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        counts,
        [
            ":confab 251 carol :There are 3 users and 0 invisible on 2 servers",
            ":confab 255 carol :I have 1 clients and 1 servers",
            ":confab 265 carol 1 3 :Current local users 1, max 3",
        ]
    );
    carol.send("NAMES #lobby\r\nJOIN #team\r\n");
    assert_eq!(
        carol.until_containing(" 353 "),
        ":confab 353 carol = #lobby bob"
    );
    assert_eq!(
        carol.until_containing(" 332 "),
        ":confab 332 carol #team plans"
    );
    assert_eq!(
        carol.until_containing(" 353 "),
        ":confab 353 carol = #team :@dave carol"
    );
}

#[test]
fn every_member_on_every_node_hears_one_room_in_one_order() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let mut carol = Lines::broadcast_user(one.addr("broadcast"), "carol");
    let mut dave = Lines::broadcast_user(two.addr("broadcast"), "dave");
    let mut amy = Lines::broadcast_user(one.addr("broadcast"), "amy");
    let mut bob = Lines::broadcast_user(two.addr("broadcast"), "bob");
    for (listener, who) in [(&mut carol, "bob"), (&mut dave, "bob")] {
        wait_for(
            listener,
            &format!("{who} joined the conversation"),
            Duration::from_secs(5),
        );
    }
    // Two senders on two nodes at once: their messages interleave somehow, and both
    // listeners must see the very same interleaving, each message once.
    let amy_talks = std::thread::spawn(move || {
        let burst: String = (0..300).map(|n| format!("a{n}\n")).collect();
        amy.send(&burst);
        amy
    });
    let burst: String = (0..300).map(|n| format!("b{n}\n")).collect();
    bob.send(&burst);
    let _amy = amy_talks.join().expect("amy talks");
    let heard = |user: &mut Lines| -> Vec<String> {
        let mut said = Vec::new();
        while said.len() < 600 {
            let line = user.next_line().expect("every message arrives");
            if line.starts_with("amy: ") || line.starts_with("bob: ") {
                said.push(line);
            }
        }
        said
    };
    let (by_carol, by_dave) = (heard(&mut carol), heard(&mut dave));
    assert_eq!(by_carol, by_dave, "one order for every member");
    let mut unique = by_carol.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 600, "each message once");
}

#[test]
fn nodes_reach_a_tls_redis_trusting_the_ca_they_are_given() {
    let dir = tempfile::tempdir().expect("a directory");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["cert", "--out"])
        .arg(dir.path())
        .output()
        .expect("confab cert runs");
    assert!(made.status.success());
    let (cert, key) = (
        dir.path().join("confab-cert.pem"),
        dir.path().join("confab-key.pem"),
    );
    let redis = Redis::start_tls(&cert, &key);
    let ca = cert.to_str().expect("a UTF-8 path");
    let url = redis.tls_url();
    let one = Serve::start(&["--cluster", &url, "--cluster-ca", ca]);
    let two = Serve::start(&["--cluster", &url, "--cluster-ca", ca]);
    let (mut bob, mut amy) = meet(&one, &two);
    amy.send("over tls\n");
    assert_eq!(bob.next_line().as_deref(), Some("amy: over tls"));
    // Without the CA, the self-signed certificate is not trusted: a clear refusal.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args([
            "serve",
            "--data",
            "none",
            "--listen",
            "irc=127.0.0.1:0",
            "--cluster",
            &url,
        ])
        .output()
        .expect("confab runs");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&format!("cannot reach Redis at {url}")),
        "{said}"
    );
}

#[test]
fn a_name_taken_on_two_nodes_while_redis_was_away_ends_with_one_holder() {
    let mut redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let (_bob, _amy) = meet(&one, &two);
    redis.kill();
    let mut zoe_one = Lines::broadcast_user(one.addr("broadcast"), "zoe");
    let mut zoe_two = Lines::broadcast_user(two.addr("broadcast"), "zoe");
    redis.restart();
    // Whichever node claims it second in Redis disconnects its zoe, who is told why.
    let start = Instant::now();
    let mut ended = None;
    while ended.is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "both zoes kept the name"
        );
        for (which, zoe) in [(1, &mut zoe_one), (2, &mut zoe_two)] {
            zoe.set_wait(Duration::from_millis(200));
            if let Some(line) = zoe.next_line() {
                if line == "Removed from the conversation" {
                    ended = Some(which);
                }
            }
        }
    }
    // Both nodes then agree on one zoe.
    let check = |node: &Serve, nick: &str| {
        let mut irc = Irc::register(node.addr("irc"), nick);
        irc.send("NAMES #lobby\r\n");
        let names = irc.until_containing(" 353 ");
        names
            .split(' ')
            .filter(|n| n.trim_start_matches(':') == "zoe")
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    for round in 0.. {
        let counts = (
            check(&one, &format!("carol{round}")),
            check(&two, &format!("dave{round}")),
        );
        if counts == (1, 1) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "zoe listed {counts:?} after {ended:?} lost"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The names `user` gets for `room` (NAMES), in order.
fn names_of(user: &mut Irc, room: &str) -> Vec<String> {
    user.send(&format!("NAMES {room}\r\n"));
    let mut names = Vec::new();
    loop {
        let line = user.line();
        if line.contains(" 366 ") {
            break;
        }
        // `:confab 353 <me> = <room> :<names>`, the colon left out before one name.
        if let Some((_, listed)) = line.split_once(" 353 ") {
            let listed = listed
                .splitn(4, ' ')
                .nth(3)
                .unwrap_or_else(|| panic!("{line}"));
            let listed = listed.trim_start_matches(':');
            names.extend(listed.split(' ').map(str::to_owned));
        }
    }
    names.sort_unstable();
    names
}

/// Polls `check` every 50 ms until it holds, for at most `within`.
fn eventually(within: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_node_listens_only_to_the_rooms_its_users_are_in() {
    let redis = Redis::start();
    let (one, two, three) = (node(&redis), node(&redis), node(&redis));
    let mut amy = Irc::register(one.addr("irc"), "amy");
    let mut bob = Irc::register(two.addr("irc"), "bob");
    let mut carl = Irc::register(three.addr("irc"), "carl");
    amy.send("JOIN #a\r\n");
    amy.until_containing(" 366 ");
    // bob joins once node 2 knows amy made #a (else both would make it, each its op).
    eventually(Duration::from_secs(5), "node 2 knows #a", || {
        names_of(&mut bob, "#a") == ["@amy"]
    });
    for (user, room) in [(&mut bob, "#a"), (&mut carl, "#b")] {
        user.send(&format!("JOIN {room}\r\n"));
        user.until_containing(" 366 ");
    }
    // amy sees bob arrive: from then on his node listens to #a.
    assert_eq!(amy.until_containing(" JOIN "), ":bob!bob@127.0.0.1 JOIN #a");
    // Nodes 1 and 2 have a member of #a and listen to its channel; node 3 does not...
    assert_eq!(redis.listeners_of("a"), 2);
    assert_eq!(redis.listeners_of("b"), 1);
    // ...yet knows who is in it: joins cross on the control channel every node hears.
    assert_eq!(names_of(&mut carl, "#a"), ["@amy", "bob"]);
    amy.send("PRIVMSG #a :hi\r\n");
    assert_eq!(
        bob.until_containing(" PRIVMSG "),
        ":amy!amy@127.0.0.1 PRIVMSG #a hi"
    );
    // Node 2's last member of #a leaves: node 2 stops listening within its watch.
    bob.send("PART #a\r\n");
    bob.until_containing(" PART ");
    eventually(
        Duration::from_secs(5),
        "node 2 stops listening to #a",
        || redis.listeners_of("a") == 1,
    );
    assert_eq!(names_of(&mut carl, "#a"), ["@amy"]);
}

#[test]
fn a_node_that_had_nobody_in_a_room_reads_its_history_once_someone_joins() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let mut amy = Irc::register(one.addr("irc"), "amy");
    amy.send("JOIN #quiet\r\nPRIVMSG #quiet :first\r\nPRIVMSG #quiet :second\r\n");
    eventually(
        Duration::from_secs(5),
        "both kept in #quiet's stream",
        || redis.cli(&["XLEN", "confab:history:{quiet}"]).trim() == "2",
    );
    // The stream goes 30 days after the room's last message.
    let ttl: u64 = redis
        .cli(&["TTL", "confab:history:{quiet}"])
        .trim()
        .parse()
        .expect("a TTL");
    assert!(
        (30 * 24 * 3600 - 60..=30 * 24 * 3600).contains(&ttl),
        "TTL {ttl}"
    );
    // Node 2 never listened to #quiet: it heard neither message live.
    assert_eq!(redis.listeners_of("quiet"), 1);
    let mut carol = Irc::register(two.addr("irc"), "carol");
    assert_eq!(joined_and_read(&mut carol, "#quiet"), ["first", "second"]);
    // From now on node 2 listens, and hears what amy says live.
    assert_eq!(redis.listeners_of("quiet"), 2);
    amy.send("PRIVMSG #quiet :third\r\n");
    assert_eq!(
        carol.until_containing(" PRIVMSG "),
        ":amy!amy@127.0.0.1 PRIVMSG #quiet third"
    );
}

/// Waits until `node` lists `names` in `room` (asked by a passer-by who then leaves). A
/// user hears a room from the moment their join has crossed Redis (their node listens to
/// the room's channel before it publishes the join): this is that moment, seen from
/// another node.
fn wait_until_listed(node: &Serve, room: &str, names: &[&str]) {
    let mut look = Irc::register(node.addr("irc"), "look");
    eventually(Duration::from_secs(5), "the join crossed", || {
        names_of(&mut look, room) == names
    });
    look.send("QUIT\r\n");
    look.until(|l| l.starts_with("ERROR "));
}

/// Sends `text` to `to` from the packet user `from` once `from`'s node knows `to`: a user
/// who just arrived on another node is known here once the arrival has crossed Redis, and
/// until then a SENDTO to them fails (`FAILURE`), as to anyone unknown.
async fn sendto_once_known(
    from: &mut confab_testkit::Wire,
    to: &[u8],
    text: &[u8],
) -> Result<(), confab_testkit::Failure> {
    use confab_testkit::wire::{kind, result, sendto_body};
    for _ in 0..50 {
        from.send_packet(kind::SENDTO, &sendto_body(to, text))
            .await?;
        let answer = from.read_packet().await?;
        if answer == (kind::RESPONSE, vec![result::OK]) {
            return Ok(());
        }
        assert_eq!(answer, (kind::RESPONSE, vec![result::FAILURE]));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the packet user's node never knew {}",
        String::from_utf8_lossy(to)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_of_every_protocol_on_three_nodes_share_the_lobby_names_and_direct_messages() {
    use confab_testkit::classroom::{packet_user_at, prefixed_user_at, rooms_user_at};
    use confab_testkit::wire::{kind, name_field, result, sendto_body};
    let redis = Redis::start();
    let (one, two, three) = (node(&redis), node(&redis), node(&redis));
    confab_testkit::ok(
        async {
            // ivy (IRC) on node 3, rhea (rooms) on node 1: the lobby is one room across them.
            let mut ivy = Irc::register(three.addr("irc"), "ivy");
            ivy.send("JOIN #lobby\r\n");
            ivy.until_containing(" 366 ");
            wait_until_listed(&one, "#lobby", &["ivy"]);
            let mut rhea = rooms_user_at(one.addr("rooms"), "lobby", "rhea").await?;
            rhea.send_line(b"hello from rooms").await?;
            assert_eq!(
                ivy.until_containing(" PRIVMSG "),
                ":rhea!rhea@rooms PRIVMSG #lobby :hello from rooms"
            );
            ivy.send("PRIVMSG #lobby :hi rhea\r\n");
            rhea.skip_until(b"ivy: hi rhea\n").await?;
            // bea (broadcast) on node 2 is in the same conversation.
            let mut bea = Lines::broadcast_user(two.addr("broadcast"), "bea");
            bea.send("from broadcast\n");
            rhea.skip_until(b"bea: from broadcast\n").await?;
            assert_eq!(
                ivy.until_containing(" PRIVMSG "),
                ":bea!bea@broadcast PRIVMSG #lobby :from broadcast"
            );
            // Direct messages: prefixed (node 1) <-> IRC (node 3) <-> packet (node 2).
            let mut pia = prefixed_user_at(one.addr("prefixed"), "pia").await?;
            let mut pak = packet_user_at(two.addr("packet"), "pak").await?;
            pia.send_frame(2, b"MSG ivy hi ivy").await?;
            assert_eq!(
                ivy.until_containing(" PRIVMSG "),
                ":pia!pia@prefixed PRIVMSG ivy :hi ivy"
            );
            ivy.send("PRIVMSG pia :back to you\r\n");
            pia.expect_frame(2, b"ivy sent back to you").await?;
            sendto_once_known(&mut pak, b"pia", b"from a packet").await?;
            pia.expect_frame(2, b"pak sent from a packet").await?;
            pia.send_frame(2, b"MSG pak and back").await?;
            pak.expect_packet(kind::SENDTO_REPLY, &sendto_body(b"pia", b"and back"))
                .await?;
            // One set of names: every node's users listed, each name refused elsewhere.
            pia.send_frame(2, b"GET_NAMES").await?;
            let listed = pia.read_frame(2).await?;
            let mut listed: Vec<&[u8]> = listed.split(|&b| b == b' ').collect();
            listed.sort_unstable();
            let everyone: [&[u8]; 5] = [b"bea", b"ivy", b"pak", b"pia", b"rhea"];
            assert_eq!(listed, everyone);
            let mut late = confab_testkit::Wire::connect(two.addr("packet"), "late").await?;
            late.send_packet(kind::LOGIN, &name_field(b"RHEA")).await?;
            late.expect_response(result::FAILURE).await?;
            let mut other = confab_testkit::Wire::connect(one.addr("prefixed"), "other").await?;
            other.send_frame(2, b"NAME ivy").await?;
            other.expect_frame(2, b"Error: name ivy is taken").await
        }
        .await,
    );
}

#[test]
fn a_room_renamed_on_one_node_follows_on_the_others_with_its_history() {
    let redis = Redis::start();
    let (one, two, three) = (node(&redis), node(&redis), node(&redis));
    let mut amy = Irc::register(one.addr("irc"), "amy");
    amy.send("JOIN #old\r\n");
    amy.until_containing(" 366 ");
    let mut bob = Irc::register(two.addr("irc"), "bob");
    bob.send("CAP REQ :draft/channel-rename\r\n");
    bob.until_containing(" ACK ");
    eventually(Duration::from_secs(5), "node 2 knows #old", || {
        names_of(&mut bob, "#old") == ["@amy"]
    });
    bob.send("JOIN #old\r\n");
    bob.until_containing(" 366 ");
    // amy speaks once she sees bob arrive: his node listens to #old from then on.
    amy.until_containing(" JOIN ");
    amy.send("PRIVMSG #old :before\r\n");
    assert_eq!(
        bob.until_containing(" PRIVMSG "),
        ":amy!amy@127.0.0.1 PRIVMSG #old before"
    );
    // A message right behind the rename: node 2 was not yet listening to #new's channel
    // when it was published, and still delivers it, after the rename.
    amy.send("RENAME #old #new :tidy\r\nPRIVMSG #new :after\r\n");
    assert_eq!(
        bob.until_containing(" RENAME "),
        ":amy!amy@127.0.0.1 RENAME #old #new tidy"
    );
    assert_eq!(
        bob.until_containing(" PRIVMSG "),
        ":amy!amy@127.0.0.1 PRIVMSG #new after"
    );
    eventually(
        Duration::from_secs(5),
        "both nodes listen to #new only",
        || redis.listeners_of("new") == 2 && redis.listeners_of("old") == 0,
    );
    // Node 3 never had anyone in the room: its history follows the rename too.
    let mut carol = Irc::register(three.addr("irc"), "carol");
    assert_eq!(joined_and_read(&mut carol, "#new"), ["before", "after"]);
}

// ---------------------------------------------------------------------------------------
// Accounts, operators and server bans: one set across the nodes

/// Logs in to `account` with SASL PLAIN on `addr` as `nick`, trying again (at most three
/// times, 300 ms apart) while it is refused: a change made on another node reaches this
/// one within a moment. What SASL was last answered, and the client if it got in.
fn log_in_soon(
    addr: SocketAddr,
    nick: &str,
    account: &str,
    password: &str,
) -> (Vec<String>, Option<Irc>) {
    for _ in 0..2 {
        let (said, irc) = Irc::sasl(addr, nick, account, password);
        if irc.is_some() {
            return (said, irc);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Irc::sasl(addr, nick, account, password)
}

/// SASL's answer to a login as `nick`: `900` and `903`.
fn logged_in(nick: &str, account: &str) -> Vec<String> {
    vec![
        format!(":confab 900 {nick} {nick}!{nick}@127.0.0.1 {account} :You are now logged in as {account}"),
        format!(":confab 903 {nick} :SASL authentication successful"),
    ]
}

/// SASL's answer to a refused login as `nick`: `904`.
fn refused(nick: &str) -> Vec<String> {
    vec![format!(":confab 904 {nick} :SASL authentication failed")]
}

/// `nick` registers the account of its nick with IRC `REGISTER`: the first line of the
/// answer.
fn register_account(irc: &mut Irc, nick: &str, password: &str) -> String {
    irc.send(&format!("REGISTER * * {password}\r\n"));
    irc.until_containing(&format!(" {nick} "))
}

/// `confab account ARGS` on `dir`, which must succeed.
fn account_cli(dir: &std::path::Path, args: &[&str], stdin: &str) {
    let out = crate::serve_support::account(dir, args, stdin);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_account_registered_on_one_node_logs_in_on_another() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    let mut amy = Irc::register(one.addr("irc"), "amy");
    assert_eq!(
        register_account(&mut amy, "amy", "sesame"),
        ":confab REGISTER SUCCESS amy :Account successfully registered"
    );
    // Kept in Redis as its record: the hash only, never the password.
    let kept = redis.cli(&["HGET", "confab:account:amy", "hash"]);
    assert!(kept.starts_with("$argon2id$v=19$"), "{kept}");
    // ann, on node 2, logs in to amy's account...
    let (said, ann) = log_in_soon(two.addr("irc"), "ann", "amy", "sesame");
    assert_eq!(said, logged_in("ann", "amy"));
    assert!(ann.is_some());
    // ...but not with a wrong password.
    let (said, bob) = Irc::sasl(two.addr("irc"), "bob", "amy", "sesame!");
    assert_eq!(said, refused("bob"));
    assert!(bob.is_none());
}

#[test]
fn two_nodes_registering_one_name_at_once_end_with_one_account() {
    let redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    // Two clients not yet connected fully (no USER: the nick is held by nobody) register
    // kim at once, each on its node, each with its own password.
    let mut first = Lines::connect(one.addr("irc"));
    let mut second = Lines::connect(two.addr("irc"));
    first.send("NICK kim\r\nREGISTER kim * first-pw\r\n");
    second.send("NICK kim\r\nREGISTER kim * second-pw\r\n");
    let answer = |lines: &mut Lines| {
        let said = lines.until(|l| l.contains(" REGISTER "));
        said.last().expect("an answer").trim_end().to_string()
    };
    let answers = [answer(&mut first), answer(&mut second)];
    let won = ":confab REGISTER SUCCESS kim :Account successfully registered";
    let winners: Vec<usize> = (0..2).filter(|&i| answers[i] == won).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let loser = &answers[1 - winners[0]];
    assert!(
        loser.starts_with(":confab FAIL REGISTER ACCOUNT_EXISTS kim :"),
        "{answers:?}"
    );
    // Both nodes hold the winner's account: its password logs in on the loser's node.
    let (password, other) = match winners[0] {
        0 => ("first-pw", &two),
        _ => ("second-pw", &one),
    };
    let (said, _) = log_in_soon(other.addr("irc"), "kay", "kim", password);
    assert_eq!(said, logged_in("kay", "kim"));
}

#[test]
fn a_password_change_an_oper_grant_and_a_deletion_on_one_node_hold_on_the_others() {
    let redis = Redis::start();
    let data = tempfile::tempdir().expect("a data directory");
    let url = redis.url();
    let one = Serve::start_in(data.path(), &["--cluster", &url]);
    let two = node(&redis);
    let mut amy = Irc::register(one.addr("irc"), "amy");
    assert_eq!(
        register_account(&mut amy, "amy", "sesame"),
        ":confab REGISTER SUCCESS amy :Account successfully registered"
    );
    let (said, _) = log_in_soon(two.addr("irc"), "ann", "amy", "sesame");
    assert_eq!(said, logged_in("ann", "amy"));
    drop(amy);
    // On node 1's data directory, stopped: a new password, and operator rights.
    one.stop(Duration::from_secs(5));
    account_cli(data.path(), &["passwd", "amy"], "hunter2\n");
    account_cli(data.path(), &["op", "amy"], "");
    // Node 1 back: what changed while it was away reaches node 2.
    let one = Serve::start_in(data.path(), &["--cluster", &url]);
    let (said, ann) = log_in_soon(two.addr("irc"), "ann2", "amy", "hunter2");
    assert_eq!(said, logged_in("ann2", "amy"));
    // An operator there: STATS K is answered, not refused.
    let mut ann = ann.expect("ann is in");
    ann.send("STATS K\r\n");
    assert_eq!(
        ann.until_containing(" 219 "),
        ":confab 219 ann2 K :End of /STATS report"
    );
    let (said, _) = Irc::sasl(two.addr("irc"), "bob", "amy", "sesame");
    assert_eq!(said, refused("bob"), "the old password no longer works");
    // Deleted on node 1 (stopped again): the account is gone from node 2 as well.
    one.stop(Duration::from_secs(5));
    account_cli(data.path(), &["del", "amy"], "");
    let _one = Serve::start_in(data.path(), &["--cluster", &url]);
    let gone = |attempt: u32| {
        let nick = format!("cy{attempt}");
        Irc::sasl(two.addr("irc"), &nick, "amy", "hunter2").0 == refused(&nick)
    };
    assert!((0..3).any(|attempt| {
        let refused_now = gone(attempt);
        if !refused_now {
            std::thread::sleep(Duration::from_millis(300));
        }
        refused_now
    }));
    assert_eq!(
        redis.cli(&["HGET", "confab:account:amy", "deleted"]).trim(),
        "1"
    );
}

/// The first `Some` of `attempt`, tried every 200 ms for at most `within`.
fn first_within<T>(within: Duration, mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(found) = attempt() {
            return Some(found);
        }
        if start.elapsed() >= within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Registers `nick` on `addr` unless a ban refuses it: `Ok(client)`, or `Err(the lines
/// it was refused with)`.
fn try_register(addr: SocketAddr, nick: &str) -> Result<Irc, Vec<String>> {
    let mut lines = Lines::connect(addr);
    lines.send(format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n"));
    let mut irc = Irc {
        lines,
        welcome: Vec::new(),
    };
    let said = irc.until(|l| [" 376 ", " 465 "].iter().any(|n| l.contains(n)));
    if said.last().is_some_and(|l| l.contains(" 465 ")) {
        let mut said = said;
        said.push(irc.line());
        return Err(said);
    }
    irc.welcome = said;
    Ok(irc)
}

/// Two nodes on `redis`, node 1 on a data directory (kept while the returned guard lives)
/// where `teach` is a server operator's account, password `sesame`.
fn nodes_with_an_operator(redis: &Redis) -> (tempfile::TempDir, Serve, Serve) {
    let data = tempfile::tempdir().expect("a data directory");
    account_cli(data.path(), &["add", "teach"], "sesame\n");
    account_cli(data.path(), &["op", "teach"], "");
    let one = Serve::start_in(data.path(), &["--cluster", &redis.url()]);
    (data, one, node(redis))
}

/// `nick` on `node`, logged in to the operator's account `teach`.
fn operator_on(node: &Serve, nick: &str) -> Irc {
    let (said, teach) = Irc::sasl(node.addr("irc"), nick, "teach", "sesame");
    assert_eq!(said, logged_in(nick, "teach"));
    teach.unwrap_or_else(|| panic!("{nick} is in"))
}

#[test]
fn a_kline_on_one_node_puts_out_and_refuses_on_another_and_an_unkline_there_lifts_it() {
    let redis = Redis::start();
    let (_data, one, two) = nodes_with_an_operator(&redis);
    let mut zed = Irc::register(two.addr("irc"), "zed");
    zed.send("JOIN #lobby\r\n");
    zed.until_containing(" 366 ");
    let mut teach = operator_on(&one, "teach");
    eventually(Duration::from_secs(5), "node 1 knows zed", || {
        names_of(&mut teach, "#lobby") == ["zed"]
    });
    // Banned on node 1: zed, on node 2, is put out, told why.
    teach.send("KLINE 0 zed* :spam\r\n");
    assert_eq!(
        teach.until_containing(" NOTICE "),
        ":confab NOTICE teach :zed*!*@* is banned (spam); put out: zed"
    );
    let told = zed.until(|l| l.starts_with("ERROR "));
    assert_eq!(
        told[told.len() - 2..],
        [
            ":teach!teach@127.0.0.1 KILL zed :banned: spam",
            "ERROR :Closing link: removed by an operator"
        ]
    );
    // Node 2 refuses a newcomer the ban matches, as a ban set there would.
    let mut n = 0;
    let newcomer = first_within(Duration::from_secs(5), || {
        n += 1;
        try_register(two.addr("irc"), &format!("zed{n}")).err()
    });
    assert_eq!(
        newcomer.expect("node 2 refuses zed*")[..],
        [
            ":confab 465 * :You are banned from this server: spam",
            "ERROR :Closing link: banned (spam)"
        ]
    );
    let ban = redis.cli(&["HGET", "confab:ban:zed*!*@*", "reason"]);
    assert_eq!(ban.trim(), "spam");
    // teach's operator rights hold on node 2: the ban is lifted there...
    let mut teach2 = operator_on(&two, "teach2");
    teach2.send("UNKLINE zed*\r\n");
    assert_eq!(
        teach2.until_containing(" NOTICE "),
        ":confab NOTICE teach2 :zed*!*@* is no longer banned"
    );
    // ...and so on node 1.
    let back = first_within(Duration::from_secs(5), || {
        n += 1;
        try_register(one.addr("irc"), &format!("zed{n}")).ok()
    });
    assert!(back.is_some(), "node 1 still refuses zed*");
}

/// What a new rooms connection to `addr` is told in its first 300 ms: the refusal line of a
/// banned address, or nothing for one let in (the rooms protocol waits for the client).
fn rooms_greeting(addr: SocketAddr) -> Vec<u8> {
    let mut rooms = Lines::connect(addr).waiting(Duration::from_millis(300));
    rooms.read_until_quiet(Duration::from_millis(300))
}

#[test]
fn a_dline_on_one_node_refuses_that_address_on_another_and_an_undline_lets_it_in() {
    let redis = Redis::start();
    let (_data, one, two) = nodes_with_an_operator(&redis);
    assert_eq!(rooms_greeting(two.addr("rooms")), b"");
    let mut teach = operator_on(&one, "teach");
    // Every test connection comes from loopback: node 2 refuses new ones once it hears.
    teach.send("DLINE 127.0.0.1/8 :flood\r\n");
    assert_eq!(
        teach.until_containing(" NOTICE "),
        ":confab NOTICE teach :127.0.0.0/8 is banned (flood)"
    );
    let banned = b"* your address is banned from this server\n";
    let refused = first_within(Duration::from_secs(5), || {
        let greeting = rooms_greeting(two.addr("rooms"));
        (greeting == banned).then_some(greeting)
    });
    assert_eq!(
        refused.as_deref(),
        Some(&banned[..]),
        "node 2 let 127.0.0.1 in"
    );
    assert_eq!(
        redis
            .cli(&["HGET", "confab:ban:127.0.0.0/8", "reason"])
            .trim(),
        "flood"
    );
    // Lifted on node 1 (teach's connection predates the ban), node 2 lets it in again.
    teach.send("UNDLINE 127.0.0.1/8\r\n");
    assert_eq!(
        teach.until_containing(" NOTICE "),
        ":confab NOTICE teach :127.0.0.0/8 is no longer banned"
    );
    let admitted = first_within(Duration::from_secs(5), || {
        rooms_greeting(two.addr("rooms")).is_empty().then_some(())
    });
    assert!(admitted.is_some(), "node 2 still refuses 127.0.0.1");
}

#[test]
fn an_account_made_while_redis_was_away_reaches_the_other_node_once_it_is_back() {
    let mut redis = Redis::start();
    let (one, two) = (node(&redis), node(&redis));
    redis.kill();
    // Node 1 registers kim alone: nothing to claim with, its own store decides.
    let mut kim = Irc::register(one.addr("irc"), "kim");
    assert_eq!(
        register_account(&mut kim, "kim", "sesame"),
        ":confab REGISTER SUCCESS kim :Account successfully registered"
    );
    redis.restart();
    // Node 1 pushes it as it reconnects (within 10 s)...
    eventually(Duration::from_secs(10), "kim pushed to Redis", || {
        redis.cli(&["EXISTS", "confab:account:kim"]).trim() == "1"
    });
    // ...and node 2 takes it, from the channel or from its own reconciliation.
    let (said, _) = log_in_soon(two.addr("irc"), "kay", "kim", "sesame");
    assert_eq!(said, logged_in("kay", "kim"));
}

#[test]
fn bad_account_and_ban_records_in_redis_are_refused_and_counted() {
    let redis = Redis::start();
    // A string, a hash missing most fields, a password that is not a hash.
    redis.cli(&["SET", "confab:account:zed", "garbage"]);
    redis.cli(&["HSET", "confab:account:yan", "name", "yan"]);
    redis.cli(&[
        "HSET",
        "confab:account:pip",
        "name",
        "pip",
        "hash",
        "hunter2",
        "created_ms",
        "1",
        "oper",
        "1",
        "updated_ms",
        "1",
        "deleted",
        "0",
    ]);
    redis.cli(&["HSET", "confab:ban:x", "kind", "everyone"]);
    let one = Serve::start(&["--cluster", &redis.url(), "--listen", "metrics=127.0.0.1:0"]);
    let metrics = scrape(one.addr("metrics"));
    assert!(
        metrics
            .lines()
            .any(|l| l == "confab_cluster_refused_total 4"),
        "{metrics}"
    );
    // None of them is an account: pip's "password" logs in nowhere, zed registers anew.
    let (said, _) = Irc::sasl(one.addr("irc"), "pip", "pip", "hunter2");
    assert_eq!(said, refused("pip"));
    let mut zed = Irc::register(one.addr("irc"), "zed");
    assert_eq!(
        register_account(&mut zed, "zed", "sesame"),
        ":confab REGISTER SUCCESS zed :Account successfully registered"
    );
    assert_eq!(
        redis.cli(&["HGET", "confab:account:zed", "name"]).trim(),
        "zed"
    );
}

//! Unit tests of the IRC client session: server lines fed as bytes, typed lines, and
//! the lines, bytes and roster they produce.

use super::*;
use crate::session::Kind;

fn texts(fx: &Effects) -> Vec<&str> {
    fx.shown
        .iter()
        .filter(|s| s.kind != Kind::Own)
        .map(|s| s.text.as_str())
        .collect()
}

fn sent(fx: &Effects) -> String {
    String::from_utf8_lossy(&fx.send).into_owned()
}

/// Feeds server lines (joined with CRLF) and returns what they produced.
fn feed(s: &mut IrcSession, lines: &[&str]) -> Effects {
    let mut fx = Effects::default();
    let mut buf = BytesMut::new();
    for line in lines {
        buf.extend_from_slice(line.as_bytes());
        buf.extend_from_slice(b"\r\n");
    }
    s.on_bytes(&mut buf, &mut fx);
    assert!(buf.is_empty());
    fx
}

fn typed(s: &mut IrcSession, line: &str) -> Effects {
    let mut fx = Effects::default();
    s.on_line(line, &mut fx);
    fx
}

/// A session registered as `amy` and in `#lobby` with bob and carol.
fn in_lobby() -> IrcSession {
    let mut s = IrcSession::new(Some("amy".into()), vec!["#lobby".into()], false);
    let mut fx = Effects::default();
    s.start(&mut fx);
    feed(
        &mut s,
        &[
            ":confab 001 amy :Welcome to the confab Network, amy!amy@127.0.0.1",
            ":amy!amy@127.0.0.1 JOIN #lobby",
            ":confab 353 amy = #lobby :@carol bob amy",
            ":confab 366 amy #lobby :End of /NAMES list",
            ":confab PONG confab confab-1",
        ],
    );
    s
}

#[test]
fn registers_welcomes_condenses_the_motd_and_joins() {
    let mut s = IrcSession::new(Some("amy".into()), vec!["lobby".into()], false);
    let mut fx = Effects::default();
    s.start(&mut fx);
    assert_eq!(sent(&fx), "NICK amy\r\nUSER amy 0 * amy\r\n");
    assert_eq!(s.prompt(), None, "input waits for the welcome");
    assert_eq!(s.settle(), Settle::Waiting);
    let fx = feed(
        &mut s,
        &[
            ":confab 001 amy :Welcome to the confab Network, amy!amy@127.0.0.1",
            ":confab 002 amy :Your host is confab, running version confab-0.1.0",
            ":confab 005 amy CASEMAPPING=ascii :are supported by this server",
            ":confab 251 amy :There are 1 users and 0 invisible on 1 servers",
            ":confab 375 amy :- confab Message of the day - ",
            ":confab 372 amy :- Welcome to confab.",
            ":confab 376 amy :End of /MOTD command.",
            "PING :abc",
            ":amy!amy@127.0.0.1 JOIN #lobby",
            ":confab 332 amy #lobby :the topic",
            ":confab 333 amy #lobby bob 1700000000",
            ":confab 353 amy = #lobby :@bob amy",
            ":confab 366 amy #lobby :End of /NAMES list",
        ],
    );
    assert_eq!(s.prompt(), None, "the prompt waits for the joins");
    assert!(feed(&mut s, &[":confab PONG confab confab-1"])
        .shown
        .is_empty());
    assert_eq!(
        texts(&fx),
        [
            "Welcome to the confab Network, amy!amy@127.0.0.1",
            "Welcome to confab.",
            "* You joined #lobby",
            "* Topic of #lobby: the topic",
            "* Names in #lobby: @bob amy",
        ]
    );
    assert_eq!(sent(&fx), "JOIN #lobby\r\nPING confab-1\r\nPONG abc\r\n");
    assert_eq!(s.prompt().as_deref(), Some("[#lobby] "));
    assert_eq!(s.settle(), Settle::QuietFor(QUIET));
    let roster = s.roster();
    assert_eq!(roster.me.as_deref(), Some("amy"));
    assert_eq!(roster.names, ["@bob", "amy"]);
    assert_eq!(roster.windows, ["status", "#lobby"]);
    assert_eq!(roster.window.as_deref(), Some("#lobby"));
}

#[test]
fn asks_for_the_nick_and_again_while_it_is_taken() {
    let mut s = IrcSession::new(None, vec![], false);
    let mut fx = Effects::default();
    s.start(&mut fx);
    assert!(fx.send.is_empty());
    assert_eq!(s.prompt().as_deref(), Some(ASK_NICK));
    let fx = typed(&mut s, "bob");
    assert_eq!(sent(&fx), "NICK bob\r\nUSER bob 0 * bob\r\n");
    let fx = feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
    assert_eq!(
        texts(&fx),
        [
            "error: bob: Nickname is already in use",
            "Choose another nickname."
        ]
    );
    assert!(fx.send.is_empty());
    assert_eq!(s.prompt().as_deref(), Some(ASK_NICK));
    // USER went with the first nick; sent again, the server would finish registering
    // on the NICK and answer the second USER with 462.
    let fx = typed(&mut s, "rob");
    assert_eq!(sent(&fx), "NICK rob\r\n");
    let fx = feed(&mut s, &[":confab 432 * 9x :Erroneous nickname"]);
    assert_eq!(texts(&fx)[1], "Choose another nickname.");
    assert_eq!(sent(&typed(&mut s, "ron")), "NICK ron\r\n");
    feed(&mut s, &[":confab 001 ron :Welcome"]);
    assert_eq!(s.prompt().as_deref(), Some("[ron] "));
}

#[test]
fn a_connection_timed_out_while_asking_again_registers_afresh() {
    let mut s = IrcSession::new(None, vec![], false);
    typed(&mut s, "bob");
    feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
    let fx = feed(&mut s, &["ERROR :Closing link: Registration timed out"]);
    assert!(texts(&fx).is_empty(), "held back: {:?}", texts(&fx));
    assert!(s.restart());
    // The new connection has seen no USER yet.
    assert_eq!(
        sent(&typed(&mut s, "rob")),
        "NICK rob\r\nUSER rob 0 * rob\r\n"
    );
    assert!(!s.restart(), "registering: answers are due");
}

#[test]
fn a_farewell_held_back_is_shown_when_the_session_ends() {
    let mut s = IrcSession::new(None, vec![], false);
    typed(&mut s, "bob");
    feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
    feed(&mut s, &["ERROR :Closing link: Registration timed out"]);
    let mut fx = Effects::default();
    s.on_closed(&mut BytesMut::new(), &mut fx);
    assert_eq!(
        texts(&fx),
        ["error: Closing link: Registration timed out", CLOSED]
    );
}

#[test]
fn a_script_tries_the_taken_nick_with_an_underscore() {
    let mut s = IrcSession::new(Some("bob".into()), vec![], true);
    s.start(&mut Effects::default());
    let fx = feed(&mut s, &[":confab 433 * bob :Nickname is already in use"]);
    assert_eq!(
        texts(&fx),
        [
            "error: bob: Nickname is already in use",
            "Trying the nickname bob_"
        ]
    );
    assert_eq!(sent(&fx), "NICK bob_\r\n");
    feed(&mut s, &[":confab 001 bob_ :Welcome"]);
    assert_eq!(s.roster().me.as_deref(), Some("bob_"));
}

#[test]
fn channel_and_query_lines() {
    let mut s = in_lobby();
    let fx = feed(
        &mut s,
        &[
            ":bob!bob@broadcast PRIVMSG #lobby :hello all",
            ":bob!bob@broadcast PRIVMSG #lobby :\x01ACTION waves\x01",
            ":X!X@prefixed PRIVMSG amy :psst",
            ":carol!c@h NOTICE #lobby :note",
            ":confab NOTICE amy :server says",
            ":confab 401 amy nobody :No such nick/channel",
            "ERROR :Closing link: bye",
        ],
    );
    assert_eq!(
        texts(&fx),
        [
            "[#lobby] <bob> hello all",
            "[#lobby] * bob waves",
            "[query X] <X> psst",
            "[#lobby] -carol- note",
            "-confab- server says",
            "error: nobody: No such nick/channel",
            "error: Closing link: bye",
        ]
    );
    let windows: Vec<Option<&str>> = fx.shown.iter().map(|s| s.window.as_deref()).collect();
    assert_eq!(
        windows,
        [
            Some("#lobby"),
            Some("#lobby"),
            Some("query X"),
            Some("#lobby"),
            None,
            None,
            None
        ]
    );
    assert_eq!(s.roster().windows, ["status", "#lobby", "query X"]);
    assert_eq!(
        s.roster().window.as_deref(),
        Some("#lobby"),
        "a query opens without taking the focus"
    );
}

#[test]
fn joins_parts_quits_nicks_modes_and_kicks_are_shown() {
    let mut s = in_lobby();
    let fx = feed(
        &mut s,
        &[
            ":dan!dan@rooms JOIN #lobby",
            ":bob!bob@broadcast PART #lobby :later",
            ":carol!c@h NICK :caro",
            ":caro!c@h MODE #lobby +v dan",
            ":caro!c@h MODE #lobby -o caro",
            ":caro!c@h TOPIC #lobby :new topic",
            ":dan!dan@rooms QUIT :Quit: bye",
            ":caro!c@h KICK #lobby amy :out",
        ],
    );
    assert_eq!(
        texts(&fx),
        [
            "* dan joined #lobby",
            "* bob left #lobby (later)",
            "* carol is now known as caro",
            "* caro set mode +v dan on #lobby",
            "* caro set mode -o caro on #lobby",
            "* caro set the topic of #lobby: new topic",
            "* dan quit (Quit: bye)",
            "* You were kicked from #lobby by caro (out)",
        ]
    );
    assert_eq!(s.roster().windows, ["status"]);
    assert_eq!(s.prompt().as_deref(), Some("[amy] "));
}

#[test]
fn joins_parts_quits_nicks_and_modes_keep_the_nick_list() {
    let mut s = in_lobby();
    feed(
        &mut s,
        &[
            ":dan!dan@rooms JOIN #lobby",
            ":bob!bob@broadcast PART #lobby",
            ":carol!c@h NICK caro",
            ":caro!c@h MODE #lobby +v dan",
            ":amy!amy@h NICK amy2",
        ],
    );
    assert_eq!(s.roster().names, ["@caro", "amy2", "+dan"]);
    assert_eq!(s.roster().me.as_deref(), Some("amy2"));
    // A fresh NAMES reply replaces the list.
    feed(
        &mut s,
        &[
            ":confab 353 amy2 = #lobby :@caro",
            ":confab 353 amy2 = #lobby :amy2",
            ":confab 366 amy2 #lobby :End of /NAMES list",
            ":caro!c@h QUIT :gone",
        ],
    );
    assert_eq!(s.roster().names, ["amy2"]);
    // Names of a channel without a window are shown, and kept out of the list.
    let fx = feed(
        &mut s,
        &[
            ":confab 353 amy2 = #den :@dan",
            ":confab 353 amy2 = #den :eve",
            ":confab 366 amy2 #den :End of /NAMES list",
        ],
    );
    assert_eq!(texts(&fx), ["* Names in #den: @dan eve"]);
    assert_eq!(s.roster().names, ["amy2"]);
}

#[test]
fn commands_send_what_irc_expects() {
    let mut s = in_lobby();
    let cases = [
        ("hello there", "PRIVMSG #lobby :hello there\r\n"),
        ("/me waves", "PRIVMSG #lobby :\x01ACTION waves\x01\r\n"),
        ("/msg bob hi bob", "PRIVMSG bob :hi bob\r\n"),
        ("/topic", "TOPIC #lobby\r\n"),
        ("/topic a new one", "TOPIC #lobby :a new one\r\n"),
        ("/names", "NAMES #lobby\r\n"),
        ("/who", "WHO #lobby\r\n"),
        ("/whois bob", "WHOIS bob\r\n"),
        ("/list", "LIST\r\n"),
        ("/nick amy2", "NICK amy2\r\n"),
        ("/join den", "JOIN #den\r\nPING confab-2\r\n"),
        ("/join #a,b key", "JOIN #a,#b key\r\nPING confab-3\r\n"),
        ("/raw MODE #lobby +m", "MODE #lobby +m\r\n"),
        ("/away gone home", "AWAY :gone home\r\n"),
        ("/away", "AWAY\r\n"),
        ("/mode #lobby +v bob", "MODE #lobby +v bob\r\n"),
        ("//etc/passwd", "PRIVMSG #lobby /etc/passwd\r\n"),
        ("/part", "PART #lobby\r\nPING confab-4\r\n"),
        (
            "/part #den see you",
            "PART #den :see you\r\nPING confab-5\r\n",
        ),
    ];
    for (line, wire) in cases {
        assert_eq!(sent(&typed(&mut s, line)), wire, "{line}");
    }
    let fx = typed(&mut s, "hi");
    assert_eq!(
        fx.shown,
        [crate::session::Shown {
            kind: Kind::Own,
            text: "[#lobby] <amy> hi".into(),
            window: Some("#lobby".into())
        }]
    );
    let fx = typed(&mut s, "/quit off now");
    assert_eq!(sent(&fx), "QUIT :off now\r\n");
    assert_eq!(fx.end, Some(End::WhenClosed));
    let fx = feed(&mut s, &["ERROR :Closing link: (amy@h) [Quit: off now]"]);
    assert!(texts(&fx).is_empty(), "the goodbye is not an error");
}

#[test]
fn query_and_windows() {
    let mut s = in_lobby();
    let fx = typed(&mut s, "/query bob");
    assert!(fx.send.is_empty());
    assert_eq!(s.prompt().as_deref(), Some("[query bob] "));
    assert_eq!(sent(&typed(&mut s, "psst")), "PRIVMSG bob psst\r\n");
    typed(&mut s, "/window 1");
    assert_eq!(s.roster().window.as_deref(), Some("status"));
    assert_eq!(sent(&typed(&mut s, "x")), "");
    typed(&mut s, "/window next");
    assert_eq!(s.prompt().as_deref(), Some("[#lobby] "));
    typed(&mut s, "/window prev");
    typed(&mut s, "/window prev");
    assert_eq!(s.prompt().as_deref(), Some("[query bob] "));
    typed(&mut s, "/part");
    assert_eq!(s.roster().windows, ["status", "#lobby"]);
    assert_eq!(s.prompt().as_deref(), Some("[#lobby] "));
    let fx = typed(&mut s, "/window 9");
    assert_eq!(texts(&fx), ["Windows are 1 to 2: /window N, next or prev"]);
}

#[test]
fn a_script_pings_after_each_line_and_waits_for_the_pong() {
    let mut s = IrcSession::new(Some("amy".into()), vec![], true);
    s.start(&mut Effects::default());
    feed(&mut s, &[":confab 001 amy :Welcome"]);
    let fx = typed(&mut s, "/join #lobby");
    assert_eq!(sent(&fx), "JOIN #lobby\r\nPING confab-1\r\n");
    assert_eq!(s.settle(), Settle::Waiting);
    let fx = feed(&mut s, &[":confab PONG confab :confab-1"]);
    assert!(fx.shown.is_empty());
    assert_eq!(s.settle(), Settle::QuietFor(QUIET));
    let fx = typed(&mut s, "no target yet");
    assert!(fx.send.is_empty(), "nothing sent, nothing to wait for");
    assert_eq!(s.settle(), Settle::QuietFor(QUIET));
}

#[test]
fn leaving_says_quit() {
    let mut s = in_lobby();
    let mut fx = Effects::default();
    s.leave(&mut fx);
    assert_eq!(sent(&fx), "QUIT Leaving\r\n");
    assert_eq!(fx.end, Some(End::WhenClosed));
    let mut fx = Effects::default();
    s.on_closed(&mut BytesMut::new(), &mut fx);
    assert!(fx.shown.is_empty());

    let mut s = in_lobby();
    let mut fx = Effects::default();
    s.on_closed(&mut BytesMut::from(&b"ERROR :bye"[..]), &mut fx);
    assert_eq!(texts(&fx), ["error: bye", CLOSED]);
}

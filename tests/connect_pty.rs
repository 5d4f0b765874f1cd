//! `confab connect` in a real terminal (tmux): a message arriving while the user is halfway
//! through a line appears above it and leaves the half-typed line and the cursor intact;
//! history, the guided rooms steps and a clean exit. Skipped, with a notice, without tmux.

use crate::connect_support::{trimmed, Server, Tmux, BIN};
use confab_testkit::blocking::Lines;

/// The shell command that runs the client.
fn client(args: &str) -> String {
    format!("{BIN} connect {args}")
}

#[test]
fn broadcast_message_arriving_mid_line_leaves_the_typed_half_intact() {
    let server = Server::start();
    let addr = server.addr("broadcast");
    let command = client(&format!("--protocol broadcast --name amy {addr}"));
    let Some(tmux) = Tmux::start("bcast-midline", &command, 80, 20) else {
        return;
    };
    tmux.wait_row("Welcome to the chat. Enter 'bye' anytime to exit.");
    tmux.wait_row("You:");
    let mut bob = Lines::broadcast_user(&addr, "bob");
    tmux.wait_row("bob joined the conversation");

    // Half a line typed, then a message arrives.
    tmux.type_text("half a li");
    tmux.wait_row("You: half a li");
    bob.send("hello from bob\n");
    let screen = trimmed(&tmux.wait_row("bob: hello from bob"));
    let n = screen.len();
    assert_eq!(
        screen[n - 2..],
        ["bob: hello from bob", "You: half a li"],
        "the message above, the half-typed line intact under it"
    );
    assert_eq!(
        tmux.cursor(),
        ("You: half a li".len(), n - 1),
        "cursor in place"
    );

    // Finishing the line sends all of it.
    tmux.type_text("ne done");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "amy: half a line done");
    let screen = trimmed(&tmux.wait_for("a new prompt", |s| {
        trimmed(s).last().map(String::as_str) == Some("You:")
    }));
    assert_eq!(screen[screen.len() - 2], "You: half a line done");

    // Up recalls the line from history.
    tmux.keys(&["Up", "Enter"]);
    assert_eq!(bob.line(), "amy: half a line done");

    // Ctrl-D on an empty line says bye; the terminal comes back as it was.
    tmux.keys(&["C-d"]);
    assert_eq!(bob.line(), "amy left the conversation");
    let screen = trimmed(&tmux.wait_row("[exit 0]"));
    let n = screen.len();
    assert_eq!(
        screen[n - 3..],
        ["Disconnected from the server", "[tty restored]", "[exit 0]"]
    );
}

#[test]
fn prefixed_frame_arriving_mid_command_leaves_it_intact() {
    let server = Server::start();
    let addr = server.addr("prefixed");
    let Some(tmux) = Tmux::start(
        "prefixed-midline",
        &client(&format!("--protocol prefixed {addr}")),
        80,
        20,
    ) else {
        return;
    };
    tmux.wait_row("Pls enter commands");
    tmux.type_text("NAME A");
    tmux.keys(&["Enter"]);
    tmux.wait_row("Server sent: Hello A");

    let mut b = Lines::connect(&addr);
    b.send(b"06NAME B");
    b.expect(b"07Hello B");

    tmux.type_text("GET_NA");
    tmux.wait_row("GET_NA");
    b.send(b"11MSG A HELL");
    b.send(b"O");
    let screen = trimmed(&tmux.wait_row("Server sent: B sent HELLO"));
    let n = screen.len();
    assert_eq!(screen[n - 2..], ["Server sent: B sent HELLO", "GET_NA"]);
    assert_eq!(tmux.cursor(), (6, n - 1));
    tmux.type_text("MES");
    tmux.keys(&["Enter"]);
    tmux.wait_row("Server sent: A B");

    tmux.type_text("EXIT");
    tmux.keys(&["Enter"]);
    let screen = trimmed(&tmux.wait_row("[exit 0]"));
    let n = screen.len();
    assert_eq!(screen[n - 3..], ["EXIT", "[tty restored]", "[exit 0]"]);
}

#[test]
fn rooms_guides_through_room_and_nickname_in_a_terminal() {
    let server = Server::start();
    let addr = server.addr("rooms");
    let mut bob = Lines::connect(&addr);
    bob.send("/join lobby\n/nick bob\n");
    assert_eq!((bob.line(), bob.line()), ("0".into(), "0".into()));

    let Some(tmux) = Tmux::start(
        "rooms-guided",
        &client(&format!("--protocol rooms {addr}")),
        100,
        24,
    ) else {
        return;
    };
    tmux.wait_row("Connected. You are in the lobby.");
    tmux.wait_row("room>");
    tmux.type_text("lobby");
    tmux.keys(&["Enter"]);
    tmux.wait_row("You chose the room lobby.");
    tmux.wait_row("nickname>");
    tmux.type_text("bob");
    tmux.keys(&["Enter"]);
    tmux.wait_row("That nickname is taken.");
    let screen = trimmed(&tmux.wait_for("the nickname asked again", |s| {
        trimmed(s).last().map(String::as_str) == Some("nickname>")
    }));
    assert_eq!(
        screen[screen.len() - 4..],
        [
            "nickname> bob",
            "That nickname is taken.",
            "Choose a nickname:",
            "nickname>"
        ]
    );
    tmux.type_text("amy");
    tmux.keys(&["Enter"]);
    tmux.wait_row("amy>");
    assert_eq!(bob.line(), "* amy joined");

    tmux.type_text("hel");
    tmux.wait_row("amy> hel");
    bob.send("hi amy\n");
    let screen = trimmed(&tmux.wait_row("bob: hi amy"));
    assert_eq!(screen[screen.len() - 2..], ["bob: hi amy", "amy> hel"]);
    tmux.type_text("lo bob");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "amy: hello bob");

    tmux.type_text("/logout");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "* amy left");
    let screen = trimmed(&tmux.wait_row("[exit 0]"));
    assert_eq!(screen[screen.len() - 2..], ["[tty restored]", "[exit 0]"]);
}

/// True when `row` shows `text` after an `HH:MM:SS ` timestamp.
fn timestamped(row: &str, text: &str) -> bool {
    let Some(at) = row.find(&format!(" {text}")) else {
        return false;
    };
    let before: Vec<char> = row[..at].chars().collect();
    let Some(stamp) = before.get(before.len().saturating_sub(8)..) else {
        return false;
    };
    stamp.len() == 8
        && stamp.iter().enumerate().all(|(i, c)| {
            if i == 2 || i == 5 {
                *c == ':'
            } else {
                c.is_ascii_digit()
            }
        })
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: one terminal session, from the guided steps to Ctrl-C"
)]
fn tui_shows_panes_messages_scrollback_and_exits_cleanly() {
    let server = Server::start();
    let addr = server.addr("rooms");
    let mut bob = Lines::connect(&addr);
    bob.send("/join lobby\n/nick bob\n");
    assert_eq!((bob.line(), bob.line()), ("0".into(), "0".into()));

    let command = client(&format!("--tui --protocol rooms {addr}"));
    let Some(tmux) = Tmux::start("tui", &command, 90, 20) else {
        return;
    };
    let status = format!(" connected to {addr}  |  PgUp/PgDn scroll, Ctrl-C quits");
    let screen = tmux.wait_row(&status);
    assert!(screen[0].starts_with("┌ messages ─"), "{screen:#?}");
    assert!(screen[0].ends_with("┐┌ names ───────────┐"), "{screen:#?}");
    assert_eq!(screen[19], status, "the status bar is the last row");

    // The guided steps, typed in the input line.
    tmux.type_text("lobby");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the nickname question", |s| {
        s.iter().any(|r| timestamped(r, "Choose a nickname:"))
    });
    tmux.type_text("alice");
    tmux.keys(&["Enter"]);
    let status =
        format!(" connected to {addr} as alice in lobby  |  PgUp/PgDn scroll, Ctrl-C quits");
    tmux.wait_row(&status);
    assert_eq!(bob.line(), "* alice joined");
    // The side pane: names (asked for quietly), then rooms.
    let screen = tmux.wait_for("names in the side pane", |s| {
        s.get(2)
            .is_some_and(|r| r.ends_with("││bob               │"))
    });
    assert!(screen[1].ends_with("││alice             │"), "{screen:#?}");
    assert!(
        screen.iter().any(|r| r.ends_with("│┌ rooms ───────────┐")),
        "{screen:#?}"
    );
    assert!(
        screen.iter().any(|r| r.ends_with("││lobby             │")),
        "{screen:#?}"
    );

    // A message received shows with its time; a line typed is sent and echoed.
    bob.send("hello alice\n");
    tmux.wait_for("bob's message", |s| {
        s.iter().any(|r| timestamped(r, "bob: hello alice"))
    });
    tmux.type_text("hi bob");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "alice: hi bob");
    tmux.wait_for("the echo", |s| {
        s.iter().any(|r| timestamped(r, "alice> hi bob"))
    });

    // Scrollback: page up hides the newest message, page down brings it back.
    for i in 0..30 {
        bob.send(format!("m{i}\n"));
    }
    tmux.wait_for("the last message", |s| {
        s.iter().any(|r| timestamped(r, "bob: m29"))
    });
    tmux.keys(&["PPage"]);
    let screen = tmux.wait_for("the scrolled view", |s| {
        s[0].contains("scrolled back") && !s.iter().any(|r| r.contains("bob: m29"))
    });
    assert!(
        screen.iter().any(|r| timestamped(r, "bob: m15")),
        "{screen:#?}"
    );
    tmux.keys(&["NPage"]);
    tmux.wait_for("the newest again", |s| {
        s[0].starts_with("┌ messages ─") && s.iter().any(|r| timestamped(r, "bob: m29"))
    });

    // A resize redraws to the new size.
    tmux.resize(70, 14);
    tmux.wait_for("the redrawn screen", |s| {
        s.len() == 14
            && s[13].starts_with(&format!(" connected to {addr} as alice"))
            && s[0].ends_with("┐┌ names ───────────┐")
    });

    // Ctrl-C leaves with /logout; the terminal is as it was before.
    tmux.keys(&["C-c"]);
    assert_eq!(bob.line(), "* alice left");
    let screen = trimmed(&tmux.wait_row("[exit 0]"));
    assert_eq!(
        screen,
        ["[tty restored]", "[exit 0]"],
        "the alternate screen is gone"
    );
}

#[test]
fn line_ui_server_gone_while_reading_a_line_restores_the_terminal() {
    let mut server = Server::start();
    let addr = server.addr("prefixed");
    let command = client(&format!("--protocol prefixed {addr}"));
    let Some(tmux) = Tmux::start("line-gone", &command, 80, 20) else {
        return;
    };
    tmux.wait_row("Pls enter commands");
    tmux.type_text("NAME");
    tmux.wait_row("NAME");
    // The editor is in the middle of a line (raw mode) when the server goes.
    server.stop();
    let screen = trimmed(&tmux.wait_row("[exit 1]"));
    assert_eq!(
        screen,
        [
            "Pls enter commands",
            "",
            "Server sent: Server shutting down",
            "The server closed the connection",
            "[tty restored]",
            "[exit 1]"
        ]
    );
}

#[test]
fn tui_server_gone_restores_the_terminal_and_says_why() {
    let mut server = Server::start();
    let addr = server.addr("broadcast");
    let command = client(&format!("--tui --protocol broadcast --name amy {addr}"));
    let Some(tmux) = Tmux::start("tui-gone", &command, 80, 20) else {
        return;
    };
    tmux.wait_for("the welcome", |s| {
        s.iter()
            .any(|r| timestamped(r, "Welcome to the chat. Enter 'bye' anytime to exit."))
    });
    tmux.wait_for("the names pane", |s| {
        s.get(1)
            .is_some_and(|r| r.ends_with("││amy               │"))
    });
    tmux.type_text("half");
    server.stop();
    let screen = trimmed(&tmux.wait_row("[exit 1]"));
    assert_eq!(
        screen,
        ["Disconnected from the server", "[tty restored]", "[exit 1]"]
    );
}

#[test]
fn irc_channel_message_arriving_mid_line_leaves_the_typed_half_intact() {
    let server = Server::start();
    let irc = server.addr("irc");
    let command = client(&format!("--nick amy --join '#lobby' {irc}"));
    let Some(tmux) = Tmux::start("irc-midline", &command, 80, 20) else {
        return;
    };
    tmux.wait_row("* Names in #lobby: amy");
    tmux.wait_row("[#lobby]");
    let mut bob = Lines::broadcast_user(server.addr("broadcast"), "bob");
    tmux.wait_row("* bob joined #lobby");

    tmux.type_text("half a li");
    tmux.wait_row("[#lobby] half a li");
    bob.send("hello from bob\n");
    let screen = trimmed(&tmux.wait_row("[#lobby] <bob> hello from bob"));
    let n = screen.len();
    assert_eq!(
        screen[n - 2..],
        ["[#lobby] <bob> hello from bob", "[#lobby] half a li"],
        "the message above, the half-typed line intact under it"
    );
    assert_eq!(
        tmux.cursor(),
        ("[#lobby] half a li".len(), n - 1),
        "cursor in place"
    );
    tmux.type_text("ne done");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "amy: half a line done");

    // /quit says goodbye; the terminal comes back as it was.
    tmux.type_text("/quit see you");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "amy left the conversation");
    let screen = trimmed(&tmux.wait_row("[exit 0]"));
    let n = screen.len();
    assert_eq!(
        screen[n - 3..],
        ["[#lobby] /quit see you", "[tty restored]", "[exit 0]"]
    );
}

#[test]
fn irc_nick_asked_again_registers_without_a_second_user() {
    let server = Server::start();
    let _bob = Lines::broadcast_user(server.addr("broadcast"), "bob");
    let irc = server.addr("irc");
    let Some(tmux) = Tmux::start("irc-reask", &client(&irc), 80, 20) else {
        return;
    };
    // The first nick is taken: asked again, the second one registers.
    tmux.wait_row("Enter nickname:");
    tmux.type_text("bob");
    tmux.keys(&["Enter"]);
    tmux.wait_row("Choose another nickname.");
    tmux.type_text("rob");
    tmux.keys(&["Enter"]);
    // The user name is the first nick's: USER went once, with it.
    tmux.wait_row("Welcome to the confab Network, rob!bob@127.0.0.1");
    // An answer after the welcome: by then a second USER would have had its 462.
    tmux.type_text("/msg nobody hi");
    tmux.keys(&["Enter"]);
    let screen = trimmed(&tmux.wait_row("error: nobody: No such nick/channel"));
    assert_eq!(
        screen,
        [
            "Enter nickname: bob",
            "error: bob: Nickname is already in use",
            "Choose another nickname.",
            "Enter nickname: rob",
            "Welcome to the confab Network, rob!bob@127.0.0.1",
            "Welcome to confab: one chat for every protocol.",
            "Channels are shared with the rooms and broadcast users (#lobby).",
            "[rob] /msg nobody hi",
            "error: nobody: No such nick/channel",
            "[rob]",
        ]
    );
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one linear scenario: one IRC terminal session, from the join to Ctrl-C"
)]
fn irc_tui_shows_the_channel_its_nick_list_and_the_windows() {
    let server = Server::start();
    let irc = server.addr("irc");
    let broadcast = server.addr("broadcast");
    let mut bob = Lines::broadcast_user(&broadcast, "bob");

    let command = client(&format!("--tui --nick amy --join '#lobby' {irc}"));
    let Some(tmux) = Tmux::start("irc-tui", &command, 90, 20) else {
        return;
    };
    let status = format!(" connected to {irc} as amy in #lobby  |  Ctrl-N/P windows,");
    let screen = tmux.wait_for("the status bar", |s| s[19].starts_with(&status));
    assert!(screen[0].starts_with("┌ #lobby ─"), "{screen:#?}");
    assert!(screen[0].ends_with("┐┌ names ───────────┐"), "{screen:#?}");
    // The nick list, sorted (the lobby is the server's: nobody is its operator).
    let screen = tmux.wait_for("the nick list", |s| {
        s[1].ends_with("││amy               │") && s[2].ends_with("││bob               │")
    });
    assert!(
        screen.iter().any(|r| r.ends_with("│┌ windows ─────────┐")),
        "{screen:#?}"
    );
    assert!(
        screen.iter().any(|r| r.ends_with("││1 status          │")),
        "{screen:#?}"
    );
    assert!(
        screen.iter().any(|r| r.ends_with("││2 #lobby          │")),
        "{screen:#?}"
    );

    // Someone joins: the list grows; a message shows with its time.
    let _carol = Lines::broadcast_user(&broadcast, "carol");
    tmux.wait_for("carol in the nick list", |s| {
        s[3].ends_with("││carol             │")
    });
    bob.send("hello amy\n");
    tmux.wait_for("bob's message", |s| {
        s.iter().any(|r| timestamped(r, "<bob> hello amy"))
    });
    tmux.type_text("hi bob");
    tmux.keys(&["Enter"]);
    assert_eq!(bob.line(), "amy joined the conversation");
    assert_eq!(bob.line(), "carol joined the conversation");
    assert_eq!(bob.line(), "amy: hi bob");
    tmux.wait_for("the own line", |s| {
        s.iter().any(|r| timestamped(r, "<amy> hi bob"))
    });

    // Ctrl-P goes to the status window (the welcome), Ctrl-N back.
    tmux.keys(&["C-p"]);
    tmux.wait_for("the status window", |s| {
        s[0].starts_with("┌ status ─")
            && s.iter()
                .any(|r| timestamped(r, "Welcome to confab: one chat for every protocol."))
            && !s.iter().any(|r| r.contains("<bob> hello amy"))
    });
    tmux.keys(&["C-n"]);
    tmux.wait_for("#lobby again", |s| {
        s[0].starts_with("┌ #lobby ─") && s.iter().any(|r| timestamped(r, "<bob> hello amy"))
    });

    // Ctrl-C quits; the terminal is as it was before.
    tmux.keys(&["C-c"]);
    assert_eq!(bob.line(), "amy left the conversation");
    let screen = trimmed(&tmux.wait_row("[exit 0]"));
    assert_eq!(screen, ["[tty restored]", "[exit 0]"]);
}

//! `confab connect` in its scriptable mode (stdin a pipe): the seeds' example runs line for
//! line, every client-side error of seed 002, every re-ask of seed 003, and the errors a
//! user sees when the server is missing, leaves, or sends garbage; and nobody cut off by
//! the registration timeout while reading the client's questions (issue 15 #10).

use std::time::Duration;

use crate::connect_support::{FakeServer, Script, Server};
use confab_testkit::blocking::Lines;

/// Seed 000's example run, both windows, with the `C:\Users\BARAK>` shell lines left out.
/// Each window is what the terminal shows: the client's output with the typed lines
/// echoed where they were typed.
const SEED_000_WINDOW_A: &str = "\
Pls enter commands

NAME A
Server sent: Hello A
GET_NAMES
Server sent: A B
GET_NAMES
Server sent: A
GET_NAMES
Server sent: A B
MSG B HELLO
Server sent: B sent HELLO
EXIT
";

const SEED_000_WINDOW_B: &str = "\
Pls enter commands

NAME B
Server sent: Hello B
EXIT
Pls enter commands

NAME B
Server sent: Hello B
Server sent: A sent HELLO
MSG A HELLO
EXIT
";

/// One terminal window: typed lines echoed, output appended as it arrives.
#[derive(Default)]
struct Window(String);

impl Window {
    fn typed(&mut self, client: &mut Script, line: &str) {
        client.send(line);
        self.echo(line);
    }

    /// Types `line` and shows the `replies` lines that answer it.
    fn ask(&mut self, client: &mut Script, line: &str, replies: usize) {
        self.typed(client, line);
        self.output(client.expect(replies));
    }

    /// The client exits 0 by itself (the server closed after its user left); what it
    /// printed last is shown.
    fn ended(&mut self, client: &mut Script) {
        let (code, rest) = client.wait();
        assert_eq!(code, Some(0), "exit status");
        self.output(rest);
    }

    fn echo(&mut self, line: &str) {
        self.0.push_str(line);
        self.0.push('\n');
    }

    fn output(&mut self, lines: Vec<String>) {
        for line in lines {
            self.echo(&line);
        }
    }
}

/// The client exits 0 by itself, showing nothing more.
fn ends_quietly(client: &mut Script) {
    let (code, rest) = client.wait();
    assert_eq!(code, Some(0), "exit status");
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn seed_000_example_run_with_two_prefixed_clients() {
    let server = Server::start();
    let addr = server.addr("prefixed");
    // A client connects (its two greeting lines) and sets the name.
    let named = |win: &mut Window, name: &str| {
        let mut client = Script::start(&["--protocol", "prefixed", &addr]);
        win.output(client.expect(2));
        win.ask(&mut client, &format!("NAME {name}"), 1);
        client
    };
    let (mut a_win, mut b_win) = (Window::default(), Window::default());

    // 1-2. Client A connects and sets the name A.
    let mut a = named(&mut a_win, "A");
    // 3-4. Another client connects and sets the name B.
    let mut b = named(&mut b_win, "B");
    // 5. A checks which clients exist: A B.
    a_win.ask(&mut a, "GET_NAMES", 1);
    // 6. B disconnects with EXIT: the client exits 0 after the server closes.
    b_win.typed(&mut b, "EXIT");
    b_win.ended(&mut b);
    // 7. A checks again: A.
    a_win.ask(&mut a, "GET_NAMES", 1);
    // 8-9. Another client connects and sets the name B.
    let mut b = named(&mut b_win, "B");
    // 10. A checks: A B.
    a_win.ask(&mut a, "GET_NAMES", 1);
    // 11-12. A sends HELLO to B; B receives it from A.
    a_win.typed(&mut a, "MSG B HELLO");
    b_win.output(b.expect(1));
    // 13. B sends HELLO to A.
    b_win.typed(&mut b, "MSG A HELLO");
    a_win.output(a.expect(1));
    // 14-15. B, then A, disconnect.
    b_win.typed(&mut b, "EXIT");
    b_win.ended(&mut b);
    a_win.typed(&mut a, "EXIT");
    a_win.ended(&mut a);

    assert_eq!(a_win.0, SEED_000_WINDOW_A);
    assert_eq!(b_win.0, SEED_000_WINDOW_B);
}

#[test]
fn width_4_frames_for_the_four_digit_lineage() {
    let fake = FakeServer::bind();
    let addr = fake.addr().to_string();
    let mut client = Script::start(&["--protocol", "prefixed", "--width", "4", &addr]);
    let mut server = fake.accept();
    assert_eq!(client.expect(2), ["Pls enter commands", ""]);
    client.send("NAME A");
    server.expect(b"0006NAME A");
    server.send(b"0007Hello A");
    assert_eq!(client.expect(1), ["Server sent: Hello A"]);
    drop(server);
    let (code, rest) = client.finish();
    assert_eq!(rest, ["The server closed the connection"]);
    assert_eq!(code, Some(1));
}

/// Seed 004's conversation. The seed's transcripts, with confab's documented
/// departures: no `Client Working` banner and no blank lines (the seed's server wrapped
/// its lines in `\r` and blank lines), the welcome without its dots, and `Disconnected
/// from the server` on its own line where the seed printed `You: OOPS..GOT..DISCONNECTED`.
/// A typed line shows as the terminal shows it: `You: ` then the line.
const SEED_004_RYUKA: &str = "\
Enter username: Ryuka
Welcome to the chat. Enter 'bye' anytime to exit.
Ash joined the conversation
Ash: Hey there
You: Hello
Ash: How is Eldrigo doing..
You: How is pikachu doing did it evolve
Ash: How is nemesis doing
You: Do u want to go right now..kid!!
Ash: Nope may be another time
Ash left the conversation
You: Typical
You: bye
Disconnected from the server
";

const SEED_004_ASH: &str = "\
Enter username: Ash
Welcome to the chat. Enter 'bye' anytime to exit.
You: Hey there
Ryuka: Hello
You: How is Eldrigo doing..
Ryuka: How is pikachu doing did it evolve
You: How is nemesis doing
Ryuka: Do u want to go right now..kid!!
You: Nope may be another time
You: bye
Disconnected from the server
";

#[test]
fn seed_004_conversation_with_two_broadcast_clients() {
    let server = Server::start();
    let addr = server.addr("broadcast");
    let (mut r_win, mut a_win) = (Window::default(), Window::default());
    let mut ryuka = Script::start(&["--protocol", "broadcast", &addr]);
    let mut ash = Script::start(&["--protocol", "broadcast", &addr]);

    // The name is the first line when --name is not given.
    ryuka.send("Ryuka");
    r_win.echo("Enter username: Ryuka");
    r_win.output(ryuka.expect(1));
    ash.send("Ash");
    a_win.echo("Enter username: Ash");
    a_win.output(ash.expect(1));
    r_win.output(ryuka.expect(1)); // Ash joined the conversation

    // Each line said by one arrives at the other.
    let turns = [
        ("Ash", "Hey there"),
        ("Ryuka", "Hello"),
        ("Ash", "How is Eldrigo doing.."),
        ("Ryuka", "How is pikachu doing did it evolve"),
        ("Ash", "How is nemesis doing"),
        ("Ryuka", "Do u want to go right now..kid!!"),
        ("Ash", "Nope may be another time"),
    ];
    for (who, text) in turns {
        let (speaker, speaker_win, hearer, hearer_win) = if who == "Ash" {
            (&mut ash, &mut a_win, &mut ryuka, &mut r_win)
        } else {
            (&mut ryuka, &mut r_win, &mut ash, &mut a_win)
        };
        speaker.send(text);
        speaker_win.echo(&format!("You: {text}"));
        hearer_win.output(hearer.expect(1));
    }

    // Ash leaves with bye: the server closes, the client says so and exits 0.
    ash.send("bye");
    a_win.echo("You: bye");
    a_win.ended(&mut ash);
    r_win.output(ryuka.expect(1)); // Ash left the conversation

    ryuka.send("Typical");
    r_win.echo("You: Typical");
    ryuka.send("bye");
    r_win.echo("You: bye");
    r_win.ended(&mut ryuka);

    assert_eq!(a_win.0, SEED_004_ASH);
    assert_eq!(r_win.0, SEED_004_RYUKA);
}

#[test]
fn broadcast_name_flag_and_a_taken_name() {
    let server = Server::start();
    let addr = server.addr("broadcast");
    let mut first = Script::start(&["--protocol", "broadcast", "--name", "Zed", &addr]);
    assert_eq!(
        first.expect(1),
        ["Welcome to the chat. Enter 'bye' anytime to exit."]
    );
    let second = Script::start(&["--protocol", "broadcast", "--name", "zed", &addr]);
    let mut second = second;
    let (code, rest) = second.wait();
    assert_eq!(
        rest,
        ["Username already taken!", "Disconnected from the server"]
    );
    assert_eq!(code, Some(1), "refused by the server: exit 1");
    let (code, rest) = first.finish();
    assert_eq!(code, Some(0), "the end of a script is a normal end");
    assert_eq!(rest, ["Disconnected from the server"], "after its bye");
}

#[test]
fn seed_002_client_side_errors_print_exactly_and_send_nothing() {
    let fake = FakeServer::bind();
    let addr = fake.addr().to_string();
    let mut client = Script::start(&["--protocol", "packet", &addr]);
    let mut server = fake.accept();
    let long_name = "x".repeat(21);
    let long_text = "y".repeat(65_536);
    let cases = [
        ("login".to_owned(), "Bad username"),
        ("login John Doe".to_owned(), "Bad username"),
        (format!("login {long_name}"), "Bad username"),
        ("list bob".to_owned(), "Invalid command"),
        ("sendto JohnHello".to_owned(), "Bad username"),
        ("sendto".to_owned(), "Bad username"),
        (format!("sendto {long_name} hi"), "Bad username"),
        (format!("sendto John {long_text}"), "Bad message"),
        ("logout Joe".to_owned(), "Invalid command"),
        ("exit client".to_owned(), "Invalid command"),
        ("shout hello".to_owned(), "Invalid command"),
    ];
    for (typed, error) in &cases {
        client.send(typed);
        assert_eq!(client.expect(1), [*error], "after {typed:.30}");
    }
    assert_eq!(
        server.read_until_quiet(Duration::from_millis(300)),
        b"",
        "an error sends nothing"
    );
    // A valid command after them goes out as its packet.
    client.send("list");
    server.expect(b"\x02\0\0\0\0");
    server.send(b"\x81\0\0\0\x07\0\x02\x01A\x02bc");
    assert_eq!(client.expect(1), ["A bc"]);
    client.send("exit");
    ends_quietly(&mut client);
}

#[test]
fn seed_002_session_with_logout_then_list_and_login_again() {
    let server = Server::start();
    let addr = server.addr("packet");
    let mut bob = Script::start(&["--protocol", "packet", &addr]);
    let mut amy = Script::start(&["--protocol", "packet", &addr]);
    bob.send("login Bob");
    assert_eq!(bob.expect(1), ["Success"]);
    amy.send("login Amy");
    assert_eq!(amy.expect(1), ["Success"]);
    amy.send("sendto Bob Hi how are you?");
    assert_eq!(amy.expect(1), ["Success"]);
    assert_eq!(bob.expect(1), ["Amy: Hi how are you?"]);
    amy.send("sendto Nobody hi");
    assert_eq!(amy.expect(1), ["Failure"]);
    bob.send("logout");
    bob.send("list");
    bob.send("login Bob");
    bob.send("list");
    bob.send("logout");
    bob.send("logout");
    let (code, rest) = bob.finish();
    assert_eq!(
        rest,
        ["Success", "Amy", "Success", "Amy Bob", "Success", "Failure"],
        "a script's output follows its input: each line waits for the replies before it"
    );
    assert_eq!(code, Some(0));
    amy.send("logout");
    amy.send("list");
    let (code, rest) = amy.finish();
    assert_eq!(rest, ["Success", "(nobody is logged in)"]);
    assert_eq!(code, Some(0));
}

#[test]
fn seed_003_every_re_ask_then_chat_who_and_logout() {
    let server = Server::start();
    let addr = server.addr("rooms");
    // Someone already holds the nickname bob.
    let mut bob = Lines::connect(&addr);
    bob.send("/join lobby\n/nick bob\n");
    assert_eq!((bob.line(), bob.line()), ("0".into(), "0".into()));

    let mut carol = Script::start(&["--protocol", "rooms", &addr]);
    for line in [
        "/list", "bad room", "/nick x", "lobby", "2bad", "Bob", "carol",
    ] {
        carol.send(line);
    }
    let ask_room =
        "Type a room name to join it (a new name creates the room), or /list to see the rooms.";
    let room_refused = "That room name is not allowed: use letters, digits and _-[]\\^{}|` \
                        (up to 32), not starting with a digit or -.";
    let nick_refused = "That nickname is not allowed: use letters, digits and _-[]\\^{}|`, \
                        not starting with a digit or -.";
    let expected = [
        "Connected. You are in the lobby.",
        ask_room,
        // /list
        "Rooms: lobby",
        ask_room,
        // bad room: refused (1), asked again
        room_refused,
        ask_room,
        // /nick before a room
        "Join a room first.",
        ask_room,
        // lobby: joined (0)
        "You chose the room lobby.",
        "Choose a nickname:",
        // 2bad: refused (1), asked again
        nick_refused,
        "Choose a nickname:",
        // Bob: taken (2), asked again
        "That nickname is taken.",
        "Choose a nickname:",
        // carol: done (0)
        "You are in lobby as carol. Type a message and press Enter to send it; /who lists \
         who is here, /list the rooms, /join ROOM moves, /logout quits.",
    ];
    assert_eq!(carol.expect(expected.len()), expected);
    assert_eq!(bob.line(), "* carol joined");

    carol.send("hello bob");
    assert_eq!(bob.line(), "carol: hello bob");
    bob.send("hi carol\n");
    assert_eq!(carol.expect(1), ["bob: hi carol"]);
    carol.send("/who");
    assert_eq!(carol.expect(1), ["In lobby: bob, carol"]);
    carol.send("/logout");
    ends_quietly(&mut carol);
    assert_eq!(bob.line(), "* carol left");
}

#[test]
fn the_end_of_a_script_says_the_protocols_goodbye() {
    let server = Server::start();
    // A broadcast user in the lobby hears how each script leaves.
    let mut watcher = Lines::broadcast_user(server.addr("broadcast"), "wat");

    let mut ann = Script::start(&[
        "--protocol",
        "broadcast",
        "--name",
        "ann",
        &server.addr("broadcast"),
    ]);
    assert_eq!(watcher.line(), "ann joined the conversation");
    ann.expect(1); // Welcome to the chat.
    let (code, rest) = ann.finish();
    assert_eq!(
        watcher.line(),
        "ann left the conversation",
        "bye, not a lost connection"
    );
    assert_eq!(
        (code, rest),
        (Some(0), vec!["Disconnected from the server".into()])
    );

    let mut bo = Script::start(&["--protocol", "rooms", &server.addr("rooms")]);
    bo.send("lobby");
    bo.send("bo");
    assert_eq!(watcher.line(), "bo joined the conversation");
    let (code, _) = bo.finish();
    assert_eq!(code, Some(0));
    assert_eq!(watcher.line(), "bo left the conversation", "/logout");

    let cy = Script::start(&["--nick", "cy", "--join", "#lobby", &server.addr("irc")]);
    assert_eq!(watcher.line(), "cy joined the conversation");
    let (code, _) = cy.finish();
    assert_eq!(code, Some(0));
    assert_eq!(watcher.line(), "cy left the conversation", "QUIT");

    // prefixed: EXIT is the last frame sent (a fake server, to see the bytes).
    let fake = FakeServer::bind();
    let dee = Script::start(&["--protocol", "prefixed", &fake.addr().to_string()]);
    let mut wire = fake.accept();
    let finished = std::thread::spawn(move || dee.finish());
    wire.expect(b"04EXIT");
    drop(wire);
    assert_eq!(finished.join().unwrap().0, Some(0));
}

#[test]
fn a_refused_connection_is_one_clear_line_and_exit_1() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let mut client = Script::start(&["--protocol", "prefixed", &addr]);
    let (code, rest) = client.wait();
    assert_eq!(code, Some(1));
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(
        client.stderr(),
        format!("confab: cannot connect to {addr}: connection refused\n")
    );
}

#[test]
fn the_server_going_away_mid_session_is_reported_with_exit_1() {
    let mut server = Server::start();
    let addr = server.addr("rooms");
    let mut client = Script::start(&["--protocol", "rooms", &addr]);
    assert_eq!(client.expect(2).len(), 2);
    client.send("lobby");
    client.send("amy");
    assert_eq!(client.expect(3).len(), 3);
    server.stop();
    let (code, rest) = client.wait();
    assert_eq!(
        rest,
        ["* server shutting down", "The server closed the connection"]
    );
    assert_eq!(code, Some(1));
}

#[test]
fn malformed_packets_from_the_server_are_reported_not_fatal() {
    let fake = FakeServer::bind();
    let addr = fake.addr().to_string();
    let mut client = Script::start(&["--protocol", "packet", &addr]);
    let mut server = fake.accept();
    // An unknown type, a RESPONSE with an unknown result, then a good SENDTO.
    server.send(b"\x09\0\0\0\x01x\x82\0\0\0\x01\x07\x83\0\0\0\x08\x01A\0\0\0\x02hi");
    assert_eq!(
        client.expect(3),
        [
            "The server sent a malformed packet: unknown packet type 0x09",
            "The server sent a malformed packet: unknown result code 7",
            "A: hi"
        ]
    );
    // A length no packet may have: the stream cannot be followed any more.
    server.send(b"\x83\xff\xff\xff\xff");
    let (code, rest) = client.wait();
    assert_eq!(
        rest,
        ["The server sent a packet too large to read; disconnecting"]
    );
    assert_eq!(code, Some(1));
}

#[test]
fn a_script_waits_for_counted_replies_before_exiting() {
    // The fake server answers the list late; the client must wait for it at EOF.
    let fake = FakeServer::bind();
    let addr = fake.addr().to_string();
    let mut client = Script::start(&["--protocol", "packet", &addr]);
    let mut server = fake.accept();
    client.send("list");
    server.expect(b"\x02\0\0\0\0");
    let answer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        server.send(b"\x81\0\0\0\x04\0\x01\x01Z");
        server
    });
    let (code, rest) = client.finish();
    assert_eq!(rest, ["Z"]);
    assert_eq!(code, Some(0));
    drop(answer.join());
}

/// The server's welcome to an IRC client: the 001 text, then the MOTD condensed.
fn irc_welcome(nick: &str) -> Vec<String> {
    irc_welcome_user(nick, nick)
}

/// The welcome when the user name (sent with the first nick tried) differs.
fn irc_welcome_user(nick: &str, user: &str) -> Vec<String> {
    vec![
        format!("Welcome to the confab Network, {nick}!{user}@127.0.0.1"),
        "Welcome to confab: one chat for every protocol.".into(),
        "Channels are shared with the rooms and broadcast users (#lobby).".into(),
    ]
}

#[test]
fn irc_client_joins_lobby_and_talks_with_a_broadcast_user() {
    let server = Server::start();
    let irc = server.addr("irc");
    // IRC is the default protocol.
    let mut amy = Script::start(&["--nick", "amy", "--join", "#lobby", &irc]);
    let mut expected = irc_welcome("amy");
    expected.extend([
        "* You joined #lobby".into(),
        "* Names in #lobby: amy".into(),
    ]);
    assert_eq!(amy.expect(5), expected);

    let mut bob = Lines::broadcast_user(server.addr("broadcast"), "bob");
    assert_eq!(amy.expect(1), ["* bob joined #lobby"]);

    amy.send("hello bob");
    assert_eq!(bob.line(), "amy: hello bob");
    bob.send("hi amy\n");
    assert_eq!(amy.expect(1), ["[#lobby] <bob> hi amy"]);
    amy.send("/names");
    assert_eq!(amy.expect(1), ["* Names in #lobby: amy bob"]);
    // The lobby is the server's: only server operators run it.
    amy.send("/topic the lobby");
    assert_eq!(
        amy.expect(1),
        ["error: #lobby: You're not channel operator"]
    );
    amy.send("/msg nobody hi");
    assert_eq!(amy.expect(1), ["error: nobody: No such nick/channel"]);

    bob.send("bye\n");
    assert_eq!(amy.expect(1), ["* bob quit (Quit)"]);
    // The end of the script after the replies: exit 0, nothing more.
    amy.send("/part");
    let (code, rest) = amy.finish();
    assert_eq!(rest, ["* You left #lobby"]);
    assert_eq!(code, Some(0));
}

#[test]
fn irc_msg_to_a_prefixed_user_and_back() {
    let server = Server::start();
    let mut x = Script::start(&["--protocol", "prefixed", &server.addr("prefixed")]);
    assert_eq!(x.expect(2), ["Pls enter commands", ""]);
    x.send("NAME X");
    assert_eq!(x.expect(1), ["Server sent: Hello X"]);

    // Without --nick the first line is the nick.
    let mut amy = Script::start(&["--protocol", "irc", &server.addr("irc")]);
    amy.send("amy");
    assert_eq!(amy.expect(3), irc_welcome("amy"));
    amy.send("/msg X hi");
    assert_eq!(x.expect(1), ["Server sent: amy sent hi"]);
    x.send("MSG amy hello amy");
    assert_eq!(amy.expect(1), ["[query X] <X> hello amy"]);
    // The query is the current window now only if chosen; /query chooses it.
    amy.send("/query X");
    amy.send("and plain text goes there");
    assert_eq!(
        x.expect(1),
        ["Server sent: amy sent and plain text goes there"]
    );
    amy.send("/quit done");
    ends_quietly(&mut amy);
}

#[test]
fn irc_nick_in_use_is_tried_again_with_an_underscore() {
    let server = Server::start();
    let irc = server.addr("irc");
    let mut first = Script::start(&["--nick", "amy", &irc]);
    assert_eq!(first.expect(3), irc_welcome("amy"));
    // A broadcast user's name is taken for IRC too: one namespace.
    let _bob = Lines::broadcast_user(server.addr("broadcast"), "bob");

    let mut second = Script::start(&["--nick", "AMY", &irc]);
    let mut expected = vec![
        "error: AMY: Nickname is already in use".to_owned(),
        "Trying the nickname AMY_".to_owned(),
    ];
    expected.extend(irc_welcome_user("AMY_", "AMY"));
    assert_eq!(second.expect(5), expected);
    let mut third = Script::start(&["--nick", "bob", &irc]);
    assert_eq!(
        third.expect(2),
        [
            "error: bob: Nickname is already in use",
            "Trying the nickname bob_"
        ]
    );
    assert_eq!(third.expect(3), irc_welcome_user("bob_", "bob"));
    for client in [first, second, third] {
        let (code, rest) = client.finish();
        assert_eq!(code, Some(0));
        assert!(rest.is_empty(), "{rest:?}");
    }
}

/// Past a server's registration timeout of 1 s.
const READING: Duration = Duration::from_millis(2200);

#[test]
fn users_reading_the_first_question_past_the_registration_timeout_still_get_in() {
    let server = Server::start_with(|c| c.limits.registration_timeout_secs = 1);
    let start = |protocol: &str| Script::start(&["--protocol", protocol, &server.addr(protocol)]);
    // Every client is connected at start and asks its first question; nobody answers yet.
    let mut broadcast = start("broadcast");
    let mut irc = start("irc");
    let mut prefixed = start("prefixed");
    assert_eq!(prefixed.expect(2), ["Pls enter commands", ""]);
    let mut packet = start("packet");
    let mut rooms = start("rooms");
    assert_eq!(rooms.expect(2).len(), 2);
    std::thread::sleep(READING);

    // Each server connection has timed out; each client connects again for the answer,
    // with nothing of the first connection shown.
    broadcast.send("Ann");
    assert_eq!(
        broadcast.expect(1),
        ["Welcome to the chat. Enter 'bye' anytime to exit."]
    );
    irc.send("ivy");
    assert_eq!(irc.expect(3), irc_welcome("ivy"));
    prefixed.send("NAME Pam");
    assert_eq!(prefixed.expect(1), ["Server sent: Hello Pam"]);
    packet.send("login Pat");
    assert_eq!(packet.expect(1), ["Success"]);
    rooms.send("lobby");
    assert_eq!(
        rooms.expect(2),
        ["You chose the room lobby.", "Choose a nickname:"]
    );
    // And again at the nickname question: the room is chosen again unseen.
    std::thread::sleep(READING);
    rooms.send("rob");
    let got = rooms.expect(1);
    assert!(got[0].starts_with("You are in lobby as rob."), "{got:?}");
    rooms.send("/who");
    assert_eq!(rooms.expect(1), ["In lobby: Ann, rob"]);

    for client in [broadcast, irc, prefixed, packet, rooms] {
        let (code, _) = client.finish();
        assert_eq!(code, Some(0), "each left as the user said, not cut off");
    }
}

#[test]
fn a_server_gone_while_the_user_reads_is_reported_at_once_or_at_the_first_line() {
    let mut server = Server::start();
    // A protocol with a goodbye says it at once, as before (tests/connect_pty.rs too).
    let mut broadcast = Script::start(&["--protocol", "broadcast", &server.addr("broadcast")]);
    // packet has none: a close before a login may be the registration timeout, so the
    // client goes on and tells when it cannot connect again.
    let addr = server.addr("packet");
    let mut packet = Script::start(&["--protocol", "packet", &addr]);
    std::thread::sleep(Duration::from_millis(300));
    server.stop();
    let (code, rest) = broadcast.wait();
    assert_eq!(
        rest,
        ["Server shutting down", "Disconnected from the server"]
    );
    assert_eq!(code, Some(1));
    std::thread::sleep(Duration::from_millis(300));
    packet.send("login Ann");
    let (code, rest) = packet.wait();
    assert_eq!(
        rest,
        [format!("cannot connect to {addr}: connection refused")]
    );
    assert_eq!(code, Some(1));
}

//! The rooms client's tests: a scripted server's lines in, what the user is shown and
//! what is sent out.

use super::*;

struct Run {
    s: RoomsSession,
    shown: Vec<String>,
    sent: Vec<u8>,
}

impl Run {
    fn new(track: bool) -> Run {
        let mut s = RoomsSession::new(track);
        let mut fx = Effects::default();
        s.start(&mut fx);
        let mut run = Run {
            s,
            shown: Vec::new(),
            sent: Vec::new(),
        };
        run.take(fx);
        run
    }

    fn take(&mut self, fx: Effects) {
        self.shown.extend(fx.shown.into_iter().map(|s| s.text));
        self.sent.extend_from_slice(&fx.send);
    }

    fn typed(&mut self, line: &str) {
        let mut fx = Effects::default();
        self.s.on_line(line, &mut fx);
        self.take(fx);
    }

    fn server(&mut self, bytes: &str) {
        let mut fx = Effects::default();
        self.s
            .on_bytes(&mut BytesMut::from(bytes.as_bytes()), &mut fx);
        self.take(fx);
    }

    /// What was shown and sent since the last call.
    fn drain(&mut self) -> (Vec<String>, String) {
        let shown = std::mem::take(&mut self.shown);
        let sent = String::from_utf8(std::mem::take(&mut self.sent)).unwrap();
        (shown, sent)
    }
}

#[test]
fn guides_from_lobby_to_chat_asking_again_on_every_refusal() {
    let mut run = Run::new(false);
    assert_eq!(run.drain().0, [WELCOME, ASK_ROOM]);
    assert_eq!(run.s.prompt().as_deref(), Some("room> "));

    run.typed("/list");
    assert_eq!(run.drain().1, "/list\n");
    assert_eq!(run.s.prompt(), None, "input waits for the answer");
    run.server("0\n");
    assert_eq!(run.drain().0, [NO_ROOMS, ASK_ROOM]);

    run.typed("bad room");
    assert_eq!(run.drain().1, "/join bad room\n");
    run.server("1\n");
    assert_eq!(run.drain().0, [ROOM_REFUSED, ASK_ROOM]);

    run.typed("lobby");
    run.server("0\n");
    let (shown, sent) = run.drain();
    assert_eq!(sent, "/join lobby\n");
    assert_eq!(shown, ["You chose the room lobby.", ASK_NICK]);
    assert_eq!(run.s.prompt().as_deref(), Some("nickname> "));

    run.typed("2bad");
    run.server("1\n");
    assert_eq!(run.drain().0, [NICK_REFUSED, ASK_NICK]);
    run.typed("bob");
    run.server("2\n");
    assert_eq!(run.drain().0, [NICK_TAKEN, ASK_NICK]);
    run.typed("carol");
    run.server("0\n");
    let (shown, sent) = run.drain();
    assert_eq!(sent, "/nick carol\n");
    assert_eq!(shown.len(), 1);
    assert!(
        shown[0].starts_with("You are in lobby as carol."),
        "{shown:?}"
    );
    assert_eq!(run.s.prompt().as_deref(), Some("carol> "));
}

#[test]
fn a_connection_dropped_at_the_nickname_question_chooses_the_room_again() {
    let mut run = Run::new(false);
    run.typed("lobby");
    run.server("0\n");
    run.drain();
    // The server's registration timeout: its farewell is not shown, the session goes on.
    run.server("* registration timed out\n");
    assert_eq!(run.drain().0, Vec::<String>::new());
    assert!(run.s.restart());
    assert_eq!(run.s.prompt().as_deref(), Some("nickname> "));
    run.typed("carol");
    assert_eq!(run.drain().1, "/join lobby\n/nick carol\n");
    run.server("0\n0\n");
    let (shown, _) = run.drain();
    assert!(
        shown[0].starts_with("You are in lobby as carol."),
        "{shown:?}"
    );
    // In a room the session is the user's: a drop ends it.
    assert!(!run.s.restart());
}

#[test]
fn a_timeout_farewell_is_shown_when_the_session_ends_on_it() {
    let mut run = Run::new(false);
    run.typed("/list");
    run.server("* registration timed out\n");
    run.drain();
    let mut fx = Effects::default();
    run.s.on_closed(&mut BytesMut::new(), &mut fx);
    run.take(fx);
    assert_eq!(
        run.drain().0,
        [
            "* registration timed out",
            "The server closed the connection"
        ]
    );
}

#[test]
fn chat_who_and_events() {
    let mut run = Run::new(false);
    run.typed("/join r");
    run.server("0\n");
    run.typed("/nick amy");
    run.server("0\n");
    run.drain();
    run.typed("hello there");
    run.typed("/who");
    assert_eq!(run.drain().1, "hello there\n/who\n");
    assert!(run.s.prompt().is_some(), "chat input never waits");
    // An event may arrive between a request and its answer.
    run.server("bob: 12\n* cid joined\n2\namy\nbob\n");
    assert_eq!(run.drain().0, ["bob: 12", "* cid joined", "In r: amy, bob"]);
    run.typed("/logout");
    assert_eq!(run.drain().1, "/logout\n");
}

#[test]
fn lists_rooms_and_nick_needs_a_room() {
    let mut run = Run::new(false);
    run.drain();
    run.typed("/nick amy");
    assert_eq!(
        run.drain(),
        (vec![JOIN_FIRST.into(), ASK_ROOM.into()], String::new())
    );
    run.typed("/list");
    run.server("2\nlobby\ngames\n");
    assert_eq!(run.drain().0, ["Rooms: lobby, games", ASK_ROOM]);
    run.typed("");
    assert_eq!(run.drain(), (vec![ASK_ROOM.into()], String::new()));
}

#[test]
fn tracking_fills_the_roster_quietly() {
    let mut run = Run::new(true);
    run.typed("r");
    run.server("0\n");
    run.typed("amy");
    run.server("0\n");
    let (_, sent) = run.drain();
    assert_eq!(sent, "/join r\n/nick amy\n/who\n/list\n");
    run.server("2\namy\nbob\n1\nr\n* cid joined\n* bob left\n* cid is now known as dan\n");
    assert_eq!(
        run.drain().0,
        ["* cid joined", "* bob left", "* cid is now known as dan"]
    );
    let roster = run.s.roster();
    assert_eq!(roster.names, ["amy", "dan"]);
    assert_eq!(roster.rooms, ["r"]);
    assert_eq!(roster.room.as_deref(), Some("r"));
    assert_eq!(roster.me.as_deref(), Some("amy"));
    // An action that reads like a departure removes nobody; a kick removes the kicked.
    run.server("* dan (action): left\n");
    assert_eq!(run.s.roster().names, ["amy", "dan"]);
    run.server("* dan was kicked by amy (spam)\n");
    assert_eq!(run.s.roster().names, ["amy"]);
}

#[test]
fn a_kick_or_a_refused_room_puts_us_back_in_the_lobby() {
    let mut run = Run::new(false);
    run.drain();
    run.typed("lobby");
    run.server("0\n");
    run.typed("zed");
    run.server("* cannot join lobby: banned from lobby\n1\n");
    assert_eq!(
        run.drain().0,
        [
            "You chose the room lobby.",
            ASK_NICK,
            "* cannot join lobby: banned from lobby",
            ASK_ROOM
        ]
    );
    assert_eq!(run.s.prompt().as_deref(), Some("room> "));
    run.typed("side");
    run.server("0\n");
    run.typed("zed");
    run.server("0\n");
    run.drain();
    run.server("* zed was kicked by teach (spam)\n");
    assert_eq!(
        run.drain().0,
        ["* zed was kicked by teach (spam)", ASK_ROOM]
    );
    assert_eq!(run.s.prompt().as_deref(), Some("room> "));
}

#[test]
fn the_prompt_waits_for_a_renames_answer() {
    let mut run = Run::new(false);
    run.typed("r");
    run.server("0\n");
    run.typed("amy");
    run.server("0\n");
    assert_eq!(run.s.prompt().as_deref(), Some("amy> "));
    run.typed("/nick anna");
    assert_eq!(run.s.prompt(), None, "not amy> for the line after /nick");
    run.server("0\n");
    assert_eq!(run.s.prompt().as_deref(), Some("anna> "));
    run.typed("/nick bob");
    run.server("2\n");
    assert_eq!(run.s.prompt().as_deref(), Some("anna> "));
}

#[test]
fn an_unexpected_close_is_reported_but_logout_is_quiet() {
    let mut s = RoomsSession::new(false);
    let mut fx = Effects::default();
    s.on_closed(&mut BytesMut::from(&b"* server shutting down"[..]), &mut fx);
    let texts: Vec<_> = fx.shown.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        ["* server shutting down", "The server closed the connection"]
    );
    let mut fx = Effects::default();
    s.leave(&mut fx);
    assert_eq!(&fx.send[..], b"/logout\n");
    let mut fx = Effects::default();
    s.on_closed(&mut BytesMut::new(), &mut fx);
    assert!(fx.shown.is_empty());
}

//! `confab check` as a teacher runs it: refusing a server in use unless `--force`, the
//! IRC scenarios' table, and grading by seed against a small independent server that
//! follows seed 000 (GET_NAMES, none of confab's extras): it passes seed 000 with notes
//! and fails seed 001's names scenario, quoting seed 001.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use confab_testkit::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_confab");

/// Runs `confab check ARGS` off the runtime's threads (the server under test runs on them).
async fn confab_check(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .arg("check")
            .args(&args)
            .output()
            .expect("confab check runs")
    })
    .await
    .expect("the check finished")
}

/// A row of the prefixed table: the name padded to the longest scenario name.
fn row(name: &str, verdict: &str) -> String {
    format!("{name:35}  {verdict}")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_refuses_a_server_in_use_unless_forced() {
    use confab_check::wire::{kind, name_field, result, Wire};
    let server = TestServer::start().await;
    let addr = server.addr("packet").to_string();
    // zed is logged in over packet.
    let mut zed = Wire::connect(server.addr("packet"), "zed").await.unwrap();
    zed.send_packet(kind::LOGIN, &name_field(b"zed"))
        .await
        .unwrap();
    zed.expect_response(result::OK).await.unwrap();
    // The checker refuses before any scenario: exit 1, nothing on stdout.
    let out = confab_check(&["--protocol", "packet", &addr]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "confab: {addr} is in use (LIST shows zed): the scenarios send 4 KB lines and \
             garbage and join and leave many times, which its users would see. Check a \
             server nobody else uses, or add --force to run anyway\n"
        )
    );
    // zed saw nothing of the look: his next packet answers his own list.
    zed.send_packet(kind::LIST, b"").await.unwrap();
    zed.expect_list(&[b"zed"]).await.unwrap();
    // With --force it runs, says so, and the scenarios' lists now show zed too.
    let out = confab_check(&["--protocol", "packet", "--force", &addr]).await;
    assert_eq!(
        text(&out.stderr),
        format!("confab check: {addr} is in use (LIST shows zed); running anyway (--force)\n")
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).ends_with("\n0 passed, 5 failed\n"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_irc_prints_its_table_and_passes() {
    let server = TestServer::start().await;
    let out = confab_check(&["--protocol", "irc", &server.addr("irc").to_string()]).await;
    assert_eq!(text(&out.stderr), "");
    assert_eq!(
        text(&out.stdout),
        "scenario                  result\n\
         irc_registration_welcome  PASS\n\
         irc_join_names            PASS\n\
         irc_privmsg               PASS\n\
         irc_part                  PASS\n\
         irc_quit_seen             PASS\n\
         irc_error_numerics        PASS\n\
         6 passed, 0 failed\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_rejects_a_seed_of_another_protocol() {
    let out = confab_check(&["--protocol", "rooms", "--seed", "000", "127.0.0.1:9"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "confab: seed 000 is a prefixed assignment, not rooms\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_server_passes_seed_000_with_notes() {
    let addr = seed000_server().await.to_string();
    let out = confab_check(&["--seed", "000", "--suffix", "q7z", &addr]).await;
    let stdout = text(&out.stdout);
    assert_eq!(text(&out.stderr), "", "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "graded against seed 000 (prefixed): confab's own rules are notes"
    );
    let mut want: Vec<String> = [
        ("prefixed_example_run_width2", "PASS"),
        ("prefixed_rubric_name_then_getnames", "PASS"),
        ("prefixed_rubric_one_word_message", "PASS"),
        ("prefixed_rubric_exit_server_goes_on", "PASS"),
        ("prefixed_rubric_unknown_command", "PASS"),
        ("prefixed_name_taken", "PASS"),
        ("prefixed_msg_to_nobody", "PASS"),
        ("prefixed_empty_and_bad_length", "NOTE"),
        ("prefixed_example_run_width4", "NOTE"),
    ]
    .iter()
    .map(|(name, verdict)| row(name, verdict))
    .collect();
    want.extend(
        [
            "    note:     confab's own rule, not the seed's: not counted as a failure",
            "    note:     Tomq7z: confab answers b\"Error: no user named Wesq7z\", this server b\"no such user\"",
            "    note:     Xiaq7z: confab answers b\"Error: unknown command FOO\", this server b\"unknown command\"",
        ]
        .map(String::from),
    );
    for line in &want {
        assert!(
            lines.contains(&line.as_str()),
            "no line {line:?} in\n{stdout}"
        );
    }
    assert!(!stdout.contains(" FAIL\n"), "{stdout}");
    assert_eq!(
        lines.last(),
        Some(&"8 passed, 0 failed, 15 notes"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_000_server_fails_seed_001s_getnames_quoting_it() {
    let addr = seed000_server().await.to_string();
    let out = confab_check(&["--seed", "001", "--suffix", "q7z", &addr]).await;
    let stdout = text(&out.stdout);
    // The look's GETNAMES is not understood either: it says so and runs.
    assert_eq!(
        text(&out.stderr),
        format!(
            "confab check: could not tell whether anyone else is on {addr} \
             (GETNAMES answered b\"unknown command\"); running anyway\n"
        )
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let want = [
        row("prefixed_example_run_width2", "FAIL"),
        row("prefixed_rubric_name_then_getnames", "FAIL"),
        "    expected: b\"14Ritaq7z Samq7z\"".into(),
        "    received: b\"15unknown command\"".into(),
        "    seed 001: \"Both clients execute NAME and then GETNAMES, their names appear in the list of clients they receive.\"".into(),
        row("prefixed_rubric_one_word_message", "PASS"),
    ];
    for line in &want {
        assert!(
            lines.contains(&line.as_str()),
            "no line {line:?} in\n{stdout}"
        );
    }
    assert_eq!(
        lines.last(),
        Some(&"4 passed, 4 failed, 14 notes"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- a small independent server that follows seed 000 and nothing more ----

/// The named clients, in the order they took their names, with their outboxes.
type Names = Arc<Mutex<Vec<(String, mpsc::Sender<Vec<u8>>)>>>;

/// Starts the server on 127.0.0.1 and a free port: 2-digit length fields, `NAME`,
/// `GET_NAMES`, `MSG`, `EXIT` in capitals as seed 000 writes them, its own error words,
/// and a closed connection for anything it cannot read.
async fn seed000_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let names: Names = Arc::default();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_client(stream, names.clone()));
        }
    });
    addr
}

/// One client: frames in, replies and messages out through a bounded outbox.
async fn serve_client(stream: TcpStream, names: Names) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(64);
    tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let mut me: Option<String> = None;
    loop {
        let mut len = [0u8; 2];
        if reader.read_exact(&mut len).await.is_err() {
            break;
        }
        let Some(n) = std::str::from_utf8(&len).ok().and_then(|s| s.parse().ok()) else {
            break;
        };
        let mut payload = vec![0u8; n];
        if reader.read_exact(&mut payload).await.is_err() {
            break;
        }
        let payload = String::from_utf8_lossy(&payload).into_owned();
        if payload == "EXIT" {
            break;
        }
        let reply = answer(&payload, &mut me, &tx, &names).await;
        if let Some(reply) = reply {
            let _ = tx.send(frame(&reply)).await;
        }
    }
    names
        .lock()
        .unwrap()
        .retain(|(n, _)| Some(n) != me.as_ref());
}

/// The reply to one command, if it has one.
async fn answer(
    payload: &str,
    me: &mut Option<String>,
    tx: &mpsc::Sender<Vec<u8>>,
    names: &Names,
) -> Option<String> {
    let (word, rest) = payload.split_once(' ').unwrap_or((payload, ""));
    match word {
        "NAME" => {
            let mut list = names.lock().unwrap();
            if list.iter().any(|(n, _)| n == rest) {
                return Some("name taken".into());
            }
            list.retain(|(n, _)| Some(n) != me.as_ref());
            list.push((rest.to_owned(), tx.clone()));
            *me = Some(rest.to_owned());
            Some(format!("Hello {rest}"))
        }
        "GET_NAMES" => {
            let list = names.lock().unwrap();
            Some(
                list.iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        }
        "MSG" => {
            let (to, text) = rest.split_once(' ').unwrap_or((rest, ""));
            let target = names
                .lock()
                .unwrap()
                .iter()
                .find(|(n, _)| n == to)
                .map(|(_, t)| t.clone());
            let from = me.clone().unwrap_or_default();
            match target {
                Some(target) => {
                    let _ = target.send(frame(&format!("{from} sent {text}"))).await;
                    None
                }
                None => Some("no such user".into()),
            }
        }
        _ => Some("unknown command".into()),
    }
}

/// A 2-digit frame (the seed's replies are short).
fn frame(text: &str) -> Vec<u8> {
    format!("{:02}{text}", text.len()).into_bytes()
}

//! Scenarios for `prefixed` (seeds 000 and 001): the table of scenarios with the seeds'
//! words each checks, the helpers they share, and the look for other users. The
//! scenarios a seed asks for are in `seeded.rs`; what only confab adds in `own.rs`.

mod own;
mod seeded;

use crate::guard::Occupancy;
use crate::wire::{Wire, DEFAULT_TIMEOUT};
use crate::{escape, quotes, scenario, Ctx, Failure, Protocol, Scenario, Seed};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

/// Seed 000's example run, as seed 001 copies it too.
const EXAMPLE_RUN: &str = "Go over the example run and make sure your programs runs the same. \
    [...] 1. Client connects 2. The client sets the name A 3. Another Client connects \
    4. The client sets the name B 5. Client A checked which clients exist and received A B \
    6. Client B disconnected 7. Client A checked which customers exist and received A \
    [...] 10. Client A checked which clients exist and received A B 11. Client A sent a HELLO \
    message to B 12. Client B received the message along with a message from the server that \
    the message was sent from A";

#[allow(
    clippy::too_many_lines,
    reason = "table: one entry per prefixed scenario, with the seeds' words it checks"
)]
pub(crate) fn scenarios() -> Vec<Scenario> {
    use Protocol::Prefixed as P;
    vec![
        scenario!(
            P,
            "prefixed_example_run_width2",
            "docs/protocols/prefixed.md: seed 000's example run, 2-digit length fields",
            quotes![S000: EXAMPLE_RUN, S001: EXAMPLE_RUN],
            seeded::example_run_width2
        ),
        scenario!(
            P,
            "prefixed_example_run_width4",
            "docs/protocols/prefixed.md: seed 000's example run, 4-digit length fields (the width detection is confab's)",
            &[],
            own::example_run_width4
        ),
        scenario!(
            P,
            "prefixed_rubric_name_then_getnames",
            "docs/protocols/prefixed.md, rows `NAME A` and `GET_NAMES` (seed 001 rubric: both clients NAME then GETNAMES)",
            quotes![
                S000: "GET_NAMES will get all client names",
                S001: "Both clients execute NAME and then GETNAMES, their names appear in the list of clients they receive."
            ],
            seeded::rubric_name_then_getnames
        ),
        scenario!(
            P,
            "prefixed_rubric_one_word_message",
            "docs/protocols/prefixed.md, row `MSG B HELLO` (seed 001 rubric: a one-word message with the sender's name)",
            quotes![
                S000: "MSG A HELLO will send HELLO to CLIENT A. The server will first add the sender's name",
                S001: "A client sends a message to another client, only one word without any space. The other client receives the word, including the correct name of the client who sent it"
            ],
            seeded::rubric_one_word_message
        ),
        scenario!(
            P,
            "prefixed_rubric_exit_server_goes_on",
            "docs/protocols/prefixed.md, row `EXIT` (seed 001 rubric: the server goes on after EXIT)",
            quotes![
                S000: "An EXIT order will cause the customer to be disconnected closing the socket.",
                S001: "Client disconnects with EXIT. The server goes on running properly and does not crash or hang."
            ],
            seeded::rubric_exit_server_goes_on
        ),
        scenario!(
            P,
            "prefixed_rubric_unknown_command",
            "docs/protocols/prefixed.md, row `anything else` (seed 001 rubric: an undefined message)",
            quotes![
                S000: "If the server receives an unknown command, it will return an appropriate message to the client that sent the message.",
                S001: "A client sends a message that is not one of the defined messages. The server does not crash"
            ],
            seeded::rubric_unknown_command
        ),
        scenario!(
            P,
            "prefixed_rubric_message_to_himself",
            "docs/protocols/prefixed.md, row `MSG A hi` sent by A (seed 001 rubric: a message to himself)",
            quotes![
                S001: "A client sends a message to himself. The message is received, or the client receives a message that it is not possible to send a message to yourself"
            ],
            seeded::rubric_message_to_himself
        ),
        scenario!(
            P,
            "prefixed_name_taken",
            "docs/protocols/prefixed.md, row `NAME a` while A is taken",
            quotes![
                S000: "If the name A is already occupied by another client, the server will reply that the name is taken.",
                S001: "If the name A is already occupied by another client, the server will reply that the name is taken."
            ],
            seeded::name_taken
        ),
        scenario!(
            P,
            "prefixed_msg_to_nobody",
            "docs/protocols/prefixed.md, row `MSG X hi` to a name nobody has",
            quotes![
                S000: "If the server is prompted to forward a message to a client that does not exist, it will return an appropriate message to the client that sent the message.",
                S001: "If the server is prompted to forward a message to a client that does not exist, it will return an appropriate message to the client that sent the message."
            ],
            seeded::msg_to_nobody
        ),
        scenario!(
            P,
            "prefixed_name_taken_any_case",
            "docs/protocols/prefixed.md, row `NAME a` while A is taken (names compared case-insensitively, echoed as typed)",
            &[],
            own::name_taken_any_case
        ),
        scenario!(
            P,
            "prefixed_command_words_any_case",
            "docs/protocols/prefixed.md, Commands and replies (the command word matches in any case)",
            &[],
            own::command_words_any_case
        ),
        scenario!(
            P,
            "prefixed_rename",
            "docs/protocols/prefixed.md, row `NAME C` when already named",
            &[],
            own::rename
        ),
        scenario!(
            P,
            "prefixed_bad_name",
            "docs/protocols/prefixed.md, row `NAME` with a bad or missing name; common rules: names",
            &[],
            own::bad_name
        ),
        scenario!(
            P,
            "prefixed_msg_errors",
            "docs/protocols/prefixed.md, rows `MSG` before `NAME`, `MSG` without a name or text",
            &[],
            own::msg_errors
        ),
        scenario!(
            P,
            "prefixed_not_utf8",
            "docs/protocols/prefixed.md, row text that is not UTF-8",
            &[],
            own::not_utf8
        ),
        scenario!(
            P,
            "prefixed_empty_and_bad_length",
            "docs/protocols/prefixed.md: framing (`Error: bad length field`, the connection stays open) and the empty command",
            &[],
            own::empty_and_bad_length
        ),
        scenario!(
            P,
            "prefixed_long_reply_split",
            "docs/protocols/prefixed.md: framing (a reply longer than 99 bytes is split after the last space that fits; a direct message into messages that each carry the real sender)",
            &[],
            own::long_reply_split
        ),
        scenario!(
            P,
            "prefixed_robustness",
            "docs/protocols/common.md (nothing a client sends can crash the server; a vanished client is removed at once)",
            &[],
            own::robustness
        ),
    ]
}

/// Connects a client and takes `name`; `Hello NAME` must come back.
async fn named(addr: SocketAddr, w: usize, name: &str) -> Result<Wire, Failure> {
    let mut c = Wire::connect(addr, name).await?;
    take_name(&mut c, w, name).await?;
    Ok(c)
}

/// Sends `NAME name`; `Hello NAME` must come back.
async fn take_name(c: &mut Wire, w: usize, name: &str) -> Result<(), Failure> {
    name_answered(c, w, name, &format!("Hello {name}")).await
}

/// Sends `NAME name` and expects exactly `answer`.
async fn name_answered(c: &mut Wire, w: usize, name: &str, answer: &str) -> Result<(), Failure> {
    c.send_frame(w, format!("NAME {name}").as_bytes()).await?;
    c.expect_frame(w, answer.as_bytes()).await
}

/// Sends `MSG to text`.
async fn send_msg(c: &mut Wire, w: usize, to: &str, text: &str) -> Result<(), Failure> {
    c.send_frame(w, format!("MSG {to} {text}").as_bytes()).await
}

/// Expects `from sent text`, a message relayed to this client.
async fn expect_sent(c: &mut Wire, w: usize, from: &str, text: &str) -> Result<(), Failure> {
    c.expect_frame(w, format!("{from} sent {text}").as_bytes())
        .await
}

/// Sends EXIT and waits until the server has closed the connection.
async fn exit(mut c: Wire, w: usize) -> Result<(), Failure> {
    c.send_frame(w, b"EXIT").await?;
    c.expect_closed().await
}

/// The names request: seed 001 spells it `GETNAMES`; seed 000 and the spec `GET_NAMES`.
fn names_request(t: &Ctx) -> &'static [u8] {
    match t.seed() {
        Some(Seed::S001) => b"GETNAMES",
        _ => b"GET_NAMES",
    }
}

/// Asks for the names and expects exactly `names`.
async fn expect_names(t: &Ctx, c: &mut Wire, w: usize, names: &str) -> Result<(), Failure> {
    c.send_frame(w, names_request(t)).await?;
    c.expect_reply(w, names.as_bytes()).await
}

/// Expects confab's `reply` where the seeds ask only for "an appropriate message": with
/// every rule it must be exact; graded against a seed any one frame will do, and other
/// words are a note.
async fn own_reply(t: &Ctx, c: &mut Wire, w: usize, reply: &[u8]) -> Result<(), Failure> {
    if t.all_rules() {
        return c.expect_frame(w, reply).await;
    }
    let got = c.read_frame(w).await?;
    if got != reply {
        t.note(format!(
            "{}: confab answers {}, this server {}",
            c.label(),
            escape(reply),
            escape(&got)
        ));
    }
    Ok(())
}

/// Asks for the names until the answer is `names`: a client that vanished (reset, EOF)
/// is noticed by the server asynchronously, so the first answer may still list it.
async fn eventually_names(t: &Ctx, c: &mut Wire, w: usize, names: &str) -> Result<(), Failure> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        c.send_frame(w, names_request(t)).await?;
        let got = c.read_frame(w).await?;
        if got == names.as_bytes() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let step = format!("{}: GET_NAMES until the vanished client is gone", c.label());
            return Err(Failure::new(step, names.as_bytes(), &got));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Names a probe and asks for the names: anyone but the probe means the server is in
/// use. Others see nothing of it (prefixed has no notices).
pub(crate) async fn occupancy(t: &Ctx) -> Result<Occupancy, Failure> {
    let probe = t.name("check");
    let mut c = named(t.addr, 2, &probe).await?;
    let request = names_request(t);
    c.send_frame(2, request).await?;
    let list = c.read_frame(2).await;
    let _ = exit(c, 2).await;
    let list = list?;
    let text = String::from_utf8_lossy(&list);
    let request = String::from_utf8_lossy(request);
    // Only a reply naming the probe is a list (an error's words could pass for names).
    if !text.split(' ').any(|w| w == probe) {
        return Ok(Occupancy::Unknown(format!(
            "{request} answered {}",
            escape(&list)
        )));
    }
    let others: Vec<&str> = text
        .split(' ')
        .filter(|w| !w.is_empty() && *w != probe)
        .collect();
    Ok(if others.is_empty() {
        Occupancy::Quiet
    } else {
        Occupancy::InUse(format!("{request} lists {}", others.join(" ")))
    })
}

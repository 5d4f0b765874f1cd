//! `confab check`: runs one protocol's conformance scenarios against a running server,
//! or grades it against a classroom assignment.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Parser;

/// `confab check --help`: what runs, what it may disturb, and how a seed grades.
pub const CHECK_ABOUT: &str = "\
Run the conformance scenarios of one protocol against a running server (any \
implementation, not only confab) and print a table: each scenario, PASS or FAIL, and \
under a failure the step, the bytes expected and received, the section of the spec \
(docs/protocols/*.md, docs/irc.md) it checks and the seed's own words. Exits 1 if a \
scenario failed.

Other users: the scenarios send 4 KB lines and garbage and join and leave many times, \
so before any of them the checker looks for other users with the protocol's own \
means (prefixed: names itself and asks GET_NAMES; packet: LIST without logging in; \
rooms: /list from the lobby; irc: LUSERS; broadcast has no list, so it joins and \
listens for 1 s, and its users see it join and leave). If anyone else is there it \
stops with exit code 1 and says why; --force runs anyway. Its users and rooms are \
named with a random per-run suffix (e.g. Ritaq7z, #joinsq7z), so they never take a \
real user's name or join a real user's room.

Grading (--seed): 000 and 001 are prefixed, 002 packet, 003 rooms, 004 broadcast. \
Without --seed every rule of the protocol applies. With it only that seed's rules \
count: the names request is the seed's spelling (seed 000 GET_NAMES, seed 001 \
GETNAMES), and a failed scenario prints the seed's own words it checks. What only \
confab adds (its error texts, the 4-digit width, `Error: empty command`, names in any \
case, splitting, robustness) is reported as a NOTE, never as a failure; where a seed \
asks only for \"an appropriate message\", any reply passes and confab's wording is a \
note.";

#[derive(Parser)]
pub struct CheckArgs {
    /// The protocol to check: prefixed, packet, rooms, broadcast or irc (implied by --seed).
    #[arg(long, value_name = "PROTOCOL", required_unless_present = "seed")]
    protocol: Option<confab_check::Protocol>,
    /// Grade against one classroom assignment, 000 to 004: only its rules count, and
    /// what only confab adds is a note (default: every rule of the protocol).
    #[arg(long, value_name = "SEED")]
    seed: Option<confab_check::Seed>,
    /// Run even when other users are on the server (they will see the scenarios).
    #[arg(long)]
    force: bool,
    /// The suffix of every name the scenarios take (3 of a-z, 0-9; default: random per
    /// run), to replay a run with the same names.
    #[arg(long, value_name = "XYZ", value_parser = parse_suffix)]
    suffix: Option<String>,
    /// The server's address (default: the protocol's default port on 127.0.0.1).
    #[arg(value_name = "HOST:PORT")]
    addr: Option<String>,
}

/// A name suffix: exactly as long as the checker's own, of lower-case letters and digits.
fn parse_suffix(text: &str) -> Result<String, String> {
    let len = confab_check::SUFFIX_LEN;
    let ok = text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!("expected {len} lower-case letters or digits"))
    }
}

pub async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    use confab_check::{occupancy, run_all, scenarios, Ctx, Occupancy};
    let protocol = match (args.protocol, args.seed) {
        (Some(protocol), Some(seed)) if seed.protocol() != protocol => {
            bail!(
                "seed {seed} is a {} assignment, not {protocol}",
                seed.protocol()
            )
        }
        (Some(protocol), _) => protocol,
        (None, Some(seed)) => seed.protocol(),
        (None, None) => bail!("say which protocol to check with --protocol (or --seed)"),
    };
    let text = args
        .addr
        .unwrap_or_else(|| format!("127.0.0.1:{}", protocol.default_port()));
    let addr = resolve(&text).await?;
    let ctx = match &args.suffix {
        Some(suffix) => Ctx::with_suffix(addr, args.seed, suffix),
        None => Ctx::new(addr, args.seed),
    };
    match occupancy(protocol, &ctx).await {
        Occupancy::Quiet => {}
        Occupancy::InUse(what) if args.force => {
            eprintln!("confab check: {text} is in use ({what}); running anyway (--force)");
        }
        Occupancy::InUse(what) => bail!(
            "{text} is in use ({what}): the scenarios send 4 KB lines and garbage and join \
             and leave many times, which its users would see. Check a server nobody else \
             uses, or add --force to run anyway"
        ),
        Occupancy::Unknown(why) => eprintln!(
            "confab check: could not tell whether anyone else is on {text} ({why}); running anyway"
        ),
    }
    if let Some(seed) = args.seed {
        println!("graded against seed {seed} ({protocol}): confab's own rules are notes");
    }
    let report = run_all(&scenarios(protocol), &ctx).await;
    print!("{}", report.render_table());
    Ok(if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The first address of `HOST:PORT`.
async fn resolve(text: &str) -> anyhow::Result<SocketAddr> {
    match tokio::net::lookup_host(text).await {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => Ok(addr),
            None => bail!("{text} has no address"),
        },
        Err(error) => {
            Err(error).with_context(|| format!("cannot resolve {text} (expected HOST:PORT)"))
        }
    }
}

//! The null fan-out (`null_fanout`, the baseline of `bench/compare`) driven by `confab
//! bench`: every message reaches every other member, none comes back to its sender, and
//! `--stalled` members that never read are counted apart and seen disconnected when the
//! server drops them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use clap::Parser;
use confab_bench::report::{Report, TrafficReport};
use confab_bench::BenchArgs;

/// A `null_fanout` child on a free port, killed on drop.
struct Null {
    child: Child,
    addr: String,
}

impl Null {
    fn start(extra: &[&str]) -> Null {
        let mut child = Command::new(env!("CARGO_BIN_EXE_null_fanout"))
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("null_fanout starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let line = BufReader::new(stdout)
            .lines()
            .next()
            .expect("a listening line")
            .expect("readable stdout");
        let addr = line
            .strip_prefix("listening ")
            .expect("`listening ADDR`")
            .to_owned();
        Null { child, addr }
    }
}

impl Drop for Null {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

async fn bench(args: &[&str]) -> anyhow::Result<Report> {
    let cli =
        Cli::try_parse_from(
            ["bench"]
                .iter()
                .chain(args)
                .chain(&["--quiet", "--deadline", "60"]),
        )?;
    confab_bench::execute(&cli.bench).await
}

/// `confab bench fanout` against `null` (0.2 s warm-up, 5 s drain) with `args` added;
/// its traffic report.
async fn fanout(null: &Null, args: &[&str]) -> TrafficReport {
    let common = [
        "fanout", "--addr", &null.addr, "--warmup", "0.2", "--drain", "5",
    ];
    let all: Vec<&str> = common.iter().chain(args).copied().collect();
    match bench(&all).await {
        Ok(Report::Traffic(r)) => r,
        other => panic!("fanout {args:?}: expected a traffic report, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_hears_every_other_sender_once() {
    let null = Null::start(&[]);
    let r = fanout(
        &null,
        &[
            "--clients",
            "20",
            "--senders",
            "4",
            "--rate",
            "400",
            "--duration",
            "1",
        ],
    )
    .await;
    let d = &r.deliveries;
    assert!(d.delivered > 0, "{d:?}");
    assert_eq!(d.delivered, d.expected, "{d:?}");
    assert_eq!((d.lost, d.duplicated, d.out_of_order), (0, 0, 0), "{d:?}");
    assert_eq!(
        d.unexpected, 0,
        "no message comes back to its sender: {d:?}"
    );
    assert_eq!(
        (r.stalled, r.stalled_disconnected, r.disconnected),
        (0, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_members_are_counted_apart_and_seen_dropped() {
    // A small backlog, big messages: the stalled members' backlog passes the limit soon.
    let null = Null::start(&["--backlog-max", "65536"]);
    let r = fanout(
        &null,
        &[
            "--clients",
            "6",
            "--senders",
            "2",
            "--rate",
            "1000",
            "--size",
            "4000",
            "--duration",
            "2",
            "--stalled",
            "2",
        ],
    )
    .await;
    assert_eq!(r.stalled, 2);
    assert_eq!(r.stalled_disconnected, 2, "{r:?}");
    // The stalled members are not recipients: 5 per message, as without them.
    assert_eq!(r.expected_per_message, 5);
    assert!(r.deliveries.delivered > 0, "{:?}", r.deliveries);
}

#[tokio::test]
async fn stalled_needs_a_fanout() {
    let err = bench(&[
        "direct",
        "--addr",
        "127.0.0.1:9",
        "--clients",
        "2",
        "--stalled",
        "1",
    ])
    .await
    .expect_err("direct has no room to stall in");
    assert!(
        err.to_string().contains("--stalled needs fanout"),
        "{err:#}"
    );
}

//! How fast history is persisted through the group-committing writer, and how long a
//! server takes to open a 1,000,000-message data directory and serve its first query.
//!
//! `cargo bench -p confab-store --bench writer -- --quick`

use std::hint::black_box;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use confab_store::{
    Conversation, DataDir, Database, Record, Retention, WithRecord, Writer, WriterConfig,
    WriterHandle,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Records per measured burst.
const BURST: u64 = 20_000;
const ROOMS: u64 = 50;
const MILLION: u64 = 1_000_000;

/// A room message shaped like a real one: ~60 bytes of text, ~200 bytes of body.
fn record(n: u64) -> Record {
    let at_ms = 1_700_000_000_000 + i64::try_from(n).unwrap_or(i64::MAX);
    let mut msgid = [0; 16];
    msgid[..8].copy_from_slice(&at_ms.to_be_bytes());
    msgid[8..].copy_from_slice(&n.to_be_bytes());
    Record {
        msgid,
        at_ms,
        target: format!("#room{}", n % ROOMS),
        peer: None,
        kind: "privmsg".into(),
        author: format!("user{}", n % 997),
        account: Some(format!("user{}", n % 997)),
        text: Some(format!(
            "message number {n}, which is about as long as a chat line"
        )),
        body: vec![b'x'; 200],
        pending_for: None,
    }
}

fn keep_everything() -> WriterConfig {
    WriterConfig {
        retention: Retention::KEEP_EVERYTHING,
        ..WriterConfig::default()
    }
}

/// A writer whose callback reports how many payloads each batch handed on.
fn counting_writer(db: &Database) -> (WriterHandle<WithRecord<()>>, mpsc::Receiver<usize>) {
    let (tx, rx) = mpsc::channel();
    let writer = Writer::spawn(db, keep_everything(), move |batch: Vec<WithRecord<()>>| {
        let _ = tx.send(batch.len());
    })
    .expect("spawn the writer");
    (writer, rx)
}

/// Submits `count` records starting at number `first` and waits until all are committed.
fn persist(
    writer: &WriterHandle<WithRecord<()>>,
    done: &mpsc::Receiver<usize>,
    first: u64,
    count: u64,
) {
    for n in first..first + count {
        writer.submit(WithRecord(Some(record(n)), ()));
    }
    let mut seen = 0;
    while seen < count {
        seen += done.recv().expect("the writer hands payloads on") as u64;
    }
}

fn writer_throughput(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = DataDir::open(tmp.path())
        .and_then(|dir| dir.database())
        .expect("open the database");
    let (writer, done) = counting_writer(&db);
    let mut next = 0;
    let mut group = c.benchmark_group("writer");
    group.throughput(Throughput::Elements(BURST));
    group.bench_function("persist 20k records", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                persist(&writer, &done, next, BURST);
                next += BURST;
            }
            started.elapsed()
        })
    });
    group.finish();
    let stats = writer.stats();
    eprintln!(
        "writer: {} records in {} batches ({:.0} per batch), last commit {} µs",
        stats.committed_records,
        stats.batches,
        stats.committed_records as f64 / stats.batches.max(1) as f64,
        stats.last_commit_micros
    );
    writer.shutdown();
}

/// Builds the million-message directory once, reporting the sustained write rate.
fn build_million(dir: &std::path::Path) {
    let db = DataDir::open(dir)
        .and_then(|dir| dir.database())
        .expect("open the database");
    let (writer, done) = counting_writer(&db);
    let started = Instant::now();
    for chunk in 0..MILLION / 100_000 {
        persist(&writer, &done, chunk * 100_000, 100_000);
    }
    let took = started.elapsed();
    writer.shutdown();
    eprintln!(
        "built 1,000,000 messages in {:.2} s ({:.0} records/s sustained)",
        took.as_secs_f64(),
        MILLION as f64 / took.as_secs_f64()
    );
}

fn open_million(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    build_million(tmp.path());
    let room = Conversation::Room("#room7".into());
    let open_and_query = || {
        let dir = DataDir::open(tmp.path()).expect("open the directory");
        let db = dir.database().expect("open the database");
        let reader = db.reader().expect("open the reader");
        let latest = reader.latest(&room, None, 100).expect("latest");
        assert_eq!(latest.len(), 100);
        black_box(latest);
    };
    let first = Instant::now();
    open_and_query();
    eprintln!(
        "first open + database + reader + latest(100) on 1,000,000 messages: {:.1} ms",
        first.elapsed().as_secs_f64() * 1000.0
    );
    let mut group = c.benchmark_group("open");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("open 1M + latest 100", |b| b.iter(open_and_query));
    group.finish();
}

criterion_group!(benches, writer_throughput, open_million);
criterion_main!(benches);

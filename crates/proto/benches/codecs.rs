//! Criterion micro-benchmarks of every codec's hot path: decoding a realistic buffer of
//! many frames or lines until it is empty, and encoding many replies, in bytes per second.
//! A regression in a codec shows up here without the whole `confab bench` rig.
//!
//! Run: `cargo bench -p confab-proto --bench codecs` (about a minute). Under
//! `cargo test --all-targets` criterion runs each benchmark once, as a smoke test.

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use confab_proto::irc::{self, Message};
use confab_proto::line::{Line, LineDecoder};
use confab_proto::packet::{self, ClientPacket, Decoded};
use confab_proto::prefixed::{self, Command, Frame, Reply, Width};
use confab_proto::{broadcast, rooms};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

/// How many frames or lines each decode buffer holds, and replies each encode renders.
const N: usize = 1000;
/// Typical chat texts, cycled through so lengths vary a little like real traffic.
const TEXTS: [&str; 4] = [
    "hello everyone",
    "did anyone finish exercise 3 yet? I am stuck on the second part",
    "ok",
    "the lecture notes are on the course page, see section 4.2 for the proof",
];
const NAMES: [&str; 4] = ["alice", "bob", "carol_92", "dave"];

fn text(i: usize) -> &'static str {
    TEXTS[i % TEXTS.len()]
}

fn name(i: usize) -> &'static str {
    NAMES[i % NAMES.len()]
}

/// Benchmarks decoding a fresh copy of `input` per iteration (the copy is not timed).
fn bench_decode(
    c: &mut Criterion,
    id: &str,
    input: &[u8],
    mut decode_all: impl FnMut(&mut BytesMut),
) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function(id, |b| {
        b.iter_batched_ref(
            || BytesMut::from(input),
            |buf| decode_all(black_box(buf)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// Benchmarks rendering `N` items into one buffer; throughput is the bytes rendered.
fn bench_encode(c: &mut Criterion, id: &str, mut encode_all: impl FnMut(&mut BytesMut)) {
    let mut probe = BytesMut::new();
    encode_all(&mut probe);
    let len = probe.len();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Bytes(len as u64));
    group.bench_function(id, |b| {
        let mut out = BytesMut::with_capacity(len);
        b.iter(|| {
            out.clear();
            encode_all(&mut out);
            black_box(&out);
        })
    });
    group.finish();
}

fn lines(n: usize, line: impl Fn(usize) -> String) -> Vec<u8> {
    (0..n).flat_map(|i| line(i).into_bytes()).collect()
}

fn line_codec(c: &mut Criterion) {
    let input = lines(N, |i| format!("{}\r\n", text(i)));
    bench_decode(c, "line", &input, |buf| {
        let mut d = LineDecoder::new(1024);
        while let Some(line) = d.decode(buf) {
            black_box(line);
        }
    });
}

fn rooms_codec(c: &mut Criterion) {
    let input = lines(N, |i| match i % 10 {
        0 => "/who\n".to_string(),
        _ => format!("{}\n", text(i)),
    });
    bench_decode(c, "rooms", &input, |buf| {
        let mut d = LineDecoder::new(rooms::DEFAULT_MAX_LINE);
        while let Some(Line::Complete(line)) = d.decode(buf) {
            if let Ok(line) = std::str::from_utf8(&line) {
                black_box(rooms::parse(line));
            }
        }
    });
    bench_encode(c, "rooms", |out| {
        for i in 0..N {
            rooms::render_chat(name(i), text(i), out);
        }
    });
}

fn broadcast_codec(c: &mut Criterion) {
    let input = lines(N, |i| format!("{}\n", text(i)));
    bench_decode(c, "broadcast", &input, |buf| {
        let mut d = LineDecoder::new(broadcast::DEFAULT_MAX_LINE);
        while let Some(Line::Complete(line)) = d.decode(buf) {
            if let Ok(line) = std::str::from_utf8(&line) {
                black_box(broadcast::parse(line));
            }
        }
    });
    bench_encode(c, "broadcast", |out| {
        for i in 0..N {
            let line = broadcast::ServerLine::Said {
                from: name(i),
                text: text(i),
            };
            line.render(out);
        }
    });
}

fn prefixed_codec(c: &mut Criterion) {
    let mut input = BytesMut::new();
    for i in 0..N {
        let payload = format!("MSG {} {}", name(i), text(i));
        prefixed::encode(Width::Four, payload.as_bytes(), &mut input);
    }
    bench_decode(c, "prefixed", &input, |buf| {
        let mut d = prefixed::Decoder::new();
        while let Some(Frame::Payload(payload)) = d.decode(buf) {
            black_box(Command::parse(&payload).is_ok());
        }
    });
    bench_encode(c, "prefixed", |out| {
        for i in 0..N {
            let reply = Reply::Delivered {
                from: name(i),
                text: text(i),
            };
            reply.encode(Width::Four, out);
        }
    });
}

fn packet_codec(c: &mut Criterion) {
    let mut input = BytesMut::new();
    for i in 0..N {
        let p = ClientPacket::SendTo {
            to: name(i).to_string(),
            text: text(i).to_string(),
        };
        p.encode(&mut input);
    }
    bench_decode(c, "packet", &input, |buf| {
        let mut d = packet::Decoder::new(packet::DEFAULT_MAX_BODY);
        while let Some(Decoded::Packet { kind, body }) = d.decode(buf) {
            black_box(ClientPacket::parse(kind, &body).is_ok());
        }
    });
    bench_encode(c, "packet", |out| {
        for i in 0..N {
            packet::encode_sendto(name(i), text(i), out);
        }
    });
}

/// An IRC buffer of PRIVMSG lines, each with `tags` in front when given.
fn irc_input(tags: Option<&str>) -> Vec<u8> {
    lines(N, |i| {
        let tags = tags.map(|t| format!("@{t} ")).unwrap_or_default();
        format!("{tags}PRIVMSG #lobby :{}\r\n", text(i))
    })
}

fn irc_decode_all(buf: &mut BytesMut) {
    let mut d = irc::Decoder::new();
    while let Some(Line::Complete(line)) = d.decode(buf) {
        if let Ok(m) = Message::parse(&line) {
            black_box(m.is("PRIVMSG"));
            black_box(m.tag("label"));
        }
    }
}

fn irc_codec(c: &mut Criterion) {
    bench_decode(c, "irc_privmsg", &irc_input(None), irc_decode_all);
    let tags = r"+draft/reply=a1b2c3;label=xyz;time=2024-05-01T12:00:00.000Z;msgid=q\sw";
    bench_decode(
        c,
        "irc_privmsg_tags",
        &irc_input(Some(tags)),
        irc_decode_all,
    );
    // The server knows each sender's `nick!user@host` already; only the render is timed.
    let sources: Vec<String> = (0..NAMES.len())
        .map(|i| format!("{}!{}@127.0.0.1", name(i), name(i)))
        .collect();
    let source = |i: usize| Some(sources[i % sources.len()].as_str());
    bench_encode(c, "irc_privmsg", |out| {
        for i in 0..N {
            irc::render(out, None, source(i), "PRIVMSG", &["#lobby", text(i)]);
        }
    });
    bench_encode(c, "irc_privmsg_tags", |out| {
        let tags = "msgid=1717171717171;time=2024-05-01T12:00:00.000Z";
        for i in 0..N {
            irc::render(out, Some(tags), source(i), "PRIVMSG", &["#lobby", text(i)]);
        }
    });
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = codecs;
    config = config();
    targets = line_codec, rooms_codec, broadcast_codec, prefixed_codec, packet_codec, irc_codec
}
criterion_main!(codecs);

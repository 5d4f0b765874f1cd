//! The command line of `confab bench`: the scenarios and each one's flags with their
//! defaults.

use clap::{Args, Subcommand, ValueEnum};

use crate::names::parse_tag;
use crate::wire::Wire;

/// `confab bench SCENARIO [FLAGS]`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Open N connections at a rate, register them (IRC: wait for 001) and hold them;
    /// report the connect rate, failures and (--server-pid) the server's RSS per connection.
    Connect(ConnectArgs),
    /// N members in one room (or spread over --rooms), S of them sending at a fixed total
    /// rate (open loop); report deliveries/s, latency percentiles and messages lost,
    /// duplicated or out of order.
    Fanout(TrafficArgs),
    /// N clients in pairs exchanging direct messages at a fixed total rate; same report.
    Direct(TrafficArgs),
    /// Run fanout (or direct) at rising rates until p99 passes a bound or messages are lost;
    /// report the highest sustained rate.
    Ramp(RampArgs),
}

/// Flags every scenario has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The protocol to speak (ws: IRC over WebSocket, at ws://HOST:PORT/irc).
    #[arg(long, value_name = "PROTOCOL", default_value = "irc", value_parser = Wire::parser())]
    pub protocol: Wire,
    /// The server's HOST:PORT (default: the protocol's default port on 127.0.0.1).
    /// Repeatable (fanout, direct, ramp): clients go to the addresses in turn, e.g. the
    /// nodes of a cluster, so a direct pair and a room's members span nodes.
    #[arg(long, value_name = "HOST:PORT")]
    pub addr: Vec<String>,
    /// Number of client connections.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub clients: usize,
    /// Source addresses to spread connections over (bind before connect): a list such as
    /// `127.0.0.2,127.0.0.3`, or a count N for 127.0.0.2 onwards.
    #[arg(long, value_name = "LIST|N")]
    pub source_addrs: Option<String>,
    /// Seconds allowed to connect and register every client.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub setup_timeout: f64,
    /// Hard limit on the whole run, in seconds (default: derived from the other times).
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<f64>,
    /// Two letters or digits for the client names instead of a tag drawn at random:
    /// generators run side by side against one server need tags that differ.
    #[arg(long, value_name = "XY", value_parser = parse_tag)]
    pub tag: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `fanout` and `direct`.
#[derive(Debug, Clone, Args)]
pub struct TrafficArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Senders among the clients (fanout; in direct every client sends to its partner).
    #[arg(long, default_value_t = 10, value_name = "S")]
    pub senders: usize,
    /// Total messages per second over all senders.
    #[arg(long, default_value_t = 1000.0, value_name = "MSGS_PER_SEC")]
    pub rate: f64,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub duration: f64,
    /// Seconds of sending before measuring starts.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub warmup: f64,
    /// The room (IRC channel `#ROOM`; broadcast always uses its one conversation).
    #[arg(long, default_value = "lobby")]
    pub room: String,
    /// Rooms (fanout): the clients spread evenly over R rooms `ROOM0`..`ROOM{R-1}`, client
    /// i in room i mod R. The first --senders clients send, so the senders are dealt round
    /// the rooms in turn: --senders must be at least R (a multiple of R gives every room
    /// the same rate), and --clients a multiple of R, at least 2 a room. Each message is
    /// expected at the other members of its own room only; anything that reaches another
    /// room counts as unexpected.
    #[arg(long, default_value_t = 1, value_name = "R")]
    pub rooms: usize,
    /// Bytes of text in each message (the stamp, padded).
    #[arg(long, default_value_t = 64, value_name = "BYTES")]
    pub size: usize,
    /// Seconds to wait after the last send for deliveries still in flight.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub drain: f64,
    /// Connections opened per second while setting up.
    #[arg(long, default_value_t = 2000.0, value_name = "PER_SEC")]
    pub connect_rate: f64,
    /// Extra members (fanout) that join the room and then never read: slow consumers, with
    /// a small receive buffer so the server's outbox for them fills. Not counted as
    /// recipients; the report says how many the server disconnected.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub stalled: usize,
    /// The server's process id: its CPU time (user + system, /proc/PID/stat) over the
    /// measured window is reported, and per million deliveries.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Pattern {
    Fanout,
    Direct,
}

/// `ramp`.
#[derive(Debug, Clone, Args)]
pub struct RampArgs {
    #[command(flatten)]
    pub traffic: TrafficArgs,
    /// Which traffic to ramp.
    #[arg(long, value_enum, default_value = "fanout")]
    pub pattern: Pattern,
    /// Each step's rate is the previous one times this.
    #[arg(long, default_value_t = 1.5)]
    pub factor: f64,
    /// At most this many steps.
    #[arg(long, default_value_t = 15)]
    pub max_steps: u32,
    /// A step fails when its p99 latency exceeds this many milliseconds.
    #[arg(long, default_value_t = 50.0, value_name = "MS")]
    pub p99_bound_ms: f64,
    /// Runs a step that was over the latency bound (or behind its schedule) again, up to
    /// this many times, before the ramp stops there: on a shared machine one burst of
    /// load from elsewhere should not set the result. Lost messages end the ramp at once.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub retries: u32,
}

/// `connect`.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Connections opened per second.
    #[arg(long, default_value_t = 1000.0, value_name = "PER_SEC")]
    pub rate: f64,
    /// Seconds to hold the connections once all are registered (RSS is read at the end).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    pub hold: f64,
    /// The server's process id, to read its VmRSS from /proc before and after.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
}

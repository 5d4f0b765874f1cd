//! confab-client: `confab connect`, a client for every protocol confab speaks, each
//! behaving as its seed's client, under one of three UIs: the line UI (a terminal), the
//! full-screen UI (`--tui`) and the scriptable mode (stdin not a terminal).
//!
//! A protocol is a [`session::Session`]; a UI is a [`driver::Frontend`]; the
//! [`driver`] joins one of each to a connection. A new protocol is one more entry in
//! `confab_proto`'s registry and one more session file.

pub mod broadcast;
pub mod driver;
pub mod irc;
pub mod line_ui;
pub mod link;
pub mod packet;
pub mod prefixed;
pub mod rooms;
pub mod script;
mod server_lines;
pub mod session;
pub mod tls;
pub mod transport;
pub mod tui;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use confab_proto::prefixed::Width;

use crate::session::Session;

pub use confab_proto::Protocol;

/// `--protocol`: the registry's names, each with its summary in `--help`.
fn protocol_parser() -> impl TypedValueParser<Value = Protocol> {
    let names = Protocol::ALL.map(|p| PossibleValue::new(p.name()).help(p.summary()));
    PossibleValuesParser::new(names).try_map(|name| name.parse::<Protocol>())
}

/// `confab connect`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// The protocol to speak.
    #[arg(long, value_name = "PROTOCOL", default_value = "irc", value_parser = protocol_parser())]
    pub protocol: Protocol,
    /// The server (default: the protocol's default port on 127.0.0.1; a bare HOST gets
    /// the default port).
    #[arg(value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// prefixed: digits in the length field (the textbook's two lineages).
    #[arg(long, value_enum, default_value = "2", value_name = "DIGITS")]
    pub width: FrameWidth,
    /// broadcast: the user name to send (otherwise the client asks for it).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// irc: the nickname (otherwise the client asks for it).
    #[arg(long, value_name = "NICK")]
    pub nick: Option<String>,
    /// irc: a channel to join once connected (repeatable).
    #[arg(long = "join", value_name = "CHANNEL")]
    pub join: Vec<String>,
    /// Full-screen UI: message pane, names pane, status bar, scrollback.
    #[arg(long)]
    pub tui: bool,
    /// Connect over TLS (to a `PROTOCOL+tls` listener), checking the server's
    /// certificate against the system's trusted roots and the host name given.
    #[arg(long)]
    pub tls: bool,
    /// A PEM file of extra trusted certificates, e.g. a self-signed server's own
    /// (`confab cert` writes confab-cert.pem). Implies --tls.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
}

impl ConnectArgs {
    /// The address to connect to, as the user will see it in messages.
    pub fn address(&self) -> String {
        let port = self.protocol.default_port();
        match &self.addr {
            Some(addr) => transport::with_default_port(addr, port),
            None => format!("127.0.0.1:{port}"),
        }
    }
}

/// `--width`: the digits of the `prefixed` length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FrameWidth {
    #[value(name = "2")]
    Two,
    #[value(name = "4")]
    Four,
}

impl From<FrameWidth> for Width {
    fn from(width: FrameWidth) -> Width {
        match width {
            FrameWidth::Two => Width::Two,
            FrameWidth::Four => Width::Four,
        }
    }
}

/// Which UI runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ui {
    Script,
    Line,
    Full,
}

/// Connects and runs the session until it ends. A connection failure is an error (the
/// binary prints it and exits 1); a session that ends badly returns exit code 1.
pub async fn run(args: ConnectArgs) -> anyhow::Result<ExitCode> {
    let ui = choose_ui(args.tui)?;
    let addr = args.address();
    let tls = match (&args.ca, args.tls) {
        (None, false) => None,
        (ca, _) => Some(tls::connector(ca.as_deref())?),
    };
    let link = link::Link::open(transport::Dialer {
        addr: addr.clone(),
        tls,
    })
    .await?;
    let session = new_session(&args, ui);
    Ok(match ui {
        Ui::Script => driver::drive(session, link, &mut script::ScriptUi::start()?)
            .await
            .into(),
        Ui::Line => driver::drive(session, link, &mut line_ui::LineUi::start()?)
            .await
            .into(),
        Ui::Full => tui::run(session, link, &addr, args.protocol == Protocol::Rooms).await?,
    })
}

/// The line UI needs a terminal on both ends; anything else is a script.
fn choose_ui(full_screen: bool) -> anyhow::Result<Ui> {
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    match (full_screen, terminal) {
        (true, true) => Ok(Ui::Full),
        (true, false) => anyhow::bail!("--tui needs a terminal on stdin and stdout"),
        (false, true) => Ok(Ui::Line),
        (false, false) => Ok(Ui::Script),
    }
}

/// The full-screen UI's side pane wants the client to ask for the names itself; a
/// script's IRC session retries a taken nick by itself.
fn new_session(args: &ConnectArgs, ui: Ui) -> Box<dyn Session> {
    let track = ui == Ui::Full;
    match args.protocol {
        Protocol::Prefixed => Box::new(prefixed::PrefixedSession::new(args.width.into())),
        Protocol::Packet => Box::new(packet::PacketSession::new(track)),
        Protocol::Rooms => Box::new(rooms::RoomsSession::new(track)),
        Protocol::Broadcast => Box::new(broadcast::BroadcastSession::new(args.name.clone())),
        Protocol::Irc => Box::new(irc::IrcSession::new(
            args.nick.clone(),
            args.join.clone(),
            ui == Ui::Script,
        )),
    }
}

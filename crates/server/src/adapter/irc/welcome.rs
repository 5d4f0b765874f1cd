//! The replies that describe the server: the welcome burst after registration (`001`
//! to `005`), `LUSERS` (`251` to `255`, `265`, `266`) and the `MOTD` (`375`/`372`/`376`
//! or `422`).

use confab_core::Hub;
use confab_proto::irc::Numeric;

use super::out::Out;
use super::settings::{Settings, CHANNEL_MODES, CHANNEL_MODES_WITH_PARAM, USER_MODES};
use super::IrcAdapter;
use crate::adapter::Context;

/// Everything a client hears right after registering.
pub fn welcome(me: &mut IrcAdapter, cx: &Context<'_>) {
    let settings = me.settings.clone();
    let mask = me.mask();
    let out = &mut me.out;
    out.num_text(
        Numeric::RPL_WELCOME,
        &[],
        &format!("Welcome to the {} Network, {mask}", settings.network),
    );
    out.num_text(
        Numeric::RPL_YOURHOST,
        &[],
        &format!(
            "Your host is {}, running version {}",
            settings.server,
            Settings::version()
        ),
    );
    out.num_text(
        Numeric::RPL_CREATED,
        &[],
        &format!("This server was created {}", settings.created),
    );
    out.num(
        Numeric::RPL_MYINFO,
        &[
            &settings.server,
            Settings::version(),
            USER_MODES,
            CHANNEL_MODES,
            CHANNEL_MODES_WITH_PARAM,
        ],
    );
    isupport(out, &settings);
    lusers(out, cx.hub);
    motd(out, &settings);
    super::commands::metadata_subs::on_welcome(me, cx);
}

/// `005 RPL_ISUPPORT`, as many lines as the tokens need.
pub fn isupport(out: &mut Out, settings: &Settings) {
    for line in &settings.isupport {
        let tokens: Vec<&str> = line.iter().map(String::as_str).collect();
        out.num(Numeric::RPL_ISUPPORT, &tokens);
    }
}

/// The user and channel counts: global ones over every node of a cluster, local ones of
/// this node; classroom clients without a name yet count as unknown.
pub fn lusers(out: &mut Out, hub: &Hub) {
    let counts = hub.counts();
    let visible = counts.named.saturating_sub(counts.invisible);
    let servers = counts.other_nodes + 1;
    out.num_text(
        Numeric::RPL_LUSERCLIENT,
        &[],
        &format!(
            "There are {visible} users and {} invisible on {servers} servers",
            counts.invisible
        ),
    );
    out.num(Numeric::RPL_LUSEROP, &[&counts.opers.to_string()]);
    let unknown = counts.sessions.saturating_sub(counts.named);
    out.num(Numeric::RPL_LUSERUNKNOWN, &[&unknown.to_string()]);
    out.num(Numeric::RPL_LUSERCHANNELS, &[&counts.rooms.to_string()]);
    out.num_text(
        Numeric::RPL_LUSERME,
        &[],
        &format!(
            "I have {} clients and {} servers",
            counts.local_named, counts.other_nodes
        ),
    );
    let local = counts.local_named.to_string();
    let (now, peak) = (counts.named.to_string(), counts.peak_named.to_string());
    out.num_text(
        Numeric::RPL_LOCALUSERS,
        &[&local, &peak],
        &format!("Current local users {local}, max {peak}"),
    );
    out.num_text(
        Numeric::RPL_GLOBALUSERS,
        &[&now, &peak],
        &format!("Current global users {now}, max {peak}"),
    );
}

/// The message of the day, or `422` when the configuration has none.
pub fn motd(out: &mut Out, settings: &Settings) {
    let answers = settings.answers();
    if answers.motd.is_empty() {
        out.num(Numeric::ERR_NOMOTD, &[]);
        return;
    }
    out.num_text(
        Numeric::RPL_MOTDSTART,
        &[],
        &format!("- {} Message of the day - ", settings.server),
    );
    for line in &answers.motd {
        out.num_text(Numeric::RPL_MOTD, &[], &format!("- {line}"));
    }
    out.num(Numeric::RPL_ENDOFMOTD, &[]);
}

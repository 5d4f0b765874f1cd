//! Server-wide bans, set by server operators (IRC `KLINE` by mask or account, `DLINE` by
//! address) and kept in the data directory, so they hold across restarts. The hub matches
//! mask bans when a name is taken (`confab_core::ServerBan`); admission refuses a banned
//! address before the connection reaches any protocol. Without a data directory bans last
//! until the server stops.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use confab_core::{Hub, ServerBan};
use confab_store::{BanRow, StoreError};
use ipnet::IpNet;

use crate::history::History;
use crate::limits::Admission;

/// The store's `kind` of a ban by mask or account (`KLINE`).
pub const MASK: &str = "mask";
/// The store's `kind` of a ban by address (`DLINE`).
pub const ADDRESS: &str = "address";

/// One banned address or network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressBan {
    pub net: IpNet,
    pub reason: String,
    pub expires: Option<SystemTime>,
}

impl AddressBan {
    pub fn covers(&self, ip: IpAddr, now: SystemTime) -> bool {
        !self.lapsed(now) && self.net.contains(&ip.to_canonical())
    }

    pub fn lapsed(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }
}

/// `1.2.3.4`, `1.2.3.0/24`, `::1`: an address alone is a network of one.
pub fn parse_address(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|net| net.trunc())
}

/// A KLINE's target as a full mask: `zed` is `zed!*@*`, `*@10.0.0.1` is `*!*@10.0.0.1`,
/// `$a:amy` (an account) and `nick!user@host` stay. `None` for an empty one.
pub fn full_mask(text: &str) -> Option<String> {
    let full = if text.is_empty() {
        return None;
    } else if text.starts_with("$a:") || (text.contains('!') && text.contains('@')) {
        text.to_string()
    } else if text.contains('@') {
        format!("*!{text}")
    } else {
        format!("{text}!*@*")
    };
    Some(full.to_ascii_lowercase())
}

/// When a ban given `minutes` (0: for ever) from now lapses.
pub fn expiry(minutes: u64) -> Option<SystemTime> {
    (minutes > 0).then(|| SystemTime::now() + Duration::from_secs(minutes.saturating_mul(60)))
}

/// Loads the stored bans into the hub and admission (lapsed ones are dropped).
pub fn load(history: &History, hub: &Hub, admission: &Admission) -> Result<usize, StoreError> {
    let rows = history.database().bans(millis(SystemTime::now()))?;
    let mut masks = Vec::new();
    let mut addresses = admission.address_bans();
    for row in &rows {
        let expires = row.expires_ms.map(time_of);
        match row.kind.as_str() {
            ADDRESS => match parse_address(&row.target) {
                Some(net) => addresses.push(AddressBan {
                    net,
                    reason: row.reason.clone(),
                    expires,
                }),
                None => tracing::warn!(target = %row.target, "a stored address ban is unreadable"),
            },
            _ => masks.push(ServerBan::new(&row.target, &row.reason, expires)),
        }
    }
    hub.set_server_bans(masks);
    Ok(rows.len())
}

/// Keeps a ban in the data directory, off the async threads, and shares it with the other
/// nodes of a cluster; a failure is logged (the ban holds until the server stops).
pub async fn keep(history: Option<Arc<History>>, row: BanRow) {
    let Some(history) = history else { return };
    let stored = tokio::task::spawn_blocking(move || {
        history.database().put_ban(&row)?;
        crate::cluster_records::share_ban(&history, &row.target);
        Ok::<_, StoreError>(())
    })
    .await;
    let failed = match stored {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error.to_string(),
        Err(error) => error.to_string(),
    };
    tracing::error!(error = %failed, "cannot store a server ban; it holds until the server stops");
}

/// Forgets a lifted ban in the data directory, and lifts it on the other nodes of a
/// cluster.
pub async fn forget(history: Option<Arc<History>>, target: String) {
    let Some(history) = history else { return };
    let deleted = tokio::task::spawn_blocking(move || {
        let deleted = history.database().delete_ban(&target)?;
        crate::cluster_records::share_ban(&history, &target);
        Ok::<_, StoreError>(deleted)
    })
    .await;
    if let Ok(Err(error)) = deleted {
        // The ban is lifted now all the same; it would come back at the next start.
        tracing::error!(%error, "cannot delete a stored server ban");
    }
}

/// A ban as the store keeps it.
pub fn row(
    kind: &str,
    target: &str,
    reason: &str,
    set_by: &str,
    expires: Option<SystemTime>,
) -> BanRow {
    BanRow {
        target: target.to_string(),
        kind: kind.to_string(),
        reason: reason.to_string(),
        set_by: set_by.to_string(),
        set_at_ms: millis(SystemTime::now()),
        expires_ms: expires.map(millis),
        updated_ms: 0,
    }
}

/// Milliseconds since the epoch, as the store keeps times.
pub fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A time the store kept.
pub fn time_of(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_completed_and_addresses_parsed() {
        assert_eq!(full_mask("Zed").as_deref(), Some("zed!*@*"));
        assert_eq!(full_mask("*@10.0.0.1").as_deref(), Some("*!*@10.0.0.1"));
        assert_eq!(full_mask("z!u@h").as_deref(), Some("z!u@h"));
        assert_eq!(full_mask("$a:Amy").as_deref(), Some("$a:amy"));
        assert_eq!(full_mask(""), None);
        let net = parse_address("10.1.2.3/8").unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert_eq!(parse_address("::1").unwrap().to_string(), "::1/128");
        assert_eq!(parse_address("nope"), None);
        let ban = AddressBan {
            net,
            reason: "x".into(),
            expires: None,
        };
        let now = SystemTime::now();
        assert!(ban.covers("10.9.9.9".parse().unwrap(), now));
        assert!(!ban.covers("11.0.0.1".parse().unwrap(), now));
        let lapsed = AddressBan {
            expires: Some(now),
            ..ban
        };
        assert!(!lapsed.covers("10.9.9.9".parse().unwrap(), now));
    }
}

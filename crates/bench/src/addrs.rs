//! Where the connections go and come from: the server addresses (`--addr`) and the source
//! addresses connections are spread over (`--source-addrs`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{bail, Context as _};

use crate::args::CommonArgs;

/// The server address: the first `--addr`, or the protocol's default port on loopback.
pub(crate) async fn resolve(common: &CommonArgs) -> anyhow::Result<SocketAddr> {
    let all = resolve_all(common).await?;
    all.first().copied().context("no server address")
}

/// Every `--addr`, in order, or the protocol's default port on loopback.
pub(crate) async fn resolve_all(common: &CommonArgs) -> anyhow::Result<Vec<SocketAddr>> {
    let default = format!("127.0.0.1:{}", common.protocol.default_port());
    let texts = match common.addr.is_empty() {
        true => vec![default],
        false => common.addr.clone(),
    };
    let mut addrs = Vec::with_capacity(texts.len());
    for text in texts {
        let addr = tokio::net::lookup_host(&text)
            .await
            .with_context(|| format!("cannot resolve {text} (expected HOST:PORT)"))?
            .next();
        addrs.push(addr.with_context(|| format!("{text} has no address"))?);
    }
    Ok(addrs)
}

/// The addresses as a report shows them: `127.0.0.1:6667,127.0.0.1:6668`.
pub(crate) fn shown_addrs(addrs: &[SocketAddr]) -> String {
    let shown: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    shown.join(",")
}

/// `--source-addrs`: a count N means 127.0.0.2 and the N-1 addresses after it.
pub fn parse_sources(spec: Option<&str>) -> anyhow::Result<Vec<IpAddr>> {
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    if let Ok(count) = spec.parse::<u32>() {
        if count == 0 || count > 1 << 20 {
            bail!("--source-addrs {count}: expected 1 to {}", 1 << 20);
        }
        let first = u32::from(Ipv4Addr::new(127, 0, 0, 2));
        return Ok((0..count)
            .map(|i| IpAddr::V4(Ipv4Addr::from(first + i)))
            .collect());
    }
    spec.split(',')
        .map(|s| {
            s.trim()
                .parse::<IpAddr>()
                .with_context(|| format!("--source-addrs: {s:?} is not an IP address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_from_a_count_or_a_list() {
        let ips = parse_sources(Some("3")).expect("count");
        assert_eq!(
            ips,
            ["127.0.0.2", "127.0.0.3", "127.0.0.4"].map(|s| s.parse::<IpAddr>().expect("ip"))
        );
        // Counting carries into the next octet.
        let ips = parse_sources(Some("300")).expect("count");
        assert_eq!(ips[299], "127.0.1.45".parse::<IpAddr>().expect("ip"));
        let ips = parse_sources(Some("127.0.0.9, 127.0.0.7")).expect("list");
        assert_eq!(ips.len(), 2);
        assert!(parse_sources(Some("0")).is_err());
        assert!(parse_sources(Some("x")).is_err());
        assert!(parse_sources(None).expect("none").is_empty());
    }
}

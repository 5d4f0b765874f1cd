//! Which web pages may open `/irc`: the `Origin` a browser sends with a WebSocket request,
//! checked against the page the server serves itself and `[http] allowed_origins`.
//!
//! Why at all: any page a visitor opens could otherwise connect their browser to a server
//! on their machine or network and chat as them. Programs that are not browsers send no
//! `Origin` and are not asked.

use std::str::FromStr;

/// One entry of `allowed_origins`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPattern {
    /// `*`: every page.
    Any,
    /// `scheme://host` or `scheme://host:port`, exactly (in lower case).
    Exact(String),
    /// `scheme://host:*`: that host on any port, or with none; kept without the `:*`.
    AnyPort(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "http.allowed_origins: {0:?} is not an origin (expected *, scheme://host, \
     scheme://host:port or scheme://host:*, with scheme http or https and no path)"
)]
pub struct OriginError(pub String);

impl FromStr for OriginPattern {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "*" {
            return Ok(OriginPattern::Any);
        }
        let bad = || OriginError(text.to_string());
        let lower = text.to_ascii_lowercase();
        let authority = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"))
            .ok_or_else(bad)?;
        let (host, any_port) = match authority.strip_suffix(":*") {
            Some(host) => (host, true),
            None => (authority, false),
        };
        let forbidden = |c: char| c.is_whitespace() || "/?#@*".contains(c);
        if host.is_empty() || host.contains(forbidden) {
            return Err(bad());
        }
        Ok(if any_port {
            OriginPattern::AnyPort(lower[..lower.len() - 2].to_string())
        } else {
            OriginPattern::Exact(lower)
        })
    }
}

impl OriginPattern {
    /// Whether `origin` (already in lower case) is one this pattern allows.
    fn matches(&self, origin: &str) -> bool {
        match self {
            OriginPattern::Any => true,
            OriginPattern::Exact(exact) => origin == exact,
            OriginPattern::AnyPort(base) => match origin.strip_prefix(base.as_str()) {
                Some("") => true,
                Some(rest) => rest.strip_prefix(':').is_some_and(|port| {
                    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                }),
                None => false,
            },
        }
    }
}

/// Whether a page of `origin` may open `/irc` on this listener: its own page (the origin
/// the request's `Host` names, over `https` on a TLS listener), or one `allowed` names.
pub fn allowed(origin: &str, host: Option<&str>, tls: bool, allowed: &[OriginPattern]) -> bool {
    let origin = origin.to_ascii_lowercase();
    let scheme = if tls { "https" } else { "http" };
    if let Some(host) = host {
        let own = format!("{scheme}://{}", host.to_ascii_lowercase());
        if without_default_port(&own) == without_default_port(&origin) {
            return true;
        }
    }
    allowed.iter().any(|pattern| pattern.matches(&origin))
}

/// `http://a:80` is `http://a`, and `https://a:443` is `https://a`: browsers leave the
/// default port out of `Origin`, while a `Host` header may name it.
fn without_default_port(origin: &str) -> &str {
    if origin.starts_with("http://") {
        origin.strip_suffix(":80").unwrap_or(origin)
    } else {
        origin.strip_suffix(":443").unwrap_or(origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpConfig;

    fn defaults() -> Vec<OriginPattern> {
        crate::http::Settings::new(&HttpConfig::default())
            .unwrap()
            .origins
    }

    #[test]
    fn patterns_parse_and_bad_ones_say_so() {
        assert_eq!("*".parse(), Ok(OriginPattern::Any));
        assert_eq!(
            "HTTPS://Chat.Example.org".parse(),
            Ok(OriginPattern::Exact("https://chat.example.org".into()))
        );
        assert_eq!(
            "http://[::1]:*".parse(),
            Ok(OriginPattern::AnyPort("http://[::1]".into()))
        );
        for bad in [
            "chat.example.org",
            "ftp://x",
            "http://",
            "http://a/b",
            "http://*.a",
        ] {
            let err = bad.parse::<OriginPattern>().unwrap_err();
            assert_eq!(err, OriginError(bad.into()));
        }
        assert!(OriginError("x".into())
            .to_string()
            .contains("scheme://host:*"));
    }

    #[test]
    fn the_page_itself_and_loopback_pages_are_allowed_by_default() {
        let defaults = defaults();
        let host = Some("chat.example.org:8080");
        assert!(allowed(
            "http://chat.example.org:8080",
            host,
            false,
            &defaults
        ));
        // On a TLS listener the page is https.
        assert!(!allowed(
            "http://chat.example.org:8080",
            host,
            true,
            &defaults
        ));
        assert!(allowed(
            "https://chat.example.org:8080",
            host,
            true,
            &defaults
        ));
        // The default port may be in Host and not in Origin.
        assert!(allowed(
            "http://chat.example.org",
            Some("chat.example.org:80"),
            false,
            &defaults
        ));
        for loopback in [
            "http://127.0.0.1:3000",
            "http://localhost",
            "https://[::1]:8443",
        ] {
            assert!(allowed(loopback, host, false, &defaults), "{loopback}");
        }
        for other in [
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1:80x",
            "http://127.0.0.1:",
            "null",
        ] {
            assert!(!allowed(other, host, false, &defaults), "{other}");
        }
    }

    #[test]
    fn configured_origins_add_to_the_page_itself() {
        let only: Vec<OriginPattern> = vec!["https://app.example.org".parse().unwrap()];
        assert!(allowed("https://APP.example.org", None, false, &only));
        assert!(!allowed("https://app.example.org:444", None, false, &only));
        assert!(!allowed("http://localhost:3000", None, false, &only));
        assert!(allowed("http://a:1", Some("a:1"), false, &[]));
        assert!(allowed(
            "http://anything",
            None,
            false,
            &[OriginPattern::Any]
        ));
    }
}

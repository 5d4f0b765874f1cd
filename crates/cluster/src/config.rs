//! How a node joins a cluster: the Redis URL (`redis://HOST:PORT[/DB]`, `rediss://` for
//! TLS) and, optionally, a fixed node number; and the URL as it may be shown in logs.

use std::time::Duration;

/// The cluster settings of `confab serve --cluster URL` (or `[cluster]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    pub url: String,
    /// This node's number (1-65535), part of every message id it makes; `None` takes a
    /// free one from Redis.
    pub node: Option<u16>,
    /// How long a node's lease and its names' claims last without renewal: a node killed
    /// outright is gone from the others, and its names free, at most this long (plus one
    /// watch) later.
    pub lease: Duration,
    /// For `rediss://`: the certificate (PEM) that signed Redis's, when it is not one the
    /// system trusts (a private CA, a self-signed certificate).
    pub ca: Option<std::path::PathBuf>,
}

/// The default lease: a lost node's users are gone from every list within 10 s (the
/// lease, plus one watch of the link).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(8);

impl ClusterConfig {
    pub fn new(url: impl Into<String>) -> ClusterConfig {
        ClusterConfig {
            url: url.into(),
            node: None,
            lease: DEFAULT_LEASE,
            ca: None,
        }
    }

    /// The URL with any password replaced by `***`, for logs and errors.
    pub fn shown_url(&self) -> String {
        redacted(&self.url)
    }
}

/// `url` without its password: `redis://user:***@host:6379/0`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    let user = userinfo.split_once(':').map_or("", |(user, _)| user);
    format!("{scheme}://{user}:***@{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redacted("redis://:s3cret@10.0.0.5:6379/2"),
            "redis://:***@10.0.0.5:6379/2"
        );
        assert_eq!(
            redacted("rediss://app:p@ss@redis.example:6380"),
            "rediss://app:***@redis.example:6380"
        );
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redacted("not a url"), "not a url");
    }
}

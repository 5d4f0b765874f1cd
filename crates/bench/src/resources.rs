//! Processes' resources: this process's file descriptor limit, raised for many
//! connections, and a server's CPU time and memory, read from /proc.

use anyhow::bail;

/// Many connections need many descriptors: the soft limit goes up to the hard one, and a
/// run that needs more than that is refused before it opens anything (rather than
/// failing connection by connection with "too many open files").
pub(crate) fn raise_fd_limit(connections: usize) -> anyhow::Result<()> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    // Room for stdio, the runtime's own descriptors and a retried step's stragglers.
    let needed = connections as u64 + 64;
    match getrlimit(Resource::Nofile).current {
        Some(have) if have < needed => bail!(
            "{connections} connections need about {needed} file descriptors but the limit \
             is {have}: raise the hard limit (e.g. `ulimit -Hn 1048576` as root)"
        ),
        _ => Ok(()),
    }
}

/// The clock ticks of /proc/PID/stat's times: USER_HZ, 100 on every Linux architecture.
const USER_HZ: f64 = 100.0;

/// A process's CPU time so far (user + system), in seconds, from /proc/PID/stat.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

/// A process's resident set size in KiB, from /proc/PID/status.
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// The anonymous part of a process's resident memory (`RssAnon` in /proc/PID/status):
/// its heap and stacks, without the pages of its program and libraries that the file
/// backs (`RssFile`), which a server pages in once when its code first runs.
pub(crate) fn rss_anon_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "RssAnon:")
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_run_past_the_file_limit_is_refused_up_front() {
        assert!(raise_fd_limit(10).is_ok());
        let e = raise_fd_limit(usize::MAX / 2).expect_err("too many");
        assert!(e.to_string().contains("file descriptors"), "{e}");
    }

    #[test]
    fn rss_of_this_process_is_readable() {
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn cpu_time_of_this_process_is_readable_and_grows() {
        let before = cpu_seconds(std::process::id()).expect("cpu time");
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(50) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = cpu_seconds(std::process::id()).expect("cpu time");
        assert!(after >= before, "{before} then {after}");
        assert!(cpu_seconds(u32::MAX).is_none());
    }
}

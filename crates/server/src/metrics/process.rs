//! The server process as the kernel sees it: resident memory and open files, from
//! `/proc/self` (Linux; elsewhere these series are left out).

/// `/proc/self/statm`'s second field, resident pages, in bytes.
pub(super) fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// Entries in `/proc/self/fd` (the directory's own handle, open while it is read, left out).
pub(super) fn open_files() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    Some((entries.count() as u64).saturating_sub(1))
}

fn page_size() -> u64 {
    rustix::param::page_size() as u64
}

//! The audit log: one line per moderator action (a kick, a mode change, a kill, a
//! server-wide ban or its lifting), with who did it to what, on the `confab::audit` log
//! target. It goes to stderr with the rest of the log; `RUST_LOG=confab::audit=info`
//! keeps only these lines.

/// Records `action` by `actor` (their nick) on `target`, with `detail` (a reason, modes).
pub fn record(actor: &str, action: &str, target: &str, detail: &str) {
    tracing::info!(target: "confab::audit", actor, action, target, detail, "moderation");
}

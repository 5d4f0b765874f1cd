//! Replays a fuzz corpus through a target body, without AFL: included with `#[path]` by
//! the corpus tests of `crates/proto` and `crates/server`, so every `cargo test` runs the
//! seeds and every crash input ever committed. Not part of the fuzz crate itself.

use std::path::Path;

/// Runs `target` on every file of `fuzz/corpus/<name>/`, in name order; returns how many
/// it ran. `crate_dir` is the including crate's `CARGO_MANIFEST_DIR`.
pub fn replay(crate_dir: &str, name: &str, target: fn(&[u8])) -> usize {
    let dir = Path::new(crate_dir).join("../../fuzz/corpus").join(name);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    entries.sort();
    for path in &entries {
        let data = std::fs::read(path).expect("corpus file");
        // Name the input that failed, for `fuzz/target/release/<name> < <file>`.
        eprintln!("replaying {}", path.display());
        target(&data);
    }
    entries.len()
}

//! Stamps the binary with the git commit it is built from, for `confab --version`:
//! `CONFAB_COMMIT` from the environment when set and not empty (a build without `.git`,
//! e.g. the container image: `--build-arg CONFAB_COMMIT=$(git rev-parse --short=12 HEAD)`),
//! else `git rev-parse`, else `unknown` (e.g. from a source archive).

use std::process::Command;

fn main() {
    let from_env = std::env::var("CONFAB_COMMIT")
        .ok()
        .map(|commit| commit.trim().to_string())
        .filter(|commit| !commit.is_empty());
    let commit = from_env.unwrap_or_else(|| {
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
            .filter(|commit| !commit.is_empty())
            .unwrap_or_else(|| "unknown".into())
    });
    println!("cargo:rustc-env=CONFAB_COMMIT={commit}");
    println!("cargo:rerun-if-env-changed=CONFAB_COMMIT");
    // A new commit moves a ref; a checkout of another branch changes HEAD.
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    println!("cargo:rerun-if-changed=.git/packed-refs");
}

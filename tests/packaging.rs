//! What packages confab: the systemd unit in `contrib/` passes `systemd-analyze verify`
//! with its `ExecStart` pointing at the binary just built, without a warning.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_confab");
const UNIT: &str = include_str!("../contrib/confab.service");

/// Runs `systemd-analyze verify` on `unit` saved as `confab.service`: exit code, stderr.
fn verify(unit: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confab.service");
    std::fs::write(&path, unit).unwrap();
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze runs (scripts/test.sh installs systemd)");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stderr)
}

#[test]
fn the_systemd_unit_verifies_without_a_warning() {
    assert!(UNIT.contains("ExecStart=/usr/local/bin/confab serve --data /var/lib/confab\n"));
    let unit = UNIT.replace("/usr/local/bin/confab", BIN);
    assert_eq!(verify(&unit), (Some(0), String::new()));
    // The check can fail: a setting systemd does not know is a warning.
    let (_, stderr) = verify(&unit.replace("ProtectSystem=strict", "ProtectSystem=bogus"));
    assert!(stderr.contains("protect system value"), "{stderr}");
}

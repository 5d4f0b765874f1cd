//! What a checker run produces: a [`Failure`] (the step, the bytes expected and the bytes
//! received) per failing scenario, and the [`Report`] table a person reads.

use std::fmt;

/// Longest byte string shown whole; longer ones are shown as head, elision, tail, so a
/// 70,000-byte packet does not flood the terminal.
const SHOW_WHOLE: usize = 240;

/// One failed step of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which client did what, and why it failed (timeout, close, mismatch at byte N).
    pub step: String,
    pub expected: Vec<u8>,
    pub received: Vec<u8>,
}

impl Failure {
    /// A failure comparing bytes.
    pub fn new(step: impl Into<String>, expected: &[u8], received: &[u8]) -> Failure {
        Failure {
            step: step.into(),
            expected: expected.to_vec(),
            received: received.to_vec(),
        }
    }

    /// A failure with no bytes to compare (a connect or a send that failed).
    pub fn note(step: impl Into<String>) -> Failure {
        Failure::new(step, b"", b"")
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "step:     {}", self.step)?;
        writeln!(f, "expected: {}", escape(&self.expected))?;
        write!(f, "received: {}", escape(&self.received))
    }
}

impl std::error::Error for Failure {}

/// Shows bytes like a Rust byte string: `b"06NAME A\n\xff"`, elided in the middle when
/// long (with the total length).
pub fn escape(bytes: &[u8]) -> String {
    if bytes.len() <= SHOW_WHOLE {
        return format!("b\"{}\"", escape_raw(bytes));
    }
    let head = &bytes[..SHOW_WHOLE - 40];
    let tail = &bytes[bytes.len() - 40..];
    format!(
        "b\"{}\" ... ({} bytes in all) ... b\"{}\"",
        escape_raw(head),
        bytes.len(),
        escape_raw(tail)
    )
}

fn escape_raw(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// One scenario's outcome.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: &'static str,
    pub section: &'static str,
    pub result: Result<(), Failure>,
}

/// The outcomes of a run, in the order the scenarios ran.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// True when no scenario failed (and at least one ran).
    pub fn all_passed(&self) -> bool {
        !self.outcomes.is_empty() && self.outcomes.iter().all(|o| o.result.is_ok())
    }

    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }

    /// One row per scenario (name, PASS or FAIL); under a failing row its step, the
    /// expected and received bytes and the section of docs/protocols/ it checks; then `N passed, M failed`.
    pub fn render_table(&self) -> String {
        let width = self
            .outcomes
            .iter()
            .map(|o| o.name.len())
            .max()
            .unwrap_or(0)
            .max("scenario".len());
        let mut out = format!("{:width$}  result\n", "scenario");
        for outcome in &self.outcomes {
            match &outcome.result {
                Ok(()) => out.push_str(&format!("{:width$}  PASS\n", outcome.name)),
                Err(failure) => {
                    out.push_str(&format!("{:width$}  FAIL\n", outcome.name));
                    for line in failure.to_string().lines() {
                        out.push_str(&format!("    {line}\n"));
                    }
                    out.push_str(&format!("    section:  {}\n", outcome.section));
                }
            }
        }
        out.push_str(&format!(
            "{} passed, {} failed\n",
            self.passed(),
            self.failed()
        ));
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_a_byte_string() {
        assert_eq!(
            escape(b"06NAME A\n\r\xff\"\\"),
            r#"b"06NAME A\n\r\xff\"\\""#
        );
        let long = escape(&[b'a'; 1000]);
        assert!(long.contains("(1000 bytes in all)"));
    }

    #[test]
    fn table_has_rows_details_and_summary() {
        let report = Report {
            outcomes: vec![
                Outcome {
                    name: "good",
                    section: "docs/protocols/rooms.md",
                    result: Ok(()),
                },
                Outcome {
                    name: "bad",
                    section: "docs/protocols/rooms.md, `/list`",
                    result: Err(Failure::new("A: expect", b"0\n", b"1\n")),
                },
            ],
        };
        let table = report.render_table();
        assert!(table.contains("good      PASS\n"));
        assert!(table.contains("bad       FAIL\n"));
        assert!(table.contains("    expected: b\"0\\n\"\n"));
        assert!(table.contains("    received: b\"1\\n\"\n"));
        assert!(table.contains("    section:  docs/protocols/rooms.md, `/list`\n"));
        assert!(table.ends_with("\n1 passed, 1 failed\n"));
        assert!(!report.all_passed());
    }
}

//! What a checker run produces: a [`Failure`] (the step, the bytes expected and the bytes
//! received) per failing scenario, notes for what only confab asks, and the [`Report`]
//! table a person reads.

use crate::Quote;
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
    /// False when graded against a seed that does not ask for what the scenario checks:
    /// then a failure is shown as a NOTE and does not fail the run.
    pub counts: bool,
    /// The seed's words the scenario checks, printed under a failure.
    pub quotes: Vec<Quote>,
    /// Where the server answered otherwise than confab would, but as the seed allows.
    pub notes: Vec<String>,
    pub result: Result<(), Failure>,
}

impl Outcome {
    /// A failure that counts against the server.
    fn is_failure(&self) -> bool {
        self.counts && self.result.is_err()
    }

    /// The row's word: PASS, FAIL, or NOTE (a failure of what only confab asks).
    fn verdict(&self) -> &'static str {
        match (&self.result, self.counts) {
            (Ok(()), _) => "PASS",
            (Err(_), true) => "FAIL",
            (Err(_), false) => "NOTE",
        }
    }

    /// The lines under the row: the failure's step and bytes, its section and seed's
    /// words; the step notes.
    fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Err(failure) = &self.result {
            lines.extend(failure.to_string().lines().map(str::to_owned));
            lines.push(format!("section:  {}", self.section));
            if self.counts {
                for quote in &self.quotes {
                    lines.push(format!("seed {}: \"{}\"", quote.seed, quote.words));
                }
            } else {
                lines.push(
                    "note:     confab's own rule, not the seed's: not counted as a failure"
                        .to_owned(),
                );
            }
        }
        lines.extend(self.notes.iter().map(|n| format!("note:     {n}")));
        lines
    }
}

/// The outcomes of a run, in the order the scenarios ran.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// True when no scenario failed (and at least one ran); notes do not count.
    pub fn all_passed(&self) -> bool {
        !self.outcomes.is_empty() && self.failed() == 0
    }

    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.result.is_ok()).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.is_failure()).count()
    }

    /// NOTE rows plus the notes of passing scenarios.
    pub fn notes(&self) -> usize {
        let rows = self
            .outcomes
            .iter()
            .filter(|o| !o.counts && o.result.is_err())
            .count();
        rows + self.outcomes.iter().map(|o| o.notes.len()).sum::<usize>()
    }

    /// One row per scenario (name, PASS, FAIL or NOTE); under a failing row its step,
    /// the expected and received bytes, the section of the spec it checks and the seed's
    /// words; then `N passed, M failed` (and `, K notes` when there are any).
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
            out.push_str(&format!("{:width$}  {}\n", outcome.name, outcome.verdict()));
            for line in outcome.details() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        out.push_str(&format!(
            "{} passed, {} failed",
            self.passed(),
            self.failed()
        ));
        match self.notes() {
            0 => out.push('\n'),
            1 => out.push_str(", 1 note\n"),
            n => out.push_str(&format!(", {n} notes\n")),
        }
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
                    counts: true,
                    quotes: vec![],
                    notes: vec![],
                    result: Ok(()),
                },
                Outcome {
                    name: "bad",
                    section: "docs/protocols/rooms.md, `/list`",
                    counts: true,
                    quotes: vec![],
                    notes: vec![],
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

    #[test]
    fn seed_words_under_failures_and_notes_do_not_fail() {
        let quote = Quote {
            seed: crate::Seed::S001,
            words: "GETNAMES will get all client names",
        };
        let failed = Err(Failure::new("A: expect", b"x", b"y"));
        let report = Report {
            outcomes: vec![
                Outcome {
                    name: "names",
                    section: "s",
                    counts: true,
                    quotes: vec![quote],
                    notes: vec![],
                    result: failed.clone(),
                },
                Outcome {
                    name: "extra",
                    section: "s",
                    counts: false,
                    quotes: vec![],
                    notes: vec![],
                    result: failed,
                },
                Outcome {
                    name: "texts",
                    section: "s",
                    counts: true,
                    quotes: vec![],
                    notes: vec!["other words".into()],
                    result: Ok(()),
                },
            ],
        };
        let table = report.render_table();
        assert!(table.contains("names     FAIL\n"), "{table}");
        assert!(table.contains("    seed 001: \"GETNAMES will get all client names\"\n"));
        assert!(table.contains("extra     NOTE\n"));
        assert!(table.contains("texts     PASS\n    note:     other words\n"));
        assert!(
            table.ends_with("\n1 passed, 1 failed, 2 notes\n"),
            "{table}"
        );
        assert_eq!(report.failed(), 1);
    }
}

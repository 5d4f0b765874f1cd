//! IRCv3 `draft/multiline`, as a client sends it: `BATCH +<ref> draft/multiline <target>`,
//! then lines `@batch=<ref>[;draft/multiline-concat] PRIVMSG <target> :<line>`, then
//! `BATCH -<ref>`, gathered here into one message of several lines, bounded in lines and
//! bytes. The `BATCH` command is `commands/batch.rs`; how others see the message,
//! `render_lines.rs`.

use std::sync::Arc;

use confab_core::{Line, Lines, Text, Tone};
use confab_proto::irc::Message;

/// The most bytes of text one batch may hold (`max-bytes`).
pub const MAX_BYTES: usize = 4096;
/// The most lines one batch may hold (`max-lines`).
pub const MAX_LINES: usize = 32;
/// What `CAP LS 302` shows after `draft/multiline=`.
pub const CAP_VALUE: &str = "max-bytes=4096,max-lines=32";
/// The batch type, and the tag that joins a line to the one before it.
pub const BATCH_TYPE: &str = "draft/multiline";
pub const CONCAT: &str = "draft/multiline-concat";

/// Why a batch is refused: `FAIL BATCH <code> [params] :<text>`.
#[derive(Debug, PartialEq, Eq)]
pub enum Fault {
    Invalid(&'static str),
    MaxLines,
    MaxBytes,
    /// A line for another target than the batch's: the batch's and the line's.
    Target(String, String),
}

impl Fault {
    /// The FAIL's code and parameters after `BATCH`, its text last.
    pub fn params(&self) -> Vec<String> {
        let (code, mut params, text): (&str, Vec<String>, &str) = match self {
            Fault::Invalid(why) => ("MULTILINE_INVALID", vec![], why),
            Fault::MaxLines => (
                "MULTILINE_MAX_LINES",
                vec![MAX_LINES.to_string()],
                "Multiline batch has too many lines",
            ),
            Fault::MaxBytes => (
                "MULTILINE_MAX_BYTES",
                vec![MAX_BYTES.to_string()],
                "Multiline batch is too long",
            ),
            Fault::Target(batch, line) => (
                "MULTILINE_INVALID_TARGET",
                vec![batch.clone(), line.clone()],
                "Multiline batch line has another target",
            ),
        };
        params.insert(0, code.to_string());
        params.push(text.to_string());
        params
    }
}

/// A batch being gathered.
#[derive(Debug)]
pub struct Gathering {
    pub reference: String,
    target: String,
    /// The `labeled-response` label of its `BATCH +` line: its echo carries it.
    label: Option<String>,
    client_tags: Option<Arc<str>>,
    tone: Option<Tone>,
    lines: Vec<Line>,
    bytes: usize,
    /// Refused already: its other lines and its end are dropped unanswered.
    pub failed: bool,
}

/// A whole batch, ready to send as one message.
pub struct Gathered {
    pub target: String,
    pub label: Option<String>,
    pub client_tags: Option<Arc<str>>,
    pub tone: Tone,
    pub lines: Lines,
}

impl Gathering {
    pub fn open(
        reference: &str,
        target: &str,
        label: Option<String>,
        client_tags: Option<Arc<str>>,
    ) -> Gathering {
        Gathering {
            reference: reference.to_string(),
            target: target.to_string(),
            label,
            client_tags,
            tone: None,
            lines: Vec::new(),
            bytes: 0,
            failed: false,
        }
    }

    /// Adds one line: a PRIVMSG or NOTICE (all lines the same) to the batch's target.
    pub fn add(&mut self, m: &Message<'_>) -> Result<(), Fault> {
        let tone = match m.command_upper().as_ref() {
            "PRIVMSG" => Tone::Chat,
            "NOTICE" => Tone::Notice,
            _ => {
                return Err(Fault::Invalid(
                    "Only PRIVMSG or NOTICE in a multiline batch",
                ))
            }
        };
        if *self.tone.get_or_insert(tone) != tone {
            return Err(Fault::Invalid("PRIVMSG and NOTICE mixed in one batch"));
        }
        let (Some(target), Some(text)) = (m.param(0), m.param(1)) else {
            return Err(Fault::Invalid("A multiline line needs a target and text"));
        };
        if !target.eq_ignore_ascii_case(&self.target) {
            return Err(Fault::Target(self.target.clone(), target.to_string()));
        }
        let concat = m.tag(CONCAT).is_some();
        if concat && text.is_empty() {
            return Err(Fault::Invalid("A blank line cannot be concatenated"));
        }
        if self.lines.len() == MAX_LINES {
            return Err(Fault::MaxLines);
        }
        self.bytes += text.len();
        if self.bytes > MAX_BYTES {
            return Err(Fault::MaxBytes);
        }
        let text = Text::new(text);
        self.lines.push(Line { text, concat });
        Ok(())
    }

    /// The batch whole, or why it cannot be sent (no line with any text).
    pub fn finish(self) -> Result<Gathered, Fault> {
        if self.lines.iter().all(|l| l.text.is_empty()) {
            return Err(Fault::Invalid("A multiline batch needs a line with text"));
        }
        Ok(Gathered {
            target: self.target,
            label: self.label,
            client_tags: self.client_tags,
            tone: self.tone.unwrap_or_default(),
            lines: Lines::new(self.lines),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(batch: &mut Gathering, line: &str) -> Result<(), Fault> {
        batch.add(&Message::parse(line.as_bytes()).unwrap())
    }

    #[test]
    fn lines_gather_into_one_message() {
        let mut batch = Gathering::open("1", "#c", Some("L".into()), None);
        add(&mut batch, "@batch=1 PRIVMSG #c :").unwrap();
        add(&mut batch, "@batch=1 PRIVMSG #C :how is ").unwrap();
        add(
            &mut batch,
            "@batch=1;draft/multiline-concat PRIVMSG #c :all?",
        )
        .unwrap();
        let whole = batch.finish().unwrap();
        assert_eq!((whole.target.as_str(), whole.tone), ("#c", Tone::Chat));
        assert_eq!(whole.label.as_deref(), Some("L"));
        assert_eq!(whole.lines.joined().as_str(), " how is all?");
        assert!(whole.lines.all()[2].concat && !whole.lines.all()[1].concat);
    }

    #[test]
    fn bad_lines_and_limits_are_faults() {
        let mut batch = Gathering::open("1", "#c", None, None);
        assert_eq!(
            add(&mut batch, "@batch=1 PRIVMSG #d :x"),
            Err(Fault::Target("#c".into(), "#d".into()))
        );
        let blank = add(&mut batch, "@batch=1;draft/multiline-concat PRIVMSG #c :");
        assert!(matches!(blank, Err(Fault::Invalid(_))));
        assert!(matches!(
            add(&mut batch, "@batch=1 TOPIC #c :x"),
            Err(Fault::Invalid(_))
        ));
        add(&mut batch, "@batch=1 PRIVMSG #c :x").unwrap();
        assert!(matches!(
            add(&mut batch, "@batch=1 NOTICE #c :x"),
            Err(Fault::Invalid(_))
        ));
        for _ in 1..MAX_LINES {
            add(&mut batch, "@batch=1 PRIVMSG #c :x").unwrap();
        }
        assert_eq!(
            add(&mut batch, "@batch=1 PRIVMSG #c :x"),
            Err(Fault::MaxLines)
        );
        let mut long = Gathering::open("2", "#c", None, None);
        let line = format!("@batch=2 PRIVMSG #c :{}", "x".repeat(400));
        for _ in 0..10 {
            add(&mut long, &line).unwrap();
        }
        assert_eq!(add(&mut long, &line), Err(Fault::MaxBytes));
        let empty = Gathering::open("3", "#c", None, None);
        assert!(matches!(empty.finish(), Err(Fault::Invalid(_))));
        let params = Fault::MaxBytes.params();
        assert_eq!(
            params[..2],
            ["MULTILINE_MAX_BYTES".to_string(), "4096".into()]
        );
    }
}

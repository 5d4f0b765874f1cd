//! The lines of a multiline message (IRC `draft/multiline`): one message whose text is
//! several lines, each a `Text`, some marked to continue the line before it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// One line of a multiline message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub text: Text,
    /// The line continues the one before it (IRC `draft/multiline-concat`) rather than
    /// starting a new one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub concat: bool,
}

/// A message's lines, shared by every copy of its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lines(Arc<[Line]>);

impl Lines {
    pub fn new(lines: Vec<Line>) -> Lines {
        Lines(Arc::from(lines))
    }

    pub fn all(&self) -> &[Line] {
        &self.0
    }

    /// The whole message as one text: continued lines joined to the line before, the
    /// others after a space. What history searches and counts.
    pub fn joined(&self) -> Text {
        let mut text = String::new();
        for (i, line) in self.0.iter().enumerate() {
            if i > 0 && !line.concat {
                text.push(' ');
            }
            text.push_str(line.text.as_str());
        }
        Text::new(&text)
    }

    /// The bytes of text the lines hold.
    pub fn len(&self) -> usize {
        self.0.iter().map(|l| l.text.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a message shows where each line is a message of its own (the classroom
/// protocols, IRC clients without `draft/multiline`): its non-blank lines, or its text
/// when it is one line.
pub fn shown<'a>(text: &'a Text, lines: Option<&'a Lines>) -> Vec<&'a str> {
    match lines {
        Some(lines) => lines
            .all()
            .iter()
            .map(|l| l.text.as_str())
            .filter(|t| !t.is_empty())
            .collect(),
        None => vec![text.as_str()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, concat: bool) -> Line {
        Line {
            text: Text::new(text),
            concat,
        }
    }

    #[test]
    fn lines_join_and_show_without_blanks() {
        let lines = Lines::new(vec![
            line("", false),
            line("how is ", false),
            line("all?", true),
        ]);
        assert_eq!(lines.joined().as_str(), " how is all?");
        assert_eq!(lines.len(), 11);
        let text = lines.joined();
        assert_eq!(shown(&text, Some(&lines)), ["how is ", "all?"]);
        assert_eq!(shown(&Text::new("one"), None), ["one"]);
    }
}

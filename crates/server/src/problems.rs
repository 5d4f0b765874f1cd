//! What is wrong with a configuration's values: every problem found, each with the key it
//! is about and, once the file is known, the line of the file that sets that key, so
//! `confab serve --check-config FILE` (and a refused reload) lists all of them at once:
//!
//! ```text
//! confab.toml:3: limits.name_max must be 1 to 32, not 40
//! confab.toml:7: irc.server_name must be one word, not "a b"
//! ```

use std::fmt;

/// One problem: the key (`limits.name_max`) and what is wrong, as a sentence that starts
/// with the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub text: String,
    /// The line (from 1) of the file that sets the key, when it is known.
    pub line: Option<usize>,
}

impl Problem {
    pub fn new(key: &str, text: String) -> Problem {
        Problem {
            key: key.to_owned(),
            text,
            line: None,
        }
    }
}

/// Every problem found, and the file they are in once it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems {
    pub file: Option<String>,
    pub list: Vec<Problem>,
}

impl Problems {
    /// The problems of a configuration not yet tied to a file.
    pub fn new(list: Vec<Problem>) -> Problems {
        Problems { file: None, list }
    }

    /// Ties the problems to `file`, whose text is `text`: each gets the line that sets its
    /// key, where the file sets it.
    pub fn in_file(mut self, file: String, text: &str) -> Problems {
        for problem in &mut self.list {
            problem.line = line_of(text, &problem.key);
        }
        self.file = Some(file);
        self
    }
}

impl fmt::Display for Problems {
    /// One line per problem: `FILE:LINE: TEXT`, `FILE: TEXT` when the file does not set
    /// the key (a default, or a flag), or just `TEXT` with no file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.list.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match (&self.file, problem.line) {
                (Some(file), Some(line)) => write!(f, "{file}:{line}: ")?,
                (Some(file), None) => write!(f, "{file}: ")?,
                (None, _) => {}
            }
            f.write_str(&problem.text)?;
        }
        Ok(())
    }
}

/// The line (from 1) that sets `key` (`table.leaf`, or `leaf` at the top) in a TOML
/// document: `leaf = ...` under `[table]`, or `table.leaf = ...` at the top. Arrays of
/// tables and inline tables are not looked into: their problems are shown without a line.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (table, leaf) = key.rsplit_once('.').unwrap_or(("", key));
    let mut current = "";
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = header.trim();
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim().trim_matches('"');
        if (current == table && name == leaf) || (current.is_empty() && name == key) {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_gets_the_line_of_its_key() {
        let text = "listen = [\"irc=127.0.0.1:0\"]\n\n[limits]\n# a comment\nname_max = 40\n\
                    [irc]\n  server_name = \"a b\"\n";
        let problems = Problems::new(vec![
            Problem::new("limits.name_max", "limits.name_max is wrong".into()),
            Problem::new("irc.server_name", "irc.server_name is wrong".into()),
            Problem::new("http.header_timeout_secs", "not in the file".into()),
        ])
        .in_file("c.toml".into(), text);
        assert_eq!(
            problems.to_string(),
            "c.toml:5: limits.name_max is wrong\nc.toml:7: irc.server_name is wrong\n\
             c.toml: not in the file"
        );
    }

    #[test]
    fn dotted_keys_at_the_top_and_keys_of_other_tables_are_told_apart() {
        let text = "limits.name_max = 40\n[irc]\nname_max = 1\n[limits]\nname_max = 2\n";
        assert_eq!(line_of(text, "limits.name_max"), Some(1));
        assert_eq!(line_of(text, "data"), None);
        assert_eq!(line_of("data = \"x\"\n[irc]\ndata = 1\n", "data"), Some(1));
        assert_eq!(line_of("[irc]\ndata = 1\n", "data"), None);
    }
}

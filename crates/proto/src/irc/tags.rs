//! IRCv3 message tags (ircv3.net/specs/extensions/message-tags): reading the raw
//! `key=value;key2` section of a parsed line, and escaping values for rendering.

use std::borrow::Cow;

/// The tags of a parsed line, in order, as `(key, value)`. The value is unescaped; a
/// missing value (`key`) and an empty one (`key=`) are both `None`, as the spec says
/// they mean the same. Empty items (`a;;b`) and empty keys are skipped. Duplicate keys
/// are yielded as they come; per the spec the last one wins.
#[derive(Debug, Clone)]
pub struct Tags<'a> {
    rest: &'a str,
}

impl<'a> Tags<'a> {
    /// Iterates over a raw tags section, without its `@` and trailing space.
    pub fn new(raw: &'a str) -> Self {
        Tags { rest: raw }
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = (&'a str, Option<Cow<'a, str>>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (item, rest) = self.rest.split_once(';').unwrap_or((self.rest, ""));
            self.rest = rest;
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            if key.is_empty() {
                continue;
            }
            let value = (!value.is_empty()).then(|| unescape_tag_value(value));
            return Some((key, value));
        }
    }
}

/// Undoes the tag value escapes: `\:` `;`, `\s` space, `\\` `\`, `\r` CR, `\n` LF. A
/// backslash before any other character is dropped (`\b` is `b`), and a lone backslash at
/// the end is dropped. Borrows when there is nothing to undo.
pub fn unescape_tag_value(value: &str) -> Cow<'_, str> {
    if !value.contains('\\') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Cow::Owned(out)
}

/// Escapes a tag value for the wire: `;` `\:`, space `\s`, `\` `\\`, CR `\r`, LF `\n`.
/// Borrows when nothing needs escaping.
pub fn escape_tag_value(value: &str) -> Cow<'_, str> {
    if !value.contains([';', ' ', '\\', '\r', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// Appends `key` or `key=escaped value` to a raw tags section being built (the `tags`
/// argument of [`render`](super::render)), with a `;` when it is not the first. An empty
/// value is written as no value.
pub fn push_tag(raw: &mut String, key: &str, value: Option<&str>) {
    if !raw.is_empty() {
        raw.push(';');
    }
    raw.push_str(key);
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        raw.push('=');
        raw.push_str(&escape_tag_value(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(raw: &str) -> Vec<(&str, Option<String>)> {
        Tags::new(raw)
            .map(|(k, v)| (k, v.map(Cow::into_owned)))
            .collect()
    }

    #[test]
    fn keys_values_and_missing_values() {
        assert_eq!(
            collect("time=2024-01-01T00:00:00.000Z;+draft/reply=abc;bot;empty="),
            vec![
                ("time", Some("2024-01-01T00:00:00.000Z".to_string())),
                ("+draft/reply", Some("abc".to_string())),
                ("bot", None),
                ("empty", None),
            ]
        );
    }

    #[test]
    fn empty_items_and_keys_are_skipped() {
        assert_eq!(
            collect(";;a=1;=x;;b"),
            vec![("a", Some("1".into())), ("b", None)]
        );
        assert!(collect("").is_empty());
    }

    #[test]
    fn every_escape_is_undone() {
        assert_eq!(unescape_tag_value(r"a\:b\sc\\d\re\nf"), "a;b c\\d\re\nf");
        // Unknown escapes drop the backslash; a trailing lone one is dropped.
        assert_eq!(unescape_tag_value(r"\b\"), "b");
        assert_eq!(unescape_tag_value(r"\\\"), "\\");
        assert!(matches!(
            unescape_tag_value("plain"),
            Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn escaped_values_are_unescaped_in_the_iterator() {
        assert_eq!(
            collect(r"msg=hello\sworld\:\sok"),
            vec![("msg", Some("hello world; ok".into()))]
        );
    }

    #[test]
    fn escape_produces_no_separator() {
        let escaped = escape_tag_value("a; b\\c\r\nd");
        assert_eq!(escaped, r"a\:\sb\\c\r\nd");
        assert!(!escaped.contains([';', ' ', '\r', '\n']));
    }

    #[test]
    fn push_tag_builds_a_section() {
        let mut raw = String::new();
        push_tag(&mut raw, "msgid", Some("a b"));
        push_tag(&mut raw, "bot", None);
        push_tag(&mut raw, "x", Some(""));
        assert_eq!(raw, r"msgid=a\sb;bot;x");
    }

    proptest! {
        #[test]
        fn escape_then_unescape_is_identity(value in any::<String>()) {
            let escaped = escape_tag_value(&value);
            prop_assert_eq!(unescape_tag_value(&escaped), value.as_str());
        }

        #[test]
        fn unescape_never_panics(raw in any::<String>()) {
            let _ = Tags::new(&raw).count();
        }
    }
}

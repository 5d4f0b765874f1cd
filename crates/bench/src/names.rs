//! Client names: short, valid on every protocol and different between runs and steps, so
//! generators and steps never meet each other's names.

/// Client names: short (ngIRCd's default NICKLEN is 9), unique per run and step, valid on
/// every protocol: `b`, a two-character run tag, the step, the index, in base 36.
pub(crate) fn client_name(tag: &str, step: u32, index: usize) -> String {
    format!("b{tag}{}{}", base36(step as usize % 36), base36(index))
}

/// `--tag`, or a tag that differs between runs, so a second run does not meet the first
/// one's names.
pub(crate) fn run_tag(chosen: Option<&str>) -> String {
    if let Some(tag) = chosen {
        return tag.to_owned();
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as usize ^ d.as_secs() as usize);
    let tag = base36(nanos % (36 * 36) + 36 * 36);
    tag[1..].to_owned()
}

/// `--tag`: two lowercase ASCII letters or digits, so a name stays short and valid.
pub(crate) fn parse_tag(text: &str) -> Result<String, String> {
    let ok = text.len() == 2
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    match ok {
        true => Ok(text.to_owned()),
        false => Err("expected two lowercase letters or digits, e.g. m1".to_owned()),
    }
}

fn base36(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_are_short_valid_and_distinct() {
        let tag = run_tag(None);
        assert_eq!(tag.len(), 2);
        assert_eq!(run_tag(Some("m1")), "m1");
        assert!(parse_tag("m1").is_ok());
        assert!(parse_tag("M1").is_err() && parse_tag("abc").is_err() && parse_tag("a").is_err());
        let a = client_name(&tag, 0, 0);
        let b = client_name(&tag, 1, 0);
        let c = client_name(&tag, 0, 36 * 36 * 36 - 1);
        assert_ne!(a, b);
        assert!(c.len() <= 9, "{c}");
        assert!(a.starts_with('b') && a.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}

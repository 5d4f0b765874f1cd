//! Test support shared by the decoders' property tests: a byte stream cut into the
//! pieces a socket might deliver, so every decoder is fed the same way.

/// `data` cut at `cuts` (in any order, past-the-end ones clamped), in order, covering it
/// all: the last piece always ends at `data.len()`. Pieces may be empty.
pub(crate) fn pieces<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&cut| cut.min(data.len())).collect();
    cuts.push(data.len());
    cuts.sort_unstable();
    let mut from = 0;
    cuts.into_iter()
        .map(|cut| {
            let piece = data.get(from..cut).unwrap_or_default();
            from = cut;
            piece
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_data_in_order() {
        let data = b"abcdef";
        assert_eq!(pieces(data, &[4, 1, 99]), [&b"a"[..], b"bcd", b"ef", b""]);
        assert_eq!(pieces(data, &[]), [&b"abcdef"[..]]);
        assert_eq!(pieces(b"", &[3]), [&b""[..], b""]);
    }
}

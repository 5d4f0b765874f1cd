//! AFL target: `confab_fuzz::proto::irc`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::proto::irc(data));
}

//! AFL target: `confab_fuzz::proto::prefixed`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::proto::prefixed(data));
}

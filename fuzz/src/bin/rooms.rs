//! AFL target: `confab_fuzz::proto::rooms`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::proto::rooms(data));
}

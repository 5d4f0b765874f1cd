//! AFL target: `confab_fuzz::proto::line`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::proto::line(data));
}

//! AFL target: `confab_fuzz::proto::packet`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::proto::packet(data));
}

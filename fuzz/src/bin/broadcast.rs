//! AFL target: `confab_fuzz::proto::broadcast`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::proto::broadcast(data));
}

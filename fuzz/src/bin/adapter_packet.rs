//! AFL target: `confab_fuzz::server::adapter_packet`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::server::adapter_packet(data));
}

//! AFL target: `confab_fuzz::server::adapter_rooms`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::server::adapter_rooms(data));
}

//! AFL target: `confab_fuzz::server::adapter_broadcast`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::server::adapter_broadcast(data));
}

//! AFL target: `confab_fuzz::server::adapter_prefixed`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::server::adapter_prefixed(data));
}

//! AFL target: `confab_fuzz::server::adapter_irc`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::server::adapter_irc(data));
}

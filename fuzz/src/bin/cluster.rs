//! AFL target: `confab_fuzz::cluster::cluster`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::cluster::cluster(data));
}

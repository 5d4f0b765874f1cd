//! AFL target: `confab_fuzz::web::http`.
fn main() {
    afl::fuzz!(|data: &[u8]| confab_fuzz::web::http(data));
}

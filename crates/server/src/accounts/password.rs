//! Password hashing: argon2id with OWASP's parameters (19 MiB, two passes, one lane),
//! stored as PHC strings. Slow on purpose: call these on the accounts pool, never on an
//! async thread and never under the hub's lock.

use std::sync::OnceLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};

/// OWASP's argon2id minimum: m = 19456 KiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19_456;
const PASSES: u32 = 2;
const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches `stored` (a PHC string). Without a stored hash (no such
/// account) it checks against a fixed dummy hash and answers `false`, so an unknown name
/// takes as long to refuse as a wrong password.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (dummy(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        tracing::warn!("an account's password hash cannot be read");
        return false;
    };
    let matches = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    real && matches
}

/// Whether `phc` is a PHC string [`verify`] can read (one from another node is checked
/// before it is kept).
pub fn readable(phc: &str) -> bool {
    PasswordHash::new(phc).is_ok()
}

/// A hash of nothing anyone can type, made once with the same parameters as real ones.
fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("\u{0}confab dummy\u{0}").expect("hashing a constant works"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let phc = hash("sesame").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(Some(&phc), "sesame"));
        assert!(!verify(Some(&phc), "Sesame"));
        assert_ne!(phc, hash("sesame").unwrap(), "a fresh salt each time");
    }

    #[test]
    fn no_account_and_a_broken_hash_never_verify() {
        assert!(!verify(None, "\u{0}confab dummy\u{0}"));
        assert!(!verify(Some("not a hash"), "x"));
    }
}

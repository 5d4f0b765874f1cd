//! TLS for any listener: the certificate and key loaded from PEM into a rustls acceptor
//! (TLS 1.2 and 1.3 only, ring provider), and a self-signed pair for local use.
//!
//! The handshake itself runs in the connection's own task (see `accept/serve.rs`), so a slow or
//! hostile client never holds up the accept loop; after it, the TLS stream is just another
//! stream for the driver.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The names a `confab cert` certificate is for unless `--name` is given.
pub const DEFAULT_CERT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// The files `confab cert` writes, in its `--out` directory.
pub const CERT_FILE: &str = "confab-cert.pem";
pub const KEY_FILE: &str = "confab-key.pem";
/// How long a `confab cert` certificate is valid; `confab cert --force` makes a new one.
pub const CERT_VALID_DAYS: i64 = 365;

/// Each message names its cause itself, so no variant also returns it as `source()`:
/// `confab: {error:#}` would print it a second time (issue 15 #7).
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS certificate {path}: {cause}")]
    ReadCert { path: String, cause: std::io::Error },
    #[error("cannot read TLS certificate {path}: {reason}")]
    BadCert { path: String, reason: String },
    #[error("cannot read TLS key {path}: {cause}")]
    ReadKey { path: String, cause: std::io::Error },
    #[error("cannot read TLS key {path}: {reason}")]
    BadKey { path: String, reason: String },
    #[error("cannot use TLS certificate {cert} with key {key}: {cause}")]
    Mismatch {
        cert: String,
        key: String,
        cause: rustls::Error,
    },
    #[error("cannot make a certificate: {0}")]
    Generate(rcgen::Error),
    #[error("{} already exists (use --force to replace it)", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// By hand rather than `#[from]`, which would make the error the `source()` too.
impl From<rcgen::Error> for TlsError {
    fn from(cause: rcgen::Error) -> Self {
        TlsError::Generate(cause)
    }
}

/// Loads the certificate chain (leaf first) and its private key, both PEM, into an
/// acceptor that speaks TLS 1.2 and 1.3 with rustls's safe default cipher suites.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let cert_path = cert.display().to_string();
    let key_path = key.display().to_string();
    let pem = std::fs::read(cert).map_err(|cause| TlsError::ReadCert {
        path: cert_path.clone(),
        cause,
    })?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::BadCert {
            path: cert_path.clone(),
            reason: error.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::BadCert {
            path: cert_path,
            reason: "no PEM certificate in it (-----BEGIN CERTIFICATE-----)".into(),
        });
    }
    let pem = std::fs::read(key).map_err(|cause| TlsError::ReadKey {
        path: key_path.clone(),
        cause,
    })?;
    let private_key = PrivateKeyDer::from_pem_slice(&pem).map_err(|error| TlsError::BadKey {
        path: key_path.clone(),
        reason: match error {
            rustls_pki_types::pem::Error::NoItemsFound => {
                "no PEM private key in it (-----BEGIN PRIVATE KEY-----)".into()
            }
            other => other.to_string(),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .and_then(|builder| {
            builder
                .with_no_client_auth()
                .with_single_cert(chain, private_key)
        })
        .map_err(|cause| TlsError::Mismatch {
            cert: cert_path,
            key: key_path,
            cause,
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A self-signed certificate and its private key, both PEM.
pub struct SelfSigned {
    pub cert_pem: String,
    pub key_pem: String,
}

/// Makes a self-signed ECDSA P-256 certificate for `names` (host names or IP addresses),
/// valid from a day ago (clocks differ) for [`CERT_VALID_DAYS`].
pub fn self_signed(names: &[String]) -> Result<SelfSigned, TlsError> {
    let mut params = rcgen::CertificateParams::new(names.to_vec())?;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(CERT_VALID_DAYS);
    let mut subject = rcgen::DistinguishedName::new();
    let common = names.first().map(String::as_str).unwrap_or("confab");
    subject.push(rcgen::DnType::CommonName, common);
    subject.push(rcgen::DnType::OrganizationName, "confab self-signed");
    params.distinguished_name = subject;
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(SelfSigned {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Writes a new self-signed pair into `dir` as [`CERT_FILE`] and [`KEY_FILE`] (the key
/// readable by its owner only) and returns their paths. Existing files are an error
/// unless `force`; nothing is written when either exists.
pub fn write_self_signed(
    dir: &Path,
    names: &[String],
    force: bool,
) -> Result<(PathBuf, PathBuf), TlsError> {
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    if !force {
        for path in [&cert_path, &key_path] {
            if path.exists() {
                return Err(TlsError::Exists(path.clone()));
            }
        }
    }
    let pair = self_signed(names)?;
    std::fs::create_dir_all(dir).map_err(|cause| TlsError::Write {
        path: dir.to_path_buf(),
        cause,
    })?;
    write_file(&key_path, &pair.key_pem, force, true)?;
    write_file(&cert_path, &pair.cert_pem, force, false)?;
    Ok((cert_path, key_path))
}

/// Writes `text` to `path`; `create_new` unless `force`, so a file that appeared since the
/// check is still not overwritten. A private file gets mode 0600 even when it existed.
fn write_file(path: &Path, text: &str, force: bool, private: bool) -> Result<(), TlsError> {
    let failed = |cause| TlsError::Write {
        path: path.to_path_buf(),
        cause,
    };
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            TlsError::Exists(path.to_path_buf())
        } else {
            failed(error)
        }
    })?;
    #[cfg(unix)]
    if private {
        // `mode` applies only on creation; a forced overwrite must tighten an old file too.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// The shell-quoted path, for the `confab serve` line `confab cert` prints.
pub fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,@%".contains(c));
    if plain {
        return text;
    }
    let mut quoted = String::from("'");
    for c in text.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("confab-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_generated_pair_loads_and_mismatched_files_do_not() {
        let dir = temp_dir("pair");
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let (cert, key) = write_self_signed(&dir, &names, false).unwrap();
        acceptor(&cert, &key).unwrap();

        // A second pair elsewhere: its key does not belong to the first certificate.
        let other = dir.join("other");
        let (_, other_key) = write_self_signed(&other, &names, false).unwrap();
        let err = acceptor(&cert, &other_key).err().unwrap().to_string();
        assert!(err.starts_with("cannot use TLS certificate"), "{err}");

        // The key where the certificate should be, and the other way round.
        let err = acceptor(&key, &key).err().unwrap().to_string();
        assert!(err.contains("no PEM certificate"), "{err}");
        let err = acceptor(&cert, &cert).err().unwrap().to_string();
        assert!(err.contains("no PEM private key"), "{err}");
        let err = acceptor(&dir.join("none.pem"), &key)
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("cannot read TLS certificate"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn existing_files_are_kept_unless_forced() {
        let dir = temp_dir("force");
        let names = vec!["localhost".to_string()];
        let (cert, key) = write_self_signed(&dir, &names, false).unwrap();
        let before = std::fs::read(&cert).unwrap();
        let err = write_self_signed(&dir, &names, false).err().unwrap();
        assert!(matches!(err, TlsError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&cert).unwrap(), before);
        write_self_signed(&dir, &names, true).unwrap();
        assert_ne!(std::fs::read(&cert).unwrap(), before);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(shell_word(Path::new("./a/b.pem")), "./a/b.pem");
        assert_eq!(shell_word(Path::new("my dir/it's")), "'my dir/it'\\''s'");
    }
}

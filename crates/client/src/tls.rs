//! TLS for `confab connect --tls` (issue 15 #12): the roots a server's certificate is
//! checked against (the system's, plus `--ca FILE`), the handshake, and its failures in
//! words a user can act on (`invalid peer certificate: UnknownIssuer (...--ca FILE)`).

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// Why TLS could not be set up before connecting. Each message names its cause itself,
/// so none is also a `source()` (`confab: {error:#}` would print it twice).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read CA file {path}: {reason}")]
    ReadCa { path: String, reason: String },
    #[error("cannot read CA file {path}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)")]
    EmptyCa { path: String },
    #[error("cannot use CA file {path}: {reason}")]
    BadCa { path: String, reason: String },
    #[error("cannot set up TLS: {0}")]
    Config(String),
    #[error(
        "no trusted root certificates: none found on this system; \
         give the server's certificate with --ca FILE"
    )]
    NoRoots,
}

/// A connector trusting the system's roots and, when given, every certificate in `ca`
/// (a self-signed server's own certificate, or a private CA). The system's roots that
/// cannot be read are skipped: `--ca` alone must work on a machine without any.
pub fn connector(ca: Option<&Path>) -> Result<TlsConnector, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (_, _) = roots.add_parsable_certificates(native.certs);
    if let Some(path) = ca {
        for cert in read_ca(path)? {
            roots.add(cert).map_err(|error| TlsSetupError::BadCa {
                path: path.display().to_string(),
                reason: error.to_string(),
            })?;
        }
    }
    if roots.is_empty() {
        return Err(TlsSetupError::NoRoots);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|error| TlsSetupError::Config(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Every certificate in the PEM file at `path`; none is an error.
fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|error| TlsSetupError::ReadCa {
        path: shown.clone(),
        reason: crate::transport::describe(&error),
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsSetupError::ReadCa {
            path: shown.clone(),
            reason: error.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::EmptyCa { path: shown });
    }
    Ok(certs)
}

/// The host part of `HOST:PORT` (`[::1]:6697` is `::1`), the name the certificate must
/// be for.
pub fn host_of(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    addr.rsplit_once(':').map_or(addr, |(host, _)| host)
}

/// Runs the handshake over `tcp` for the server at `addr`; the error is the reason in
/// plain words, for "cannot connect to ADDR over TLS: REASON".
pub async fn handshake(
    connector: &TlsConnector,
    addr: &str,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, String> {
    let host = host_of(addr);
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| format!("{host:?} is not a host name or IP address a certificate can name"))?;
    connector
        .connect(name, tcp)
        .await
        .map_err(|error| explain(&error))
}

/// A handshake failure as a reason. rustls's own words are kept (they name the check that
/// failed) with a hint where the remedy is not obvious.
pub fn explain(error: &io::Error) -> String {
    use rustls::{CertificateError, Error};
    let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<Error>()) else {
        return match error.kind() {
            io::ErrorKind::UnexpectedEof => {
                "the server closed the connection during the TLS handshake \
                 (is this a TLS port?)"
                    .to_owned()
            }
            _ => crate::transport::describe(error),
        };
    };
    match tls {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "{tls} (the certificate is not signed by a trusted authority; if the server's \
             is self-signed, give it with --ca FILE)"
        ),
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("{tls} (connect with a host name the certificate is for)"),
        Error::InvalidMessage(_) | Error::InappropriateMessage { .. } => {
            format!("the server does not speak TLS here (is this a plain port?): {tls}")
        }
        _ => tls.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_is_the_name_before_the_port() {
        assert_eq!(host_of("127.0.0.1:6697"), "127.0.0.1");
        assert_eq!(host_of("chat.example.org:6697"), "chat.example.org");
        assert_eq!(host_of("[::1]:6697"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("confab-client-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let error = connector(Some(&path)).err().unwrap().to_string();
        assert!(error.contains("no PEM certificate in it"), "{error}");
        let missing = dir.join("missing.pem");
        let error = connector(Some(&missing)).err().unwrap().to_string();
        let prefix = format!("cannot read CA file {}: ", missing.display());
        assert!(error.starts_with(&prefix), "{error}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn certificate_failures_keep_rustls_words_and_add_the_remedy() {
        let unknown = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let text = explain(&unknown);
        assert!(
            text.starts_with("invalid peer certificate: UnknownIssuer (") && text.contains("--ca"),
            "{text}"
        );
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert!(explain(&eof).contains("is this a TLS port?"));
    }
}

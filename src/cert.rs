//! `confab cert`: a self-signed TLS certificate and key for local use.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
pub struct CertArgs {
    /// The directory to write `confab-cert.pem` and `confab-key.pem` into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    out: PathBuf,
    /// A host name or IP address the certificate is for. Repeatable
    /// (default: localhost, 127.0.0.1 and ::1).
    #[arg(long = "name", value_name = "HOST")]
    names: Vec<String>,
    /// Replace existing files.
    #[arg(long)]
    force: bool,
}

/// Writes a self-signed pair and says how to serve with it.
pub fn cert(args: CertArgs) -> anyhow::Result<ExitCode> {
    use confab_server::tls;
    let names = if args.names.is_empty() {
        tls::DEFAULT_CERT_NAMES.map(String::from).to_vec()
    } else {
        args.names
    };
    let (cert, key) = tls::write_self_signed(&args.out, &names, args.force)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "wrote {} (self-signed, for {}; valid {} days)",
        cert.display(),
        names.join(", "),
        tls::CERT_VALID_DAYS
    )?;
    writeln!(stdout, "wrote {} (private key, mode 0600)", key.display())?;
    writeln!(
        stdout,
        "serve with: confab serve --listen irc+tls=0.0.0.0:6697 --tls-cert {} --tls-key {}",
        tls::shell_word(&cert),
        tls::shell_word(&key)
    )?;
    Ok(ExitCode::SUCCESS)
}

//! The sidecar's own TLS (rustls through salvo): the certificate, key and client CA
//! files of `[tls]` read into a salvo `RustlsConfig`, checked before use.
//!
//! salvo's listener takes a stream of configurations and swaps the acceptor for
//! the next connections when one arrives; connections already open keep theirs.
//! [`crate::reload`] feeds that stream when the files change or on SIGHUP.

use std::path::Path;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use salvo::conn::rustls::{Keycert, RustlsConfig, ServerConfig};

use crate::config::TlsConfig;

/// Why the TLS files cannot be used. Never holds key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read (or, for the key, others may read it).
    #[error("tls.{key}: {reason}")]
    File {
        /// `cert_file`, `key_file` or `client_ca_file`.
        key: &'static str,
        /// The cause, naming the file.
        reason: String,
    },
    /// The files do not make a usable configuration (not PEM, key and certificate
    /// that do not match, no CA certificate...).
    #[error("tls: the files do not make a TLS configuration: {0}")]
    Invalid(String),
}

fn read(key: &'static str, path: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::File {
        key,
        reason: format!("cannot read {path}: {e}"),
    })
}

/// Reads the files of `[tls]` into a configuration salvo can serve with.
pub fn load(tls: &TlsConfig) -> Result<RustlsConfig, TlsError> {
    let cert = read("cert_file", &tls.cert_file)?;
    let key = genesys_aht_config::read_private_file(Path::new(&tls.key_file))
        .map_err(|e| TlsError::File {
            key: "key_file",
            reason: e.to_string(),
        })?
        .into_bytes();
    let mut config = RustlsConfig::new(Keycert::new().cert(cert).key(key));
    if let Some(ca) = &tls.client_ca_file {
        config = config.client_auth_required(read("client_ca_file", ca)?);
    }
    check(&config)?;
    Ok(config)
}

/// Builds the rustls configuration once, so a mistake is reported here, naming the
/// files, rather than by the listener at the next connection.
fn check(config: &RustlsConfig) -> Result<(), TlsError> {
    let built: Result<ServerConfig, std::io::Error> = config.clone().try_into();
    built.map_err(|e| TlsError::Invalid(e.to_string()))?;
    match &config.fallback {
        Some(keycert) => check_pair(&keycert.cert, &keycert.key),
        None => Err(TlsError::Invalid("no certificate".into())),
    }
}

/// salvo does not check that the key belongs to the certificate, and a wrong pair
/// would fail every handshake; rustls compares their public keys.
fn check_pair(cert: &[u8], key: &[u8]) -> Result<(), TlsError> {
    let certs = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid(format!("cert_file: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| TlsError::Invalid(format!("key_file: {e}")))?;
    let provider = salvo::conn::rustls::default_crypto_provider();
    CertifiedKey::from_der(certs, key, &provider)
        .map(drop)
        .map_err(|e| TlsError::Invalid(format!("key_file and cert_file: {e}")))
}

//! The TLS side of `sip.tls`: reads the PEM certificate chain and key named in the config and
//! builds the rustls acceptor; a missing or unusable file stops `serve` with a sentence that
//! names it and says how to make one.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;
use crate::error::HotlineError;

const MAKE_ONE: &str = "make one with: openssl req -x509 -newkey rsa:2048 -nodes -days 365 \
     -subj /CN=hotline -keyout key.pem -out cert.pem (a test certificate; phones must be told \
     to trust it), or use your CA's";

fn refused(path: &Path, field: &str, what: String) -> HotlineError {
    HotlineError::Config {
        file: path.display().to_string(),
        field: field.to_string(),
        reason: format!("{what}; {MAKE_ONE}"),
    }
}

/// The acceptor for `sip.tls`, from its certificate chain and key.
pub fn acceptor(config: &TlsConfig) -> Result<TlsAcceptor, HotlineError> {
    let cert_pem = std::fs::read(&config.cert).map_err(|e| {
        refused(
            &config.cert,
            "sip.tls.cert",
            format!("cannot be read ({e})"),
        )
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            refused(
                &config.cert,
                "sip.tls.cert",
                format!("is not a PEM certificate ({e})"),
            )
        })?;
    if certs.is_empty() {
        return Err(refused(
            &config.cert,
            "sip.tls.cert",
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    let key_pem = std::fs::read(&config.key)
        .map_err(|e| refused(&config.key, "sip.tls.key", format!("cannot be read ({e})")))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        refused(
            &config.key,
            "sip.tls.key",
            format!("holds no PEM private key ({e})"),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| {
            refused(
                &config.cert,
                "sip.tls.cert",
                format!("does not go with the key in {} ({e})", config.key.display()),
            )
        })?;
    Ok(TlsAcceptor::from(Arc::new(server)))
}

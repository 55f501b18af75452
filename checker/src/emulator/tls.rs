//! A certificate authority made at start-up, so that Lambdas which build their
//! management client from `https://{domainName}/{stage}` reach the emulator
//! over TLS without any change to their code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::EmulatorError;

/// Where common distributions keep their CA bundle; appended to ours so a
/// Lambda that also talks to a real HTTPS service still trusts it.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

pub(crate) struct LocalTls {
    pub(crate) acceptor: TlsAcceptor,
    /// PEM bundle the Lambdas get as `SSL_CERT_FILE`.
    pub(crate) ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl LocalTls {
    pub(crate) fn generate() -> Result<Self, EmulatorError> {
        let tls_error = |e: rcgen::Error| EmulatorError::Tls(e.to_string());
        let ca_key = KeyPair::generate().map_err(tls_error)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "checker local API Gateway CA");
        let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_error)?;
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().map_err(tls_error)?;
        let mut leaf_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(tls_error)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let leaf_cert = leaf_params
            .signed_by(&leaf_key, &issuer)
            .map_err(tls_error)?;

        let dir = tempfile::Builder::new()
            .prefix("checker-ca-")
            .tempdir()
            .map_err(|e| EmulatorError::Tls(format!("cannot create a temporary folder: {e}")))?;
        let ca_file = dir.path().join("ca-bundle.pem");
        write_bundle(&ca_file, &ca_cert.pem())
            .map_err(|e| EmulatorError::Tls(format!("cannot write {}: {e}", ca_file.display())))?;

        let chain = vec![
            CertificateDer::from(leaf_cert.der().to_vec()),
            CertificateDer::from(ca_cert.der().to_vec()),
        ];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| EmulatorError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| EmulatorError::Tls(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_file,
            _dir: dir,
        })
    }
}

fn write_bundle(path: &Path, ca_pem: &str) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(ca_pem.as_bytes())?;
    if let Some(system) = SYSTEM_BUNDLES
        .iter()
        .find_map(|bundle| std::fs::read(bundle).ok())
    {
        file.write_all(b"\n")?;
        file.write_all(&system)?;
    }
    Ok(())
}

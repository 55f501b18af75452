//! A certificate authority, so that Lambdas which build their management
//! client from `https://{domainName}/{stage}` reach the emulator over TLS
//! without any change to their code.
//!
//! The authority's key is made once per user and kept in the user's cache
//! folder (`$XDG_CACHE_HOME/checker`, else `~/.cache/checker`; macOS
//! `~/Library/Caches/checker`), with the bundle the Lambdas get as
//! `SSL_CERT_FILE`. Every run, and every emulator running at once, reuses
//! them and signs a fresh certificate for `127.0.0.1`: a run leaves nothing
//! behind however it ends (SIGKILL included). Without a cache folder it
//! falls back to a temporary folder removed when the emulator is dropped,
//! named with the process's id: a run killed outright leaves its folder,
//! which the next run without a cache folder removes once that process is gone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// Where common distributions keep their CA bundle; appended to ours so a
/// Lambda that also talks to a real HTTPS service still trusts it.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];
const KEY_FILE: &str = "ca-key.pem";
const BUNDLE_FILE: &str = "ca-bundle.pem";

pub(crate) struct LocalTls {
    pub(crate) acceptor: TlsAcceptor,
    /// PEM bundle the Lambdas get as `SSL_CERT_FILE`.
    pub(crate) ca_file: PathBuf,
    /// Only without a cache folder: removed on drop.
    _scratch: Option<tempfile::TempDir>,
}

/// Why the certificate could not be set up, in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TlsError(String);

fn tls_error(error: impl std::fmt::Display) -> TlsError {
    TlsError(error.to_string())
}

impl LocalTls {
    pub(crate) fn generate() -> Result<Self, TlsError> {
        let (ca_key, ca_file, scratch) = match cache_dir() {
            Some(dir) => {
                let key = stored_key(&dir).map_err(|e| {
                    tls_error(format!(
                        "cannot keep the local CA in {}: {e}",
                        dir.display()
                    ))
                })?;
                (key, dir.join(BUNDLE_FILE), None)
            }
            None => {
                remove_folders_of_ended_runs(&std::env::temp_dir());
                let dir = tempfile::Builder::new()
                    .prefix(&format!("{SCRATCH_PREFIX}{}-", std::process::id()))
                    .tempdir()
                    .map_err(|e| tls_error(format!("cannot create a temporary folder: {e}")))?;
                let key = KeyPair::generate().map_err(tls_error)?;
                (key, dir.path().join(BUNDLE_FILE), Some(dir))
            }
        };
        let ca_params = ca_params()?;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_error)?;
        write_bundle(&ca_file, &bundle_tag(&ca_key), &ca_cert.pem())
            .map_err(|e| tls_error(format!("cannot write {}: {e}", ca_file.display())))?;
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

        // The leaf alone: clients hold the authority (with its key, subject
        // and key identifier, whichever run wrote the bundle) as a root.
        let chain = vec![CertificateDer::from(leaf_cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(tls_error)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_file,
            _scratch: scratch,
        })
    }
}

/// The authority's certificate: the same subject and key every run, so a
/// bundle written by any run trusts the certificates of all.
fn ca_params() -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
        .distinguished_name
        .push(DnType::CommonName, "checker local API Gateway CA");
    Ok(params)
}

/// A temporary CA folder's name: this prefix, the process id, `-`, random.
const SCRATCH_PREFIX: &str = "checker-ca-";

/// Removes the temporary CA folders in `temp` of processes that no longer
/// run (killed before they could remove their own).
fn remove_folders_of_ended_runs(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|name| name.strip_prefix(SCRATCH_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        // Without /proc (not Linux) nothing is known to have ended: keep it.
        let ended = pid.is_some_and(|pid| {
            Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
        });
        if ended {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn cache_dir() -> Option<PathBuf> {
    let non_empty = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(cache) = non_empty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(cache).join("checker"));
    }
    let home = PathBuf::from(non_empty("HOME")?);
    if cfg!(target_os = "macos") {
        Some(home.join("Library/Caches/checker"))
    } else {
        Some(home.join(".cache/checker"))
    }
}

/// The user's authority key, made on first use. Emulators starting at once
/// may each make one: the first linked into place wins, and all use it.
fn stored_key(dir: &Path) -> Result<KeyPair, Box<dyn std::error::Error>> {
    let path = dir.join(KEY_FILE);
    if let Ok(pem) = std::fs::read_to_string(&path)
        && let Ok(key) = KeyPair::from_pem(&pem)
    {
        return Ok(key);
    }
    create_private_dir(dir)?;
    let fresh = KeyPair::generate()?;
    let scratch = tempfile::Builder::new()
        .prefix(".ca-key-")
        .tempfile_in(dir)?;
    scratch
        .as_file()
        .write_all(fresh.serialize_pem().as_bytes())?;
    scratch.as_file().sync_all()?;
    // A link fails if another run has stored its key first; a damaged file
    // (read above, unparsable) is replaced.
    if std::fs::hard_link(scratch.path(), &path).is_err() {
        let stored = std::fs::read_to_string(&path).ok();
        if stored
            .as_deref()
            .and_then(|pem| KeyPair::from_pem(pem).ok())
            .is_none()
        {
            scratch.persist(&path)?;
        }
    }
    Ok(KeyPair::from_pem(&std::fs::read_to_string(&path)?)?)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The bundle's first line, naming the key its authority has (PEM readers
/// skip text outside the certificates).
fn bundle_tag(ca_key: &KeyPair) -> String {
    let fingerprint: String = ca_key
        .public_key_raw()
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("# checker local API Gateway CA, key {fingerprint}\n")
}

/// Writes the bundle (the authority, then the system's roots) unless the
/// file already holds one for the same key and system roots: emulators that
/// start together rewrite it in turn, each write whole (a rename), so a
/// Lambda reading it never sees half a file.
fn write_bundle(path: &Path, tag: &str, ca_pem: &str) -> std::io::Result<()> {
    let system = SYSTEM_BUNDLES
        .iter()
        .find_map(|bundle| std::fs::read(bundle).ok())
        .unwrap_or_default();
    if let Ok(existing) = std::fs::read(path)
        && existing.starts_with(tag.as_bytes())
        && existing.ends_with(&system)
        && existing.len() > tag.len() + system.len()
    {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut scratch = tempfile::Builder::new()
        .prefix(".ca-bundle-")
        .tempfile_in(dir)?;
    scratch.write_all(tag.as_bytes())?;
    scratch.write_all(ca_pem.as_bytes())?;
    if !system.is_empty() {
        scratch.write_all(b"\n")?;
        scratch.write_all(&system)?;
    }
    scratch.as_file().sync_all()?;
    #[cfg(unix)]
    std::fs::set_permissions(
        scratch.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )?;
    scratch.persist(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_reused() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let cache = dir.path().join("checker");
        let first = stored_key(&cache).expect("made");
        let again = stored_key(&cache).expect("read");
        assert_eq!(first.serialize_pem(), again.serialize_pem());
        let entries: Vec<_> = std::fs::read_dir(&cache)
            .expect("the folder exists")
            .map(|entry| entry.expect("an entry").file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from(KEY_FILE)]);
    }

    #[test]
    fn a_bundle_for_the_same_system_roots_is_kept() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let path = dir.path().join(BUNDLE_FILE);
        let key = KeyPair::generate().expect("a key");
        let pem = ca_params()
            .expect("params")
            .self_signed(&key)
            .expect("signed")
            .pem();
        let tag = bundle_tag(&key);
        write_bundle(&path, &tag, &pem).expect("written");
        let written = std::fs::read(&path).expect("readable");
        let other = ca_params()
            .expect("params")
            .self_signed(&key)
            .expect("signed")
            .pem();
        write_bundle(&path, &tag, &other).expect("kept");
        assert_eq!(std::fs::read(&path).expect("readable"), written);
        let new_key = KeyPair::generate().expect("a key");
        write_bundle(&path, &bundle_tag(&new_key), &other).expect("replaced");
        assert_ne!(std::fs::read(&path).expect("readable"), written);
    }
}

//! Identifiers in the style of API Gateway's.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

/// 16 characters of base64 ending in `=`, like `R1kmxc2VNjMCFIA=`: 11 random bytes.
/// Random, so one client cannot guess another's id.
pub(crate) fn connection_id() -> String {
    let bytes: [u8; 11] = rand::rng().random();
    STANDARD.encode(bytes)
}

/// Request ids have the same shape as connection ids.
pub(crate) fn request_id() -> String {
    connection_id()
}

/// Lambda's own request ids are UUIDs; they travel in Runtime API paths.
pub(crate) fn lambda_request_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// 128 random bits as 32 hex digits: a capability only its holder knows.
pub(crate) fn secret() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 10 lower-case alphanumerics, like `abcd123456`.
pub(crate) fn api_id() -> String {
    Alphanumeric
        .sample_string(&mut rand::rng(), 10)
        .to_ascii_lowercase()
}

/// `Root=1-<8 hex>-<24 hex>`, the X-Ray trace header.
pub(crate) fn trace_id() -> String {
    let mut rng = rand::rng();
    let epoch = chrono::Utc::now().timestamp();
    let random: [u8; 12] = rng.random();
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("Root=1-{epoch:08x}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_look_like_aws() {
        let id = connection_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('=') && !id.ends_with("=="), "{id}");
        assert_ne!(id, connection_id());
    }

    #[test]
    fn api_ids_are_ten_lower_case_alphanumerics() {
        let id = api_id();
        assert_eq!(id.len(), 10);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        );
    }
}

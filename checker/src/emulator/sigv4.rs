//! A request's SigV4 `Authorization` header, read once per request by the
//! service it reaches: whether the call is signed at all (AWS refuses an
//! unsigned one), and the credential that signed it, which names the calling
//! process ([`Callers`]) and, through it, the role IAM checks.
//!
//! `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/execute-api/aws4_request, …`.
//! The signature itself is not verified: the Lambdas hold dummy credentials.
//!
//! [`Callers`]: super::lambda::callers::Callers

use hyper::HeaderMap;
use hyper::header;

/// The scheme every SDK signs with.
const SCHEME: &str = "AWS4-HMAC-SHA256 ";

/// What a request's `Authorization` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Authorization {
    /// No SigV4 signature: AWS answers "Missing Authentication Token".
    Unsigned,
    /// Signed; the credential when the header names one in SigV4's form.
    Signed(Option<Credential>),
}

/// The signer and the scope of its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credential {
    pub(crate) access_key_id: String,
    /// The region and service of the credential scope.
    pub(crate) region: String,
    pub(crate) service: String,
}

impl Authorization {
    pub(crate) fn read(headers: &HeaderMap) -> Self {
        let parameters = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix(SCHEME));
        match parameters {
            None => Authorization::Unsigned,
            Some(parameters) => Authorization::Signed(credential(parameters)),
        }
    }

    pub(crate) fn is_signed(&self) -> bool {
        matches!(self, Authorization::Signed(_))
    }

    pub(crate) fn credential(&self) -> Option<&Credential> {
        match self {
            Authorization::Signed(credential) => credential.as_ref(),
            Authorization::Unsigned => None,
        }
    }
}

/// `Credential=AKID/DATE/REGION/SERVICE/aws4_request` among the parameters.
fn credential(parameters: &str) -> Option<Credential> {
    let credential = parameters
        .split(',')
        .map(str::trim)
        .find_map(|parameter| parameter.strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let access_key_id = scope.next().filter(|key| !key.is_empty())?;
    let (_date, region, service) = (scope.next()?, scope.next()?, scope.next()?);
    Some(Credential {
        access_key_id: access_key_id.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> Authorization {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        Authorization::read(&headers)
    }

    #[test]
    fn reads_the_signer_from_a_sigv4_header() {
        let signed = read(
            "AWS4-HMAC-SHA256 Credential=ASIAABCDEFGHIJKLMNOP/20240120/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        );
        assert_eq!(
            signed.credential(),
            Some(&Credential {
                access_key_id: "ASIAABCDEFGHIJKLMNOP".to_owned(),
                region: "eu-west-1".to_owned(),
                service: "execute-api".to_owned(),
            })
        );
        assert_eq!(read("Bearer x"), Authorization::Unsigned);
        assert_eq!(
            Authorization::read(&HeaderMap::new()),
            Authorization::Unsigned
        );
        // Signed, though with no credential the emulator can read: not a Lambda's.
        let odd = read("AWS4-HMAC-SHA256 Signature=abc");
        assert!(odd.is_signed());
        assert_eq!(odd.credential(), None);
    }
}

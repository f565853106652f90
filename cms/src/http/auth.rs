//! Credentials -> `Principal`: `Authorization: Bearer <token>` (the bootstrap token for now).

use poem::Request;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{ApiError, unauthorized};
use crate::principal::Principal;

/// Checks bearer tokens; holds only the SHA-256 of the bootstrap token.
#[derive(Clone)]
pub struct Authenticator {
    bootstrap_sha: Option<[u8; 32]>,
}

impl Authenticator {
    pub fn new(bootstrap_token: &str) -> Self {
        Authenticator {
            bootstrap_sha: (!bootstrap_token.is_empty())
                .then(|| Sha256::digest(bootstrap_token.as_bytes()).into()),
        }
    }

    /// No `Authorization` header: anonymous. A header that is not a valid token: 401.
    pub fn principal(&self, req: &Request) -> Result<Principal, ApiError> {
        let Some(header) = req.headers().get("authorization") else {
            return Ok(Principal::Anonymous);
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| unauthorized("expected `Authorization: Bearer <token>`"))?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(expected) = &self.bootstrap_sha
            && bool::from(digest.ct_eq(expected))
        {
            return Ok(Principal::Bootstrap);
        }
        Err(unauthorized("invalid or expired token"))
    }
}

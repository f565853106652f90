//! Shared response plumbing: query pairs, ETag/`If-None-Match`, `Cache-Control`.

use poem::Request;
use poem_openapi::ApiResponse;

use super::error::ApiError;
use super::payload::{JsonBytes, to_bytes};
use crate::content::view_etag;
use crate::principal::Principal;

/// A read answered with a body or with 304.
#[derive(ApiResponse)]
pub enum ReadResponse {
    /// The requested data.
    #[oai(status = 200)]
    Ok(
        JsonBytes,
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Vary")] String,
    ),
    /// Unchanged since the ETag given in If-None-Match.
    #[oai(status = 304)]
    NotModified(
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Vary")] String,
    ),
}

/// The query string as ordered pairs.
pub fn query_pairs(req: &Request) -> Result<Vec<(String, String)>, ApiError> {
    Ok(crate::content::query_pairs(
        req.uri().query().unwrap_or(""),
    )?)
}

fn if_none_match(req: &Request, etag: &str) -> bool {
    req.headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        })
}

/// Cache policy: anonymous readers get a short shared max-age; anyone signed in gets a
/// private response (it may hold members-only content).
pub fn cache_control(who: &Principal, public_max_age: u64) -> String {
    match who {
        Principal::Anonymous => format!("public, max-age={public_max_age}"),
        _ => "private, no-cache".to_owned(),
    }
}

/// Serve `body` with a strong ETag over its bytes, or 304 when the client has it.
pub fn read(req: &Request, body: &serde_json::Value, cache: String) -> ReadResponse {
    let bytes = to_bytes(body);
    let etag = view_etag(&bytes);
    rendered(req, bytes, etag, cache)
}

/// Serve an already rendered (possibly cached) body.
pub fn rendered(req: &Request, bytes: bytes::Bytes, etag: String, cache: String) -> ReadResponse {
    let vary = "Authorization".to_owned();
    if if_none_match(req, &etag) {
        ReadResponse::NotModified(etag, cache, vary)
    } else {
        ReadResponse::Ok(JsonBytes(bytes), etag, cache, vary)
    }
}

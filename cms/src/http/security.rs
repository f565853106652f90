//! Security headers on every response, with a Content-Security-Policy per kind of page, and
//! CORS for the front-end sites' origins (`[[sites]] origins`).

use poem::http::HeaderValue;
use poem::middleware::Cors;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// JSON and everything else: nothing may load, nobody may frame it.
const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
/// Swagger UI at `/docs` ships its script and styles inline.
const CSP_DOCS: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The admin UI (its own assets only).
const CSP_ADMIN: &str = "default-src 'self'; img-src 'self' data: blob:; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn csp_for(path: &str) -> &'static str {
    if path == "/docs" || path.starts_with("/docs/") {
        CSP_DOCS
    } else if path == "/admin" || path.starts_with("/admin/") {
        CSP_ADMIN
    } else {
        CSP_API
    }
}

pub struct SecurityHeaders;

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        SecurityHeadersEndpoint(ep)
    }
}

pub struct SecurityHeadersEndpoint<E>(E);

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let csp = csp_for(req.uri().path());
        let mut resp = match self.0.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let h = resp.headers_mut();
        h.insert("content-security-policy", HeaderValue::from_static(csp));
        h.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        h.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        Ok(resp)
    }
}

/// CORS for the configured site origins (installed only when a site lists one; without it
/// browsers keep other origins out). Bearer tokens, not cookies: no credentials mode.
pub fn cors(origins: &[String]) -> Cors {
    Cors::new()
        .allow_origins(origins.iter().map(String::as_str))
        .allow_methods(["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"])
        .allow_headers(["authorization", "content-type", "if-match", "if-none-match"])
        .expose_headers(["etag", "location", "retry-after"])
        .max_age(600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_page_gets_its_policy() {
        assert_eq!(csp_for("/api/v1/content/page"), CSP_API);
        assert_eq!(csp_for("/docs"), CSP_DOCS);
        assert_eq!(csp_for("/docs/index.js"), CSP_DOCS);
        assert_eq!(csp_for("/admin/"), CSP_ADMIN);
        assert_eq!(csp_for("/administrator"), CSP_API);
        for csp in [CSP_API, CSP_DOCS, CSP_ADMIN] {
            assert!(csp.contains("frame-ancestors 'none'"));
        }
    }
}

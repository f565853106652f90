//! Request body limits: 413 with the envelope above the configured size, chunked bodies included.

use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::error::ApiError;

pub struct BodyLimit {
    pub default_limit: usize,
    /// Paths (prefixes) with their own, larger limit and streamed bodies (import).
    pub streamed: Vec<(&'static str, usize)>,
    /// Paths (exact) with their own limit, read like ordinary bodies (plugin uploads).
    pub exact: Vec<(&'static str, usize)>,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            default_limit: self.default_limit,
            streamed: self.streamed.clone(),
            exact: self.exact.clone(),
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    default_limit: usize,
    streamed: Vec<(&'static str, usize)>,
    exact: Vec<(&'static str, usize)>,
}

fn too_large(limit: usize) -> Response {
    ApiError::new(
        poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!("the request body is larger than {limit} bytes"),
    )
    .into_response()
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let path = req.uri().path().to_owned();
        let streamed = self.streamed.iter().find(|(p, _)| path.starts_with(p));
        let exact = self.exact.iter().find(|(p, _)| path == *p).map(|(_, l)| *l);
        let limit = streamed
            .map(|(_, l)| *l)
            .or(exact)
            .unwrap_or(self.default_limit);
        let declared = req
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Ok(too_large(limit));
        }
        if streamed.is_none() && declared.is_none() && req.method() != poem::http::Method::GET {
            // A chunked body: read it here, up to the limit.
            let body = req.take_body();
            match body.into_bytes_limit(limit).await {
                Ok(bytes) => req.set_body(Body::from(bytes)),
                Err(_) => return Ok(too_large(limit)),
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

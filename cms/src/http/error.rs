//! The one error envelope: `{"error": {"code", "message", "details"}}` for every error,
//! poem's own (parse errors, 404/405, 413) included.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use serde::Serialize;

use crate::content;
use crate::schema::FieldError;

/// One failing part of a request.
#[derive(Debug, Clone, Serialize, Object)]
pub struct ErrorDetail {
    pub path: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    pub message: String,
    pub details: Vec<ErrorDetail>,
}

#[derive(Debug, Clone, Serialize, Object)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// An API error: a status and the envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorEnvelope,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorEnvelope {
                error: ErrorBody {
                    code: code.to_owned(),
                    message: message.into(),
                    details: Vec::new(),
                },
            },
            headers: Vec::new(),
        }
    }

    pub fn with_details(mut self, details: Vec<ErrorDetail>) -> Self {
        self.body.error.details = details;
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred",
        )
    }
}

fn details(errors: Vec<FieldError>) -> Vec<ErrorDetail> {
    errors
        .into_iter()
        .map(|e| ErrorDetail {
            path: e.path,
            code: e.code,
            message: e.message,
        })
        .collect()
}

impl From<content::Error> for ApiError {
    fn from(e: content::Error) -> Self {
        use content::Error as E;
        match e {
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such item"),
            E::UnknownType(t) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_type",
                format!("unknown content type `{t}`"),
            ),
            E::Validation(errors) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                format!("{} field(s) failed validation", errors.len()),
            )
            .with_details(details(errors)),
            E::BadRequest { code, message } => ApiError::bad_request(code, message),
            E::Unauthorized => unauthorized("credentials are required"),
            E::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            E::IllegalTransition { message, allowed } => {
                let allowed_list = allowed.join(", ");
                ApiError::new(
                    StatusCode::CONFLICT,
                    "illegal_transition",
                    format!("{message}; allowed now: [{allowed_list}]"),
                )
                .with_details(
                    allowed
                        .into_iter()
                        .map(|a| ErrorDetail {
                            path: "action".into(),
                            code: "allowed".into(),
                            message: a.to_owned(),
                        })
                        .collect(),
                )
            }
            E::PreconditionRequired => ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "if_match_required",
                "send If-Match with the item's ETag",
            ),
            E::PreconditionFailed { current } => {
                let mut err = ApiError::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale_etag",
                    "the item changed since you read it",
                );
                err.headers.push(("etag", current));
                err
            }
            E::WriteConflict => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "write_conflict",
                "the write kept conflicting with other writes; retry",
            ),
            E::Storage(m) => ApiError::internal(m),
        }
    }
}

pub fn unauthorized(message: &str) -> ApiError {
    let mut err = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message);
    err.headers.push(("www-authenticate", "Bearer".into()));
    err
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut resp = Response::builder()
            .status(self.status)
            .content_type("application/json; charset=utf-8")
            .body(body);
        for (name, value) in self.headers {
            if let Ok(v) = value.parse() {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

impl From<ApiError> for poem::Error {
    fn from(e: ApiError) -> Self {
        poem::Error::from_response(e.into_response())
    }
}

/// The statuses every operation may answer with.
const ERROR_STATUSES: [(u16, &str); 12] = [
    (400, "Bad syntax or parameter"),
    (401, "No or bad credentials"),
    (403, "Visible, but the action is not allowed"),
    (404, "Unknown or hidden"),
    (409, "Illegal state transition or item in use"),
    (412, "Stale If-Match"),
    (413, "Body too large"),
    (415, "Unsupported media type"),
    (422, "Validation failed"),
    (428, "If-Match required"),
    (429, "Rate limited"),
    (503, "Write conflict after retries, or not ready"),
];

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: ERROR_STATUSES
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: ErrorEnvelope::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ErrorEnvelope::register(registry);
    }
}

/// Map any error poem produced (routing, parsing, limits) to the envelope.
pub async fn catch_all(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let message = err.to_string();
    let (status, code) = if err.is::<poem_openapi::error::ParseRequestPayloadError>() {
        (StatusCode::BAD_REQUEST, "malformed_json")
    } else if err.is::<poem_openapi::error::ParseParamError>()
        || err.is::<poem_openapi::error::ParsePathError>()
    {
        (StatusCode::BAD_REQUEST, "invalid_parameter")
    } else if err.is::<poem_openapi::error::ContentTypeError>() {
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    } else {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::UNAUTHORIZED => "unauthorized",
            s if s.is_server_error() => "internal",
            _ => "error",
        };
        (status, code)
    };
    let message = if status.is_server_error() {
        tracing::error!(error = %message, "unhandled error");
        "an internal error occurred".to_owned()
    } else {
        message
    };
    ApiError::new(status, code, message).into_response()
}

//! Admin and operations endpoints: import, export, the audit log, health.

use poem::http::StatusCode;
use poem::{Body, Request};
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;
use tokio_util::io::StreamReader;

use super::ApiState;
use super::error::ApiError;
use super::payload::{JsonBytes, to_bytes};
use super::tags::ApiTags;
use futures::TryStreamExt;

#[derive(ApiResponse)]
pub enum ImportResponse {
    /// Per-line report: counts and every bad line with its number and reason.
    #[oai(status = 200)]
    Ok(JsonBytes),
}

#[derive(ApiResponse)]
pub enum ExportResponse {
    /// One JSON line per item, from one consistent read.
    #[oai(status = 200, content_type = "application/x-ndjson")]
    Ok(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
pub enum AuditResponse {
    /// Entries, newest first: `{"data": [...], "meta": {"next_cursor"}}`.
    #[oai(status = 200)]
    Ok(JsonBytes),
}

impl From<crate::audit::Error> for ApiError {
    fn from(e: crate::audit::Error) -> Self {
        use crate::audit::Error as E;
        match e {
            E::Unauthorized => super::error::unauthorized("credentials are required"),
            E::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the audit log is for admins",
            ),
            E::BadRequest { code, message } => ApiError::bad_request(code, message),
            E::Storage(m) => ApiError::internal(m),
        }
    }
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// Healthy.
    #[oai(status = 200)]
    Ok(Json<serde_json::Value>),
    /// Not ready.
    #[oai(status = 503)]
    Unavailable(Json<serde_json::Value>),
}

pub struct AdminApi(pub ApiState);

#[OpenApi]
impl AdminApi {
    /// Import JSONL (one item per line, `sys` kept); bad lines are reported, good ones kept.
    #[oai(
        path = "/api/v1/admin/import",
        method = "post",
        operation_id = "importContent",
        tag = "ApiTags::Admin"
    )]
    async fn import(&self, req: &Request, body: Binary<Body>) -> Result<ImportResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let stream = body.0.into_bytes_stream().map_err(std::io::Error::other);
        let reader = StreamReader::new(stream);
        let report = self.0.content.import(&who, reader).await?;
        let body = serde_json::to_value(&report).map_err(ApiError::internal)?;
        Ok(ImportResponse::Ok(JsonBytes(to_bytes(
            &json!({"data": body}),
        ))))
    }

    /// Export every item as JSONL (all types and locales).
    #[oai(
        path = "/api/v1/admin/export",
        method = "get",
        operation_id = "exportContent",
        tag = "ApiTags::Admin"
    )]
    async fn export(&self, req: &Request) -> Result<ExportResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let lines = self.0.content.export(&who).await?;
        let mut out = Vec::new();
        for line in lines {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        Ok(ExportResponse::Ok(Binary(out)))
    }

    /// The audit log (admins): every content write and auth event, newest first. Filters:
    /// `action` (exact, or a prefix ending in `.`), `actor`, `subject` (item, account or token
    /// id), `since`/`until` (RFC 3339), `limit` (1-500, default 50), `cursor`.
    #[oai(
        path = "/api/v1/audit",
        method = "get",
        operation_id = "listAudit",
        tag = "ApiTags::Admin"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        req: &Request,
        action: Query<Option<String>>,
        actor: Query<Option<String>>,
        subject: Query<Option<String>>,
        since: Query<Option<String>>,
        until: Query<Option<String>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> Result<AuditResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let q = crate::audit::AuditQuery {
            action: action.0,
            actor: actor.0,
            subject: subject.0,
            since: since.0,
            until: until.0,
            limit: limit.0,
            cursor: cursor.0,
        };
        let page = crate::audit::list(self.0.content.store(), &who, &q).await?;
        Ok(AuditResponse::Ok(JsonBytes(to_bytes(&json!({
            "data": page.entries, "meta": {"next_cursor": page.next_cursor}
        })))))
    }

    /// The process is up.
    #[oai(
        path = "/health/live",
        method = "get",
        operation_id = "healthLive",
        tag = "ApiTags::Admin"
    )]
    async fn live(&self) -> HealthResponse {
        HealthResponse::Ok(Json(json!({"status": "ok"})))
    }

    /// The database answers.
    #[oai(
        path = "/health/ready",
        method = "get",
        operation_id = "healthReady",
        tag = "ApiTags::Admin"
    )]
    async fn ready(&self) -> HealthResponse {
        let ping = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            self.0.content.store().ping(),
        )
        .await;
        if matches!(ping, Ok(true)) {
            HealthResponse::Ok(Json(json!({"status": "ready"})))
        } else {
            HealthResponse::Unavailable(Json(
                json!({"status": "unavailable", "reason": "database does not answer"}),
            ))
        }
    }
}

//! Credentials and accounts over HTTP: `Authorization: Bearer <token>` -> `Principal`,
//! `/api/v1/auth/login|logout|me` and `/api/v1/users`.

use std::net::IpAddr;

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::json;

use super::ApiState;
use super::error::{ApiError, unauthorized};
use super::payload::{JsonBytes, to_bytes};
use super::tags::ApiTags;
use crate::auth::{self, LoginRequest, NewUser};
use crate::principal::{Principal, Role};

/// The bearer token of a request: `None` without an `Authorization` header, 401 when the
/// header is not `Bearer <token>`.
pub fn bearer(req: &Request) -> Result<Option<&str>, ApiError> {
    let Some(header) = req.headers().get("authorization") else {
        return Ok(None);
    };
    header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or_else(|| unauthorized("expected `Authorization: Bearer <token>`"))
}

pub fn client_ip(req: &Request) -> Option<IpAddr> {
    req.remote_addr().as_socket_addr().map(|a| a.ip())
}

impl ApiState {
    /// Who is asking (anonymous without credentials; 401 for bad ones).
    pub async fn principal(&self, req: &Request) -> Result<Principal, ApiError> {
        Ok(self.auth.principal(bearer(req)?).await?)
    }
}

impl From<auth::Error> for ApiError {
    fn from(e: auth::Error) -> Self {
        use auth::Error as E;
        match e {
            E::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "invalid email or password",
            ),
            E::InvalidToken => unauthorized("invalid or expired token"),
            E::Unauthorized => unauthorized("credentials are required"),
            E::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            E::RateLimited { retry_after_secs } => {
                let mut err = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many attempts; try again in {retry_after_secs} s"),
                );
                err.headers
                    .push(("retry-after", retry_after_secs.to_string()));
                err
            }
            E::BadRequest { code, message } => ApiError::bad_request(code, message),
            E::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such account"),
            E::Config(m) | E::Storage(m) | E::Internal(m) => ApiError::internal(m),
        }
    }
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

/// `POST /api/v1/users`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewUserBody {
    pub email: String,
    #[oai(default)]
    pub name: String,
    /// admin, editor, contributor or member.
    pub role: String,
    /// At least 10 characters; omitted: a one-time password is generated and returned once.
    pub password: Option<String>,
}

#[derive(ApiResponse)]
pub enum Ok200 {
    #[oai(status = 200)]
    Ok(JsonBytes),
}

#[derive(ApiResponse)]
pub enum Created201 {
    #[oai(status = 201)]
    Created(JsonBytes),
}

#[derive(ApiResponse)]
pub enum NoContent204 {
    #[oai(status = 204)]
    NoContent,
}

pub struct AuthApi(pub ApiState);

fn data(value: impl serde::Serialize) -> Result<JsonBytes, ApiError> {
    let v = serde_json::to_value(value).map_err(ApiError::internal)?;
    Ok(JsonBytes(to_bytes(&json!({ "data": v }))))
}

pub fn parse_role(role: &str) -> Result<Role, ApiError> {
    serde_json::from_value(json!(role)).map_err(|_| {
        ApiError::bad_request(
            "invalid_role",
            format!("unknown role `{role}` (admin, editor, contributor, member)"),
        )
    })
}

#[OpenApi]
impl AuthApi {
    /// Sign in: a session token (shown once), its expiry and the user.
    #[oai(
        path = "/api/v1/auth/login",
        method = "post",
        operation_id = "login",
        tag = "ApiTags::Auth"
    )]
    async fn login(&self, req: &Request, body: Json<LoginBody>) -> Result<Ok200, ApiError> {
        let login = self
            .0
            .auth
            .login(LoginRequest {
                email: body.0.email,
                password: body.0.password,
                ip: client_ip(req),
            })
            .await?;
        Ok(Ok200::Ok(data(login)?))
    }

    /// End this session.
    #[oai(
        path = "/api/v1/auth/logout",
        method = "post",
        operation_id = "logout",
        tag = "ApiTags::Auth"
    )]
    async fn logout(&self, req: &Request) -> Result<NoContent204, ApiError> {
        let who = self.0.principal(req).await?;
        self.0
            .auth
            .logout(&who, bearer(req)?, client_ip(req))
            .await?;
        Ok(NoContent204::NoContent)
    }

    /// The signed-in user.
    #[oai(
        path = "/api/v1/auth/me",
        method = "get",
        operation_id = "me",
        tag = "ApiTags::Auth"
    )]
    async fn me(&self, req: &Request) -> Result<Ok200, ApiError> {
        let who = self.0.principal(req).await?;
        Ok(Ok200::Ok(data(self.0.auth.me(&who).await?)?))
    }

    /// All accounts (admins).
    #[oai(
        path = "/api/v1/users",
        method = "get",
        operation_id = "listUsers",
        tag = "ApiTags::Auth"
    )]
    async fn list_users(&self, req: &Request) -> Result<Ok200, ApiError> {
        let who = self.0.principal(req).await?;
        Ok(Ok200::Ok(data(self.0.auth.list_users(&who).await?)?))
    }

    /// Create an account (admins). Without `password` a one-time password is returned once.
    #[oai(
        path = "/api/v1/users",
        method = "post",
        operation_id = "createUser",
        tag = "ApiTags::Auth"
    )]
    async fn create_user(
        &self,
        req: &Request,
        body: Json<NewUserBody>,
    ) -> Result<Created201, ApiError> {
        let who = self.0.principal(req).await?;
        let b = body.0;
        let new = NewUser {
            email: b.email,
            name: b.name,
            role: parse_role(&b.role)?,
            password: b.password,
        };
        let ip = client_ip(req).map(|i| i.to_string());
        let (user, password) = self.0.auth.create_user(&who, new, ip).await?;
        let mut v = serde_json::to_value(&user).map_err(ApiError::internal)?;
        if let (Some(p), Some(obj)) = (password, v.as_object_mut()) {
            obj.insert("one_time_password".into(), json!(p));
        }
        Ok(Created201::Created(JsonBytes(to_bytes(
            &json!({"data": v}),
        ))))
    }
}

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
use crate::auth::{self, LoginRequest, NewToken, NewUser};
use crate::principal::{Principal, Role, TokenScope, Visibility};

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
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found"),
            E::Mail(m) => {
                tracing::error!(error = %m, "sending mail");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "mail_unavailable",
                    "the message could not be sent; try again later",
                )
            }
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

/// `POST /api/v1/tokens`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewTokenBody {
    pub name: String,
    /// `read` (published content) or `write` (manage content like an editor, within the scope).
    pub access: String,
    /// Content types it may touch; empty or omitted: all.
    #[oai(default)]
    pub types: Vec<String>,
    /// The one site it may touch; omitted: all.
    pub site: Option<String>,
    /// `public` (default) or `members`.
    pub visibility: Option<String>,
    /// RFC 3339; omitted: never expires.
    pub expires_at: Option<String>,
}

/// `POST /api/v1/users/invitations`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct InvitationBody {
    pub email: String,
    /// admin, editor, contributor or member.
    pub role: String,
    #[oai(default)]
    pub name: String,
}

/// Following an emailed link that sets a password (invitation or reset).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LinkPasswordBody {
    pub token: String,
    pub password: String,
}

/// Following an emailed sign-up link.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LinkBody {
    pub token: String,
}

/// `POST /api/v1/auth/reset`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetBody {
    pub email: String,
}

/// `POST /api/v1/auth/signup`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SignUpBody {
    pub email: String,
    pub password: String,
    #[oai(default)]
    pub name: String,
    pub site: String,
}

#[derive(ApiResponse)]
pub enum Accepted202 {
    /// Accepted: a message is on its way if the request can be honoured.
    #[oai(status = 202)]
    Accepted(JsonBytes),
}

fn accepted() -> Accepted202 {
    Accepted202::Accepted(JsonBytes(to_bytes(
        &json!({"data": {"status": "accepted"}}),
    )))
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

    /// Invite someone with a role (admins): the emailed link sets their password.
    #[oai(
        path = "/api/v1/users/invitations",
        method = "post",
        operation_id = "inviteUser",
        tag = "ApiTags::Auth"
    )]
    async fn invite(
        &self,
        req: &Request,
        body: Json<InvitationBody>,
    ) -> Result<Created201, ApiError> {
        let who = self.0.principal(req).await?;
        let role = parse_role(&body.0.role)?;
        let ip = client_ip(req).map(|i| i.to_string());
        let user = self
            .0
            .auth
            .invite(&who, &body.0.email, &body.0.name, role, ip)
            .await?;
        Ok(Created201::Created(data(user)?))
    }

    /// Accept an invitation: set the password; the account becomes active.
    #[oai(
        path = "/api/v1/auth/accept",
        method = "post",
        operation_id = "acceptInvitation",
        tag = "ApiTags::Auth"
    )]
    async fn accept(&self, body: Json<LinkPasswordBody>) -> Result<Ok200, ApiError> {
        let user = self
            .0
            .auth
            .accept_invitation(&body.0.token, &body.0.password)
            .await?;
        Ok(Ok200::Ok(data(user)?))
    }

    /// Ask for a password-reset link. The answer is the same whether or not the account exists.
    #[oai(
        path = "/api/v1/auth/reset",
        method = "post",
        operation_id = "requestPasswordReset",
        tag = "ApiTags::Auth"
    )]
    async fn reset(&self, req: &Request, body: Json<ResetBody>) -> Result<Accepted202, ApiError> {
        self.0
            .auth
            .request_reset(&body.0.email, client_ip(req))
            .await?;
        Ok(accepted())
    }

    /// Set a new password with a reset link; every session of the account ends.
    #[oai(
        path = "/api/v1/auth/reset/confirm",
        method = "post",
        operation_id = "confirmPasswordReset",
        tag = "ApiTags::Auth"
    )]
    async fn reset_confirm(&self, body: Json<LinkPasswordBody>) -> Result<Ok200, ApiError> {
        let user = self
            .0
            .auth
            .confirm_reset(&body.0.token, &body.0.password)
            .await?;
        Ok(Ok200::Ok(data(user)?))
    }

    /// Sign up as a member with an address of a school domain the site allows; the account is
    /// active once the emailed link is followed. Same answer whether or not the address exists.
    #[oai(
        path = "/api/v1/auth/signup",
        method = "post",
        operation_id = "signUp",
        tag = "ApiTags::Auth"
    )]
    async fn sign_up(
        &self,
        req: &Request,
        body: Json<SignUpBody>,
    ) -> Result<Accepted202, ApiError> {
        let b = body.0;
        self.0
            .auth
            .sign_up(&b.email, &b.name, &b.password, &b.site, client_ip(req))
            .await?;
        Ok(accepted())
    }

    /// Confirm a sign-up with the emailed link.
    #[oai(
        path = "/api/v1/auth/verify",
        method = "post",
        operation_id = "verifySignUp",
        tag = "ApiTags::Auth"
    )]
    async fn verify(&self, body: Json<LinkBody>) -> Result<Ok200, ApiError> {
        let user = self.0.auth.verify_sign_up(&body.0.token).await?;
        Ok(Ok200::Ok(data(user)?))
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

pub struct TokensApi(pub ApiState);

#[OpenApi]
impl TokensApi {
    /// Create an API token (admins). The secret is in the answer once and never again.
    #[oai(
        path = "/api/v1/tokens",
        method = "post",
        operation_id = "createToken",
        tag = "ApiTags::Auth"
    )]
    async fn create(
        &self,
        req: &Request,
        body: Json<NewTokenBody>,
    ) -> Result<Created201, ApiError> {
        let who = self.0.principal(req).await?;
        let b = body.0;
        let write = match b.access.as_str() {
            "read" => false,
            "write" => true,
            other => {
                return Err(ApiError::bad_request(
                    "invalid_access",
                    format!("`access` is `read` or `write`, not `{other}`"),
                ));
            }
        };
        let visibility = match b.visibility.as_deref() {
            None => Visibility::Public,
            Some(v) => Visibility::parse(v).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_visibility",
                    "`visibility` is `public` or `members`",
                )
            })?,
        };
        let new = NewToken {
            name: b.name,
            scope: TokenScope {
                write,
                types: b.types,
                site: b.site,
                visibility,
            },
            expires_at: b.expires_at,
        };
        let ip = client_ip(req).map(|i| i.to_string());
        let created = self.0.auth.create_token(&who, new, ip).await?;
        Ok(Created201::Created(data(created)?))
    }

    /// List API tokens (admins); secrets are never shown.
    #[oai(
        path = "/api/v1/tokens",
        method = "get",
        operation_id = "listTokens",
        tag = "ApiTags::Auth"
    )]
    async fn list(&self, req: &Request) -> Result<Ok200, ApiError> {
        let who = self.0.principal(req).await?;
        Ok(Ok200::Ok(data(self.0.auth.list_tokens(&who).await?)?))
    }

    /// Revoke an API token at once (admins).
    #[oai(
        path = "/api/v1/tokens/:id",
        method = "delete",
        operation_id = "revokeToken",
        tag = "ApiTags::Auth"
    )]
    async fn revoke(
        &self,
        req: &Request,
        id: poem_openapi::param::Path<String>,
    ) -> Result<NoContent204, ApiError> {
        let who = self.0.principal(req).await?;
        let ip = client_ip(req).map(|i| i.to_string());
        self.0.auth.revoke_token(&who, &id.0, ip).await?;
        Ok(NoContent204::NoContent)
    }
}

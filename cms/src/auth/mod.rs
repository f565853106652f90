//! Users, argon2id passwords, login sessions and login rate limits; turns a bearer token into
//! the request's [`Principal`]. Every auth event writes an audit entry in its own transaction.

mod limit;
mod links;
mod mail;
mod password;
mod sessions;
mod tokens;
mod users;

use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::SharedClock;
use crate::principal::Principal;
use crate::storage::Store;

pub use mail::MailOptions;
pub use password::Cost;
pub use sessions::{Login, LoginRequest};
pub use tokens::{ApiToken, CreatedToken, NewToken, TOKEN_PREFIX};
pub use users::{NewUser, User};

/// Errors of auth operations, each with one HTTP meaning (mapped by `http/`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Wrong email or password, or no such account: one answer for all, so accounts cannot be
    /// discovered.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("configuration: {0}")]
    Config(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("sending mail failed: {0}")]
    Mail(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<crate::storage::Error> for Error {
    fn from(e: crate::storage::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

/// What auth needs from the configuration.
#[derive(Debug, Clone)]
pub struct AuthOptions {
    pub bootstrap_token: String,
    pub admin_email: String,
    pub admin_password: String,
    pub session_ttl: chrono::Duration,
    pub recheck: chrono::Duration,
    pub cost: Cost,
    pub login_per_account_per_min: u32,
    pub login_per_ip_per_min: u32,
    /// Content types and sites that token scopes may name.
    pub types: Vec<String>,
    pub sites: Vec<String>,
    /// (site, email domain) pairs open to member sign-up.
    pub signup_domains: Vec<(String, String)>,
    pub invitation_ttl: chrono::Duration,
    pub reset_ttl: chrono::Duration,
    pub mail: MailOptions,
}

/// Authentication and accounts. Clones share one state.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: SharedClock,
    options: AuthOptions,
    bootstrap_sha: Option<[u8; 32]>,
    hasher: password::Hasher,
    limits: limit::LoginLimits,
    sessions: sessions::SessionCache,
    mailer: mail::Mailer,
}

/// Prefix of login session tokens (API tokens get their own), so a leaked token says what it is.
pub const SESSION_PREFIX: &str = "cms_s_";

impl Auth {
    pub fn new(store: Store, clock: SharedClock, options: AuthOptions) -> Result<Auth, Error> {
        let hasher = password::Hasher::new(options.cost)?;
        let mailer = mail::Mailer::new(&options.mail)?;
        let limits = limit::LoginLimits::new(
            options.login_per_account_per_min,
            options.login_per_ip_per_min,
        );
        let bootstrap_sha = (!options.bootstrap_token.is_empty())
            .then(|| Sha256::digest(options.bootstrap_token.as_bytes()).into());
        Ok(Auth {
            inner: Arc::new(Inner {
                store,
                clock,
                options,
                bootstrap_sha,
                hasher,
                limits,
                sessions: sessions::SessionCache::new(),
                mailer,
            }),
        })
    }

    /// The principal a bearer token stands for; `None` (no header) is anonymous.
    pub async fn principal(&self, bearer: Option<&str>) -> Result<Principal, Error> {
        let Some(token) = bearer else {
            return Ok(Principal::Anonymous);
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(expected) = &self.inner.bootstrap_sha
            && bool::from(digest.ct_eq(expected))
        {
            return Ok(Principal::Bootstrap);
        }
        let now = self.now();
        if let Some(p) = self
            .inner
            .sessions
            .lookup(&digest, now, self.inner.options.recheck)
        {
            return Ok(p);
        }
        if token.starts_with(SESSION_PREFIX) {
            return self.session_principal(&digest).await;
        }
        if token.starts_with(TOKEN_PREFIX) {
            return self.token_principal(&digest).await;
        }
        Err(Error::InvalidToken)
    }

    /// argon2 verifications since start (tests check that unknown accounts cost one too).
    pub fn password_verifications(&self) -> u64 {
        self.inner.hasher.verifications()
    }

    /// The row stored under a secret's digest in `table` (sessions, API tokens); none is 401.
    async fn stored_secret<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        digest: &[u8; 32],
    ) -> Result<T, Error> {
        let mut outcome = run_checked(
            self.store(),
            "SELECT * OMIT id FROM ONLY type::record($table, $key);",
            serde_json::json!({ "table": table, "key": token_key(digest) }),
        )
        .await?;
        let row = outcome
            .take(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        if row.is_null() {
            return Err(Error::InvalidToken);
        }
        serde_json::from_value(row).map_err(|e| Error::Storage(format!("a stored {table}: {e}")))
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }
}

/// `bytes` random bytes, base64url without padding.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Hex SHA-256 of a secret: the stored form of session and API tokens.
fn token_key(digest: &[u8; 32]) -> String {
    hex::encode(digest)
}

/// Run statements that must all succeed (one transaction when the text has BEGIN/COMMIT).
async fn run_checked(
    store: &Store,
    sql: &str,
    vars: serde_json::Value,
) -> Result<crate::storage::Outcome, Error> {
    let outcome = store.run(sql, vars).await?;
    match outcome.first_error() {
        None => Ok(outcome),
        Some(crate::storage::StatementError::Unique { .. }) => Err(Error::Conflict(
            "a user with this email already exists".into(),
        )),
        Some(e) => Err(Error::Storage(format!("{e:?}"))),
    }
}

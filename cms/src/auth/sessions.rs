//! Login sessions: opaque random tokens stored as SHA-256, expiring and revocable; login with
//! rate limits and one argon2 verification whether or not the account exists.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use quick_cache::sync::Cache;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::users::{User, normalize_email};
use super::{Auth, Error, SESSION_PREFIX, run_checked, token_key};
use crate::clock::{format_ts, parse_ts};
use crate::principal::Principal;

/// Sessions this node has checked recently, by token digest.
pub(super) struct SessionCache(Cache<[u8; 32], Cached>);

#[derive(Clone)]
struct Cached {
    principal: Principal,
    expires_at: DateTime<Utc>,
    checked_at: DateTime<Utc>,
}

const CACHED_SESSIONS: usize = 100_000;

impl SessionCache {
    pub(super) fn new() -> Self {
        SessionCache(Cache::new(CACHED_SESSIONS))
    }

    /// A principal checked less than `recheck` ago and not expired.
    pub(super) fn lookup(
        &self,
        digest: &[u8; 32],
        now: DateTime<Utc>,
        recheck: chrono::Duration,
    ) -> Option<Principal> {
        let c = self.0.get(digest)?;
        if now < c.expires_at && now - c.checked_at < recheck {
            return Some(c.principal);
        }
        self.0.remove(digest);
        None
    }

    pub(super) fn remember(
        &self,
        digest: [u8; 32],
        principal: Principal,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let cached = Cached {
            principal,
            expires_at,
            checked_at: now,
        };
        self.0.insert(digest, cached);
    }

    pub(super) fn forget(&self, digest: &[u8; 32]) {
        self.0.remove(digest);
    }

    pub(super) fn clear(&self) {
        self.0.clear();
    }
}

/// `POST /auth/login`.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    pub ip: Option<IpAddr>,
}

/// A new session: the token is shown once and stored only as its digest.
#[derive(Debug, Clone, Serialize)]
pub struct Login {
    pub token: String,
    pub expires_at: String,
    pub user: User,
}

#[derive(Debug, Deserialize)]
struct SessionRow {
    uid: String,
    expires_at: String,
}

impl Auth {
    /// Check the credentials and open a session. Unknown account, wrong password and disabled
    /// account all answer [`Error::InvalidCredentials`] after one argon2 verification.
    pub async fn login(&self, req: LoginRequest) -> Result<Login, Error> {
        let ip = req.ip.map(|i| i.to_string());
        let email = normalize_email(&req.email).unwrap_or_else(|_| req.email.trim().to_lowercase());
        if let Err(wait) = self.inner.limits.check(&email, req.ip) {
            self.audit(
                "auth.login_rate_limited",
                "anonymous",
                None,
                &email,
                ip.as_deref(),
            )
            .await?;
            return Err(Error::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        let row = self.user_by("email", &email).await?;
        let phc = row.as_ref().and_then(|r| r.password_hash.as_deref());
        let matches = self.inner.hasher.verify(&req.password, phc).await?;
        let user = match row {
            Some(r) if matches && r.status == "active" => r.user(),
            _ => {
                self.audit(
                    "auth.login_failed",
                    "anonymous",
                    None,
                    &email,
                    ip.as_deref(),
                )
                .await?;
                return Err(Error::InvalidCredentials);
            }
        };
        let token = format!("{SESSION_PREFIX}{}", super::random_token(32));
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = self.now();
        let expires_at = now + self.inner.options.session_ttl;
        let sql = "BEGIN; \
            CREATE type::record('session', $key) CONTENT $row RETURN NONE; \
            CREATE audit CONTENT $audit RETURN NONE; \
            COMMIT;";
        let actor = format!("user:{}", user.id);
        let vars = json!({
            "key": token_key(&digest),
            "row": {"uid": user.id, "created_at": format_ts(now),
                    "expires_at": format_ts(expires_at), "ip": ip},
            "audit": audit_row(now, "auth.login", &actor, Some(&user.id), &email, ip.as_deref()),
        });
        run_checked(self.store(), sql, vars).await?;
        Ok(Login {
            token,
            expires_at: format_ts(expires_at),
            user,
        })
    }

    /// End the session of `bearer` (a no-op for other kinds of credentials).
    pub async fn logout(
        &self,
        who: &Principal,
        bearer: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        let (Principal::User { id, .. }, Some(token)) = (who, bearer) else {
            return match who {
                Principal::Anonymous => Err(Error::Unauthorized),
                _ => Ok(()),
            };
        };
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Revoked on this node before the store confirms, so no request can slip in between.
        self.inner.sessions.forget(&digest);
        let sql = "BEGIN; \
            DELETE type::record('session', $key) RETURN NONE; \
            CREATE audit CONTENT $audit RETURN NONE; \
            COMMIT;";
        let ip = ip.map(|i| i.to_string());
        let vars = json!({
            "key": token_key(&digest),
            "audit": audit_row(self.now(), "auth.logout", &who.actor(), Some(id), "", ip.as_deref()),
        });
        run_checked(self.store(), sql, vars).await?;
        Ok(())
    }

    pub(super) async fn session_principal(&self, digest: &[u8; 32]) -> Result<Principal, Error> {
        let now = self.now();
        let row: SessionRow = self.stored_secret("session", digest).await?;
        let expires_at = parse_ts(&row.expires_at)
            .map_err(|e| Error::Storage(format!("a stored session: {e}")))?;
        if now >= expires_at {
            return Err(Error::InvalidToken);
        }
        let user = self
            .user_by("uid", &row.uid)
            .await?
            .filter(|u| u.status == "active")
            .ok_or(Error::InvalidToken)?;
        let principal = Principal::User {
            id: user.uid,
            role: user.role,
        };
        self.inner
            .sessions
            .remember(*digest, principal.clone(), expires_at, now);
        Ok(principal)
    }

    async fn audit(
        &self,
        action: &str,
        actor: &str,
        subject: Option<&str>,
        email: &str,
        ip: Option<&str>,
    ) -> Result<(), Error> {
        let row = audit_row(self.now(), action, actor, subject, email, ip);
        run_checked(
            self.store(),
            "CREATE audit CONTENT $a RETURN NONE;",
            json!({ "a": row }),
        )
        .await
        .map(|_| ())
    }
}

pub(super) fn audit_row(
    at: DateTime<Utc>,
    action: &str,
    actor: &str,
    subject: Option<&str>,
    email: &str,
    ip: Option<&str>,
) -> serde_json::Value {
    json!({"key": crate::audit::entry_key(), "at": format_ts(at), "actor": actor,
           "action": action, "subject": subject,
           "detail": {"email": email}, "ip": ip})
}

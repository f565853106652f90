//! API tokens: 256-bit random secrets stored as SHA-256, scoped (read/write, types, site,
//! visibility, expiry), shown once, listed and revoked by admins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::sessions::audit_row;
use super::users::require_admin;
use super::{Auth, Error, run_checked, token_key};
use crate::clock::{format_ts, parse_ts};
use crate::principal::{Principal, TokenScope};

/// Prefix of API tokens.
pub const TOKEN_PREFIX: &str = "cms_t_";

/// A token as listed (never the secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub scope: TokenScope,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
}

/// The stored row (`tid`: SurrealDB reserves `id`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRow {
    tid: String,
    name: String,
    scope: TokenScope,
    created_by: String,
    created_at: String,
    expires_at: Option<String>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.tid,
            name: r.name,
            scope: r.scope,
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub scope: TokenScope,
    pub expires_at: Option<String>,
}

/// A new token with its secret, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: ApiToken,
    pub token: String,
}

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::BadRequest {
        code,
        message: message.into(),
    }
}

impl Auth {
    /// Create a token (admins only).
    pub async fn create_token(
        &self,
        who: &Principal,
        new: NewToken,
        ip: Option<String>,
    ) -> Result<CreatedToken, Error> {
        require_admin(who)?;
        let o = &self.inner.options;
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("invalid_name", "`name` has 1 to 100 characters"));
        }
        if let Some(t) = new.scope.types.iter().find(|t| !o.types.contains(t)) {
            return Err(bad("unknown_type", format!("unknown content type `{t}`")));
        }
        if let Some(site) = new.scope.site.as_ref().filter(|s| !o.sites.contains(s)) {
            return Err(bad("unknown_site", format!("unknown site `{site}`")));
        }
        let now = self.now();
        let expires_at = match &new.expires_at {
            None => None,
            Some(t) => {
                let at = parse_ts(t).map_err(|_| {
                    bad(
                        "invalid_expires_at",
                        "`expires_at` must be an RFC 3339 time",
                    )
                })?;
                if at <= now {
                    return Err(bad(
                        "invalid_expires_at",
                        "`expires_at` must be in the future",
                    ));
                }
                Some(format_ts(at))
            }
        };
        let secret = format!("{TOKEN_PREFIX}{}", super::random_token(32));
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let info = ApiToken {
            id: ulid::Ulid::generate().to_string(),
            name,
            scope: new.scope,
            created_by: who.actor(),
            created_at: format_ts(now),
            expires_at,
        };
        let sql = "BEGIN; \
            CREATE type::record('api_token', $key) CONTENT $row RETURN NONE; \
            CREATE audit CONTENT $audit RETURN NONE; \
            COMMIT;";
        let vars = json!({
            "key": token_key(&digest),
            "row": TokenRow {
                tid: info.id.clone(),
                name: info.name.clone(),
                scope: info.scope.clone(),
                created_by: info.created_by.clone(),
                created_at: info.created_at.clone(),
                expires_at: info.expires_at.clone(),
            },
            "audit": audit_row(now, "token.created", &who.actor(), Some(&info.id), "", ip.as_deref()),
        });
        run_checked(self.store(), sql, vars).await?;
        Ok(CreatedToken {
            info,
            token: secret,
        })
    }

    /// Every token, newest first (admins only).
    pub async fn list_tokens(&self, who: &Principal) -> Result<Vec<ApiToken>, Error> {
        require_admin(who)?;
        let mut outcome = run_checked(
            self.store(),
            "SELECT * OMIT id FROM api_token ORDER BY created_at DESC, tid DESC;",
            json!({}),
        )
        .await?;
        outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?
            .into_iter()
            .map(|v| {
                serde_json::from_value::<TokenRow>(v)
                    .map(ApiToken::from)
                    .map_err(|e| Error::Storage(format!("a stored token: {e}")))
            })
            .collect()
    }

    /// Revoke a token at once (admins only); unknown ids are 404.
    pub async fn revoke_token(
        &self,
        who: &Principal,
        id: &str,
        ip: Option<String>,
    ) -> Result<(), Error> {
        require_admin(who)?;
        let sql = "BEGIN; \
            LET $gone = (DELETE api_token WHERE tid = $id RETURN BEFORE); \
            IF array::len($gone) = 0 { THROW 'cms:not_found' }; \
            CREATE audit CONTENT $audit RETURN NONE; \
            COMMIT;";
        let vars = json!({
            "id": id,
            "audit": audit_row(self.now(), "token.revoked", &who.actor(), Some(id), "", ip.as_deref()),
        });
        let outcome = self.store().run(sql, vars).await?;
        match outcome.first_error() {
            None => {}
            Some(crate::storage::StatementError::Thrown(t)) if t.contains("cms:not_found") => {
                return Err(Error::NotFound);
            }
            Some(e) => return Err(Error::Storage(format!("{e:?}"))),
        }
        // Forget cached principals so that this node refuses the token from now on.
        self.inner.sessions.clear();
        Ok(())
    }

    pub(super) async fn token_principal(&self, digest: &[u8; 32]) -> Result<Principal, Error> {
        let now = self.now();
        let token = ApiToken::from(self.stored_secret::<TokenRow>("api_token", digest).await?);
        let expires_at: DateTime<Utc> = match &token.expires_at {
            Some(t) => parse_ts(t).map_err(|e| Error::Storage(format!("a stored token: {e}")))?,
            None => DateTime::<Utc>::MAX_UTC,
        };
        if now >= expires_at {
            return Err(Error::InvalidToken);
        }
        let principal = Principal::Token {
            id: token.id,
            scope: token.scope,
        };
        self.inner
            .sessions
            .remember(*digest, principal.clone(), expires_at, now);
        Ok(principal)
    }
}

//! Accounts: create (argon2id hash), read, list, and the first admin at first start.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Auth, Error, run_checked};
use crate::clock::format_ts;
use crate::principal::{Principal, Role};

/// An account as the API shows it (never the hash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: String,
    pub created_at: String,
}

/// A user to create. `password: None` generates a one-time password, returned once.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
}

/// The stored row: the user plus the password hash.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct UserRow {
    pub uid: String,
    pub email: String,
    #[serde(default)]
    pub name: String,
    pub role: Role,
    pub status: String,
    pub created_at: String,
    #[serde(default)]
    pub password_hash: Option<String>,
}

impl UserRow {
    pub(super) fn user(&self) -> User {
        User {
            id: self.uid.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            status: self.status.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

pub(super) const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1024;

/// Lowercased, trimmed, and shaped like an address (the mail server decides the rest).
pub(super) fn normalize_email(email: &str) -> Result<String, Error> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(Error::BadRequest {
            code: "invalid_email",
            message: "`email` must be an email address".into(),
        })
    }
}

pub(super) fn check_password(password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(Error::BadRequest {
            code: "weak_password",
            message: format!(
                "a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            ),
        })
    }
}

impl Auth {
    /// Create an account (admins only). Returns the user and, when none was given, the
    /// generated one-time password.
    pub async fn create_user(
        &self,
        who: &Principal,
        new: NewUser,
        ip: Option<String>,
    ) -> Result<(User, Option<String>), Error> {
        require_admin(who)?;
        self.insert_user(&who.actor(), new, ip).await
    }

    async fn insert_user(
        &self,
        actor: &str,
        new: NewUser,
        ip: Option<String>,
    ) -> Result<(User, Option<String>), Error> {
        normalize_email(&new.email)?;
        let generated = new.password.is_none().then(|| super::random_token(15));
        let password = new
            .password
            .or_else(|| generated.clone())
            .unwrap_or_default();
        check_password(&password)?;
        let hash = self.inner.hasher.hash(&password).await?;
        let user = self
            .insert_account(
                actor,
                &new.email,
                &new.name,
                new.role,
                "active",
                Some(hash),
                ip,
            )
            .await?;
        Ok((user, generated))
    }

    /// Store a new account (`status`: active, invited or pending) with its audit entry.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_account(
        &self,
        actor: &str,
        email: &str,
        name: &str,
        role: Role,
        status: &str,
        hash: Option<String>,
        ip: Option<String>,
    ) -> Result<User, Error> {
        let email = normalize_email(email)?;
        let uid = ulid::Ulid::generate().to_string();
        let now = format_ts(self.now());
        let user = User {
            id: uid.clone(),
            email: email.clone(),
            name: name.trim().to_owned(),
            role,
            status: status.into(),
            created_at: now.clone(),
        };
        let sql = "BEGIN; \
            CREATE type::record('user', $uid) CONTENT $row RETURN NONE; \
            CREATE audit CONTENT $audit RETURN NONE; \
            COMMIT;";
        let vars = json!({
            "uid": uid,
            "row": {"uid": uid, "email": email, "name": user.name, "role": user.role,
                    "status": status, "created_at": now, "updated_at": now, "password_hash": hash},
            "audit": {"key": crate::audit::entry_key(), "at": now, "actor": actor,
                      "action": "user.created", "subject": uid,
                      "detail": {"email": email, "role": user.role}, "ip": ip},
        });
        run_checked(self.store(), sql, vars).await?;
        Ok(user)
    }

    /// All accounts, oldest first (admins only).
    pub async fn list_users(&self, who: &Principal) -> Result<Vec<User>, Error> {
        require_admin(who)?;
        let mut outcome = run_checked(
            self.store(),
            "SELECT * OMIT id FROM user ORDER BY created_at, uid;",
            json!({}),
        )
        .await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        rows.into_iter()
            .map(|v| {
                serde_json::from_value::<UserRow>(v)
                    .map(|r| r.user())
                    .map_err(|e| Error::Storage(format!("a stored user: {e}")))
            })
            .collect()
    }

    pub(super) async fn user_by(&self, field: &str, value: &str) -> Result<Option<UserRow>, Error> {
        let sql = match field {
            "email" => "SELECT * OMIT id FROM user WHERE email = $v LIMIT 1;",
            _ => "SELECT * OMIT id FROM ONLY type::record('user', $v);",
        };
        let mut outcome = run_checked(self.store(), sql, json!({ "v": value })).await?;
        let v = outcome
            .take(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        let v = match v {
            serde_json::Value::Array(mut rows) if !rows.is_empty() => rows.swap_remove(0),
            serde_json::Value::Array(_) | serde_json::Value::Null => return Ok(None),
            v => v,
        };
        serde_json::from_value(v)
            .map(Some)
            .map_err(|e| Error::Storage(format!("a stored user: {e}")))
    }

    /// The signed-in user behind `who` (`GET /auth/me`).
    pub async fn me(&self, who: &Principal) -> Result<User, Error> {
        match who {
            Principal::User { id, .. } => self
                .user_by("uid", id)
                .await?
                .map(|r| r.user())
                .ok_or(Error::Unauthorized),
            Principal::Bootstrap => Ok(User {
                id: "bootstrap".into(),
                email: String::new(),
                name: "bootstrap token".into(),
                role: Role::Admin,
                status: "active".into(),
                created_at: String::new(),
            }),
            Principal::Token { .. } | Principal::System { .. } => Err(Error::Forbidden(
                "an API token is not an account; /auth/me needs a session".into(),
            )),
            Principal::Anonymous => Err(Error::Unauthorized),
        }
    }

    /// At first start (no account yet) create the admin of `auth.admin_email`; without a
    /// configured password a one-time password is generated and returned for printing once.
    pub async fn ensure_first_admin(&self) -> Result<Option<(User, Option<String>)>, Error> {
        let mut outcome = run_checked(
            self.store(),
            "RETURN count(SELECT uid FROM user LIMIT 1);",
            json!({}),
        )
        .await?;
        let n = outcome.take(0).ok().and_then(|v| v.as_u64()).unwrap_or(0);
        if n > 0 {
            return Ok(None);
        }
        let o = &self.inner.options;
        let email = if o.admin_email.is_empty() {
            "admin@localhost".to_owned()
        } else {
            o.admin_email.clone()
        };
        let password = (!o.admin_password.is_empty()).then(|| o.admin_password.clone());
        let new = NewUser {
            email,
            name: "Administrator".into(),
            role: Role::Admin,
            password,
        };
        self.insert_user("system", new, None).await.map(Some)
    }
}

pub(super) fn require_admin(who: &Principal) -> Result<(), Error> {
    match who {
        Principal::Anonymous => Err(Error::Unauthorized),
        w if w.is_admin() => Ok(()),
        _ => Err(Error::Forbidden("only admins manage accounts".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Lee.Phillips@Example.ORG ")
                .ok()
                .as_deref(),
            Some("lee.phillips@example.org")
        );
        for bad in ["", "no-at", "@x.org", "a@", "a@b@c", "a b@x.org"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pass").is_ok());
    }
}

//! Emailed one-time links: invitations (admin invites with a role; the link sets a password),
//! password resets, and member sign-up from an allowed school domain (active once the emailed
//! link is followed). Link tokens are random, stored as SHA-256, expiring, used once.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::sessions::audit_row;
use super::users::{User, check_password, normalize_email, require_admin};
use super::{Auth, Error, run_checked, token_key};
use crate::clock::format_ts;
use crate::principal::{Principal, Role};

/// Prefix of link tokens.
const LINK_PREFIX: &str = "cms_l_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invite,
    Reset,
    Verify,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Invite => "invite",
            Kind::Reset => "reset",
            Kind::Verify => "verify",
        }
    }
}

fn invalid_link() -> Error {
    Error::BadRequest {
        code: "invalid_link",
        message: "this link is unknown, used or expired".into(),
    }
}

impl Auth {
    /// Invite someone with a role (admins): a pending account and an emailed link that sets
    /// the password.
    pub async fn invite(
        &self,
        who: &Principal,
        email: &str,
        name: &str,
        role: Role,
        ip: Option<String>,
    ) -> Result<User, Error> {
        require_admin(who)?;
        let user = self
            .insert_account(&who.actor(), email, name, role, "invited", None, ip)
            .await?;
        let ttl = self.inner.options.invitation_ttl;
        let token = self.issue_link(&user.id, Kind::Invite, ttl).await?;
        let body = format!(
            "You have been invited to the Co-operative Schools CMS as {role:?}.\n\n\
             Choose your password here (valid for {} hours):\n{}/admin/#/accept?token={token}\n",
            ttl.num_hours(),
            self.inner.mailer.public_url,
            role = user.role,
        );
        self.inner
            .mailer
            .send(&user.email, "Your invitation", &body)
            .await?;
        Ok(user)
    }

    /// Follow an invitation: set the password and activate the account.
    pub async fn accept_invitation(&self, token: &str, password: &str) -> Result<User, Error> {
        check_password(password)?;
        let hash = self.inner.hasher.hash(password).await?;
        let set = json!({"password_hash": hash, "status": "active"});
        self.use_link(token, Kind::Invite, set, "user.invitation_accepted")
            .await
    }

    /// Ask for a password reset. Always succeeds, whether or not the account exists; the link
    /// goes only to an existing active account. Limited like logins.
    pub async fn request_reset(
        &self,
        email: &str,
        ip: Option<std::net::IpAddr>,
    ) -> Result<(), Error> {
        let email = normalize_email(email)?;
        if let Err(wait) = self.inner.limits.check(&email, ip) {
            return Err(Error::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        let Some(user) = self.user_by("email", &email).await? else {
            return Ok(());
        };
        if user.status != "active" {
            return Ok(());
        }
        let ttl = self.inner.options.reset_ttl;
        let token = self.issue_link(&user.uid, Kind::Reset, ttl).await?;
        let body = format!(
            "Someone asked to reset the password of this account. If it was you, choose a new \
             one here (valid for {} minutes):\n{}/admin/#/reset?token={token}\n\n\
             If it was not you, ignore this message.\n",
            ttl.num_minutes(),
            self.inner.mailer.public_url,
        );
        self.inner
            .mailer
            .send(&user.email, "Reset your password", &body)
            .await
    }

    /// Follow a reset link: a new password; every session of the account ends.
    pub async fn confirm_reset(&self, token: &str, password: &str) -> Result<User, Error> {
        check_password(password)?;
        let hash = self.inner.hasher.hash(password).await?;
        let user = self
            .use_link(
                token,
                Kind::Reset,
                json!({"password_hash": hash}),
                "user.password_reset",
            )
            .await?;
        self.inner.sessions.clear();
        Ok(user)
    }

    /// Sign up as a member of `site` with an address from one of its `signup_domains`. The
    /// answer is the same whether or not the address already has an account.
    pub async fn sign_up(
        &self,
        email: &str,
        name: &str,
        password: &str,
        site: &str,
        ip: Option<std::net::IpAddr>,
    ) -> Result<(), Error> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let domain = email.rsplit('@').next().unwrap_or_default();
        let allowed = self
            .inner
            .options
            .signup_domains
            .iter()
            .any(|(s, d)| s == site && d == domain);
        if !allowed {
            return Err(Error::Forbidden(format!(
                "sign-up on `{site}` is not open to addresses at `{domain}`"
            )));
        }
        if let Err(wait) = self.inner.limits.check(&email, ip) {
            return Err(Error::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        if self.user_by("email", &email).await?.is_some() {
            return Ok(());
        }
        let hash = self.inner.hasher.hash(password).await?;
        let ip = ip.map(|i| i.to_string());
        let user = self
            .insert_account(
                "anonymous",
                &email,
                name,
                Role::Member,
                "pending",
                Some(hash),
                ip,
            )
            .await?;
        let ttl = self.inner.options.invitation_ttl;
        let token = self.issue_link(&user.id, Kind::Verify, ttl).await?;
        let body = format!(
            "Welcome! Confirm your address to activate your member account (valid for {} hours):\n\
             {}/admin/#/verify?token={token}\n",
            ttl.num_hours(),
            self.inner.mailer.public_url,
        );
        self.inner
            .mailer
            .send(&user.email, "Confirm your address", &body)
            .await
    }

    /// Follow a sign-up link: the account becomes active.
    pub async fn verify_sign_up(&self, token: &str) -> Result<User, Error> {
        self.use_link(
            token,
            Kind::Verify,
            json!({"status": "active"}),
            "user.verified",
        )
        .await
    }

    async fn issue_link(
        &self,
        uid: &str,
        kind: Kind,
        ttl: chrono::Duration,
    ) -> Result<String, Error> {
        let token = format!("{LINK_PREFIX}{}", super::random_token(32));
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        run_checked(
            self.store(),
            "CREATE type::record('user_token', $key) CONTENT $row RETURN NONE;",
            json!({
                "key": token_key(&digest),
                "row": {"uid": uid, "kind": kind.as_str(), "expires_at": format_ts(self.now() + ttl)},
            }),
        )
        .await?;
        Ok(token)
    }

    /// Check and spend a link, apply `set` to its account, audit `action`: one transaction.
    async fn use_link(
        &self,
        token: &str,
        kind: Kind,
        set: serde_json::Value,
        action: &str,
    ) -> Result<User, Error> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let key = token_key(&digest);
        let mut outcome = run_checked(
            self.store(),
            "SELECT uid FROM ONLY type::record('user_token', $key);",
            json!({ "key": key }),
        )
        .await?;
        let uid = outcome
            .take(0)
            .ok()
            .and_then(|v| v.get("uid").and_then(|u| u.as_str()).map(str::to_owned))
            .ok_or_else(invalid_link)?;
        let now = self.now();
        let end_sessions = if kind == Kind::Reset {
            "DELETE session WHERE uid = $uid RETURN NONE;"
        } else {
            ""
        };
        let sql = format!(
            "BEGIN; \
             LET $t = (DELETE ONLY type::record('user_token', $key) RETURN BEFORE); \
             IF !$t OR $t.kind != $kind OR $t.uid != $uid OR $t.expires_at <= $now {{ THROW 'cms:invalid_link' }}; \
             UPDATE type::record('user', $uid) MERGE $set RETURN NONE; \
             {end_sessions} \
             CREATE audit CONTENT $audit RETURN NONE; \
             COMMIT;"
        );
        let actor = format!("user:{uid}");
        let vars = json!({
            "key": key, "kind": kind.as_str(), "uid": uid, "now": format_ts(now), "set": set,
            "audit": audit_row(now, action, &actor, Some(&uid), "", crate::audit::client_ip().as_deref()),
        });
        let outcome = self.store().run(&sql, vars).await?;
        match outcome.first_error() {
            None => {}
            Some(crate::storage::StatementError::Thrown(t)) if t.contains("cms:invalid_link") => {
                return Err(invalid_link());
            }
            Some(e) => return Err(Error::Storage(format!("{e:?}"))),
        }
        self.user_by("uid", &uid)
            .await?
            .map(|r| r.user())
            .ok_or_else(invalid_link)
    }
}

//! Who is asking: the `Principal` of a request and the `Visibility` of content it may read.

use serde::{Deserialize, Serialize};

/// The reader's widest visibility: public readers see public content, members also
/// members-only content (the same levels a document's visibility takes).
pub use crate::schema::Visibility;

/// Roles, lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Contributor,
    Editor,
    Admin,
}

/// Who is asking. Built by `http/` from credentials; every permission decision below it reads this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// A signed-in user.
    User {
        id: String,
        role: Role,
    },
    /// `auth.bootstrap_token`: admin, for automation.
    Bootstrap,
    /// The server's own jobs (scheduled publishing), acting with admin rights.
    System {
        job: &'static str,
    },
    /// An API token: what it may do is its scope, nothing more.
    Token {
        id: String,
        scope: TokenScope,
    },
}

/// What an API token may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenScope {
    /// Write tokens manage content like an editor (within `types` and `site`); read tokens
    /// only read published content.
    pub write: bool,
    /// Content types it may touch; empty means all.
    #[serde(default)]
    pub types: Vec<String>,
    /// The one site it may touch (items of shared types included); `None` means all.
    #[serde(default)]
    pub site: Option<String>,
    /// The widest published content it may read.
    pub visibility: Visibility,
}

impl Principal {
    /// The role this principal acts with (a write token acts as an editor within its scope,
    /// a read token as a member or as anonymous, by its visibility).
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Anonymous => None,
            Principal::User { role, .. } => Some(*role),
            Principal::Bootstrap | Principal::System { .. } => Some(Role::Admin),
            Principal::Token { scope, .. } if scope.write => Some(Role::Editor),
            Principal::Token { scope, .. } => {
                (scope.visibility == Visibility::Members).then_some(Role::Member)
            }
        }
    }

    /// The widest visibility of published content this principal may read.
    pub fn visibility(&self) -> Visibility {
        match self {
            Principal::Token { scope, .. } => scope.visibility,
            _ if self.role().is_some() => Visibility::Members,
            _ => Visibility::Public,
        }
    }

    /// False when an API token's scope leaves out this content type.
    pub fn allows_type(&self, ctype: &str) -> bool {
        match self {
            Principal::Token { scope, .. } => {
                scope.types.is_empty() || scope.types.iter().any(|t| t == ctype)
            }
            _ => true,
        }
    }

    /// The one site an API token is bound to.
    pub fn site_scope(&self) -> Option<&str> {
        match self {
            Principal::Token { scope, .. } => scope.site.as_deref(),
            _ => None,
        }
    }

    /// What decides which published content this principal sees (part of cache keys).
    pub fn read_scope(&self) -> String {
        match self.site_scope() {
            Some(site) => format!("{}@{site}", self.visibility().as_str()),
            None => self.visibility().as_str().to_owned(),
        }
    }

    /// May manage content (working copies, workflow).
    pub fn can_manage(&self) -> bool {
        self.role().is_some_and(|r| r >= Role::Contributor)
    }

    /// May publish and act on any item.
    pub fn can_publish(&self) -> bool {
        self.role().is_some_and(|r| r >= Role::Editor)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// The actor recorded in revisions and the audit log.
    pub fn actor(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".into(),
            Principal::User { id, .. } => format!("user:{id}"),
            Principal::Bootstrap => "bootstrap".into(),
            Principal::System { job } => format!("system:{job}"),
            Principal::Token { id, .. } => format!("token:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_reads_public_only_and_manages_nothing() {
        assert_eq!(Principal::Anonymous.visibility(), Visibility::Public);
        assert!(!Principal::Anonymous.can_manage());
        let member = Principal::User {
            id: "u".into(),
            role: Role::Member,
        };
        assert_eq!(member.visibility(), Visibility::Members);
        assert!(!member.can_manage());
        assert!(Principal::Bootstrap.can_publish() && Principal::Bootstrap.is_admin());
        let contributor = Principal::User {
            id: "c".into(),
            role: Role::Contributor,
        };
        assert!(contributor.can_manage() && !contributor.can_publish());
    }
}

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
}

impl Principal {
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Anonymous => None,
            Principal::User { role, .. } => Some(*role),
            Principal::Bootstrap => Some(Role::Admin),
        }
    }

    /// The widest visibility of published content this principal may read.
    pub fn visibility(&self) -> Visibility {
        match self.role() {
            None => Visibility::Public,
            Some(_) => Visibility::Members,
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

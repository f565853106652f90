//! A plugin's manifest, uploaded with its component: what it is called and which host
//! imports (capabilities) it asks for. An admin grants capabilities at upload; a grant must
//! have been asked for, and the component's imports are then checked against the grants.

use serde::{Deserialize, Serialize};

use super::{Capability, Error, valid_name};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The plugin's id in `plugin:<id>/<block>`: a lower-case letter, then lower-case
    /// letters, digits and `-` (at most 40).
    pub id: String,
    /// What admins and editors see.
    pub name: String,
    /// The plugin's own version, `MAJOR.MINOR.PATCH`.
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// Capabilities the plugin asks for (`get-content`).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

fn invalid(field: &str, why: &str) -> Error {
    Error::Manifest(format!("`{field}`: {why}"))
}

fn semver(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

impl Manifest {
    /// Parse and check a manifest (JSON).
    pub fn parse(text: &str) -> Result<Manifest, Error> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| Error::Manifest(e.to_string()))?;
        if !valid_name(&m.id) {
            return Err(invalid(
                "id",
                "a lower-case letter, then lower-case letters, digits and -, at most 40",
            ));
        }
        let name_len = m.name.trim().chars().count();
        if name_len == 0 || name_len > 80 {
            return Err(invalid("name", "1 to 80 characters"));
        }
        if !semver(&m.version) {
            return Err(invalid("version", "MAJOR.MINOR.PATCH, such as 1.0.0"));
        }
        if m.description.chars().count() > 500 {
            return Err(invalid("description", "at most 500 characters"));
        }
        for c in &m.capabilities {
            if Capability::parse(c).is_none() {
                return Err(invalid(
                    "capabilities",
                    &format!("unknown capability {c:?} (known: get-content)"),
                ));
            }
        }
        Ok(m)
    }

    /// The capabilities an admin grants (by name): each must be known and asked for.
    pub fn grants(&self, granted: &[String]) -> Result<Vec<Capability>, Error> {
        granted
            .iter()
            .map(|g| {
                let cap = Capability::parse(g)
                    .ok_or_else(|| Error::Manifest(format!("unknown capability {g:?} granted")))?;
                if self.capabilities.iter().any(|c| c == g) {
                    Ok(cap)
                } else {
                    Err(Error::Manifest(format!(
                        "capability {g:?} granted, but the manifest does not ask for it"
                    )))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn manifests_are_checked_field_by_field() {
        let ok = Manifest::parse(
            r#"{"id": "related-practice", "name": "Related practice", "version": "1.2.0",
                "capabilities": ["get-content"]}"#,
        )
        .unwrap();
        assert_eq!(
            ok.grants(&["get-content".into()]).unwrap(),
            [Capability::GetContent]
        );
        assert!(ok.grants(&[]).unwrap().is_empty(), "asking is not granting");
        let bad = |json: &str| Manifest::parse(json).err().unwrap().to_string();
        assert!(bad(r#"{"id": "Bad", "name": "x", "version": "1.0.0"}"#).contains("`id`"));
        assert!(bad(r#"{"id": "a", "name": "", "version": "1.0.0"}"#).contains("`name`"));
        assert!(bad(r#"{"id": "a", "name": "x", "version": "1.0"}"#).contains("`version`"));
        assert!(
            bad(r#"{"id": "a", "name": "x", "version": "1.0.0", "capabilities": ["net"]}"#)
                .contains("unknown capability")
        );
        assert!(
            bad(r#"{"id": "a", "name": "x", "version": "1.0.0", "extra": 1}"#).contains("extra")
        );
        assert!(bad("not json").len() > 5);
        let plain = Manifest::parse(r#"{"id": "a", "name": "x", "version": "1.0.0"}"#).unwrap();
        let refused = plain.grants(&["get-content".into()]).err().unwrap();
        assert_eq!(refused.code(), "invalid_manifest");
        assert!(refused.to_string().contains("does not ask"), "{refused}");
    }
}

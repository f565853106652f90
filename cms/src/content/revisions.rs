//! Revisions of a locale's working copy: list, read, field-level diff, restore (a new revision).

use serde_json::{Value, json};

use super::manage::{Edit, require_manager};
use super::{Content, Error, ItemView, bad_request};
use crate::principal::Principal;

/// Which item and locale (`GET|POST /manage/{type}/{id}/revisions...?locale=`).
#[derive(Debug, Clone, Copy)]
pub struct RevisionOf<'a> {
    pub ctype: &'a str,
    pub uid: &'a str,
    pub locale: &'a str,
}

impl Content {
    /// Revisions of one locale, newest first, without their fields.
    pub async fn list_revisions(
        &self,
        who: &Principal,
        of: RevisionOf<'_>,
    ) -> Result<Vec<Value>, Error> {
        self.check_item(who, of).await?;
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT n, op, state, at, by FROM revision WHERE uid = $uid AND locale = $locale \
                 ORDER BY n DESC;",
                json!({"uid": of.uid, "locale": of.locale}),
            )
            .await?;
        outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))
    }

    /// One revision with its fields.
    pub async fn get_revision(
        &self,
        who: &Principal,
        of: RevisionOf<'_>,
        n: u64,
    ) -> Result<Value, Error> {
        self.check_item(who, of).await?;
        self.revision(of, n).await
    }

    /// Field-level differences from revision `a` to revision `b`.
    pub async fn diff_revisions(
        &self,
        who: &Principal,
        of: RevisionOf<'_>,
        a: u64,
        b: u64,
    ) -> Result<Value, Error> {
        self.check_item(who, of).await?;
        let (ra, rb) = (self.revision(of, a).await?, self.revision(of, b).await?);
        let empty = serde_json::Map::new();
        let fa = ra["fields"].as_object().unwrap_or(&empty);
        let fb = rb["fields"].as_object().unwrap_or(&empty);
        let mut names: Vec<&String> = fa.keys().chain(fb.keys()).collect();
        names.sort();
        names.dedup();
        let changes: Vec<Value> = names
            .into_iter()
            .filter_map(|name| {
                let (before, after) = (fa.get(name), fb.get(name));
                let kind = match (before, after) {
                    (None, Some(_)) => "added",
                    (Some(_), None) => "removed",
                    (Some(x), Some(y)) if x != y => "changed",
                    _ => return None,
                };
                Some(json!({"field": name, "change": kind, "before": before, "after": after}))
            })
            .collect();
        Ok(json!({"from": a, "to": b, "changes": changes}))
    }

    /// Make revision `n`'s values the working copy again, as a new revision (state draft).
    pub async fn restore_revision(
        &self,
        who: &Principal,
        of: RevisionOf<'_>,
        n: u64,
    ) -> Result<ItemView, Error> {
        self.check_item(who, of).await?;
        let old = self.revision(of, n).await?;
        let fields = match old.get("fields") {
            Some(Value::Object(m)) => m.clone(),
            _ => serde_json::Map::new(),
        };
        let edit = Edit {
            who,
            ctype: of.ctype,
            uid: of.uid,
            locale: of.locale,
            if_match: None,
            restored: true,
        };
        self.edit_fields(edit, |_| fields.clone()).await
    }

    /// The caller may manage this type and sees this item (else 401/403/404).
    async fn check_item(&self, who: &Principal, of: RevisionOf<'_>) -> Result<(), Error> {
        require_manager(who, of.ctype)?;
        self.check_locale(of.locale)?;
        let doc = self.load_item(of.uid).await?;
        self.owned_doc(who, of.ctype, doc).map(|_| ())
    }

    async fn revision(&self, of: RevisionOf<'_>, n: u64) -> Result<Value, Error> {
        if n == 0 {
            return Err(bad_request("invalid_revision", "revisions start at 1"));
        }
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT n, op, state, at, by, fields FROM ONLY type::record('revision', $key);",
                json!({"key": format!("{}.{}.{}", of.uid, of.locale, n)}),
            )
            .await?;
        let row = outcome
            .take(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        if row.is_null() {
            return Err(Error::NotFound);
        }
        Ok(row)
    }
}

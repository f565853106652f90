//! One write = one transaction: item document, projections, revisions, audit entries and outbox
//! events, with an optimistic version check per item and every statement's result checked.

use serde_json::json;

use super::model::{self, ItemDoc};
use super::plugin_blocks::{Effects, plugins_used};
use super::{Content, Error};
use crate::schema::FieldError;
use crate::storage::StatementError;

/// Everything one item's write stores.
#[derive(Debug, Clone)]
pub(super) struct Change {
    /// Version the stored item must still have (0 = must not exist).
    pub expected_version: u64,
    pub doc: ItemDoc,
    pub revisions: Vec<Revision>,
    pub action: &'static str,
    pub actor: String,
    /// Locales whose outbox event and audit entry this change emits.
    pub locales: Vec<String>,
    /// Plugin bookkeeping: reads of rendered blocks, queued re-renders.
    pub effects: Effects,
}

#[derive(Debug, Clone)]
pub(super) struct Revision {
    pub locale: String,
    pub n: u64,
    pub fields: model::Fields,
    pub state: &'static str,
}

/// Actions that change what anonymous readers get of an item (what `get-content` reads).
pub(super) const PUBLIC_CHANGES: [&str; 7] = [
    "published",
    "unpublished",
    "archived",
    "unarchived",
    "trashed",
    "untrashed",
    "imported",
];

/// The statements of a write's transaction, each run only when its list is not empty (every
/// statement costs parsing and planning even when it loops over nothing).
const COMMIT_PARTS: [(&str, &str); 16] = [
    (
        "checks",
        "FOR $c IN $checks { IF (type::record('item', $c.id).version ?? 0) != $c.expect { THROW 'cms:stale:' + $c.id; }; };",
    ),
    (
        "items",
        "FOR $i IN $items { UPSERT type::record('item', $i.uid) CONTENT $i RETURN NONE; };",
    ),
    (
        "wdel",
        "FOR $k IN $wdel { DELETE type::record('working', $k) RETURN NONE; };",
    ),
    (
        "ddel",
        "FOR $k IN $ddel { DELETE type::record('delivery', $k) RETURN NONE; DELETE type::record('delivery_list', $k) RETURN NONE; };",
    ),
    (
        "wput",
        "FOR $w IN $wput { UPSERT type::record('working', $w.key) CONTENT $w.row RETURN NONE; };",
    ),
    (
        "dput",
        "FOR $d IN $dput { UPSERT type::record('delivery', $d.key) CONTENT $d.row RETURN NONE; };",
    ),
    (
        "dlput",
        "FOR $d IN $dlput { UPSERT type::record('delivery_list', $d.key) CONTENT $d.row RETURN NONE; };",
    ),
    (
        "sdel",
        "FOR $k IN $sdel { DELETE type::record('schedule', $k) RETURN NONE; };",
    ),
    (
        "sput",
        "FOR $s IN $sput { UPSERT type::record('schedule', $s.key) CONTENT $s.row RETURN NONE; };",
    ),
    (
        "revisions",
        "FOR $r IN $revisions { UPSERT type::record('revision', $r.key) CONTENT $r.row RETURN NONE; };",
    ),
    (
        "audits",
        "FOR $a IN $audits { CREATE audit CONTENT $a RETURN NONE; };",
    ),
    (
        "pdel",
        "FOR $p IN $pdel { DELETE plugin_read WHERE reader = $p.uid AND locale = $p.locale RETURN NONE; };",
    ),
    (
        "pput",
        "FOR $p IN $pput { UPSERT type::record('plugin_read', $p.key) CONTENT $p.row RETURN NONE; };",
    ),
    (
        "rput",
        "FOR $u IN $rput { UPSERT type::record('rerender', $u) CONTENT { uid: $u } RETURN NONE; };",
    ),
    (
        "rdel",
        "FOR $u IN $rdel { DELETE type::record('rerender', $u) RETURN NONE; };",
    ),
    (
        "events",
        "LET $base = (UPDATE ONLY counter:outbox SET n += $k RETURN VALUE n) - $k; \
        FOR $e IN $events { CREATE type::record('outbox', $base + $e.i + 1) CONTENT { seq: $base + $e.i + 1, at: $e.at, kind: $e.kind, uid: $e.uid, ctype: $e.ctype, site: $e.site, locale: $e.locale, revision: $e.revision, version: $e.version } RETURN NONE; };",
    ),
];

/// The transaction for `vars`: the statements whose lists hold something.
fn commit_sql(vars: &serde_json::Value) -> String {
    let mut sql = String::from("BEGIN TRANSACTION;\n");
    for (name, statement) in COMMIT_PARTS {
        if vars[name].as_array().is_some_and(|a| !a.is_empty()) {
            sql.push_str(statement);
            sql.push('\n');
        }
    }
    sql.push_str("COMMIT TRANSACTION;\n");
    sql
}

/// Why a commit failed.
#[derive(Debug)]
pub(super) enum CommitError {
    /// Another writer got there first: reload and try again.
    Retry,
    /// A unique index refused a slug.
    Unique {
        table: &'static str,
    },
    Fatal(String),
}

impl Content {
    /// Store `changes` in one transaction.
    pub(super) async fn commit(&self, changes: &[Change]) -> Result<(), CommitError> {
        let now = self.now();
        let opts = &self.inner.options;
        let mut checks = Vec::new();
        let mut items = Vec::new();
        let (mut wdel, mut ddel, mut wput, mut dput) = (vec![], vec![], vec![], vec![]);
        let mut dlput = Vec::new();
        let (mut sdel, mut sput) = (Vec::new(), Vec::new());
        let mut revisions = Vec::new();
        let mut audits = Vec::new();
        let mut events = Vec::new();
        let (mut pdel, mut pput, mut woke) = (Vec::new(), Vec::new(), false);
        let (mut rput, mut rdel) = (Vec::new(), Vec::new());
        for change in changes {
            let doc = &change.doc;
            let ct = self
                .content_type(&doc.ctype)
                .map_err(|e| CommitError::Fatal(e.to_string()))?;
            checks.push(json!({"id": doc.uid, "expect": change.expected_version}));
            let mut item =
                serde_json::to_value(doc).map_err(|e| CommitError::Fatal(e.to_string()))?;
            if let Some(obj) = item.as_object_mut() {
                // Which plugins the item uses (plugin removal and upgrades look here).
                obj.insert("plugins".into(), json!(plugins_used(ct, doc)));
            }
            items.push(item);
            for (locale, reads) in &change.effects.reads {
                pdel.push(json!({"uid": doc.uid, "locale": locale}));
                for read in reads {
                    pput.push(json!({"key": format!("{read}.{}.{locale}", doc.uid),
                        "row": {"read": read, "reader": doc.uid, "locale": locale}}));
                }
            }
            // What other items' plugin blocks read of this one changed: the re-renderer follows
            // the outbox to find them (`plugin_blocks::queue_readers_of_changes`).
            if PUBLIC_CHANGES.contains(&change.action) {
                woke = true;
            }
            if change.effects.enqueue {
                rput.push(doc.uid.clone());
            } else if change.effects.done {
                rdel.push(doc.uid.clone());
            }
            let working = model::working_rows(ct, doc, &opts.default_locale);
            let delivery = model::delivery_rows(ct, doc, &opts.locales, &opts.default_locale);
            // Rows of locales that no longer resolve are deleted (a new item has none);
            // the others are replaced by UPSERT.
            if change.expected_version > 0 {
                for locale in &opts.locales {
                    let key = model::row_key(&doc.uid, locale);
                    if !working.iter().any(|(k, _)| *k == key) {
                        wdel.push(key.clone());
                    }
                    if !delivery.iter().any(|(k, _)| *k == key) {
                        ddel.push(key);
                    }
                }
            }
            for (key, row) in working {
                wput.push(json!({"key": key, "row": row}));
            }
            for (key, row) in delivery {
                dlput.push(json!({"key": key, "row": model::delivery_list_row(ct, &row)}));
                dput.push(json!({"key": key, "row": row}));
            }
            for locale in &change.locales {
                let (rows, keys) = model::schedule_rows(doc, locale);
                if change.expected_version > 0 {
                    sdel.extend(keys);
                }
                for (key, row) in rows {
                    sput.push(json!({"key": key, "row": row}));
                }
            }
            for r in &change.revisions {
                revisions.push(json!({
                    "key": format!("{}.{}.{}", doc.uid, r.locale, r.n),
                    "row": {"uid": doc.uid, "ctype": doc.ctype, "locale": r.locale, "n": r.n,
                            "op": change.action, "state": r.state, "at": now, "by": change.actor,
                            "fields": r.fields},
                }));
            }
            for locale in &change.locales {
                let revision = doc.locales.get(locale).map(|l| l.revision).unwrap_or(0);
                audits.push(json!({
                    "key": crate::audit::entry_key(), "at": now, "actor": change.actor,
                    "ip": crate::audit::client_ip(),
                    "action": format!("item.{}", change.action), "uid": doc.uid,
                    "ctype": doc.ctype, "site": doc.site, "locale": locale, "revision": revision,
                }));
                events.push(json!({
                    "i": events.len(), "at": now, "kind": format!("item.{}", change.action),
                    "uid": doc.uid, "ctype": doc.ctype, "site": doc.site, "locale": locale,
                    "revision": revision, "version": doc.version,
                }));
            }
        }
        let queued = woke || !rput.is_empty();
        let vars = json!({
            "checks": checks, "items": items, "wdel": wdel, "ddel": ddel, "wput": wput,
            "dput": dput, "dlput": dlput, "sdel": sdel, "sput": sput, "revisions": revisions, "audits": audits, "events": events,
            "k": events.len(), "pdel": pdel, "pput": pput, "rput": rput, "rdel": rdel,
        });
        let result = self.inner.store.run(&commit_sql(&vars), vars).await;
        // Whatever happened, cached responses may now be stale: drop them (exact, see cache.rs).
        self.inner.cache.invalidate();
        let mut outcome = result.map_err(|e| CommitError::Fatal(e.to_string()))?;
        match outcome.first_error() {
            None => {
                let _ = outcome.take(0);
                self.inner.commits.notify_one();
                if queued {
                    self.inner.rerender.notify_one();
                }
                Ok(())
            }
            Some(StatementError::Retryable(_)) => Err(CommitError::Retry),
            Some(StatementError::Thrown(t)) if t.starts_with("cms:stale:") => {
                Err(CommitError::Retry)
            }
            Some(StatementError::Unique { index, .. }) => Err(CommitError::Unique {
                table: if index.starts_with("delivery") {
                    "delivery"
                } else {
                    "working"
                },
            }),
            Some(other) => Err(CommitError::Fatal(format!("{other:?}"))),
        }
    }

    /// Load an item, let `decide` compute the change, commit; retry on conflicts.
    pub(super) async fn write_item<F>(&self, uid: &str, decide: F) -> Result<ItemDoc, Error>
    where
        F: FnMut(Option<ItemDoc>) -> Result<Change, Error>,
    {
        self.write_loaded_item(uid, None, decide).await
    }

    /// `write_item` whose first attempt starts from `loaded`, the item as just read.
    pub(super) async fn write_loaded_item<F>(
        &self,
        uid: &str,
        mut loaded: Option<Option<ItemDoc>>,
        mut decide: F,
    ) -> Result<ItemDoc, Error>
    where
        F: FnMut(Option<ItemDoc>) -> Result<Change, Error>,
    {
        let retries = self.inner.options.write_retries.max(1);
        for attempt in 0..retries {
            let current = match loaded.take() {
                Some(current) => current,
                None => self.load_item(uid).await?,
            };
            let change = decide(current)?;
            match self.commit(std::slice::from_ref(&change)).await {
                Ok(()) => return Ok(change.doc),
                Err(CommitError::Retry) => {
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                }
                Err(CommitError::Unique { table, .. }) => {
                    return Err(self.unique_error(&change.doc.ctype, table));
                }
                Err(CommitError::Fatal(e)) => return Err(Error::Storage(e)),
            }
        }
        Err(Error::WriteConflict)
    }

    pub(super) fn unique_error(&self, ctype: &str, table: &str) -> Error {
        let slug = self
            .inner
            .schemas
            .get(ctype)
            .and_then(|ct| ct.slug_field.clone())
            .unwrap_or_else(|| "slug".into());
        let what = if table == "delivery" {
            "a published item already uses this slug"
        } else {
            "another item already uses this slug"
        };
        Error::Validation(vec![FieldError {
            path: format!("fields.{slug}"),
            code: "unique".into(),
            message: format!("{what} (slugs are unique per site, type and locale)"),
        }])
    }

    pub(super) async fn load_item(&self, uid: &str) -> Result<Option<ItemDoc>, Error> {
        if !crate::schema::is_ulid(uid) {
            return Ok(None);
        }
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT * OMIT id FROM type::record('item', $id);",
                json!({ "id": uid }),
            )
            .await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        match rows.into_iter().next() {
            None => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| Error::Storage(format!("corrupt item {uid}: {e}"))),
        }
    }
}

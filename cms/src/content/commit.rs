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
    /// The projection rows the stored item has (None: unknown, every row the item could
    /// have is deleted unless written again).
    pub before: Option<model::RowKeys>,
}

/// An item as read for a write, and whether it came from the item cache (it may then be
/// stale: the transaction's version check, or a failing decision, sends the write back to the
/// database).
pub(super) struct Current {
    pub doc: Option<ItemDoc>,
    pub cached: bool,
}

/// Items kept by `Content`'s item cache (the last written ones).
pub(super) const ITEM_CACHE_ITEMS: usize = 256;

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

/// A write's transaction as SurrealQL text, one statement per row, with every value bound as a
/// parameter of its own. Statements that loop over a list parameter and pick fields out of its
/// elements (`FOR $w IN $rows { ... $w.row ... }`) cost SurrealDB one nested evaluation, and a
/// copy of the value, per field access: most of a publish's instructions (session 19).
///
/// Rows the stored item implies exist (`Change::before`) are written by `UPDATE`, others by
/// `UPSERT`: an `UPSERT` of an existing record first tries to create it, fails, rolls back to a
/// save point and starts again as an update (twice the work, and two errors whose backtraces
/// are captured when `RUST_BACKTRACE` is set). One statement at the end checks that every
/// updated row exists (`check_updated`).
#[derive(Default)]
struct Tx {
    sql: String,
    vars: serde_json::Map<String, serde_json::Value>,
    /// The records written by `update`, checked at the end of the transaction.
    updated: Vec<String>,
}

impl Tx {
    /// Binds `value` as a new parameter and returns its name (`$v3`).
    fn bind(&mut self, value: serde_json::Value) -> String {
        let name = format!("v{}", self.vars.len());
        self.vars.insert(name.clone(), value);
        format!("${name}")
    }

    /// The record `table:key`: a literal for keys of plain characters (all of ours), else
    /// `type::record` of a bound key (`⟨12345⟩` is a string key too: unit test
    /// `record_ids_in_the_text_name_the_records_of_bound_string_keys`).
    fn record(&mut self, table: &str, key: &str) -> String {
        let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
        if !key.is_empty() && key.bytes().all(plain) {
            format!("{table}:⟨{key}⟩")
        } else {
            let key = self.bind(json!(key));
            format!("type::record('{table}', {key})")
        }
    }

    fn line(&mut self, statement: &str) {
        self.sql.push_str(statement);
        self.sql.push('\n');
    }

    /// `verb` (`UPSERT`, `UPDATE`) of `row` as the record `table:key`; returns the record.
    fn write(&mut self, verb: &str, table: &str, key: &str, row: serde_json::Value) -> String {
        let (record, row) = (self.record(table, key), self.bind(row));
        self.line(&format!("{verb} {record} CONTENT {row} RETURN NONE;"));
        record
    }

    /// Writes a row that may not exist.
    fn upsert(&mut self, table: &str, key: &str, row: serde_json::Value) {
        self.write("UPSERT", table, key, row);
    }

    /// Writes a row that should exist (`check_updated` makes the transaction fail if it does
    /// not).
    fn update(&mut self, table: &str, key: &str, row: serde_json::Value) {
        let record = self.write("UPDATE", table, key, row);
        self.updated.push(record);
    }

    /// Throws `cms:missing` unless every record `update` wrote exists (an `UPDATE` of a
    /// missing record writes nothing): one statement, where a fallback per row cost 15% of a
    /// write's instructions.
    fn check_updated(&mut self) {
        if !self.updated.is_empty() {
            let n = self.updated.len();
            let records = self.updated.join(", ");
            self.line(&format!(
                "IF array::len((SELECT VALUE id FROM {records})) != {n} {{ THROW '{MISSING}'; }};"
            ));
        }
    }

    fn delete(&mut self, table: &str, key: &str) {
        let record = self.record(table, key);
        self.line(&format!("DELETE {record} RETURN NONE;"));
    }
}

/// What one commit writes, by kind; `transaction` emits the kinds in this order (deletes of a
/// kind before its writes, so a slug can move between rows of one commit).
#[derive(Default)]
struct Parts {
    /// (uid, expected version)
    checks: Vec<(String, u64)>,
    /// New items, (uid, document).
    items: Vec<(String, serde_json::Value)>,
    /// Existing items (their version is checked), (uid, document).
    iupd: Vec<(String, serde_json::Value)>,
    wdel: Vec<String>,
    ddel: Vec<String>,
    /// Projection rows.
    working: Vec<Row>,
    delivery: Vec<Row>,
    delivery_list: Vec<Row>,
    sdel: Vec<String>,
    schedule: Vec<Row>,
    revisions: Vec<(String, serde_json::Value)>,
    audits: Vec<serde_json::Value>,
    /// Plugin reads to forget, (reader uid, locale), and to record, (key, row).
    pdel: Vec<(String, String)>,
    pput: Vec<(String, serde_json::Value)>,
    /// Items to queue for re-rendering, and to take off the queue.
    rput: Vec<String>,
    rdel: Vec<String>,
    events: Vec<serde_json::Value>,
}

/// A projection row to write: `exists` when the stored item implies it does (`UPDATE`, else
/// `UPSERT`).
struct Row {
    key: String,
    value: serde_json::Value,
    exists: bool,
}

impl Tx {
    /// Writes `rows` of `table`: those that may not exist first, then those that should.
    fn rows(&mut self, table: &str, rows: Vec<Row>) {
        let (existing, new): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| r.exists);
        for r in new {
            self.upsert(table, &r.key, r.value);
        }
        for r in existing {
            self.update(table, &r.key, r.value);
        }
    }
}

impl Parts {
    /// The transaction's text and parameters.
    fn transaction(self) -> (String, serde_json::Value) {
        let mut tx = Tx::default();
        tx.line("BEGIN TRANSACTION;");
        for (uid, expect) in self.checks {
            let (record, stale) = (
                tx.record("item", &uid),
                tx.bind(json!(format!("cms:stale:{uid}"))),
            );
            tx.line(&format!(
                "IF ({record}.version ?? 0) != {expect} {{ THROW {stale}; }};"
            ));
        }
        for (uid, item) in self.items {
            tx.upsert("item", &uid, item);
        }
        for (uid, item) in self.iupd {
            // The version check has made sure the item exists: no end check needed.
            tx.write("UPDATE", "item", &uid, item);
        }
        for key in self.wdel {
            tx.delete("working", &key);
        }
        for key in self.ddel {
            tx.delete("delivery", &key);
            tx.delete("delivery_list", &key);
        }
        tx.rows("working", self.working);
        tx.rows("delivery", self.delivery);
        tx.rows("delivery_list", self.delivery_list);
        for key in self.sdel {
            tx.delete("schedule", &key);
        }
        tx.rows("schedule", self.schedule);
        for (key, row) in self.revisions {
            tx.upsert("revision", &key, row);
        }
        for audit in self.audits {
            let audit = tx.bind(audit);
            tx.line(&format!("CREATE audit CONTENT {audit} RETURN NONE;"));
        }
        for (uid, locale) in self.pdel {
            let (uid, locale) = (tx.bind(json!(uid)), tx.bind(json!(locale)));
            tx.line(&format!(
                "DELETE plugin_read WHERE reader = {uid} AND locale = {locale} RETURN NONE;"
            ));
        }
        for (key, row) in self.pput {
            tx.upsert("plugin_read", &key, row);
        }
        for uid in self.rput {
            let row = json!({ "uid": &uid });
            tx.upsert("rerender", &uid, row);
        }
        for uid in self.rdel {
            tx.delete("rerender", &uid);
        }
        if !self.events.is_empty() {
            let k = self.events.len();
            tx.line(&format!(
                "LET $base = (UPDATE ONLY counter:outbox SET n += {k} RETURN VALUE n) - {k};"
            ));
            for (i, event) in self.events.into_iter().enumerate() {
                let event = tx.bind(event);
                let n = i + 1;
                tx.line(&format!(
                    "CREATE type::record('outbox', $base + {n}) CONTENT object::extend({event}, {{ seq: $base + {n} }}) RETURN NONE;"
                ));
            }
        }
        tx.check_updated();
        tx.line("COMMIT TRANSACTION;");
        (tx.sql, serde_json::Value::Object(tx.vars))
    }
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

/// What the transaction throws when a row written by `UPDATE` does not exist.
const MISSING: &str = "cms:missing";

impl Content {
    /// Store `changes` in one transaction. Rows the stored items imply are written by `UPDATE`;
    /// if one of them is missing (against the invariant), the transaction fails as a whole and
    /// runs again with every row written by `UPSERT`, so the row is written, not lost.
    pub(super) async fn commit(&self, changes: &[Change]) -> Result<(), CommitError> {
        match self.commit_rows(changes, true).await {
            Err(CommitError::Fatal(e)) if e == MISSING => {
                tracing::warn!("rows an item implies were missing; written again");
                self.commit_rows(changes, false).await
            }
            other => other,
        }
    }

    /// `commit`; `known` trusts `Change::before` to say which rows exist.
    async fn commit_rows(&self, changes: &[Change], known: bool) -> Result<(), CommitError> {
        let now = self.now();
        let opts = &self.inner.options;
        let mut p = Parts::default();
        let mut woke = false;
        for change in changes {
            let doc = &change.doc;
            let ct = self
                .content_type(&doc.ctype)
                .map_err(|e| CommitError::Fatal(e.to_string()))?;
            p.checks.push((doc.uid.clone(), change.expected_version));
            let mut item =
                serde_json::to_value(doc).map_err(|e| CommitError::Fatal(e.to_string()))?;
            if let Some(obj) = item.as_object_mut() {
                // Which plugins the item uses (plugin removal and upgrades look here).
                obj.insert("plugins".into(), json!(plugins_used(ct, doc)));
            }
            if change.expected_version > 0 {
                // The version check makes sure the item exists.
                p.iupd.push((doc.uid.clone(), item));
            } else {
                p.items.push((doc.uid.clone(), item));
            }
            for (locale, reads) in &change.effects.reads {
                if !change.effects.no_rows.contains(locale) {
                    p.pdel.push((doc.uid.clone(), locale.clone()));
                }
                for read in reads {
                    p.pput.push((
                        format!("{read}.{}.{locale}", doc.uid),
                        json!({"read": read, "reader": doc.uid, "locale": locale}),
                    ));
                }
            }
            // What other items' plugin blocks read of this one changed: the re-renderer follows
            // the outbox to find them (`plugin_blocks::queue_readers_of_changes`).
            if PUBLIC_CHANGES.contains(&change.action) {
                woke = true;
            }
            if change.effects.enqueue {
                p.rput.push(doc.uid.clone());
            } else if change.effects.done {
                p.rdel.push(doc.uid.clone());
            }
            let working = model::working_rows(ct, doc, &opts.default_locale);
            let delivery = model::delivery_rows(ct, doc, &opts.locales, &opts.default_locale);
            // Rows of locales that no longer resolve are deleted (a new item has none, and
            // rows the item did not have need no delete); the others are written again.
            let had = |key: &String, keys: fn(&model::RowKeys) -> &Vec<String>| {
                change.before.as_ref().is_none_or(|b| keys(b).contains(key))
            };
            // Rows known to exist: written by UPDATE.
            let row = |key: String, value, keys: fn(&model::RowKeys) -> &Vec<String>| Row {
                exists: known
                    && change
                        .before
                        .as_ref()
                        .is_some_and(|b| keys(b).contains(&key)),
                key,
                value,
            };
            if change.expected_version > 0 {
                for locale in &opts.locales {
                    let key = model::row_key(&doc.uid, locale);
                    if !working.iter().any(|(k, _)| *k == key) && had(&key, |b| &b.working) {
                        p.wdel.push(key.clone());
                    }
                    if !delivery.iter().any(|(k, _)| *k == key) && had(&key, |b| &b.delivery) {
                        p.ddel.push(key);
                    }
                }
            }
            for (key, value) in working {
                p.working.push(row(key, value, |b| &b.working));
            }
            for (key, value) in delivery {
                let list = model::delivery_list_row(ct, &value);
                p.delivery_list
                    .push(row(key.clone(), list, |b| &b.delivery));
                p.delivery.push(row(key, value, |b| &b.delivery));
            }
            for locale in &change.locales {
                let (rows, keys) = model::schedule_rows(doc, locale);
                if change.expected_version > 0 {
                    p.sdel.extend(keys.into_iter().filter(|key| {
                        !rows.iter().any(|(k, _)| k == key) && had(key, |b| &b.schedule)
                    }));
                }
                for (key, value) in rows {
                    p.schedule.push(row(key, value, |b| &b.schedule));
                }
            }
            for r in &change.revisions {
                p.revisions.push((
                    format!("{}.{}.{}", doc.uid, r.locale, r.n),
                    json!({"uid": doc.uid, "ctype": doc.ctype, "locale": r.locale, "n": r.n,
                           "op": change.action, "state": r.state, "at": now, "by": change.actor,
                           "fields": r.fields}),
                ));
            }
            for locale in &change.locales {
                let revision = doc.locales.get(locale).map(|l| l.revision).unwrap_or(0);
                p.audits.push(json!({
                    "key": crate::audit::entry_key(), "at": now, "actor": change.actor,
                    "ip": crate::audit::client_ip(),
                    "action": format!("item.{}", change.action), "uid": doc.uid,
                    "ctype": doc.ctype, "site": doc.site, "locale": locale, "revision": revision,
                }));
                p.events.push(json!({
                    "at": now, "kind": format!("item.{}", change.action),
                    "uid": doc.uid, "ctype": doc.ctype, "site": doc.site, "locale": locale,
                    "revision": revision, "version": doc.version,
                }));
            }
        }
        let queued = woke || !p.rput.is_empty();
        let (sql, vars) = p.transaction();
        let result = {
            let _lane = self.inner.commit_lane.lock().await;
            self.inner.store.run(&sql, vars).await
        };
        // Whatever happened, cached responses and items may now be stale: drop them (exact,
        // see cache.rs; `write_loaded_item` caches the item it committed).
        self.inner.cache.invalidate();
        if let Some(items) = &self.inner.items {
            for change in changes {
                items.remove(&change.doc.uid);
            }
        }
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
            Some(StatementError::Thrown(t)) if t == MISSING => {
                Err(CommitError::Fatal(MISSING.into()))
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

    /// `write_item` whose first attempt starts from `loaded`, the item as just read. An
    /// attempt that started from the item cache and failed (a decision's error, a conflict)
    /// is tried again from the database before anything is reported.
    pub(super) async fn write_loaded_item<F>(
        &self,
        uid: &str,
        mut loaded: Option<Current>,
        mut decide: F,
    ) -> Result<ItemDoc, Error>
    where
        F: FnMut(Option<ItemDoc>) -> Result<Change, Error>,
    {
        let retries = self.inner.options.write_retries.max(1);
        let mut fresh = false;
        let mut attempt = 0;
        while attempt < retries {
            let current = match loaded.take() {
                Some(current) => current,
                None if fresh => Current {
                    doc: self.load_item(uid).await?,
                    cached: false,
                },
                None => self.current_item(uid).await?,
            };
            let opts = &self.inner.options;
            let before = current
                .doc
                .as_ref()
                .map(|d| model::RowKeys::of(d, &opts.locales, &opts.default_locale));
            let mut change = match decide(current.doc) {
                Ok(change) => change,
                Err(_) if current.cached => {
                    fresh = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            change.before = before;
            match self.commit(std::slice::from_ref(&change)).await {
                Ok(()) => {
                    self.remember(&change.doc);
                    return Ok(change.doc);
                }
                Err(CommitError::Retry) if current.cached => fresh = true,
                Err(CommitError::Retry) => {
                    fresh = true;
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                    attempt += 1;
                }
                Err(CommitError::Unique { table, .. }) => {
                    return Err(self.unique_error(&change.doc.ctype, table));
                }
                Err(CommitError::Fatal(e)) => return Err(Error::Storage(e)),
            }
        }
        Err(Error::WriteConflict)
    }

    /// The item for a write: the item cache's copy (the item as this process last wrote it),
    /// or the database's.
    pub(super) async fn current_item(&self, uid: &str) -> Result<Current, Error> {
        if let Some(doc) = self.inner.items.as_ref().and_then(|items| items.get(uid)) {
            return Ok(Current {
                doc: Some(ItemDoc::clone(&doc)),
                cached: true,
            });
        }
        Ok(Current {
            doc: self.load_item(uid).await?,
            cached: false,
        })
    }

    /// Cache an item this process just committed, unless a newer version is cached already.
    fn remember(&self, doc: &ItemDoc) {
        if let Some(items) = &self.inner.items
            && items.get(&doc.uid).is_none_or(|c| c.version < doc.version)
        {
            items.insert(doc.uid.clone(), std::sync::Arc::new(doc.clone()));
        }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::*;
    use crate::content::view::manage_etag;
    use crate::content::{Action, ContentOptions};
    use crate::principal::Principal;

    async fn content() -> Content {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas");
        let schemas = crate::schema::Registry::load_dir(std::path::Path::new(dir)).unwrap();
        Content::new(
            crate::storage::Store::open_for_test("mem://").await,
            Arc::new(schemas),
            Arc::new(crate::clock::SystemClock),
            ContentOptions {
                default_locale: "en".into(),
                locales: vec!["en".into(), "cy".into()],
                sites: vec!["csn".into()],
                write_retries: 5,
                import_batch: 100,
                response_cache_bytes: 0,
            },
        )
    }

    /// A new page titled "One": its id and ETag.
    async fn page_one(content: &Content) -> (String, String) {
        let fields = json!({"site": "csn", "fields": {"title": "One", "slug": "one"}});
        let created = content
            .create(&Principal::Bootstrap, "page", fields)
            .await
            .unwrap();
        let uid = created.item["sys"]["id"].as_str().unwrap().to_owned();
        (uid, created.etag)
    }

    fn cache_holds(content: &Content, doc: ItemDoc) {
        let items = content.inner.items.as_ref().unwrap();
        items.insert(doc.uid.clone(), Arc::new(doc));
    }

    #[tokio::test]
    async fn a_stale_cached_item_never_decides_a_write() {
        let content = content().await;
        let who = Principal::Bootstrap;
        let (uid, etag1) = page_one(&content).await;
        let v1 = content.load_item(&uid).await.unwrap().unwrap();
        let summary = json!({"fields": {"summary": "two"}});
        let etag = Some(etag1.as_str());
        content
            .patch(&who, "page", &uid, "en", etag, summary)
            .await
            .unwrap();
        // Version 2 is stored and cached; a racing writer could leave version 1 in the cache.
        cache_holds(&content, v1.clone());
        let title = json!({"fields": {"title": "Three"}});
        let etag2 = manage_etag(2);
        content
            .patch(&who, "page", &uid, "en", Some(&etag2), title)
            .await
            .expect("the right If-Match is not refused on a stale copy");
        let view = content.get_working(&who, "page", &uid, "en").await.unwrap();
        assert_eq!(view.etag, manage_etag(3));
        assert_eq!(view.item["fields"]["summary"], "two", "built on version 2");
        assert_eq!(view.item["fields"]["title"], "Three");

        cache_holds(&content, v1.clone());
        let stale = json!({"fields": {"title": "Lost"}});
        let refused = content
            .patch(&who, "page", &uid, "en", Some(&etag1), stale)
            .await;
        assert!(
            matches!(refused, Err(Error::PreconditionFailed { .. })),
            "{refused:?}"
        );

        cache_holds(&content, v1);
        content
            .act(&who, "page", &uid, "en", Action::Publish)
            .await
            .unwrap();
        let stored = content.load_item(&uid).await.unwrap().unwrap();
        assert_eq!(stored.version, 4);
        let published = &stored.locales["en"].published.as_ref().unwrap().fields;
        assert_eq!(published["title"], "Three");
        let cached = content.current_item(&uid).await.unwrap();
        assert!(cached.cached);
        assert_eq!(
            cached.doc.as_ref(),
            Some(&stored),
            "the cache holds what was stored"
        );
    }

    #[tokio::test]
    async fn record_ids_in_the_text_name_the_records_of_bound_string_keys() {
        let content = content().await;
        let keys = ["01M8E52HNVYHRPPK8EDPQFZZCD.en.3", "12345", "a b\u{27e9}c'd"];
        let mut tx = Tx::default();
        tx.line("BEGIN TRANSACTION;");
        for key in keys {
            tx.upsert("meta", key, json!({ "k": key }));
        }
        tx.line("COMMIT TRANSACTION;");
        assert!(tx.sql.contains("meta:⟨01M8E52HNVYHRPPK8EDPQFZZCD.en.3⟩"));
        let stored = content
            .inner
            .store
            .run(&tx.sql, Value::Object(tx.vars))
            .await
            .unwrap();
        assert!(stored.first_error().is_none());
        for key in keys {
            let sql = "SELECT VALUE k FROM type::record('meta', $key);";
            let mut read = content
                .inner
                .store
                .run(sql, json!({ "key": key }))
                .await
                .unwrap();
            assert_eq!(read.rows(0).unwrap(), vec![json!(key)], "{key}");
        }
    }

    /// The rows of `table` whose key starts with `uid`, as (key, title) pairs.
    async fn rows_of(content: &Content, table: &str, uid: &str) -> Vec<(String, Value)> {
        let sql = format!(
            "SELECT meta::id(id) AS key, fields.title AS title FROM {table} \
             WHERE string::starts_with(meta::id(id), $uid) ORDER BY key;"
        );
        let mut outcome = content
            .inner
            .store
            .run(&sql, json!({"uid": uid}))
            .await
            .unwrap();
        let rows = outcome.rows(0).unwrap();
        rows.into_iter()
            .map(|r| (r["key"].as_str().unwrap().to_owned(), r["title"].clone()))
            .collect()
    }

    #[tokio::test]
    async fn rows_the_item_implies_are_updated_and_written_again_when_missing() {
        let content = content().await;
        let who = Principal::Bootstrap;
        let (uid, _) = page_one(&content).await;
        content
            .act(&who, "page", &uid, "en", Action::Publish)
            .await
            .unwrap();
        let (en, cy) = (format!("{uid}.en"), format!("{uid}.cy"));
        let both = |title: &str| vec![(cy.clone(), json!(title)), (en.clone(), json!(title))];
        assert_eq!(rows_of(&content, "delivery", &uid).await, both("One"));

        // An edit and a publish write the title to the working row, then the delivery rows.
        let retitle = async |title: &str| {
            let fields = json!({"fields": {"title": title}});
            content
                .patch(&who, "page", &uid, "en", Some("*"), fields)
                .await
                .unwrap();
            let working = rows_of(&content, "working", &uid).await;
            assert_eq!(working, vec![(en.clone(), json!(title))]);
            content
                .act(&who, "page", &uid, "en", Action::Publish)
                .await
                .unwrap();
            assert_eq!(rows_of(&content, "delivery", &uid).await, both(title));
        };
        // The rows the stored item implies are updated.
        retitle("Two").await;

        // Rows lost against the invariant are written again, not silently skipped.
        let drop = "DELETE type::record('delivery', $cy); DELETE type::record('working', $en);";
        let dropped = content
            .inner
            .store
            .run(drop, json!({"cy": cy, "en": en}))
            .await
            .unwrap();
        assert!(dropped.first_error().is_none());
        retitle("Three").await;
        let list = rows_of(&content, "delivery_list", &uid).await;
        assert_eq!(list.len(), 2, "{list:?}");
    }

    #[tokio::test]
    async fn row_keys_are_the_keys_of_the_rows_a_write_stores() {
        let content = content().await;
        let who = Principal::Bootstrap;
        let ct = content.content_type("page").unwrap().clone();
        let (uid, _) = page_one(&content).await;
        let opts = content.inner.options.clone();
        let check = |doc: &ItemDoc| {
            let keys = model::RowKeys::of(doc, &opts.locales, &opts.default_locale);
            let working = model::working_rows(&ct, doc, &opts.default_locale);
            let delivery = model::delivery_rows(&ct, doc, &opts.locales, &opts.default_locale);
            let names =
                |rows: Vec<(String, Value)>| rows.into_iter().map(|r| r.0).collect::<Vec<_>>();
            let schedule: Vec<String> = opts
                .locales
                .iter()
                .flat_map(|l| model::schedule_rows(doc, l).0)
                .map(|r| r.0)
                .collect();
            assert_eq!(keys.working, names(working));
            assert_eq!(keys.delivery, names(delivery));
            assert_eq!(keys.schedule, schedule);
            keys
        };
        let doc = content.load_item(&uid).await.unwrap().unwrap();
        assert_eq!(check(&doc).delivery.len(), 0, "a draft has no delivery row");
        content
            .act(&who, "page", &uid, "en", Action::Publish)
            .await
            .unwrap();
        let mut doc = content.load_item(&uid).await.unwrap().unwrap();
        assert_eq!(check(&doc).delivery.len(), 2, "cy falls back to en");
        let en = doc.locales["en"].clone();
        doc.locales.insert("cy".into(), en);
        if let Some(l) = doc.locales.get_mut("cy") {
            l.publish_at = Some("2030-01-01T00:00:00Z".into());
            l.unpublish_at = Some("2031-01-01T00:00:00Z".into());
            l.published = None;
        }
        assert_eq!(check(&doc).schedule.len(), 2);
        doc.archived_at = Some("2026-01-01T00:00:00Z".into());
        assert_eq!(
            check(&doc).delivery.len(),
            0,
            "an archived item is not delivered"
        );
    }
}

//! Import and export of JSONL: one item per line with its `sys` (ids, revisions, states and
//! timestamps kept), so that export -> import -> export is identical.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::io::AsyncRead;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};

use super::commit::{Change, CommitError, Revision};
use super::manage::normalize_with_base;
use super::model::{Fields, ItemDoc, LocaleDoc, RowKeys, Snapshot, State};
use super::plugin_blocks;
use super::{Content, Error};
use crate::principal::Principal;
use crate::schema::{FieldError, is_ulid};

/// Longest accepted line, in bytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// Input bytes per transaction: one line stores several times its size (item, projections,
/// revision), and a transaction must fit SurrealKV's memtable with room to spare.
const MAX_BATCH_LINE_BYTES: usize = 2 * 1024 * 1024;
/// Errors listed in a report (the counts stay exact beyond it).
const MAX_LISTED_ERRORS: usize = 1000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub lines: u64,
    pub imported: u64,
    pub failed: u64,
    pub errors: Vec<LineError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineError {
    pub line: u64,
    pub id: Option<String>,
    pub code: String,
    pub message: String,
    pub details: Vec<FieldError>,
}

fn line_error(line: u64, id: Option<String>, error: Error) -> LineError {
    let (code, message, details) = match error {
        Error::Validation(details) => (
            "validation_failed".to_owned(),
            "validation failed".to_owned(),
            details,
        ),
        Error::BadRequest { code, message } => (code.to_owned(), message, vec![]),
        Error::UnknownType(t) => (
            "unknown_type".into(),
            format!("unknown content type `{t}`"),
            vec![],
        ),
        Error::WriteConflict => ("write_conflict".into(), "kept conflicting".into(), vec![]),
        other => ("import_failed".into(), other.to_string(), vec![]),
    };
    LineError {
        line,
        id,
        code,
        message,
        details,
    }
}

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    super::bad_request(code, message)
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn ts_at(v: &Value, key: &str, fallback: &str) -> Result<String, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(fallback.to_owned()),
        Some(Value::String(s)) => crate::clock::normalize_ts(s).ok_or_else(|| {
            bad(
                "invalid_datetime",
                format!("`{key}`: `{s}` is not RFC 3339"),
            )
        }),
        Some(_) => Err(bad("invalid_datetime", format!("`{key}` must be a string"))),
    }
}

fn opt_ts_at(v: &Value, key: &str) -> Result<Option<String>, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        _ => ts_at(v, key, "").map(Some),
    }
}

fn check_keys(v: &Value, allowed: &[&str], what: &str) -> Result<(), Error> {
    let Some(map) = v.as_object() else {
        return Err(bad("invalid_line", format!("{what} must be an object")));
    };
    if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad("unknown_field", format!("{what}: unknown key `{k}`")));
    }
    Ok(())
}

impl Content {
    /// Parse and validate one line into the item document it describes.
    fn parse_line(&self, line: &str, now: &str) -> Result<ItemDoc, Error> {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| bad("malformed_json", format!("not JSON: {e}")))?;
        check_keys(&v, &["sys", "locales"], "the line")?;
        let sys = v.get("sys").cloned().unwrap_or(Value::Null);
        check_keys(
            &sys,
            &[
                "id",
                "type",
                "site",
                "created_at",
                "created_by",
                "archived_at",
                "trashed_at",
            ],
            "sys",
        )?;
        let uid = str_at(&sys, "id")
            .filter(|id| is_ulid(id))
            .ok_or_else(|| bad("invalid_id", "sys.id must be a ULID"))?;
        let ctype =
            str_at(&sys, "type").ok_or_else(|| bad("invalid_line", "sys.type is required"))?;
        let ct = self.content_type(ctype)?.clone();
        let site = str_at(&sys, "site")
            .unwrap_or(&self.inner.options.sites[0])
            .to_owned();
        self.check_site(&site)?;
        let created_at = ts_at(&sys, "created_at", now)?;
        let Some(locales) = v.get("locales").and_then(Value::as_object) else {
            return Err(bad("invalid_line", "`locales` must be an object"));
        };
        if locales.is_empty() {
            return Err(bad(
                "invalid_line",
                "`locales` must hold at least one locale",
            ));
        }
        let default = self.default_locale().to_owned();
        // The primary locale carries the shared fields: the default one when present.
        let mut order: Vec<&String> = locales.keys().collect();
        order.sort_by_key(|l| (**l != default, (*l).clone()));
        let mut doc = ItemDoc {
            uid: uid.to_owned(),
            ctype: ct.name.clone(),
            site,
            version: 0,
            created_at: created_at.clone(),
            created_by: str_at(&sys, "created_by").unwrap_or("import").to_owned(),
            archived_at: opt_ts_at(&sys, "archived_at")?,
            trashed_at: opt_ts_at(&sys, "trashed_at")?,
            shared: Fields::new(),
            locales: BTreeMap::new(),
        };
        let primary = order[0].clone();
        for locale in order {
            self.check_locale(locale)?;
            let entry = &locales[locale];
            check_keys(
                entry,
                &["sys", "fields", "published"],
                &format!("locales.{locale}"),
            )?;
            let lsys = entry.get("sys").cloned().unwrap_or(json!({}));
            check_keys(
                &lsys,
                &["revision", "state", "updated_at", "updated_by"],
                &format!("locales.{locale}.sys"),
            )?;
            let given = match entry.get("fields") {
                Some(Value::Object(f)) => f.clone(),
                None => Fields::new(),
                Some(_) => {
                    return Err(bad(
                        "invalid_line",
                        format!("locales.{locale}.fields must be an object"),
                    ));
                }
            };
            let mut own = if *locale == primary {
                Fields::new()
            } else {
                doc.shared.clone()
            };
            for (k, val) in given {
                let localized = ct.field(&k).is_some_and(|f| f.localized);
                if *locale == primary || localized || ct.field(&k).is_none() {
                    own.insert(k, val);
                }
            }
            let base = (*locale != default)
                .then(|| doc.locales.get(&default).map(|l| l.fields.clone()))
                .flatten();
            let own_normalized = normalize_with_base(&ct, &own, base.as_ref())?;
            let mut localized = Fields::new();
            for (k, val) in own_normalized.clone() {
                if ct.field(&k).is_some_and(|f| f.localized) {
                    localized.insert(k, val);
                } else if *locale == primary {
                    doc.shared.insert(k, val);
                }
            }
            let revision = lsys
                .get("revision")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            let state = match str_at(&lsys, "state") {
                None => State::Draft,
                Some(s) => State::parse(s)
                    .ok_or_else(|| bad("invalid_state", format!("unknown state `{s}`")))?,
            };
            let published = match entry.get("published") {
                None | Some(Value::Null) => None,
                Some(p) => {
                    check_keys(
                        p,
                        &["sys", "fields"],
                        &format!("locales.{locale}.published"),
                    )?;
                    let psys = p.get("sys").cloned().unwrap_or(json!({}));
                    let given = match p.get("fields") {
                        Some(Value::Object(f)) => f.clone(),
                        _ => {
                            return Err(bad(
                                "invalid_line",
                                format!("locales.{locale}.published.fields must be an object"),
                            ));
                        }
                    };
                    // Shared fields a secondary locale's snapshot leaves out come from the
                    // primary locale's snapshot (or its working copy).
                    let mut fields = Fields::new();
                    if *locale != primary {
                        let primary_snapshot =
                            doc.locales.get(&primary).and_then(|l| l.published.as_ref());
                        let source = primary_snapshot.map(|p| &p.fields).unwrap_or(&doc.shared);
                        for (k, val) in source {
                            if ct.field(k).is_some_and(|f| !f.localized) {
                                fields.insert(k.clone(), val.clone());
                            }
                        }
                    }
                    fields.extend(given);
                    let pbase = (*locale != default)
                        .then(|| {
                            doc.locales
                                .get(&default)
                                .and_then(|l| l.published.as_ref())
                                .map(|p| p.fields.clone())
                        })
                        .flatten();
                    Some(Snapshot {
                        revision: psys
                            .get("revision")
                            .and_then(Value::as_u64)
                            .unwrap_or(revision),
                        published_at: ts_at(&psys, "published_at", now)?,
                        // A snapshot equal to the working copy is normalized once.
                        fields: if fields == own {
                            own_normalized.clone()
                        } else {
                            normalize_with_base(&ct, &fields, pbase.as_ref())?
                        },
                        reads: None,
                    })
                }
            };
            doc.locales.insert(
                locale.clone(),
                LocaleDoc {
                    revision,
                    state,
                    updated_at: ts_at(&lsys, "updated_at", &created_at)?,
                    updated_by: str_at(&lsys, "updated_by").unwrap_or("import").to_owned(),
                    fields: localized,
                    published,
                    publish_at: None,
                    unpublish_at: None,
                },
            );
        }
        Ok(doc)
    }

    fn import_change(
        &self,
        mut doc: ItemDoc,
        current: Option<&ItemDoc>,
        who: &Principal,
    ) -> Result<Change, Error> {
        let ct = self.content_type(&doc.ctype)?;
        let expected = match current {
            Some(cur) if cur.ctype != doc.ctype => {
                return Err(bad(
                    "type_mismatch",
                    format!("item {} exists with type {}", doc.uid, cur.ctype),
                ));
            }
            Some(cur) => cur.version,
            None => 0,
        };
        doc.version = expected + 1;
        let default = self.default_locale();
        let before = current.map(|cur| RowKeys::of(cur, &self.inner.options.locales, default));
        let revisions = doc
            .locales
            .iter()
            .map(|(locale, l)| Revision {
                locale: locale.clone(),
                n: l.revision,
                fields: doc.resolve_working(ct, locale, default).fields,
                state: l.state.as_str(),
            })
            .collect();
        let locales = doc.locales.keys().cloned().collect();
        // Imported snapshots hold plugin blocks without their HTML: render them afresh.
        let enqueue = doc.locales.values().any(|l| {
            l.published
                .as_ref()
                .is_some_and(|p| plugin_blocks::has_plugin_blocks(ct, &p.fields))
        });
        Ok(Change {
            expected_version: expected,
            doc,
            revisions,
            action: "imported",
            actor: who.actor(),
            locales,
            effects: plugin_blocks::Effects {
                enqueue,
                ..Default::default()
            },
            before,
        })
    }

    async fn load_items(&self, uids: &[String]) -> Result<BTreeMap<String, ItemDoc>, Error> {
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT * OMIT id FROM item WHERE uid INSIDE $ids;",
                json!({ "ids": uids }),
            )
            .await?;
        let mut out = BTreeMap::new();
        for row in outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?
        {
            let doc: ItemDoc =
                serde_json::from_value(row).map_err(|e| Error::Storage(e.to_string()))?;
            out.insert(doc.uid.clone(), doc);
        }
        Ok(out)
    }

    /// Write one batch; when it fails as a whole, retry its lines one by one.
    async fn import_batch(
        &self,
        who: &Principal,
        batch: Vec<(u64, ItemDoc)>,
        report: &mut ImportReport,
    ) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let uids: Vec<String> = batch.iter().map(|(_, d)| d.uid.clone()).collect();
        let mut distinct = uids.clone();
        distinct.sort();
        distinct.dedup();
        if distinct.len() == uids.len() {
            let current = self.load_items(&uids).await?;
            let changes: Result<Vec<Change>, (u64, Error)> = batch
                .iter()
                .map(|(n, d)| {
                    self.import_change(d.clone(), current.get(&d.uid), who)
                        .map_err(|e| (*n, e))
                })
                .collect();
            if let Ok(changes) = changes
                && self.commit(&changes).await.is_ok()
            {
                report.imported += batch.len() as u64;
                return Ok(());
            }
        }
        for (n, doc) in batch {
            let uid = doc.uid.clone();
            let result = self
                .write_item(&uid, |current| {
                    self.import_change(doc.clone(), current.as_ref(), who)
                })
                .await;
            match result {
                Ok(_) => report.imported += 1,
                Err(Error::Storage(e)) => return Err(Error::Storage(e)),
                Err(e) => self.record_failure(report, line_error(n, Some(uid), e)),
            }
        }
        Ok(())
    }

    fn record_failure(&self, report: &mut ImportReport, error: LineError) {
        report.failed += 1;
        if report.errors.len() < MAX_LISTED_ERRORS {
            report.errors.push(error);
        }
    }

    /// Import JSONL from `reader`, batch by batch; bad lines are reported, good ones kept.
    pub async fn import<R: AsyncRead + Unpin>(
        &self,
        who: &Principal,
        reader: R,
    ) -> Result<ImportReport, Error> {
        if !who.is_admin() {
            return Err(if who.role().is_none() {
                Error::Unauthorized
            } else {
                Error::Forbidden("import needs an admin".into())
            });
        }
        let mut lines = FramedRead::new(reader, LinesCodec::new_with_max_length(MAX_LINE_BYTES));
        let mut report = ImportReport::default();
        let mut batch = Vec::new();
        let mut batch_bytes = 0usize;
        let now = self.now();
        while let Some(line) = lines.next().await {
            report.lines += 1;
            let n = report.lines;
            match line {
                Ok(text) if text.trim().is_empty() => {}
                Ok(text) => match self.parse_line(&text, &now) {
                    Ok(doc) => {
                        batch.push((n, doc));
                        batch_bytes += text.len();
                        if batch.len() >= self.inner.options.import_batch
                            || batch_bytes >= MAX_BATCH_LINE_BYTES
                        {
                            batch_bytes = 0;
                            self.import_batch(who, std::mem::take(&mut batch), &mut report)
                                .await?;
                        }
                    }
                    Err(e) => {
                        let id = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
                            v.pointer("/sys/id")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        });
                        self.record_failure(&mut report, line_error(n, id, e));
                    }
                },
                Err(LinesCodecError::MaxLineLengthExceeded) => {
                    self.record_failure(
                        &mut report,
                        line_error(
                            n,
                            None,
                            bad("line_too_long", format!("line over {MAX_LINE_BYTES} bytes")),
                        ),
                    );
                }
                Err(LinesCodecError::Io(e)) => {
                    self.import_batch(who, std::mem::take(&mut batch), &mut report)
                        .await?;
                    self.record_failure(
                        &mut report,
                        line_error(
                            n,
                            None,
                            bad("read_failed", format!("reading the body failed: {e}")),
                        ),
                    );
                    return Ok(report);
                }
            }
        }
        self.import_batch(who, batch, &mut report).await?;
        Ok(report)
    }

    /// One export line per item, from one consistent read of the store.
    pub async fn export(&self, who: &Principal) -> Result<Vec<String>, Error> {
        if !who.is_admin() {
            return Err(if who.role().is_none() {
                Error::Unauthorized
            } else {
                Error::Forbidden("export needs an admin".into())
            });
        }
        let mut outcome = self
            .inner
            .store
            .run("SELECT * OMIT id FROM item ORDER BY uid ASC;", Value::Null)
            .await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        let mut lines = Vec::with_capacity(rows.len());
        for row in rows {
            let doc: ItemDoc =
                serde_json::from_value(row).map_err(|e| Error::Storage(e.to_string()))?;
            lines.push(export_line(&doc).to_string());
        }
        Ok(lines)
    }
}

/// The export form of one item.
pub fn export_line(doc: &ItemDoc) -> Value {
    let mut sys = Map::new();
    sys.insert("id".into(), json!(doc.uid));
    sys.insert("type".into(), json!(doc.ctype));
    sys.insert("site".into(), json!(doc.site));
    sys.insert("created_at".into(), json!(doc.created_at));
    sys.insert("created_by".into(), json!(doc.created_by));
    if let Some(a) = &doc.archived_at {
        sys.insert("archived_at".into(), json!(a));
    }
    if let Some(t) = &doc.trashed_at {
        sys.insert("trashed_at".into(), json!(t));
    }
    let mut locales = Map::new();
    for (locale, l) in &doc.locales {
        let mut entry = Map::new();
        entry.insert(
            "sys".into(),
            json!({"revision": l.revision, "state": l.state.as_str(), "updated_at": l.updated_at, "updated_by": l.updated_by}),
        );
        entry.insert("fields".into(), Value::Object(doc.own_working(locale)));
        if let Some(p) = &l.published {
            entry.insert(
                "published".into(),
                json!({"sys": {"revision": p.revision, "published_at": p.published_at}, "fields": p.fields}),
            );
        }
        locales.insert(locale.clone(), Value::Object(entry));
    }
    json!({"sys": sys, "locales": locales})
}

impl From<CommitError> for Error {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Retry => Error::WriteConflict,
            CommitError::Unique { .. } => Error::Storage("unique".into()),
            CommitError::Fatal(m) => Error::Storage(m),
        }
    }
}

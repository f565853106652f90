//! The stored item document and the pure functions that derive its projections
//! (working rows for management lists, delivery rows for published reads).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema::ContentType;

pub type Fields = Map<String, Value>;

/// Workflow state of a working copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Draft,
    InReview,
    Approved,
    /// The working copy equals the published snapshot.
    Published,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::InReview => "in_review",
            State::Approved => "approved",
            State::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "draft" => Some(State::Draft),
            "in_review" => Some(State::InReview),
            "approved" => Some(State::Approved),
            "published" => Some(State::Published),
            _ => None,
        }
    }
}

/// The authoritative record of one item (`item` table): every locale's working copy and snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDoc {
    pub uid: String,
    pub ctype: String,
    pub site: String,
    /// Bumped by every write; the optimistic-concurrency token (`ETag`/`If-Match`).
    pub version: u64,
    pub created_at: String,
    pub created_by: String,
    #[serde(default)]
    pub archived_at: Option<String>,
    #[serde(default)]
    pub trashed_at: Option<String>,
    /// Working values of the non-localized fields (shared by all locales).
    #[serde(default)]
    pub shared: Fields,
    pub locales: BTreeMap<String, LocaleDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocaleDoc {
    pub revision: u64,
    pub state: State,
    pub updated_at: String,
    pub updated_by: String,
    /// This locale's own values of localized fields (missing ones fall back to the default locale).
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub published: Option<Snapshot>,
    /// Scheduled publish and unpublish of this locale (RFC 3339), run by the scheduler job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpublish_at: Option<String>,
}

/// A published snapshot: the shared fields as they were at publish time plus this locale's own values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub revision: u64,
    pub published_at: String,
    pub fields: Fields,
    /// Whether the render stored with this snapshot read other items through `get-content`
    /// (its locale's `plugin_read` rows exist exactly when true); None when not known
    /// (snapshots stored before this was recorded, imported ones, ones without plugin blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<bool>,
}

/// Fields resolved for one locale, with the names taken from the default locale.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub fields: Fields,
    pub fallback: Vec<String>,
}

/// Site scope used by slug uniqueness and site filters: `*` for shared types.
pub fn scope(ct: &ContentType, site: &str) -> String {
    if ct.shared {
        "*".to_owned()
    } else {
        site.to_owned()
    }
}

fn has_value(fields: &Fields, name: &str) -> bool {
    fields.get(name).is_some_and(|v| !v.is_null())
}

/// Resolve a locale's fields over a base, field by field for localized fields.
fn resolve_over(ct: &ContentType, own: &Fields, base: Option<&Fields>) -> Resolved {
    let mut fields = Fields::new();
    let mut fallback = Vec::new();
    for field in &ct.fields {
        let name = &field.name;
        if has_value(own, name) {
            fields.insert(name.clone(), own[name].clone());
        } else if field.localized
            && let Some(base) = base
            && has_value(base, name)
        {
            fields.insert(name.clone(), base[name].clone());
            fallback.push(name.clone());
        }
    }
    Resolved { fields, fallback }
}

impl ItemDoc {
    /// The working values a locale owns: shared fields plus its own localized values.
    pub fn own_working(&self, locale: &str) -> Fields {
        let mut own = self.shared.clone();
        if let Some(l) = self.locales.get(locale) {
            for (k, v) in &l.fields {
                own.insert(k.clone(), v.clone());
            }
        }
        own
    }

    /// The working copy of `locale` resolved with fallback to `default`.
    pub fn resolve_working(&self, ct: &ContentType, locale: &str, default: &str) -> Resolved {
        let own = self.own_working(locale);
        if locale == default {
            return resolve_over(ct, &own, None);
        }
        let base = self.locales.get(default).map(|l| l.fields.clone());
        resolve_over(ct, &own, base.as_ref())
    }

    /// The published snapshot of `locale` resolved with fallback to `default`, if anything is published.
    pub fn resolve_published(
        &self,
        ct: &ContentType,
        locale: &str,
        default: &str,
    ) -> Option<Resolved> {
        match self.snapshots(locale, default) {
            (Some(own), base) => Some(resolve_over(ct, &own.fields, base.map(|b| &b.fields))),
            (None, Some(base)) => {
                let mut r = resolve_over(ct, &Fields::new(), Some(&base.fields));
                // Shared fields come from the default locale's snapshot as they are.
                for field in ct.fields.iter().filter(|f| !f.localized) {
                    if let Some(v) = base.fields.get(&field.name) {
                        r.fields.insert(field.name.clone(), v.clone());
                    }
                }
                let order: Vec<&String> = ct.fields.iter().map(|f| &f.name).collect();
                let mut sorted = Fields::new();
                for name in order {
                    if let Some(v) = r.fields.remove(name) {
                        sorted.insert(name.clone(), v);
                    }
                }
                r.fields = sorted;
                Some(r)
            }
            (None, None) => None,
        }
    }

    pub fn is_live(&self) -> bool {
        self.archived_at.is_none() && self.trashed_at.is_none()
    }

    /// The snapshots `locale` is published from: its own, and the default locale's when
    /// `locale` is another one (it falls back to it).
    fn snapshots(&self, locale: &str, default: &str) -> (Option<&Snapshot>, Option<&Snapshot>) {
        let own = self.locales.get(locale).and_then(|l| l.published.as_ref());
        let base = self
            .locales
            .get(default)
            .and_then(|l| l.published.as_ref())
            .filter(|_| locale != default);
        (own, base)
    }

    /// True when `resolve_published` gives something for `locale`.
    pub fn publishes(&self, locale: &str, default: &str) -> bool {
        let (own, base) = self.snapshots(locale, default);
        own.is_some() || base.is_some()
    }
}

/// The keys of the projection rows an item's write stores, by table: what a later write has
/// to delete when they are no longer produced (without them, it deletes every possible key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowKeys {
    pub working: Vec<String>,
    pub delivery: Vec<String>,
    pub schedule: Vec<String>,
}

impl RowKeys {
    /// The keys `working_rows`, `delivery_rows` and `schedule_rows` give for `doc`.
    pub fn of(doc: &ItemDoc, locales: &[String], default: &str) -> RowKeys {
        let mut keys = RowKeys::default();
        for (locale, l) in &doc.locales {
            keys.working.push(row_key(&doc.uid, locale));
            for (kind, at) in [("publish", &l.publish_at), ("unpublish", &l.unpublish_at)] {
                if at.is_some() {
                    keys.schedule.push(schedule_key(&doc.uid, locale, kind));
                }
            }
        }
        if doc.is_live() {
            keys.delivery = locales
                .iter()
                .filter(|l| doc.publishes(l, default))
                .map(|l| row_key(&doc.uid, l))
                .collect();
        }
        keys
    }
}

/// Key of a per-(item, locale) row.
pub fn row_key(uid: &str, locale: &str) -> String {
    format!("{uid}.{locale}")
}

fn slug_of(ct: &ContentType, fields: &Fields) -> Option<String> {
    let slug_field = ct.slug_field.as_ref()?;
    fields.get(slug_field)?.as_str().map(str::to_owned)
}

/// Sort keys: every sortable field present (null when missing) so that cursors compare like with like.
fn sort_keys(ct: &ContentType, fields: &Fields) -> Value {
    let mut keys = Map::new();
    for field in ct.fields.iter().filter(|f| f.sortable) {
        let v = fields.get(&field.name).cloned().unwrap_or(Value::Null);
        keys.insert(field.name.clone(), v);
    }
    Value::Object(keys)
}

fn schedule_key(uid: &str, locale: &str, kind: &str) -> String {
    format!("{uid}.{locale}.{kind}")
}

/// The `schedule` rows of one locale: `(key, row)` for each time set, and the keys of both kinds.
pub fn schedule_rows(doc: &ItemDoc, locale: &str) -> (Vec<(String, Value)>, [String; 2]) {
    let key = |kind: &str| schedule_key(&doc.uid, locale, kind);
    let mut rows = Vec::new();
    if let Some(l) = doc.locales.get(locale) {
        for (kind, at) in [("publish", &l.publish_at), ("unpublish", &l.unpublish_at)] {
            if let Some(at) = at {
                rows.push((
                    key(kind),
                    serde_json::json!({"uid": doc.uid, "ctype": doc.ctype, "locale": locale,
                                       "action": kind, "at": at}),
                ));
            }
        }
    }
    (rows, [key("publish"), key("unpublish")])
}

/// The rows of the `working` table for this item (one per locale it has).
pub fn working_rows(ct: &ContentType, doc: &ItemDoc, default: &str) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    for (locale, l) in &doc.locales {
        let resolved = doc.resolve_working(ct, locale, default);
        let resolved_fields = resolved.fields.clone();
        let mut row = serde_json::json!({
            "uid": doc.uid,
            "ctype": doc.ctype,
            "site": doc.site,
            "scope": scope(ct, &doc.site),
            "locale": locale,
            "state": if doc.trashed_at.is_some() { "trashed" } else if doc.archived_at.is_some() { "archived" } else { l.state.as_str() },
            "revision": l.revision,
            "version": doc.version,
            "created_at": doc.created_at,
            "updated_at": l.updated_at,
            "published_at": l.published.as_ref().map(|p| p.published_at.clone()),
            "publish_at": l.publish_at,
            "unpublish_at": l.unpublish_at,
            "visibility": ct.visibility_of(&resolved.fields).as_str(),
            "fallback": resolved.fallback,
            "sk": sort_keys(ct, &resolved.fields),
            "fields": resolved.fields,
        });
        if let Some(slug) = slug_of(ct, &resolved_fields)
            && let Some(obj) = row.as_object_mut()
        {
            obj.insert("slug".into(), Value::String(slug));
        }
        rows.push((row_key(&doc.uid, locale), row));
    }
    rows
}

/// The rows of the `delivery` table for this item: one per available locale that resolves to
/// a published snapshot, none while archived or trashed.
pub fn delivery_rows(
    ct: &ContentType,
    doc: &ItemDoc,
    locales: &[String],
    default: &str,
) -> Vec<(String, Value)> {
    let mut rows = Vec::new();
    if !doc.is_live() {
        return rows;
    }
    for locale in locales {
        let Some(resolved) = doc.resolve_published(ct, locale, default) else {
            continue;
        };
        let source = doc
            .locales
            .get(locale)
            .and_then(|l| l.published.as_ref())
            .or_else(|| doc.locales.get(default).and_then(|l| l.published.as_ref()));
        let Some(source) = source else { continue };
        let mut row = serde_json::json!({
            "uid": doc.uid,
            "ctype": doc.ctype,
            "site": doc.site,
            "scope": scope(ct, &doc.site),
            "locale": locale,
            "revision": source.revision,
            "published_at": source.published_at,
            "visibility": ct.visibility_of(&resolved.fields).as_str(),
            "fallback": resolved.fallback,
            "sk": sort_keys(ct, &resolved.fields),
            "fields": resolved.fields,
        });
        if let Some(slug) = slug_of(ct, &resolved.fields)
            && let Some(obj) = row.as_object_mut()
        {
            obj.insert("slug".into(), Value::String(slug));
        }
        rows.push((row_key(&doc.uid, locale), row));
    }
    rows
}

/// The lean row a delivery list scans: keys, visibility, sort keys and filterable values only.
pub fn delivery_list_row(ct: &ContentType, row: &Value) -> Value {
    let mut lean = Map::new();
    for key in [
        "uid",
        "ctype",
        "site",
        "scope",
        "locale",
        "visibility",
        "published_at",
        "sk",
    ] {
        if let Some(v) = row.get(key) {
            lean.insert(key.to_owned(), v.clone());
        }
    }
    let mut filterable = Map::new();
    if let Some(fields) = row.get("fields").and_then(Value::as_object) {
        for field in ct.fields.iter().filter(|f| f.filterable) {
            if let Some(v) = fields.get(&field.name) {
                filterable.insert(field.name.clone(), v.clone());
            }
        }
    }
    lean.insert("f".into(), Value::Object(filterable));
    Value::Object(lean)
}

//! Management operations on working copies: create, read, list, patch, workflow actions, trash.

use serde_json::{Map, Value};

use super::commit::{Change, Revision};
use super::model::{self, Fields, ItemDoc, LocaleDoc, State};
use super::plugin_blocks;
use super::query::{ListParams, Table};
use super::view::{self, ItemView, Page};
use super::workflow::{self, Action};
use super::{Content, Error, bad_request, merge_patch};
use crate::principal::Principal;
use crate::schema::{ContentType, FieldError};

pub(super) fn require_manager(who: &Principal, ctype: &str) -> Result<(), Error> {
    match who {
        Principal::Anonymous => Err(Error::Unauthorized),
        w if !w.can_manage() => Err(Error::Forbidden(
            "managing content needs a contributor, editor, admin or a write token".into(),
        )),
        w if !w.allows_type(ctype) => Err(super::out_of_scope(ctype)),
        _ => Ok(()),
    }
}

fn unknown_key(key: &str) -> FieldError {
    FieldError {
        path: key.to_owned(),
        code: "unknown_field".into(),
        message: format!("`{key}` is not accepted here"),
    }
}

/// Split a body `{"fields": {...}, ...}` into its parts, refusing unknown keys.
fn body_object(body: Value, allowed: &[&str]) -> Result<Map<String, Value>, Error> {
    let Value::Object(map) = body else {
        return Err(Error::Validation(vec![FieldError {
            path: String::new(),
            code: "wrong_type".into(),
            message: "the body must be a JSON object".into(),
        }]));
    };
    let unknown: Vec<FieldError> = map
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| unknown_key(k))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Validation(unknown));
    }
    Ok(map)
}

fn fields_of(body: &mut Map<String, Value>) -> Result<Fields, Error> {
    match body.remove("fields") {
        Some(Value::Object(fields)) => Ok(fields),
        None => Ok(Fields::new()),
        Some(_) => Err(Error::Validation(vec![FieldError {
            path: "fields".into(),
            code: "wrong_type".into(),
            message: "`fields` must be an object".into(),
        }])),
    }
}

/// Normalize `own` values with `base` (the default locale's) filling missing localized fields;
/// returns the normalized own values (shared and localized), without the borrowed ones.
pub(super) fn normalize_with_base(
    ct: &ContentType,
    own: &Fields,
    base: Option<&Fields>,
) -> Result<Fields, Error> {
    let mut resolved = own.clone();
    let mut fallback = Vec::new();
    if let Some(base) = base {
        for field in ct.fields.iter().filter(|f| f.localized) {
            if own.get(&field.name).is_none_or(Value::is_null)
                && let Some(v) = base.get(&field.name)
            {
                resolved.insert(field.name.clone(), v.clone());
                fallback.push(field.name.clone());
            }
        }
    }
    let mut normalized = ct.normalize(&resolved).map_err(Error::Validation)?;
    normalized.retain(|k, _| !fallback.contains(k));
    Ok(normalized)
}

/// Validate `own` for `locale` (with fallback to the default locale) and split the normalized
/// result into the shared fields and the locale's own localized fields.
pub(super) fn normalize_locale(
    ct: &ContentType,
    doc: &ItemDoc,
    locale: &str,
    default: &str,
    own: &Fields,
) -> Result<(Fields, Fields), Error> {
    let base = if locale == default {
        None
    } else {
        doc.locales.get(default).map(|l| &l.fields)
    };
    let normalized = normalize_with_base(ct, own, base)?;
    let mut shared = Fields::new();
    let mut localized = Fields::new();
    for (k, v) in normalized {
        if ct.field(&k).is_some_and(|f| f.localized) {
            localized.insert(k, v);
        } else {
            shared.insert(k, v);
        }
    }
    Ok((shared, localized))
}

/// What a write stamps on the item: who, when, and the default locale for fallbacks.
pub(super) struct Stamp<'a> {
    pub who: &'a Principal,
    pub now: &'a str,
    pub default: &'a str,
}

/// Bump the version and the revisions of `locales`, recording one revision row per locale.
pub(super) fn finish(
    ct: &ContentType,
    mut doc: ItemDoc,
    expected_version: u64,
    locales: Vec<String>,
    action: &'static str,
    stamp: &Stamp<'_>,
) -> Change {
    let Stamp { who, now, default } = *stamp;
    doc.version = expected_version + 1;
    let mut revisions = Vec::new();
    for locale in &locales {
        let fields = doc.resolve_working(ct, locale, default).fields;
        if let Some(l) = doc.locales.get_mut(locale) {
            l.revision += 1;
            l.updated_at = now.to_owned();
            l.updated_by = who.actor();
            if action == "published"
                && let Some(p) = l.published.as_mut()
            {
                p.revision = l.revision;
            }
            revisions.push(Revision {
                locale: locale.clone(),
                n: l.revision,
                fields,
                state: l.state.as_str(),
            });
        }
    }
    Change {
        expected_version,
        doc,
        revisions,
        action,
        actor: who.actor(),
        locales,
        effects: Default::default(),
        before: None,
    }
}

/// What an edit of a locale's working values needs to know.
pub(super) struct Edit<'a> {
    pub who: &'a Principal,
    pub ctype: &'a str,
    pub uid: &'a str,
    pub locale: &'a str,
    /// `Some(header)`: the edit checks `If-Match` (a missing header is 428).
    pub if_match: Option<Option<&'a str>>,
    /// A restore of an earlier revision (audited as such).
    pub restored: bool,
}

/// `If-Match` against the item's current ETag (`*` matches any existing item).
fn check_if_match(if_match: Option<&str>, doc: &ItemDoc) -> Result<(), Error> {
    let current = view::manage_etag(doc.version);
    let Some(given) = if_match else {
        return Err(Error::PreconditionRequired);
    };
    let ok = given.split(',').map(str::trim).any(|g| {
        let g = g.trim_start_matches("W/");
        g == "*" || g == current || g.trim_matches('"') == current.trim_matches('"')
    });
    if ok {
        Ok(())
    } else {
        Err(Error::PreconditionFailed { current })
    }
}

impl Content {
    pub(super) fn manage_view(
        &self,
        ct: &ContentType,
        doc: &ItemDoc,
        locale: &str,
    ) -> Result<ItemView, Error> {
        let default = self.default_locale();
        let rows = model::working_rows(ct, doc, default);
        let key = model::row_key(&doc.uid, locale);
        if let Some((_, row)) = rows.into_iter().find(|(k, _)| *k == key) {
            return Ok(view::working_view(&row, None));
        }
        // The locale does not exist yet: show the fallback content at revision 0.
        let mut probe = doc.clone();
        probe.locales.insert(
            locale.to_owned(),
            LocaleDoc {
                revision: 0,
                state: State::Draft,
                updated_at: doc.created_at.clone(),
                updated_by: String::new(),
                fields: Fields::new(),
                published: None,
                publish_at: None,
                unpublish_at: None,
            },
        );
        let rows = model::working_rows(ct, &probe, default);
        rows.into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, row)| view::working_view(&row, Some("new")))
            .ok_or(Error::NotFound)
    }

    /// The item if it is of `ctype` and within the site of a site-bound token (else hidden).
    pub(super) fn owned_doc(
        &self,
        who: &Principal,
        ctype: &str,
        current: Option<ItemDoc>,
    ) -> Result<ItemDoc, Error> {
        match current {
            Some(doc) if doc.ctype == ctype && self.site_allowed(who, ctype, &doc.site) => Ok(doc),
            _ => Err(Error::NotFound),
        }
    }

    /// Items of shared types belong to every site; others only to their own.
    fn site_allowed(&self, who: &Principal, ctype: &str, site: &str) -> bool {
        match who.site_scope() {
            None => true,
            Some(bound) => {
                bound == site || self.inner.schemas.get(ctype).is_some_and(|ct| ct.shared)
            }
        }
    }

    /// `POST /manage/{type}`: a new draft.
    pub async fn create(
        &self,
        who: &Principal,
        ctype: &str,
        body: Value,
    ) -> Result<ItemView, Error> {
        require_manager(who, ctype)?;
        let ct = self.content_type(ctype)?.clone();
        let mut body = body_object(body, &["site", "locale", "fields"])?;
        let site = match body.remove("site") {
            None | Some(Value::Null) => self.inner.options.sites[0].clone(),
            Some(Value::String(s)) => s,
            Some(_) => return Err(bad_request("invalid_site", "`site` must be a string")),
        };
        self.check_site(&site)?;
        if !self.site_allowed(who, ctype, &site) {
            return Err(Error::Forbidden(format!(
                "this token is bound to another site than `{site}`"
            )));
        }
        let locale = match body.remove("locale") {
            None | Some(Value::Null) => self.default_locale().to_owned(),
            Some(Value::String(s)) => s,
            Some(_) => return Err(bad_request("unknown_locale", "`locale` must be a string")),
        };
        self.check_locale(&locale)?;
        let fields = fields_of(&mut body)?;
        self.check_plugin_blocks(&ct, &fields).await?;
        let uid = ulid::Ulid::generate().to_string();
        let now = self.now();
        let default = self.default_locale().to_owned();
        let stamp = Stamp {
            who,
            now: &now,
            default: &default,
        };
        let doc = self
            .write_item(&uid, |current| {
                if current.is_some() {
                    return Err(Error::WriteConflict);
                }
                let mut doc = ItemDoc {
                    uid: uid.clone(),
                    ctype: ct.name.clone(),
                    site: site.clone(),
                    version: 0,
                    created_at: now.clone(),
                    created_by: who.actor(),
                    archived_at: None,
                    trashed_at: None,
                    shared: Fields::new(),
                    locales: Default::default(),
                };
                let (shared, localized) = normalize_locale(&ct, &doc, &locale, &default, &fields)?;
                doc.shared = shared;
                doc.locales.insert(
                    locale.clone(),
                    LocaleDoc {
                        revision: 0,
                        state: State::Draft,
                        updated_at: now.clone(),
                        updated_by: who.actor(),
                        fields: localized,
                        published: None,
                        publish_at: None,
                        unpublish_at: None,
                    },
                );
                Ok(finish(&ct, doc, 0, vec![locale.clone()], "created", &stamp))
            })
            .await?;
        self.manage_view(&ct, &doc, &locale)
    }

    /// `GET /manage/{type}/{id}?locale=`.
    pub async fn get_working(
        &self,
        who: &Principal,
        ctype: &str,
        uid: &str,
        locale: &str,
    ) -> Result<ItemView, Error> {
        require_manager(who, ctype)?;
        let ct = self.content_type(ctype)?;
        self.check_locale(locale)?;
        let doc = self.owned_doc(who, ctype, self.load_item(uid).await?)?;
        self.manage_view(ct, &doc, locale)
    }

    /// `PATCH /manage/{type}/{id}?locale=`: merge patch of `fields`; creates a missing locale.
    pub async fn patch(
        &self,
        who: &Principal,
        ctype: &str,
        uid: &str,
        locale: &str,
        if_match: Option<&str>,
        body: Value,
    ) -> Result<ItemView, Error> {
        require_manager(who, ctype)?;
        self.check_locale(locale)?;
        let mut body = body_object(body, &["fields"])?;
        let patch = fields_of(&mut body)?;
        // Blocks arrays in a merge patch replace the stored ones: their plugin blocks are new,
        // and the plugins check them (once the caller is known to be allowed to edit).
        if let Some(ct) = self.inner.schemas.get(ctype)
            && plugin_blocks::has_plugin_blocks(ct, &patch)
        {
            let doc = self.owned_doc(who, ctype, self.load_item(uid).await?)?;
            workflow::may_edit(&doc, locale, who)?;
            self.check_plugin_blocks(ct, &patch).await?;
        }
        let patch = Value::Object(patch);
        let edit = Edit {
            who,
            ctype,
            uid,
            locale,
            if_match: Some(if_match),
            restored: false,
        };
        self.edit_fields(edit, |doc| {
            let mut own = Value::Object(doc.own_working(locale));
            merge_patch::apply(&mut own, &patch);
            match own {
                Value::Object(m) => m,
                _ => Fields::new(),
            }
        })
        .await
    }

    /// Replace a locale's working values (patch or restore), validated like any edit.
    pub(super) async fn edit_fields<F>(&self, edit: Edit<'_>, values: F) -> Result<ItemView, Error>
    where
        F: Fn(&ItemDoc) -> Fields,
    {
        let Edit {
            who,
            ctype,
            uid,
            locale,
            if_match,
            restored,
        } = edit;
        let ct = self.content_type(ctype)?.clone();
        let now = self.now();
        let default = self.default_locale().to_owned();
        let stamp = Stamp {
            who,
            now: &now,
            default: &default,
        };
        let doc = self
            .write_item(uid, |current| {
                let mut doc = self.owned_doc(who, ctype, current)?;
                workflow::may_edit(&doc, locale, who)?;
                if let Some(if_match) = if_match {
                    check_if_match(if_match, &doc)?;
                }
                if doc.trashed_at.is_some() {
                    return Err(Error::IllegalTransition {
                        message: "the item is in the trash; untrash it first".into(),
                        allowed: vec!["untrash"],
                    });
                }
                let own = values(&doc);
                let (shared, localized) = normalize_locale(&ct, &doc, locale, &default, &own)?;
                let is_new = !doc.locales.contains_key(locale);
                doc.shared = shared;
                let entry = doc
                    .locales
                    .entry(locale.to_owned())
                    .or_insert_with(|| LocaleDoc {
                        revision: 0,
                        state: State::Draft,
                        updated_at: now.clone(),
                        updated_by: who.actor(),
                        fields: Fields::new(),
                        published: None,
                        publish_at: None,
                        unpublish_at: None,
                    });
                entry.fields = localized;
                entry.state = State::Draft;
                let expected = doc.version;
                let action = match (restored, is_new) {
                    (true, _) => "restored",
                    (false, true) => "created",
                    (false, false) => "updated",
                };
                Ok(finish(
                    &ct,
                    doc,
                    expected,
                    vec![locale.to_owned()],
                    action,
                    &stamp,
                ))
            })
            .await?;
        self.manage_view(&ct, &doc, locale)
    }

    /// `POST /manage/{type}/{id}/{action}?locale=`.
    pub async fn act(
        &self,
        who: &Principal,
        ctype: &str,
        uid: &str,
        locale: &str,
        action: Action,
    ) -> Result<ItemView, Error> {
        require_manager(who, ctype)?;
        let ct = self.content_type(ctype)?.clone();
        self.check_locale(locale)?;
        let now = self.now();
        let default = self.default_locale().to_owned();
        let stamp = Stamp {
            who,
            now: &now,
            default: &default,
        };
        // Plugin blocks are rendered into the snapshot: render what would be published now.
        let current = self.current_item(uid).await?;
        let renders = match (&current.doc, action) {
            (Some(doc), Action::Publish) if doc.ctype == ctype => {
                let fields = doc.own_working(locale);
                self.render_blocks(&ct, doc, locale, &fields).await
            }
            _ => Default::default(),
        };
        let doc = self
            .write_loaded_item(uid, Some(current), |current| {
                let mut doc = self.owned_doc(who, ctype, current)?;
                if !doc.locales.contains_key(locale)
                    && !matches!(
                        action,
                        Action::Archive | Action::Unarchive | Action::Untrash
                    )
                {
                    return Err(Error::NotFound);
                }
                let expected = doc.version;
                let item_level = matches!(
                    action,
                    Action::Archive | Action::Unarchive | Action::Untrash
                );
                // What the snapshot this publish replaces recorded of its reads.
                let stored_reads = doc
                    .locales
                    .get(locale)
                    .and_then(|l| l.published.as_ref())
                    .and_then(|p| p.reads);
                workflow::apply(&mut doc, locale, action, who, &now)?;
                let mut effects = plugin_blocks::Effects::default();
                if action == Action::Publish
                    && let Some(snapshot) = doc
                        .locales
                        .get_mut(locale)
                        .and_then(|l| l.published.as_mut())
                    && (!renders.is_empty()
                        || plugin_blocks::has_plugin_blocks(&ct, &snapshot.fields))
                {
                    let (reads, missed) = renders.fill(&ct, &mut snapshot.fields);
                    effects.record_reads(locale, stored_reads, snapshot, reads);
                    effects.enqueue = missed;
                } else if stored_reads == Some(true)
                    && matches!(action, Action::Publish | Action::Unpublish)
                {
                    // The snapshot that read other items is replaced by one without plugin
                    // blocks, or gone: its `plugin_read` rows go with it.
                    if let Some(snapshot) = doc
                        .locales
                        .get_mut(locale)
                        .and_then(|l| l.published.as_mut())
                    {
                        snapshot.reads = Some(false);
                    }
                    effects.reads.push((locale.to_owned(), Default::default()));
                }
                let locales = if item_level {
                    doc.locales.keys().cloned().collect()
                } else {
                    vec![locale.to_owned()]
                };
                let mut change = finish(&ct, doc, expected, locales, action.event(), &stamp);
                change.effects = effects;
                Ok(change)
            })
            .await?;
        self.manage_view(&ct, &doc, locale)
    }

    /// `DELETE /manage/{type}/{id}`: move to the trash (`untrash` restores).
    pub async fn trash(&self, who: &Principal, ctype: &str, uid: &str) -> Result<(), Error> {
        require_manager(who, ctype)?;
        if !who.can_publish() {
            return Err(Error::Forbidden(
                "moving items to the trash needs an editor or admin".into(),
            ));
        }
        let ct = self.content_type(ctype)?.clone();
        let now = self.now();
        let default = self.default_locale().to_owned();
        let stamp = Stamp {
            who,
            now: &now,
            default: &default,
        };
        self.write_item(uid, |current| {
            let mut doc = self.owned_doc(who, ctype, current)?;
            if doc.trashed_at.is_some() {
                return Err(Error::IllegalTransition {
                    message: "the item is already in the trash".into(),
                    allowed: vec!["untrash"],
                });
            }
            doc.trashed_at = Some(now.clone());
            let expected = doc.version;
            let locales = doc.locales.keys().cloned().collect();
            Ok(finish(&ct, doc, expected, locales, "trashed", &stamp))
        })
        .await?;
        Ok(())
    }

    /// `GET /manage/{type}`: working copies.
    pub async fn list_working(
        &self,
        who: &Principal,
        ctype: &str,
        params: &ListParams,
    ) -> Result<Page, Error> {
        require_manager(who, ctype)?;
        let ct = self.content_type(ctype)?;
        self.list(ct, Table::Working, who, params).await
    }
}

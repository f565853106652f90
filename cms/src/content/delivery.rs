//! Delivery reads: published snapshots only, filtered by the reader's visibility
//! (a hidden item is indistinguishable from a missing one).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;

use serde_json::{Value, json};

use super::cache::Rendered;
use super::model::row_key;
use super::query::{ListParams, Table, field_list, visible_levels};
use super::view::{self, Page};
use super::{Content, Error, bad_request};
use crate::principal::Principal;
use crate::schema::{ContentType, FieldKind};

/// Options of a single-item delivery read.
#[derive(Debug, Clone, Default)]
pub struct ReadParams {
    pub locale: Option<String>,
    pub site: Option<String>,
    pub fields: Option<String>,
    pub expand: Option<String>,
}

impl ReadParams {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, Error> {
        let mut p = ReadParams::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "locale" => &mut p.locale,
                "site" => &mut p.site,
                "fields" => &mut p.fields,
                "expand" => &mut p.expand,
                other => {
                    return Err(bad_request(
                        "unknown_parameter",
                        format!("unknown query parameter `{other}`"),
                    ));
                }
            };
            *slot = Some(value);
        }
        Ok(p)
    }
}

/// A delivery read, with its raw query string (the cache key is built from it).
#[derive(Debug, Clone, Copy)]
pub enum ReadRequest<'a> {
    List {
        ctype: &'a str,
        query: &'a str,
    },
    ById {
        ctype: &'a str,
        id: &'a str,
        query: &'a str,
    },
    BySlug {
        ctype: &'a str,
        slug: &'a str,
        query: &'a str,
    },
}

/// The extra condition for a site-bound API token (`$tsite`): its site's rows and shared ones.
fn site_condition(who: &Principal) -> &'static str {
    if who.site_scope().is_some() {
        " AND scope INSIDE [$tsite, '*']"
    } else {
        ""
    }
}

/// Parse a query string into ordered pairs.
pub fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, Error> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
        .map_err(|e| bad_request("invalid_query", format!("malformed query string: {e}")))
}

impl Content {
    /// A delivery response, serialized, from the cache when it holds it.
    pub async fn read_published(
        &self,
        who: &Principal,
        request: ReadRequest<'_>,
    ) -> Result<Arc<Rendered>, Error> {
        let ctype = match request {
            ReadRequest::List { ctype, .. }
            | ReadRequest::ById { ctype, .. }
            | ReadRequest::BySlug { ctype, .. } => ctype,
        };
        if !who.allows_type(ctype) {
            return Err(super::out_of_scope(ctype));
        }
        let vis = who.read_scope();
        let key = match request {
            ReadRequest::List { ctype, query } => format!("L\u{1f}{vis}\u{1f}{ctype}\u{1f}{query}"),
            ReadRequest::ById { ctype, id, query } => {
                format!("I\u{1f}{vis}\u{1f}{ctype}\u{1f}{id}\u{1f}{query}")
            }
            ReadRequest::BySlug { ctype, slug, query } => {
                format!("S\u{1f}{vis}\u{1f}{ctype}\u{1f}{slug}\u{1f}{query}")
            }
        };
        let cache = &self.inner.cache;
        if let Some(hit) = cache.get(&key) {
            return Ok(hit);
        }
        let generation = cache.generation();
        let body = match request {
            ReadRequest::List { ctype, query } => {
                let params = ListParams::from_pairs(query_pairs(query)?, false)?;
                let page = self.list_published(who, ctype, &params).await?;
                json!({"data": page.items, "meta": {"next_cursor": page.next_cursor, "total": page.total}})
            }
            ReadRequest::ById { ctype, id, query } => {
                let params = ReadParams::from_pairs(query_pairs(query)?)?;
                json!({"data": self.get_published(who, ctype, id, &params).await?})
            }
            ReadRequest::BySlug { ctype, slug, query } => {
                let params = ReadParams::from_pairs(query_pairs(query)?)?;
                json!({"data": self.get_published_by_slug(who, ctype, slug, &params).await?})
            }
        };
        let bytes =
            Bytes::from(serde_json::to_vec(&body).map_err(|e| Error::Storage(e.to_string()))?);
        let rendered = Arc::new(Rendered {
            etag: view::body_etag(&bytes),
            bytes,
        });
        cache.insert(key, rendered.clone(), generation);
        Ok(rendered)
    }

    /// `GET /content/{type}`.
    async fn list_published(
        &self,
        who: &Principal,
        ctype: &str,
        params: &ListParams,
    ) -> Result<Page, Error> {
        let ct = self.content_type(ctype)?;
        if params.state.is_some() {
            return Err(bad_request(
                "unknown_parameter",
                "`state` applies to management lists",
            ));
        }
        self.list(ct, Table::Delivery, who, params).await
    }

    /// `GET /content/{type}/{id}`.
    async fn get_published(
        &self,
        who: &Principal,
        ctype: &str,
        uid: &str,
        params: &ReadParams,
    ) -> Result<Value, Error> {
        let ct = self.content_type(ctype)?;
        let locale = self.read_locale(params)?;
        if !crate::schema::is_ulid(uid) {
            return Err(Error::NotFound);
        }
        let sql = format!(
            "SELECT * OMIT id FROM type::record('delivery', $key) \
             WHERE ctype = $type AND visibility INSIDE $vis{};",
            site_condition(who)
        );
        let vars = json!({
            "key": row_key(uid, &locale), "type": ct.name,
            "vis": visible_levels(who.visibility()), "tsite": who.site_scope(),
        });
        self.one_published(ct, &sql, vars, who, params).await
    }

    /// `GET /content/{type}/by-slug/{slug}?site=`.
    async fn get_published_by_slug(
        &self,
        who: &Principal,
        ctype: &str,
        slug: &str,
        params: &ReadParams,
    ) -> Result<Value, Error> {
        let ct = self.content_type(ctype)?;
        let locale = self.read_locale(params)?;
        if let (Some(bound), Some(asked)) = (who.site_scope(), &params.site)
            && bound != asked
        {
            return Err(Error::Forbidden(format!(
                "this token is bound to site `{bound}`"
            )));
        }
        let site = match (
            params
                .site
                .as_ref()
                .or(who.site_scope().map(str::to_owned).as_ref()),
            ct.shared,
        ) {
            (Some(site), _) => {
                self.check_site(site)?;
                site.clone()
            }
            (None, true) => "*".to_owned(),
            (None, false) if self.inner.options.sites.len() == 1 => {
                self.inner.options.sites[0].clone()
            }
            (None, false) => {
                return Err(bad_request(
                    "site_required",
                    "`site` is required to find a slug of a type that is not shared",
                ));
            }
        };
        let sql = "SELECT * OMIT id FROM delivery WHERE ctype = $type AND locale = $locale \
                   AND slug = $slug AND (scope = $site OR scope = '*') AND visibility INSIDE $vis LIMIT 1;";
        let vars = json!({
            "type": ct.name, "locale": locale, "slug": slug, "site": site,
            "vis": visible_levels(who.visibility()),
        });
        self.one_published(ct, sql, vars, who, params).await
    }

    fn read_locale(&self, params: &ReadParams) -> Result<String, Error> {
        let locale = params
            .locale
            .clone()
            .unwrap_or_else(|| self.default_locale().to_owned());
        self.check_locale(&locale)?;
        Ok(locale)
    }

    async fn one_published(
        &self,
        ct: &ContentType,
        sql: &str,
        vars: Value,
        who: &Principal,
        params: &ReadParams,
    ) -> Result<Value, Error> {
        let only = field_list(ct, params.fields.as_deref(), "unknown_field", false)?;
        let expand = field_list(ct, params.expand.as_deref(), "invalid_expand", true)?;
        let mut outcome = self.inner.store.run(sql, vars).await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        let Some(row) = rows.into_iter().next() else {
            return Err(Error::NotFound);
        };
        let locale = row
            .get("locale")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut items = vec![view::delivery_item(&row, only.as_deref())];
        if let Some(expand) = expand {
            self.expand(ct, &mut items, &expand, &locale, who).await?;
        }
        Ok(items.pop().unwrap_or(Value::Null))
    }

    /// Replace reference ids in `expand` fields by the referenced published items the reader
    /// may see (null otherwise): one query per referenced type, never one per item.
    pub(super) async fn expand(
        &self,
        ct: &ContentType,
        items: &mut [Value],
        expand: &[String],
        locale: &str,
        who: &Principal,
    ) -> Result<(), Error> {
        let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for name in expand {
            let Some(target) = ct.field(name).and_then(|f| match &f.kind {
                FieldKind::Reference { to } | FieldKind::References { to } => Some(to.clone()),
                _ => None,
            }) else {
                continue;
            };
            for item in items.iter() {
                match item.pointer(&format!("/fields/{name}")) {
                    Some(Value::String(id)) => {
                        wanted.entry(target.clone()).or_default().insert(id.clone());
                    }
                    Some(Value::Array(ids)) => {
                        let set = wanted.entry(target.clone()).or_default();
                        set.extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    _ => {}
                }
            }
        }
        let mut found: BTreeMap<String, Value> = BTreeMap::new();
        for (target, ids) in wanted {
            let sql = format!(
                "SELECT * OMIT id FROM delivery WHERE ctype = $type AND locale = $locale \
                 AND uid INSIDE $ids AND visibility INSIDE $vis{};",
                site_condition(who)
            );
            let vars = json!({
                "type": target, "locale": locale, "ids": ids,
                "vis": visible_levels(who.visibility()), "tsite": who.site_scope(),
            });
            let mut outcome = self.inner.store.run(&sql, vars).await?;
            for row in outcome
                .rows(0)
                .map_err(|e| Error::Storage(format!("{e:?}")))?
            {
                if let Some(uid) = row.get("uid").and_then(Value::as_str) {
                    found.insert(uid.to_owned(), view::delivery_item(&row, None));
                }
            }
        }
        for item in items.iter_mut() {
            for name in expand {
                let Some(slot) = item.pointer_mut(&format!("/fields/{name}")) else {
                    continue;
                };
                let replace = |id: &Value| {
                    id.as_str()
                        .and_then(|id| found.get(id).cloned())
                        .unwrap_or(Value::Null)
                };
                let expanded = match &*slot {
                    Value::Array(ids) => Value::Array(ids.iter().map(replace).collect()),
                    other => replace(other),
                };
                *slot = expanded;
            }
        }
        Ok(())
    }
}

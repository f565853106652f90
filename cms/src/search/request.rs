//! A search request: parsing the query string, checking every parameter against the content
//! types and the `Principal` (what it may search), with a stable error code for each mistake.

use std::collections::BTreeMap;

use super::Error;
use super::parse::MAX_QUERY_CHARS;
use crate::principal::Principal;
use crate::schema::Registry;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
pub const MAX_OFFSET: usize = 10_000;

/// Which copies of items to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Published snapshots (everyone, within their visibility).
    Published,
    /// Working copies (editors and admins).
    Working,
}

/// A checked search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub q: String,
    /// Types searched (never empty once checked).
    pub types: Vec<String>,
    pub site: Option<String>,
    pub locale: String,
    pub view: View,
    /// Field -> accepted values (any of them).
    pub filters: BTreeMap<String, Vec<String>>,
    pub facets: Vec<String>,
    pub limit: usize,
    pub offset: usize,
}

/// What the checks need to know about the deployment.
pub struct Deployment<'a> {
    pub schemas: &'a Registry,
    pub sites: &'a [String],
    pub locales: &'a [String],
    pub default_locale: &'a str,
}

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::BadRequest {
        code,
        message: message.into(),
    }
}

fn number(name: &str, raw: &str, max: usize, min: usize) -> Result<usize, Error> {
    let code = if name == "limit" {
        "invalid_limit"
    } else {
        "invalid_offset"
    };
    match raw.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad(
            code,
            format!("`{name}` must be a whole number from {min} to {max}"),
        )),
    }
}

impl SearchRequest {
    /// Parse and check the raw query string of `GET /search` (or `/search/suggest`) for `who`.
    pub fn from_query(raw: &str, who: &Principal, d: &Deployment) -> Result<SearchRequest, Error> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|e| bad("invalid_query", format!("malformed query string: {e}")))?;
        let mut q = None;
        let (mut types, mut site, mut locale, mut view) = (Vec::new(), None, None, View::Published);
        let (mut filters, mut facets) = (BTreeMap::<String, Vec<String>>::new(), Vec::new());
        let (mut limit, mut offset) = (DEFAULT_LIMIT, 0);
        for (key, value) in pairs {
            match key.as_str() {
                "q" => q = Some(value),
                "type" => types.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                ),
                "site" => site = Some(value),
                "locale" => locale = Some(value),
                "view" => {
                    view = match value.as_str() {
                        "published" => View::Published,
                        "working" => View::Working,
                        _ => {
                            return Err(bad("invalid_view", "`view` is `published` or `working`"));
                        }
                    }
                }
                "facets" => facets.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned),
                ),
                "limit" => limit = number("limit", &value, MAX_LIMIT, 1)?,
                "offset" => offset = number("offset", &value, MAX_OFFSET, 0)?,
                _ => {
                    let Some((field, op)) = filter_key(&key) else {
                        return Err(bad(
                            "unknown_parameter",
                            format!("unknown query parameter `{key}`"),
                        ));
                    };
                    let values: Vec<String> = match op {
                        "eq" => vec![value],
                        "in" => value.split(',').map(|v| v.trim().to_owned()).collect(),
                        other => {
                            return Err(bad(
                                "unsupported_operator",
                                format!("search filters take `eq` or `in`, not `{other}`"),
                            ));
                        }
                    };
                    filters.entry(field.to_owned()).or_default().extend(values);
                }
            }
        }
        let q = q.unwrap_or_default();
        if q.trim().is_empty() {
            return Err(bad("empty_query", "`q` is required and must not be blank"));
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(bad(
                "query_too_long",
                format!("`q` is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        let types = check_types(types, who, d)?;
        let site = check_site(site, who, d)?;
        let locale = match locale {
            Some(l) if d.locales.contains(&l) => l,
            Some(l) => {
                return Err(bad(
                    "unknown_locale",
                    format!("locale `{l}` is not one of {}", d.locales.join(", ")),
                ));
            }
            None => d.default_locale.to_owned(),
        };
        if view == View::Working && !who.can_publish() {
            return Err(Error::Forbidden(
                "searching working copies (`view=working`) is for editors and admins".into(),
            ));
        }
        let searched: Vec<_> = types.iter().filter_map(|t| d.schemas.get(t)).collect();
        for name in &facets {
            if !searched
                .iter()
                .any(|ct| ct.field(name).is_some_and(|f| f.facet))
            {
                return Err(bad(
                    "unknown_facet",
                    format!("`{name}` is not a facet of the types searched"),
                ));
            }
        }
        for name in filters.keys() {
            if !searched
                .iter()
                .any(|ct| ct.field(name).is_some_and(|f| f.filterable || f.facet))
            {
                return Err(bad(
                    "unknown_filter",
                    format!("`{name}` is not a filterable field of the types searched"),
                ));
            }
        }
        Ok(SearchRequest {
            q,
            types,
            site,
            locale,
            view,
            filters,
            facets,
            limit,
            offset,
        })
    }
}

/// `filter[field]` -> (field, "eq"); `filter[field][op]` -> (field, op).
fn filter_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("filter[")?;
    let (field, rest) = rest.split_once(']')?;
    if rest.is_empty() {
        return Some((field, "eq"));
    }
    let op = rest.strip_prefix('[')?.strip_suffix(']')?;
    Some((field, op))
}

fn check_types(types: Vec<String>, who: &Principal, d: &Deployment) -> Result<Vec<String>, Error> {
    if types.is_empty() {
        let all: Vec<String> = d
            .schemas
            .types()
            .map(|t| t.name.clone())
            .filter(|t| who.allows_type(t))
            .collect();
        return Ok(all);
    }
    for t in &types {
        if d.schemas.get(t).is_none() {
            return Err(bad("unknown_type", format!("unknown content type `{t}`")));
        }
        if !who.allows_type(t) {
            return Err(Error::Forbidden(format!(
                "this token's scope does not include `{t}`"
            )));
        }
    }
    Ok(types)
}

fn check_site(
    site: Option<String>,
    who: &Principal,
    d: &Deployment,
) -> Result<Option<String>, Error> {
    if let Some(s) = &site
        && !d.sites.iter().any(|x| x == s)
    {
        return Err(bad(
            "unknown_site",
            format!("site `{s}` is not one of {}", d.sites.join(", ")),
        ));
    }
    match (who.site_scope(), site) {
        (Some(bound), Some(asked)) if bound != asked => Err(Error::Forbidden(format!(
            "this token is bound to site `{bound}`"
        ))),
        (Some(bound), _) => Ok(Some(bound.to_owned())),
        (None, site) => Ok(site),
    }
}

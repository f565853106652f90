//! List queries: parameters (`filter[field][op]`, `sort`, `limit`, `cursor`, `fields`, `expand`),
//! validated against the schema and turned into SurrealQL with bound values.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::view::{self, Page};
use super::{Content, Error, bad_request};
use crate::principal::{Principal, Visibility};
use crate::schema::{ContentType, FieldKind};

pub const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 20;

/// Raw list parameters as they came in; `content/` validates them against the schema.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub site: Option<String>,
    pub locale: Option<String>,
    pub filters: Vec<(String, String, String)>,
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub fields: Option<String>,
    pub expand: Option<String>,
    pub state: Option<String>,
}

impl ListParams {
    /// Parse query pairs; unknown parameters are refused (`allow_state` for management lists).
    pub fn from_pairs(pairs: Vec<(String, String)>, allow_state: bool) -> Result<Self, Error> {
        let mut p = ListParams::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "site" => &mut p.site,
                "locale" => &mut p.locale,
                "sort" => &mut p.sort,
                "limit" => &mut p.limit,
                "cursor" => &mut p.cursor,
                "fields" => &mut p.fields,
                "expand" => &mut p.expand,
                "state" if allow_state => &mut p.state,
                k if k.starts_with("filter[") => {
                    let inner = k.strip_prefix("filter[").and_then(|r| r.strip_suffix(']'));
                    let parts = inner.and_then(|i| i.split_once("]["));
                    let Some((field, op)) = parts else {
                        return Err(bad_request(
                            "invalid_filter",
                            format!("`{k}`: expected filter[FIELD][OP]"),
                        ));
                    };
                    p.filters.push((field.to_owned(), op.to_owned(), value));
                    continue;
                }
                other => {
                    return Err(bad_request(
                        "unknown_parameter",
                        format!("unknown query parameter `{other}`"),
                    ));
                }
            };
            if slot.is_some() {
                return Err(bad_request(
                    "duplicate_parameter",
                    format!("`{key}` is given twice"),
                ));
            }
            *slot = Some(value);
        }
        Ok(p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Table {
    Working,
    Delivery,
}

impl Table {
    /// The table a list scans: delivery lists scan the lean `delivery_list` rows and then
    /// fetch the page's full rows by key.
    fn scan_name(self) -> &'static str {
        match self {
            Table::Working => "working",
            Table::Delivery => "delivery_list",
        }
    }

    /// Where filterable values live in the scanned rows.
    fn filter_prefix(self) -> &'static str {
        match self {
            Table::Working => "fields",
            Table::Delivery => "f",
        }
    }
}

/// A sort key: the row path and whether it is descending.
struct SortKey {
    path: String,
    desc: bool,
}

fn ident(name: &str) -> String {
    format!("`{name}`")
}

fn sort_keys(ct: &ContentType, table: Table, sort: Option<&str>) -> Result<Vec<SortKey>, Error> {
    let default = match table {
        Table::Delivery => "-published_at",
        Table::Working => "-updated_at",
    };
    let mut keys = Vec::new();
    for part in sort.unwrap_or(default).split(',').map(str::trim) {
        let (desc, name) = match part.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, part.strip_prefix('+').unwrap_or(part)),
        };
        let path = match (name, table) {
            ("published_at", _) => "published_at".to_owned(),
            ("updated_at", Table::Working) | ("created_at", Table::Working) => name.to_owned(),
            ("updated_at", Table::Delivery) => "published_at".to_owned(),
            ("id", _) => "uid".to_owned(),
            _ => match ct.field(name) {
                Some(f) if f.sortable => format!("sk.{}", ident(name)),
                Some(_) => {
                    return Err(bad_request(
                        "unsortable_field",
                        format!("`{name}` is not sortable"),
                    ));
                }
                None => {
                    return Err(bad_request(
                        "unknown_sort_field",
                        format!("cannot sort by unknown field `{name}`"),
                    ));
                }
            },
        };
        if keys.iter().any(|k: &SortKey| k.path == path) {
            return Err(bad_request(
                "invalid_sort",
                format!("`{name}` appears twice in sort"),
            ));
        }
        keys.push(SortKey { path, desc });
    }
    if !keys.iter().any(|k| k.path == "uid") {
        keys.push(SortKey {
            path: "uid".into(),
            desc: false,
        });
    }
    Ok(keys)
}

fn value_at(row: &Value, path: &str) -> Value {
    let mut cur = row;
    for part in path.split('.') {
        let part = part.trim_matches('`');
        match cur.get(part) {
            Some(v) => cur = v,
            None => return Value::Null,
        }
    }
    cur.clone()
}

fn parse_scalar(kind: &FieldKind, raw: &str, field: &str) -> Result<Value, Error> {
    let bad = || {
        bad_request(
            "invalid_filter_value",
            format!("`{raw}` is not a valid value for `{field}`"),
        )
    };
    Ok(match kind {
        FieldKind::Integer => Value::from(raw.parse::<i64>().map_err(|_| bad())?),
        FieldKind::Number => {
            let n = raw.parse::<f64>().map_err(|_| bad())?;
            serde_json::Number::from_f64(n)
                .map(Value::Number)
                .ok_or_else(bad)?
        }
        FieldKind::Boolean => Value::Bool(raw.parse::<bool>().map_err(|_| bad())?),
        FieldKind::Datetime => Value::String(crate::clock::normalize_ts(raw).ok_or_else(bad)?),
        FieldKind::Enum { values, .. } => {
            if !values.iter().any(|v| v == raw) {
                return Err(bad());
            }
            Value::String(raw.to_owned())
        }
        _ => Value::String(raw.to_owned()),
    })
}

/// Translate the filters into conditions with bound values.
fn filter_conditions(
    ct: &ContentType,
    filters: &[(String, String, String)],
    prefix: &str,
    vars: &mut Map<String, Value>,
) -> Result<Vec<String>, Error> {
    let mut conds = Vec::new();
    for (i, (field, op, raw)) in filters.iter().enumerate() {
        let var = format!("f{i}");
        let (path, kind, multi) = match field.as_str() {
            "id" => ("uid".to_owned(), FieldKind::String, false),
            "published_at" => ("published_at".to_owned(), FieldKind::Datetime, false),
            _ => {
                let Some(f) = ct.field(field) else {
                    return Err(bad_request(
                        "unknown_filter_field",
                        format!("unknown filter field `{field}`"),
                    ));
                };
                if !f.filterable {
                    return Err(bad_request(
                        "unfilterable_field",
                        format!("`{field}` is not filterable"),
                    ));
                }
                let multi = matches!(
                    f.kind,
                    FieldKind::References { .. } | FieldKind::Enum { multiple: true, .. }
                );
                (format!("{prefix}.{}", ident(field)), f.kind.clone(), multi)
            }
        };
        let cond = match (op.as_str(), multi) {
            ("in", _) => {
                let values: Vec<Value> = raw
                    .split(',')
                    .map(|v| parse_scalar(&kind, v.trim(), field))
                    .collect::<Result<_, _>>()?;
                vars.insert(var.clone(), Value::Array(values));
                if multi {
                    format!("{path} CONTAINSANY ${var}")
                } else {
                    format!("{path} INSIDE ${var}")
                }
            }
            ("eq" | "contains", true) => {
                vars.insert(var.clone(), parse_scalar(&kind, raw, field)?);
                format!("{path} CONTAINS ${var}")
            }
            ("ne", true) => {
                vars.insert(var.clone(), parse_scalar(&kind, raw, field)?);
                format!("{path} CONTAINSNOT ${var}")
            }
            ("eq" | "ne" | "lt" | "lte" | "gt" | "gte", false) => {
                if matches!(kind, FieldKind::Boolean) && !matches!(op.as_str(), "eq" | "ne") {
                    return Err(bad_request(
                        "invalid_filter_operator",
                        format!("`{op}` does not apply to boolean `{field}`"),
                    ));
                }
                vars.insert(var.clone(), parse_scalar(&kind, raw, field)?);
                let sym = match op.as_str() {
                    "eq" => "=",
                    "ne" => "!=",
                    "lt" => "<",
                    "lte" => "<=",
                    "gt" => ">",
                    _ => ">=",
                };
                format!("{path} {sym} ${var}")
            }
            ("contains", false) => {
                if !matches!(kind, FieldKind::String | FieldKind::Text | FieldKind::Slug) {
                    return Err(bad_request(
                        "invalid_filter_operator",
                        format!("`contains` does not apply to `{field}`"),
                    ));
                }
                vars.insert(var.clone(), Value::String(raw.to_lowercase()));
                format!("string::contains(string::lowercase({path} ?? ''), ${var})")
            }
            ("lt" | "lte" | "gt" | "gte", true) => {
                return Err(bad_request(
                    "invalid_filter_operator",
                    format!("`{op}` does not apply to list field `{field}`"),
                ));
            }
            _ => {
                return Err(bad_request(
                    "unknown_filter_operator",
                    format!(
                        "unknown filter operator `{op}` (eq, ne, lt, lte, gt, gte, in, contains)"
                    ),
                ));
            }
        };
        conds.push(cond);
    }
    Ok(conds)
}

/// `fields=` and `expand=`: comma-separated field names, checked against the schema.
pub(super) fn field_list(
    ct: &ContentType,
    raw: Option<&str>,
    code: &'static str,
    references_only: bool,
) -> Result<Option<Vec<String>>, Error> {
    let Some(raw) = raw else { return Ok(None) };
    let mut names = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let ok = ct.field(name).is_some_and(|f| {
            !references_only
                || matches!(
                    f.kind,
                    FieldKind::Reference { .. } | FieldKind::References { .. }
                )
        });
        if !ok {
            return Err(bad_request(
                code,
                format!("`{name}` cannot be used in this list"),
            ));
        }
        names.push(name.to_owned());
    }
    Ok(Some(names))
}

fn parse_limit(raw: Option<&str>) -> Result<usize, Error> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    match raw.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(bad_request(
            "invalid_limit",
            format!("`limit` must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

fn encode_cursor(sort: &str, values: Vec<Value>) -> String {
    URL_SAFE_NO_PAD.encode(json!({"s": sort, "v": values}).to_string())
}

fn decode_cursor(raw: &str, sort: &str, n: usize) -> Result<Vec<Value>, Error> {
    let bad = || {
        bad_request(
            "invalid_cursor",
            "the cursor is invalid or belongs to another sort",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if v.get("s").and_then(Value::as_str) != Some(sort) {
        return Err(bad());
    }
    match v.get("v") {
        Some(Value::Array(values)) if values.len() == n => Ok(values.clone()),
        _ => Err(bad()),
    }
}

/// `(k1, k2, ...) > (v1, v2, ...)` honouring each key's direction.
fn after_condition(keys: &[SortKey], vars: &mut Map<String, Value>, values: Vec<Value>) -> String {
    let mut ors = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let mut ands = Vec::new();
        for (j, prev) in keys.iter().enumerate().take(i) {
            ands.push(format!("{} = $c{j}", prev.path));
        }
        let op = if key.desc { "<" } else { ">" };
        ands.push(format!("{} {op} $c{i}", key.path));
        ors.push(format!("({})", ands.join(" AND ")));
    }
    for (i, v) in values.into_iter().enumerate() {
        vars.insert(format!("c{i}"), v);
    }
    format!("({})", ors.join(" OR "))
}

impl Content {
    pub(super) async fn list(
        &self,
        ct: &ContentType,
        table: Table,
        who: &Principal,
        params: &ListParams,
    ) -> Result<Page, Error> {
        let locale = params
            .locale
            .clone()
            .unwrap_or_else(|| self.default_locale().to_owned());
        self.check_locale(&locale)?;
        let limit = parse_limit(params.limit.as_deref())?;
        let only = field_list(ct, params.fields.as_deref(), "unknown_field", false)?;
        let expand = field_list(ct, params.expand.as_deref(), "invalid_expand", true)?;
        let keys = sort_keys(ct, table, params.sort.as_deref())?;
        let sort_text = params.sort.clone().unwrap_or_default();
        let mut vars = Map::new();
        vars.insert("type".into(), json!(ct.name));
        vars.insert("locale".into(), json!(locale));
        let mut conds = vec!["ctype = $type".to_owned(), "locale = $locale".to_owned()];
        if let (Some(bound), Some(asked)) = (who.site_scope(), &params.site)
            && bound != asked
        {
            return Err(Error::Forbidden(format!(
                "this token is bound to site `{bound}`"
            )));
        }
        if let Some(site) = params.site.as_deref().or(who.site_scope()) {
            self.check_site(site)?;
            vars.insert("site".into(), json!(site));
            conds.push("(scope = $site OR scope = '*')".into());
        }
        match table {
            Table::Delivery => {
                let vis = visible_levels(who.visibility());
                vars.insert("vis".into(), json!(vis));
                conds.push("visibility INSIDE $vis".into());
            }
            Table::Working => match params.state.as_deref() {
                None => conds.push("state NOTINSIDE ['archived', 'trashed']".into()),
                Some(s) => {
                    const STATES: [&str; 6] = [
                        "draft",
                        "in_review",
                        "approved",
                        "published",
                        "archived",
                        "trashed",
                    ];
                    if !STATES.contains(&s) {
                        return Err(bad_request(
                            "invalid_state",
                            format!("`state` must be one of {}", STATES.join(", ")),
                        ));
                    }
                    vars.insert("state".into(), json!(s));
                    conds.push("state = $state".into());
                }
            },
        }
        conds.extend(filter_conditions(
            ct,
            &params.filters,
            table.filter_prefix(),
            &mut vars,
        )?);
        let where_all = conds.join(" AND ");
        let mut page_conds = conds.clone();
        if let Some(cursor) = &params.cursor {
            let values = decode_cursor(cursor, &sort_text, keys.len())?;
            page_conds.push(after_condition(&keys, &mut vars, values));
        }
        let order: Vec<String> = keys
            .iter()
            .map(|k| format!("{} {}", k.path, if k.desc { "DESC" } else { "ASC" }))
            .collect();
        let (page, order, lim) = (page_conds.join(" AND "), order.join(", "), limit + 1);
        let scan = table.scan_name();
        let sql = match table {
            Table::Working => format!(
                "SELECT * OMIT id FROM {scan} WHERE {page} ORDER BY {order} LIMIT {lim};\n\
                 SELECT count() AS n FROM {scan} WHERE {where_all} GROUP ALL;"
            ),
            Table::Delivery => format!(
                "LET $page = (SELECT * OMIT id FROM {scan} WHERE {page} ORDER BY {order} LIMIT {lim});\n\
                 RETURN $page;\n\
                 SELECT count() AS n FROM {scan} WHERE {where_all} GROUP ALL;\n\
                 SELECT * OMIT id FROM array::map($page, |$r| type::record('delivery', $r.uid + '.' + $locale));"
            ),
        };
        let mut outcome = self.inner.store.run(&sql, Value::Object(vars)).await?;
        if let Some(e) = outcome.first_error() {
            return Err(Error::Storage(format!("list query: {e:?}")));
        }
        let (rows_at, count_at) = match table {
            Table::Working => (0, 1),
            Table::Delivery => (1, 2),
        };
        let mut rows = outcome
            .rows(rows_at)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        let total = outcome
            .rows(count_at)
            .ok()
            .and_then(|r| r.first().and_then(|v| v.get("n")).and_then(Value::as_u64))
            .unwrap_or(0);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| {
                let values = keys.iter().map(|k| value_at(last, &k.path)).collect();
                encode_cursor(&sort_text, values)
            })
        } else {
            None
        };
        if table == Table::Delivery {
            let mut full: std::collections::HashMap<String, Value> = outcome
                .rows(3)
                .map_err(|e| Error::Storage(format!("{e:?}")))?
                .into_iter()
                .filter_map(|r| Some((r.get("uid")?.as_str()?.to_owned(), r)))
                .collect();
            rows = rows
                .iter()
                .filter_map(|lean| full.remove(lean.get("uid")?.as_str()?))
                .collect();
        }
        let mut items: Vec<Value> = rows
            .iter()
            .map(|row| match table {
                Table::Delivery => view::delivery_item(row, only.as_deref()),
                Table::Working => {
                    let mut v = view::working_view(row, None).item;
                    if let (Some(only), Some(fields)) =
                        (&only, v.get_mut("fields").and_then(Value::as_object_mut))
                    {
                        fields.retain(|k, _| only.contains(k));
                    }
                    v
                }
            })
            .collect();
        if let Some(expand) = expand {
            self.expand(ct, &mut items, &expand, &locale, who).await?;
        }
        Ok(Page {
            items,
            next_cursor,
            total,
        })
    }
}

/// The visibility levels a reader may see.
pub(super) fn visible_levels(widest: Visibility) -> Vec<&'static str> {
    match widest {
        Visibility::Public => vec!["public"],
        Visibility::Members => vec!["public", "members"],
    }
}

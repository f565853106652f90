//! From a projection row (`working` or `delivery`) to the index document of one
//! (item, locale, view): keywords for permissions and filters, text by boost tier, facets.

use serde_json::Value;
use tantivy::TantivyDocument;
use tantivy::schema::Facet;

use super::analyzer::Lang;
use super::layout::{Layout, PUBLISHED, access_term, keyword};
use crate::schema::{ContentType, Registry, searchable_text};

/// The key of the document of one (item, locale, view).
pub fn doc_key(uid: &str, locale: &str, view: &str) -> String {
    format!("{uid}.{locale}.{view}")
}

/// The scalar values of a filterable field, as filter and facet terms.
pub fn filter_values(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items
            .iter()
            .filter(|v| !v.is_array())
            .flat_map(filter_values)
            .collect(),
        _ => Vec::new(),
    }
}

/// The index document of a projection row, or None when the row is not searchable (unknown
/// type, a trashed working copy).
pub fn build(
    layout: &Layout,
    schemas: &Registry,
    row: &Value,
    view: &str,
) -> Option<TantivyDocument> {
    let s = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
    let ct: &ContentType = schemas.get(s("ctype"))?;
    let state = if view == PUBLISHED {
        "published"
    } else {
        s("state")
    };
    if state == "trashed" {
        return None;
    }
    let fields = row.get("fields").and_then(Value::as_object)?;
    let (uid, locale) = (s("uid"), s("locale"));
    let mut doc = TantivyDocument::default();
    doc.add_text(layout.key, doc_key(uid, locale, view));
    doc.add_text(layout.uid, uid);
    doc.add_text(layout.keywords, keyword("uid", uid));
    doc.add_text(layout.ctype, &ct.name);
    doc.add_text(layout.keywords, keyword("type", &ct.name));
    doc.add_text(layout.site, s("site"));
    doc.add_text(layout.keywords, keyword("scope", s("scope")));
    doc.add_text(layout.locale, locale);
    doc.add_text(layout.view, view);
    doc.add_text(
        layout.keywords,
        keyword("access", &access_term(view, s("visibility"), locale)),
    );
    doc.add_text(layout.state, state);
    doc.add_u64(
        layout.revision,
        row.get("revision").and_then(Value::as_u64).unwrap_or(0),
    );
    doc.add_text(layout.slug, s("slug"));
    let title = fields
        .get(&ct.title_field)
        .and_then(Value::as_str)
        .unwrap_or_default();
    doc.add_text(layout.title, title);
    let lang = Lang::of_locale(locale);
    let text_fields = layout.text_fields(lang);
    let mut body = String::new();
    for field in &ct.fields {
        let Some(value) = fields.get(&field.name) else {
            continue;
        };
        if let Some(boost) = field.searchable
            && let Some(tier) = layout.tier_of(boost)
            && let Some(target) = text_fields.get(tier)
        {
            let mut text = String::new();
            searchable_text(&field.kind, value, &mut text);
            if !text.is_empty() {
                if field.name != ct.title_field {
                    if !body.is_empty() {
                        body.push('\n');
                    }
                    body.push_str(&text);
                }
                doc.add_text(*target, text);
            }
        }
        if field.filterable || field.facet {
            for v in filter_values(value) {
                if field.facet {
                    doc.add_facet(layout.facets, Facet::from_path([field.name.as_str(), &v]));
                }
                doc.add_text(
                    layout.keywords,
                    keyword("filter", &format!("{}={v}", field.name)),
                );
            }
        }
    }
    doc.add_text(layout.body, body);
    Some(doc)
}

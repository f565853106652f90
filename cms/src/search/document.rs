//! From a projection row (`working` or `delivery`) to the index document of one
//! (item, locale, view): keywords for permissions and filters, text by boost tier, facets.

use serde_json::Value;
use tantivy::TantivyDocument;
use tantivy::schema::{Facet, Field};

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

/// True when the delivery row `row` (of a locale other than the default) is wholly the
/// default locale's row `base`: same revision, fields, visibility, slug and sort keys (a
/// locale without a snapshot of its own, falling back to the default's as a whole). Only the
/// locale and the list of fallen-back fields differ.
fn same_snapshot(row: &Value, base: &Value) -> bool {
    let (Some(row), Some(base)) = (row.as_object(), base.as_object()) else {
        return false;
    };
    let own = |k: &String| k != "locale" && k != "fallback";
    row.keys().filter(|k| own(k)).count() == base.keys().filter(|k| own(k)).count()
        && row
            .iter()
            .filter(|(k, _)| own(k))
            .all(|(k, v)| base.get(k) == Some(v))
}

/// The delivery rows that get a document of their own, each with the other locales whose
/// snapshot is wholly its own (`same_snapshot`): those share its document (their keys and
/// access terms are added to it) instead of indexing the same text again, analyzed as the
/// default locale's language, which it is written in. Rows of one item are matched by `uid`
/// among `rows` only: a fallback row whose default-locale row is not among them keeps a
/// document of its own.
pub fn shared_rows<'a>(rows: &'a [Value], default_locale: &str) -> Vec<(&'a Value, Vec<&'a str>)> {
    let s = |row: &'a Value, k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default();
    let bases: std::collections::HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, row)| s(row, "locale") == default_locale)
        .map(|(i, row)| (s(row, "uid"), i))
        .collect();
    let mut out: Vec<(&Value, Vec<&str>)> = rows.iter().map(|row| (row, Vec::new())).collect();
    let mut keep = vec![true; rows.len()];
    for (i, row) in rows.iter().enumerate() {
        let locale = s(row, "locale");
        if locale == default_locale {
            continue;
        }
        if let Some(&base) = bases.get(s(row, "uid"))
            && same_snapshot(row, &rows[base])
        {
            keep[i] = false;
            out[base].1.push(locale);
        }
    }
    out.into_iter()
        .zip(keep)
        .filter_map(|(shared, keep)| keep.then_some(shared))
        .collect()
}

/// What the document of a projection row holds, apart from the (view, locale) pairs it
/// answers for: two rows of an item with equal content share one document (a working copy
/// unchanged since its publish and the snapshot published from it).
#[derive(Debug, PartialEq)]
pub struct Content<'a> {
    uid: &'a str,
    locale: &'a str,
    ctype: &'a str,
    site: &'a str,
    scope: &'a str,
    visibility: &'a str,
    state: &'a str,
    revision: u64,
    slug: &'a str,
    title: &'a str,
    /// Each searchable field's text, the text field of its boost tier, and whether the stored
    /// body shows it (every field but the title).
    texts: Vec<(Field, String, bool)>,
    /// `(field, value, is a facet)` of each filterable or facet field's values.
    filters: Vec<(&'a str, String, bool)>,
}

impl<'a> Content<'a> {
    pub fn uid(&self) -> &'a str {
        self.uid
    }

    pub fn locale(&self) -> &'a str {
        self.locale
    }

    /// The document answering for each `(view, locale)` of `answers` (the first one's view
    /// is the one stored).
    pub fn document(&self, layout: &Layout, answers: &[(&str, &str)]) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        for (view, locale) in answers {
            doc.add_text(layout.key, doc_key(self.uid, locale, view));
            doc.add_text(
                layout.keywords,
                keyword("access", &access_term(view, self.visibility, locale)),
            );
        }
        doc.add_text(layout.uid, self.uid);
        doc.add_text(layout.keywords, keyword("uid", self.uid));
        doc.add_text(layout.ctype, self.ctype);
        doc.add_text(layout.keywords, keyword("type", self.ctype));
        doc.add_text(layout.site, self.site);
        doc.add_text(layout.keywords, keyword("scope", self.scope));
        doc.add_text(layout.locale, self.locale);
        doc.add_text(layout.view, answers.first().map_or(PUBLISHED, |a| a.0));
        doc.add_text(layout.state, self.state);
        doc.add_u64(layout.revision, self.revision);
        doc.add_text(layout.slug, self.slug);
        doc.add_text(layout.title, self.title);
        let mut body = String::new();
        for (field, text, in_body) in &self.texts {
            if *in_body {
                if !body.is_empty() {
                    body.push('\n');
                }
                body.push_str(text);
            }
            doc.add_text(*field, text);
        }
        for (name, value, facet) in &self.filters {
            if *facet {
                doc.add_facet(layout.facets, Facet::from_path([*name, value.as_str()]));
            }
            doc.add_text(
                layout.keywords,
                keyword("filter", &format!("{name}={value}")),
            );
        }
        doc.add_text(layout.body, body);
        doc
    }
}

/// The content of a projection row's document in `view`, or None when the row is not
/// searchable (unknown type, a trashed working copy).
pub fn content<'a>(
    layout: &Layout,
    schemas: &'a Registry,
    row: &'a Value,
    view: &str,
) -> Option<Content<'a>> {
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
    let locale = s("locale");
    let text_fields = layout.text_fields(Lang::of_locale(locale));
    let mut content = Content {
        uid: s("uid"),
        locale,
        ctype: &ct.name,
        site: s("site"),
        scope: s("scope"),
        visibility: s("visibility"),
        state,
        revision: row.get("revision").and_then(Value::as_u64).unwrap_or(0),
        slug: s("slug"),
        title: fields
            .get(&ct.title_field)
            .and_then(Value::as_str)
            .unwrap_or_default(),
        texts: Vec::new(),
        filters: Vec::new(),
    };
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
                content
                    .texts
                    .push((*target, text, field.name != ct.title_field));
            }
        }
        if field.filterable || field.facet {
            for v in filter_values(value) {
                content.filters.push((&field.name, v, field.facet));
            }
        }
    }
    Some(content)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(uid: &str, locale: &str, title: &str, fallback: &[&str]) -> Value {
        json!({"uid": uid, "ctype": "page", "locale": locale, "revision": 3,
               "visibility": "public", "fallback": fallback, "fields": {"title": title}})
    }

    #[test]
    fn a_locale_wholly_falling_back_shares_the_default_locales_document() {
        let rows = vec![
            // "a": Welsh falls back wholly to English: one document for both.
            row("a", "cy", "Hello", &["title"]),
            row("a", "en", "Hello", &[]),
            // "b": Welsh has its own snapshot: a document each.
            row("b", "cy", "Helo", &[]),
            row("b", "en", "Hello", &[]),
            // "c": the English row is not among these rows: the Welsh one stays alone.
            row("c", "cy", "Hello", &["title"]),
        ];
        let shared: Vec<(String, String, Vec<&str>)> = shared_rows(&rows, "en")
            .into_iter()
            .map(|(row, locales)| {
                (
                    row["uid"].as_str().unwrap().to_owned(),
                    row["locale"].as_str().unwrap().to_owned(),
                    locales,
                )
            })
            .collect();
        let expect = |uid: &str, locale: &str, shared: &[&'static str]| {
            (uid.to_owned(), locale.to_owned(), shared.to_vec())
        };
        assert_eq!(
            shared,
            [
                expect("a", "en", &["cy"]),
                expect("b", "cy", &[]),
                expect("b", "en", &[]),
                expect("c", "cy", &[]),
            ]
        );
        // Any other difference (a revision, the visibility) keeps the documents apart.
        let mut other = row("a", "cy", "Hello", &["title"]);
        other["revision"] = json!(2);
        assert_eq!(
            shared_rows(&[other, row("a", "en", "Hello", &[])], "en").len(),
            2
        );
    }
}

//! Suggestions while typing: the words typed so far must match, the last one as a prefix
//! (expanded to the most frequent indexed terms it starts), within the reader's permissions;
//! the answer is the titles of the best documents.

use serde::Serialize;
use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::schema::Value as _;

use super::Error;
use super::index::SearchIndex;
use super::parse::Part;
use super::query::{languages, scope_clauses, tier_clauses};
use super::request::SearchRequest;
use crate::principal::Principal;

/// Terms a prefix expands to, at most (the most frequent first).
const EXPANSIONS: usize = 24;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suggestion {
    pub text: String,
    pub id: String,
    #[serde(rename = "type")]
    pub ctype: String,
    pub locale: String,
    pub slug: String,
}

/// Indexed terms of `fields` starting with `prefix`, most frequent first.
fn expand(index: &SearchIndex, fields: &[tantivy::schema::Field], prefix: &str) -> Vec<String> {
    let mut found: std::collections::HashMap<String, u64> = Default::default();
    let mut upper = prefix.as_bytes().to_vec();
    upper.push(0xff);
    let searcher = index.reader.searcher();
    for segment in searcher.segment_readers() {
        for field in fields {
            let Ok(inverted) = segment.inverted_index(*field) else {
                continue;
            };
            let Ok(mut stream) = inverted.terms().range().ge(prefix).lt(&upper).into_stream()
            else {
                continue;
            };
            while stream.advance() {
                if let Ok(term) = std::str::from_utf8(stream.key()) {
                    *found.entry(term.to_owned()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    let mut terms: Vec<(String, u64)> = found.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.into_iter().take(EXPANSIONS).map(|(t, _)| t).collect()
}

pub fn run(
    index: &SearchIndex,
    request: &SearchRequest,
    who: &Principal,
) -> Result<Vec<Suggestion>, Error> {
    let layout = &index.layout;
    // The last word is typed in part: expand it unstemmed as typed, lower-cased.
    let typed = request
        .q
        .split(|c: char| !c.is_alphanumeric())
        .rfind(|w| !w.is_empty())
        .map(str::to_lowercase);
    // In each language the request's words are looked up in (`query::languages`).
    let mut texts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (lang, parts) in languages(layout, request) {
        let mut words: Vec<String> = parts
            .iter()
            .flat_map(Part::terms)
            .map(|t| t.term.clone())
            .collect();
        let Some(last) = words.pop() else {
            continue;
        };
        let term_clause = |terms: &[String]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .flat_map(|term| tier_clauses(layout, lang, term))
                    .collect(),
            ))
        };
        // Both as typed ("democrac") and as analyzed ("democracy" -> "democraci").
        let fields = layout.text_fields(lang);
        let mut expansions = expand(index, fields, typed.as_deref().unwrap_or(&last));
        for t in expand(index, fields, &last) {
            if !expansions.contains(&t) {
                expansions.push(t);
            }
        }
        if expansions.is_empty() {
            continue;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| (Occur::Must, term_clause(std::slice::from_ref(w))))
            .collect();
        clauses.push((Occur::Must, term_clause(&expansions)));
        texts.push((Occur::Should, Box::new(BooleanQuery::new(clauses))));
    }
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let mut clauses = scope_clauses(layout, request, who);
    clauses.push((Occur::Must, Box::new(BooleanQuery::new(texts))));
    let query = BooleanQuery::new(clauses);
    let searcher = index.reader.searcher();
    let top = searcher
        .search(&query, &TopDocs::with_limit(request.limit).order_by_score())
        .map_err(|e| Error::Index(e.to_string()))?;
    let mut out: Vec<Suggestion> = Vec::new();
    for (_, address) in top {
        let doc: TantivyDocument = searcher
            .doc(address)
            .map_err(|e| Error::Index(e.to_string()))?;
        let get = |f| {
            doc.get_first(f)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let text = get(layout.title);
        if text.is_empty() || out.iter().any(|s| s.text == text) {
            continue;
        }
        out.push(Suggestion {
            text,
            id: get(layout.uid),
            ctype: get(layout.ctype),
            // The document may be shared with the requested locale (its access term matched).
            locale: request.locale.clone(),
            slug: get(layout.slug),
        });
    }
    Ok(out)
}

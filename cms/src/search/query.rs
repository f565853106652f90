//! Running a checked request on an index: the reader's permissions and the filters inside
//! the tantivy query, words ANDed (each word: exact terms per boost tier, plus typo matches
//! scored below them), phrases, a fallback to any word when all of them match nothing,
//! counts, facets, and snippets for the returned hits only.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxHashMap;
use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, DfaWrapper, EnableScoring,
    FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery, Weight,
};
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize,
    ValueDeserializer, ValueVisitor,
};
use tantivy::schema::{Facet, Field, IndexRecordOption};
use tantivy::{DocAddress, Searcher, Term};

use super::Error;
use super::analyzer::{Lang, exact_term, pair_term};
use super::index::SearchIndex;
use super::layout::{Layout, PUBLISHED, WORKING, access_term, keyword};
use super::parse::{Part, QueryTerm, fuzzy_distance, in_language, parse};
use super::request::{SearchRequest, View};
use super::snippet::{Matcher, snippet};
use crate::principal::Principal;
use crate::schema::Visibility;

/// Constant score of a typo match (an exact match's BM25 score is usually well above it, so
/// typo-only hits rank below exact ones).
const FUZZY_WEIGHT: f32 = 0.3;
/// Weight of the word's exact (unstemmed) form on top of its stem's score.
const EXACT_WEIGHT: f32 = 1.0;
/// Typo matches are looked for when the words as typed match fewer documents than this
/// (like Typesense's `typo_tokens_threshold`): a query whose words are found as typed needs
/// no guessing, and a typo expansion walks the term dictionary and unions many postings.
const TYPO_THRESHOLD: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub id: String,
    #[serde(rename = "type")]
    pub ctype: String,
    pub site: String,
    pub locale: String,
    pub view: String,
    pub slug: String,
    pub title: String,
    pub snippet: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    pub total: usize,
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    /// `all` when every word matched; `any` when nothing matched them all and the search fell
    /// back to documents with any of them.
    pub matched: &'static str,
}

fn keyword_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A clause that must hold without adding to the score.
fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

/// Any of `values` as `kind:value` terms of the keyword field.
fn any_of(layout: &Layout, kind: &str, values: &[&str]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| {
                (
                    Occur::Should,
                    keyword_query(layout.keywords, &keyword(kind, v)),
                )
            })
            .collect(),
    ))
}

/// Who may see what, and the request's own restrictions, as filter clauses.
pub fn scope_clauses(
    layout: &Layout,
    request: &SearchRequest,
    who: &Principal,
) -> Vec<(Occur, Box<dyn Query>)> {
    let mut clauses = Vec::new();
    if !layout.types.iter().all(|t| request.types.contains(t)) {
        let types: Vec<&str> = request.types.iter().map(String::as_str).collect();
        clauses.push(filter(any_of(layout, "type", &types)));
    }
    if let Some(site) = &request.site {
        clauses.push(filter(any_of(layout, "scope", &["*", site])));
    }
    let access: Vec<String> = match request.view {
        View::Published => {
            let levels: &[&str] = match who.visibility() {
                Visibility::Public => &["public"],
                Visibility::Members => &["public", "members"],
            };
            levels
                .iter()
                .map(|v| access_term(PUBLISHED, v, &request.locale))
                .collect()
        }
        View::Working => vec![access_term(WORKING, "", &request.locale)],
    };
    let access: Vec<&str> = access.iter().map(String::as_str).collect();
    clauses.push(filter(any_of(layout, "access", &access)));
    for (field, values) in &request.filters {
        let terms: Vec<String> = values.iter().map(|v| format!("{field}={v}")).collect();
        let terms: Vec<&str> = terms.iter().map(String::as_str).collect();
        clauses.push(filter(any_of(layout, "filter", &terms)));
    }
    clauses
}

/// `term` in every boost tier of `lang`, each scored BM25 times the tier's boost.
pub fn tier_clauses(layout: &Layout, lang: Lang, term: &str) -> Vec<(Occur, Box<dyn Query>)> {
    layout
        .text_fields(lang)
        .iter()
        .zip(&layout.tiers)
        .map(|(field, boost)| {
            let q: Box<dyn Query> = Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(*field, term),
                    IndexRecordOption::WithFreqs,
                )),
                *boost,
            ));
            (Occur::Should, q)
        })
        .collect()
}

/// The typo automaton of one word and distance, built on first use and then shared.
struct LazyDfa {
    text: String,
    distance: u8,
    dfa: OnceLock<Arc<DfaWrapper>>,
}

/// Typo matches of a word in one field, as tantivy's `FuzzyTermQuery` finds them (a constant
/// score), with the word's automaton shared by the queries of every tier and every run of a
/// request: `FuzzyTermQuery` builds its own per query, and building a distance-2 automaton
/// costs more than the term dictionary walks it serves.
#[derive(Clone)]
struct SharedFuzzyQuery {
    field: Field,
    automaton: Arc<LazyDfa>,
}

impl fmt::Debug for SharedFuzzyQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFuzzyQuery")
            .field("field", &self.field)
            .field("text", &self.automaton.text)
            .field("distance", &self.automaton.distance)
            .finish()
    }
}

impl Query for SharedFuzzyQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let lazy = &self.automaton;
        let dfa = match lazy.dfa.get() {
            Some(dfa) => dfa.clone(),
            None => {
                let term = Term::from_field_text(self.field, &lazy.text);
                let dfa = Arc::new(FuzzyTermQuery::new(term, lazy.distance, true).automaton()?);
                lazy.dfa.get_or_init(|| dfa).clone()
            }
        };
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field, dfa,
        )))
    }
}

/// The typo automata of one request, by (term, distance).
#[derive(Default)]
struct Automata(RefCell<FxHashMap<(String, u8), Arc<LazyDfa>>>);

impl Automata {
    /// Typo matches of `text` within `distance` edits in `field`.
    fn fuzzy(&self, field: Field, text: &str, distance: u8) -> Box<dyn Query> {
        let automaton = self
            .0
            .borrow_mut()
            .entry((text.to_owned(), distance))
            .or_insert_with(|| {
                Arc::new(LazyDfa {
                    text: text.to_owned(),
                    distance,
                    dfa: OnceLock::new(),
                })
            })
            .clone();
        Box::new(SharedFuzzyQuery { field, automaton })
    }
}

/// One word: its stem in every tier (boosted by the tier), its exact form in the unstemmed
/// field, and (with `typos`) typo matches of both at a lower weight.
fn word_query(
    layout: &Layout,
    lang: Lang,
    t: &QueryTerm,
    typos: Option<&Automata>,
) -> Box<dyn Query> {
    let mut should = tier_clauses(layout, lang, &t.term);
    // Typos of the stem too, per tier (so a typo in a title still ranks by the title's
    // boost, and "democracy" meets "democratic" within two edits of their stems), at most
    // one edit for stems under 9 letters.
    if let Some(automata) = typos
        && t.fuzzy > 0
    {
        let stem_fuzzy = t.fuzzy.min(fuzzy_distance(&t.term).max(1));
        for (field, boost) in layout.text_fields(lang).iter().zip(&layout.tiers) {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    automata.fuzzy(*field, &t.term, stem_fuzzy),
                    boost * FUZZY_WEIGHT,
                )),
            ));
        }
    }
    // Typos of the word as written, where it differs from its stem (only such words are
    // indexed so): "mutualsim" meets "mutualism" though their stems are far apart. The
    // written form itself only adds score (every document holding it holds its stem, at the
    // same place), so it is added to the top hits afterwards (`Bonus`), not read for every
    // document the stem matches.
    if t.raw != t.term
        && let Some(automata) = typos
        && t.fuzzy > 0
    {
        let exact = exact_term(&t.raw);
        for (field, boost) in layout.text_fields(lang).iter().zip(&layout.tiers) {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    automata.fuzzy(*field, &exact, t.fuzzy),
                    boost * FUZZY_WEIGHT,
                )),
            ));
        }
    }
    Box::new(BooleanQuery::new(should))
}

/// The score the words as written add on top of their stems' (exact forms rank first): the
/// written form of each word that differs from its stem, in every tier of its language,
/// scored BM25 times the tier's boost, as a clause of the word's query would score it.
/// Every document holding a written form holds its stem, so these terms never change what
/// matches, only the order; reading their postings for every document the stems match cost
/// about 15% of a two-word search. They are read instead, by seeking, for the best documents
/// by the rest of the query (`window`: Elasticsearch's rescore window): a document outside
/// the window by its stems' score stays out of the page.
struct Bonus {
    weights: Vec<Box<dyn Weight>>,
}

/// Documents the written forms are scored for, per hit asked for (at least `RESCORE_MIN`).
const RESCORE_FACTOR: usize = 5;
const RESCORE_MIN: usize = 100;

/// The written form of each word that differs from its stem, in every tier of its language
/// (`tier_clauses`), times `EXACT_WEIGHT`: what `Bonus` adds to the best hits.
fn written_form_clauses(layout: &Layout, langs: &[(Lang, Vec<Part>)]) -> Vec<Box<dyn Query>> {
    langs
        .iter()
        .flat_map(|(lang, parts)| {
            parts.iter().filter_map(move |part| match part {
                Part::Term(t) if t.raw != t.term => Some((*lang, exact_term(&t.raw))),
                _ => None,
            })
        })
        .flat_map(|(lang, exact)| tier_clauses(layout, lang, &exact))
        .map(|(_, q)| -> Box<dyn Query> { Box::new(BoostQuery::new(q, EXACT_WEIGHT)) })
        .collect()
}

impl Bonus {
    fn new(
        searcher: &Searcher,
        layout: &Layout,
        langs: &[(Lang, Vec<Part>)],
    ) -> tantivy::Result<Bonus> {
        let scoring = EnableScoring::enabled_from_searcher(searcher);
        let weights = written_form_clauses(layout, langs)
            .iter()
            .map(|q| q.weight(scoring))
            .collect::<tantivy::Result<_>>()?;
        Ok(Bonus { weights })
    }

    /// How many of the best documents to collect for a page ending at `end`.
    fn window(&self, end: usize) -> usize {
        if self.weights.is_empty() {
            end
        } else {
            end.saturating_mul(RESCORE_FACTOR).max(RESCORE_MIN)
        }
    }

    /// `top` with the written forms' scores added, best first (ties by address, as
    /// `TopDocs` orders them).
    fn rescore(
        &self,
        searcher: &Searcher,
        mut top: Vec<(f32, DocAddress)>,
    ) -> tantivy::Result<Vec<(f32, DocAddress)>> {
        if self.weights.is_empty() {
            return Ok(top);
        }
        top.sort_by_key(|(_, a)| *a);
        for segment in top.chunk_by_mut(|a, b| a.1.segment_ord == b.1.segment_ord) {
            let Some(reader) = segment
                .first()
                .map(|(_, a)| searcher.segment_reader(a.segment_ord))
            else {
                continue;
            };
            for weight in &self.weights {
                let mut scorer = weight.scorer(reader, 1.0)?;
                for (score, address) in segment.iter_mut() {
                    if scorer.doc() < address.doc_id {
                        scorer.seek(address.doc_id);
                    }
                    if scorer.doc() == address.doc_id {
                        *score += scorer.score();
                    }
                }
            }
        }
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(top)
    }
}

/// A phrase in every tier. Two words that pair (`Lang::pairs_with`: not stop words) are one
/// term (`analyzer::pair_term`), scored BM25 like a word: no positions are read. Other
/// phrases read positions, only where every pair of the phrase is found, and each tier's
/// phrase is intersected with the reader's scope, so positions are read only for documents
/// the reader may see: a union of phrases would check every document holding the words
/// (other views and locales too) before the scope applies.
fn phrase_query(layout: &Layout, lang: Lang, terms: &[QueryTerm], scope: &Scope) -> Box<dyn Query> {
    let pairs: Vec<String> = terms
        .windows(2)
        .filter(|w| lang.pairs_with(&w[0].raw) && lang.pairs_with(&w[1].raw))
        .map(|w| pair_term(&w[0].term, &w[1].term))
        .collect();
    let should = layout
        .text_fields(lang)
        .iter()
        .zip(&layout.tiers)
        .map(|(field, boost)| {
            let q: Box<dyn Query> = match pairs.as_slice() {
                [pair] if terms.len() == 2 => Box::new(TermQuery::new(
                    Term::from_field_text(*field, pair),
                    IndexRecordOption::WithFreqs,
                )),
                _ => {
                    let mut clauses = scope();
                    for pair in &pairs {
                        clauses.push(filter(Box::new(TermQuery::new(
                            Term::from_field_text(*field, pair),
                            IndexRecordOption::Basic,
                        ))));
                    }
                    let terms = terms
                        .iter()
                        .map(|t| Term::from_field_text(*field, &t.term))
                        .collect();
                    clauses.push((Occur::Must, Box::new(PhraseQuery::new(terms))));
                    Box::new(BooleanQuery::new(clauses))
                }
            };
            let q: Box<dyn Query> = Box::new(BoostQuery::new(q, *boost));
            (Occur::Should, q)
        })
        .collect();
    Box::new(BooleanQuery::new(should))
}

/// Builds the filter clauses of the reader's scope (`scope_clauses`).
type Scope<'a> = dyn Fn() -> Vec<(Occur, Box<dyn Query>)> + 'a;

fn part_query(
    layout: &Layout,
    lang: Lang,
    part: &Part,
    typos: Option<&Automata>,
    scope: &Scope,
) -> Box<dyn Query> {
    match part {
        Part::Term(t) => word_query(layout, lang, t, typos),
        Part::Phrase(ts) => phrase_query(layout, lang, ts, scope),
    }
}

/// The text part of the query: every part required (`all`), or at least one (`any`).
fn text_query(
    layout: &Layout,
    lang: Lang,
    parts: &[Part],
    all: bool,
    typos: Option<&Automata>,
    scope: &Scope,
) -> Box<dyn Query> {
    let occur = if all { Occur::Must } else { Occur::Should };
    Box::new(BooleanQuery::new(
        parts
            .iter()
            .map(|p| (occur, part_query(layout, lang, p, typos, scope)))
            .collect(),
    ))
}

/// The languages a request's words are looked up in, with the words parsed for each: the
/// request locale's, and for published snapshots of another locale, the default locale's
/// too (a snapshot that is wholly the default locale's shares its document, in its language:
/// `document::shared_rows`).
pub fn languages(layout: &Layout, request: &SearchRequest) -> Vec<(Lang, Vec<Part>)> {
    let lang = Lang::of_locale(&request.locale);
    let parts = parse(&request.q, lang);
    let base = Lang::of_locale(&layout.default_locale);
    let mut out = Vec::new();
    if base != lang && request.view == View::Published && !parts.is_empty() {
        out.push((base, in_language(&parts, base)));
    }
    out.insert(0, (lang, parts));
    out
}

/// The text query in every language of `langs`: a document matches in one of them.
fn texts_query(
    layout: &Layout,
    langs: &[(Lang, Vec<Part>)],
    all: bool,
    typos: Option<&Automata>,
    scope: &Scope,
) -> Box<dyn Query> {
    let mut queries: Vec<(Occur, Box<dyn Query>)> = langs
        .iter()
        .map(|(lang, parts)| {
            (
                Occur::Should,
                text_query(layout, *lang, parts, all, typos, scope),
            )
        })
        .collect();
    match queries.len() {
        1 => queries.remove(0).1,
        _ => Box::new(BooleanQuery::new(queries)),
    }
}

/// The stored text values of a hit's document, read as they are: building a whole
/// `TantivyDocument` copies every value again into its compact form.
struct Stored(Vec<(Field, String)>);

/// Keeps text values; scalar ones (the revision) are read past.
struct TextVisitor;

impl ValueVisitor for TextVisitor {
    type Value = Option<String>;

    fn visit_string(&self, text: String) -> Result<Option<String>, DeserializeError> {
        Ok(Some(text))
    }

    fn visit_u64(&self, _: u64) -> Result<Option<String>, DeserializeError> {
        Ok(None)
    }

    fn visit_i64(&self, _: i64) -> Result<Option<String>, DeserializeError> {
        Ok(None)
    }

    fn visit_f64(&self, _: f64) -> Result<Option<String>, DeserializeError> {
        Ok(None)
    }

    fn visit_bool(&self, _: bool) -> Result<Option<String>, DeserializeError> {
        Ok(None)
    }

    fn visit_bytes(&self, _: Vec<u8>) -> Result<Option<String>, DeserializeError> {
        Ok(None)
    }
}

struct StoredText(Option<String>);

impl ValueDeserialize for StoredText {
    fn deserialize<'de, D: ValueDeserializer<'de>>(value: D) -> Result<Self, DeserializeError> {
        value.deserialize_any(TextVisitor).map(StoredText)
    }
}

impl DocumentDeserialize for Stored {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(
        mut doc: D,
    ) -> Result<Self, DeserializeError> {
        let mut values = Vec::with_capacity(doc.size_hint());
        while let Some((field, StoredText(text))) = doc.next_field()? {
            if let Some(text) = text {
                values.push((field, text));
            }
        }
        Ok(Stored(values))
    }
}

impl Stored {
    /// The first value of `field`, or "".
    fn get(&self, field: Field) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, text)| text)
    }
}

/// Run `request` for `who` on `index`. Blocking: call it off the async workers.
pub fn run(
    index: &SearchIndex,
    request: &SearchRequest,
    who: &Principal,
) -> Result<SearchResult, Error> {
    let layout = &index.layout;
    let langs = languages(layout, request);
    let parts = langs.first().map(|(_, p)| p.as_slice()).unwrap_or_default();
    let searcher = index.reader.searcher();
    let mut result = SearchResult {
        hits: Vec::new(),
        total: 0,
        facets: request
            .facets
            .iter()
            .map(|f| (f.clone(), BTreeMap::new()))
            .collect(),
        matched: "all",
    };
    if parts.is_empty() {
        return Ok(result);
    }
    let scope = || scope_clauses(layout, request, who);
    let automata = Automata::default();
    let bonus = Bonus::new(&searcher, layout, &langs).map_err(|e| Error::Index(e.to_string()))?;
    let run = |all: bool, typos: bool| {
        let mut clauses = scope();
        let typos = typos.then_some(&automata);
        clauses.push((Occur::Must, texts_query(layout, &langs, all, typos, &scope)));
        execute(
            &searcher,
            layout,
            &BooleanQuery::new(clauses),
            request,
            &bonus,
        )
    };
    // The words as typed; then with typo matches (scored below exact ones) when they find
    // few documents; then any word instead of all when nothing matched them all.
    let mut typos = false;
    let mut found = run(true, false)?;
    let typeable = parts
        .iter()
        .any(|p| matches!(p, Part::Term(t) if t.fuzzy > 0));
    if found.0 < TYPO_THRESHOLD && typeable {
        typos = true;
        found = run(true, true)?;
    }
    if found.0 == 0 && parts.len() > 1 {
        typos = typeable;
        found = run(false, typos)?;
        result.matched = "any";
    }
    let (total, top, facets) = found;
    result.total = total;
    for (name, counts) in facets {
        result.facets.insert(name, counts);
    }
    // Snippets mark the words as the language of the document's text finds them.
    let terms: Vec<(Lang, Vec<QueryTerm>)> = langs
        .iter()
        .map(|(lang, parts)| {
            (
                *lang,
                parts.iter().flat_map(|p| p.terms().to_vec()).collect(),
            )
        })
        .collect();
    let mut matchers: Vec<(Lang, Matcher)> = terms
        .iter()
        .map(|(lang, terms)| (*lang, Matcher::new(terms, *lang, typos)))
        .collect();
    for (score, address) in top {
        let doc: Stored = searcher
            .doc(address)
            .map_err(|e| Error::Index(e.to_string()))?;
        let body = doc.get(layout.body);
        let written_in = Lang::of_locale(doc.get(layout.locale));
        let mine = matchers
            .iter()
            .position(|(lang, _)| *lang == written_in)
            .unwrap_or(0);
        let Some((_, matcher)) = matchers.get_mut(mine) else {
            continue;
        };
        result.hits.push(Hit {
            id: doc.get(layout.uid).to_owned(),
            ctype: doc.get(layout.ctype).to_owned(),
            site: doc.get(layout.site).to_owned(),
            // The document may be shared with the requested locale (its access term matched).
            locale: request.locale.clone(),
            // The document may answer for the working copy too (unchanged since its publish).
            view: match request.view {
                View::Published => PUBLISHED,
                View::Working => WORKING,
            }
            .to_owned(),
            slug: doc.get(layout.slug).to_owned(),
            title: doc.get(layout.title).to_owned(),
            snippet: snippet(body, matcher),
            score,
        });
    }
    Ok(result)
}

type Found = (
    usize,
    Vec<(f32, DocAddress)>,
    Vec<(String, BTreeMap<String, u64>)>,
);

fn execute(
    searcher: &Searcher,
    layout: &Layout,
    query: &dyn Query,
    request: &SearchRequest,
    bonus: &Bonus,
) -> Result<Found, Error> {
    let end = request.offset.saturating_add(request.limit);
    let top = TopDocs::with_limit(bonus.window(end).max(1)).order_by_score();
    let err = |e: tantivy::TantivyError| Error::Index(e.to_string());
    let page = |top: Vec<(f32, DocAddress)>| -> Result<Vec<(f32, DocAddress)>, Error> {
        let mut top = bonus.rescore(searcher, top).map_err(err)?;
        top.truncate(end);
        Ok(top.into_iter().skip(request.offset).collect())
    };
    if request.facets.is_empty() {
        let (top, total) = searcher.search(query, &(top, Count)).map_err(err)?;
        return Ok((total, page(top)?, Vec::new()));
    }
    let mut facets =
        FacetCollector::for_field(layout.schema.get_field_name(layout.facets).to_owned());
    for name in &request.facets {
        facets.add_facet(Facet::from_path([name.as_str()]));
    }
    let (top, total, counts) = searcher.search(query, &(top, Count, facets)).map_err(err)?;
    let top = page(top)?;
    let by_field = request
        .facets
        .iter()
        .map(|name| {
            let counts: BTreeMap<String, u64> = counts
                .get(Facet::from_path([name.as_str()]))
                .map(|(facet, n)| {
                    let value = facet
                        .to_path()
                        .last()
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    (value, n)
                })
                .collect();
            (name.clone(), counts)
        })
        .collect();
    Ok((total, top, by_field))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::schema::Registry;
    use crate::search::index::{ItemRows, Place};
    use serde_json::json;

    /// Title in its own tier; summary and body share the lowest one.
    const ARTICLE: &str = r#"
name = "article"
label = "Article"
default_visibility = "public"
title_field = "title"

[[fields]]
name = "title"
type = "string"
label = "Title"
searchable = 3.0

[[fields]]
name = "summary"
type = "string"
label = "Summary"
searchable = 1.0

[[fields]]
name = "body"
type = "string"
label = "Body"
searchable = 1.0
"#;

    fn request(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.to_owned(),
            types: vec!["article".to_owned()],
            site: None,
            locale: "en".to_owned(),
            view: View::Published,
            filters: BTreeMap::new(),
            facets: Vec::new(),
            limit: 20,
            offset: 0,
        }
    }

    /// An index of articles `(uid, title, summary, body)`.
    fn articles(docs: &[(&str, &str, &str, &str)]) -> SearchIndex {
        let schemas = Registry::from_sources(&[("article.toml".into(), ARTICLE.into())]).unwrap();
        let layout = Layout::new(&schemas, &["en".to_owned()], "en");
        let index = SearchIndex::open(Place::Ram, layout).unwrap();
        for (uid, title, summary, body) in docs {
            let row = json!({"uid": uid, "ctype": "article", "site": "s", "scope": "*",
                "locale": "en", "revision": 1, "visibility": "public", "fallback": [],
                "fields": {"title": title, "summary": summary, "body": body}});
            let rows = ItemRows {
                working: Vec::new(),
                delivery: vec![row],
            };
            index.add(&schemas, &rows).unwrap();
        }
        index.commit(&schemas, 1).unwrap();
        index
    }

    #[test]
    fn written_forms_add_to_the_top_hits_the_score_a_clause_of_the_query_would() {
        let index = articles(&[
            (
                "a",
                "Notes",
                "",
                "Reading assessment at our school, read aloud.",
            ),
            (
                "b",
                "Notes",
                "",
                "Pupils read; assessed work follows the assessments.",
            ),
            ("c", "Reading", "", "Assessing reads."),
            (
                "d",
                "Notes",
                "",
                "Reading, then reading again: an assessment.",
            ),
            ("e", "Notes", "", "Assessment only."),
        ]);
        let q = "reading assessment";
        let hits = run(&index, &request(q), &Principal::Anonymous)
            .unwrap()
            .hits;
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), 4, "{ids:?}");
        // The same search (with typo matches: it found fewer than TYPO_THRESHOLD) with the
        // written forms as clauses of the query, every document scored for them: the same
        // scores, so the same order.
        let layout = &index.layout;
        let searcher = index.reader.searcher();
        let langs = languages(layout, &request(q));
        let mut clauses = scope_clauses(layout, &request(q), &Principal::Anonymous);
        let typos = Automata::default();
        let text = texts_query(layout, &langs, true, Some(&typos), &Vec::new);
        clauses.push((Occur::Must, text));
        let written = written_form_clauses(layout, &langs);
        assert!(!written.is_empty());
        clauses.extend(written.into_iter().map(|q| (Occur::Should, q)));
        let full = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(10).order_by_score(),
            )
            .unwrap();
        let full: Vec<(String, f32)> = full
            .into_iter()
            .map(|(score, address)| {
                let doc: Stored = searcher.doc(address).unwrap();
                (doc.get(layout.uid).to_owned(), score)
            })
            .collect();
        assert_eq!(full.len(), hits.len());
        for ((id, score), hit) in full.iter().zip(&hits) {
            assert_eq!(*id, hit.id, "{full:?} / {ids:?}");
            assert!(
                (score - hit.score).abs() < 1e-4 * score,
                "{id}: {score} / {}",
                hit.score
            );
        }
        // The written forms count: "a" holds both as written, "b" (as long) neither.
        let at = |id: &str| ids.iter().position(|i| *i == id);
        assert!(at("a") < at("b"), "{hits:?}");
        // Pages of the rescored hits follow each other.
        let page = |offset: usize, limit: usize| -> Vec<String> {
            let mut r = request(q);
            (r.offset, r.limit) = (offset, limit);
            let found = run(&index, &r, &Principal::Anonymous).unwrap();
            assert_eq!(found.total, 4);
            found.hits.into_iter().map(|h| h.id).collect()
        };
        assert_eq!([page(0, 2), page(2, 2)].concat(), ids);
        assert_eq!(page(3, 5), [ids[3]]);
    }

    #[test]
    fn phrases_find_the_words_next_to_each_other_in_one_text_only() {
        let docs = [
            (
                "a",
                "Student councils",
                "",
                "The peer mentoring scheme works.",
            ),
            (
                "b",
                "Councils of students",
                "",
                "Peer mentoring, and a scheme.",
            ),
            (
                "c",
                "Notes",
                "Our student",
                "council met. Peer support scheme.",
            ),
            (
                "d",
                "Notes",
                "",
                "Peer mentoring helps; mentoring schemes last.",
            ),
            (
                "e",
                "Notes",
                "",
                "The student council runs peer mentoring schemes.",
            ),
        ];
        let index = articles(&docs);
        let found = |q: &str| {
            let mut ids: Vec<String> = run(&index, &request(q), &Principal::Anonymous)
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            ids.sort();
            ids
        };
        // Two words: stems next to each other in one text ("student" ending the summary and
        // "council" starting the body are not).
        assert_eq!(found(r#""student council""#), ["a", "e"]);
        assert_eq!(found(r#""council student""#), Vec::<String>::new());
        // Three words: in a row ("d" holds both pairs of "peer mentoring scheme", "b" one,
        // neither the three words in a row).
        assert_eq!(found(r#""peer mentoring scheme""#), ["a", "e"]);
        assert_eq!(found(r#""mentoring scheme""#), ["a", "d", "e"]);
        // A phrase with a stop word reads positions: word order and neighbours still count.
        assert_eq!(found(r#""students council""#), ["a", "e"]);
        assert_eq!(found(r#""council of students""#), ["b"]);
        assert_eq!(found(r#""councils students""#), Vec::<String>::new());
        // The phrase and a word.
        assert_eq!(found(r#""peer mentoring" council"#), ["a", "b", "e"]);
        // A title phrase ranks above the same phrase in a body.
        let hits = run(
            &index,
            &request(r#""student council""#),
            &Principal::Anonymous,
        )
        .unwrap()
        .hits;
        assert_eq!(hits[0].id, "a");
    }
}

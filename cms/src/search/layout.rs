//! The index's tantivy schema, derived from the content types: fixed keyword fields, one text
//! field per (language, boost tier), and the fingerprint that names an index build.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analyzer::{ANALYZER_VERSION, Lang};
use crate::schema::Registry;

/// Views of an item a document can hold.
pub const PUBLISHED: &str = "published";
pub const WORKING: &str = "working";

/// Handles of every field of the index.
#[derive(Clone)]
pub struct Layout {
    pub schema: Schema,
    /// `uid.locale.view`: one document per (item, locale, view).
    pub key: Field,
    pub uid: Field,
    pub ctype: Field,
    pub site: Field,
    /// Every term filters and deletes look up, one field (`keyword`): `uid:`, `type:`,
    /// `scope:` (`*` for shared types, else the site: what site filters and site-bound tokens
    /// match), `access:` (who may find the document, `access_term`: one posting list to
    /// intersect instead of view, visibility and locale) and `filter:` (`field=value` of
    /// filterable fields).
    pub keywords: Field,
    pub locale: Field,
    pub view: Field,
    /// Every content type: a search of all of them needs no type filter.
    pub types: Vec<String>,
    pub state: Field,
    pub revision: Field,
    pub slug: Field,
    pub title: Field,
    /// The searchable text other than the title, stored for snippets.
    pub body: Field,
    /// `/field/value` facets.
    pub facets: Field,
    /// Boost of each tier; `text[lang][i]` holds the text of fields searchable with `tiers[i]`.
    pub tiers: Vec<f32>,
    pub langs: Vec<Lang>,
    /// The locale other locales fall back to: a locale's snapshot that is wholly the default
    /// locale's shares its document (`document::shared_rows`).
    pub default_locale: String,
    /// Per language, one field per tier: stems, and words as written where they differ
    /// from their stems (`analyzer::exact_term`).
    text: Vec<(Lang, Vec<Field>)>,
}

impl Layout {
    pub fn new(schemas: &Registry, locales: &[String], default_locale: &str) -> Layout {
        let tiers = boost_tiers(schemas);
        let langs: Vec<Lang> = locales
            .iter()
            .map(|l| Lang::of_locale(l))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut b = Schema::builder();
        // What queries and deletes look up is indexed in one keyword field: every indexed
        // field with a term in a segment costs that segment a term dictionary (an FST
        // builder's table of 20,000 cells), and the follower writes a small segment per commit.
        let key = b.add_text_field("key", STORED);
        let uid = b.add_text_field("uid", STORED);
        let ctype = b.add_text_field("ctype", STORED);
        let site = b.add_text_field("site", STORED);
        let keywords = b.add_text_field("keywords", STRING);
        let locale = b.add_text_field("locale", STORED);
        let view = b.add_text_field("view", STORED);
        let state = b.add_text_field("state", STORED);
        let revision = b.add_u64_field("revision", STORED);
        let slug = b.add_text_field("slug", STORED);
        let title = b.add_text_field("title", STORED);
        let body = b.add_text_field("body", STORED);
        let facets = b.add_facet_field("facets", FacetOptions::default());
        let mut text = Vec::new();
        for lang in &langs {
            let options = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(lang.tokenizer_name())
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            let fields = (0..tiers.len())
                .map(|i| b.add_text_field(&format!("text_{}_{i}", lang.code()), options.clone()))
                .collect();
            text.push((*lang, fields));
        }
        Layout {
            schema: b.build(),
            key,
            uid,
            ctype,
            site,
            keywords,
            locale,
            view,
            types: schemas.types().map(|t| t.name.clone()).collect(),
            state,
            revision,
            slug,
            title,
            body,
            facets,
            tiers,
            langs,
            default_locale: default_locale.to_owned(),
            text,
        }
    }

    /// The text fields of `lang`, one per tier.
    pub fn text_fields(&self, lang: Lang) -> &[Field] {
        self.text
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, f)| f.as_slice())
            .unwrap_or(&[])
    }

    /// The tier index of a field boost.
    pub fn tier_of(&self, boost: f32) -> Option<usize> {
        self.tiers.iter().position(|t| *t == boost)
    }
}

/// Distinct boosts of searchable fields, highest first.
fn boost_tiers(schemas: &Registry) -> Vec<f32> {
    let mut tiers: Vec<f32> = Vec::new();
    for ct in schemas.types() {
        for b in ct.fields.iter().filter_map(|f| f.searchable) {
            if !tiers.contains(&b) {
                tiers.push(b);
            }
        }
    }
    tiers.sort_by(|a, b| b.total_cmp(a));
    if tiers.is_empty() {
        tiers.push(1.0);
    }
    tiers
}

/// A term of the keyword field: `kind:value` (`uid`, `type`, `scope`, `access`, `filter`).
pub fn keyword(kind: &str, value: &str) -> String {
    format!("{kind}:{value}")
}

/// The `access` term of a document or of what a reader may see: published snapshots by
/// visibility and locale; working copies by locale (editors see them all).
pub fn access_term(view: &str, visibility: &str, locale: &str) -> String {
    if view == PUBLISHED {
        format!("{view}/{visibility}/{locale}")
    } else {
        format!("{view}/{locale}")
    }
}

/// Names an index build: the analyzer version, the content types and the locales. A change to
/// any of them means a fresh index, rebuilt from SurrealDB at start.
pub fn fingerprint(schemas: &Registry, locales: &[String], default_locale: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("analyzer {ANALYZER_VERSION}\n"));
    h.update(format!("index layout {LAYOUT_VERSION}\n"));
    // The tantivy schema itself: a field added or changed can never open an old index.
    h.update(
        serde_json::to_vec(&Layout::new(schemas, locales, default_locale).schema)
            .unwrap_or_default(),
    );
    for ct in schemas.types() {
        h.update(serde_json::to_vec(ct).unwrap_or_default());
        h.update(b"\n");
    }
    h.update(locales.join(","));
    h.update(format!("\ndefault {default_locale}"));
    hex::encode(&h.finalize()[..8])
}

/// Bump when what documents hold changes (the fields are in the fingerprint already).
const LAYOUT_VERSION: u32 = 7;

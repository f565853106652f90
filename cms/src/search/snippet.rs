//! Snippets: the passage of a hit's text with the most distinct query terms, HTML-escaped,
//! with exact, stemmed and fuzzy matches wrapped in `<mark>` (tantivy's `SnippetGenerator`
//! does not highlight fuzzy terms, so the text is re-analyzed here, for returned hits only).

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer::{Lang, analyze};
use super::parse::{QueryTerm, fuzzy_distance};
use crate::schema::escape_html;

/// Bytes of text a snippet shows (about 25 words).
pub const SNIPPET_BYTES: usize = 180;
/// Bytes of context kept before the first match of the passage.
const LEAD_BYTES: usize = 40;

/// Decides whether a word of the text (unstemmed, as the raw analyzer gives it) matches the
/// query: its stem equals a query word's stem, or it is within the word's typo distance.
/// Answers are remembered per distinct word, so each is stemmed once per request.
pub struct Matcher<'q> {
    terms: &'q [QueryTerm],
    stemmer: TextAnalyzer,
    seen: HashMap<String, Option<usize>>,
}

impl<'q> Matcher<'q> {
    pub fn new(terms: &'q [QueryTerm], lang: Lang) -> Matcher<'q> {
        Matcher {
            terms,
            stemmer: lang.analyzer(),
            seen: HashMap::new(),
        }
    }

    /// The index of the query word `raw` matches, or None.
    pub fn matches(&mut self, raw: &str) -> Option<usize> {
        if let Some(hit) = self.seen.get(raw) {
            return *hit;
        }
        let stem = analyze(&mut self.stemmer, raw)
            .into_iter()
            .next()
            .map(|a| a.term)
            .unwrap_or_default();
        let hit = self
            .terms
            .iter()
            .position(|q| q.raw == raw || q.term == stem)
            .or_else(|| {
                self.terms.iter().position(|q| {
                    let stem_fuzzy = q.fuzzy.min(fuzzy_distance(&q.term).max(1)) as usize;
                    q.fuzzy > 0
                        && ((raw.len().abs_diff(q.raw.len()) <= q.fuzzy as usize
                            && strsim::osa_distance(raw, &q.raw) <= q.fuzzy as usize)
                            || (stem.len().abs_diff(q.term.len()) <= stem_fuzzy
                                && strsim::osa_distance(&stem, &q.term) <= stem_fuzzy))
                })
            });
        self.seen.insert(raw.to_owned(), hit);
        hit
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The snippet of `text` for the query terms: escaped HTML with `<mark>`s. `analyzer` is the
/// language's raw analyzer.
pub fn snippet(text: &str, analyzer: &mut TextAnalyzer, matcher: &mut Matcher) -> String {
    let tokens = analyze(analyzer, text);
    let matches: Vec<(usize, usize, usize)> = tokens
        .iter()
        .filter_map(|t| matcher.matches(&t.term).map(|q| (t.from, t.to, q)))
        .collect();
    // The window with the most distinct query terms; the earliest among equals.
    let mut best = (0usize, 0usize);
    for i in 0..matches.len() {
        let mut distinct: Vec<usize> = Vec::new();
        for m in matches[i..]
            .iter()
            .take_while(|m| m.1 - matches[i].0 <= SNIPPET_BYTES)
        {
            if !distinct.contains(&m.2) {
                distinct.push(m.2);
            }
        }
        if distinct.len() > best.0 {
            best = (distinct.len(), i);
        }
    }
    let start = match matches.get(best.1) {
        Some(&(from, _, _)) if best.0 > 0 => {
            // Back up to a word start at most LEAD_BYTES before the first match.
            let floor = floor_boundary(text, from.saturating_sub(LEAD_BYTES));
            tokens
                .iter()
                .map(|t| t.from)
                .find(|&f| f >= floor && f <= from)
                .unwrap_or(from)
        }
        _ => 0,
    };
    let limit = floor_boundary(text, (start + SNIPPET_BYTES).min(text.len()));
    // End at the end of the text, or of the last word that fits.
    let end = if limit == text.len() {
        limit
    } else {
        tokens
            .iter()
            .filter(|t| t.from >= start && t.to <= limit)
            .map(|t| t.to)
            .next_back()
            .unwrap_or(limit)
    };
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to, _) in matches.iter().filter(|m| m.0 >= start && m.1 <= end) {
        out.push_str(&escape_html(&text[at..from]));
        out.push_str("<mark>");
        out.push_str(&escape_html(&text[from..to]));
        out.push_str("</mark>");
        at = to;
    }
    out.push_str(&escape_html(&text[at..end]));
    if end < text.trim_end().len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse::{Part, parse};

    fn snip(text: &str, q: &str) -> String {
        let terms: Vec<QueryTerm> = parse(q, Lang::English)
            .iter()
            .flat_map(|p: &Part| p.terms().to_vec())
            .collect();
        snippet(
            text,
            &mut Lang::English.raw_analyzer(),
            &mut Matcher::new(&terms, Lang::English),
        )
    }

    #[test]
    fn marks_exact_stemmed_and_fuzzy_matches_and_escapes_the_rest() {
        let text = "Pupils <b>spoke</b> & listened. Work on oracy gave pupils structured talk.";
        let s = snip(text, "oracey pupil");
        assert!(s.contains("<mark>oracy</mark>"), "fuzzy: {s}");
        assert!(s.contains("<mark>Pupils</mark>"), "stemmed: {s}");
        assert!(
            s.contains("&lt;b&gt;spoke&lt;/b&gt; &amp; listened"),
            "escaped: {s}"
        );
        assert!(!s.contains("<b>"));
    }

    #[test]
    fn picks_the_passage_with_most_query_terms() {
        let filler = "Nothing to see here at all. ".repeat(20);
        let text = format!("{filler}The co-operative allotment grew. {filler}");
        let s = snip(&text, "coop allotment");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(
            s.contains("<mark>co-operative</mark> <mark>allotment</mark>"),
            "{s}"
        );
        assert!(s.len() < SNIPPET_BYTES + 60, "{}", s.len());
    }

    #[test]
    fn without_a_match_the_start_is_shown() {
        let s = snip("A short text about reading.", "mathematics");
        assert_eq!(s, "A short text about reading.");
    }
}

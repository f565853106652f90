//! Snippets: the passage of a hit's text with the most distinct query terms, HTML-escaped,
//! with exact, stemmed and fuzzy matches wrapped in `<mark>` (tantivy's `SnippetGenerator`
//! does not highlight fuzzy terms, so the text is re-analyzed here, for returned hits only).

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer::analyze;
use super::parse::QueryTerm;
use crate::schema::escape_html;

/// Bytes of text a snippet shows (about 25 words).
pub const SNIPPET_BYTES: usize = 180;
/// Bytes of context kept before the first match of the passage.
const LEAD_BYTES: usize = 40;

/// Decides whether an analyzed term of the text matches the query, remembering answers.
pub struct Matcher<'q> {
    terms: &'q [QueryTerm],
    seen: HashMap<String, Option<usize>>,
}

impl<'q> Matcher<'q> {
    pub fn new(terms: &'q [QueryTerm]) -> Matcher<'q> {
        Matcher {
            terms,
            seen: HashMap::new(),
        }
    }

    /// The index of the query term `term` matches (exactly first, else within its typo
    /// distance), or None.
    pub fn matches(&mut self, term: &str) -> Option<usize> {
        if let Some(hit) = self.seen.get(term) {
            return *hit;
        }
        let hit = self.terms.iter().position(|q| q.term == term).or_else(|| {
            self.terms.iter().position(|q| {
                q.fuzzy > 0
                    && term.len().abs_diff(q.term.len()) <= q.fuzzy as usize
                    && strsim::osa_distance(term, &q.term) <= q.fuzzy as usize
            })
        });
        self.seen.insert(term.to_owned(), hit);
        hit
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The snippet of `text` for the query terms: escaped HTML with `<mark>`s.
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
    use crate::search::analyzer::Lang;
    use crate::search::parse::{Part, parse};

    fn snip(text: &str, q: &str) -> String {
        let terms: Vec<QueryTerm> = parse(q, Lang::English)
            .iter()
            .flat_map(|p: &Part| p.terms().to_vec())
            .collect();
        snippet(
            text,
            &mut Lang::English.analyzer(),
            &mut Matcher::new(&terms),
        )
    }

    #[test]
    fn marks_exact_stemmed_and_fuzzy_matches_and_escapes_the_rest() {
        let text = "Pupils <b>spoke</b> & listened. Work on oracy gave pupils structured talk.";
        let s = snip(text, "orasy pupil");
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

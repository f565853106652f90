//! Snippets: the passage of a hit's text with the most distinct query terms, HTML-escaped,
//! with exact, stemmed and fuzzy matches wrapped in `<mark>` (tantivy's `SnippetGenerator`
//! does not highlight fuzzy terms, so the text is re-analyzed here, for returned hits only).

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use super::analyzer::{Lang, analyze};
use super::parse::{QueryTerm, fuzzy_distance};
use crate::schema::escape_html;
use tantivy::tokenizer::TokenStream as _;

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

/// Matches collected before the scan stops, when not all query words were seen together.
const MAX_MATCHES: usize = 24;

/// The best window over `matches`: (distinct query words in it, index of its first match).
fn best_window(matches: &[(usize, usize, usize)]) -> (usize, usize) {
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
    best
}

/// Where to cut at byte `i` without splitting a word: `i`, or the start of the word it is in.
fn cut_before_word(text: &str, i: usize) -> usize {
    let inside = text[i..].chars().next().is_some_and(char::is_alphanumeric)
        && text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
    if !inside {
        return i;
    }
    text[..i]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric())
        .last()
        .map_or(i, |(j, _)| j)
}

/// The snippet of `text` for the query terms: escaped HTML with `<mark>`s. `analyzer` is the
/// language's raw analyzer. The text is scanned only until a window holds every query word
/// (or enough matches were seen), so a long body costs little when it matches early.
pub fn snippet(text: &str, analyzer: &mut TextAnalyzer, matcher: &mut Matcher) -> String {
    let wanted = matcher.terms.len();
    let mut matches: Vec<(usize, usize, usize)> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        if let Some(q) = matcher.matches(&t.text) {
            matches.push((t.offset_from, t.offset_to, q));
            if matches.len() >= MAX_MATCHES || best_window(&matches).0 >= wanted {
                break;
            }
        }
    }
    let best = best_window(&matches);
    let start = match matches.get(best.1) {
        // Back up to a word start at most LEAD_BYTES before the first match.
        Some(&(from, _, _)) if best.0 > 0 => {
            let floor = floor_boundary(text, from.saturating_sub(LEAD_BYTES));
            // The first word that starts after `floor` (or the match itself).
            let lead = &text[floor..from];
            match lead.find(|c: char| !c.is_alphanumeric()) {
                Some(gap) if floor > 0 => lead[gap..]
                    .find(char::is_alphanumeric)
                    .map_or(from, |w| floor + gap + w),
                _ => floor,
            }
        }
        _ => 0,
    };
    let limit = floor_boundary(text, (start + SNIPPET_BYTES).min(text.len()));
    // End at the end of the text, or before the word the limit cuts.
    let end = if limit == text.len() {
        limit
    } else {
        let cut = cut_before_word(text, limit);
        text[start..cut].trim_end().len() + start
    };
    // Matches inside the window that the scan had not reached yet are marked too.
    let mut seen_to = matches.last().map_or(0, |m| m.1);
    while seen_to < end {
        let Some(t) = stream.next() else { break };
        seen_to = t.offset_to;
        if t.offset_to <= end
            && let Some(q) = matcher.matches(&t.text)
        {
            matches.push((t.offset_from, t.offset_to, q));
        }
    }
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

    #[test]
    fn cuts_between_words() {
        let text = "alpha betas gamma ".repeat(50);
        let s = snip(&format!("{text} target {text}"), "target");
        let plain = s.replace("<mark>", "").replace("</mark>", "");
        let inner = plain.trim_start_matches('…').trim_end_matches('…');
        for word in inner.split_whitespace() {
            assert!(
                ["alpha", "betas", "gamma", "target"].contains(&word),
                "{word} in {s}"
            );
        }
        assert!(s.contains("<mark>target</mark>"));
    }
}

//! What the reader typed, as parts: plain words and quoted phrases, analyzed per language.
//! Nothing a reader types is syntax except double quotes; an unbalanced quote ends at the end.

use super::analyzer::{Analyzed, Lang, analyze};

/// Longest query accepted (characters).
pub const MAX_QUERY_CHARS: usize = 1000;
/// Terms beyond this many are ignored.
pub const MAX_TERMS: usize = 32;

/// One word of the query after analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// Stemmed (English) or as analyzed (Welsh).
    pub term: String,
    /// Folded and lower-cased, not stemmed.
    pub raw: String,
    /// Edit distance allowed for typos, by the word's letters: 0 under 5, 1 from 5, 2 from 9.
    pub fuzzy: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Term(QueryTerm),
    Phrase(Vec<QueryTerm>),
}

impl Part {
    pub fn terms(&self) -> &[QueryTerm] {
        match self {
            Part::Term(t) => std::slice::from_ref(t),
            Part::Phrase(ts) => ts,
        }
    }
}

pub fn fuzzy_distance(typed: &str) -> u8 {
    match typed.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

fn terms_of(lang: Lang, text: &str) -> Vec<QueryTerm> {
    // Both analyzers share the tokenizer and filters up to stemming: tokens pair up.
    let raw = analyze(&mut lang.raw_analyzer(), text);
    let stemmed = analyze(&mut lang.analyzer(), text);
    raw.into_iter()
        .zip(stemmed)
        .map(|(raw, Analyzed { term, .. })| QueryTerm {
            fuzzy: fuzzy_distance(&raw.term),
            raw: raw.term,
            term,
        })
        .collect()
}

/// Split `q` into words and phrases, analyzed for `lang`. Empty when nothing searchable is left.
pub fn parse(q: &str, lang: Lang) -> Vec<Part> {
    let mut parts = Vec::new();
    for (i, segment) in q.split('"').enumerate() {
        let terms = terms_of(lang, segment);
        // Odd segments are inside quotes: a phrase when it has two words or more.
        if i % 2 == 1 && terms.len() > 1 {
            parts.push(Part::Phrase(terms));
        } else {
            parts.extend(terms.into_iter().map(Part::Term));
        }
    }
    let mut budget = MAX_TERMS;
    parts.retain(|p| {
        let n = p.terms().len();
        let keep = n <= budget;
        budget = budget.saturating_sub(n);
        keep
    });
    parts
}

/// `parts` as words of `lang`: each word's term is what its raw form indexes as in `lang`
/// (`Lang::term_of_raw`), so that words parsed for one language find text of another.
pub fn in_language(parts: &[Part], lang: Lang) -> Vec<Part> {
    let convert = |t: &QueryTerm| QueryTerm {
        term: lang.term_of_raw(&t.raw),
        raw: t.raw.clone(),
        fuzzy: t.fuzzy,
    };
    parts
        .iter()
        .map(|p| match p {
            Part::Term(t) => Part::Term(convert(t)),
            Part::Phrase(ts) => Part::Phrase(ts.iter().map(convert).collect()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_stray_syntax() {
        let parts = parse(
            r#"oracy "student voice" +democracy AND (x:y)"#,
            Lang::English,
        );
        let shown: Vec<String> = parts
            .iter()
            .map(|p| match p {
                Part::Term(t) => t.term.clone(),
                Part::Phrase(ts) => format!(
                    "\"{}\"",
                    ts.iter()
                        .map(|t| t.term.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            })
            .collect();
        assert_eq!(
            shown,
            ["oraci", "\"student voic\"", "democraci", "and", "x", "y"]
        );
        // An unbalanced quote makes a phrase of the rest.
        assert!(matches!(&parse(r#"a "b c"#, Lang::English)[1], Part::Phrase(t) if t.len() == 2));
        assert!(parse(r#" "" ::: "#, Lang::English).is_empty());
    }

    #[test]
    fn typo_tolerance_grows_with_the_word() {
        let d: Vec<u8> = parse("oracy mutualism democracy co-op", Lang::English)
            .iter()
            .map(|p| p.terms()[0].fuzzy)
            .collect();
        // Counted on the folded word, after "co-op" became "cooperative".
        assert_eq!(d, [1, 2, 2, 2]);
        assert_eq!(parse("pupil", Lang::English)[0].terms()[0].fuzzy, 1);
        assert_eq!(parse("talk", Lang::English)[0].terms()[0].fuzzy, 0);
        let parts = parse("Mutualisms", Lang::English);
        let t = &parts[0].terms()[0];
        assert_eq!((t.raw.as_str(), t.term.as_str()), ("mutualisms", "mutual"));
    }

    #[test]
    fn long_queries_keep_the_first_terms() {
        let q = "word ".repeat(100);
        let n: usize = parse(&q, Lang::English)
            .iter()
            .map(|p| p.terms().len())
            .sum();
        assert_eq!(n, MAX_TERMS);
    }
}

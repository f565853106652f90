//! Snippets: the passage of a hit's text with the most distinct query terms, HTML-escaped,
//! with exact, stemmed and fuzzy matches wrapped in `<mark>` (tantivy's `SnippetGenerator`
//! does not highlight fuzzy terms, so the text is re-analyzed here, for returned hits only).

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::TextAnalyzer;
use wide::u8x16;

use super::analyzer::{Lang, Word, analyze, is_hyphen, next_word};
use super::parse::{QueryTerm, fuzzy_distance};
use crate::schema::escape_html;

/// Bytes of text a snippet shows (about 25 words).
pub const SNIPPET_BYTES: usize = 180;
/// Bytes of context kept before the first match of the passage.
const LEAD_BYTES: usize = 40;

/// Distinct words whose analysis a thread remembers before it forgets them all.
const WORD_CACHE: usize = 100_000;

/// A word as the index sees it: unstemmed (lower-cased, folded) and stemmed.
struct Analysis {
    raw: Box<str>,
    stem: Box<str>,
}

type Analyses = FxHashMap<Box<str>, Option<Analysis>>;

thread_local! {
    /// Per language (English, Welsh): word as written -> its analysis, or None when the
    /// analyzer drops it. Query independent, so it serves every request the thread runs.
    static WORDS: RefCell<[Analyses; 2]> = RefCell::new(Default::default());
}

/// Decides whether a word of the text (as the word tokenizer cuts it, before any filter)
/// matches the query: its analyzed form or stem equals a query word's, or (when typos are
/// on) it is within the word's typo distance. Analyses are cached per thread and answers per
/// request, so the scan of a text costs about a hash lookup per word.
pub struct Matcher<'q> {
    terms: &'q [QueryTerm],
    lang: Lang,
    typos: bool,
    /// Without typos, a matching word starts with the first letter of a query word's form or
    /// stem (stemming only changes endings), in either case, or with a non-ASCII letter
    /// (which folding may change): the bytes that may start one (UTF-8 lead bytes for the
    /// latter). Other words are skipped without a lookup. With typos, every byte may.
    first_bytes: [bool; 256],
    /// Answers for words of up to eight bytes, keyed by their bytes (most words of a text:
    /// a lookup costs a multiplication instead of hashing a string).
    seen_short: FxHashMap<u64, Option<usize>>,
    seen: FxHashMap<Box<str>, Option<usize>>,
}

/// The bytes of a word of up to eight bytes as a number (words hold no zero bytes, so the
/// padding cannot make two words one).
fn short_key(word: &str) -> Option<u64> {
    let bytes = word.as_bytes();
    let mut key = [0u8; 8];
    key.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(u64::from_le_bytes(key))
}

impl<'q> Matcher<'q> {
    pub fn new(terms: &'q [QueryTerm], lang: Lang, typos: bool) -> Matcher<'q> {
        let mut first_bytes = [typos; 256];
        first_bytes[0xC0..].fill(true);
        for t in terms {
            for b in [t.raw.as_bytes().first(), t.term.as_bytes().first()]
                .into_iter()
                .flatten()
                .filter(|b| b.is_ascii())
            {
                first_bytes[usize::from(b.to_ascii_lowercase())] = true;
                first_bytes[usize::from(b.to_ascii_uppercase())] = true;
            }
        }
        Matcher {
            terms,
            lang,
            typos,
            first_bytes,
            seen_short: FxHashMap::default(),
            seen: FxHashMap::default(),
        }
    }

    /// The index of the query word the text's `word` matches, or None.
    pub fn matches(&mut self, word: &str) -> Option<usize> {
        if let Some(&b) = word.as_bytes().first()
            && !self.first_bytes[usize::from(b)]
        {
            return None;
        }
        let key = short_key(word);
        let known = match key {
            Some(key) => self.seen_short.get(&key),
            None => self.seen.get(word),
        };
        if let Some(hit) = known {
            return *hit;
        }
        let lang = usize::from(self.lang == Lang::Welsh);
        let hit = WORDS.with_borrow_mut(|words| {
            let words = &mut words[lang];
            if let Some(analysis) = words.get(word) {
                return analysis.as_ref().and_then(|a| self.decide(&a.raw, &a.stem));
            }
            if words.len() >= WORD_CACHE {
                words.clear();
            }
            let analysis = analyze_word(self.lang, word);
            let hit = analysis.as_ref().and_then(|a| self.decide(&a.raw, &a.stem));
            words.insert(word.into(), analysis);
            hit
        });
        match key {
            Some(key) => self.seen_short.insert(key, hit),
            None => self.seen.insert(word.into(), hit),
        };
        hit
    }

    fn decide(&self, raw: &str, stem: &str) -> Option<usize> {
        self.terms
            .iter()
            .position(|q| &*q.raw == raw || &*q.term == stem)
            .or_else(|| {
                if !self.typos {
                    return None;
                }
                self.terms.iter().position(|q| {
                    let stem_fuzzy = q.fuzzy.min(fuzzy_distance(&q.term).max(1)) as usize;
                    q.fuzzy > 0
                        && (within(raw, &q.raw, q.fuzzy as usize)
                            || within(stem, &q.term, stem_fuzzy))
                })
            })
    }
}

/// Whether `a` is within `d` edits of `b`, counted as the index's typo automata count them
/// (optimal string alignment: insertions, deletions, substitutions, adjacent transpositions).
/// Most words of a text are told apart by two cheap bounds before the distance is computed:
/// the difference of their lengths, and the letters of one that the other lacks anywhere
/// (each must be deleted or substituted, one edit each).
fn within(a: &str, b: &str, d: usize) -> bool {
    a.len().abs_diff(b.len()) <= d
        && foreign_letters(a, b) <= d
        && foreign_letters(b, a) <= d
        && strsim::osa_distance(a, b) <= d
}

/// A set of letters as bits (letters sharing a bit only make the bound looser).
fn letter_bits(s: &str) -> u64 {
    s.chars().fold(0, |bits, c| bits | 1 << (u32::from(c) % 64))
}

/// How many letters of `a` are not in `b` at all.
fn foreign_letters(a: &str, b: &str) -> usize {
    let known = letter_bits(b);
    a.chars()
        .filter(|c| known & 1 << (u32::from(*c) % 64) == 0)
        .count()
}

fn analyze_word(lang: Lang, word: &str) -> Option<Analysis> {
    let first = |mut analyzer: TextAnalyzer| analyze(&mut analyzer, word).into_iter().next();
    let raw = first(lang.raw_analyzer())?;
    let stem = first(lang.analyzer()).map_or_else(|| raw.term.clone(), |a| a.term);
    Some(Analysis {
        raw: raw.term.into(),
        stem: stem.into(),
    })
}

/// The words of a text that may match, in order: the words of the analyzers' tokenizer
/// (`next_word`) that start with a byte of `first_bytes` (without typos, a query word's first
/// letters in either case and non-ASCII lead bytes; with typos, any). The scan is most of a
/// snippet's cost, as a hit's text is read to its end when its query words are never close
/// together: it compares sixteen bytes at a time (SIMD through `wide`), in blocks of 64, and
/// stops only at bytes that may start a candidate (a query word's first letter in either
/// case, or a non-ASCII lead byte, after no lower-case ASCII letter: a superset of candidate
/// starts), where the table, then the tokenizer's own rules, decide. When any ASCII letter or
/// digit may start a match (typos), the tokenizer walks the words instead.
struct Candidates<'t> {
    text: &'t str,
    at: usize,
    first_bytes: [bool; 256],
    /// The ASCII letters and digits of `first_bytes` as `b | 0x20` (both cases of a letter
    /// give its lower case, in every lane), when few enough to compare each chunk with;
    /// else None, and every byte from `0` up may start one.
    letters: Option<Vec<u8x16>>,
    every: bool,
    /// The start of the block of 64 bytes compared last, and its bits not yet returned.
    block: Option<usize>,
    pending: u64,
}

/// Letters a chunk is compared with one by one; more and any byte from `0` up stops the scan.
const MAX_LETTERS: usize = 8;

/// Of sixty-four bytes, as bits: the ASCII lower-case letters, and the bytes that may start
/// a candidate (see `Candidates`).
fn block_bits(block: &[u8; 64], letters: Option<&[u8x16]>) -> (u64, u64) {
    let (mut lower, mut starts) = (0u64, 0u64);
    for (k, chunk) in block.as_chunks::<16>().0.iter().enumerate() {
        let x = u8x16::new(*chunk);
        let at_least = |b: u8| x.max(u8x16::splat(b)).simd_eq(x);
        let lower_here = (at_least(b'a') & x.min(u8x16::splat(b'z')).simd_eq(x)).to_bitmask();
        let starts_here = match letters {
            Some(letters) => {
                let folded = x | u8x16::splat(0x20);
                letters
                    .iter()
                    .fold(at_least(0xC0), |m, l| m | folded.simd_eq(*l))
            }
            None => at_least(b'0'),
        }
        .to_bitmask();
        lower |= u64::from(lower_here) << (16 * k);
        starts |= u64::from(starts_here) << (16 * k);
    }
    (lower, starts)
}

impl<'t> Candidates<'t> {
    fn new(text: &'t str, first_bytes: [bool; 256]) -> Candidates<'t> {
        // UTF-8 continuation bytes never start a char, let alone a word.
        let mut first_bytes = first_bytes;
        first_bytes[0x80..0xC0].fill(false);
        let every = (0u8..0x80)
            .filter(u8::is_ascii_alphanumeric)
            .all(|b| first_bytes[usize::from(b)]);
        let mut letters: Vec<u8> = (0u8..0x80)
            .filter(|b| b.is_ascii_alphanumeric() && first_bytes[usize::from(*b)])
            .map(|b| b | 0x20)
            .collect();
        letters.sort_unstable();
        letters.dedup();
        Candidates {
            text,
            at: 0,
            first_bytes,
            letters: (letters.len() <= MAX_LETTERS)
                .then(|| letters.into_iter().map(u8x16::splat).collect()),
            every,
            block: None,
            pending: 0,
        }
    }

    /// Whether byte `i` (a char boundary) starts a word: the char before it is not a letter
    /// or digit, and it is not the "op..." tail of a joined "co-op".
    fn starts_word(&self, i: usize) -> bool {
        let before = &self.text[..i];
        let Some(prev) = before.chars().next_back() else {
            return true;
        };
        if prev.is_alphanumeric() {
            return false;
        }
        let head = &before[..before.len() - prev.len_utf8()];
        // Inside a joined "co-op" when the word starting two bytes before the hyphen (at a
        // word start) runs past `i`: the tokenizer's own rule decides.
        let Some(j) = head.len().checked_sub(2) else {
            return true;
        };
        !(is_hyphen(prev)
            && head.is_char_boundary(j)
            && head[..j]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
            && next_word(self.text, j).is_some_and(|w| w.from == j && w.to > i))
    }

    /// Whether byte `i` (a char boundary) starts a word and the word, decided from ASCII
    /// bytes alone (most words of a text): `None` when a non-ASCII char or a hyphen around
    /// it leaves it to `starts_word` and `next_word`.
    fn ascii_word(&self, i: usize) -> Option<Option<Word>> {
        let bytes = self.text.as_bytes();
        let first = *bytes.get(i)?;
        if !first.is_ascii() {
            return None;
        }
        if !first.is_ascii_alphanumeric() {
            return Some(None);
        }
        if let Some(before) = i.checked_sub(1).map(|j| bytes[j]) {
            if !before.is_ascii() || before == b'-' {
                return None;
            }
            if before.is_ascii_alphanumeric() {
                return Some(None);
            }
        }
        let to = bytes[i..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |n| i + n);
        // A wide letter may go on with the word; a hyphen may join "co" and "op".
        match bytes.get(to) {
            Some(b) if !b.is_ascii() || (*b == b'-' && to - i == 2) => None,
            _ => Some(Some(Word {
                from: i,
                to,
                hyphen: None,
            })),
        }
    }

    /// The bytes of the 64 from `from` (zero bytes past the end never start one) that may
    /// start a candidate and follow no ASCII lower-case letter, as bits.
    fn block_starts(&self, from: usize) -> u64 {
        let bytes = self.text.as_bytes();
        let rest = bytes.get(from..).unwrap_or_default();
        let mut block = [0u8; 64];
        let n = rest.len().min(64);
        block[..n].copy_from_slice(&rest[..n]);
        let (lower, starts) = block_bits(&block, self.letters.as_deref());
        let after_letter = from > 0 && bytes[from - 1].is_ascii_lowercase();
        starts & !((lower << 1) | u64::from(after_letter))
    }

    /// The first byte at or after `self.at` of `first_bytes` that follows no ASCII lower-case
    /// letter. Each block of the text is compared once: its bits not yet returned are kept.
    fn next_start(&mut self) -> Option<usize> {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            let block = match self.block {
                Some(block) if self.at < block + 64 => block,
                _ => {
                    self.pending = self.block_starts(self.at);
                    self.block = Some(self.at);
                    self.at
                }
            };
            let mut bits = self.pending & (u64::MAX << (self.at - block));
            while bits != 0 {
                let i = block + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if self.first_bytes[usize::from(bytes[i])] {
                    self.pending = bits;
                    return Some(i);
                }
            }
            self.at = (block + 64).min(bytes.len());
        }
        None
    }
}

impl Iterator for Candidates<'_> {
    type Item = Word;

    fn next(&mut self) -> Option<Word> {
        while self.every {
            let w = next_word(self.text, self.at)?;
            self.at = w.to;
            if self.first_bytes[usize::from(self.text.as_bytes()[w.from])] {
                return Some(w);
            }
        }
        loop {
            let Some(i) = self.next_start() else {
                self.at = self.text.len();
                return None;
            };
            let word = match self.ascii_word(i) {
                Some(word) => word,
                None if self.starts_word(i) => next_word(self.text, i).filter(|w| w.from == i),
                None => None,
            };
            if let Some(w) = word {
                self.at = w.to;
                return Some(w);
            }
            self.at = i + self.text[i..].chars().next().map_or(1, char::len_utf8);
        }
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

/// The snippet of `text` for the query terms: escaped HTML with `<mark>`s. The text is cut
/// into words by the analyzers' own tokenizer and scanned only until a window holds every
/// query word (or enough matches were seen), so a long body costs little when it matches
/// early.
pub fn snippet(text: &str, matcher: &mut Matcher) -> String {
    let wanted = matcher.terms.len();
    let mut matches: Vec<(usize, usize, usize)> = Vec::new();
    let mut words = Candidates::new(text, matcher.first_bytes);
    for w in words.by_ref() {
        if let Some(q) = matcher.matches(&text[w.from..w.to]) {
            matches.push((w.from, w.to, q));
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
    while words.at < end {
        let Some(w) = words.next() else { break };
        if w.to <= end
            && let Some(q) = matcher.matches(&text[w.from..w.to])
        {
            matches.push((w.from, w.to, q));
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
        snippet(text, &mut Matcher::new(&terms, Lang::English, true))
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
    fn the_scan_finds_the_words_of_the_tokenizer_that_may_match() {
        let text = "“Oracy” co-op, co-operative Co‐Op cooperation… o óra Órácy 3-o \
                    non-co-op coco-op o-op écho-oracy. Talk: oracy's orally-led;o";
        let terms: Vec<QueryTerm> = parse("oracy cooperative", Lang::English)
            .iter()
            .flat_map(|p: &Part| p.terms().to_vec())
            .collect();
        let matcher = Matcher::new(&terms, Lang::English, false);
        let every: Vec<Word> =
            std::iter::successors(next_word(text, 0), |w| next_word(text, w.to)).collect();
        let scan = |first_bytes| Candidates::new(text, first_bytes).collect::<Vec<Word>>();
        assert_eq!(scan([true; 256]), every);
        let kept: Vec<Word> = every
            .into_iter()
            .filter(|w| matcher.first_bytes[usize::from(text.as_bytes()[w.from])])
            .collect();
        assert_eq!(scan(matcher.first_bytes), kept);
        assert!(kept.len() > 8, "{kept:?}");
    }

    #[test]
    fn the_chunked_scan_keeps_every_word_the_tokenizer_would_keep() {
        // The demo content (as JSON lines: quotes, escapes, digits, curly quotes, Welsh) and
        // a text with words on every byte offset, for queries of one to seven first letters
        // and with typos (every word).
        let shifted: String = (0..16)
            .map(|n| {
                format!(
                    "{}Co-op, {}a2 Zoë_x\u{1}b oracy-Reading 2b;pupil {{read}}|oracy~2b`a ",
                    "·".repeat(n),
                    " ".repeat(n)
                )
            })
            .collect();
        for text in [crate::app::DEMO_JSONL, shifted.as_str()] {
            let every: Vec<Word> =
                std::iter::successors(next_word(text, 0), |w| next_word(text, w.to)).collect();
            for (q, typos) in [
                ("oracy", false),
                ("reading assessment", false),
                ("Cymraeg ysgol", false),
                ("2024 pupils", false),
                ("zoe", false),
                ("café co-op", false),
                ("a b c d e f g", false),
                (
                    "alpha beta gamma delta zeta theta iota kappa lambda mu",
                    false,
                ),
                ("mutualsim", true),
            ] {
                let terms: Vec<QueryTerm> = parse(q, Lang::English)
                    .iter()
                    .flat_map(|p: &Part| p.terms().to_vec())
                    .collect();
                let matcher = Matcher::new(&terms, Lang::English, typos);
                let kept: Vec<Word> = every
                    .iter()
                    .filter(|w| matcher.first_bytes[usize::from(text.as_bytes()[w.from])])
                    .copied()
                    .collect();
                let scanned = Candidates::new(text, matcher.first_bytes);
                assert_eq!(scanned.collect::<Vec<Word>>(), kept, "{q}");
                assert!(!kept.is_empty(), "{q}");
                if typos {
                    assert_eq!(kept, every, "with typos every word is a candidate");
                }
            }
        }
    }

    #[test]
    fn the_letter_bound_never_rejects_a_word_within_the_distance() {
        let words = [
            "mutualism",
            "mutualsim",
            "mutual",
            "mutualist",
            "democracy",
            "democratic",
            "oracy",
            "orcay",
            "oracle",
            "literacy",
            "café",
            "cafe",
            "caffè",
            "cymraeg",
            "cymreig",
            "ysgol",
            "ysgolion",
            "a",
            "ab",
            "ba",
            "",
        ];
        let mut within_count = 0;
        for a in words {
            for b in words {
                for d in 0..=2 {
                    let exact = strsim::osa_distance(a, b) <= d;
                    assert_eq!(within(a, b, d), exact, "{a} {b} {d}");
                    within_count += usize::from(exact);
                }
            }
        }
        // Pairs within reach (not only equal words) are among those checked.
        assert!(within_count > 3 * words.len() + 10, "{within_count}");
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

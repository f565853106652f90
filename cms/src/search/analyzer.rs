//! Text analysis: words (with "co-op" kept whole), lower-casing, ASCII folding, the
//! co-operative normalization, English stemming; Welsh without stemming.

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter,
    TokenStream, Tokenizer,
};

/// Bump when anything here changes what terms a text yields: the index is rebuilt at start.
pub const ANALYZER_VERSION: u32 = 5;

/// The languages the index has analyzers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    English,
    Welsh,
}

impl Lang {
    /// The analyzer of a locale: `cy` is Welsh, every other locale English.
    pub fn of_locale(locale: &str) -> Lang {
        if locale == "cy" || locale.starts_with("cy-") {
            Lang::Welsh
        } else {
            Lang::English
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::English => "en",
            Lang::Welsh => "cy",
        }
    }

    /// Name of the tokenizer registered in the index.
    pub fn tokenizer_name(self) -> &'static str {
        match self {
            Lang::English => "cms_en",
            Lang::Welsh => "cms_cy",
        }
    }

    /// Whether the word `raw` (as `raw_analyzer` leaves it) makes pair terms with its
    /// neighbours: every word but an English stop word (Snowball's English list). Pairs make
    /// phrases of two frequent words cheap; pairs with a stop word would make most of them
    /// (a third of the words in English text are stop words), so phrases with a stop word
    /// read positions as before.
    pub fn pairs_with(self, raw: &str) -> bool {
        self != Lang::English || ENGLISH_STOP_WORD_LIST.binary_search(&raw).is_err()
    }

    /// What the text fields are indexed with: the full analyzer, plus, after each stem that
    /// differs from its word, the word itself marked with `EXACT_MARK` at the same position
    /// (exact word forms and typos of them are found without a second field and pass), and
    /// after a stem that follows another one, the two as one term (`pair_term`, at the first
    /// one's position; unless either word is a stop word, `pairs_with`): a two-word phrase is then one posting list, like a word, instead of
    /// the positions of both words read and intersected in every document holding them
    /// (Elasticsearch's `index_phrases`, without a field of its own).
    /// (`IndexTokenizer`: the same terms as `chained_index_analyzer`, in one pass.)
    pub fn index_analyzer(self) -> TextAnalyzer {
        TextAnalyzer::from(IndexTokenizer::new(self))
    }

    /// The index analyzer as a chain of filters: what `IndexTokenizer` must yield.
    #[cfg(test)]
    fn chained_index_analyzer(self) -> TextAnalyzer {
        match self {
            Lang::English => self.raw_builder().filter(StemAndKeep).build(),
            Lang::Welsh => self.raw_builder().build(),
        }
    }

    /// The full analyzer: words, folding, co-operative normalization, stemming (English).
    pub fn analyzer(self) -> TextAnalyzer {
        match self {
            Lang::English => self.raw_builder().filter(cached_stemmer()).build(),
            Lang::Welsh => self.raw_builder().build(),
        }
    }

    /// The same without stemming: what typo tolerance compares (a typo can change a stem:
    /// "mutualsim" is one transposition from "mutualism" but far from its stem "mutual").
    pub fn raw_analyzer(self) -> TextAnalyzer {
        self.raw_builder().build()
    }

    /// What a word another language's raw analyzer left (`raw`: lower-cased, folded, the
    /// co-operative spellings joined) indexes as in this language: a Welsh reader's words
    /// looked up in English text (a Welsh snapshot that is wholly the English one).
    pub fn term_of_raw(self, raw: &str) -> String {
        let mut term = raw.to_owned();
        if self == Lang::English {
            stem_english(&mut term);
        }
        term
    }

    /// The chain with static dispatch: this runs for every word indexed.
    fn raw_builder(self) -> tantivy::tokenizer::TextAnalyzerBuilder<impl Tokenizer> {
        TextAnalyzer::builder(WordTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(coop_filter(self))
    }
}

/// Words of this many bytes or more (after "co-op" joining) are not indexed.
const MAX_WORD_BYTES: usize = 48;

/// One analyzed token: its term and where it came from in the text (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyzed {
    pub term: String,
    pub from: usize,
    pub to: usize,
}

/// Run `analyzer` over `text`.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Analyzed> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(Analyzed {
            term: t.text.clone(),
            from: t.offset_from,
            to: t.offset_to,
        });
    }
    out
}

/// Splits text into runs of letters and digits, like tantivy's `SimpleTokenizer`, except that
/// "co-" joined to a word starting with "op" ("co-op", "co-operative", "co-operation") stays
/// one token without the hyphen, so that it meets "coop" and "cooperative".
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

pub struct WordTokenStream<'a> {
    text: &'a str,
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

pub fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

/// One word of a text, as byte offsets; `hyphen` is the hyphen of a joined "co-op" word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    pub from: usize,
    pub to: usize,
    pub hyphen: Option<(usize, usize)>,
}

/// The non-ASCII char at byte `at` (a char boundary): whether it is a letter or digit, and
/// its length.
fn wide_alnum_at(text: &str, at: usize) -> (bool, usize) {
    text[at..]
        .chars()
        .next()
        .map_or((false, 1), |c| (c.is_alphanumeric(), c.len_utf8()))
}

/// Byte offset just past the run of letters and digits starting at `at` (ASCII in a tight
/// loop: this runs over every byte indexed or scanned for a snippet).
fn word_end(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        while at < bytes.len() && bytes[at].is_ascii_alphanumeric() {
            at += 1;
        }
        if at < bytes.len() && !bytes[at].is_ascii() {
            let (alnum, len) = wide_alnum_at(text, at);
            if alnum {
                at += len;
                continue;
            }
        }
        return at;
    }
}

/// The first word of `text` at or after byte `at` (a char boundary), the one rule of the
/// analyzers' tokenizer and of the snippet scanner.
pub fn next_word(text: &str, mut at: usize) -> Option<Word> {
    let bytes = text.as_bytes();
    let from = loop {
        while at < bytes.len() && bytes[at].is_ascii() && !bytes[at].is_ascii_alphanumeric() {
            at += 1;
        }
        if at >= bytes.len() {
            return None;
        }
        if bytes[at].is_ascii() {
            break at;
        }
        let (alnum, len) = wide_alnum_at(text, at);
        if alnum {
            break at;
        }
        at += len;
    };
    let mut to = word_end(text, from);
    let mut hyphen = None;
    if text[from..to].eq_ignore_ascii_case("co")
        && let Some(h) = text[to..].chars().next()
        && is_hyphen(h)
    {
        let next = to + h.len_utf8();
        if text.as_bytes()[next..]
            .get(..2)
            .is_some_and(|op| op.eq_ignore_ascii_case(b"op"))
        {
            hyphen = Some((to, next));
            to = word_end(text, next);
        }
    }
    Some(Word { from, to, hyphen })
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        let Some(word) = next_word(self.text, self.at) else {
            self.at = self.text.len();
            return false;
        };
        match word.hyphen {
            None => self.token.text.push_str(&self.text[word.from..word.to]),
            Some((h, next)) => {
                self.token.text.push_str(&self.text[word.from..h]);
                self.token.text.push_str(&self.text[next..word.to]);
            }
        }
        self.token.offset_from = word.from;
        self.token.offset_to = word.to;
        self.at = word.to;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// A token filter that rewrites each token's text in place with `F`.
#[derive(Clone)]
pub struct Rewrite<F>(F);

impl<F: Fn(&mut String) + Clone + Send + Sync + 'static> TokenFilter for Rewrite<F> {
    type Tokenizer<T: Tokenizer> = RewriteWrapper<T, F>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> RewriteWrapper<T, F> {
        RewriteWrapper {
            tokenizer,
            rewrite: self.0,
        }
    }
}

#[derive(Clone)]
pub struct RewriteWrapper<T, F> {
    tokenizer: T,
    rewrite: F,
}

impl<T: Tokenizer, F: Fn(&mut String) + Clone + Send + Sync + 'static> Tokenizer
    for RewriteWrapper<T, F>
{
    type TokenStream<'a> = RewriteStream<'a, T::TokenStream<'a>, F>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewriteStream {
            tail: self.tokenizer.token_stream(text),
            rewrite: &self.rewrite,
        }
    }
}

pub struct RewriteStream<'a, T, F> {
    tail: T,
    rewrite: &'a F,
}

impl<T: TokenStream, F: Fn(&mut String)> TokenStream for RewriteStream<'_, T, F> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        (self.rewrite)(&mut self.tail.token_mut().text);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Maps the spellings of "co-operative" (after hyphens are dropped and the word lower-cased)
/// to one term, before stemming: coop, co-op, cooperative, co-operative (and plurals).
/// Welsh also maps "cydweithredol" (co-operative) and "cydweithfa" (a co-operative).
fn coop_filter(lang: Lang) -> Rewrite<impl Fn(&mut String) + Clone + Send + Sync + 'static> {
    Rewrite(move |text: &mut String| {
        if let Some(canonical) = canonical_coop(text, lang) {
            text.clear();
            text.push_str(canonical);
        }
    })
}

fn canonical_coop(term: &str, lang: Lang) -> Option<&'static str> {
    match term {
        "coop" | "cooperative" => Some("cooperative"),
        "coops" | "cooperatives" => Some("cooperatives"),
        "cydweithredol" | "cydweithfa" if lang == Lang::Welsh => Some("cooperative"),
        "cydweithfeydd" if lang == Lang::Welsh => Some("cooperatives"),
        _ => None,
    }
}

/// Distinct words whose stems a thread remembers before it forgets them all.
const STEM_CACHE_WORDS: usize = 200_000;

thread_local! {
    /// Word -> English stem. Text repeats its words (a Zipf curve), and the Snowball stemmer
    /// costs far more than a lookup, so indexing and snippets stem each word once per thread.
    static STEMS: RefCell<FxHashMap<String, String>> = RefCell::new(FxHashMap::default());
}

/// Stem an English word in place: tantivy's `Stemmer` (the same Snowball algorithm, the same
/// terms) with a per-thread cache of stems.
fn stem_english(text: &mut String) {
    STEMS.with_borrow_mut(|stems| {
        if let Some(stem) = stems.get(text.as_str()) {
            text.clone_from(stem);
            return;
        }
        if stems.len() >= STEM_CACHE_WORDS {
            stems.clear();
        }
        let stem = english_stem(text);
        stems.insert(std::mem::replace(text, stem.clone()), stem);
    });
}

/// The Snowball English stem of a word (what tantivy's `Stemmer` gives).
fn english_stem(word: &str) -> String {
    rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
        .stem(word)
        .into_owned()
}

/// Marks a word as written (unstemmed) among the stems of a text field.
pub const EXACT_MARK: char = '=';

/// The indexed term of the word `raw` as written, when its stem differs from it.
pub fn exact_term(raw: &str) -> String {
    let mut t = String::with_capacity(raw.len() + 1);
    t.push(EXACT_MARK);
    t.push_str(raw);
    t
}

/// English stemming that keeps the word too: "councils" gives "council" then "=councils" at
/// the same position; "council" gives "council" only. (The reference `IndexTokenizer` is
/// tested against.)
#[cfg(test)]
#[derive(Clone)]
pub struct StemAndKeep;

#[cfg(test)]
impl TokenFilter for StemAndKeep {
    type Tokenizer<T: Tokenizer> = StemAndKeepWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemAndKeepWrapper<T> {
        StemAndKeepWrapper(tokenizer)
    }
}

#[cfg(test)]
#[derive(Clone)]
pub struct StemAndKeepWrapper<T>(T);

#[cfg(test)]
impl<T: Tokenizer> Tokenizer for StemAndKeepWrapper<T> {
    type TokenStream<'a> = StemAndKeepStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemAndKeepStream {
            tail: self.0.token_stream(text),
            token: Token::default(),
            word_pending: false,
        }
    }
}

#[cfg(test)]
pub struct StemAndKeepStream<T> {
    tail: T,
    token: Token,
    /// The tail's token holds a word whose stem was just emitted and differs from it.
    word_pending: bool,
}

#[cfg(test)]
impl<T: TokenStream> TokenStream for StemAndKeepStream<T> {
    fn advance(&mut self) -> bool {
        if std::mem::take(&mut self.word_pending) {
            self.token.text.clear();
            self.token.text.push(EXACT_MARK);
            self.token.text.push_str(&self.tail.token().text);
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        let word = self.tail.token();
        self.token.offset_from = word.offset_from;
        self.token.offset_to = word.offset_to;
        self.token.position = word.position;
        self.token.position_length = word.position_length;
        self.token.text.clone_from(&word.text);
        stem_english(&mut self.token.text);
        self.word_pending = self.token.text != word.text;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// What one word of indexed text yields (remembered per thread by the word as written).
#[derive(Debug, Clone)]
enum Yield {
    /// Nothing: the word is too long (`MAX_WORD_BYTES`).
    Nothing,
    /// Its term (the stem, in English), and the word itself where it differs from its stem
    /// (`exact_term`).
    Term {
        term: Box<str>,
        exact: Option<Box<str>>,
        /// Whether it pairs with its neighbours (`pairs_with`).
        pairs: bool,
    },
}

/// Distinct words as written whose yields a thread remembers per language before it forgets
/// them all.
const YIELD_CACHE_WORDS: usize = 100_000;

thread_local! {
    /// Per language (`Lang as usize`): word as written -> what it yields.
    static YIELDS: RefCell<[FxHashMap<Box<str>, Yield>; 2]> = RefCell::default();
}

/// The index analyzer in one pass. Indexing runs every word through words, length limit,
/// lower-casing, folding, the co-operative normalization and the stemmer; text repeats its
/// words (a Zipf curve), so each word as written goes through that chain once per thread and
/// its terms are remembered: what the chain yields depends on the word alone.
#[derive(Clone)]
pub struct IndexTokenizer {
    lang: Lang,
    token: Token,
    /// The exact term still to emit for the last word.
    exact: String,
    /// The pair term still to emit for the last word.
    pair: String,
    /// The last word's stem.
    last: String,
    /// The chain up to stemming (`Lang::raw_analyzer`), for words not yet remembered.
    raw: TextAnalyzer,
}

impl IndexTokenizer {
    fn new(lang: Lang) -> IndexTokenizer {
        IndexTokenizer {
            lang,
            token: Token::default(),
            exact: String::new(),
            pair: String::new(),
            last: String::new(),
            raw: lang.raw_analyzer(),
        }
    }
}

pub struct IndexTokenStream<'a> {
    text: &'a str,
    at: usize,
    lang: Lang,
    token: &'a mut Token,
    exact: &'a mut String,
    exact_pending: bool,
    pair: &'a mut String,
    /// The position and start of the word whose stem and the last one's make `pair`.
    pair_pending: Option<(usize, usize)>,
    last: &'a mut String,
    /// The position and start of the last word with a stem.
    last_at: Option<(usize, usize)>,
    /// The position of the last word.
    position: usize,
    raw: &'a mut TextAnalyzer,
}

impl Tokenizer for IndexTokenizer {
    type TokenStream<'a> = IndexTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> IndexTokenStream<'a> {
        self.token.reset();
        IndexTokenStream {
            text,
            at: 0,
            lang: self.lang,
            token: &mut self.token,
            exact: &mut self.exact,
            exact_pending: false,
            pair: &mut self.pair,
            pair_pending: None,
            last: &mut self.last,
            last_at: None,
            position: usize::MAX,
            raw: &mut self.raw,
        }
    }
}

/// What `word` (one word as `next_word` finds it) yields: the raw chain's one token, stemmed
/// in English.
fn yield_of(raw: &mut TextAnalyzer, lang: Lang, word: &str) -> Yield {
    let mut stream = raw.token_stream(word);
    let Some(token) = stream.next() else {
        return Yield::Nothing;
    };
    match lang {
        Lang::English => {
            let stem = english_stem(&token.text);
            Yield::Term {
                exact: (stem != token.text).then(|| exact_term(&token.text).into_boxed_str()),
                term: stem.into_boxed_str(),
                pairs: lang.pairs_with(&token.text),
            }
        }
        Lang::Welsh => Yield::Term {
            term: token.text.as_str().into(),
            exact: None,
            pairs: lang.pairs_with(&token.text),
        },
    }
}

impl IndexTokenStream<'_> {
    /// Make `yielded` the current token (and the next one, for an exact term); None when it
    /// yields nothing, else whether it pairs with its neighbours.
    fn emit(&mut self, yielded: &Yield) -> Option<bool> {
        let Yield::Term { term, exact, pairs } = yielded else {
            return None;
        };
        self.token.text.clear();
        self.token.text.push_str(term);
        if let Some(exact) = exact {
            self.exact.clear();
            self.exact.push_str(exact);
            self.exact_pending = true;
        }
        Some(*pairs)
    }
}

impl TokenStream for IndexTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if std::mem::take(&mut self.exact_pending) {
            std::mem::swap(&mut self.token.text, self.exact);
            return true;
        }
        if let Some((position, from)) = self.pair_pending.take() {
            std::mem::swap(&mut self.token.text, self.pair);
            self.token.position = position;
            self.token.position_length = 2;
            self.token.offset_from = from;
            return true;
        }
        let lang = self.lang;
        loop {
            let Some(word) = next_word(self.text, self.at) else {
                self.at = self.text.len();
                return false;
            };
            self.at = word.to;
            self.position = self.position.wrapping_add(1);
            let text = self.text;
            let written = &text[word.from..word.to];
            let found = YIELDS.with_borrow_mut(|yields| {
                let cache = &mut yields[lang as usize];
                if let Some(yielded) = cache.get(written) {
                    return self.emit(yielded);
                }
                let yielded = yield_of(self.raw, lang, written);
                let found = self.emit(&yielded);
                if cache.len() >= YIELD_CACHE_WORDS {
                    cache.clear();
                }
                cache.insert(written.into(), yielded);
                found
            });
            if let Some(pairs) = found {
                let position = self.position;
                self.token.position = position;
                self.token.position_length = 1;
                self.token.offset_from = word.from;
                self.token.offset_to = word.to;
                if !pairs {
                    self.last_at = None;
                    return true;
                }
                if let Some((last, from)) = self.last_at
                    && last.wrapping_add(1) == position
                {
                    self.pair.clear();
                    self.pair.push_str(self.last);
                    self.pair.push(PAIR_MARK);
                    self.pair.push_str(&self.token.text);
                    self.pair_pending = Some((last, from));
                }
                self.last.clear();
                self.last.push_str(&self.token.text);
                self.last_at = Some((position, word.from));
                return true;
            }
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Snowball's English stop words (`snowball.tartarus.org/algorithms/english/stop.txt`),
/// sorted for `binary_search`, without the contractions the tokenizer splits.
const ENGLISH_STOP_WORD_LIST: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "ought",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// The term of the stems `first` and `second` next to each other in a text: what a
/// two-word phrase looks up instead of reading positions (`IndexTokenizer`).
pub fn pair_term(first: &str, second: &str) -> String {
    let mut t = String::with_capacity(first.len() + second.len() + 1);
    t.push_str(first);
    t.push(PAIR_MARK);
    t.push_str(second);
    t
}

/// Joins the two stems of a pair term (words never hold it).
const PAIR_MARK: char = ' ';

/// The cached English stemmer as a token filter.
fn cached_stemmer() -> Rewrite<fn(&mut String)> {
    Rewrite(stem_english)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(lang: Lang, text: &str) -> Vec<String> {
        analyze(&mut lang.analyzer(), text)
            .into_iter()
            .map(|a| a.term)
            .collect()
    }

    #[test]
    fn the_spellings_of_cooperative_meet_in_one_term() {
        let one = terms(Lang::English, "co-operative");
        assert_eq!(one.len(), 1);
        for spelling in ["cooperative", "Co-op", "coop", "CO-OPERATIVE", "co‐op"] {
            assert_eq!(terms(Lang::English, spelling), one, "{spelling}");
        }
        assert_eq!(
            terms(Lang::English, "co-operatives"),
            terms(Lang::English, "coops")
        );
        assert_eq!(
            terms(Lang::Welsh, "co-op"),
            terms(Lang::Welsh, "cooperative")
        );
        assert_eq!(
            terms(Lang::Welsh, "cydweithredol"),
            terms(Lang::Welsh, "Co-operative")
        );
        // Other hyphenated words split as usual.
        assert_eq!(terms(Lang::Welsh, "co-design"), vec!["co", "design"]);
    }

    #[test]
    fn english_stems_and_folds_welsh_only_folds() {
        assert_eq!(
            terms(Lang::English, "Schools improving"),
            terms(Lang::English, "school improve")
        );
        assert_eq!(terms(Lang::English, "Café"), terms(Lang::English, "cafe"));
        assert_eq!(
            terms(Lang::Welsh, "Ysgolion Cymraeg"),
            vec!["ysgolion", "cymraeg"]
        );
        assert_eq!(terms(Lang::Welsh, "Ŵyl"), vec!["wyl"]);
    }

    #[test]
    fn the_index_analyzer_keeps_words_that_differ_from_their_stems_and_pairs_at_the_first_position()
    {
        let mut analyzer = Lang::English.index_analyzer();
        let mut stream = analyzer.token_stream("Councils council Mutualism");
        let mut got = Vec::new();
        while let Some(t) = stream.next() {
            got.push((t.text.clone(), t.position, t.offset_from));
        }
        let want = [
            ("council", 0, 0),
            ("=councils", 0, 0),
            ("council", 1, 9),
            ("council council", 0, 0),
            ("mutual", 2, 17),
            ("=mutualism", 2, 17),
            ("council mutual", 1, 9),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(t, p, o)| (t.to_string(), *p, *o))
            .collect();
        assert_eq!(got, want);
        assert_eq!(exact_term("councils"), "=councils");
        // Welsh has no stemmer: the index terms are the query terms.
        let mut welsh = Lang::Welsh.index_analyzer();
        assert_eq!(analyze(&mut welsh, "Ysgolion").len(), 1);
    }

    #[test]
    fn the_index_analyzer_pairs_neighbouring_stems() {
        let pairs = |lang: Lang, text: &str| -> Vec<String> {
            analyze(&mut lang.index_analyzer(), text)
                .into_iter()
                .map(|a| a.term)
                .filter(|t| t.contains(PAIR_MARK))
                .collect()
        };
        // Stems pair up (exact forms are left out); the query's pair terms are the same.
        assert_eq!(
            pairs(Lang::English, "Student Councils meet"),
            [
                pair_term("student", "council"),
                pair_term("council", "meet")
            ]
        );
        assert_eq!(
            pairs(Lang::English, "student council"),
            pairs(Lang::English, "Students' council")
        );
        // Stop words make no pairs: "head of maths" has none, "the student council" one.
        assert!(pairs(Lang::English, "Head of maths").is_empty());
        assert_eq!(
            pairs(Lang::English, "The student council, then a Student Council"),
            [
                pair_term("student", "council"),
                pair_term("student", "council")
            ]
        );
        // Welsh has no stop list.
        assert_eq!(pairs(Lang::Welsh, "the council").len(), 1);
        let mut sorted = ENGLISH_STOP_WORD_LIST.to_vec();
        sorted.sort_unstable();
        assert_eq!(
            sorted, ENGLISH_STOP_WORD_LIST,
            "binary_search needs it sorted"
        );
        // One word, or a word the analyzer drops between two, gives no pair across it.
        assert!(pairs(Lang::English, "oracy").is_empty());
        let long = "x".repeat(60);
        assert!(pairs(Lang::English, &format!("peer {long} mentoring")).is_empty());
        // The co-operative spellings and Welsh words pair as they index.
        assert_eq!(
            pairs(Lang::English, "co-op schools"),
            pairs(Lang::English, "cooperative school")
        );
        assert_eq!(
            pairs(Lang::Welsh, "Ysgolion Cymraeg"),
            [pair_term("ysgolion", "cymraeg")]
        );
    }

    /// `tokens` of the chain with, after each stem (and its exact form) that follows another
    /// stem, the pair of both at the first one's position: what `IndexTokenizer` must yield.
    /// (Both stems' words must pair: `Lang::pairs_with`.)
    fn with_pairs(
        lang: Lang,
        source: &str,
        chain: Vec<(String, usize, usize, usize)>,
    ) -> Vec<(String, usize, usize, usize)> {
        let mut raw = lang.raw_analyzer();
        let mut out = Vec::new();
        let mut last: Option<(String, usize, usize)> = None;
        let mut pending = None;
        for (text, position, from, to) in chain {
            if text.starts_with(EXACT_MARK) {
                out.push((text, position, from, to));
                continue;
            }
            out.extend(pending.take());
            let word = analyze(&mut raw, &source[from..to]).remove(0).term;
            if !lang.pairs_with(&word) {
                last = None;
                out.push((text, position, from, to));
                continue;
            }
            if let Some((stem, p, f)) = &last
                && p + 1 == position
            {
                pending = Some((pair_term(stem, &text), *p, *f, to));
            }
            last = Some((text.clone(), position, from));
            out.push((text, position, from, to));
        }
        out.extend(pending);
        out
    }

    /// Every token with its position and offsets.
    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn the_one_pass_index_analyzer_yields_the_chains_tokens() {
        let long = "x".repeat(47);
        let tricky = format!(
            "Co-operative co-op CO‐OPS coops Cydweithredol cydweithfeydd Ŵyl Café naïve \
             Schools schools SCHOOLS improving, improved; {long} {long}y {long}yz co- co-o \
             co-{long} 3rd-year Year-6 (aged 10–11) — ysgol Gymraeg; Ünïcode Straße ﬁnance"
        );
        let demo: Vec<String> = crate::app::DEMO_JSONL
            .lines()
            .take(60)
            .map(str::to_owned)
            .collect();
        for lang in [Lang::English, Lang::Welsh] {
            let mut fused = lang.index_analyzer();
            let mut chain = lang.chained_index_analyzer();
            // Twice each: the second pass answers from the per-thread cache.
            for text in std::iter::once(&tricky).chain(&demo).chain(&demo) {
                assert_eq!(
                    tokens(&mut fused, text),
                    with_pairs(lang, text, tokens(&mut chain, text)),
                    "{lang:?}: {text}"
                );
            }
            assert!(!tokens(&mut fused, &tricky).is_empty());
        }
    }

    #[test]
    fn the_cached_stemmer_gives_tantivys_stems() {
        let text = "Schools improving their co-operative reading; pupils read, readers reading \
                    schools again, improvement improved, generously generous";
        let mut tantivy = TextAnalyzer::builder(WordTokenizer::default())
            .filter(LowerCaser)
            .filter(tantivy::tokenizer::Stemmer::new(
                tantivy::tokenizer::Language::English,
            ))
            .build();
        let mut ours = TextAnalyzer::builder(WordTokenizer::default())
            .filter(LowerCaser)
            .filter(cached_stemmer())
            .build();
        // Twice: the second pass answers from the cache.
        for _ in 0..2 {
            assert_eq!(analyze(&mut ours, text), analyze(&mut tantivy, text));
        }
    }

    #[test]
    fn words_split_like_tantivys_simple_tokenizer_but_keep_co_op() {
        let text = "Ŵyl co-op, co-oé CO‐OPERATIVE co-design 3rd-year naïve… co- co-o";
        let words: Vec<String> = analyze(&mut TextAnalyzer::from(WordTokenizer::default()), text)
            .into_iter()
            .map(|a| a.term)
            .collect();
        assert_eq!(
            words,
            [
                "Ŵyl",
                "coop",
                "co",
                "oé",
                "COOPERATIVE",
                "co",
                "design",
                "3rd",
                "year",
                "naïve",
                "co",
                "co",
                "o"
            ]
        );
        let mut simple = TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default());
        let plain = "Pupils' talk: 95% of Year-6 (aged 10–11) spoke — ysgol Gymraeg, café";
        assert_eq!(
            analyze(&mut TextAnalyzer::from(WordTokenizer::default()), plain),
            analyze(&mut simple, plain)
        );
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Our co-op schools";
        let tokens = analyze(&mut Lang::English.analyzer(), text);
        assert_eq!(&text[tokens[1].from..tokens[1].to], "co-op");
        assert_eq!(&text[tokens[2].from..tokens[2].to], "schools");
    }
}

//! Text analysis: words (with "co-op" kept whole), lower-casing, ASCII folding, the
//! co-operative normalization, English stemming; Welsh without stemming.

use std::str::CharIndices;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// Bump when anything here changes what terms a text yields: the index is rebuilt at start.
pub const ANALYZER_VERSION: u32 = 2;

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

    /// Name of the tokenizer of the unstemmed ("raw") field.
    pub fn raw_tokenizer_name(self) -> &'static str {
        match self {
            Lang::English => "cms_en_raw",
            Lang::Welsh => "cms_cy_raw",
        }
    }

    /// The full analyzer: words, folding, co-operative normalization, stemming (English).
    pub fn analyzer(self) -> TextAnalyzer {
        match self {
            Lang::English => self
                .raw_builder()
                .filter_dynamic(Stemmer::new(Language::English))
                .build(),
            Lang::Welsh => self.raw_builder().build(),
        }
    }

    /// The same without stemming: what typo tolerance compares (a typo can change a stem:
    /// "mutualsim" is one transposition from "mutualism" but far from its stem "mutual").
    pub fn raw_analyzer(self) -> TextAnalyzer {
        self.raw_builder().build()
    }

    fn raw_builder(self) -> tantivy::tokenizer::TextAnalyzerBuilder {
        TextAnalyzer::builder(WordTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(CoopFilter { lang: self })
            .dynamic()
    }
}

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
    chars: std::iter::Peekable<CharIndices<'a>>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            chars: text.char_indices().peekable(),
            token: &mut self.token,
        }
    }
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}')
}

impl WordTokenStream<'_> {
    /// Byte offset just past the word starting at the current position.
    fn word_end(&mut self) -> usize {
        while let Some(&(offset, c)) = self.chars.peek() {
            if !c.is_alphanumeric() {
                return offset;
            }
            self.chars.next();
        }
        self.text.len()
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((from, c)) = self.chars.next() {
            if !c.is_alphanumeric() {
                continue;
            }
            let mut to = self.word_end();
            self.token.text.push_str(&self.text[from..to]);
            if self.text[from..to].eq_ignore_ascii_case("co")
                && let Some(&(hyphen_at, h)) = self.chars.peek()
                && is_hyphen(h)
            {
                let next = hyphen_at + h.len_utf8();
                let rest = &self.text[next..];
                if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case("op") {
                    self.chars.next();
                    to = self.word_end();
                    self.token.text.push_str(&self.text[next..to]);
                }
            }
            self.token.offset_from = from;
            self.token.offset_to = to;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Maps the spellings of "co-operative" (after hyphens are dropped and the word lower-cased)
/// to one term, before stemming: coop, co-op, cooperative, co-operative (and plurals).
/// Welsh also maps "cydweithredol" (co-operative) and "cydweithfa" (a co-operative).
#[derive(Clone)]
pub struct CoopFilter {
    lang: Lang,
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

impl TokenFilter for CoopFilter {
    type Tokenizer<T: Tokenizer> = CoopFilterWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CoopFilterWrapper<T> {
        CoopFilterWrapper {
            tokenizer,
            lang: self.lang,
        }
    }
}

#[derive(Clone)]
pub struct CoopFilterWrapper<T> {
    tokenizer: T,
    lang: Lang,
}

impl<T: Tokenizer> Tokenizer for CoopFilterWrapper<T> {
    type TokenStream<'a> = CoopTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CoopTokenStream {
            tail: self.tokenizer.token_stream(text),
            lang: self.lang,
        }
    }
}

pub struct CoopTokenStream<T> {
    tail: T,
    lang: Lang,
}

impl<T: TokenStream> TokenStream for CoopTokenStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        if let Some(canonical) = canonical_coop(&self.tail.token().text, self.lang) {
            let token = self.tail.token_mut();
            token.text.clear();
            token.text.push_str(canonical);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
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
    fn offsets_point_into_the_original_text() {
        let text = "Our co-op schools";
        let tokens = analyze(&mut Lang::English.analyzer(), text);
        assert_eq!(&text[tokens[1].from..tokens[1].to], "co-op");
        assert_eq!(&text[tokens[2].from..tokens[2].to], "schools");
    }
}

//! The built-in block types: their props, prop validation and HTML rendering.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use super::builtin_regex;
use super::ids::is_ulid;
use super::model::FieldError;
use super::richtext::{escape_html, render_markdown};
use super::validate::{check_len, wrong_type};

/// What a prop holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PropKind {
    /// Markdown, rendered to sanitized HTML.
    Markdown,
    /// Text on a single line.
    Line,
    /// Text, newlines allowed.
    Text,
    /// Heading level 2..=6, default 2.
    Level,
    /// A media id.
    Media,
    /// Absolute http(s) URL or site path.
    Link,
    /// YouTube or Vimeo page URL.
    Embed,
    /// `primary` (default) or `secondary`.
    Style,
}

#[derive(Debug)]
struct Prop {
    name: &'static str,
    kind: PropKind,
    required: bool,
    max: usize,
}

const fn prop(name: &'static str, kind: PropKind, required: bool, max: usize) -> Prop {
    Prop {
        name,
        kind,
        required,
        max,
    }
}

const URL_MAX: usize = 2000;
const STYLES: [&str; 2] = ["primary", "secondary"];

/// A built-in block type.
#[derive(Debug)]
pub(super) struct BlockType {
    pub name: &'static str,
    props: &'static [Prop],
    render: fn(&Map<String, Value>) -> String,
}

use PropKind::*;

static BUILTIN: [BlockType; 6] = [
    BlockType {
        name: "paragraph",
        props: &[prop("text", Markdown, true, 100_000)],
        render: paragraph,
    },
    BlockType {
        name: "heading",
        props: &[
            prop("text", Line, true, 300),
            prop("level", Level, false, 0),
        ],
        render: heading,
    },
    BlockType {
        name: "image",
        props: &[
            prop("media", Media, true, 0),
            prop("alt", Text, true, 300),
            prop("caption", Text, false, 500),
        ],
        render: image,
    },
    BlockType {
        name: "quote",
        props: &[
            prop("text", Text, true, 2000),
            prop("cite", Text, false, 200),
        ],
        render: quote,
    },
    BlockType {
        name: "call_to_action",
        props: &[
            prop("label", Text, true, 120),
            prop("url", Link, true, URL_MAX),
            prop("style", Style, false, 0),
        ],
        render: call_to_action,
    },
    BlockType {
        name: "embed",
        props: &[
            prop("url", Embed, true, URL_MAX),
            prop("title", Text, false, 200),
        ],
        render: embed,
    },
];

/// The built-in block type called `name` (plugin blocks are not built in).
pub(super) fn builtin(name: &str) -> Option<&'static BlockType> {
    BUILTIN.iter().find(|b| b.name == name)
}

impl BlockType {
    /// Validates props and returns them in stored form (defaults filled, spec order).
    pub fn normalize_props(
        &self,
        props: &Map<String, Value>,
        path: &str,
        errors: &mut Vec<FieldError>,
    ) -> Map<String, Value> {
        for key in props
            .keys()
            .filter(|k| !self.props.iter().any(|p| p.name == *k))
        {
            errors.push(FieldError::new(
                format!("{path}.{key}"),
                "unknown_field",
                format!("`{key}` is not a prop of {} blocks", self.name),
            ));
        }
        let mut out = Map::new();
        for spec in self.props {
            let prop_path = format!("{path}.{}", spec.name);
            match props.get(spec.name).filter(|v| !v.is_null()) {
                Some(v) => {
                    if let Some(v) = check_prop(spec, v, &prop_path, errors) {
                        out.insert(spec.name.to_string(), v);
                    }
                }
                None if spec.required => {
                    errors.push(FieldError::new(
                        prop_path,
                        "required",
                        format!("{} is required", spec.name),
                    ));
                }
                None => {
                    if let Some(default) = prop_default(spec.kind) {
                        out.insert(spec.name.to_string(), default);
                    }
                }
            }
        }
        out
    }

    /// The block's HTML, from props already normalized.
    pub fn html(&self, props: &Map<String, Value>) -> String {
        (self.render)(props)
    }
}

fn prop_default(kind: PropKind) -> Option<Value> {
    match kind {
        Level => Some(Value::from(2)),
        Style => Some(Value::from(STYLES[0])),
        _ => None,
    }
}

fn check_prop(
    spec: &Prop,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    if spec.kind == Level {
        return match value.as_i64() {
            Some(n) if n < 2 => push(errors, path, "too_small", "must be at least 2"),
            Some(n) if n > 6 => push(errors, path, "too_large", "must be at most 6"),
            Some(_) => Some(value.clone()),
            None => wrong_type(path, "an integer", errors),
        };
    }
    let Some(s) = value.as_str() else {
        return wrong_type(path, "a string", errors);
    };
    let before = errors.len();
    if spec.max > 0 {
        check_len(
            None,
            Some(spec.max as f64),
            s.chars().count(),
            "characters",
            path,
            errors,
        );
    }
    match spec.kind {
        Line if s.contains(['\n', '\r']) => {
            push(errors, path, "invalid_format", "must be a single line");
        }
        Media if !is_ulid(s) => {
            push(
                errors,
                path,
                "invalid_id",
                "must be a 26-character media id",
            );
        }
        Link if !is_link(s) => {
            push(
                errors,
                path,
                "invalid_url",
                "must be an http(s) URL or a path starting with /",
            );
        }
        Embed if embed_src(s).is_none() => {
            push(
                errors,
                path,
                "invalid_url",
                "must be a YouTube or Vimeo video URL",
            );
        }
        Style if !STYLES.contains(&s) => {
            push(
                errors,
                path,
                "not_in_enum",
                "must be one of: primary, secondary",
            );
        }
        _ => {}
    }
    (errors.len() == before).then(|| value.clone())
}

fn push(errors: &mut Vec<FieldError>, path: &str, code: &str, message: &str) -> Option<Value> {
    errors.push(FieldError::new(path, code, message));
    None
}

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    builtin_regex(r"^(?:https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#]\S*)?|/(?:[^/\\\s]\S*)?)$")
});
static YOUTUBE: LazyLock<Regex> = LazyLock::new(|| {
    builtin_regex(
        r"^https?://(?:(?:www\.|m\.)?youtube\.com/(?:watch\?(?:\S*&)?v=|embed/)|youtu\.be/)([A-Za-z0-9_-]{1,64})(?:[?&#/]\S*)?$",
    )
});
static VIMEO: LazyLock<Regex> = LazyLock::new(|| {
    builtin_regex(
        r"^https?://(?:(?:www\.)?vimeo\.com|player\.vimeo\.com/video)/([0-9]{1,20})(?:[?#/]\S*)?$",
    )
});

fn is_link(s: &str) -> bool {
    LINK.is_match(s)
}

/// The privacy-friendly player URL for a YouTube or Vimeo page URL, and a default title.
fn embed_src(url: &str) -> Option<(String, &'static str)> {
    if let Some(c) = YOUTUBE.captures(url) {
        return Some((
            format!("https://www.youtube-nocookie.com/embed/{}", &c[1]),
            "YouTube video",
        ));
    }
    VIMEO.captures(url).map(|c| {
        (
            format!("https://player.vimeo.com/video/{}", &c[1]),
            "Vimeo video",
        )
    })
}

fn text<'a>(props: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    props.get(name).and_then(Value::as_str)
}

fn esc(props: &Map<String, Value>, name: &str) -> String {
    escape_html(text(props, name).unwrap_or_default())
}

fn paragraph(props: &Map<String, Value>) -> String {
    render_markdown(text(props, "text").unwrap_or_default())
}

fn heading(props: &Map<String, Value>) -> String {
    let level = props
        .get("level")
        .and_then(Value::as_i64)
        .unwrap_or(2)
        .clamp(2, 6);
    format!("<h{level}>{}</h{level}>", esc(props, "text"))
}

fn image(props: &Map<String, Value>) -> String {
    let caption = text(props, "caption")
        .map(|c| format!("<figcaption>{}</figcaption>", escape_html(c)))
        .unwrap_or_default();
    format!(
        "<figure><img src=\"/media/{}/original\" alt=\"{}\">{caption}</figure>",
        esc(props, "media"),
        esc(props, "alt")
    )
}

fn quote(props: &Map<String, Value>) -> String {
    let cite = text(props, "cite")
        .map(|c| format!("<footer>{}</footer>", escape_html(c)))
        .unwrap_or_default();
    format!(
        "<blockquote><p>{}</p>{cite}</blockquote>",
        esc(props, "text")
    )
}

fn call_to_action(props: &Map<String, Value>) -> String {
    format!(
        "<a class=\"cta cta-{}\" href=\"{}\">{}</a>",
        esc(props, "style"),
        esc(props, "url"),
        esc(props, "label")
    )
}

fn embed(props: &Map<String, Value>) -> String {
    let Some((src, default_title)) = text(props, "url").and_then(embed_src) else {
        return String::new();
    };
    let title = text(props, "title").unwrap_or(default_title);
    format!(
        "<iframe src=\"{}\" title=\"{}\" sandbox=\"allow-scripts allow-same-origin allow-presentation\" allowfullscreen loading=\"lazy\"></iframe>",
        escape_html(&src),
        escape_html(title)
    )
}

/// Appends the words a reader sees in a stored block (text props; not URLs, media ids or
/// styles) to `out`, one line each. Blocks of unknown types (plugins) contribute their
/// rendered `text`, when they have one.
pub(super) fn block_text(block: &Value, out: &mut String) {
    let Some(kind) = block.get("type").and_then(Value::as_str) else {
        return;
    };
    let mut push = |s: &str| {
        if !s.is_empty() {
            out.push_str(s);
            out.push('\n');
        }
    };
    match (builtin(kind), block.get("props").and_then(Value::as_object)) {
        (Some(spec), Some(props)) => {
            for p in spec
                .props
                .iter()
                .filter(|p| matches!(p.kind, Markdown | Line | Text))
            {
                push(text(props, p.name).unwrap_or_default());
            }
        }
        _ => push(
            block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    const MEDIA: &str = "01JD0000000000000000000009";

    /// Normalizes props of a built-in block and renders it, or returns (path, code) pairs.
    fn render(block: &str, props: Value) -> Result<(Value, String), Vec<(String, String)>> {
        let bt = builtin(block).unwrap();
        let mut errors = Vec::new();
        let props = bt.normalize_props(props.as_object().unwrap(), "p", &mut errors);
        if errors.is_empty() {
            let html = bt.html(&props);
            Ok((Value::Object(props), html))
        } else {
            Err(errors.into_iter().map(|e| (e.path, e.code)).collect())
        }
    }

    fn html(block: &str, props: Value) -> String {
        render(block, props).unwrap().1
    }

    fn codes(block: &str, props: Value) -> Vec<(String, String)> {
        render(block, props).unwrap_err()
    }

    fn code(path: &str, code: &str) -> Vec<(String, String)> {
        vec![(path.to_string(), code.to_string())]
    }

    #[test]
    fn paragraph() {
        assert_eq!(
            html("paragraph", json!({"text": "Hello *you*"})),
            "<p>Hello <em>you</em></p>\n"
        );
        let xss = html(
            "paragraph",
            json!({"text": "<script>alert(1)</script><a href=\"javascript:x()\">y</a>"}),
        );
        assert!(
            !xss.contains("<script") && !xss.contains("javascript:"),
            "{xss}"
        );
        assert_eq!(codes("paragraph", json!({})), code("p.text", "required"));
        assert_eq!(
            codes("paragraph", json!({"text": 1})),
            code("p.text", "wrong_type")
        );
        assert_eq!(
            codes("paragraph", json!({"text": "x".repeat(100_001)})),
            code("p.text", "too_long")
        );
    }

    #[test]
    fn heading() {
        let (props, h) = render("heading", json!({"text": "A <b> & \"c\""})).unwrap();
        assert_eq!(h, "<h2>A &lt;b&gt; &amp; &quot;c&quot;</h2>");
        assert_eq!(props, json!({"text": "A <b> & \"c\"", "level": 2}));
        assert_eq!(
            html("heading", json!({"text": "x", "level": 6})),
            "<h6>x</h6>"
        );
        assert_eq!(
            codes("heading", json!({"text": "x", "level": 1})),
            code("p.level", "too_small")
        );
        assert_eq!(
            codes("heading", json!({"text": "x", "level": 7})),
            code("p.level", "too_large")
        );
        assert_eq!(
            codes("heading", json!({"text": "x", "level": "2"})),
            code("p.level", "wrong_type")
        );
        assert_eq!(
            codes("heading", json!({"text": "a\nb"})),
            code("p.text", "invalid_format")
        );
        assert_eq!(
            codes("heading", json!({"text": "x".repeat(301)})),
            code("p.text", "too_long")
        );
        assert_eq!(
            codes("heading", json!({"text": "x", "colour": "red"})),
            code("p.colour", "unknown_field")
        );
    }

    #[test]
    fn image() {
        assert_eq!(
            html("image", json!({"media": MEDIA, "alt": "A \"cat\""})),
            format!(
                "<figure><img src=\"/media/{MEDIA}/original\" alt=\"A &quot;cat&quot;\"></figure>"
            )
        );
        assert_eq!(
            html(
                "image",
                json!({"media": MEDIA, "alt": "", "caption": "<i>Cap</i>"})
            ),
            format!(
                "<figure><img src=\"/media/{MEDIA}/original\" alt=\"\"><figcaption>&lt;i&gt;Cap&lt;/i&gt;</figcaption></figure>"
            )
        );
        assert_eq!(
            codes("image", json!({"media": "../etc/passwd", "alt": "x"})),
            code("p.media", "invalid_id")
        );
        assert_eq!(
            codes(
                "image",
                json!({"media": MEDIA, "alt": "x", "caption": "x".repeat(501)})
            ),
            code("p.caption", "too_long")
        );
    }

    #[test]
    fn quote() {
        assert_eq!(
            html("quote", json!({"text": "Be <kind>"})),
            "<blockquote><p>Be &lt;kind&gt;</p></blockquote>"
        );
        assert_eq!(
            html("quote", json!({"text": "Hi", "cite": "O'Neil"})),
            "<blockquote><p>Hi</p><footer>O&#39;Neil</footer></blockquote>"
        );
        assert_eq!(
            codes("quote", json!({"cite": "x"})),
            code("p.text", "required")
        );
    }

    #[test]
    fn call_to_action() {
        let (props, h) = render(
            "call_to_action",
            json!({"label": "Join <us>", "url": "/join?a=1&b=2"}),
        )
        .unwrap();
        assert_eq!(
            h,
            "<a class=\"cta cta-primary\" href=\"/join?a=1&amp;b=2\">Join &lt;us&gt;</a>"
        );
        assert_eq!(props["style"], json!("primary"));
        assert_eq!(
            html(
                "call_to_action",
                json!({"label": "Go", "url": "https://example.org/x", "style": "secondary"})
            ),
            "<a class=\"cta cta-secondary\" href=\"https://example.org/x\">Go</a>"
        );
        for ok in [
            "/",
            "/a/b#c",
            "http://localhost:8080",
            "https://example.org?q=1",
        ] {
            assert!(
                render("call_to_action", json!({"label": "x", "url": ok})).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "javascript:alert(1)",
            "//evil.example",
            "/\\evil.example",
            "ftp://x",
            "relative",
            "https://",
            "https://a b",
            "data:text/html,x",
        ] {
            assert_eq!(
                codes("call_to_action", json!({"label": "x", "url": bad})),
                code("p.url", "invalid_url"),
                "{bad}"
            );
        }
        assert_eq!(
            codes(
                "call_to_action",
                json!({"label": "x", "url": "/", "style": "loud"})
            ),
            code("p.style", "not_in_enum")
        );
    }

    #[test]
    fn embed() {
        let sandbox = "sandbox=\"allow-scripts allow-same-origin allow-presentation\" allowfullscreen loading=\"lazy\"></iframe>";
        for url in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com/watch?feature=x&v=dQw4w9WgXcQ&t=1",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://www.youtube.com/embed/dQw4w9WgXcQ",
        ] {
            assert_eq!(
                html("embed", json!({"url": url, "title": "A \"talk\""})),
                format!(
                    "<iframe src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\" title=\"A &quot;talk&quot;\" {sandbox}"
                ),
                "{url}"
            );
        }
        assert_eq!(
            html("embed", json!({"url": "https://vimeo.com/76979871"})),
            format!(
                "<iframe src=\"https://player.vimeo.com/video/76979871\" title=\"Vimeo video\" {sandbox}"
            )
        );
        for bad in [
            "https://evil.example/watch?v=x",
            "https://youtube.com.evil.example/watch?v=x",
            "https://www.youtube.com/watch?v=\"onload=x",
            "https://vimeo.com/abc",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                codes("embed", json!({"url": bad})),
                code("p.url", "invalid_url"),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_types_are_not_built_in() {
        assert!(builtin("plugin:maps/map").is_none());
        assert!(builtin("carousel").is_none());
        assert_eq!(
            BUILTIN.iter().map(|b| b.name).collect::<Vec<_>>(),
            [
                "paragraph",
                "heading",
                "image",
                "quote",
                "call_to_action",
                "embed"
            ]
        );
    }
}

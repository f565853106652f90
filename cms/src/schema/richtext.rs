//! Markdown rendering with HTML sanitizing, HTML escaping, and richtext field values.

use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};
use serde_json::{Map, Value, json};

use super::model::{Field, FieldError};
use super::validate::{check_len, wrong_type};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::default);

/// Renders Markdown to HTML and sanitizes it (no scripts, styles, event handlers or
/// `javascript:` URLs survive).
pub fn render_markdown(md: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(md, options));
    SANITIZER.clean(&raw).to_string()
}

/// Escapes text for use in HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Accepts a Markdown string or `{"markdown": "..."}` (an `html` key is ignored) and
/// returns the stored form `{"markdown", "html"}`.
pub(super) fn normalize_richtext(
    field: &Field,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let markdown = match value {
        Value::String(s) => s,
        Value::Object(obj) => markdown_of(obj, path, errors)?,
        _ => {
            return wrong_type(
                path,
                "a Markdown string or an object with `markdown`",
                errors,
            );
        }
    };
    check_len(
        field.min,
        field.max,
        markdown.chars().count(),
        "characters",
        path,
        errors,
    );
    Some(json!({"markdown": markdown, "html": render_markdown(markdown)}))
}

fn markdown_of<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a String> {
    for key in obj.keys().filter(|k| *k != "markdown" && *k != "html") {
        errors.push(FieldError::new(
            format!("{path}.{key}"),
            "unknown_field",
            format!("`{key}` is not allowed here"),
        ));
    }
    match obj.get("markdown") {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                format!("{path}.markdown"),
                "required",
                "markdown is required",
            ));
            None
        }
        Some(_) => {
            wrong_type(&format!("{path}.markdown"), "a string", errors);
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        assert_eq!(
            render_markdown("Hello *world*"),
            "<p>Hello <em>world</em></p>\n"
        );
        let html = render_markdown("# Title\n\n- a\n- b\n\n[link](https://example.org/x)");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<li>a</li>"), "{html}");
        assert!(html.contains("href=\"https://example.org/x\""), "{html}");
        let table = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(
            table.contains("<table>") && table.contains("<td>1</td>"),
            "{table}"
        );
    }

    #[test]
    fn strips_xss_payloads() {
        let cases = [
            "<script>alert(1)</script>hello",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<style>body{display:none}</style>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div onclick=\"alert(1)\" style=\"color:red\">x</div>",
            "![x](javascript:alert(1))",
            "<svg onload=alert(1)>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
        ];
        for md in cases {
            let html = render_markdown(md).to_lowercase();
            for bad in [
                "<script",
                "alert(1)</",
                "onerror",
                "onclick",
                "onload",
                "javascript:",
                "<style",
                "<iframe",
                "style=",
                "data:",
            ] {
                assert!(
                    !html.contains(bad),
                    "{md:?} rendered {html:?} containing {bad:?}"
                );
            }
        }
        assert!(render_markdown("<script>alert(1)</script>hello").contains("hello"));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape_html(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("plain ç"), "plain ç");
    }
}

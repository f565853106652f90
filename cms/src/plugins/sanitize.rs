//! What a plugin's HTML may contain: ammonia's safe defaults (no scripts, no event
//! handlers, no `javascript:` or other unsafe URL schemes, no styles), `class` on any element,
//! and `<iframe>` only from the two video hosts, always sandboxed. Then a size cap.

use std::borrow::Cow;
use std::sync::LazyLock;

/// The only iframe sources kept (a prefix of the whole URL, so the host is fixed).
pub const IFRAME_SOURCES: [&str; 2] = [
    "https://www.youtube-nocookie.com/embed/",
    "https://player.vimeo.com/video/",
];

/// What the sandbox of a kept iframe allows: the player runs, nothing reaches the page.
const IFRAME_SANDBOX: &str = "allow-scripts allow-same-origin allow-presentation";

fn iframe_source_allowed(src: &str) -> bool {
    IFRAME_SOURCES.iter().any(|prefix| {
        src.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty()
                && rest.bytes().all(|b| {
                    b.is_ascii_graphic() && !matches!(b, b'\\' | b'"' | b'\'' | b'<' | b'>')
                })
        })
    })
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["class"])
        .add_tags(["iframe"])
        .add_tag_attributes(
            "iframe",
            [
                "src",
                "title",
                "width",
                "height",
                "allow",
                "allowfullscreen",
                "loading",
            ],
        )
        .set_tag_attribute_value("iframe", "sandbox", IFRAME_SANDBOX)
        .attribute_filter(|element, attribute, value| {
            if element == "iframe" && attribute == "src" && !iframe_source_allowed(value) {
                return None;
            }
            Some(Cow::Borrowed(value))
        });
    b
});

/// Sanitize a plugin's HTML; None when the result is over `cap` bytes.
pub fn sanitize(html: &str, cap: usize) -> Option<String> {
    let clean = SANITIZER.clean(html).to_string();
    (clean.len() <= cap).then_some(clean)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn keeps_ordinary_markup_and_classes() {
        let html = r#"<aside class="callout"><p><strong>Tip</strong> <a href="https://example.org/a">read</a></p></aside>"#;
        let clean = sanitize(html, 10_000).unwrap();
        assert!(clean.contains(r#"<aside class="callout">"#), "{clean}");
        assert!(clean.contains(r#"href="https://example.org/a""#), "{clean}");
    }

    #[test]
    fn iframes_only_from_the_video_hosts_and_always_sandboxed() {
        let yt =
            r#"<iframe src="https://www.youtube-nocookie.com/embed/abc123" title="v"></iframe>"#;
        let clean = sanitize(yt, 10_000).unwrap();
        assert!(
            clean.contains(r#"src="https://www.youtube-nocookie.com/embed/abc123""#),
            "{clean}"
        );
        assert!(
            clean.contains(&format!(r#"sandbox="{IFRAME_SANDBOX}""#)),
            "{clean}"
        );
        let vimeo = sanitize(
            r#"<iframe src="https://player.vimeo.com/video/42"></iframe>"#,
            10_000,
        );
        assert!(vimeo.unwrap().contains("player.vimeo.com/video/42"));
        for src in [
            "https://evil.example/embed/x",
            "https://www.youtube-nocookie.com.evil.example/embed/x",
            "https://www.youtube.com/embed/x",
            "//www.youtube-nocookie.com/embed/x",
            "javascript:alert(1)",
        ] {
            let clean = sanitize(&format!(r#"<iframe src="{src}"></iframe>"#), 10_000).unwrap();
            assert!(!clean.contains("src="), "{src} -> {clean}");
        }
    }

    #[test]
    fn output_over_the_cap_is_refused() {
        assert!(sanitize(&"<p>x</p>".repeat(100), 100).is_none());
        assert!(sanitize("<p>x</p>", 100).is_some());
    }
}

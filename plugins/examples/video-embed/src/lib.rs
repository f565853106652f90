//! A YouTube or Vimeo video. Editors paste the video's page URL; the block keeps only the
//! video id and embeds it from youtube-nocookie.com or player.vimeo.com.

use cms_block_sdk::{BlockInfo, Context, FieldError, Plugin, Rendered, Value, escape, json};

struct VideoEmbed;

#[derive(Debug, PartialEq)]
enum Video {
    YouTube(String),
    Vimeo(String),
}

fn id_ok(id: &str, max: usize) -> bool {
    !id.is_empty()
        && id.len() <= max
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The video a URL points at, or None for anything else.
fn parse(url: &str) -> Option<Video> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.strip_prefix("www.").unwrap_or(host);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let youtube = |id: &str| id_ok(id, 16).then(|| Video::YouTube(id.to_owned()));
    match host {
        "youtube.com" | "m.youtube.com" | "youtube-nocookie.com" => {
            if path == "watch" {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("v="))
                    .and_then(youtube)
            } else {
                path.strip_prefix("embed/")
                    .or_else(|| path.strip_prefix("shorts/"))
                    .and_then(youtube)
            }
        }
        "youtu.be" => youtube(path),
        "vimeo.com" | "player.vimeo.com" => {
            let id = path.strip_prefix("video/").unwrap_or(path);
            (id_ok(id, 12) && id.bytes().all(|b| b.is_ascii_digit()))
                .then(|| Video::Vimeo(id.to_owned()))
        }
        _ => None,
    }
}

impl Plugin for VideoEmbed {
    fn blocks() -> Vec<BlockInfo> {
        vec![
            BlockInfo::new(
                "video",
                "Video",
                json!({
                    "type": "object",
                    "required": ["url", "title"],
                    "properties": {
                        "url": {"type": "string", "format": "uri", "description": "A YouTube or Vimeo link"},
                        "title": {"type": "string", "maxLength": 200, "description": "What the video is (for screen readers)"},
                        "caption": {"type": "string", "maxLength": 500}
                    },
                    "additionalProperties": false
                }),
            )
            .describe("A YouTube or Vimeo video, embedded without tracking cookies."),
        ]
    }

    fn validate(_block: &str, props: &Value) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        match props["url"].as_str() {
            Some(url) if parse(url).is_some() => {}
            Some(_) => errors.push(FieldError::new(
                "/url",
                "unsupported_video",
                "a YouTube or Vimeo video link, such as https://www.youtube.com/watch?v=...",
            )),
            None => errors.push(FieldError::new(
                "/url",
                "required",
                "a video link is required",
            )),
        }
        if props["title"].as_str().is_none_or(|t| t.trim().is_empty()) {
            errors.push(FieldError::new("/title", "required", "a title is required"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn render(_block: &str, props: &Value, _context: &Context) -> Result<Rendered, String> {
        let url = props["url"].as_str().unwrap_or_default();
        let src = match parse(url).ok_or("not a YouTube or Vimeo link")? {
            Video::YouTube(id) => format!("https://www.youtube-nocookie.com/embed/{id}"),
            Video::Vimeo(id) => format!("https://player.vimeo.com/video/{id}"),
        };
        let title = props["title"].as_str().unwrap_or("Video");
        let caption = props["caption"].as_str().unwrap_or_default();
        let mut html = format!(
            "<figure class=\"video\"><iframe src=\"{src}\" title=\"{}\" width=\"560\" height=\"315\" loading=\"lazy\" allow=\"fullscreen; picture-in-picture\" allowfullscreen></iframe>",
            escape(title)
        );
        if !caption.is_empty() {
            html.push_str(&format!("<figcaption>{}</figcaption>", escape(caption)));
        }
        html.push_str("</figure>");
        Ok(Rendered::new(
            html,
            format!("{title}\n{caption}").trim().to_owned(),
        ))
    }
}

cms_block_sdk::export_plugin!(VideoEmbed);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_links_are_recognised_and_everything_else_refused() {
        let yt = |id: &str| Some(Video::YouTube(id.into()));
        assert_eq!(
            parse("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3"),
            yt("dQw4w9WgXcQ")
        );
        assert_eq!(parse("https://youtu.be/dQw4w9WgXcQ"), yt("dQw4w9WgXcQ"));
        assert_eq!(parse("https://www.youtube.com/embed/abc_-1"), yt("abc_-1"));
        assert_eq!(
            parse("https://vimeo.com/76979871"),
            Some(Video::Vimeo("76979871".into()))
        );
        for bad in [
            "javascript:alert(1)",
            "https://evil.example/watch?v=x",
            "https://www.youtube.com.evil.example/watch?v=x",
            "https://www.youtube.com/watch?v=\"><script>",
            "https://vimeo.com/abc",
            "ftp://youtu.be/x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

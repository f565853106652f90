//! A callout box: a tone (`info`, `tip`, `warning`), an optional title and a body.

use cms_block_sdk::{BlockInfo, Context, FieldError, Plugin, Rendered, Value, escape, json};

struct Callout;

const TONES: [&str; 3] = ["info", "tip", "warning"];
const MAX_BODY: usize = 2000;

impl Plugin for Callout {
    fn blocks() -> Vec<BlockInfo> {
        vec![
            BlockInfo::new(
                "callout",
                "Callout",
                json!({
                    "type": "object",
                    "required": ["body"],
                    "properties": {
                        "tone": {"type": "string", "enum": TONES, "default": "info"},
                        "title": {"type": "string", "maxLength": 120},
                        "body": {"type": "string", "maxLength": MAX_BODY}
                    },
                    "additionalProperties": false
                }),
            )
            .describe("A highlighted box for a tip, a note or a warning."),
        ]
    }

    fn validate(_block: &str, props: &Value) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        match props.get("body").and_then(Value::as_str) {
            None => errors.push(FieldError::new(
                "/body",
                "required",
                "a callout needs a body",
            )),
            Some(b) if b.trim().is_empty() => errors.push(FieldError::new(
                "/body",
                "required",
                "a callout needs a body",
            )),
            Some(b) if b.chars().count() > MAX_BODY => errors.push(FieldError::new(
                "/body",
                "too_long",
                &format!("at most {MAX_BODY} characters"),
            )),
            Some(_) => {}
        }
        if let Some(tone) = props.get("tone")
            && !tone.as_str().is_some_and(|t| TONES.contains(&t))
        {
            errors.push(FieldError::new(
                "/tone",
                "invalid_choice",
                "tone is one of info, tip, warning",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn render(_block: &str, props: &Value, _context: &Context) -> Result<Rendered, String> {
        let tone = props["tone"].as_str().unwrap_or("info");
        let body = props["body"].as_str().unwrap_or_default();
        let title = props["title"].as_str().filter(|t| !t.is_empty());
        let mut html = format!("<aside class=\"callout callout-{}\">", escape(tone));
        let mut text = String::new();
        if let Some(title) = title {
            html.push_str(&format!(
                "<p class=\"callout-title\"><strong>{}</strong></p>",
                escape(title)
            ));
            text.push_str(title);
            text.push('\n');
        }
        for para in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
            html.push_str(&format!("<p>{}</p>", escape(para.trim())));
        }
        html.push_str("</aside>");
        text.push_str(body);
        Ok(Rendered::new(html, text))
    }
}

cms_block_sdk::export_plugin!(Callout);

//! Links to related best-practice articles. The editor picks articles by id; the titles and
//! slugs come from the CMS at render time through `get-content` (public published content
//! only), so when an article's title changes the block is rendered again.

use cms_block_sdk::{BlockInfo, Context, FieldError, Plugin, Rendered, Value, escape, host, json};

struct RelatedPractice;

const MAX_ITEMS: usize = 6;

impl Plugin for RelatedPractice {
    fn blocks() -> Vec<BlockInfo> {
        vec![
            BlockInfo::new(
                "related",
                "Related practice",
                json!({
                    "type": "object",
                    "required": ["articles"],
                    "properties": {
                        "heading": {"type": "string", "maxLength": 120},
                        "articles": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": MAX_ITEMS,
                            "items": {"type": "string", "description": "id of a practice article"}
                        }
                    },
                    "additionalProperties": false
                }),
            )
            .describe("Links to related best-practice articles."),
        ]
    }

    fn validate(_block: &str, props: &Value) -> Result<(), Vec<FieldError>> {
        match props["articles"].as_array() {
            Some(a) if !a.is_empty() && a.len() <= MAX_ITEMS && a.iter().all(Value::is_string) => {
                Ok(())
            }
            _ => Err(vec![FieldError::new(
                "/articles",
                "invalid_list",
                &format!("1 to {MAX_ITEMS} article ids"),
            )]),
        }
    }

    fn render(_block: &str, props: &Value, cx: &Context) -> Result<Rendered, String> {
        let heading = props["heading"].as_str().unwrap_or("Related practice");
        let mut items = Vec::new();
        for id in props["articles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            // Articles that are gone, or not public, are left out.
            if let Some(item) = host::get_content("practice_article", id, &cx.locale) {
                let title = item["fields"]["title"].as_str().unwrap_or(id).to_owned();
                let slug = item["fields"]["slug"].as_str().unwrap_or(id).to_owned();
                items.push((title, slug));
            }
        }
        let mut html = format!(
            "<nav class=\"related-practice\"><h2>{}</h2><ul>",
            escape(heading)
        );
        for (title, slug) in &items {
            html.push_str(&format!(
                "<li><a href=\"/practice/{}\">{}</a></li>",
                escape(slug),
                escape(title)
            ));
        }
        html.push_str("</ul></nav>");
        let text = std::iter::once(heading.to_owned())
            .chain(items.into_iter().map(|(t, _)| t))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(Rendered::new(html, text))
    }
}

cms_block_sdk::export_plugin!(RelatedPractice);

//! A school's card: name, phase, region, partnership group and a link to its profile.

use cms_block_sdk::{BlockInfo, Context, FieldError, Plugin, Rendered, Value, escape, json};

struct SchoolCard;

const PHASES: [&str; 5] = ["nursery", "primary", "secondary", "all-through", "special"];

impl Plugin for SchoolCard {
    fn blocks() -> Vec<BlockInfo> {
        vec![
            BlockInfo::new(
                "school-card",
                "School card",
                json!({
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 120},
                        "phase": {"type": "string", "enum": PHASES},
                        "region": {"type": "string", "maxLength": 80},
                        "partnership": {"type": "string", "maxLength": 120},
                        "href": {"type": "string", "description": "A path on this site (/schools/...) or an https link"}
                    },
                    "additionalProperties": false
                }),
            )
            .describe("A card for one school of the network."),
        ]
    }

    fn validate(_block: &str, props: &Value) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if props["name"].as_str().is_none_or(|n| n.trim().is_empty()) {
            errors.push(FieldError::new(
                "/name",
                "required",
                "the school's name is required",
            ));
        }
        if let Some(phase) = props.get("phase")
            && !phase.as_str().is_some_and(|p| PHASES.contains(&p))
        {
            errors.push(FieldError::new(
                "/phase",
                "invalid_choice",
                "not a school phase",
            ));
        }
        if let Some(href) = props.get("href")
            && !href.as_str().is_some_and(href_ok)
        {
            errors.push(FieldError::new(
                "/href",
                "invalid_link",
                "a path starting with / or an https:// link",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn render(_block: &str, props: &Value, _context: &Context) -> Result<Rendered, String> {
        let name = props["name"].as_str().unwrap_or_default();
        let mut html = String::from("<article class=\"school-card\">");
        let heading = escape(name);
        match props["href"].as_str().filter(|h| href_ok(h)) {
            Some(href) => html.push_str(&format!(
                "<h3><a href=\"{}\">{heading}</a></h3>",
                escape(href)
            )),
            None => html.push_str(&format!("<h3>{heading}</h3>")),
        }
        let mut text = vec![name.to_owned()];
        let facts: Vec<(&str, &str)> = [
            ("Phase", "phase"),
            ("Region", "region"),
            ("Partnership", "partnership"),
        ]
        .into_iter()
        .filter_map(|(label, key)| {
            props[key]
                .as_str()
                .filter(|v| !v.is_empty())
                .map(|v| (label, v))
        })
        .collect();
        if !facts.is_empty() {
            html.push_str("<dl>");
            for (label, value) in facts {
                html.push_str(&format!("<dt>{label}</dt><dd>{}</dd>", escape(value)));
                text.push(value.to_owned());
            }
            html.push_str("</dl>");
        }
        html.push_str("</article>");
        Ok(Rendered::new(html, text.join("\n")))
    }
}

fn href_ok(href: &str) -> bool {
    (href.starts_with('/') && !href.starts_with("//")) || href.starts_with("https://")
}

cms_block_sdk::export_plugin!(SchoolCard);

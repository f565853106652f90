//! OpenAPI 3.0 schema objects for a type's `fields` (the stored/output form).

use serde_json::{Map, Value, json};

use super::model::{ContentType, Field, FieldKind};
use super::validate::{JSON_MAX_BYTES, SLUG_MAX, SLUG_PATTERN};

impl ContentType {
    /// OpenAPI 3.0 schema object for this type's `fields` object, in output form
    /// (richtext as `{markdown, html}`, blocks with their `html`).
    pub fn openapi_fields_schema(&self) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &self.fields {
            properties.insert(field.name.clone(), field_schema(field));
            if field.required || field.default.is_some() {
                required.push(Value::from(field.name.clone()));
            }
        }
        let mut schema = json!({
            "type": "object",
            "title": format!("{} fields", self.label),
            "properties": properties,
            "additionalProperties": false,
        });
        if let Some(d) = &self.description {
            schema["description"] = Value::from(d.clone());
        }
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        schema
    }
}

/// A bound as JSON: an integer when whole.
fn bound(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Value::from(n as i64)
    } else {
        json!(n)
    }
}

fn set_bounds(
    schema: &mut Value,
    min_key: &str,
    max_key: &str,
    min: Option<f64>,
    max: Option<f64>,
) {
    if let Some(n) = min {
        schema[min_key] = bound(n);
    }
    if let Some(n) = max {
        schema[max_key] = bound(n);
    }
}

fn id_schema(description: &str) -> Value {
    json!({"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$", "description": description})
}

fn field_schema(f: &Field) -> Value {
    let mut s = match &f.kind {
        FieldKind::String | FieldKind::Text => {
            let mut s = json!({"type": "string"});
            set_bounds(&mut s, "minLength", "maxLength", f.min, f.max);
            s
        }
        FieldKind::Slug => {
            let mut s = json!({"type": "string", "pattern": SLUG_PATTERN});
            set_bounds(
                &mut s,
                "minLength",
                "maxLength",
                f.min,
                Some(f.max.unwrap_or(SLUG_MAX)),
            );
            s
        }
        FieldKind::Richtext => {
            let mut markdown = json!({"type": "string"});
            set_bounds(&mut markdown, "minLength", "maxLength", f.min, f.max);
            json!({
                "type": "object",
                "properties": {
                    "markdown": markdown,
                    "html": {"type": "string", "readOnly": true, "description": "Sanitized HTML rendered from markdown"},
                },
                "required": ["markdown", "html"],
                "additionalProperties": false,
            })
        }
        FieldKind::Enum {
            values,
            multiple: false,
        } => json!({"type": "string", "enum": values}),
        FieldKind::Enum {
            values,
            multiple: true,
        } => {
            let mut s = json!({"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": true});
            set_bounds(&mut s, "minItems", "maxItems", f.min, f.max);
            s
        }
        FieldKind::Integer => {
            let mut s = json!({"type": "integer", "format": "int64"});
            set_bounds(&mut s, "minimum", "maximum", f.min, f.max);
            s
        }
        FieldKind::Number => {
            let mut s = json!({"type": "number", "format": "double"});
            set_bounds(&mut s, "minimum", "maximum", f.min, f.max);
            s
        }
        FieldKind::Boolean => json!({"type": "boolean"}),
        FieldKind::Date => json!({"type": "string", "format": "date"}),
        FieldKind::Datetime => json!({"type": "string", "format": "date-time"}),
        FieldKind::Reference { to } => {
            let mut s = id_schema(&format!("Id of a {to} item"));
            s["x-reference-to"] = Value::from(to.clone());
            s
        }
        FieldKind::References { to } => {
            let mut s = json!({
                "type": "array",
                "items": id_schema(&format!("Id of a {to} item")),
                "uniqueItems": true,
                "x-reference-to": to,
            });
            set_bounds(&mut s, "minItems", "maxItems", f.min, f.max);
            s
        }
        FieldKind::Media => id_schema("Media id"),
        FieldKind::Blocks => {
            let mut s = json!({"type": "array", "items": block_schema()});
            set_bounds(&mut s, "minItems", "maxItems", f.min, f.max);
            s
        }
        FieldKind::Json => {
            json!({"description": format!("Any JSON value (at most {JSON_MAX_BYTES} bytes serialized)")})
        }
    };
    if let Some(p) = &f.pattern {
        if s.get("pattern").is_some() {
            s["allOf"] = json!([{"pattern": p.as_str()}]);
        } else {
            s["pattern"] = Value::from(p.as_str());
        }
    }
    s["title"] = Value::from(f.label.clone());
    if let Some(help) = &f.help {
        let text = match s.get("description").and_then(Value::as_str) {
            Some(d) => format!("{help} ({d})"),
            None => help.clone(),
        };
        s["description"] = Value::from(text);
    }
    if let Some(d) = &f.default {
        s["default"] = d.clone();
    }
    if f.localized {
        s["x-localized"] = Value::Bool(true);
    }
    s
}

fn block_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "type": {
                "type": "string",
                "description": "paragraph, heading, image, quote, call_to_action, embed, or plugin:<plugin>/<block>",
            },
            "props": {
                "type": "object",
                "additionalProperties": true,
                "description": "paragraph {text}; heading {text, level}; image {media, alt, caption}; quote {text, cite}; call_to_action {label, url, style}; embed {url, title}; plugin blocks: what the plugin's props_schema says (GET /api/v1/plugins)",
            },
            "html": {"type": "string", "nullable": true, "description": "Rendered, sanitized HTML; null when rendering failed, and for plugin blocks in working copies (they are rendered when published)"},
            "text": {"type": "string", "description": "Plugin blocks: the plain text the plugin rendered (indexed for search)"},
            "error": {
                "type": "object",
                "nullable": true,
                "description": "Why a plugin block has no HTML (plugin_timeout, plugin_out_of_memory, plugin_trap, plugin_not_installed, ...)",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "required": ["code"],
            },
        },
        "required": ["id", "type", "props", "html"],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::super::test_support::real_registry;

    #[test]
    fn page_schema() {
        let registry = real_registry();
        let s = registry.get("page").unwrap().openapi_fields_schema();
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"], json!(["title", "slug"]));
        let props = s["properties"].as_object().unwrap();
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "title",
                "slug",
                "summary",
                "body",
                "seo_title",
                "seo_description",
                "nav_order"
            ]
        );
        assert_eq!(props["title"]["type"], "string");
        assert_eq!(props["title"]["maxLength"], 200);
        assert_eq!(props["title"]["title"], "Title");
        assert_eq!(props["title"]["x-localized"], true);
        assert!(
            props["title"]["description"]
                .as_str()
                .unwrap()
                .contains("heading")
        );
        assert_eq!(props["slug"]["pattern"], super::SLUG_PATTERN);
        assert_eq!(props["slug"]["maxLength"], 200);
        assert_eq!(
            props["nav_order"],
            json!({
                "type": "integer", "format": "int64", "minimum": 0, "title": "Navigation order",
                "description": props["nav_order"]["description"],
            })
        );
        assert_eq!(props["body"]["type"], "array");
        assert_eq!(props["body"]["maxItems"], 200);
        assert_eq!(
            props["body"]["items"]["required"],
            json!(["id", "type", "props", "html"])
        );
        assert_eq!(
            props["body"]["items"]["properties"]["html"]["type"],
            "string"
        );
    }

    #[test]
    fn school_and_article_schemas() {
        let registry = real_registry();
        let school = registry
            .get("school_profile")
            .unwrap()
            .openapi_fields_schema();
        let p = &school["properties"];
        assert_eq!(
            school["required"],
            json!(["name", "slug", "registered_office"])
        );
        assert_eq!(
            p["postcode"]["pattern"],
            "^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"
        );
        assert_eq!(
            p["phase"]["enum"],
            json!([
                "nursery",
                "primary",
                "secondary",
                "all_through",
                "special",
                "post_16"
            ])
        );
        assert_eq!(p["member_since"]["format"], "date");
        assert_eq!(p["registered_office"]["type"], "boolean");
        assert_eq!(p["registered_office"]["default"], false);
        assert_eq!(p["description"]["type"], "object");
        assert_eq!(p["description"]["required"], json!(["markdown", "html"]));
        let article = registry
            .get("practice_article")
            .unwrap()
            .openapi_fields_schema();
        let p = &article["properties"];
        assert_eq!(article["required"], json!(["title", "slug", "visibility"]));
        assert_eq!(p["topics"]["type"], "array");
        assert_eq!(p["topics"]["uniqueItems"], true);
        assert_eq!(p["topics"]["maxItems"], 10);
        assert_eq!(p["topics"]["items"]["enum"].as_array().unwrap().len(), 27);
        assert_eq!(p["visibility"]["enum"], json!(["public", "members"]));
        assert_eq!(p["visibility"]["default"], "public");
        assert_eq!(p["school"]["x-reference-to"], "school_profile");
        assert_eq!(p["school"]["pattern"], "^[0-7][0-9A-HJKMNP-TV-Z]{25}$");
        let testimonial = registry.get("testimonial").unwrap().openapi_fields_schema();
        assert_eq!(
            testimonial["properties"]["photo"]["pattern"],
            "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"
        );
    }

    #[test]
    fn id_pattern_agrees_with_is_ulid() {
        let re = regex::Regex::new("^[0-7][0-9A-HJKMNP-TV-Z]{25}$").unwrap();
        for s in [
            "01JD0000000000000000000000",
            "8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "01JDI00000000000000000000",
            "01JDU000000000000000000000",
        ] {
            assert_eq!(re.is_match(s), super::super::is_ulid(s), "{s}");
        }
    }
}

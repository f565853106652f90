//! Blocks field values: block structure, block ids, and dispatch to the built-in block types.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::block_types::{BlockType, builtin};
use super::ids::is_block_id;
use super::model::{Field, FieldError};
use super::validate::{check_len, wrong_type};

/// Validates a blocks array and returns the stored form `[{id, type, props, html}]`.
pub(super) fn normalize_blocks(
    field: &Field,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(items) = value.as_array() else {
        return wrong_type(path, "an array of blocks", errors);
    };
    check_len(field.min, field.max, items.len(), "blocks", path, errors);
    let ids = assign_ids(items);
    let mut out = Vec::with_capacity(items.len());
    for (i, (item, id)) in items.iter().zip(ids).enumerate() {
        if let Some(block) = normalize_block(item, id, &format!("{path}[{i}]"), errors) {
            out.push(block);
        }
    }
    Some(Value::Array(out))
}

/// Keeps each valid, first-seen client id; gives the others `b{index+1}`, or the next
/// free number when that is taken.
fn assign_ids(items: &[Value]) -> Vec<String> {
    let mut kept: HashSet<&str> = HashSet::new();
    let given: Vec<Option<&str>> = items
        .iter()
        .map(|item| {
            item.get("id")
                .and_then(Value::as_str)
                .filter(|id| is_block_id(id) && kept.insert(id))
        })
        .collect();
    let mut taken: HashSet<String> = kept.iter().map(|s| s.to_string()).collect();
    given
        .iter()
        .enumerate()
        .map(|(i, id)| match id {
            Some(id) => id.to_string(),
            None => {
                let mut n = i + 1;
                while taken.contains(&format!("b{n}")) {
                    n += 1;
                }
                let id = format!("b{n}");
                taken.insert(id.clone());
                id
            }
        })
        .collect()
}

fn normalize_block(
    item: &Value,
    id: String,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(obj) = item.as_object() else {
        return wrong_type(path, "a block object", errors);
    };
    let block_type = block_type(obj, path, errors);
    let empty = Map::new();
    let props = match obj.get("props") {
        None | Some(Value::Null) => Some(&empty),
        Some(Value::Object(p)) => Some(p),
        Some(_) => {
            wrong_type(&format!("{path}.props"), "an object", errors);
            None
        }
    };
    let (block_type, props) = (block_type?, props?);
    let block_type = match block_type {
        Kind::Plugin(name) => return plugin_block(id, name, props, path, errors),
        Kind::Builtin(b) => b,
    };
    let before = errors.len();
    let props = block_type.normalize_props(props, &format!("{path}.props"), errors);
    if errors.len() > before {
        return None;
    }
    let html = block_type.html(&props);
    Some(json!({"id": id, "type": block_type.name, "props": props, "html": html}))
}

/// Largest props of a plugin block, serialized (the plugin checks the rest).
pub const PLUGIN_PROPS_MAX: usize = 16 * 1024;

/// `plugin:<plugin>/<block>`: the plugin's id and the block's name, when `name` has that shape
/// (each part a lower-case letter, then lower-case letters, digits, `-` or `_`, at most 40).
pub fn plugin_block_type(name: &str) -> Option<(&str, &str)> {
    let (plugin, block) = name.strip_prefix("plugin:")?.split_once('/')?;
    let part = |s: &str| {
        s.len() <= 40
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    };
    (part(plugin) && part(block)).then_some((plugin, block))
}

/// A plugin block in stored form: its props as given (the plugin validates them when the item
/// is saved, in `content/`), no HTML until a snapshot is rendered at publish.
fn plugin_block(
    id: String,
    name: &str,
    props: &Map<String, Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let size = serde_json::to_string(props).map_or(usize::MAX, |s| s.len());
    if size > PLUGIN_PROPS_MAX {
        errors.push(FieldError::new(
            format!("{path}.props"),
            "too_long",
            format!("plugin block props are at most {PLUGIN_PROPS_MAX} bytes of JSON"),
        ));
        return None;
    }
    Some(json!({"id": id, "type": name, "props": props, "html": null}))
}

enum Kind<'a> {
    Builtin(&'static BlockType),
    Plugin(&'a str),
}

fn block_type<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Kind<'a>> {
    let type_path = format!("{path}.type");
    match obj.get("type") {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                type_path,
                "required",
                "block type is required",
            ));
            None
        }
        Some(Value::String(name)) => {
            if let Some(found) = builtin(name) {
                return Some(Kind::Builtin(found));
            }
            if plugin_block_type(name).is_some() {
                return Some(Kind::Plugin(name));
            }
            errors.push(FieldError::new(
                type_path,
                "unknown_block",
                format!("unknown block type `{name}` (built-in types, or plugin:<plugin>/<block>)"),
            ));
            None
        }
        Some(_) => {
            wrong_type(&type_path, "a string", errors);
            None
        }
    }
}

/// The searchable text of a stored field value: strings as they are, richtext's Markdown,
/// the text of blocks; other kinds (numbers, references, media) have none.
pub fn searchable_text(kind: &super::FieldKind, value: &Value, out: &mut String) {
    use super::FieldKind as K;
    match (kind, value) {
        (K::Blocks, Value::Array(blocks)) => {
            for b in blocks {
                super::block_types::block_text(b, out);
            }
        }
        (K::Richtext, Value::Object(o)) => {
            if let Some(md) = o.get("markdown").and_then(Value::as_str) {
                out.push_str(md);
                out.push('\n');
            }
        }
        (K::String | K::Text | K::Richtext | K::Slug | K::Enum { .. }, Value::String(s)) => {
            out.push_str(s);
            out.push('\n');
        }
        (K::Enum { .. }, Value::Array(values)) => {
            for v in values.iter().filter_map(Value::as_str) {
                out.push_str(v);
                out.push('\n');
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::model::FieldKind;
    use super::*;

    fn blocks_field(max: Option<f64>) -> Field {
        Field {
            name: "body".into(),
            label: "Body".into(),
            help: None,
            kind: FieldKind::Blocks,
            required: false,
            localized: true,
            min: None,
            max,
            pattern: None,
            default: None,
            searchable: None,
            filterable: false,
            sortable: false,
            facet: false,
        }
    }

    fn run(value: Value) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let out = normalize_blocks(&blocks_field(Some(3.0)), &value, "fields.body", &mut errors);
        if errors.is_empty() {
            Ok(out.unwrap())
        } else {
            Err(errors)
        }
    }

    fn codes(errors: &[FieldError]) -> Vec<(String, String)> {
        errors
            .iter()
            .map(|e| (e.path.clone(), e.code.clone()))
            .collect()
    }

    #[test]
    fn ids_are_kept_or_assigned_without_clashes() {
        let out = run(json!([
            {"type": "paragraph", "props": {"text": "a"}},
            {"id": "b1", "type": "paragraph", "props": {"text": "b"}},
            {"id": "bad id", "type": "paragraph", "props": {"text": "c"}},
        ]))
        .unwrap();
        let ids: Vec<_> = out
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["b2", "b1", "b3"]);
        let dup = run(json!([
            {"id": "x", "type": "paragraph", "props": {"text": "a"}},
            {"id": "x", "type": "paragraph", "props": {"text": "b"}},
        ]))
        .unwrap();
        let ids: Vec<_> = dup
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["x", "b2"]);
    }

    #[test]
    fn output_shape_drops_extra_input_keys_and_is_idempotent() {
        let input = json!([{"type": "heading", "props": {"text": "Hi"}, "html": "<script>", "error": {"code": "x"}}]);
        let out = run(input).unwrap();
        assert_eq!(
            out,
            json!([{"id": "b1", "type": "heading", "props": {"text": "Hi", "level": 2}, "html": "<h2>Hi</h2>"}])
        );
        assert_eq!(run(out.clone()).unwrap(), out);
    }

    #[test]
    fn structural_errors() {
        let errors = run(json!([
            "text",
            {"props": {}},
            {"type": "plugin:Maps/map", "props": {}},
            {"type": "carousel"},
            {"type": "paragraph", "props": []},
            {"type": 3},
        ]))
        .unwrap_err();
        assert_eq!(
            codes(&errors),
            [
                ("fields.body".into(), "too_long".into()),
                ("fields.body[0]".into(), "wrong_type".into()),
                ("fields.body[1].type".into(), "required".into()),
                ("fields.body[2].type".into(), "unknown_block".into()),
                ("fields.body[3].type".into(), "unknown_block".into()),
                ("fields.body[4].props".into(), "wrong_type".into()),
                ("fields.body[5].type".into(), "wrong_type".into()),
            ]
        );
        assert!(run(json!({"type": "paragraph"})).is_err());
    }

    #[test]
    fn plugin_blocks_keep_their_props_and_wait_for_rendering() {
        let out = run(json!([
            {"type": "plugin:maps/map", "props": {"lat": 51.5, "zoom": [1, 2]}, "html": "<script>", "text": "x"},
        ]))
        .unwrap();
        assert_eq!(
            out,
            json!([{"id": "b1", "type": "plugin:maps/map", "props": {"lat": 51.5, "zoom": [1, 2]}, "html": null}])
        );
        assert_eq!(run(out.clone()).unwrap(), out);
        assert_eq!(
            plugin_block_type("plugin:video-embed/video"),
            Some(("video-embed", "video"))
        );
        for bad in [
            "plugin:/x",
            "plugin:a/",
            "plugin:a",
            "plugin:a/b/c",
            "plugin:A/b",
            "plugin:a/9",
        ] {
            assert_eq!(plugin_block_type(bad), None, "{bad}");
        }
        let big = "x".repeat(PLUGIN_PROPS_MAX);
        let errors = run(json!([{"type": "plugin:maps/map", "props": {"t": big}}])).unwrap_err();
        assert_eq!(
            codes(&errors),
            [("fields.body[0].props".into(), "too_long".into())]
        );
    }

    #[test]
    fn missing_props_report_required_props() {
        let errors = run(json!([{"type": "image"}])).unwrap_err();
        assert_eq!(
            codes(&errors),
            [
                ("fields.body[0].props.media".into(), "required".into()),
                ("fields.body[0].props.alt".into(), "required".into()),
            ]
        );
    }

    #[test]
    fn every_block_type_normalizes_idempotently() {
        let input = json!([
            {"type": "paragraph", "props": {"text": "*a* <script>x</script>"}},
            {"id": "h", "type": "heading", "props": {"text": "T", "level": 3}},
            {"type": "image", "props": {"media": "01JD0000000000000000000009", "alt": "A", "caption": "C"}},
            {"type": "quote", "props": {"text": "Q", "cite": "W"}},
            {"type": "call_to_action", "props": {"label": "Go", "url": "/go"}},
            {"type": "embed", "props": {"url": "https://youtu.be/dQw4w9WgXcQ"}},
        ]);
        let mut errors = Vec::new();
        let once =
            normalize_blocks(&blocks_field(None), &input, "fields.body", &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let twice =
            normalize_blocks(&blocks_field(None), &once, "fields.body", &mut errors).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(once, twice);
        let blocks = once.as_array().unwrap();
        assert_eq!(blocks.len(), 6);
        assert!(
            blocks
                .iter()
                .all(|b| b["html"].as_str().is_some_and(|h| !h.is_empty()))
        );
        assert!(!blocks[0]["html"].as_str().unwrap().contains("<script"));
        assert_eq!(blocks[1]["id"], "h");
    }
}

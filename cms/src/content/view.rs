//! The API shape of items: `{"sys": {...}, "fields": {...}}` built from projection rows.

use serde_json::{Map, Value, json};

/// One item as the API shows it, with its ETag.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Value,
    pub etag: String,
}

/// A page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Value>,
    pub next_cursor: Option<String>,
    pub total: u64,
}

pub fn manage_etag(version: u64) -> String {
    format!("\"v{version}\"")
}

fn get(row: &Value, key: &str) -> Value {
    row.get(key).cloned().unwrap_or(Value::Null)
}

fn fields_of(row: &Value, only: Option<&[String]>) -> Value {
    let fields = row.get("fields").and_then(Value::as_object);
    let Some(fields) = fields else {
        return Value::Object(Map::new());
    };
    match only {
        None => Value::Object(fields.clone()),
        Some(names) => Value::Object(
            fields
                .iter()
                .filter(|(k, _)| names.iter().any(|n| n == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    }
}

/// A working copy (management API).
pub fn working_view(row: &Value, state_override: Option<&str>) -> ItemView {
    let state = match state_override {
        Some(s) => Value::String(s.to_owned()),
        None => get(row, "state"),
    };
    let revision = if state_override.is_some() {
        json!(0)
    } else {
        get(row, "revision")
    };
    let item = json!({
        "sys": {
            "id": get(row, "uid"), "type": get(row, "ctype"), "site": get(row, "site"),
            "locale": get(row, "locale"), "revision": revision, "state": state,
            "published_at": get(row, "published_at"), "created_at": get(row, "created_at"),
            "publish_at": get(row, "publish_at"), "unpublish_at": get(row, "unpublish_at"),
            "updated_at": get(row, "updated_at"), "visibility": get(row, "visibility"),
            "fallback_fields": get(row, "fallback"),
        },
        "fields": fields_of(row, None),
    });
    let etag = manage_etag(row.get("version").and_then(Value::as_u64).unwrap_or(0));
    ItemView { item, etag }
}

/// A published snapshot (delivery API), optionally restricted to some fields.
pub fn delivery_item(row: &Value, only: Option<&[String]>) -> Value {
    json!({
        "sys": {
            "id": get(row, "uid"), "type": get(row, "ctype"), "site": get(row, "site"),
            "locale": get(row, "locale"), "revision": get(row, "revision"), "state": "published",
            "published_at": get(row, "published_at"), "updated_at": get(row, "published_at"),
            "visibility": get(row, "visibility"), "fallback_fields": get(row, "fallback"),
        },
        "fields": fields_of(row, only),
    })
}

/// A strong ETag over the exact bytes served.
pub fn body_etag(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..12]))
}

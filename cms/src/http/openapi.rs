//! Merging the content types into poem-openapi's spec: one fields schema per type, item and
//! envelope schemas, the `type` parameter's values, and the list parameters (deepObject `filter`).

use serde_json::{Map, Value, json};

use crate::schema::Registry;

fn name_of(ctype: &str) -> String {
    ctype
        .split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn list_parameters(manage: bool) -> Vec<Value> {
    let mut params = vec![
        json!({"name": "site", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Only items of this site (shared types are on every site)."}),
        json!({"name": "locale", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Locale; missing translations fall back field by field to the default locale."}),
        json!({"name": "filter", "in": "query", "required": false, "style": "deepObject", "explode": true,
               "schema": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}}},
               "description": "filter[FIELD][OP]=VALUE with OP one of eq, ne, lt, lte, gt, gte, in (comma-separated), contains. FIELD is a filterable field, `id` or `published_at`."}),
        json!({"name": "sort", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Comma-separated sortable fields; `-` for descending, e.g. -published_at,title."}),
        json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}),
        json!({"name": "cursor", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Opaque cursor from meta.next_cursor."}),
        json!({"name": "fields", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Comma-separated fields to return."}),
        json!({"name": "expand", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Comma-separated reference fields to replace by the referenced items (one level)."}),
    ];
    if manage {
        params.push(json!({"name": "state", "in": "query", "required": false,
            "schema": {"type": "string", "enum": ["draft", "in_review", "approved", "published", "archived", "trashed"]}}));
    }
    params
}

fn read_parameters() -> Vec<Value> {
    list_parameters(false)
        .into_iter()
        .filter(|p| {
            matches!(
                p["name"].as_str(),
                Some("site" | "locale" | "fields" | "expand")
            )
        })
        .collect()
}

/// Add the content-type-specific parts to `spec`.
pub fn merge(mut spec: Value, registry: &Registry) -> Value {
    let type_names: Vec<String> = registry.types().map(|t| t.name.clone()).collect();
    let mut schemas = Map::new();
    let mut one_of = Vec::new();
    for ct in registry.types() {
        let name = format!("{}Fields", name_of(&ct.name));
        schemas.insert(name.clone(), ct.openapi_fields_schema());
        one_of.push(json!({"$ref": format!("#/components/schemas/{name}")}));
    }
    schemas.insert("Sys".into(), json!({
        "type": "object",
        "required": ["id", "type", "site", "locale", "revision", "state"],
        "properties": {
            "id": {"type": "string", "description": "Opaque id (ULID)"},
            "type": {"type": "string", "enum": type_names},
            "site": {"type": "string"}, "locale": {"type": "string"},
            "revision": {"type": "integer"},
            "state": {"type": "string", "enum": ["draft", "in_review", "approved", "published", "archived", "trashed", "new"]},
            "published_at": {"type": "string", "format": "date-time", "nullable": true},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "visibility": {"type": "string", "enum": ["public", "members"]},
            "fallback_fields": {"type": "array", "items": {"type": "string"}},
        }
    }));
    schemas.insert("Item".into(), json!({
        "type": "object", "required": ["sys", "fields"],
        "properties": {"sys": {"$ref": "#/components/schemas/Sys"}, "fields": {"oneOf": one_of}},
    }));
    schemas.insert(
        "ItemEnvelope".into(),
        json!({
            "type": "object", "required": ["data"],
            "properties": {"data": {"$ref": "#/components/schemas/Item"}},
        }),
    );
    schemas.insert("ItemList".into(), json!({
        "type": "object", "required": ["data", "meta"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "meta": {"type": "object", "properties": {
                "next_cursor": {"type": "string", "nullable": true}, "total": {"type": "integer"}}},
        },
    }));
    if let Some(components) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        components.extend(schemas);
    }
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return spec;
    };
    for (path, item) in paths.iter_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for p in params.iter_mut() {
                    if p["name"] == "ctype" && p["in"] == "path" {
                        p["schema"] = json!({"type": "string", "enum": type_names});
                        p["description"] = json!("Content type name");
                    }
                }
            }
            let is_list = path.ends_with("{ctype}") && method == "get";
            let is_delivery = path.starts_with("/api/v1/content");
            let is_manage = path.starts_with("/api/v1/manage");
            let extra = if is_list && (is_delivery || is_manage) {
                list_parameters(is_manage)
            } else if is_delivery && method == "get" {
                read_parameters()
            } else {
                Vec::new()
            };
            if !extra.is_empty() {
                let params = op.entry("parameters").or_insert_with(|| json!([]));
                if let Some(arr) = params.as_array_mut() {
                    arr.extend(extra);
                }
            }
            if is_delivery || is_manage {
                let schema = if is_list { "ItemList" } else { "ItemEnvelope" };
                for status in ["200", "201"] {
                    if let Some(content) = op
                        .get_mut("responses")
                        .and_then(|r| r.get_mut(status))
                        .and_then(|r| r.get_mut("content"))
                        .and_then(Value::as_object_mut)
                    {
                        for media in content.values_mut() {
                            media["schema"] =
                                json!({"$ref": format!("#/components/schemas/{schema}")});
                        }
                    }
                }
            }
        }
    }
    spec
}

//! The JSON description of a content type served by `/api/v1/schemas`.

use serde_json::{Value, json};

use crate::schema::{ContentType, FieldKind};

pub fn describe(ct: &ContentType) -> Value {
    let fields: Vec<Value> = ct
        .fields
        .iter()
        .map(|f| {
            let mut v = json!({
                "name": f.name, "label": f.label, "type": f.kind.name(), "required": f.required,
                "localized": f.localized, "filterable": f.filterable, "sortable": f.sortable,
                "facet": f.facet, "searchable": f.searchable,
            });
            if let Some(obj) = v.as_object_mut() {
                if let Some(help) = &f.help {
                    obj.insert("help".into(), json!(help));
                }
                if let Some(min) = f.min {
                    obj.insert("min".into(), json!(min));
                }
                if let Some(max) = f.max {
                    obj.insert("max".into(), json!(max));
                }
                if let Some(default) = &f.default {
                    obj.insert("default".into(), default.clone());
                }
                match &f.kind {
                    FieldKind::Enum { values, multiple } => {
                        obj.insert("values".into(), json!(values));
                        obj.insert("multiple".into(), json!(multiple));
                    }
                    FieldKind::Reference { to } | FieldKind::References { to } => {
                        obj.insert("to".into(), json!(to));
                    }
                    _ => {}
                }
            }
            v
        })
        .collect();
    json!({
        "name": ct.name, "label": ct.label, "description": ct.description, "shared": ct.shared,
        "default_visibility": ct.default_visibility.as_str(), "title_field": ct.title_field,
        "slug_field": ct.slug_field, "fields": fields,
    })
}

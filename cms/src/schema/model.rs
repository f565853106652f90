//! The content-model types: content types, fields, field kinds, visibility and the error types.

use serde::Serialize;

/// Who may read a published document.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Members,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Members => "members",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "members" => Some(Visibility::Members),
            _ => None,
        }
    }
}

/// The value type of a field, with its type-specific settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FieldKind {
    String,
    Text,
    Richtext,
    Slug,
    Enum { values: Vec<String>, multiple: bool },
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Reference { to: String },
    References { to: String },
    Media,
    Blocks,
    Json,
}

/// Every type name accepted in a schema's `type` key.
pub const KIND_NAMES: [&str; 15] = [
    "string",
    "text",
    "richtext",
    "slug",
    "enum",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
    "reference",
    "references",
    "media",
    "blocks",
    "json",
];

impl FieldKind {
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::String => "string",
            FieldKind::Text => "text",
            FieldKind::Richtext => "richtext",
            FieldKind::Slug => "slug",
            FieldKind::Enum { .. } => "enum",
            FieldKind::Integer => "integer",
            FieldKind::Number => "number",
            FieldKind::Boolean => "boolean",
            FieldKind::Date => "date",
            FieldKind::Datetime => "datetime",
            FieldKind::Reference { .. } => "reference",
            FieldKind::References { .. } => "references",
            FieldKind::Media => "media",
            FieldKind::Blocks => "blocks",
            FieldKind::Json => "json",
        }
    }

    /// The target type of a reference/references field.
    pub fn reference_target(&self) -> Option<&str> {
        match self {
            FieldKind::Reference { to } | FieldKind::References { to } => Some(to),
            _ => None,
        }
    }
}

/// A compiled `pattern`; compares and serializes as its source text.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl Pattern {
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One field of a content type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub name: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(flatten)]
    pub kind: FieldKind,
    pub required: bool,
    pub localized: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// Already in normalized (stored) form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub searchable: Option<f32>,
    pub filterable: bool,
    pub sortable: bool,
    pub facet: bool,
}

/// A content type loaded from `schemas/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentType {
    pub name: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub shared: bool,
    pub default_visibility: Visibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility_field: Option<String>,
    pub title_field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug_field: Option<String>,
    pub fields: Vec<Field>,
}

impl ContentType {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The visibility of a document of this type (from `visibility_field` if set and
    /// present, else `default_visibility`).
    pub fn visibility_of(&self, fields: &serde_json::Map<String, serde_json::Value>) -> Visibility {
        self.visibility_field
            .as_deref()
            .and_then(|name| fields.get(name))
            .and_then(|v| v.as_str())
            .and_then(Visibility::parse)
            .unwrap_or(self.default_visibility)
    }
}

/// A problem in a schema file, with a 1-based position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SchemaError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A problem in a document's field values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kind_names_match_the_list() {
        let kinds = [
            FieldKind::String,
            FieldKind::Text,
            FieldKind::Richtext,
            FieldKind::Slug,
            FieldKind::Enum {
                values: vec![],
                multiple: false,
            },
            FieldKind::Integer,
            FieldKind::Number,
            FieldKind::Boolean,
            FieldKind::Date,
            FieldKind::Datetime,
            FieldKind::Reference { to: "x".into() },
            FieldKind::References { to: "x".into() },
            FieldKind::Media,
            FieldKind::Blocks,
            FieldKind::Json,
        ];
        let names: Vec<&str> = kinds.iter().map(FieldKind::name).collect();
        assert_eq!(names, KIND_NAMES);
        for kind in &kinds {
            assert_eq!(serde_json::to_value(kind).unwrap()["type"], kind.name());
        }
    }

    #[test]
    fn visibility() {
        assert_eq!(Visibility::Members.as_str(), "members");
        assert_eq!(
            serde_json::to_value(Visibility::Public).unwrap(),
            json!("public")
        );
        assert_eq!(
            serde_json::from_value::<Visibility>(json!("members")).unwrap(),
            Visibility::Members
        );
        assert_eq!(Visibility::parse("Members"), None);
    }

    #[test]
    fn visibility_of_uses_the_field_then_the_default() {
        let mut ty = ContentType {
            name: "t".into(),
            label: "T".into(),
            description: None,
            shared: false,
            default_visibility: Visibility::Members,
            visibility_field: None,
            title_field: "t".into(),
            slug_field: None,
            fields: vec![],
        };
        let doc = json!({"v": "public"}).as_object().unwrap().clone();
        assert_eq!(
            ty.visibility_of(&doc),
            Visibility::Members,
            "no visibility field"
        );
        ty.visibility_field = Some("v".into());
        assert_eq!(ty.visibility_of(&doc), Visibility::Public);
        assert_eq!(
            ty.visibility_of(&serde_json::Map::new()),
            Visibility::Members,
            "absent"
        );
        ty.default_visibility = Visibility::Public;
        assert_eq!(
            ty.visibility_of(&json!({"v": "members"}).as_object().unwrap().clone()),
            Visibility::Members
        );
    }

    #[test]
    fn errors_display_with_position() {
        let e = SchemaError {
            file: "schemas/page.toml".into(),
            line: 3,
            column: 7,
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "schemas/page.toml:3:7: bad");
    }
}

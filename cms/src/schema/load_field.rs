//! Reading and checking one `[[fields]]` entry of a schema file.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::{Field, FieldKind, KIND_NAMES, Pattern};
use super::toml_read::{Ctx, to_json};
use super::validate::{fmt_num, normalize_value};
use super::{NAME, NAME_RULE};

const FIELD_KEYS: [&str; 17] = [
    "name",
    "type",
    "label",
    "help",
    "required",
    "localized",
    "min",
    "max",
    "pattern",
    "values",
    "multiple",
    "to",
    "default",
    "searchable",
    "filterable",
    "sortable",
    "facet",
];

/// A field as read from its file, with the spans later checks point at.
pub(super) struct LoadedField {
    pub name: String,
    pub name_span: Range<usize>,
    /// `None` when the field's type could not be determined.
    pub field: Option<Field>,
    pub to: Option<(String, Range<usize>)>,
}

pub(super) fn load_field(ctx: &mut Ctx<'_>, item: &Spanned<DeValue<'_>>) -> Option<LoadedField> {
    let header = item.span();
    let DeValue::Table(t) = item.get_ref() else {
        ctx.err(&header, "each entry of `fields` must be a table");
        return None;
    };
    ctx.check_keys(t, &FIELD_KEYS, "a field");
    let name = ctx.required_string(t, "name", &header);
    if let Some((n, span)) = &name
        && !NAME.is_match(n)
    {
        ctx.err(span, format!("field name `{n}` {NAME_RULE}"));
    }
    let label = ctx.nonempty_string(t, "label", Some(&header));
    let help = ctx.nonempty_string(t, "help", None);
    let kind = load_kind(ctx, t, &header);
    let mut flags = [false; 5];
    for (flag, key) in
        flags
            .iter_mut()
            .zip(["required", "localized", "filterable", "sortable", "facet"])
    {
        *flag = ctx.boolean(t, key).unwrap_or(false);
    }
    let [required, localized, filterable, sortable, facet] = flags;
    let (name, name_span) = name?;
    let to = kind
        .as_ref()
        .and_then(FieldKind::reference_target)
        .zip(t.get("to"))
        .map(|(target, v)| (target.to_string(), v.span()));
    let Some(kind) = kind else {
        return Some(LoadedField {
            name,
            name_span,
            field: None,
            to,
        });
    };
    check_usage(ctx, t, &kind, facet, sortable);
    let (min, max) = load_bounds(ctx, t, &kind);
    let mut field = Field {
        label: label.unwrap_or_else(|| name.clone()),
        name: name.clone(),
        help,
        pattern: load_pattern(ctx, t, &kind),
        kind,
        required,
        localized,
        min,
        max,
        default: None,
        searchable: load_searchable(ctx, t),
        filterable,
        sortable,
        facet,
    };
    field.default = load_default(ctx, t, &field);
    Some(LoadedField {
        name,
        name_span,
        field: Some(field),
        to,
    })
}

/// Reads `type` with its type-specific keys (`values`, `multiple`, `to`).
fn load_kind(ctx: &mut Ctx<'_>, t: &DeTable<'_>, header: &Range<usize>) -> Option<FieldKind> {
    let (type_name, type_span) = ctx.required_string(t, "type", header)?;
    let known = KIND_NAMES.contains(&type_name.as_str());
    let is = |names: &[&str]| !known || names.contains(&type_name.as_str());
    for (key, kinds, what) in [
        ("values", &["enum"][..], "enum fields"),
        ("multiple", &["enum"][..], "enum fields"),
        (
            "to",
            &["reference", "references"][..],
            "reference and references fields",
        ),
    ] {
        if let Some(span) = Ctx::key_span(t, key).filter(|_| !is(kinds)) {
            ctx.err(&span, format!("`{key}` is only allowed on {what}"));
        }
    }
    match type_name.as_str() {
        "string" => Some(FieldKind::String),
        "text" => Some(FieldKind::Text),
        "richtext" => Some(FieldKind::Richtext),
        "slug" => Some(FieldKind::Slug),
        "integer" => Some(FieldKind::Integer),
        "number" => Some(FieldKind::Number),
        "boolean" => Some(FieldKind::Boolean),
        "date" => Some(FieldKind::Date),
        "datetime" => Some(FieldKind::Datetime),
        "media" => Some(FieldKind::Media),
        "blocks" => Some(FieldKind::Blocks),
        "json" => Some(FieldKind::Json),
        "enum" => {
            let multiple = ctx.boolean(t, "multiple").unwrap_or(false);
            let values = load_values(ctx, t, &type_span)?;
            Some(FieldKind::Enum { values, multiple })
        }
        "reference" | "references" => {
            let Some((to, span)) = ctx.string(t, "to") else {
                if t.get("to").is_none() {
                    ctx.err(
                        &type_span,
                        format!("a {type_name} field needs `to` (the target type)"),
                    );
                }
                return None;
            };
            if !NAME.is_match(&to) {
                ctx.err(&span, format!("`to` must name a content type, got `{to}`"));
            }
            Some(if type_name == "reference" {
                FieldKind::Reference { to }
            } else {
                FieldKind::References { to }
            })
        }
        other => {
            ctx.err(
                &type_span,
                format!(
                    "unknown field type `{other}` (expected one of: {})",
                    KIND_NAMES.join(", ")
                ),
            );
            None
        }
    }
}

fn load_values(
    ctx: &mut Ctx<'_>,
    t: &DeTable<'_>,
    type_span: &Range<usize>,
) -> Option<Vec<String>> {
    let Some(value) = t.get("values") else {
        ctx.err(type_span, "an enum field needs `values`");
        return None;
    };
    let DeValue::Array(items) = value.get_ref() else {
        ctx.err(&value.span(), "`values` must be an array of strings");
        return None;
    };
    if items.is_empty() {
        ctx.err(&value.span(), "`values` must not be empty");
        return None;
    }
    let mut values = Vec::new();
    let mut seen = HashSet::new();
    for item in items.iter() {
        match item.get_ref() {
            DeValue::String(s) if s.trim().is_empty() => {
                ctx.err(&item.span(), "enum values must not be empty")
            }
            DeValue::String(s) if !seen.insert(s.to_string()) => {
                ctx.err(&item.span(), format!("duplicate enum value `{s}`"));
            }
            DeValue::String(s) => values.push(s.to_string()),
            _ => ctx.err(&item.span(), "enum values must be strings"),
        }
    }
    (values.len() == items.len()).then_some(values)
}

/// Checks that `facet` and `sortable` are only set where they make sense.
fn check_usage(ctx: &mut Ctx<'_>, t: &DeTable<'_>, kind: &FieldKind, facet: bool, sortable: bool) {
    let type_name = kind.name();
    if facet
        && !matches!(
            kind,
            FieldKind::Enum { .. } | FieldKind::String | FieldKind::Boolean
        )
    {
        let span = Ctx::key_span(t, "facet").unwrap_or_default();
        ctx.err(
            &span,
            format!("`facet` is only allowed on enum, string and boolean fields, not {type_name}"),
        );
    }
    let unsortable = match kind {
        FieldKind::Enum { multiple, .. } => *multiple,
        FieldKind::Blocks
        | FieldKind::Json
        | FieldKind::Richtext
        | FieldKind::References { .. }
        | FieldKind::Media => true,
        _ => false,
    };
    if sortable && unsortable {
        let span = Ctx::key_span(t, "sortable").unwrap_or_default();
        let what = if matches!(kind, FieldKind::Enum { .. }) {
            "multiple enum"
        } else {
            type_name
        };
        ctx.err(&span, format!("`sortable` is not allowed on {what} fields"));
    }
}

/// Reads `min`/`max`: lengths and counts must be whole and non-negative, min <= max.
fn load_bounds(ctx: &mut Ctx<'_>, t: &DeTable<'_>, kind: &FieldKind) -> (Option<f64>, Option<f64>) {
    let (allowed, whole, non_negative) = match kind {
        FieldKind::String | FieldKind::Text | FieldKind::Richtext | FieldKind::Slug => {
            (true, true, true)
        }
        FieldKind::References { .. } | FieldKind::Blocks => (true, true, true),
        FieldKind::Enum { multiple, .. } => (*multiple, true, true),
        FieldKind::Integer => (true, true, false),
        FieldKind::Number => (true, false, false),
        _ => (false, false, false),
    };
    let mut read = |key: &str| {
        let (n, _, span) = ctx.number(t, key)?;
        if !allowed {
            let what = if matches!(kind, FieldKind::Enum { .. }) {
                "single-value enum"
            } else {
                kind.name()
            };
            ctx.err(
                &Ctx::key_span(t, key).unwrap_or_default(),
                format!("`{key}` is not allowed on {what} fields"),
            );
            None
        } else if whole && n.fract() != 0.0 {
            ctx.err(
                &span,
                format!("`{key}` must be a whole number for {} fields", kind.name()),
            );
            None
        } else if non_negative && n < 0.0 {
            ctx.err(&span, format!("`{key}` must not be negative"));
            None
        } else {
            Some((n, span))
        }
    };
    let min = read("min");
    let max = read("max");
    if let (Some((lo, _)), Some((hi, span))) = (&min, &max)
        && lo > hi
    {
        ctx.err(
            span,
            format!(
                "`min` ({}) is greater than `max` ({})",
                fmt_num(*lo),
                fmt_num(*hi)
            ),
        );
    }
    (min.map(|m| m.0), max.map(|m| m.0))
}

fn load_pattern(ctx: &mut Ctx<'_>, t: &DeTable<'_>, kind: &FieldKind) -> Option<Pattern> {
    let (source, span) = ctx.string(t, "pattern")?;
    if !matches!(kind, FieldKind::String | FieldKind::Text | FieldKind::Slug) {
        let key = Ctx::key_span(t, "pattern").unwrap_or_default();
        ctx.err(
            &key,
            format!("`pattern` is not allowed on {} fields", kind.name()),
        );
        return None;
    }
    match regex::Regex::new(&source) {
        Ok(re) => Some(Pattern(re)),
        Err(e) => {
            let detail = e.to_string();
            let reason = detail.lines().last().unwrap_or_default().trim().to_string();
            ctx.err(&span, format!("invalid `pattern`: {reason}"));
            None
        }
    }
}

fn load_searchable(ctx: &mut Ctx<'_>, t: &DeTable<'_>) -> Option<f32> {
    let (n, _, span) = ctx.number(t, "searchable")?;
    if n <= 0.0 || n > f64::from(f32::MAX) {
        ctx.err(&span, "`searchable` must be a boost greater than 0");
        return None;
    }
    Some(n as f32)
}

/// Reads `default` and normalizes it with the field's own validation.
fn load_default(ctx: &mut Ctx<'_>, t: &DeTable<'_>, field: &Field) -> Option<serde_json::Value> {
    let value = t.get("default")?;
    let Some(json) = to_json(value) else {
        ctx.err(&value.span(), "`default` must be a finite value");
        return None;
    };
    let mut errors = Vec::new();
    let normalized = normalize_value(field, &json, "default", &mut errors);
    if !errors.is_empty() {
        let reasons: Vec<String> = errors
            .iter()
            .map(|e| format!("{} ({}: {})", e.message, e.path, e.code))
            .collect();
        ctx.err(
            &value.span(),
            format!("invalid `default`: {}", reasons.join("; ")),
        );
    }
    normalized
}

//! Validation and normalization of a document's field values (`ContentType::normalize`).

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use regex::Regex;
use serde_json::{Map, Value};

use super::blocks::normalize_blocks;
use super::builtin_regex;
use super::ids::is_ulid;
use super::model::{ContentType, Field, FieldError, FieldKind};
use super::richtext::normalize_richtext;

static SLUG: LazyLock<Regex> = LazyLock::new(|| builtin_regex(SLUG_PATTERN));
static DATE: LazyLock<Regex> = LazyLock::new(|| builtin_regex(r"^\d{4}-\d{2}-\d{2}$"));

/// The slug shape, shared with the OpenAPI output.
pub(super) const SLUG_PATTERN: &str = r"^[a-z0-9]+(?:-[a-z0-9]+)*$";
/// Maximum slug length when the field sets no `max`.
pub(super) const SLUG_MAX: f64 = 200.0;
/// Maximum serialized size of a json field.
pub(super) const JSON_MAX_BYTES: usize = 64 * 1024;

impl ContentType {
    /// Validates and normalizes a whole document (a locale's complete set of fields).
    /// Fills defaults, drops null optional fields, orders fields as the schema does,
    /// and reports every error.
    pub fn normalize(
        &self,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        for key in fields.keys() {
            if self.field(key).is_none() {
                errors.push(FieldError::new(
                    format!("fields.{key}"),
                    "unknown_field",
                    format!("`{key}` is not a field of {}", self.name),
                ));
            }
        }
        let mut out = Map::new();
        for field in &self.fields {
            let path = format!("fields.{}", field.name);
            match fields.get(&field.name).filter(|v| !v.is_null()) {
                Some(value) => {
                    if let Some(v) = normalize_value(field, value, &path, &mut errors) {
                        out.insert(field.name.clone(), v);
                    }
                }
                None => {
                    if let Some(default) = &field.default {
                        out.insert(field.name.clone(), default.clone());
                    } else if field.required {
                        errors.push(FieldError::new(
                            path,
                            "required",
                            format!("{} is required", field.label),
                        ));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// Validates one (non-null) value against its field; `None` when it pushed errors.
pub(super) fn normalize_value(
    field: &Field,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let before = errors.len();
    let out = match &field.kind {
        FieldKind::String => string(field, value, path, errors, true),
        FieldKind::Text => string(field, value, path, errors, false),
        FieldKind::Richtext => normalize_richtext(field, value, path, errors),
        FieldKind::Slug => slug(field, value, path, errors),
        FieldKind::Enum { values, multiple } => {
            if *multiple {
                enum_many(field, values, value, path, errors)
            } else {
                enum_one(values, value, path, errors)
            }
        }
        FieldKind::Integer => integer(field, value, path, errors),
        FieldKind::Number => number(field, value, path, errors),
        FieldKind::Boolean => value
            .is_boolean()
            .then(|| value.clone())
            .or_else(|| wrong_type(path, "true or false", errors)),
        FieldKind::Date => date(value, path, errors),
        FieldKind::Datetime => datetime(value, path, errors),
        FieldKind::Reference { .. } | FieldKind::Media => id(value, path, errors),
        FieldKind::References { .. } => references(field, value, path, errors),
        FieldKind::Blocks => normalize_blocks(field, value, path, errors),
        FieldKind::Json => json(value, path, errors),
    };
    if errors.len() > before { None } else { out }
}

pub(super) fn wrong_type(
    path: &str,
    expected: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    errors.push(FieldError::new(
        path,
        "wrong_type",
        format!("must be {expected}"),
    ));
    None
}

/// Formats a bound without a trailing `.0` for whole numbers.
pub(super) fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Checks a length (characters or items) against `min`/`max`.
pub(super) fn check_len(
    min: Option<f64>,
    max: Option<f64>,
    len: usize,
    unit: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let n = len as f64;
    if let Some(min) = min.filter(|m| n < *m) {
        errors.push(FieldError::new(
            path,
            "too_short",
            format!("must have at least {} {unit}", fmt_num(min)),
        ));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        errors.push(FieldError::new(
            path,
            "too_long",
            format!("must have at most {} {unit}", fmt_num(max)),
        ));
    }
}

fn check_range(field: &Field, n: f64, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(min) = field.min.filter(|m| n < *m) {
        errors.push(FieldError::new(
            path,
            "too_small",
            format!("must be at least {}", fmt_num(min)),
        ));
    }
    if let Some(max) = field.max.filter(|m| n > *m) {
        errors.push(FieldError::new(
            path,
            "too_large",
            format!("must be at most {}", fmt_num(max)),
        ));
    }
}

fn string(
    field: &Field,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
    single_line: bool,
) -> Option<Value> {
    let Some(s) = value.as_str() else {
        return wrong_type(path, "a string", errors);
    };
    if single_line && (s.contains('\n') || s.contains('\r')) {
        errors.push(FieldError::new(
            path,
            "invalid_format",
            "must be a single line",
        ));
    }
    check_len(
        field.min,
        field.max,
        s.chars().count(),
        "characters",
        path,
        errors,
    );
    check_pattern(field, s, path, errors);
    Some(value.clone())
}

fn check_pattern(field: &Field, s: &str, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(p) = field.pattern.as_ref().filter(|p| !p.is_match(s)) {
        errors.push(FieldError::new(
            path,
            "pattern",
            format!("must match {}", p.as_str()),
        ));
    }
}

fn slug(field: &Field, value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let Some(s) = value.as_str() else {
        return wrong_type(path, "a string", errors);
    };
    if !SLUG.is_match(s) {
        errors.push(FieldError::new(
            path,
            "invalid_slug",
            "must be lower-case letters and digits separated by single hyphens",
        ));
    }
    check_len(
        field.min,
        Some(field.max.unwrap_or(SLUG_MAX)),
        s.chars().count(),
        "characters",
        path,
        errors,
    );
    check_pattern(field, s, path, errors);
    Some(value.clone())
}

fn enum_one(
    values: &[String],
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(s) = value.as_str() else {
        return wrong_type(path, "a string", errors);
    };
    if !values.iter().any(|v| v == s) {
        errors.push(FieldError::new(
            path,
            "not_in_enum",
            format!("must be one of: {}", values.join(", ")),
        ));
    }
    Some(value.clone())
}

fn enum_many(
    field: &Field,
    values: &[String],
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(items) = value.as_array() else {
        return wrong_type(path, "an array of strings", errors);
    };
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        if enum_one(values, item, &item_path, errors).is_some()
            && let Some(s) = item.as_str().filter(|s| !seen.insert(*s))
        {
            errors.push(FieldError::new(
                item_path,
                "duplicate",
                format!("`{s}` is repeated"),
            ));
        }
    }
    check_len(field.min, field.max, items.len(), "items", path, errors);
    Some(value.clone())
}

fn integer(
    field: &Field,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(n) = value.as_i64() else {
        return wrong_type(path, "an integer", errors);
    };
    check_range(field, n as f64, path, errors);
    Some(value.clone())
}

fn number(field: &Field, value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let Some(n) = value.as_f64() else {
        return wrong_type(path, "a number", errors);
    };
    check_range(field, n, path, errors);
    Some(value.clone())
}

fn date(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let Some(s) = value.as_str() else {
        return wrong_type(path, "a date string (YYYY-MM-DD)", errors);
    };
    if !DATE.is_match(s) || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
        errors.push(FieldError::new(
            path,
            "invalid_date",
            "must be a calendar date as YYYY-MM-DD",
        ));
    }
    Some(value.clone())
}

fn datetime(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let Some(s) = value.as_str() else {
        return wrong_type(path, "an RFC 3339 date-time string", errors);
    };
    match DateTime::parse_from_rfc3339(s) {
        Ok(dt) => Some(Value::String(
            dt.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::Millis, true),
        )),
        Err(_) => {
            errors.push(FieldError::new(
                path,
                "invalid_datetime",
                "must be an RFC 3339 date-time",
            ));
            None
        }
    }
}

fn id(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let Some(s) = value.as_str() else {
        return wrong_type(path, "an id string", errors);
    };
    if !is_ulid(s) {
        errors.push(FieldError::new(
            path,
            "invalid_id",
            "must be a 26-character id",
        ));
    }
    Some(value.clone())
}

fn references(
    field: &Field,
    value: &Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Some(items) = value.as_array() else {
        return wrong_type(path, "an array of ids", errors);
    };
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        if id(item, &item_path, errors).is_some()
            && let Some(s) = item.as_str().filter(|s| !seen.insert(*s))
        {
            errors.push(FieldError::new(
                item_path,
                "duplicate",
                format!("`{s}` is repeated"),
            ));
        }
    }
    check_len(field.min, field.max, items.len(), "items", path, errors);
    Some(value.clone())
}

fn json(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let size = serde_json::to_string(value).map_or(usize::MAX, |s| s.len());
    if size > JSON_MAX_BYTES {
        errors.push(FieldError::new(
            path,
            "too_large",
            format!("must serialize to at most {JSON_MAX_BYTES} bytes"),
        ));
    }
    Some(value.clone())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::super::test_support::all_kinds_type;
    use super::*;

    const ID1: &str = "01JD0000000000000000000001";
    const ID2: &str = "01JD0000000000000000000002";

    fn all() -> ContentType {
        all_kinds_type()
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    /// The (path, code) pairs of normalizing `{"s": "ok", field: value}`.
    fn codes_for(field: &str, value: Value) -> Vec<(String, String)> {
        let mut doc = obj(json!({"s": "ok"}));
        doc.insert(field.into(), value);
        match all().normalize(&doc) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.path, e.code)).collect(),
        }
    }

    fn assert_code(field: &str, value: Value, path: &str, code: &str) {
        let got = codes_for(field, value.clone());
        assert_eq!(
            got,
            [(path.to_string(), code.to_string())],
            "{field} = {value}"
        );
    }

    fn assert_ok(field: &str, value: Value) {
        assert_eq!(
            codes_for(field, value.clone()),
            Vec::<(String, String)>::new(),
            "{field} = {value}"
        );
    }

    #[test]
    fn normalizes_a_full_document() {
        let input = obj(json!({
            "bl": [{"type": "paragraph", "props": {"text": "Hi"}}],
            "s": "abc", "t": "two\nlines", "r": "**b**", "sl": "a-b-1", "e": "a", "em": ["c", "a"],
            "i": 10, "n": -1.5, "b": false, "d": "2024-02-29", "dt": "2024-03-01T12:30:00+02:00",
            "rf": ID1, "rs": [ID1, ID2], "m": ID2, "j": {"any": [1, null]},
        }));
        let out = all().normalize(&input).unwrap();
        let keys: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "s", "t", "r", "sl", "e", "em", "i", "n", "b", "d", "dt", "rf", "rs", "m", "bl",
                "j", "df"
            ]
        );
        assert_eq!(
            out["r"],
            json!({"markdown": "**b**", "html": "<p><strong>b</strong></p>\n"})
        );
        assert_eq!(out["dt"], json!("2024-03-01T10:30:00.000Z"));
        assert_eq!(out["df"], json!("y"), "default filled in");
        assert_eq!(
            out["bl"],
            json!([{"id": "b1", "type": "paragraph", "props": {"text": "Hi"}, "html": "<p>Hi</p>\n"}])
        );
        assert_eq!(out["em"], json!(["c", "a"]));
        assert_eq!(all().normalize(&out).unwrap(), out, "idempotent");
    }

    #[test]
    fn defaults_fill_missing_and_null_but_not_given_values() {
        let ty = all();
        assert_eq!(
            ty.normalize(&obj(json!({"s": "ab"}))).unwrap(),
            obj(json!({"s": "ab", "df": "y"}))
        );
        assert_eq!(
            ty.normalize(&obj(json!({"s": "ab", "df": null}))).unwrap()["df"],
            json!("y")
        );
        assert_eq!(
            ty.normalize(&obj(json!({"s": "ab", "df": "x"}))).unwrap()["df"],
            json!("x")
        );
        let out = ty
            .normalize(&obj(json!({"s": "ab", "t": null, "j": null})))
            .unwrap();
        assert!(
            !out.contains_key("t") && !out.contains_key("j"),
            "null optional fields are dropped"
        );
    }

    #[test]
    fn unknown_and_required() {
        let errors = all()
            .normalize(&obj(json!({"zzz": 1, "s": null})))
            .unwrap_err();
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.path.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [("fields.zzz", "unknown_field"), ("fields.s", "required")]
        );
        assert_ok("r", json!(null));
    }

    #[test]
    fn string_and_text() {
        assert_code("s", json!(5), "fields.s", "wrong_type");
        let multi = codes_for("s", json!("ab\ncd"));
        assert!(
            multi.contains(&("fields.s".into(), "invalid_format".into())),
            "{multi:?}"
        );
        assert_code("s", json!("a"), "fields.s", "too_short");
        assert_code("s", json!("abcdef"), "fields.s", "too_long");
        assert_code("s", json!("AB"), "fields.s", "pattern");
        assert_ok("s", json!("abcde"));
        assert_ok("t", json!("line\nline"));
        assert_ok("t", json!("ééééééééé\n"));
        assert_code("t", json!("12345678901"), "fields.t", "too_long");
        assert_code("t", json!(["x"]), "fields.t", "wrong_type");
    }

    #[test]
    fn richtext() {
        assert_ok(
            "r",
            json!({"markdown": "x", "html": "<script>ignored</script>"}),
        );
        assert_code("r", json!(1), "fields.r", "wrong_type");
        assert_code(
            "r",
            json!({"html": "<p>x</p>"}),
            "fields.r.markdown",
            "required",
        );
        assert_code(
            "r",
            json!({"markdown": 1}),
            "fields.r.markdown",
            "wrong_type",
        );
        assert_code(
            "r",
            json!({"markdown": "x", "extra": 1}),
            "fields.r.extra",
            "unknown_field",
        );
        assert_code("r", json!("x".repeat(21)), "fields.r", "too_long");
        let out = all()
            .normalize(&obj(
                json!({"s": "ab", "r": {"markdown": "<b onclick=x>y</b>", "html": "<b>"}}),
            ))
            .unwrap();
        assert_eq!(out["r"]["html"], json!("<p><b>y</b></p>\n"));
    }

    #[test]
    fn slug() {
        assert_ok("sl", json!("a1-b2"));
        for bad in ["A", "a--b", "-a", "a-", "a b", "", "a_b"] {
            assert_code("sl", json!(bad), "fields.sl", "invalid_slug");
        }
        assert_ok("sl", json!("a".repeat(200)));
        assert_code("sl", json!("a".repeat(201)), "fields.sl", "too_long");
        assert_code("sl", json!(1), "fields.sl", "wrong_type");
    }

    #[test]
    fn enums() {
        assert_ok("e", json!("b"));
        assert_code("e", json!("c"), "fields.e", "not_in_enum");
        assert_code("e", json!(["a"]), "fields.e", "wrong_type");
        assert_ok("em", json!(["a", "b"]));
        assert_code("em", json!("a"), "fields.em", "wrong_type");
        assert_code("em", json!(["a", "a"]), "fields.em[1]", "duplicate");
        assert_code("em", json!(["a", "z"]), "fields.em[1]", "not_in_enum");
        assert_code("em", json!(["a", 1]), "fields.em[1]", "wrong_type");
        assert_code("em", json!([]), "fields.em", "too_short");
        assert_code("em", json!(["a", "b", "c"]), "fields.em", "too_long");
    }

    #[test]
    fn numbers() {
        assert_ok("i", json!(0));
        assert_code("i", json!(1.5), "fields.i", "wrong_type");
        assert_code("i", json!("1"), "fields.i", "wrong_type");
        assert_code("i", json!(-1), "fields.i", "too_small");
        assert_code("i", json!(11), "fields.i", "too_large");
        assert_ok("n", json!(2.5));
        assert_ok("n", json!(1));
        assert_code("n", json!(-1.6), "fields.n", "too_small");
        assert_code("n", json!(2.51), "fields.n", "too_large");
        assert_code("n", json!("2"), "fields.n", "wrong_type");
        assert_ok("b", json!(true));
        assert_code("b", json!("true"), "fields.b", "wrong_type");
    }

    #[test]
    fn dates() {
        assert_ok("d", json!("2024-02-29"));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-5",
            "2024-01-01T00:00:00Z",
            "01/02/2024",
            "",
        ] {
            assert_code("d", json!(bad), "fields.d", "invalid_date");
        }
        assert_code("d", json!(20240101), "fields.d", "wrong_type");
        assert_ok("dt", json!("2024-01-01T00:00:00Z"));
        assert_ok("dt", json!("2024-01-01T00:00:00.123456-05:00"));
        for bad in [
            "2024-01-01",
            "2024-01-01T00:00:00",
            "yesterday",
            "2024-02-30T00:00:00Z",
        ] {
            assert_code("dt", json!(bad), "fields.dt", "invalid_datetime");
        }
        let out = all()
            .normalize(&obj(
                json!({"s": "ab", "dt": "2024-01-01T00:00:00.123456-05:00"}),
            ))
            .unwrap();
        assert_eq!(out["dt"], json!("2024-01-01T05:00:00.123Z"));
    }

    #[test]
    fn ids() {
        assert_ok("rf", json!(ID1));
        assert_code("rf", json!("not-an-id"), "fields.rf", "invalid_id");
        assert_code("rf", json!(ID1.to_lowercase()), "fields.rf", "invalid_id");
        assert_code("rf", json!(1), "fields.rf", "wrong_type");
        assert_code("m", json!("x"), "fields.m", "invalid_id");
        assert_ok("rs", json!([ID1, ID2]));
        assert_code("rs", json!([ID1, ID1]), "fields.rs[1]", "duplicate");
        assert_code("rs", json!([ID1, "x"]), "fields.rs[1]", "invalid_id");
        assert_code(
            "rs",
            json!([ID1, ID2, "01JD0000000000000000000003"]),
            "fields.rs",
            "too_long",
        );
        assert_code("rs", json!(ID1), "fields.rs", "wrong_type");
    }

    #[test]
    fn json_size_limit() {
        assert_ok("j", json!("x".repeat(JSON_MAX_BYTES - 2)));
        assert_code(
            "j",
            json!("x".repeat(JSON_MAX_BYTES - 1)),
            "fields.j",
            "too_large",
        );
    }

    #[test]
    fn blocks_count_and_nested_paths() {
        assert_code("bl", json!({}), "fields.bl", "wrong_type");
        let p = json!({"type": "paragraph", "props": {"text": "x"}});
        assert_code("bl", json!([p, p, p]), "fields.bl", "too_long");
        assert_code(
            "bl",
            json!([p, {"type": "heading", "props": {"text": "x", "size": 1}}]),
            "fields.bl[1].props.size",
            "unknown_field",
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let input = obj(json!({
            "s": "A", "t": 1, "sl": "Bad Slug", "e": "z", "i": 1.5, "d": "2024-02-30",
            "rs": [ID1, ID1], "bl": [{"type": "nope"}, {"type": "heading", "props": {}}], "extra": true,
        }));
        let errors = all().normalize(&input).unwrap_err();
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.path.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("fields.extra", "unknown_field"),
                ("fields.s", "too_short"),
                ("fields.s", "pattern"),
                ("fields.t", "wrong_type"),
                ("fields.sl", "invalid_slug"),
                ("fields.e", "not_in_enum"),
                ("fields.i", "wrong_type"),
                ("fields.d", "invalid_date"),
                ("fields.rs[1]", "duplicate"),
                ("fields.bl[0].type", "unknown_block"),
                ("fields.bl[1].props.text", "required"),
            ]
        );
        assert!(errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn field_errors_serialize() {
        let e = FieldError::new("fields.x", "required", "X is required");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"path": "fields.x", "code": "required", "message": "X is required"})
        );
    }
}

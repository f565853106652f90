//! Typed, span-aware reading of parsed TOML tables, reporting problems as `SchemaError`s.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::model::SchemaError;

/// One schema file being read: its name, text, line index and the errors found so far.
pub(super) struct Ctx<'a> {
    pub file: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
    pub errors: Vec<SchemaError>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Ctx<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Ctx {
            file,
            text,
            line_starts,
            errors: Vec::new(),
        }
    }

    /// 1-based (line, column) of a byte offset; the column counts characters.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column)
    }

    pub fn error_at(&self, span: &Range<usize>, message: impl Into<String>) -> SchemaError {
        let (line, column) = self.position(span.start);
        SchemaError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    pub fn err(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let e = self.error_at(span, message);
        self.errors.push(e);
    }

    /// Reports every key of `table` that is not in `allowed`.
    pub fn check_keys(&mut self, table: &DeTable<'_>, allowed: &[&str], what: &str) {
        for key in table.keys() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                self.err(
                    &key.span(),
                    format!("unknown key `{}` in {what}", key.get_ref()),
                );
            }
        }
    }

    pub fn string(&mut self, table: &DeTable<'_>, key: &str) -> Option<(String, Range<usize>)> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some((s.to_string(), value.span())),
            _ => {
                self.err(&value.span(), format!("`{key}` must be a string"));
                None
            }
        }
    }

    /// A required string; a missing key is reported at `missing_at`.
    pub fn required_string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        missing_at: &Range<usize>,
    ) -> Option<(String, Range<usize>)> {
        if table.get(key).is_none() {
            self.err(missing_at, format!("missing required key `{key}`"));
            return None;
        }
        self.string(table, key)
    }

    /// A non-empty label-like string.
    pub fn nonempty_string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        missing_at: Option<&Range<usize>>,
    ) -> Option<String> {
        let found = match missing_at {
            Some(at) => self.required_string(table, key, at),
            None => self.string(table, key),
        };
        let (s, span) = found?;
        if s.trim().is_empty() {
            self.err(&span, format!("`{key}` must not be empty"));
        }
        Some(s)
    }

    pub fn boolean(&mut self, table: &DeTable<'_>, key: &str) -> Option<bool> {
        let value = table.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.err(&value.span(), format!("`{key}` must be true or false"));
                None
            }
        }
    }

    /// A finite number; the flag tells whether it was written as an integer.
    pub fn number(&mut self, table: &DeTable<'_>, key: &str) -> Option<(f64, bool, Range<usize>)> {
        let value = table.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| (n as f64, true)),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok().map(|n| (n, false)),
            _ => None,
        };
        match parsed {
            Some((n, is_int)) if n.is_finite() => Some((n, is_int, value.span())),
            _ => {
                self.err(&value.span(), format!("`{key}` must be a finite number"));
                None
            }
        }
    }

    /// Span of a key itself (for "not allowed here" errors).
    pub fn key_span(table: &DeTable<'_>, key: &str) -> Option<Range<usize>> {
        table.get_key_value(key).map(|(k, _)| k.span())
    }
}

/// Converts a TOML value to JSON (datetimes become their TOML text); `None` for NaN/inf.
pub(super) fn to_json(value: &Spanned<DeValue<'_>>) -> Option<serde_json::Value> {
    use serde_json::Value;
    Some(match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => Value::from(i64::from_str_radix(i.as_str(), i.radix()).ok()?),
        DeValue::Float(f) => {
            let n: f64 = f.as_str().parse().ok()?;
            Value::Number(serde_json::Number::from_f64(n)?)
        }
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        DeValue::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| Some((k.get_ref().to_string(), to_json(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let ctx = Ctx::new("f.toml", "ab\nçd = 1\n");
        assert_eq!(ctx.position(0), (1, 1));
        assert_eq!(ctx.position(1), (1, 2));
        assert_eq!(ctx.position(3), (2, 1));
        // "ç" is two bytes: offset 6 is the third character of line 2.
        assert_eq!(ctx.position(6), (2, 3));
        assert_eq!(ctx.position(999), (3, 1));
    }

    #[test]
    fn toml_values_convert_to_json() {
        let t = DeTable::parse("a = [1, 2.5, \"x\", true, { b = 0x10 }]").unwrap();
        let v = to_json(t.get_ref().get("a").unwrap()).unwrap();
        assert_eq!(v, serde_json::json!([1, 2.5, "x", true, {"b": 16}]));
    }
}

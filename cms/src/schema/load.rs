//! Reading and checking one schema file (a content type) with file:line:column errors.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};

use super::load_field::{LoadedField, load_field};
use super::model::{ContentType, FieldKind, SchemaError, Visibility};
use super::toml_read::Ctx;
use super::{NAME, NAME_RULE};

const TYPE_KEYS: [&str; 9] = [
    "name",
    "label",
    "description",
    "shared",
    "default_visibility",
    "visibility_field",
    "title_field",
    "slug_field",
    "fields",
];

/// The outcome of reading one file: the type when the file is valid, plus what the
/// registry needs for checks across files.
pub(super) struct LoadedType {
    /// The declared name and where to report a clash.
    pub name: Option<(String, SchemaError)>,
    pub ty: Option<ContentType>,
    /// Reference targets, each with the error to report if the target does not exist.
    pub refs: Vec<(String, SchemaError)>,
    pub errors: Vec<SchemaError>,
}

pub(super) fn load_type(file: &str, text: &str) -> LoadedType {
    let mut ctx = Ctx::new(file, text);
    let mut out = LoadedType {
        name: None,
        ty: None,
        refs: Vec::new(),
        errors: Vec::new(),
    };
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            ctx.err(
                &e.span().unwrap_or_default(),
                format!("invalid TOML: {}", e.message()),
            );
            out.errors = ctx.errors;
            return out;
        }
    };
    let root = doc.get_ref();
    let top = 0..0;
    ctx.check_keys(root, &TYPE_KEYS, "a content type");
    let name = ctx.required_string(root, "name", &top);
    if let Some((n, span)) = &name {
        check_type_name(&mut ctx, n, span);
        out.name = Some((n.clone(), ctx.error_at(span, "")));
    }
    let label = ctx.nonempty_string(root, "label", Some(&top));
    let description = ctx.nonempty_string(root, "description", None);
    let shared = ctx.boolean(root, "shared").unwrap_or(false);
    let default_visibility = load_visibility(&mut ctx, root);
    let fields = load_fields(&mut ctx, root, &top);
    for f in &fields {
        if let Some((target, span)) = &f.to {
            out.refs.push((
                target.clone(),
                ctx.error_at(span, format!("`to` names unknown content type `{target}`")),
            ));
        }
    }
    let title_field = role_field(&mut ctx, root, "title_field", &fields, Some(&top));
    let slug_field = role_field(&mut ctx, root, "slug_field", &fields, None);
    let visibility_field = role_field(&mut ctx, root, "visibility_field", &fields, None);
    if ctx.errors.is_empty()
        && let (Some((name, _)), Some(label), Some(title_field)) = (name, label, title_field)
    {
        out.ty = Some(ContentType {
            name,
            label,
            description,
            shared,
            default_visibility,
            visibility_field,
            title_field,
            slug_field,
            fields: fields.into_iter().filter_map(|f| f.field).collect(),
        });
    }
    out.errors = ctx.errors;
    out.errors.sort_by_key(|e| (e.line, e.column));
    out
}

fn check_type_name(ctx: &mut Ctx<'_>, name: &str, span: &Range<usize>) {
    if !NAME.is_match(name) {
        ctx.err(span, format!("type name `{name}` {NAME_RULE}"));
    }
    let stem = Path::new(ctx.file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if name != stem {
        ctx.err(
            span,
            format!("type name `{name}` must equal the file name stem `{stem}`"),
        );
    }
}

fn load_visibility(ctx: &mut Ctx<'_>, root: &DeTable<'_>) -> Visibility {
    let Some((v, span)) = ctx.string(root, "default_visibility") else {
        return Visibility::Public;
    };
    Visibility::parse(&v).unwrap_or_else(|| {
        ctx.err(
            &span,
            format!("`default_visibility` must be \"public\" or \"members\", got \"{v}\""),
        );
        Visibility::Public
    })
}

fn load_fields(ctx: &mut Ctx<'_>, root: &DeTable<'_>, top: &Range<usize>) -> Vec<LoadedField> {
    let Some(value) = root.get("fields") else {
        ctx.err(top, "missing required key `fields` (add [[fields]] tables)");
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        ctx.err(
            &value.span(),
            "`fields` must be an array of tables ([[fields]])",
        );
        return Vec::new();
    };
    if items.is_empty() {
        ctx.err(&value.span(), "a content type needs at least one field");
    }
    let mut fields: Vec<LoadedField> = Vec::new();
    for item in items.iter() {
        let Some(f) = load_field(ctx, item) else {
            continue;
        };
        if fields.iter().any(|g| g.name == f.name) {
            ctx.err(&f.name_span, format!("duplicate field name `{}`", f.name));
            continue;
        }
        fields.push(f);
    }
    fields
}

/// Reads `title_field`, `slug_field` or `visibility_field` and checks the named field
/// exists and has a suitable type.
fn role_field(
    ctx: &mut Ctx<'_>,
    root: &DeTable<'_>,
    key: &str,
    fields: &[LoadedField],
    required_at: Option<&Range<usize>>,
) -> Option<String> {
    let (name, span) = match required_at {
        Some(at) => ctx.required_string(root, key, at)?,
        None => ctx.string(root, key)?,
    };
    let Some(found) = fields.iter().find(|f| f.name == name) else {
        ctx.err(&span, format!("`{key}` names missing field `{name}`"));
        return None;
    };
    let Some(field) = &found.field else {
        return Some(name);
    };
    let kind = field.kind.name();
    let problem = match (key, &field.kind) {
        ("title_field", FieldKind::String | FieldKind::Text | FieldKind::Slug) => None,
        ("title_field", _) => Some(format!("must be a string, text or slug field, not {kind}")),
        ("slug_field", FieldKind::Slug) => None,
        ("slug_field", _) => Some(format!("must be a slug field, not {kind}")),
        (
            _,
            FieldKind::Enum {
                values,
                multiple: false,
            },
        ) if is_visibility_values(values) => {
            field.localized.then(|| "must not be localized".to_string())
        }
        _ => Some(
            "must be a single-value enum with exactly the values \"public\" and \"members\""
                .to_string(),
        ),
    };
    match problem {
        Some(p) => {
            ctx.err(&span, format!("`{key}` field `{name}` {p}"));
            None
        }
        None => Some(name),
    }
}

fn is_visibility_values(values: &[String]) -> bool {
    let mut sorted: Vec<&str> = values.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted == ["members", "public"]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A valid type `t` whose first field (title) ends on line 8; tests append to it.
    const HEAD: &str = "name = \"t\"\nlabel = \"T\"\ntitle_field = \"title\"\n\n[[fields]]\nname = \"title\"\ntype = \"string\"\nlabel = \"Title\"\n";

    fn errors(file: &str, text: &str) -> Vec<SchemaError> {
        let loaded = load_type(file, text);
        assert_eq!(loaded.ty.is_some(), loaded.errors.is_empty());
        loaded.errors
    }

    /// Asserts the exact list of (line, column, message fragment) for `t.toml`.
    fn check(text: &str, expected: &[(usize, usize, &str)]) {
        let errors = errors("t.toml", text);
        let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), expected.len(), "{got:#?}");
        for (e, (line, column, fragment)) in errors.iter().zip(expected) {
            assert_eq!((e.line, e.column), (*line, *column), "{got:#?}");
            assert!(
                e.message.contains(fragment),
                "{:?} lacks {fragment:?}",
                e.message
            );
            assert_eq!(e.file, "t.toml");
        }
    }

    fn field(extra: &str) -> String {
        format!("{HEAD}\n[[fields]]\n{extra}")
    }

    #[test]
    fn valid_minimal_type() {
        let loaded = load_type("t.toml", HEAD);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let ty = loaded.ty.unwrap();
        assert_eq!(ty.name, "t");
        assert!(!ty.shared);
        assert_eq!(ty.default_visibility, Visibility::Public);
        assert_eq!(ty.fields.len(), 1);
        assert!(!ty.fields[0].required && !ty.fields[0].localized);
    }

    #[test]
    fn toml_syntax_error_has_position() {
        check("name = \"t\"\nlabel = \n", &[(2, 9, "invalid TOML")]);
    }

    #[test]
    fn unknown_keys() {
        check(
            &format!("colour = 1\n{HEAD}"),
            &[(1, 1, "unknown key `colour` in a content type")],
        );
        check(
            &field("name = \"x\"\ntype = \"string\"\nlabel = \"X\"\nrequird = true\n"),
            &[(14, 1, "unknown key `requird` in a field")],
        );
    }

    #[test]
    fn bad_names() {
        check(
            &HEAD.replace("name = \"t\"", "name = \"T-1\""),
            &[(1, 8, "must match"), (1, 8, "file name stem")],
        );
        check(
            &field("name = \"Bad Name\"\ntype = \"string\"\nlabel = \"X\"\n"),
            &[(11, 8, "field name `Bad Name`")],
        );
    }

    #[test]
    fn name_must_equal_file_stem() {
        let e = errors("schemas/other.toml", HEAD);
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].to_string(),
            "schemas/other.toml:1:8: type name `t` must equal the file name stem `other`"
        );
    }

    #[test]
    fn missing_required_keys() {
        check(
            "label = \"T\"\ntitle_field = \"x\"\n",
            &[
                (1, 1, "`name`"),
                (1, 1, "`fields`"),
                (2, 15, "missing field `x`"),
            ],
        );
        check(
            &field("name = \"x\"\n"),
            &[(10, 1, "`label`"), (10, 1, "`type`")],
        );
        check(
            "name = \"t\"\nlabel = \"T\"\nfields = []\n",
            &[(1, 1, "`title_field`"), (3, 10, "at least one field")],
        );
    }

    #[test]
    fn duplicate_field_names() {
        check(
            &field("name = \"title\"\ntype = \"text\"\nlabel = \"Again\"\n"),
            &[(11, 8, "duplicate field name `title`")],
        );
    }

    #[test]
    fn bad_type_names() {
        check(
            &field("name = \"x\"\ntype = \"strng\"\nlabel = \"X\"\n"),
            &[(12, 8, "unknown field type `strng`")],
        );
        check(
            &field("name = \"x\"\ntype = 3\nlabel = \"X\"\n"),
            &[(12, 8, "`type` must be a string")],
        );
    }

    #[test]
    fn enum_needs_values() {
        check(
            &field("name = \"x\"\ntype = \"enum\"\nlabel = \"X\"\n"),
            &[(12, 8, "needs `values`")],
        );
        check(
            &field("name = \"x\"\ntype = \"enum\"\nvalues = []\nlabel = \"X\"\n"),
            &[(13, 10, "must not be empty")],
        );
        check(
            &field("name = \"x\"\ntype = \"enum\"\nvalues = [\"a\", \"a\", 1]\nlabel = \"X\"\n"),
            &[
                (13, 16, "duplicate enum value `a`"),
                (13, 21, "must be strings"),
            ],
        );
    }

    #[test]
    fn keys_only_for_some_types() {
        check(
            &field(
                "name = \"x\"\ntype = \"string\"\nvalues = [\"a\"]\nmultiple = true\nto = \"t\"\nlabel = \"X\"\n",
            ),
            &[
                (13, 1, "`values` is only allowed on enum"),
                (14, 1, "`multiple`"),
                (15, 1, "`to` is only allowed"),
            ],
        );
        check(
            &field("name = \"x\"\ntype = \"boolean\"\npattern = \"a\"\nmin = 1\nlabel = \"X\"\n"),
            &[
                (13, 1, "`pattern` is not allowed on boolean"),
                (14, 1, "`min` is not allowed on boolean"),
            ],
        );
        check(
            &field("name = \"x\"\ntype = \"enum\"\nvalues = [\"a\"]\nmax = 2\nlabel = \"X\"\n"),
            &[(14, 1, "single-value enum")],
        );
        check(
            &field("name = \"x\"\ntype = \"reference\"\nlabel = \"X\"\n"),
            &[(12, 8, "needs `to`")],
        );
    }

    #[test]
    fn invalid_regex() {
        check(
            &field("name = \"x\"\ntype = \"string\"\npattern = \"(abc\"\nlabel = \"X\"\n"),
            &[(13, 11, "invalid `pattern`")],
        );
    }

    #[test]
    fn bounds() {
        check(
            &field("name = \"x\"\ntype = \"string\"\nmin = 5\nmax = 2\nlabel = \"X\"\n"),
            &[(14, 7, "`min` (5) is greater than `max` (2)")],
        );
        check(
            &field("name = \"x\"\ntype = \"text\"\nmin = -1\nmax = 2.5\nlabel = \"X\"\n"),
            &[(13, 7, "must not be negative"), (14, 7, "whole number")],
        );
        check(
            &field("name = \"x\"\ntype = \"number\"\nmin = -1.5\nmax = \"9\"\nlabel = \"X\"\n"),
            &[(14, 7, "finite number")],
        );
        let ok = load_type(
            "t.toml",
            &field("name = \"x\"\ntype = \"number\"\nmin = -1.5\nmax = 2.5\nlabel = \"X\"\n"),
        );
        let f = &ok.ty.unwrap().fields[1];
        assert_eq!((f.min, f.max), (Some(-1.5), Some(2.5)));
    }

    #[test]
    fn defaults_must_validate() {
        check(
            &field(
                "name = \"x\"\ntype = \"enum\"\nvalues = [\"a\"]\ndefault = \"b\"\nlabel = \"X\"\n",
            ),
            &[(
                14,
                11,
                "invalid `default`: must be one of: a (default: not_in_enum)",
            )],
        );
        check(
            &field("name = \"x\"\ntype = \"string\"\nmax = 2\ndefault = \"abc\"\nlabel = \"X\"\n"),
            &[(14, 11, "too_long")],
        );
        check(
            &field("name = \"x\"\ntype = \"integer\"\ndefault = 1.5\nlabel = \"X\"\n"),
            &[(13, 11, "wrong_type")],
        );
        let ok = load_type(
            "t.toml",
            &field(
                "name = \"x\"\ntype = \"datetime\"\ndefault = \"2024-01-01T01:00:00+01:00\"\nlabel = \"X\"\n",
            ),
        );
        assert_eq!(
            ok.ty.unwrap().fields[1].default,
            Some(serde_json::json!("2024-01-01T00:00:00.000Z"))
        );
    }

    #[test]
    fn flags_and_usage() {
        check(
            &field("name = \"x\"\ntype = \"text\"\nfacet = true\nlabel = \"X\"\n"),
            &[(13, 1, "`facet` is only allowed")],
        );
        check(
            &field("name = \"x\"\ntype = \"blocks\"\nsortable = true\nlabel = \"X\"\n"),
            &[(13, 1, "not allowed on blocks")],
        );
        check(
            &field(
                "name = \"x\"\ntype = \"enum\"\nmultiple = true\nvalues = [\"a\"]\nsortable = true\nlabel = \"X\"\n",
            ),
            &[(15, 1, "not allowed on multiple enum")],
        );
        check(
            &field("name = \"x\"\ntype = \"media\"\nsortable = true\nlabel = \"X\"\n"),
            &[(13, 1, "not allowed on media")],
        );
        check(
            &field("name = \"x\"\ntype = \"text\"\nrequired = \"yes\"\nlabel = \"X\"\n"),
            &[(13, 12, "true or false")],
        );
        check(
            &field("name = \"x\"\ntype = \"text\"\nsearchable = 0\nlabel = \"X\"\n"),
            &[(13, 14, "greater than 0")],
        );
        check(
            &field("name = \"x\"\ntype = \"text\"\nlabel = \" \"\n"),
            &[(13, 9, "must not be empty")],
        );
        check(
            &HEAD.replace(
                "label = \"T\"",
                "label = \"T\"\ndefault_visibility = \"secret\"",
            ),
            &[(3, 22, "\"public\" or \"members\"")],
        );
    }

    #[test]
    fn role_fields_must_exist_with_the_right_type() {
        check(
            &HEAD.replace("title_field = \"title\"", "title_field = \"nope\""),
            &[(3, 15, "missing field `nope`")],
        );
        check(
            &format!("slug_field = \"title\"\n{HEAD}"),
            &[(1, 14, "must be a slug field, not string")],
        );
        check(
            &format!(
                "visibility_field = \"v\"\n{}",
                field("name = \"v\"\ntype = \"enum\"\nvalues = [\"public\"]\nlabel = \"V\"\n")
            ),
            &[(1, 20, "exactly the values")],
        );
        check(
            &format!(
                "visibility_field = \"v\"\n{}",
                field(
                    "name = \"v\"\ntype = \"enum\"\nvalues = [\"members\", \"public\"]\nlocalized = true\nlabel = \"V\"\n"
                )
            ),
            &[(1, 20, "must not be localized")],
        );
        let text = format!(
            "visibility_field = \"v\"\n{}",
            field(
                "name = \"v\"\ntype = \"enum\"\nvalues = [\"members\", \"public\"]\nlabel = \"V\"\n[[fields]]\nname = \"b\"\ntype = \"boolean\"\nlabel = \"B\"\n"
            )
        );
        let text = text.replace("title_field = \"title\"", "title_field = \"b\"");
        let e = errors("t.toml", &text);
        assert!(
            e.iter()
                .any(|e| e.line == 4 && e.message.contains("not boolean")),
            "{e:?}"
        );
        let ok = load_type(
            "t.toml",
            &format!(
                "visibility_field = \"v\"\n{}",
                field(
                    "name = \"v\"\ntype = \"enum\"\nvalues = [\"members\", \"public\"]\nlabel = \"V\"\n"
                )
            ),
        );
        assert_eq!(ok.ty.unwrap().visibility_field.as_deref(), Some("v"));
    }

    #[test]
    fn every_error_in_a_file_is_reported() {
        let text = format!(
            "{}\n[[fields]]\nname = \"y\"\ntype = \"integer\"\nmin = 3\nmax = 1\nlabel = \"Y\"\n",
            field("name = \"x\"\ntype = \"enum\"\nlabel = \"X\"\nbogus = 1\n")
        );
        check(
            &text,
            &[
                (12, 8, "needs `values`"),
                (14, 1, "unknown key `bogus`"),
                (20, 7, "greater than"),
            ],
        );
    }

    #[test]
    fn references_are_collected_for_the_registry() {
        let loaded = load_type(
            "t.toml",
            &field("name = \"s\"\ntype = \"references\"\nto = \"school\"\nlabel = \"S\"\n"),
        );
        assert_eq!(loaded.refs.len(), 1);
        assert_eq!(loaded.refs[0].0, "school");
        assert_eq!((loaded.refs[0].1.line, loaded.refs[0].1.column), (13, 6));
    }
}

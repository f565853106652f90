//! The registry of content types: loading a schema directory, checks across files, fingerprint.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use super::load::{LoadedType, load_type};
use super::model::{ContentType, SchemaError};

/// Every content type, by name.
#[derive(Debug, Clone)]
pub struct Registry {
    types: BTreeMap<String, ContentType>,
    fingerprint: String,
}

fn file_error(file: &Path, message: impl Display) -> SchemaError {
    SchemaError {
        file: file.display().to_string(),
        line: 1,
        column: 1,
        message: message.to_string(),
    }
}

impl Registry {
    /// Loads every `*.toml` in `dir` (sorted by name). All errors from all files are
    /// returned, not just the first.
    pub fn load_dir(dir: &Path) -> Result<Registry, Vec<SchemaError>> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![file_error(
                dir,
                format!("cannot read schema directory: {e}"),
            )]
        })?;
        let mut errors = Vec::new();
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(e)
                    if e.path().extension().is_some_and(|x| x == "toml") && e.path().is_file() =>
                {
                    paths.push(e.path())
                }
                Ok(_) => {}
                Err(e) => errors.push(file_error(
                    dir,
                    format!("cannot list schema directory: {e}"),
                )),
            }
        }
        paths.sort();
        if paths.is_empty() && errors.is_empty() {
            errors.push(file_error(dir, "no *.toml schema files found"));
        }
        let mut sources = Vec::new();
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push((path.display().to_string(), text)),
                Err(e) => errors.push(file_error(&path, format!("cannot read schema file: {e}"))),
            }
        }
        match Registry::from_sources(&sources) {
            Ok(registry) if errors.is_empty() => Ok(registry),
            Ok(_) => Err(errors),
            Err(more) => Err(errors.into_iter().chain(more).collect()),
        }
    }

    /// Same as [`Registry::load_dir`] from (file name, text) pairs.
    pub fn from_sources(sources: &[(String, String)]) -> Result<Registry, Vec<SchemaError>> {
        let mut loaded: Vec<LoadedType> = sources
            .iter()
            .map(|(file, text)| load_type(file, text))
            .collect();
        let mut defined: BTreeMap<String, usize> = BTreeMap::new();
        for (i, file) in loaded.iter_mut().enumerate() {
            let Some((name, at)) = file.name.clone() else {
                continue;
            };
            match defined.get(&name) {
                Some(&first) => file.errors.push(SchemaError {
                    message: format!(
                        "duplicate type name `{name}` (already defined in {})",
                        sources[first].0
                    ),
                    ..at
                }),
                None => {
                    defined.insert(name, i);
                }
            }
        }
        for file in &mut loaded {
            let unknown = file
                .refs
                .iter()
                .filter(|(target, _)| !defined.contains_key(target));
            let unknown: Vec<SchemaError> = unknown.map(|(_, e)| e.clone()).collect();
            file.errors.extend(unknown);
            file.errors.sort_by_key(|e| (e.line, e.column));
        }
        let errors: Vec<SchemaError> = loaded
            .iter()
            .flat_map(|l| l.errors.iter().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let types: BTreeMap<String, ContentType> = loaded
            .into_iter()
            .filter_map(|l| l.ty)
            .map(|t| (t.name.clone(), t))
            .collect();
        let fingerprint = fingerprint_of(&types);
        Ok(Registry { types, fingerprint })
    }

    pub fn get(&self, name: &str) -> Option<&ContentType> {
        self.types.get(name)
    }

    /// All types, sorted by name.
    pub fn types(&self) -> impl Iterator<Item = &ContentType> {
        self.types.values()
    }

    /// Hex fingerprint of the loaded types; changes when any schema changes meaning
    /// (comments and formatting do not count).
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

/// FNV-1a (64 bit) over the canonical JSON form of every type.
fn fingerprint_of(types: &BTreeMap<String, ContentType>) -> String {
    let canonical = serde_json::to_vec(&types.values().collect::<Vec<_>>()).unwrap_or_default();
    let hash = canonical.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::super::model::{Field, FieldKind, Visibility};
    use super::super::test_support::{real_registry, schemas_dir};
    use super::*;

    /// One line per field, in the order of the content-model contract's flags.
    fn describe(f: &Field) -> String {
        let mut s = format!("{} {}", f.name, f.kind.name());
        let mut flag = |on: bool, text: String| {
            if on {
                s.push(' ');
                s.push_str(&text);
            }
        };
        flag(f.required, "required".into());
        flag(f.localized, "localized".into());
        flag(
            f.min.is_some(),
            format!("min={}", f.min.unwrap_or_default()),
        );
        flag(
            f.max.is_some(),
            format!("max={}", f.max.unwrap_or_default()),
        );
        flag(
            f.searchable.is_some(),
            format!("searchable={}", f.searchable.unwrap_or_default()),
        );
        flag(f.filterable, "filterable".into());
        flag(f.sortable, "sortable".into());
        flag(f.facet, "facet".into());
        flag(
            f.kind.reference_target().is_some(),
            format!("to={}", f.kind.reference_target().unwrap_or_default()),
        );
        flag(
            matches!(f.kind, FieldKind::Enum { multiple: true, .. }),
            "multiple".into(),
        );
        flag(
            f.default.is_some(),
            format!("default={}", f.default.clone().unwrap_or_default()),
        );
        s
    }

    fn enum_values(f: &Field) -> Vec<&str> {
        match &f.kind {
            FieldKind::Enum { values, .. } => values.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// name, shared, visibility_field, title_field, slug_field, fields.
    type Expected = (
        &'static str,
        bool,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
        &'static [&'static str],
    );

    const PHASES: [&str; 6] = [
        "nursery",
        "primary",
        "secondary",
        "all_through",
        "special",
        "post_16",
    ];

    #[test]
    fn real_schemas_match_the_contract() {
        let registry = real_registry();
        let names: Vec<&str> = registry.types().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["page", "practice_article", "school_profile", "testimonial"]
        );
        let expected: [Expected; 4] = [
            (
                "page",
                false,
                None,
                "title",
                Some("slug"),
                &[
                    "title string required localized max=200 searchable=3 filterable sortable",
                    "slug slug required localized filterable",
                    "summary text localized max=500 searchable=1.5",
                    "body blocks localized max=200 searchable=1",
                    "seo_title string localized max=70",
                    "seo_description text localized max=160",
                    "nav_order integer min=0 filterable sortable",
                ],
            ),
            (
                "testimonial",
                false,
                None,
                "author",
                None,
                &[
                    "quote text required localized max=1000 searchable=2",
                    "author string required max=120 searchable=2 filterable sortable",
                    "role string localized max=120",
                    "school reference filterable to=school_profile",
                    "photo media",
                ],
            ),
            (
                "school_profile",
                true,
                None,
                "name",
                Some("slug"),
                &[
                    "name string required max=200 searchable=3 filterable sortable",
                    "slug slug required filterable",
                    "phase enum filterable facet",
                    "address text max=500",
                    "town string max=100 filterable sortable facet",
                    "postcode string max=10 filterable",
                    "region enum filterable facet",
                    "partnership_group string max=200 filterable",
                    "model enum filterable facet",
                    "member_since date filterable sortable",
                    "registered_office boolean filterable default=false",
                    "contact_name string max=120",
                    "contact_role string localized max=120",
                    "telephone string max=30",
                    "email string max=254",
                    "website string max=300",
                    "description richtext localized searchable=1",
                ],
            ),
            (
                "practice_article",
                true,
                Some("visibility"),
                "title",
                Some("slug"),
                &[
                    "title string required localized max=300 searchable=3 filterable sortable",
                    "slug slug required localized filterable",
                    "summary text localized max=1000 searchable=2",
                    "body blocks localized max=200 searchable=1",
                    "topics enum max=10 filterable facet multiple",
                    "phase enum filterable facet",
                    "school reference filterable to=school_profile",
                    "author string max=200 searchable=1 filterable sortable",
                    "visibility enum required filterable facet default=\"public\"",
                ],
            ),
        ];
        for (name, shared, visibility_field, title, slug, fields) in expected {
            let ty = registry.get(name).unwrap();
            assert_eq!(ty.shared, shared, "{name}");
            assert_eq!(ty.default_visibility, Visibility::Public, "{name}");
            assert_eq!(ty.visibility_field.as_deref(), visibility_field, "{name}");
            assert_eq!(ty.title_field, title, "{name}");
            assert_eq!(ty.slug_field.as_deref(), slug, "{name}");
            assert!(!ty.label.is_empty() && ty.description.is_some(), "{name}");
            let got: Vec<String> = ty.fields.iter().map(describe).collect();
            assert_eq!(got, fields, "{name}");
            assert!(ty.fields.iter().all(|f| !f.label.is_empty()), "{name}");
        }
        let school = registry.get("school_profile").unwrap();
        assert_eq!(enum_values(school.field("phase").unwrap()), PHASES);
        assert_eq!(
            enum_values(school.field("model").unwrap()),
            ["foundation_trust", "cooperative_academy", "other"]
        );
        assert_eq!(enum_values(school.field("region").unwrap()).len(), 10);
        assert_eq!(enum_values(school.field("region").unwrap())[9], "wales");
        let postcode = school.field("postcode").unwrap().pattern.as_ref().unwrap();
        assert!(
            postcode.is_match("HU5 4QH")
                && postcode.is_match("SW1A 1AA")
                && !postcode.is_match("hu5 4qh")
        );
        let email = school.field("email").unwrap().pattern.as_ref().unwrap();
        assert!(email.is_match("office@school.example.uk") && !email.is_match("not an email"));
        let article = registry.get("practice_article").unwrap();
        assert_eq!(enum_values(article.field("phase").unwrap()), PHASES);
        let topics = enum_values(article.field("topics").unwrap());
        assert_eq!(topics.len(), 27);
        assert_eq!(
            &topics[..6],
            [
                "self-help",
                "self-responsibility",
                "democracy",
                "equality",
                "equity",
                "solidarity"
            ]
        );
        assert_eq!(topics[26], "ofsted");
    }

    #[test]
    fn real_schemas_normalize_sample_documents() {
        let registry = real_registry();
        let article = registry.get("practice_article").unwrap();
        let doc = json!({"title": "Student voice", "slug": "student-voice", "topics": ["democracy", "student-voice"],
            "body": [{"type": "heading", "props": {"text": "Why"}}, {"type": "paragraph", "props": {"text": "Because."}}]});
        let out = article.normalize(doc.as_object().unwrap()).unwrap();
        assert_eq!(out["visibility"], "public");
        assert_eq!(article.visibility_of(&out), Visibility::Public);
        let mut members = out.clone();
        members.insert("visibility".into(), json!("members"));
        assert_eq!(article.visibility_of(&members), Visibility::Members);
        let school = registry.get("school_profile").unwrap();
        let doc = json!({"name": "Kelvin Hall School", "slug": "kelvin-hall-school", "postcode": "HU5 4QH",
            "town": "Hull", "registered_office": true, "description": "A **co-operative** school."});
        let out = school.normalize(doc.as_object().unwrap()).unwrap();
        assert_eq!(
            out["description"]["html"],
            "<p>A <strong>co-operative</strong> school.</p>\n"
        );
        assert_eq!(school.visibility_of(&out), Visibility::Public);
        let bad = json!({"name": "X", "slug": "x", "postcode": "hu5", "region": "scotland"});
        let codes: Vec<String> = school
            .normalize(bad.as_object().unwrap())
            .unwrap_err()
            .into_iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, ["pattern", "not_in_enum"]);
    }

    fn registry_of(files: &[(&str, &str)]) -> Result<Registry, Vec<SchemaError>> {
        let sources: Vec<(String, String)> = files
            .iter()
            .map(|(f, t)| (f.to_string(), t.to_string()))
            .collect();
        Registry::from_sources(&sources)
    }

    fn simple(name: &str, extra: &str) -> String {
        format!(
            "name = \"{name}\"\nlabel = \"X\"\ntitle_field = \"t\"\n[[fields]]\nname = \"t\"\ntype = \"string\"\nlabel = \"T\"\n{extra}"
        )
    }

    #[test]
    fn references_must_name_a_loaded_type() {
        let r = simple(
            "a",
            "[[fields]]\nname = \"r\"\ntype = \"reference\"\nto = \"b\"\nlabel = \"R\"\n",
        );
        let errors = registry_of(&[("a.toml", &r)]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "a.toml:11:6: `to` names unknown content type `b`"
        );
        let ok = registry_of(&[("a.toml", &r), ("b.toml", &simple("b", ""))]).unwrap();
        assert_eq!(
            ok.get("a").unwrap().field("r").unwrap().kind,
            FieldKind::Reference { to: "b".into() }
        );
        // A target whose own file has errors still exists: no cascade error.
        let broken_b = simple("b", "bogus = 1\n");
        let errors = registry_of(&[("a.toml", &r), ("b.toml", &broken_b)]).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("bogus"));
    }

    #[test]
    fn duplicate_type_names() {
        let errors = registry_of(&[("a.toml", &simple("a", "")), ("x/a.toml", &simple("a", ""))])
            .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "x/a.toml:1:8: duplicate type name `a` (already defined in a.toml)"
        );
    }

    #[test]
    fn errors_from_every_file_are_returned() {
        let errors = registry_of(&[
            ("a.toml", &simple("a", "values = [\"x\"]\n")),
            ("b.toml", &simple("c", "")),
            ("d.toml", "not toml ="),
        ])
        .unwrap_err();
        let got: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{}", e.file, e.line))
            .collect();
        assert_eq!(got, ["a.toml:8", "b.toml:1", "d.toml:1"]);
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("schema-test-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn load_dir_reads_toml_files_sorted_and_reports_paths() {
        let dir = TempDir::new("load");
        std::fs::write(dir.0.join("b.toml"), simple("b", "")).unwrap();
        std::fs::write(
            dir.0.join("a.toml"),
            simple(
                "a",
                "[[fields]]\nname = \"r\"\ntype = \"references\"\nto = \"b\"\nlabel = \"R\"\n",
            ),
        )
        .unwrap();
        std::fs::write(dir.0.join("notes.md"), "ignored").unwrap();
        let registry = Registry::load_dir(&dir.0).unwrap();
        assert_eq!(
            registry
                .types()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        std::fs::write(dir.0.join("c.toml"), simple("wrong", "")).unwrap();
        std::fs::write(dir.0.join("d.toml"), simple("d", "to = 1\n")).unwrap();
        let errors = Registry::load_dir(&dir.0).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].file, dir.0.join("c.toml").display().to_string());
        assert_eq!((errors[0].line, errors[0].column), (1, 8));
        assert_eq!(errors[1].file, dir.0.join("d.toml").display().to_string());
        assert_eq!(errors[1].line, 8);
    }

    #[test]
    fn load_dir_problems() {
        let missing = Registry::load_dir(Path::new("/nonexistent/schemas")).unwrap_err();
        assert!(missing[0].message.contains("cannot read schema directory"));
        let empty = TempDir::new("empty");
        let errors = Registry::load_dir(&empty.0).unwrap_err();
        assert!(errors[0].message.contains("no *.toml"));
    }

    #[test]
    fn real_schema_dir_loads_and_fingerprint_is_stable() {
        let a = Registry::load_dir(&schemas_dir()).unwrap();
        let b = real_registry();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
        assert!(a.fingerprint().chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn fingerprint_follows_meaning_not_formatting() {
        let base = registry_of(&[("a.toml", &simple("a", ""))])
            .unwrap()
            .fingerprint();
        let commented = registry_of(&[("a.toml", &format!("# comment\n\n{}", simple("a", "")))])
            .unwrap()
            .fingerprint();
        assert_eq!(base, commented);
        let relabeled = registry_of(&[(
            "a.toml",
            &simple("a", "").replace("label = \"T\"", "label = \"U\""),
        )])
        .unwrap();
        assert_ne!(base, relabeled.fingerprint());
        let more = registry_of(&[("a.toml", &simple("a", "max = 3\n"))]).unwrap();
        assert_ne!(base, more.fingerprint());
        let two =
            registry_of(&[("a.toml", &simple("a", "")), ("b.toml", &simple("b", ""))]).unwrap();
        assert_ne!(base, two.fingerprint());
    }
}

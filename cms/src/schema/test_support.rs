//! Test helpers: the repository's schema directory, the real registry, and an all-kinds fixture type.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use super::{ContentType, Registry};

/// `schemas/` of the repository: next to the crate's manifest, or (when this module is
/// compiled from another crate by path) three levels above this source file.
pub(super) fn schemas_dir() -> PathBuf {
    let candidates = [
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas")).to_path_buf(),
        Path::new(file!())
            .parent()
            .unwrap_or(Path::new("."))
            .join("../../../schemas"),
    ];
    candidates
        .iter()
        .find(|p| p.join("page.toml").is_file())
        .cloned()
        .unwrap_or_else(|| panic!("schemas directory not found in {candidates:?}"))
}

pub(super) fn real_registry() -> Registry {
    Registry::load_dir(&schemas_dir()).unwrap_or_else(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("schemas do not load:\n{}", lines.join("\n"))
    })
}

/// A type `all` with one field of every kind (and a default), for validation tests.
pub(super) fn all_kinds_type() -> ContentType {
    let registry = Registry::from_sources(&[("all.toml".into(), ALL_KINDS.into())]).unwrap();
    registry.get("all").unwrap().clone()
}

const ALL_KINDS: &str = r#"
name = "all"
label = "All kinds"
title_field = "s"

[[fields]]
name = "s"
type = "string"
label = "S"
required = true
min = 2
max = 5
pattern = '^[a-z]+$'

[[fields]]
name = "t"
type = "text"
label = "T"
max = 10

[[fields]]
name = "r"
type = "richtext"
label = "R"
max = 20

[[fields]]
name = "sl"
type = "slug"
label = "Slug"

[[fields]]
name = "e"
type = "enum"
values = ["a", "b"]
label = "E"

[[fields]]
name = "em"
type = "enum"
multiple = true
values = ["a", "b", "c"]
min = 1
max = 2
label = "Em"

[[fields]]
name = "i"
type = "integer"
min = 0
max = 10
label = "I"

[[fields]]
name = "n"
type = "number"
min = -1.5
max = 2.5
label = "N"

[[fields]]
name = "b"
type = "boolean"
label = "B"

[[fields]]
name = "d"
type = "date"
label = "D"

[[fields]]
name = "dt"
type = "datetime"
label = "Dt"

[[fields]]
name = "rf"
type = "reference"
to = "all"
label = "Rf"

[[fields]]
name = "rs"
type = "references"
to = "all"
max = 2
label = "Rs"

[[fields]]
name = "m"
type = "media"
label = "M"

[[fields]]
name = "bl"
type = "blocks"
max = 2
label = "Bl"

[[fields]]
name = "j"
type = "json"
label = "J"

[[fields]]
name = "df"
type = "enum"
values = ["x", "y"]
default = "y"
label = "Df"
"#;

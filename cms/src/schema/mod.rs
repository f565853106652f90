//! Content model: content types loaded from `schemas/*.toml`, document validation and
//! normalization, block and Markdown rendering, and OpenAPI schemas for fields.

mod block_types;
mod blocks;
mod ids;
mod load;
mod load_field;
mod model;
mod openapi;
mod registry;
mod richtext;
mod toml_read;
mod validate;

#[cfg(test)]
mod test_support;

use std::sync::LazyLock;

use regex::Regex;

pub use blocks::{PLUGIN_PROPS_MAX, plugin_block_type, searchable_text};
pub use ids::is_ulid;
pub use model::{
    ContentType, Field, FieldError, FieldKind, KIND_NAMES, Pattern, SchemaError, Visibility,
};
pub use registry::Registry;
pub use richtext::{escape_html, render_markdown};

/// Type and field names.
static NAME: LazyLock<Regex> = LazyLock::new(|| builtin_regex(r"^[a-z][a-z0-9_]{0,63}$"));
const NAME_RULE: &str = "must match [a-z][a-z0-9_]* (at most 64 characters)";

/// Compiles one of the module's own constant regexes (covered by the tests).
fn builtin_regex(source: &str) -> Regex {
    Regex::new(source).unwrap_or_else(|e| panic!("built-in regex {source:?} is invalid: {e}"))
}

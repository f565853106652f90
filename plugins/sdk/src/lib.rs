//! Write CMS content blocks as WebAssembly components with a plain Rust trait.
//!
//! ```no_run
//! use cms_block_sdk::{BlockInfo, Context, Plugin, Rendered, Value, escape, json};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn blocks() -> Vec<BlockInfo> {
//!         vec![BlockInfo::new("hello", "Hello", json!({"type": "object"}))]
//!     }
//!     fn render(_block: &str, props: &Value, _cx: &Context) -> Result<Rendered, String> {
//!         let name = props["name"].as_str().unwrap_or("world");
//!         Ok(Rendered::new(format!("<p>Hello, {}</p>", escape(name)), format!("Hello, {name}")))
//!     }
//! }
//!
//! cms_block_sdk::export_plugin!(Hello);
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2`; the `.wasm` is a component of
//! the `cms:block@0.1.0` world (`plugins/wit/block.wit`).

pub use serde_json::{self, Value, json};

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "block",
        path: "../wit",
        pub_export_macro: true,
        default_bindings_module: "cms_block_sdk::bindings",
        export_macro_name: "export_bindings",
    });
}

use bindings::cms::block::types as wit;

/// One block type of a plugin (`plugin:<plugin>/<name>` in content).
#[derive(Debug, Clone)]
pub struct BlockInfo {
    pub name: String,
    pub label: String,
    pub description: String,
    /// JSON Schema of the props; the admin UI builds the block's form from it.
    pub props_schema: Value,
}

impl BlockInfo {
    pub fn new(name: &str, label: &str, props_schema: Value) -> Self {
        BlockInfo {
            name: name.into(),
            label: label.into(),
            description: String::new(),
            props_schema,
        }
    }

    pub fn describe(mut self, description: &str) -> Self {
        self.description = description.into();
        self
    }
}

/// A problem with one prop, at a JSON Pointer into the props (`/url`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub path: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: &str, code: &str, message: &str) -> Self {
        FieldError {
            path: path.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Where a block is rendered.
#[derive(Debug, Clone)]
pub struct Context {
    pub item_type: String,
    pub item_id: String,
    pub locale: String,
    pub site: String,
}

/// A rendered block: HTML (the host sanitizes it) and plain text (indexed for search).
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub html: String,
    pub text: String,
}

impl Rendered {
    pub fn new(html: impl Into<String>, text: impl Into<String>) -> Self {
        Rendered {
            html: html.into(),
            text: text.into(),
        }
    }
}

/// A plugin: its block types, how their props are checked, how they render.
pub trait Plugin {
    fn blocks() -> Vec<BlockInfo>;

    /// Check the props of `block` when content is saved (the default accepts anything the
    /// props schema lets through).
    fn validate(block: &str, props: &Value) -> Result<(), Vec<FieldError>> {
        let _ = (block, props);
        Ok(())
    }

    /// Render `block` when content is published.
    fn render(block: &str, props: &Value, context: &Context) -> Result<Rendered, String>;
}

/// What the host offers.
pub mod host {
    use super::Value;
    use super::bindings::cms::block::{content, host, types::Level};

    /// A line in the CMS log.
    pub fn log(message: &str) {
        host::log(Level::Info, message);
    }

    /// A warning in the CMS log.
    pub fn warn(message: &str) {
        host::log(Level::Warn, message);
    }

    /// A public published item (its delivery JSON), or None. Needs the `get-content`
    /// capability: a plugin calling this is refused at upload unless an admin grants it.
    pub fn get_content(content_type: &str, id: &str, locale: &str) -> Option<Value> {
        content::get_content(content_type, id, locale).and_then(|s| serde_json::from_str(&s).ok())
    }
}

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn props_of(props: &str) -> Result<Value, String> {
    serde_json::from_str(props).map_err(|e| format!("props are not JSON: {e}"))
}

#[doc(hidden)]
pub fn __describe<P: Plugin>() -> Vec<wit::BlockInfo> {
    P::blocks()
        .into_iter()
        .map(|b| wit::BlockInfo {
            name: b.name,
            label: b.label,
            description: b.description,
            props_schema: b.props_schema.to_string(),
        })
        .collect()
}

#[doc(hidden)]
pub fn __validate<P: Plugin>(block: &str, props: &str) -> Result<(), Vec<wit::FieldError>> {
    let errors = match props_of(props) {
        Ok(props) => match P::validate(block, &props) {
            Ok(()) => return Ok(()),
            Err(errors) => errors,
        },
        Err(e) => vec![FieldError::new("", "invalid_json", &e)],
    };
    Err(errors
        .into_iter()
        .map(|e| wit::FieldError {
            path: e.path,
            code: e.code,
            message: e.message,
        })
        .collect())
}

#[doc(hidden)]
pub fn __render<P: Plugin>(
    block: &str,
    props: &str,
    context: wit::RenderContext,
) -> Result<wit::Rendered, String> {
    let context = Context {
        item_type: context.item_type,
        item_id: context.item_id,
        locale: context.locale,
        site: context.site,
    };
    let r = P::render(block, &props_of(props)?, &context)?;
    Ok(wit::Rendered {
        html: r.html,
        text: r.text,
    })
}

/// Export a [`Plugin`] as the component's `cms:block/plugin` interface.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            struct Exported;

            impl $crate::bindings::exports::cms::block::plugin::Guest for Exported {
                fn describe() -> ::std::vec::Vec<$crate::bindings::cms::block::types::BlockInfo> {
                    $crate::__describe::<$plugin>()
                }

                fn validate(
                    block: ::std::string::String,
                    props: ::std::string::String,
                ) -> ::std::result::Result<
                    (),
                    ::std::vec::Vec<$crate::bindings::cms::block::types::FieldError>,
                > {
                    $crate::__validate::<$plugin>(&block, &props)
                }

                fn render(
                    block: ::std::string::String,
                    props: ::std::string::String,
                    context: $crate::bindings::cms::block::types::RenderContext,
                ) -> ::std::result::Result<
                    $crate::bindings::cms::block::types::Rendered,
                    ::std::string::String,
                > {
                    $crate::__render::<$plugin>(&block, &props, context)
                }
            }

    $crate::bindings::export_bindings!(Exported with_types_in $crate::bindings);
        };
    };
}

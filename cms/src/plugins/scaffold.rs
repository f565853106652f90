//! `cms plugin new NAME`: a plugin crate that builds as it is, with the SDK and the WIT
//! vendored next to it (so it needs neither this repository nor a registry for the SDK).

use std::path::{Path, PathBuf};

use super::Error;

const SDK_LIB: &str = include_str!("../../../plugins/sdk/src/lib.rs");
const WIT: &str = include_str!("../../../plugins/wit/block.wit");

fn io(e: std::io::Error) -> Error {
    Error::Scaffold(e.to_string())
}

/// Whether `name` is a plugin name: a lower-case letter, then lower-case letters, digits and
/// `-`, at most 40 characters (it names the crate, the `.wasm` and the `plugin:` block types).
pub fn valid_name(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.ends_with('-')
}

/// `cargo build --release --target wasm32-wasip2` of the plugin crate or workspace at
/// `manifest` (a `Cargo.toml`) into `target`; the directory holding the built `.wasm` files.
/// Used by the tests, the benchmarks and plugin authors' tooling.
pub fn build_for_wasm(manifest: &Path, target: &Path) -> Result<PathBuf, Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--manifest-path")
        .arg(manifest)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .map_err(|e| Error::Scaffold(format!("running cargo: {e}")))?;
    if !status.success() {
        return Err(Error::Scaffold(format!(
            "building {} for wasm32-wasip2 failed ({status})",
            manifest.display()
        )));
    }
    Ok(target.join("wasm32-wasip2/release"))
}

/// The `plugins/` workspace of this repository built for wasm (once per process), next to
/// `$CARGO_TARGET_DIR` (as `<dir>-plugins`); the path of package `name`'s component.
pub fn repo_plugin(name: &str) -> Result<PathBuf, Error> {
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(|d| PathBuf::from(format!("{d}-plugins")))
            .unwrap_or_else(|_| std::env::temp_dir().join("cms-plugins-target"));
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/Cargo.toml");
        build_for_wasm(&manifest, &target).map_err(|e| e.to_string())
    });
    match dir {
        Ok(dir) => Ok(dir.join(format!("{}.wasm", name.replace('-', "_")))),
        Err(e) => Err(Error::Scaffold(e.clone())),
    }
}

/// Write a new plugin crate `<parent>/<name>/`; refuses to touch an existing directory.
pub fn scaffold(parent: &Path, name: &str) -> Result<PathBuf, Error> {
    if !valid_name(name) {
        return Err(Error::Scaffold(format!(
            "{name:?} is not a plugin name: a lower-case letter, then letters, digits and -"
        )));
    }
    let dir = parent.join(name);
    if dir.exists() {
        return Err(Error::Scaffold(format!("{} exists already", dir.display())));
    }
    let label = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let ty = label.replace(' ', "");
    let files: [(&str, String); 7] = [
        (
            "Cargo.toml",
            format!(
                r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[dependencies]
cms-block-sdk = {{ path = "sdk" }}

# A workspace of its own, so that it builds wherever it is put.
[workspace]
members = [".", "sdk"]

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = true
"#
            ),
        ),
        (
            "src/lib.rs",
            format!(
                r#"//! {label}: a CMS content block (`plugin:{name}/{name}`).
//!
//! Build: `cargo build --release --target wasm32-wasip2`, then upload
//! `target/wasm32-wasip2/release/{crate_file}.wasm` with `cms plugin add`.

use cms_block_sdk::{{BlockInfo, Context, FieldError, Plugin, Rendered, Value, escape, json}};

struct {ty};

impl Plugin for {ty} {{
    fn blocks() -> Vec<BlockInfo> {{
        vec![BlockInfo::new(
            "{name}",
            "{label}",
            json!({{
                "type": "object",
                "required": ["text"],
                "properties": {{"text": {{"type": "string", "maxLength": 500}}}}
            }}),
        )]
    }}

    fn validate(_block: &str, props: &Value) -> Result<(), Vec<FieldError>> {{
        match props["text"].as_str() {{
            Some(t) if !t.trim().is_empty() => Ok(()),
            _ => Err(vec![FieldError::new("/text", "required", "text is required")]),
        }}
    }}

    fn render(_block: &str, props: &Value, _context: &Context) -> Result<Rendered, String> {{
        let text = props["text"].as_str().unwrap_or_default();
        Ok(Rendered::new(
            format!("<p class=\"{name}\">{{}}</p>", escape(text)),
            text,
        ))
    }}
}}

cms_block_sdk::export_plugin!({ty});
"#,
                crate_file = name.replace('-', "_"),
            ),
        ),
        (
            "sdk/Cargo.toml",
            r#"[package]
name = "cms-block-sdk"
version = "0.1.0"
edition = "2024"

[dependencies]
serde = { version = "1.0.228", features = ["derive"] }
serde_json = "1.0.145"
wit-bindgen = "0.63"
"#
            .to_owned(),
        ),
        ("sdk/src/lib.rs", SDK_LIB.to_owned()),
        (
            "plugin.json",
            serde_json::to_string_pretty(&serde_json::json!({
                "id": name,
                "name": label,
                "version": "0.1.0",
                "description": format!("{label}: a content block."),
                "capabilities": [],
            }))
            .unwrap_or_default()
                + "\n",
        ),
        ("wit/block.wit", WIT.to_owned()),
        (
            "README.md",
            format!(
                "# {label}\n\nA CMS content block plugin.\n\n```sh\nrustup target add wasm32-wasip2\ncargo build --release --target wasm32-wasip2\ncms plugin add target/wasm32-wasip2/release/{}.wasm --manifest plugin.json\n```\n\n`plugin.json` is the manifest: the plugin's id, name, version and the capabilities it asks for\n(`get-content` to read public published content; an admin grants it with `--grant get-content`).\n`sdk/` and `wit/` are copies of the CMS's plugin SDK and interface (`cms:block@0.1.0`).\n",
                name.replace('-', "_")
            ),
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)?;
    }
    Ok(dir)
}

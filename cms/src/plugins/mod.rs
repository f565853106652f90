//! Editor-supplied content blocks as WebAssembly components (wasmtime 48, component model,
//! the `cms:block@0.1.0` world of `plugins/wit/block.wit`).
//!
//! One `Engine` per process with a pooling allocator sized for this machine and epoch
//! interruption (a ticker thread advances the epoch every millisecond; a call may run for
//! `deadline` ticks). A component is compiled once, at upload, and the compiled code is kept
//! on disk, keyed by the component's sha256 and the engine's configuration and version, so a
//! restart deserializes instead of compiling. Each plugin keeps an `InstancePre` linked with
//! the fixed WASI set (`wasi.rs`) and the host imports it was granted; every call gets a fresh
//! `Store` with memory limits and a deadline. Calls block: run them off the async workers.

mod manifest;
mod registry;
mod sanitize;
mod scaffold;
mod wasi;

pub use manifest::Manifest;
pub use registry::{Installed, PluginRecord, Registry};
pub use sanitize::{IFRAME_SOURCES, sanitize};
pub use scaffold::{build_for_wasm, repo_plugin, scaffold, valid_name};

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder, Trap,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../plugins/wit",
        world: "block",
    });
}

use bindings::cms::block::{content, host, types};
use bindings::{Block, BlockPre};

/// The WIT package plugins are built against, and the version this host implements. Any
/// `0.1.*` plugin runs; another minor (or major) version is refused.
pub const WIT_PACKAGE: &str = "cms:block";
pub const WIT_VERSION: (u64, u64, u64) = (0, 1, 0);

/// Host imports an admin may grant a plugin at upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// `cms:block/content.get-content`: read public published content.
    GetContent,
}

impl Capability {
    pub const ALL: [Capability; 1] = [Capability::GetContent];

    pub fn name(self) -> &'static str {
        match self {
            Capability::GetContent => "get-content",
        }
    }

    /// The WIT interface the capability links.
    fn interface(self) -> &'static str {
        match self {
            Capability::GetContent => "content",
        }
    }

    pub fn parse(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Why a plugin was refused or a call failed. `code()` is the stable error code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error("the component does not export `{WIT_PACKAGE}/plugin`: it is not a block plugin")]
    NotABlockPlugin,
    #[error(
        "the plugin was built for {WIT_PACKAGE}@{found}; this CMS runs plugins for {WIT_PACKAGE}@{}.{}.* (rebuild it with a matching SDK)",
        WIT_VERSION.0,
        WIT_VERSION.1
    )]
    UnsupportedVersion { found: String },
    #[error(
        "the plugin imports `{import}`, which needs the capability `{capability}`; it was not granted"
    )]
    NotGranted { import: String, capability: String },
    #[error("the plugin imports `{0}`, which plugins never get (no files, no network)")]
    ForbiddenImport(String),
    #[error("the plugin cannot be linked: {0}")]
    Link(String),
    #[error("the plugin did not finish within {0:?}")]
    Timeout(Duration),
    #[error("the plugin ran out of memory (limit {0} bytes)")]
    OutOfMemory(usize),
    #[error("the plugin overflowed its stack")]
    StackOverflow,
    #[error("the plugin trapped: {0}")]
    Trap(String),
    #[error("the plugin returned an error: {0}")]
    Failed(String),
    #[error("the plugin's output is over {0} bytes")]
    OutputTooLarge(usize),
    #[error("too many plugin calls at once; try again")]
    Busy,
    #[error("plugin engine: {0}")]
    Engine(String),
    #[error("plugin cache: {0}")]
    Io(String),
    #[error("plugin storage: {0}")]
    Storage(String),
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// `cms plugin new`: a bad name, an existing directory, a failed write.
    #[error("{0}")]
    Scaffold(String),
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotAComponent(_) => "not_a_component",
            Error::NotABlockPlugin => "not_a_block_plugin",
            Error::UnsupportedVersion { .. } => "unsupported_plugin_version",
            Error::NotGranted { .. } => "capability_not_granted",
            Error::ForbiddenImport(_) => "forbidden_import",
            Error::Link(_) => "plugin_link_failed",
            Error::Timeout(_) => "plugin_timeout",
            Error::OutOfMemory(_) => "plugin_out_of_memory",
            Error::StackOverflow => "plugin_stack_overflow",
            Error::Trap(_) => "plugin_trap",
            Error::Failed(_) => "plugin_error",
            Error::OutputTooLarge(_) => "plugin_output_too_large",
            Error::Busy => "plugin_busy",
            Error::Engine(_) => "plugin_engine",
            Error::Io(_) => "plugin_cache",
            Error::Scaffold(_) => "scaffold_failed",
            Error::Manifest(_) => "invalid_manifest",
            Error::Storage(_) => "storage",
        }
    }
}

/// Limits of one call.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Linear memory of one instance.
    pub memory_bytes: usize,
    /// Wall time of one call (epoch ticks of 1 ms; stopped at most one tick later).
    pub deadline: Duration,
    /// What a plugin may write to stdout and stderr in one call.
    pub output_bytes: usize,
    /// Largest HTML (and text) a render may return.
    pub html_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 32 << 20,
            deadline: Duration::from_millis(100),
            output_bytes: 64 << 10,
            html_bytes: 256 << 10,
        }
    }
}

/// Instances alive at once (one per call in flight): the pool's size.
pub const MAX_INSTANCES: u32 = 32;
/// Largest linear memory the pool can hold (a plugin's limit is `Limits::memory_bytes`).
const POOL_MEMORY_BYTES: usize = 64 << 20;
const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Public published content, for `get-content` (the content module implements it; injected
/// by `app.rs`). Called from inside a plugin call, on a blocking thread.
pub trait ContentSource: Send + Sync {
    /// The delivery JSON of a public published item, or None.
    fn public_item(&self, content_type: &str, id: &str, locale: &str) -> Option<String>;
}

/// The state of one call's `Store`.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    plugin: String,
    content: Option<Arc<dyn ContentSource>>,
    /// (type, id, locale) of every item read through `get-content` (re-render on change).
    pub reads: Vec<(String, String, String)>,
    logged: usize,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for State {}

/// Log lines one call may write; more are dropped.
const MAX_LOG_LINES: usize = 20;
const MAX_LOG_CHARS: usize = 500;

impl host::Host for State {
    fn log(&mut self, level: types::Level, message: String) {
        self.logged += 1;
        if self.logged > MAX_LOG_LINES {
            return;
        }
        let message: String = message.chars().take(MAX_LOG_CHARS).collect();
        let plugin = &self.plugin;
        match level {
            types::Level::Debug => tracing::debug!(plugin, "{message}"),
            types::Level::Info => tracing::info!(plugin, "{message}"),
            types::Level::Warn => tracing::warn!(plugin, "{message}"),
            types::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }
}

impl content::Host for State {
    fn get_content(&mut self, content_type: String, id: String, locale: String) -> Option<String> {
        let found = self
            .content
            .as_ref()
            .and_then(|c| c.public_item(&content_type, &id, &locale));
        self.reads.push((content_type, id, locale));
        found
    }
}

/// A block type a plugin offers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlockInfo {
    pub name: String,
    pub label: String,
    pub description: String,
    pub props_schema: serde_json::Value,
}

/// A problem with one prop of a block.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldError {
    /// JSON Pointer into the props.
    pub path: String,
    pub code: String,
    pub message: String,
}

/// Where a block is rendered.
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    pub item_type: String,
    pub item_id: String,
    pub locale: String,
    pub site: String,
}

/// A render's output, before the host sanitizes the HTML.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub html: String,
    pub text: String,
    /// Items read through `get-content`.
    pub reads: Vec<(String, String, String)>,
}

/// One block to render: `Runner::render_sanitized`.
pub struct RenderJob {
    pub plugin: Arc<Loaded>,
    pub block: String,
    pub props: serde_json::Value,
    pub context: RenderContext,
}

/// A plugin ready to call: compiled, checked, linked.
pub struct Loaded {
    pub sha256: String,
    /// WIT version the plugin was built for.
    pub wit_version: String,
    pub blocks: Vec<BlockInfo>,
    /// Host interfaces the component imports (`cms:block/...`, `wasi:...`).
    pub imports: Vec<String>,
    pre: BlockPre<State>,
    granted: Vec<Capability>,
}

/// The process's plugin engine.
pub struct PluginHost {
    engine: Engine,
    cache_dir: Option<PathBuf>,
    pub limits: Limits,
    ticker: Arc<AtomicBool>,
    /// Calls, failed calls, microseconds in calls.
    stats: [AtomicU64; 3],
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Release);
    }
}

fn engine_err(e: impl std::fmt::Display) -> Error {
    Error::Engine(e.to_string())
}

fn io_err(e: std::io::Error) -> Error {
    Error::Io(e.to_string())
}

/// The first bytes of a component (a core module has version 1, layer 0 instead).
const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fn engine_config() -> Config {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_INSTANCES)
        .max_core_instances_per_component(16)
        .total_core_instances(MAX_INSTANCES * 8)
        .max_memories_per_component(2)
        .total_memories(MAX_INSTANCES)
        .max_tables_per_component(8)
        .total_tables(MAX_INSTANCES * 8)
        .max_memory_size(POOL_MEMORY_BYTES);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        // Without these the pool reserves terabytes of address space (TOOLING.md).
        .memory_reservation(POOL_MEMORY_BYTES as u64)
        .memory_guard_size(2 << 20)
        .memory_reservation_for_growth(0);
    config
}

impl PluginHost {
    /// The engine, its epoch ticker and the compiled-code cache under `cache_dir` (None:
    /// compile on every load, for tests).
    pub fn new(cache_dir: Option<PathBuf>, limits: Limits) -> Result<PluginHost, Error> {
        let engine = Engine::new(&engine_config()).map_err(engine_err)?;
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir).map_err(io_err)?;
        }
        let ticker = Arc::new(AtomicBool::new(true));
        let (running, ticking) = (ticker.clone(), engine.clone());
        std::thread::Builder::new()
            .name("plugin-epoch".into())
            .spawn(move || {
                // Ticks on a fixed schedule (not sleep after sleep, which drifts by the sleep's
                // overshoot), so a deadline of N ticks is N ms, stopped within one more tick.
                let mut next = std::time::Instant::now();
                while running.load(Ordering::Acquire) {
                    next += EPOCH_TICK;
                    std::thread::sleep(next.saturating_duration_since(std::time::Instant::now()));
                    ticking.increment_epoch();
                }
            })
            .map_err(io_err)?;
        Ok(PluginHost {
            engine,
            cache_dir,
            limits,
            ticker,
            stats: Default::default(),
        })
    }

    /// Names compiled code: what makes a `.cwasm` loadable by this engine, so a change of
    /// any of it compiles afresh. wasmtime's compatibility hash covers the compiler's target
    /// and flags, the tunables (memory reservation, guards), the wasm features and wasmtime's
    /// version; `DefaultHasher::new()` has fixed keys, so the key is the same in every process
    /// of this build (a `Debug` of the config would not do: it can list hash maps).
    pub fn engine_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        let mut sha = Sha256::new();
        sha.update(h.finish().to_le_bytes());
        sha.update(env!("CARGO_PKG_VERSION"));
        hex::encode(&sha.finalize()[..8])
    }

    fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        self.cache_dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.engine_key())))
    }

    /// Compile `bytes` (or load the compiled code from the cache).
    fn component(&self, bytes: &[u8], sha256: &str) -> Result<(Component, bool), Error> {
        if let Some(path) = self.cache_path(sha256)
            && let Ok(compiled) = std::fs::read(&path)
        {
            match deserialize(&self.engine, &compiled) {
                Ok(c) => return Ok((c, true)),
                Err(e) => tracing::warn!(path = %path.display(), "recompiling a plugin: {e}"),
            }
        }
        let component = Component::new(&self.engine, bytes).map_err(|e| {
            Error::NotAComponent(format!("{e:#}").lines().next().unwrap_or("").to_owned())
        })?;
        if let Some(path) = self.cache_path(sha256) {
            let compiled = component.serialize().map_err(engine_err)?;
            write_atomically(&path, &compiled)?;
        }
        Ok((component, false))
    }

    /// Check, compile and link a plugin with the capabilities `granted`; ask it for its
    /// blocks. The errors name what was wrong: not a component, another WIT version, an
    /// import not granted or never given.
    pub fn load(&self, bytes: &[u8], granted: &[Capability]) -> Result<Loaded, Error> {
        if bytes.len() < 8 || bytes[..8] != COMPONENT_HEADER {
            return Err(Error::NotAComponent(
                if bytes.starts_with(&COMPONENT_HEADER[..4]) {
                    "a core module, not a component (build for wasm32-wasip2)"
                } else {
                    "no WebAssembly component header"
                }
                .into(),
            ));
        }
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (component, _cached) = self.component(bytes, &sha256)?;
        let ty = component.component_type();
        let wit_version = ty
            .exports(&self.engine)
            .find_map(|(name, _)| {
                name.strip_prefix(&format!("{WIT_PACKAGE}/plugin@"))
                    .map(str::to_owned)
            })
            .ok_or(Error::NotABlockPlugin)?;
        if !supported(&wit_version) {
            return Err(Error::UnsupportedVersion { found: wit_version });
        }
        let imports: Vec<String> = ty
            .imports(&self.engine)
            .map(|(n, _)| n.to_owned())
            .collect();
        for import in &imports {
            check_import(import, granted)?;
        }
        let linker = self.linker(granted)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| Error::Link(format!("{e:#}")))?;
        let pre = BlockPre::new(pre).map_err(|e| Error::Link(format!("{e:#}")))?;
        let mut loaded = Loaded {
            sha256,
            wit_version,
            blocks: Vec::new(),
            imports,
            pre,
            granted: granted.to_vec(),
        };
        loaded.blocks = self.describe(&loaded, None)?;
        Ok(loaded)
    }

    fn linker(&self, granted: &[Capability]) -> Result<Linker<State>, Error> {
        let mut linker = Linker::new(&self.engine);
        wasi::add_to_linker(&mut linker).map_err(engine_err)?;
        types::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(engine_err)?;
        host::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s).map_err(engine_err)?;
        if granted.contains(&Capability::GetContent) {
            content::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
                .map_err(engine_err)?;
        }
        Ok(linker)
    }

    /// Plugin calls since this host started.
    pub fn totals(&self) -> CallTotals {
        let [calls, failures, micros] = &self.stats;
        CallTotals {
            calls: calls.load(Ordering::Relaxed),
            failures: failures.load(Ordering::Relaxed),
            micros: micros.load(Ordering::Relaxed),
        }
    }

    /// Run `f` on a fresh instance of `plugin` under the call limits, counted in `totals`.
    fn call<R>(
        &self,
        plugin: &Loaded,
        content: Option<Arc<dyn ContentSource>>,
        f: impl FnOnce(&Block, &mut Store<State>) -> wasmtime::Result<R>,
    ) -> Result<(R, State), Error> {
        let started = std::time::Instant::now();
        let out = self.call_uncounted(plugin, content, f);
        let [calls, failures, micros] = &self.stats;
        calls.fetch_add(1, Ordering::Relaxed);
        micros.fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        if out.is_err() {
            failures.fetch_add(1, Ordering::Relaxed);
        }
        out
    }

    fn call_uncounted<R>(
        &self,
        plugin: &Loaded,
        content: Option<Arc<dyn ContentSource>>,
        f: impl FnOnce(&Block, &mut Store<State>) -> wasmtime::Result<R>,
    ) -> Result<(R, State), Error> {
        let limits = &self.limits;
        let wasi = WasiCtxBuilder::new()
            .stdout(MemoryOutputPipe::new(limits.output_bytes))
            .stderr(MemoryOutputPipe::new(limits.output_bytes))
            .wall_clock(wasi::Frozen)
            .monotonic_clock(wasi::Frozen)
            .secure_random(seeded(&plugin.sha256, 1))
            .insecure_random(seeded(&plugin.sha256, 2))
            .insecure_random_seed(0x00c0_ffee)
            .build();
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(16)
                .memories(4)
                .tables(16)
                .trap_on_grow_failure(true)
                .build(),
            plugin: plugin.sha256[..12].to_owned(),
            content: content.filter(|_| plugin.granted.contains(&Capability::GetContent)),
            reads: Vec::new(),
            logged: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // The epoch ticks on a fixed schedule, so the current tick may be nearly over: one more
        // tick makes the call run at least its deadline, and at most one tick beyond it.
        let ticks = (limits.deadline.as_millis() as u64).max(1) + 1;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let instance = plugin
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.classify(e))?;
        let out = f(&instance, &mut store).map_err(|e| self.classify(e))?;
        Ok((out, store.into_data()))
    }

    fn classify(&self, e: wasmtime::Error) -> Error {
        let text = format!("{e:#}");
        if text.contains("maximum concurrent") {
            return Error::Busy;
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => Error::Timeout(self.limits.deadline),
            Some(Trap::StackOverflow) => Error::StackOverflow,
            Some(Trap::AllocationTooLarge) => Error::OutOfMemory(self.limits.memory_bytes),
            _ if text.contains("memory") && text.contains("grow") => {
                Error::OutOfMemory(self.limits.memory_bytes)
            }
            Some(trap) => Error::Trap(trap.to_string()),
            None => Error::Trap(text.lines().next().unwrap_or_default().to_owned()),
        }
    }

    /// The block types of `plugin`.
    pub fn describe(
        &self,
        plugin: &Loaded,
        content: Option<Arc<dyn ContentSource>>,
    ) -> Result<Vec<BlockInfo>, Error> {
        let (blocks, _) = self.call(plugin, content, |b, s| {
            b.cms_block_plugin().call_describe(s)
        })?;
        Ok(blocks
            .into_iter()
            .map(|b| BlockInfo {
                props_schema: serde_json::from_str(&b.props_schema)
                    .unwrap_or(serde_json::Value::Null),
                name: b.name,
                label: b.label,
                description: b.description,
            })
            .collect())
    }

    /// Check `props` of `block`: Ok(errors), empty when valid.
    pub fn validate(
        &self,
        plugin: &Loaded,
        block: &str,
        props: &serde_json::Value,
    ) -> Result<Vec<FieldError>, Error> {
        let props = props.to_string();
        let (result, _) = self.call(plugin, None, |b, s| {
            b.cms_block_plugin().call_validate(s, block, &props)
        })?;
        Ok(result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| FieldError {
                path: e.path,
                code: e.code,
                message: e.message,
            })
            .collect())
    }

    /// Render `props` of `block`; the HTML is not sanitized yet.
    pub fn render(
        &self,
        plugin: &Loaded,
        block: &str,
        props: &serde_json::Value,
        context: &RenderContext,
        content: Option<Arc<dyn ContentSource>>,
    ) -> Result<Rendered, Error> {
        let props = props.to_string();
        let cx = types::RenderContext {
            item_type: context.item_type.clone(),
            item_id: context.item_id.clone(),
            locale: context.locale.clone(),
            site: context.site.clone(),
        };
        let (result, state) = self.call(plugin, content, |b, s| {
            b.cms_block_plugin().call_render(s, block, &props, &cx)
        })?;
        let rendered = result.map_err(|e| Error::Failed(e.chars().take(500).collect()))?;
        let cap = self.limits.html_bytes;
        if rendered.html.len() > cap || rendered.text.len() > cap {
            return Err(Error::OutputTooLarge(cap));
        }
        Ok(Rendered {
            html: rendered.html,
            text: rendered.text,
            reads: state.reads,
        })
    }
}

/// Plugin calls from async code: each on a blocking thread, never on the async workers (a
/// render that loops until its deadline holds a thread, not the server), and at most
/// `MAX_INSTANCES` at once, the pool's size: more wait for a permit instead of failing.
#[derive(Clone)]
pub struct Runner {
    pub host: Arc<PluginHost>,
    permits: Arc<tokio::sync::Semaphore>,
    /// Sanitized renders by plugin build, block, props and context (see `render_sanitized`).
    renders: Option<Arc<RenderCache>>,
}

#[derive(Clone)]
struct RenderWeight;

impl quick_cache::Weighter<String, Arc<(String, String)>> for RenderWeight {
    fn weight(&self, key: &String, val: &Arc<(String, String)>) -> u64 {
        (key.len() + val.0.len() + val.1.len() + 64) as u64
    }
}

type RenderCache = quick_cache::sync::Cache<String, Arc<(String, String)>, RenderWeight>;

/// Plugin calls since start: how many, how many failed, and the time they took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTotals {
    pub calls: u64,
    pub failures: u64,
    pub micros: u64,
}

impl Runner {
    pub fn new(host: PluginHost) -> Runner {
        Runner {
            host: Arc::new(host),
            permits: Arc::new(tokio::sync::Semaphore::new(MAX_INSTANCES as usize)),
            renders: None,
        }
    }

    /// Keep up to `bytes` of sanitized renders (0: none). A plugin is deterministic (frozen
    /// clocks, seeded randomness, nothing else from outside but what `get-content` returns), so
    /// the same build, block, props and context give the same output: renders that read no
    /// content are kept and reused.
    pub fn with_render_cache(mut self, bytes: u64) -> Runner {
        self.renders = (bytes > 0).then(|| {
            let items = (bytes / 2048).clamp(16, 1 << 20) as usize;
            Arc::new(RenderCache::with_weighter(items, bytes, RenderWeight))
        });
        self
    }

    async fn off_workers<R: Send + 'static>(
        &self,
        f: impl FnOnce(&PluginHost) -> Result<R, Error> + Send + 'static,
    ) -> Result<R, Error> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Busy)?;
        let host = self.host.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&host)
        })
        .await
        .map_err(|e| Error::Engine(e.to_string()))?
    }

    /// `PluginHost::render` off the async workers.
    pub async fn render(
        &self,
        plugin: Arc<Loaded>,
        block: String,
        props: serde_json::Value,
        context: RenderContext,
        content: Option<Arc<dyn ContentSource>>,
    ) -> Result<Rendered, Error> {
        self.off_workers(move |host| host.render(&plugin, &block, &props, &context, content))
            .await
    }

    /// Render several blocks in one blocking call (one thread hand-off for a page's blocks),
    /// each on a fresh instance, and sanitize their HTML there too: what a snapshot stores.
    pub async fn render_sanitized(
        &self,
        jobs: Vec<RenderJob>,
        content: Option<Arc<dyn ContentSource>>,
    ) -> Result<Vec<Result<Rendered, Error>>, Error> {
        let cache = self.renders.clone();
        let keys: Vec<String> = jobs
            .iter()
            .map(|j| {
                let c = &j.context;
                format!(
                    "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
                    j.plugin.sha256, j.block, j.props, c.item_type, c.item_id, c.locale, c.site
                )
            })
            .collect();
        let cached: Vec<Option<Arc<(String, String)>>> = keys
            .iter()
            .map(|k| cache.as_ref().and_then(|c| c.get(k)))
            .collect();
        if cached.iter().all(Option::is_some) {
            return Ok(cached
                .iter()
                .flatten()
                .map(|hit| Ok(from_cache(hit)))
                .collect());
        }
        self.off_workers(move |host| {
            let cap = host.limits.html_bytes;
            Ok(jobs
                .into_iter()
                .zip(keys.into_iter().zip(cached))
                .map(|(job, (key, hit))| {
                    if let Some(hit) = hit {
                        return Ok(from_cache(&hit));
                    }
                    let r = host.render(
                        &job.plugin,
                        &job.block,
                        &job.props,
                        &job.context,
                        content.clone(),
                    )?;
                    let html = sanitize(&r.html, cap).ok_or(Error::OutputTooLarge(cap))?;
                    if let Some(cache) = cache.as_ref().filter(|_| r.reads.is_empty()) {
                        cache.insert(key, Arc::new((html.clone(), r.text.clone())));
                    }
                    Ok(Rendered { html, ..r })
                })
                .collect())
        })
        .await
    }

    /// `PluginHost::validate` off the async workers.
    pub async fn validate(
        &self,
        plugin: Arc<Loaded>,
        block: String,
        props: serde_json::Value,
    ) -> Result<Vec<FieldError>, Error> {
        self.off_workers(move |host| host.validate(&plugin, &block, &props))
            .await
    }
}

/// A kept render (HTML, text): it read no content.
fn from_cache(hit: &(String, String)) -> Rendered {
    Rendered {
        html: hit.0.clone(),
        text: hit.1.clone(),
        reads: Vec::new(),
    }
}

/// `0.1.*` runs on this host; anything else is refused.
fn supported(version: &str) -> bool {
    let mut parts = version.split(['.', '-', '+']);
    let major = parts.next().and_then(|p| p.parse::<u64>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u64>().ok());
    major == Some(WIT_VERSION.0) && minor == Some(WIT_VERSION.1)
}

/// Refuse imports a plugin may never have, or that need a capability not granted.
fn check_import(import: &str, granted: &[Capability]) -> Result<(), Error> {
    let iface = import.split('@').next().unwrap_or(import);
    if let Some(name) = iface.strip_prefix(&format!("{WIT_PACKAGE}/")) {
        if let Some(cap) = Capability::ALL.iter().find(|c| c.interface() == name)
            && !granted.contains(cap)
        {
            return Err(Error::NotGranted {
                import: import.to_owned(),
                capability: cap.name().to_owned(),
            });
        }
        return Ok(());
    }
    if iface.starts_with("wasi:filesystem/") || iface.starts_with("wasi:sockets/") {
        return Err(Error::ForbiddenImport(import.to_owned()));
    }
    Ok(())
}

/// Deterministic randomness per plugin: the same bytes on every call.
fn seeded(sha256: &str, stream: u8) -> wasmtime_wasi::Deterministic {
    let mut h = Sha256::new();
    h.update(sha256.as_bytes());
    h.update([stream]);
    wasmtime_wasi::Deterministic::new(h.finalize().to_vec())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(io_err)
}

/// Load compiled code from our cache.
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, compiled: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the bytes be what `Component::serialize` produced;
    // arbitrary bytes could run arbitrary code. They are read only from the cache directory
    // inside the data dir, written there by `component()` above (atomically, by rename),
    // named by the component's sha256 and this engine's key; wasmtime also checks the
    // header, the engine settings and the version before using them.
    unsafe { Component::deserialize(engine, compiled) }
}

#[cfg(test)]
mod tests;

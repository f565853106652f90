//! THE write path and the read model: working copies, snapshots, workflow, revisions, audit
//! entries and outbox events, each write in one SurrealDB transaction.
//!
//! Every caller (HTTP, CLI, jobs, import) goes through [`Content`]; nothing else writes content.

mod cache;
mod commit;
mod delivery;
mod manage;
pub mod merge_patch;
pub mod model;
mod outbox;
mod plugin_blocks;
mod query;
mod revisions;
mod schedule;
mod transfer;
mod view;
mod workflow;

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::schema::{ContentType, FieldError, Registry};
use crate::storage::{self, Store};

pub use cache::Rendered;
pub use delivery::{ReadParams, ReadRequest, query_pairs};
pub use model::State;
pub use outbox::OutboxEvent;
pub use plugin_blocks::PluginAdminError;
pub use query::ListParams;
pub use revisions::RevisionOf;
pub use schedule::ScheduleChange;
pub use transfer::{ImportReport, LineError};
pub use view::{ItemView, Page, body_etag as view_etag};
pub use workflow::Action;

/// 403 for a content type an API token's scope leaves out.
pub(crate) fn out_of_scope(ctype: &str) -> Error {
    Error::Forbidden(format!("this token's scope does not include `{ctype}`"))
}

/// Errors of content operations, each with one HTTP meaning (mapped by `http/`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("unknown content type `{0}`")]
    UnknownType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("{message}")]
    IllegalTransition {
        message: String,
        allowed: Vec<&'static str>,
    },
    #[error("If-Match is required for this write")]
    PreconditionRequired,
    #[error("the item has changed (current ETag {current})")]
    PreconditionFailed { current: String },
    #[error("the write kept conflicting with other writes; try again")]
    WriteConflict,
    #[error("storage: {0}")]
    Storage(String),
}

impl From<storage::Error> for Error {
    fn from(e: storage::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
    Error::BadRequest {
        code,
        message: message.into(),
    }
}

/// What `content/` needs to know about locales and sites.
#[derive(Debug, Clone)]
pub struct ContentOptions {
    pub default_locale: String,
    pub locales: Vec<String>,
    pub sites: Vec<String>,
    pub write_retries: u32,
    pub import_batch: usize,
    /// Bytes of published responses kept in memory (0 disables the cache).
    pub response_cache_bytes: u64,
}

/// The content service: cheap to clone, shared by every caller.
#[derive(Clone)]
pub struct Content {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    schemas: Arc<Registry>,
    clock: SharedClock,
    options: ContentOptions,
    cache: cache::ResponseCache,
    /// Woken after every commit (the search index follows the outbox).
    commits: Arc<tokio::sync::Notify>,
    /// The installed plugins (set once by `app.rs`).
    plugins: std::sync::OnceLock<Arc<crate::plugins::Registry>>,
    /// Woken when snapshots are queued for re-rendering.
    rerender: tokio::sync::Notify,
    /// The items this process last wrote, by uid, for the read that starts the next write of
    /// each (only when this process is the store's only writer: an embedded store).
    items: Option<quick_cache::sync::Cache<String, Arc<model::ItemDoc>>>,
    /// Held while a write's transaction runs: this process commits one write at a time. Every
    /// write updates the outbox counter, so concurrent transactions would conflict at commit
    /// and be tried again anyway (wasted work, and a writer could lose every retry); writes of
    /// other processes (a SurrealDB server) are still met by the version check and retries.
    commit_lane: tokio::sync::Mutex<()>,
}

impl Content {
    pub fn new(
        store: Store,
        schemas: Arc<Registry>,
        clock: SharedClock,
        options: ContentOptions,
    ) -> Content {
        Content {
            inner: Arc::new(Inner {
                schemas,
                clock,
                cache: cache::ResponseCache::new(options.response_cache_bytes),
                options,
                commits: Arc::new(tokio::sync::Notify::new()),
                plugins: std::sync::OnceLock::new(),
                rerender: tokio::sync::Notify::new(),
                commit_lane: tokio::sync::Mutex::new(()),
                items: store
                    .is_exclusive()
                    .then(|| quick_cache::sync::Cache::new(commit::ITEM_CACHE_ITEMS)),
                store,
            }),
        }
    }

    pub fn schemas(&self) -> &Registry {
        &self.inner.schemas
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Notified after every committed write: followers of the outbox wait on it.
    pub fn commit_signal(&self) -> Arc<tokio::sync::Notify> {
        self.inner.commits.clone()
    }

    pub fn options(&self) -> &ContentOptions {
        &self.inner.options
    }

    /// Response cache (hits, misses) since start, and the bytes it holds now.
    pub fn cache_stats(&self) -> (u64, u64, u64) {
        let (hits, misses) = self.inner.cache.stats();
        (hits, misses, self.inner.cache.weight())
    }

    fn now(&self) -> String {
        crate::clock::format_ts(self.inner.clock.now())
    }

    fn content_type(&self, name: &str) -> Result<&ContentType, Error> {
        self.inner
            .schemas
            .get(name)
            .ok_or_else(|| Error::UnknownType(name.to_owned()))
    }

    fn check_locale(&self, locale: &str) -> Result<(), Error> {
        if self.inner.options.locales.iter().any(|l| l == locale) {
            Ok(())
        } else {
            Err(bad_request(
                "unknown_locale",
                format!(
                    "locale `{locale}` is not one of {}",
                    self.inner.options.locales.join(", ")
                ),
            ))
        }
    }

    fn check_site(&self, site: &str) -> Result<(), Error> {
        if self.inner.options.sites.iter().any(|s| s == site) {
            Ok(())
        } else {
            Err(bad_request(
                "unknown_site",
                format!(
                    "site `{site}` is not one of {}",
                    self.inner.options.sites.join(", ")
                ),
            ))
        }
    }

    fn default_locale(&self) -> &str {
        &self.inner.options.default_locale
    }

    /// True when no item is stored (decides whether demo content loads at first start).
    pub async fn is_empty(&self) -> Result<bool, Error> {
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT VALUE uid FROM item LIMIT 1;",
                serde_json::Value::Null,
            )
            .await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        Ok(rows.is_empty())
    }
}

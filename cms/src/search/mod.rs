//! Search: a tantivy index derived from SurrealDB, following the content outbox.
//!
//! One document per (item, locale, view) (`document.rs`), fields by boost tier from the
//! content types (`layout.rs`), analyzers in `analyzer.rs`, the reader's permissions inside
//! the query (`query.rs`), snippets in `snippet.rs`. The applied outbox position is the
//! index's commit payload, so index and cursor move together (`index.rs`); `follow.rs` applies
//! new events, `build.rs` rebuilds aside and swaps.

pub mod analyzer;
mod build;
mod document;
mod follow;
mod index;
mod layout;
mod parse;
mod query;
mod request;
mod snippet;
mod suggest;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

pub use build::Progress;
pub use index::{SearchIndex, inspect};
pub use query::{Hit, SearchResult};
pub use request::{Deployment, SearchRequest, View};
pub use suggest::Suggestion;

use crate::principal::Principal;
use crate::schema::Registry;
use crate::storage::Store;

/// How long the follower waits after a local commit wakes it before reading the outbox.
const COALESCE: std::time::Duration = std::time::Duration::from_millis(20);
/// Errors of search, each with one HTTP meaning (mapped by `http/`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("a rebuild of the index is already running")]
    Busy,
    #[error("search index: {0}")]
    Index(String),
    #[error("search index files: {0}")]
    Io(String),
    #[error("storage: {0}")]
    Storage(String),
}

impl From<crate::storage::Error> for Error {
    fn from(e: crate::storage::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<crate::storage::StatementError> for Error {
    fn from(e: crate::storage::StatementError) -> Self {
        Error::Storage(format!("{e:?}"))
    }
}

/// Where and how the index is kept.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// `<data.dir>/search`; None keeps the index in RAM (for `mem://` stores).
    pub dir: Option<PathBuf>,
    pub locales: Vec<String>,
    pub default_locale: String,
    pub sites: Vec<String>,
    /// Outbox events applied per index commit, at most.
    pub batch: usize,
    /// How often the follower looks at the outbox without being woken (other nodes' writes).
    pub poll: std::time::Duration,
    /// Searches running at once (each on a blocking thread).
    pub concurrency: usize,
}

/// The search service: cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    schemas: Arc<Registry>,
    options: SearchOptions,
    fingerprint: String,
    live: RwLock<Arc<SearchIndex>>,
    /// Serializes the application of events to the live index and the swap after a rebuild.
    apply: tokio::sync::Mutex<()>,
    /// Woken by `content/` after each commit.
    wake: Arc<tokio::sync::Notify>,
    permits: tokio::sync::Semaphore,
    progress: std::sync::Mutex<Progress>,
}

/// Where the index stands, for `/metrics` and the admin API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// Last outbox event applied.
    pub cursor: u64,
    /// Last outbox event committed.
    pub head: u64,
    pub lag_events: u64,
    /// Age of the oldest event not yet applied (0 when caught up).
    pub lag_seconds: f64,
    pub documents: u64,
    pub disk_bytes: u64,
    /// Segments of the live index (a rebuild leaves several, merged in the background).
    pub segments: u64,
    /// The background merge after a rebuild is running.
    pub merging: bool,
}

/// Rebuilding the index and its progress are for admins: 401 without credentials, else 403.
fn require_admin(who: &Principal) -> Result<(), Error> {
    match who {
        _ if who.is_admin() => Ok(()),
        _ if who.role().is_none() => Err(Error::Unauthorized),
        _ => Err(Error::Forbidden(
            "rebuilding the search index is for admins".into(),
        )),
    }
}

impl Search {
    /// Open the index of the current content types (rebuilding it from SurrealDB when it is
    /// missing, of another layout, or ahead of the database) and catch up with the outbox.
    pub async fn open(
        store: Store,
        schemas: Arc<Registry>,
        options: SearchOptions,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Search, Error> {
        let fingerprint = layout::fingerprint(&schemas, &options.locales, &options.default_locale);
        let live = build::open_current(&store, &schemas, &options, &fingerprint).await?;
        let search = Search {
            inner: Arc::new(Inner {
                store,
                schemas,
                permits: tokio::sync::Semaphore::new(options.concurrency.max(1)),
                options,
                fingerprint,
                live: RwLock::new(live),
                apply: tokio::sync::Mutex::new(()),
                wake,
                progress: std::sync::Mutex::new(Progress::default()),
            }),
        };
        search.catch_up().await?;
        Ok(search)
    }

    fn live(&self) -> Arc<SearchIndex> {
        match self.inner.live.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn deployment(&self) -> Deployment<'_> {
        let o = &self.inner.options;
        Deployment {
            schemas: &self.inner.schemas,
            sites: &o.sites,
            locales: &o.locales,
            default_locale: &o.default_locale,
        }
    }

    /// Check a raw query string of `GET /search` for `who`.
    pub fn request(&self, raw: &str, who: &Principal) -> Result<SearchRequest, Error> {
        SearchRequest::from_query(raw, who, &self.deployment())
    }

    /// Run `job` on the live index on a blocking thread, at most `concurrency` at once.
    async fn on_index<T, F>(&self, job: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&SearchIndex) -> Result<T, Error> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Index("search is shutting down".into()))?;
        let index = self.live();
        tokio::task::spawn_blocking(move || job(&index))
            .await
            .map_err(|e| Error::Index(e.to_string()))?
    }

    /// Run a search off the async workers.
    pub async fn search(
        &self,
        request: SearchRequest,
        who: Principal,
    ) -> Result<SearchResult, Error> {
        self.on_index(move |index| query::run(index, &request, &who))
            .await
    }

    /// Titles completing what the reader is typing (the last word as a prefix).
    pub async fn suggest(
        &self,
        request: SearchRequest,
        who: Principal,
    ) -> Result<Vec<Suggestion>, Error> {
        self.on_index(move |index| suggest::run(index, &request, &who))
            .await
    }

    /// Apply every committed outbox event to the live index.
    pub async fn catch_up(&self) -> Result<(), Error> {
        while self.follow_once().await? > 0 {}
        Ok(())
    }

    /// Index state for `/metrics`.
    pub async fn status(&self) -> Result<Status, Error> {
        let index = self.live();
        follow::status(&self.inner.store, &index).await
    }

    /// Every document's (key, revision) in the live index (tests compare them with the store).
    pub fn document_keys(&self) -> Result<Vec<(String, u64)>, Error> {
        self.live().keys()
    }

    /// The rebuild in progress or last finished, and where the index stands (admins).
    pub async fn rebuild_status(&self, who: &Principal) -> Result<(Progress, Status), Error> {
        require_admin(who)?;
        Ok((self.progress(), self.status().await?))
    }

    /// The rebuild in progress or last finished.
    pub fn progress(&self) -> Progress {
        match self.inner.progress.lock() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Follow the outbox until `stop` resolves: woken by commits, or every `poll`.
    pub fn spawn_follower(&self) -> tokio::task::JoinHandle<()> {
        let search = self.clone();
        tokio::spawn(async move {
            loop {
                match search.follow_once().await {
                    Ok(0) => {
                        let woken = tokio::time::timeout(
                            search.inner.options.poll,
                            search.inner.wake.notified(),
                        )
                        .await;
                        if woken.is_ok() {
                            // Let the request that committed answer first, and gather the
                            // writes that follow it into the same index commit.
                            tokio::time::sleep(COALESCE).await;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!("search index follower: {e}");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        })
    }

    /// Apply the next batch of outbox events to the live index; the number applied.
    async fn follow_once(&self) -> Result<usize, Error> {
        let _guard = self.inner.apply.lock().await;
        let index = self.live();
        follow::advance(
            &self.inner.store,
            &self.inner.schemas,
            &self.inner.options,
            &index,
        )
        .await
    }
}

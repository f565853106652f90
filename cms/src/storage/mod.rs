//! SurrealDB: the connection (`mem://`, `surrealkv://`, `ws://`), statement-checked queries, migrations.
//!
//! Nothing above this module names a SurrealDB type: callers send SurrealQL text with JSON
//! variables and get one [`Statement`] result per statement back, every error included.

mod connect;
mod migrate;
mod outcome;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use connect::StoreOptions;
pub use outcome::{Outcome, StatementError};

/// A storage failure that is not a statement's own error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open the store at {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("query failed: {0}")]
    Query(String),
    #[error("the store was written by a newer schema version ({found}; this binary knows {known})")]
    SchemaTooNew { found: u64, known: u64 },
}

/// The one handle to the database of this process (clones share it).
#[derive(Clone)]
pub struct Store {
    conn: connect::Conn,
    queries: Arc<AtomicU64>,
}

impl Store {
    /// Open the store, define tables and indexes idempotently, record the schema version.
    pub async fn open(options: &StoreOptions) -> Result<Store, Error> {
        let conn = connect::open(options).await?;
        let store = Store {
            conn,
            queries: Arc::new(AtomicU64::new(0)),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// A store at `url` with small caches, for unit tests.
    #[cfg(test)]
    #[allow(clippy::unwrap_used)]
    pub async fn open_for_test(url: &str) -> Store {
        Store::open(&StoreOptions {
            url: url.into(),
            namespace: "cms".into(),
            database: "cms".into(),
            block_cache_bytes: 8 << 20,
            memtable_bytes: 8 << 20,
            username: String::new(),
            password: String::new(),
        })
        .await
        .unwrap()
    }

    /// Run SurrealQL with bound variables (`vars` must be a JSON object or null).
    /// Each statement's result or error comes back in order; `BEGIN`/`COMMIT` take slots too.
    pub async fn run(&self, sql: &str, vars: serde_json::Value) -> Result<Outcome, Error> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let vars = match vars {
            serde_json::Value::Null => serde_json::Value::Object(Default::default()),
            v => v,
        };
        let response = self.conn.query(sql, vars).await?;
        Ok(Outcome::from_response(response))
    }

    /// True when this process is the store's only writer: an embedded store (its directory is
    /// locked by the process), not a SurrealDB server others may write to.
    pub fn is_exclusive(&self) -> bool {
        matches!(self.conn, connect::Conn::Local(..))
    }

    /// Number of queries sent since start (tests count them to catch N+1 reads).
    pub fn query_count(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    /// Flush the embedded store's memory tables to disk and close it (graceful shutdown).
    pub async fn close(&self) -> Result<(), Error> {
        self.conn.close().await
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        match self.run("RETURN 1;", serde_json::Value::Null).await {
            Ok(outcome) => outcome.first_error().is_none(),
            Err(_) => false,
        }
    }
}

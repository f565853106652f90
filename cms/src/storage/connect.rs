//! Opening the database: embedded SurrealKV (with bounded caches) or memory, or a SurrealDB server.

use std::sync::Arc;

use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db;
use surrealdb_cnf::ConfigMap;
use surrealdb_engine_local::Datastore;

use super::Error;

/// What the storage layer needs from the configuration.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub namespace: String,
    pub database: String,
    pub block_cache_bytes: u64,
    pub memtable_bytes: u64,
    pub username: String,
    pub password: String,
}

#[derive(Clone)]
pub(super) enum Conn {
    /// Embedded: we build the datastore ourselves so that SurrealKV's caches are bounded.
    Local(Surreal<Db>, Arc<Datastore>),
    /// A SurrealDB server over WebSocket.
    Remote(Surreal<Any>),
}

impl Conn {
    pub(super) async fn query(
        &self,
        sql: &str,
        vars: serde_json::Value,
    ) -> Result<surrealdb::IndexedResults, Error> {
        let result = match self {
            Conn::Local(db, _) => db.query(sql).bind(vars).await,
            Conn::Remote(db) => db.query(sql).bind(vars).await,
        };
        result.map_err(|e| Error::Query(e.to_string()))
    }

    /// Flush and close an embedded store (a server connection needs nothing).
    pub(super) async fn close(&self) -> Result<(), Error> {
        match self {
            Conn::Local(_, datastore) => datastore
                .shutdown()
                .await
                .map_err(|e| Error::Query(format!("closing the store: {e}"))),
            Conn::Remote(_) => Ok(()),
        }
    }
}

pub(super) async fn open(options: &StoreOptions) -> Result<Conn, Error> {
    let url = options.url.as_str();
    let fail = |reason: String| Error::Open {
        url: url.to_owned(),
        reason,
    };
    let (scheme, rest) = url.split_once("://").unwrap_or((url, ""));
    let conn = match scheme {
        "mem" | "memory" | "surrealkv" => {
            let path = if scheme == "surrealkv" {
                if rest.is_empty() {
                    return Err(fail("surrealkv:// needs a path".into()));
                }
                let dir = rest.split('?').next().unwrap_or(rest);
                if let Some(parent) = std::path::Path::new(dir).parent() {
                    std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
                }
                // Sync on every commit unless the URL says otherwise.
                if rest.contains("sync=") {
                    format!("surrealkv://{rest}")
                } else if rest.contains('?') {
                    format!("surrealkv://{rest}&sync=every")
                } else {
                    format!("surrealkv://{rest}?sync=every")
                }
            } else {
                "memory".to_owned()
            };
            let config = ConfigMap::empty()
                .with_key_value(
                    "surrealkv_block_cache_capacity",
                    options.block_cache_bytes.to_string(),
                )
                .with_key_value(
                    "surrealkv_max_memtable_size",
                    options.memtable_bytes.to_string(),
                );
            let datastore: Arc<Datastore> = Datastore::builder()
                .with_config(config)
                .without_maintenance_tasks()
                .build_with_path(&path)
                .await
                .map_err(|e| fail(e.to_string()))?;
            datastore
                .check_version()
                .await
                .map_err(|e| fail(e.to_string()))?;
            datastore
                .bootstrap()
                .await
                .map_err(|e| fail(e.to_string()))?;
            datastore.start_maintenance_tasks();
            let db = Surreal::<Db>::unstable_from_datastore(datastore.clone(), None)
                .await
                .map_err(|e| fail(e.to_string()))?;
            db.use_ns(&options.namespace)
                .use_db(&options.database)
                .await
                .map_err(|e| fail(e.to_string()))?;
            Conn::Local(db, datastore)
        }
        "ws" | "wss" => {
            let db = surrealdb::engine::any::connect(url)
                .await
                .map_err(|e| fail(e.to_string()))?;
            if !options.username.is_empty() {
                db.signin(surrealdb::opt::auth::Root {
                    username: options.username.clone(),
                    password: options.password.clone(),
                })
                .await
                .map_err(|e| fail(e.to_string()))?;
            }
            db.use_ns(&options.namespace)
                .use_db(&options.database)
                .await
                .map_err(|e| fail(e.to_string()))?;
            Conn::Remote(db)
        }
        other => return Err(fail(format!("unsupported scheme `{other}`"))),
    };
    Ok(conn)
}

//! Installed plugins: manifest, grants and component in SurrealDB (table `plugin`, one row
//! per plugin id, the component base64-encoded so every node can load it), and loaded into
//! the host at start and on upload. Compiled code stays in the host's per-node cache.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{BlockInfo, Capability, Error, Loaded, Manifest, Runner};
use crate::storage::Store;

/// What the API shows of an installed plugin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginRecord {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    /// Capabilities granted at upload.
    pub capabilities: Vec<Capability>,
    pub sha256: String,
    /// The `cms:block` version the plugin was built for.
    pub wit_version: String,
    pub blocks: Vec<BlockInfo>,
    pub size: u64,
    pub uploaded_at: String,
    pub uploaded_by: String,
}

/// A stored row.
#[derive(Debug, Serialize, Deserialize)]
struct Row {
    manifest: Manifest,
    capabilities: Vec<Capability>,
    component: String,
    uploaded_at: String,
    uploaded_by: String,
}

/// An installed plugin, ready to call.
pub struct Installed {
    pub record: PluginRecord,
    pub loaded: Arc<Loaded>,
}

pub struct Registry {
    pub runner: Runner,
    store: Store,
    installed: RwLock<BTreeMap<String, Arc<Installed>>>,
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

impl Registry {
    /// Load every stored plugin. One that no longer loads (another engine, a WIT version this
    /// host refuses) is logged and left out; its row stays.
    pub async fn open(store: Store, runner: Runner) -> Result<Registry, Error> {
        let registry = Registry {
            runner,
            store,
            installed: RwLock::new(BTreeMap::new()),
        };
        let mut outcome = registry
            .store
            .run("SELECT * OMIT id FROM plugin;", Value::Null)
            .await
            .map_err(storage)?;
        let rows = outcome.rows(0).map_err(|e| storage(format!("{e:?}")))?;
        for row in rows {
            let row: Row = serde_json::from_value(row).map_err(storage)?;
            let id = row.manifest.id.clone();
            match registry.load(row).await {
                Ok(installed) => registry.insert(installed),
                Err(e) => tracing::error!(plugin = %id, "a stored plugin does not load: {e}"),
            }
        }
        Ok(registry)
    }

    fn insert(&self, installed: Installed) {
        let id = installed.record.id.clone();
        match self.installed.write() {
            Ok(mut map) => map.insert(id, Arc::new(installed)),
            Err(poisoned) => poisoned.into_inner().insert(id, Arc::new(installed)),
        };
    }

    async fn load(&self, row: Row) -> Result<Installed, Error> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&row.component)
            .map_err(storage)?;
        let size = bytes.len() as u64;
        let (host, caps) = (self.runner.host.clone(), row.capabilities.clone());
        let loaded = tokio::task::spawn_blocking(move || host.load(&bytes, &caps))
            .await
            .map_err(|e| Error::Engine(e.to_string()))??;
        let m = row.manifest;
        Ok(Installed {
            record: PluginRecord {
                id: m.id,
                name: m.name,
                version: m.version,
                description: m.description,
                capabilities: row.capabilities,
                sha256: loaded.sha256.clone(),
                wit_version: loaded.wit_version.clone(),
                blocks: loaded.blocks.clone(),
                size,
                uploaded_at: row.uploaded_at,
                uploaded_by: row.uploaded_by,
            },
            loaded: Arc::new(loaded),
        })
    }

    /// Check, compile and store a plugin (replacing one with the same id), granting
    /// `grants`. Nothing is stored when any check fails.
    pub async fn install(
        &self,
        manifest: &str,
        component: &[u8],
        grants: &[String],
        by: &str,
        at: &str,
    ) -> Result<PluginRecord, Error> {
        let manifest = Manifest::parse(manifest)?;
        let capabilities = manifest.grants(grants)?;
        let row = Row {
            manifest,
            capabilities,
            component: base64::engine::general_purpose::STANDARD.encode(component),
            uploaded_at: at.to_owned(),
            uploaded_by: by.to_owned(),
        };
        let id = row.manifest.id.clone();
        let stored = serde_json::to_value(&row).map_err(storage)?;
        let installed = self.load(row).await?;
        let record = installed.record.clone();
        let outcome = self
            .store
            .run(
                "UPSERT type::record('plugin', $id) CONTENT $row RETURN NONE;",
                json!({ "id": id, "row": stored }),
            )
            .await
            .map_err(storage)?;
        if let Some(e) = outcome.first_error() {
            return Err(storage(format!("{e:?}")));
        }
        self.insert(installed);
        Ok(record)
    }

    pub fn list(&self) -> Vec<PluginRecord> {
        let map = match self.installed.read() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.values().map(|i| i.record.clone()).collect()
    }

    pub fn get(&self, id: &str) -> Option<Arc<Installed>> {
        let map = match self.installed.read() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.get(id).cloned()
    }

    /// Remove a plugin; false when there was none.
    pub async fn remove(&self, id: &str) -> Result<bool, Error> {
        let mut outcome = self
            .store
            .run(
                "DELETE type::record('plugin', $id) RETURN BEFORE;",
                json!({ "id": id }),
            )
            .await
            .map_err(storage)?;
        let existed = !outcome
            .rows(0)
            .map_err(|e| storage(format!("{e:?}")))?
            .is_empty();
        let removed = match self.installed.write() {
            Ok(mut map) => map.remove(id),
            Err(poisoned) => poisoned.into_inner().remove(id),
        };
        Ok(existed || removed.is_some())
    }
}

//! Tables, indexes and the schema version, defined idempotently at every start.

use super::{Error, Store};

/// Bump when the stored layout changes; a store written by a newer version is refused.
pub const SCHEMA_VERSION: u64 = 1;

const DEFINITIONS: &str = r#"
DEFINE TABLE IF NOT EXISTS meta SCHEMALESS;
DEFINE TABLE IF NOT EXISTS counter SCHEMALESS;
DEFINE TABLE IF NOT EXISTS item SCHEMALESS;
DEFINE TABLE IF NOT EXISTS working SCHEMALESS;
DEFINE INDEX IF NOT EXISTS working_slug ON working FIELDS ctype, scope, locale, slug UNIQUE;
DEFINE INDEX IF NOT EXISTS working_type ON working FIELDS ctype, locale;
DEFINE TABLE IF NOT EXISTS delivery SCHEMALESS;
DEFINE INDEX IF NOT EXISTS delivery_slug ON delivery FIELDS ctype, scope, locale, slug UNIQUE;
DEFINE INDEX IF NOT EXISTS delivery_type ON delivery FIELDS ctype, locale;
DEFINE TABLE IF NOT EXISTS delivery_list SCHEMALESS;
DEFINE INDEX IF NOT EXISTS delivery_list_type ON delivery_list FIELDS ctype, locale;
DEFINE TABLE IF NOT EXISTS revision SCHEMALESS;
DEFINE INDEX IF NOT EXISTS revision_item ON revision FIELDS uid, locale, n UNIQUE;
DEFINE TABLE IF NOT EXISTS audit SCHEMALESS;
DEFINE INDEX IF NOT EXISTS audit_item ON audit FIELDS uid;
DEFINE INDEX IF NOT EXISTS audit_order ON audit FIELDS at, key;
DEFINE TABLE IF NOT EXISTS user SCHEMALESS;
DEFINE INDEX IF NOT EXISTS user_email ON user FIELDS email UNIQUE;
DEFINE TABLE IF NOT EXISTS session SCHEMALESS;
DEFINE INDEX IF NOT EXISTS session_user ON session FIELDS uid;
DEFINE TABLE IF NOT EXISTS api_token SCHEMALESS;
DEFINE INDEX IF NOT EXISTS api_token_id ON api_token FIELDS tid UNIQUE;
DEFINE TABLE IF NOT EXISTS schedule SCHEMALESS;
DEFINE INDEX IF NOT EXISTS schedule_at ON schedule FIELDS at;
DEFINE TABLE IF NOT EXISTS user_token SCHEMALESS;
DEFINE TABLE IF NOT EXISTS plugin SCHEMALESS;
DEFINE TABLE IF NOT EXISTS plugin_read SCHEMALESS;
DEFINE INDEX IF NOT EXISTS plugin_read_read ON plugin_read FIELDS read;
DEFINE INDEX IF NOT EXISTS plugin_read_reader ON plugin_read FIELDS reader, locale;
DEFINE TABLE IF NOT EXISTS rerender SCHEMALESS;
DEFINE TABLE IF NOT EXISTS outbox SCHEMALESS;
DEFINE INDEX IF NOT EXISTS outbox_seq ON outbox FIELDS seq UNIQUE;
IF record::exists(counter:outbox) = false { CREATE counter:outbox SET n = 0 };
RETURN meta:schema.version;
"#;

pub(super) async fn run(store: &Store) -> Result<(), Error> {
    let mut outcome = store.run(DEFINITIONS, serde_json::Value::Null).await?;
    if let Some(e) = outcome.first_error() {
        return Err(Error::Query(format!("migration failed: {e:?}")));
    }
    let last = outcome.len().saturating_sub(1);
    let found = outcome
        .take(last)
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        let mut outcome = store
            .run(
                "UPSERT meta:schema SET version = $v, updated_at = time::now();",
                serde_json::json!({ "v": SCHEMA_VERSION }),
            )
            .await?;
        if let Some(e) = outcome.first_error() {
            return Err(Error::Query(format!("recording the schema version: {e:?}")));
        }
        let _ = outcome.take(0);
    }
    Ok(())
}

//! The audit log: entries are written by `content/` and `auth/` inside their own transactions;
//! this module reads them back for admins (`GET /api/v1/audit`). No API edits or deletes them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::clock::{format_ts, parse_ts};
use crate::principal::Principal;
use crate::storage::Store;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authentication required")]
    Unauthorized,
    #[error("the audit log is for admins")]
    Forbidden,
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("storage: {0}")]
    Storage(String),
}

/// Filters of `GET /api/v1/audit` (all optional).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Exact action (`item.published`, `auth.login_failed`, ...), or a prefix ending in `.`.
    pub action: Option<String>,
    /// `user:<id>`, `token:<id>`, `bootstrap`, `anonymous`, `system`.
    pub actor: Option<String>,
    /// An item id or the id of the account/token an auth event concerns.
    pub subject: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A page of entries, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<Value>,
    pub next_cursor: Option<String>,
}

tokio::task_local! {
    /// The client address of the request being served (set by `http/` around every request),
    /// so every entry written while serving it says where it came from.
    pub static CLIENT_IP: Option<String>;
}

/// The client address of the current request, if any (none for jobs and the CLI).
pub fn client_ip() -> Option<String> {
    CLIENT_IP.try_with(Clone::clone).ok().flatten()
}

/// The key of a new entry: a ULID from a monotonic generator, so entries written in one
/// millisecond still sort in the order they were made (the log sorts by `at`, then `key`).
pub fn entry_key() -> String {
    static GENERATOR: std::sync::Mutex<Option<ulid::Generator>> = std::sync::Mutex::new(None);
    let mut guard = match GENERATOR.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    let generator = guard.get_or_insert_with(ulid::Generator::new);
    generator
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::generate())
        .to_string()
}

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::BadRequest {
        code,
        message: message.into(),
    }
}

fn timestamp(name: &str, value: &str) -> Result<String, Error> {
    parse_ts(value).map(format_ts).map_err(|_| {
        bad(
            "invalid_parameter",
            format!("`{name}` must be an RFC 3339 time"),
        )
    })
}

/// Read the audit log (admins only).
pub async fn list(store: &Store, who: &Principal, q: &AuditQuery) -> Result<AuditPage, Error> {
    match who {
        Principal::Anonymous => return Err(Error::Unauthorized),
        w if !w.is_admin() => return Err(Error::Forbidden),
        _ => {}
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(bad("invalid_limit", "`limit` is between 1 and 500"));
    }
    let mut conds = Vec::new();
    let mut vars = Map::new();
    if let Some(action) = &q.action {
        if let Some(prefix) = action.strip_suffix('.') {
            conds.push("string::starts_with(action, $action)");
            vars.insert("action".into(), json!(format!("{prefix}.")));
        } else {
            conds.push("action = $action");
            vars.insert("action".into(), json!(action));
        }
    }
    if let Some(actor) = &q.actor {
        conds.push("actor = $actor");
        vars.insert("actor".into(), json!(actor));
    }
    if let Some(subject) = &q.subject {
        conds.push("(uid = $subject OR subject = $subject)");
        vars.insert("subject".into(), json!(subject));
    }
    if let Some(since) = &q.since {
        conds.push("at >= $since");
        vars.insert("since".into(), json!(timestamp("since", since)?));
    }
    if let Some(until) = &q.until {
        conds.push("at < $until");
        vars.insert("until".into(), json!(timestamp("until", until)?));
    }
    if let Some(cursor) = &q.cursor {
        let (at, key) = decode_cursor(cursor)?;
        conds.push("(at < $cat OR (at = $cat AND key < $ckey))");
        vars.insert("cat".into(), json!(at));
        vars.insert("ckey".into(), json!(key));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    vars.insert("limit".into(), json!(limit + 1));
    let sql =
        format!("SELECT * OMIT id FROM audit {filter} ORDER BY at DESC, key DESC LIMIT $limit;");
    let mut outcome = store
        .run(&sql, Value::Object(vars))
        .await
        .map_err(|e| Error::Storage(e.to_string()))?;
    let mut rows = outcome
        .rows(0)
        .map_err(|e| Error::Storage(format!("{e:?}")))?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| {
            encode_cursor(
                r.get("at").and_then(Value::as_str).unwrap_or_default(),
                &key_text(r.get("key")),
            )
        })
    } else {
        None
    };
    Ok(AuditPage {
        entries: rows,
        next_cursor,
    })
}

fn key_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn encode_cursor(at: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(json!([at, key]).to_string())
}

fn decode_cursor(raw: &str) -> Result<(String, String), Error> {
    let invalid = || bad("invalid_cursor", "`cursor` is not one this API gave out");
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    match v.as_array().map(Vec::as_slice) {
        Some([Value::String(at), Value::String(key)]) => Ok((at.clone(), key.clone())),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = encode_cursor("2025-01-01T09:00:00.000Z", "abc");
        assert_eq!(
            decode_cursor(&c).ok(),
            Some(("2025-01-01T09:00:00.000Z".into(), "abc".into()))
        );
        assert!(decode_cursor("%%").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("[1]")).is_err());
    }
}

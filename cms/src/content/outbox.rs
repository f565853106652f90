//! Reading the outbox: events in commit order, gap-free, for followers with durable cursors.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Content, Error};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub seq: u64,
    pub at: String,
    pub kind: String,
    pub uid: String,
    pub ctype: String,
    pub site: String,
    pub locale: String,
    pub revision: u64,
    pub version: u64,
}

impl Content {
    /// Events with `seq > after`, in order, at most `limit`.
    pub async fn outbox_after(&self, after: u64, limit: usize) -> Result<Vec<OutboxEvent>, Error> {
        let mut outcome = self
            .inner
            .store
            .run(
                "SELECT * OMIT id FROM outbox WHERE seq > $after ORDER BY seq ASC LIMIT $limit;",
                json!({ "after": after, "limit": limit }),
            )
            .await?;
        let rows = outcome
            .rows(0)
            .map_err(|e| Error::Storage(format!("{e:?}")))?;
        rows.into_iter()
            .map(|r| serde_json::from_value(r).map_err(|e| Error::Storage(e.to_string())))
            .collect()
    }

    /// The sequence number of the last committed event.
    pub async fn outbox_head(&self) -> Result<u64, Error> {
        let mut outcome = self
            .inner
            .store
            .run("RETURN counter:outbox.n;", serde_json::Value::Null)
            .await?;
        Ok(outcome.take(0).ok().and_then(|v| v.as_u64()).unwrap_or(0))
    }
}

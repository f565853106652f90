//! Following the outbox: read the events after the index's cursor, load the current rows of
//! the items they name, replace those items' documents and commit with the new cursor.
//! Re-applying an event is harmless (documents are rebuilt from the current rows), so a crash
//! between the database commit and the index commit only means doing it again.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::index::{ItemRows, SearchIndex};
use super::{Error, SearchOptions, Status};
use crate::schema::Registry;
use crate::storage::Store;

fn rows(outcome: &mut crate::storage::Outcome, i: usize) -> Result<Vec<Value>, Error> {
    Ok(outcome.rows(i)?)
}

/// The last committed outbox sequence number.
pub async fn head(store: &Store) -> Result<u64, Error> {
    let mut outcome = store.run("RETURN counter:outbox.n;", Value::Null).await?;
    Ok(outcome.take(0).ok().and_then(|v| v.as_u64()).unwrap_or(0))
}

/// The current working and delivery rows of `uids`, every locale.
pub async fn item_rows(
    store: &Store,
    uids: &[String],
    locales: &[String],
) -> Result<BTreeMap<String, ItemRows>, Error> {
    let keys: Vec<String> = uids
        .iter()
        .flat_map(|u| locales.iter().map(move |l| format!("{u}.{l}")))
        .collect();
    let mut outcome = store
        .run(
            "SELECT * OMIT id FROM array::map($keys, |$k| type::record('working', $k));
             SELECT * OMIT id FROM array::map($keys, |$k| type::record('delivery', $k));",
            json!({ "keys": keys }),
        )
        .await?;
    let mut items: BTreeMap<String, ItemRows> = uids
        .iter()
        .map(|u| (u.clone(), ItemRows::default()))
        .collect();
    for (i, working) in [(0, true), (1, false)] {
        for row in rows(&mut outcome, i)? {
            let Some(uid) = row.get("uid").and_then(Value::as_str) else {
                continue;
            };
            if let Some(item) = items.get_mut(uid) {
                if working {
                    item.working.push(row);
                } else {
                    item.delivery.push(row);
                }
            }
        }
    }
    Ok(items)
}

/// Apply the next batch of events after `index`'s cursor; the number of events applied.
pub async fn advance(
    store: &Store,
    schemas: &Arc<Registry>,
    options: &SearchOptions,
    index: &Arc<SearchIndex>,
) -> Result<usize, Error> {
    let after = index.cursor();
    let mut outcome = store
        .run(
            "SELECT seq, uid FROM outbox WHERE seq > $after ORDER BY seq ASC LIMIT $limit;",
            json!({ "after": after, "limit": options.batch.max(1) }),
        )
        .await?;
    let events = rows(&mut outcome, 0)?;
    let Some(last) = events
        .last()
        .and_then(|e| e.get("seq"))
        .and_then(Value::as_u64)
    else {
        return Ok(0);
    };
    let mut uids: Vec<String> = events
        .iter()
        .filter_map(|e| e.get("uid").and_then(Value::as_str).map(str::to_owned))
        .collect();
    uids.sort();
    uids.dedup();
    let items: Vec<(String, ItemRows)> = item_rows(store, &uids, &options.locales)
        .await?
        .into_iter()
        .collect();
    let (index, schemas) = (index.clone(), schemas.clone());
    tokio::task::spawn_blocking(move || index.apply(&schemas, &items, last))
        .await
        .map_err(|e| Error::Index(e.to_string()))??;
    Ok(events.len())
}

/// Cursor, head and lag of `index`.
pub async fn status(store: &Store, index: &SearchIndex) -> Result<Status, Error> {
    let cursor = index.cursor();
    let mut outcome = store
        .run(
            "RETURN counter:outbox.n; SELECT VALUE at FROM outbox WHERE seq = $next;",
            json!({ "next": cursor + 1 }),
        )
        .await?;
    let head = outcome.take(0).ok().and_then(|v| v.as_u64()).unwrap_or(0);
    let oldest = rows(&mut outcome, 1)?
        .into_iter()
        .next()
        .and_then(|v| v.as_str().map(str::to_owned));
    let lag_seconds = oldest
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
        .map(|at| {
            (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0
        })
        .unwrap_or(0.0)
        .max(0.0);
    Ok(Status {
        cursor,
        head,
        lag_events: head.saturating_sub(cursor),
        lag_seconds,
        documents: index.reader.searcher().num_docs(),
        disk_bytes: index.disk_bytes(),
        segments: index.segments() as u64,
        merging: index.merging(),
    })
}

//! Building an index from SurrealDB: at start when the current one is missing, of another
//! layout, or ahead of the database; and on demand (`cms reindex`), aside, while the live
//! index keeps answering, then caught up and swapped in under the follower's lock.
//!
//! On disk: `<data.dir>/search/<fingerprint>[-<ulid>]/` per build, and `CURRENT` naming the
//! live one (written by rename, so a crash leaves the old or the new name, never half).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::follow::{advance, head};
use super::index::{ItemRows, Place, SearchIndex};
use super::layout::Layout;
use super::{Error, Search, SearchOptions};
use crate::content::model;
use crate::principal::Principal;
use crate::schema::{FieldKind, Registry};
use crate::storage::Store;

/// Rows read from SurrealDB per query during a build.
const CHUNK: usize = 500;

/// A rebuild's progress (`GET /api/v1/admin/reindex`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Progress {
    /// `idle`, `running`, `done` or `failed`.
    pub state: &'static str,
    pub done: u64,
    pub total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            state: "idle",
            done: 0,
            total: 0,
            error: None,
            seconds: None,
        }
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Io(e.to_string())
}

fn current_file(root: &Path) -> PathBuf {
    root.join("CURRENT")
}

/// Point `CURRENT` at `name` atomically, then remove every other build.
fn make_current(root: &Path, name: &str) -> Result<(), Error> {
    let tmp = root.join("CURRENT.tmp");
    std::fs::write(&tmp, name).map_err(io)?;
    std::fs::rename(&tmp, current_file(root)).map_err(io)?;
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() && entry.file_name().to_string_lossy() != name {
                let _ = std::fs::remove_dir_all(path);
            }
        }
    }
    Ok(())
}

/// The live index at start.
pub(super) async fn open_current(
    store: &Store,
    schemas: &Arc<Registry>,
    options: &SearchOptions,
    fingerprint: &str,
) -> Result<Arc<SearchIndex>, Error> {
    let layout = Layout::new(schemas, &options.locales, &options.default_locale);
    let Some(root) = &options.dir else {
        let index = Arc::new(SearchIndex::open(Place::Ram, layout)?);
        fill(store, schemas, &index, &|_, _| {}).await?;
        return Ok(index);
    };
    std::fs::create_dir_all(root).map_err(io)?;
    let current = std::fs::read_to_string(current_file(root)).unwrap_or_default();
    let head = head(store).await?;
    if current.starts_with(fingerprint) && root.join(&current).is_dir() {
        let index = SearchIndex::open(Place::Dir(root.join(&current)), layout.clone())?;
        if index.cursor() <= head {
            return Ok(Arc::new(index));
        }
        tracing::warn!(
            cursor = index.cursor(),
            head,
            "the search index is ahead of the database; rebuilding it"
        );
    } else if !current.is_empty() {
        tracing::info!("content types or analyzers changed; rebuilding the search index");
    }
    let name = format!("{fingerprint}-{}", ulid::Ulid::generate());
    let index = Arc::new(SearchIndex::open(Place::Dir(root.join(&name)), layout)?);
    let started = std::time::Instant::now();
    fill(store, schemas, &index, &|_, _| {}).await?;
    make_current(root, &name)?;
    tracing::info!(
        documents = index.reader.searcher().num_docs(),
        seconds = started.elapsed().as_secs_f64(),
        "built the search index"
    );
    Ok(index)
}

/// The characters keys are split on, in byte order. Keys are `<ulid>.<locale>`; a key with
/// other characters still falls into exactly one range, only the split is coarser there.
const SPLIT: &[u8] = b"-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/// A half-open range of record keys `[lo, hi)` (None: unbounded), and the prefix its keys
/// share when it can be split further by appending a character of `SPLIT`.
#[derive(Debug, Clone, PartialEq)]
struct KeyRange {
    lo: Option<String>,
    hi: Option<String>,
    prefix: Option<String>,
}

impl KeyRange {
    /// The whole table, to be split by its keys' prefixes.
    fn whole() -> KeyRange {
        KeyRange {
            lo: None,
            hi: None,
            prefix: Some(String::new()),
        }
    }

    /// The record range of `table` in SurrealQL (bounds are built from `SPLIT` only).
    fn target(&self, table: &str) -> String {
        match (&self.lo, &self.hi) {
            (None, None) => table.to_owned(),
            (Some(lo), None) => format!("{table}:⟨{lo}⟩.."),
            (None, Some(hi)) => format!("{table}:..⟨{hi}⟩"),
            (Some(lo), Some(hi)) => format!("{table}:⟨{lo}⟩..⟨{hi}⟩"),
        }
    }

    /// The ranges that cover this one, whose keys all start with `prefix`: one per next
    /// character of `SPLIT` (`[prefix+c, prefix+(c+1))`, splittable again), and the gaps
    /// between them and at both ends, which hold only keys with other characters there (read
    /// as they are, however many).
    fn split(&self, prefix: &str) -> Vec<KeyRange> {
        let bound = |c: u8| format!("{prefix}{}", c as char);
        let gap = |lo: Option<String>, hi: Option<String>| KeyRange {
            lo,
            hi,
            prefix: None,
        };
        let mut ranges = Vec::new();
        let mut lo = self.lo.clone();
        for &c in SPLIT {
            ranges.push(gap(lo, Some(bound(c))));
            ranges.push(KeyRange {
                lo: Some(bound(c)),
                hi: Some(bound(c + 1)),
                prefix: Some(bound(c)),
            });
            lo = Some(bound(c + 1));
        }
        ranges.push(gap(lo, self.hi.clone()));
        // Adjacent characters leave empty gaps ([prefix+'1', prefix+'1')).
        ranges.retain(|r| r.prefix.is_some() || r.lo.is_none() || r.lo != r.hi);
        ranges
    }
}

/// Rows of `table` in pages of about `chunk` rows without listing the keys: SurrealDB 3.3
/// counts the keys of a bounded range without reading the records, but reads whole records
/// to list keys, and a range with only a lower bound (or `START`, or `LIMIT`) reads the
/// rest of the table for every page. So a range with more than `chunk` keys is cut at the
/// next character of its keys' shared prefix, its parts counted in one query, until each
/// part is small enough to be read as one page.
struct Pages {
    table: &'static str,
    chunk: usize,
    /// Ranges still to read, last first, with their key counts.
    todo: Vec<(KeyRange, u64)>,
    /// `, fields.<f>[*].html` per blocks field: rendered HTML is half a row and never indexed.
    omit: String,
}

/// Adjacent ranges joined while their keys together fit in a page (a joined range is not
/// split again); a range with more keys than that stays alone, to be split.
fn coalesce(parts: Vec<(KeyRange, u64)>, chunk: u64) -> Vec<(KeyRange, u64)> {
    let mut out: Vec<(KeyRange, u64)> = Vec::new();
    let mut open = false;
    for (range, n) in parts {
        match out.last_mut() {
            Some((last, m)) if open && n <= chunk && *m + n <= chunk => {
                last.hi = range.hi;
                last.prefix = None;
                *m += n;
            }
            _ => {
                open = n <= chunk;
                out.push((range, n));
            }
        }
    }
    out
}

impl Pages {
    /// The pages of `table` and its key count (for the progress bar).
    async fn list(
        store: &Store,
        schemas: &Registry,
        table: &'static str,
        chunk: usize,
    ) -> Result<(Pages, u64), Error> {
        let mut omit = String::new();
        let blocks: std::collections::BTreeSet<&str> = schemas
            .types()
            .flat_map(|ct| &ct.fields)
            .filter(|f| matches!(f.kind, FieldKind::Blocks))
            .map(|f| f.name.as_str())
            .filter(|name| name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .collect();
        for name in blocks {
            omit.push_str(&format!(", fields.{name}[*].html"));
        }
        let whole = KeyRange::whole();
        let total = Pages::count(store, table, std::slice::from_ref(&whole))
            .await?
            .first()
            .copied()
            .unwrap_or(0);
        let pages = Pages {
            table,
            chunk,
            todo: vec![(whole, total)],
            omit,
        };
        Ok((pages, total))
    }

    /// The number of keys in each of `ranges`, in one query.
    async fn count(store: &Store, table: &str, ranges: &[KeyRange]) -> Result<Vec<u64>, Error> {
        let sql: String = ranges
            .iter()
            .map(|r| format!("SELECT count() FROM {} GROUP ALL;", r.target(table)))
            .collect();
        let mut outcome = store.run(&sql, Value::Null).await?;
        (0..ranges.len())
            .map(|i| {
                let rows = outcome.rows(i)?;
                Ok(rows
                    .first()
                    .and_then(|r| r.get("count"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0))
            })
            .collect()
    }

    /// The next page: its key range and this table's rows in it (rows added since the count
    /// included; an empty range comes back too, as the other table may have rows there),
    /// None at the end.
    async fn next(&mut self, store: &Store) -> Result<Option<(KeyRange, Vec<Value>)>, Error> {
        while let Some((range, count)) = self.todo.pop() {
            if let Some(prefix) = &range.prefix
                && count > self.chunk as u64
                && prefix.len() < 256
            {
                let parts = range.split(prefix);
                let counts = Pages::count(store, self.table, &parts).await?;
                let parts = coalesce(parts.into_iter().zip(counts).collect(), self.chunk as u64);
                self.todo.extend(parts.into_iter().rev());
                continue;
            }
            let rows = match count {
                0 => Vec::new(),
                _ => self.read(store, self.table, &range).await?,
            };
            return Ok(Some((range, rows)));
        }
        Ok(None)
    }

    /// The rows of `table` in `range`, without the rendered HTML of blocks.
    async fn read(
        &self,
        store: &Store,
        table: &str,
        range: &KeyRange,
    ) -> Result<Vec<Value>, Error> {
        let sql = format!(
            "SELECT * OMIT id{} FROM {};",
            self.omit,
            range.target(table)
        );
        Ok(store.run(&sql, Value::Null).await?.rows(0)?)
    }
}

impl ItemRows {
    fn len(&self) -> usize {
        self.working.len() + self.delivery.len()
    }

    /// Take the rows of the last item (the greatest key of either table: keys are
    /// `<uid>.<locale>`, so an item's rows are adjacent), which may go on in the next page.
    fn split_last_item(&mut self) -> ItemRows {
        fn uid(row: &Value) -> &str {
            row.get("uid").and_then(Value::as_str).unwrap_or_default()
        }
        fn key(row: &Value) -> String {
            let locale = row
                .get("locale")
                .and_then(Value::as_str)
                .unwrap_or_default();
            model::row_key(uid(row), locale)
        }
        let last = [self.working.last(), self.delivery.last()]
            .into_iter()
            .flatten()
            .max_by_key(|row| key(row))
            .map(|row| uid(row).to_owned());
        let Some(last) = last else {
            return ItemRows::default();
        };
        let tail = |rows: &mut Vec<Value>| {
            let start = rows
                .iter()
                .rposition(|row| uid(row) != last)
                .map_or(0, |i| i + 1);
            rows.split_off(start)
        };
        ItemRows {
            working: tail(&mut self.working),
            delivery: tail(&mut self.delivery),
        }
    }

    /// `earlier` (carried from the page before) ahead of these rows.
    fn after(self, mut earlier: ItemRows) -> ItemRows {
        earlier.working.extend(self.working);
        earlier.delivery.extend(self.delivery);
        earlier
    }
}

/// Index every working and delivery row into the empty `index`, committed with the outbox
/// head read before the scan (events after it are applied again later: harmless). Reading a
/// page from SurrealDB overlaps with indexing the one before it.
async fn fill(
    store: &Store,
    schemas: &Arc<Registry>,
    index: &Arc<SearchIndex>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let index2 = index.clone();
    joined(tokio::task::spawn_blocking(move || index2.start_build()).await)?;
    let cursor = head(store).await?;
    // Pages are cut by the working table's keys, and each page's delivery rows are read over
    // the same key range: an item's rows of both tables are indexed together (a working copy
    // unchanged since its publish shares the snapshot's document: `index::documents`).
    let whole = [KeyRange::whole()];
    let (pages, delivery) = tokio::join!(
        Pages::list(store, schemas, "working", CHUNK),
        Pages::count(store, "delivery", &whole)
    );
    let ((mut pages, w), d) = (pages?, delivery?.first().copied().unwrap_or(0));
    let total = w + d;
    let count_s = started.elapsed().as_secs_f64();
    let (mut read_s, mut wait_s) = (0.0, 0.0);
    let mut done = 0u64;
    progress(0, total);
    let mut adding: Option<tokio::task::JoinHandle<Result<(), Error>>> = None;
    let mut carry = ItemRows::default();
    loop {
        let read = std::time::Instant::now();
        let page = pages.next(store).await?;
        let end = page.is_none();
        let mut rows = match page {
            Some((range, working)) => ItemRows {
                working,
                delivery: pages.read(store, "delivery", &range).await?,
            },
            None => ItemRows::default(),
        }
        .after(std::mem::take(&mut carry));
        if !end {
            carry = rows.split_last_item();
        }
        if rows.len() == 0 {
            if end {
                break;
            }
            continue;
        }
        let n = rows.len() as u64;
        read_s += read.elapsed().as_secs_f64();
        if let Some(previous) = adding.take() {
            let wait = std::time::Instant::now();
            joined(previous.await)?;
            wait_s += wait.elapsed().as_secs_f64();
            progress(done.min(total), total);
        }
        let (index, schemas) = (index.clone(), schemas.clone());
        adding = Some(tokio::task::spawn_blocking(move || {
            index.add(&schemas, &rows)
        }));
        done += n;
        if end {
            break;
        }
    }
    if let Some(previous) = adding.take() {
        joined(previous.await)?;
    }
    progress(total, total);
    let commit = std::time::Instant::now();
    let (index2, schemas2) = (index.clone(), schemas.clone());
    joined(tokio::task::spawn_blocking(move || index2.commit(&schemas2, cursor)).await)?;
    let commit_s = commit.elapsed().as_secs_f64();
    let index2 = index.clone();
    joined(tokio::task::spawn_blocking(move || index2.finish_build()).await)?;
    tracing::info!(
        rows = done,
        segments = index.segments(),
        count_s,
        read_s,
        wait_s,
        commit_s,
        seconds = started.elapsed().as_secs_f64(),
        "filled a search index from the database"
    );
    let index2 = index.clone();
    tokio::task::spawn_blocking(move || {
        let merge = std::time::Instant::now();
        index2.merge_built();
        tracing::info!(
            segments = index2.segments(),
            seconds = merge.elapsed().as_secs_f64(),
            "merged a built search index"
        );
    });
    Ok(())
}

fn joined(result: Result<Result<(), Error>, tokio::task::JoinError>) -> Result<(), Error> {
    result.map_err(|e| Error::Index(e.to_string()))?
}

impl Search {
    fn set_progress(&self, f: impl FnOnce(&mut Progress)) {
        let mut guard = match self.inner.progress.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard);
    }

    /// Mark a rebuild as running; Err(Busy) while another one runs.
    fn begin_rebuild(&self) -> Result<(), Error> {
        let mut guard = match self.inner.progress.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.state == "running" {
            return Err(Error::Busy);
        }
        *guard = Progress {
            state: "running",
            ..Progress::default()
        };
        Ok(())
    }

    /// Rebuild the index from SurrealDB aside, catch it up and swap it in; searches keep
    /// answering from the old index meanwhile. Err(Busy) while another rebuild runs.
    pub async fn rebuild(&self) -> Result<Progress, Error> {
        self.begin_rebuild()?;
        self.run_rebuild().await
    }

    /// Start a rebuild in the background (admins); its progress is `progress()`.
    pub fn start_rebuild(&self, who: &Principal) -> Result<Progress, Error> {
        super::require_admin(who)?;
        self.begin_rebuild()?;
        let search = self.clone();
        tokio::spawn(async move {
            if let Err(e) = search.run_rebuild().await {
                tracing::error!("search index rebuild failed: {e}");
            }
        });
        Ok(self.progress())
    }

    async fn run_rebuild(&self) -> Result<Progress, Error> {
        let started = std::time::Instant::now();
        let result = self.rebuild_inner().await;
        self.set_progress(|p| {
            p.seconds = Some(started.elapsed().as_secs_f64());
            match &result {
                Ok(()) => p.state = "done",
                Err(e) => {
                    p.state = "failed";
                    p.error = Some(e.to_string());
                }
            }
        });
        result.map(|()| self.progress())
    }

    async fn rebuild_inner(&self) -> Result<(), Error> {
        let inner = &self.inner;
        let options = &inner.options;
        let layout = Layout::new(&inner.schemas, &options.locales, &options.default_locale);
        let (place, name) = match &inner.options.dir {
            None => (Place::Ram, None),
            Some(root) => {
                let name = format!("{}-{}", inner.fingerprint, ulid::Ulid::generate());
                (Place::Dir(root.join(&name)), Some(name))
            }
        };
        let fresh = Arc::new(SearchIndex::open(place, layout)?);
        let report = |done: u64, total: u64| {
            self.set_progress(|p| {
                p.done = done;
                p.total = total;
            })
        };
        fill(&inner.store, &inner.schemas, &fresh, &report).await?;
        // Catch up without holding the follower back, then the last stretch under its lock.
        while advance(&inner.store, &inner.schemas, &inner.options, &fresh).await? > 0 {}
        let _guard = inner.apply.lock().await;
        while advance(&inner.store, &inner.schemas, &inner.options, &fresh).await? > 0 {}
        match inner.live.write() {
            Ok(mut live) => *live = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        if let (Some(root), Some(name)) = (&inner.options.dir, &name) {
            make_current(root, name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_last_items_rows_of_both_tables_are_kept_for_the_next_page() {
        let rows = |keys: &[&str]| -> Vec<Value> {
            keys.iter()
                .map(|k| {
                    let (uid, locale) = k.split_once('.').unwrap();
                    serde_json::json!({ "uid": uid, "locale": locale })
                })
                .collect()
        };
        let keys = |rows: &[Value]| -> Vec<String> {
            rows.iter()
                .map(|r| {
                    format!(
                        "{}.{}",
                        r["uid"].as_str().unwrap(),
                        r["locale"].as_str().unwrap()
                    )
                })
                .collect()
        };
        // "c" has its Welsh snapshot on this page and may have more rows on the next.
        let mut page = ItemRows {
            working: rows(&["a.en", "b.en"]),
            delivery: rows(&["a.cy", "a.en", "c.cy"]),
        };
        let carry = page.split_last_item();
        assert_eq!(keys(&carry.working), Vec::<String>::new());
        assert_eq!(keys(&carry.delivery), ["c.cy"]);
        assert_eq!(keys(&page.working), ["a.en", "b.en"]);
        assert_eq!(keys(&page.delivery), ["a.cy", "a.en"]);
        // The carried rows go ahead of the next page's.
        let next = ItemRows {
            working: rows(&["c.en", "d.en"]),
            delivery: rows(&["c.en"]),
        }
        .after(carry);
        assert_eq!(keys(&next.working), ["c.en", "d.en"]);
        assert_eq!(keys(&next.delivery), ["c.cy", "c.en"]);
        let mut next = next;
        let carry = next.split_last_item();
        assert_eq!(keys(&carry.working), ["d.en"]);
        assert_eq!(next.len(), 3);
        assert_eq!(ItemRows::default().split_last_item().len(), 0);
    }

    #[tokio::test]
    async fn pages_cover_every_key_once_without_listing_the_keys() {
        let store = Store::open_for_test("mem://").await;
        // ULID-like keys with locales (several share a prefix for many characters), plus keys
        // outside the split alphabet, which must still be read exactly once.
        let mut keys: Vec<String> = (0..700u32)
            .map(|i| {
                format!(
                    "01J{:05}ABCDEFGHJKMNPQRSTV.{}",
                    i * 7919 % 100_000,
                    ["en", "cy"][i as usize % 2]
                )
            })
            .collect();
        keys.extend(["~tilde", "!bang", "Ünïcode", "01J", "zzz"].map(String::from));
        store
            .run(
                "FOR $k IN $keys { CREATE type::record('working', $k) SET k = $k RETURN NONE; };",
                serde_json::json!({ "keys": keys }),
            )
            .await
            .unwrap();
        let schemas = Registry::from_sources(&[]).unwrap();
        let (mut pages, total) = Pages::list(&store, &schemas, "working", 40).await.unwrap();
        assert_eq!(total, keys.len() as u64);
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        while let Some((_, rows)) = pages.next(&store).await.unwrap() {
            if rows.is_empty() {
                continue;
            }
            sizes.push(rows.len());
            seen.extend(rows.iter().map(|r| r["k"].as_str().unwrap().to_owned()));
        }
        let mut expected = keys.clone();
        expected.sort();
        seen.sort();
        assert_eq!(seen, expected, "every key exactly once");
        assert!(sizes.len() >= keys.len() / 40, "pages: {sizes:?}");
        assert!(sizes.iter().all(|n| *n <= 40), "pages: {sizes:?}");
    }

    #[tokio::test]
    async fn a_build_indexes_every_row_once_with_an_items_rows_together_across_pages() {
        let store = Store::open_for_test("mem://").await;
        // 1,200 items (more than two pages of working rows). Every third is a draft (a working
        // row only); the others are published, with a Welsh snapshot falling back to English,
        // and every fifth of those has been edited since (its working copy differs).
        let big = 100_000u32;
        let uid = |i: u32| match i {
            100_000 => "01JZZZZZABCDEFGHJKMNPQRSTV".to_owned(),
            _ => format!("01J{:05}ABCDEFGHJKMNPQRSTV", i * 7919 % 100_000),
        };
        let row = |i: u32, locale: &str, state: &str, revision: u32| {
            serde_json::json!({"uid": uid(i), "ctype": "note", "site": "csn", "scope": "csn",
                "locale": locale, "state": state, "revision": revision, "visibility": "public",
                "fallback": [], "fields": {"title": format!("Note {i}")}})
        };
        let (mut working, mut delivery, mut expected) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..1_200u32 {
            if i % 3 == 0 {
                working.push(row(i, "en", "draft", 1));
                expected.push((format!("{}.en.working", uid(i)), 1));
                continue;
            }
            let edited = i % 5 == 0;
            working.push(row(
                i,
                "en",
                if edited { "draft" } else { "published" },
                1 + u32::from(edited),
            ));
            delivery.push(row(i, "en", "published", 1));
            delivery.push(row(i, "cy", "published", 1));
            expected.push((format!("{}.en.working", uid(i)), 1 + u64::from(edited)));
            expected.push((format!("{}.en.published", uid(i)), 1));
            expected.push((format!("{}.cy.published", uid(i)), 1));
        }
        // One item with 600 working copies in locales between "cy" and "en" (as many keys as
        // that need two pages): its Welsh and English snapshots are read in different pages
        // and must still meet (one document for both, and its unchanged English working copy).
        working.push(row(big, "en", "published", 1));
        expected.push((format!("{}.en.working", uid(big)), 1));
        for l in 0..600 {
            working.push(row(big, &format!("d{l:03}"), "draft", 1));
            expected.push((format!("{}.d{l:03}.working", uid(big)), 1));
        }
        for locale in ["cy", "en"] {
            delivery.push(row(big, locale, "published", 1));
            expected.push((format!("{}.{locale}.published", uid(big)), 1));
        }
        let rows = (working.len() + delivery.len()) as u64;
        let put = "FOR $r IN $working { CREATE type::record('working', $r.uid + '.' + $r.locale) CONTENT $r RETURN NONE; };
             FOR $r IN $delivery { CREATE type::record('delivery', $r.uid + '.' + $r.locale) CONTENT $r RETURN NONE; };";
        let vars = serde_json::json!({"working": working, "delivery": delivery});
        store.run(put, vars).await.unwrap();
        let schemas = Arc::new(
            Registry::from_sources(&[("note.toml".into(), super::super::index::NOTE_TYPE.into())])
                .unwrap(),
        );
        let locales = ["en".to_owned(), "cy".to_owned()];
        let layout = Layout::new(&schemas, &locales, "en");
        let index = Arc::new(SearchIndex::open(Place::Ram, layout).unwrap());
        let seen = std::sync::Mutex::new(Vec::new());
        fill(&store, &schemas, &index, &|done, total| {
            seen.lock().unwrap().push((done, total))
        })
        .await
        .unwrap();
        let mut keys = index.keys().unwrap();
        keys.sort();
        expected.sort();
        assert_eq!(keys, expected);
        // One document per draft, per edited item two (working, and the snapshot shared by
        // both locales), per unchanged published item one.
        let docs = index.reader.searcher().num_docs();
        let (drafts, edited) = (
            400,
            (0..1_200u32).filter(|i| i % 3 != 0 && i % 5 == 0).count(),
        );
        assert_eq!(
            docs as usize,
            drafts + 2 * edited + (800 - edited) + 1 + 600
        );
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() > 3, "progress by pages: {seen:?}");
        assert_eq!(seen.last(), Some(&(rows, rows)));
    }
}

//! One index build: a tantivy index (on disk, or in RAM for `mem://` stores), its writer and
//! reader, and the outbox cursor it has applied, committed atomically with the documents
//! (the commit payload), so that a crash can never leave the index ahead of or behind its
//! cursor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::Error;
use super::analyzer::Lang;
use super::document;
use super::layout::{Layout, PUBLISHED, WORKING, keyword};
use crate::schema::Registry;

/// Writer of a live index: one indexing thread and tantivy's smallest memory budget (15 MB;
/// the constant is not exported). The follower writes a small segment per commit, and each
/// new segment writer zeroes a term hash table sized from the budget (4 MB at 15 MB, 8 MB at
/// 48 MB); a big batch flushes a segment per 15 MB of indexing data instead.
const WRITER: (usize, usize) = (1, 15_000_000);
/// Writer while an index is built from the database: an indexing thread per core (at most
/// two) and more memory per thread, so that fewer, larger segments are written; back to
/// `WRITER` when the build is done (`finish_build`).
const BUILD_WRITER: (usize, usize) = (2, 128 * 1024 * 1024);

/// Below this many documents, tantivy's log merge policy puts segments in one level (its
/// default is 10,000): the follower's segments of a few documents would then be merged, every
/// 8 commits, with a whole index that size (a 10,000-document index rewritten again and
/// again). Small, so that only segments of like size are merged together.
const MIN_MERGE_LAYER_DOCS: u32 = 100;

/// The live index's merge policy: tantivy's log policy, with small segments in their own
/// levels (`MIN_MERGE_LAYER_DOCS`).
fn live_merge_policy() -> Box<tantivy::merge_policy::LogMergePolicy> {
    let mut policy = tantivy::merge_policy::LogMergePolicy::default();
    policy.set_min_layer_size(MIN_MERGE_LAYER_DOCS);
    Box::new(policy)
}

/// Runs `f` on a thread of its own at the lowest scheduling priority (nice 19 on Linux) and
/// waits for it. Tantivy's indexing, merging and segment-updating threads are spawned by the
/// writer's calls (its creation; and every commit, which restarts the indexing threads) and
/// inherit that priority, so requests served on the same cores preempt the index's background
/// work instead of waiting behind it (a follower commit writes a segment: about 20 M
/// instructions). When nothing else runs, the work runs as fast as before (RocksDB lowers its
/// compaction threads' priority the same way). Where the priority cannot be lowered, `f` runs
/// at the usual one.
fn at_low_priority<T: Send>(f: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Error> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("search-writer".into())
            .spawn_scoped(scope, || {
                if let Err(e) = thread_priority::set_current_thread_priority(
                    thread_priority::ThreadPriority::Min,
                ) {
                    tracing::debug!("could not lower the search writer's priority: {e:?}");
                }
                f()
            })
            .map_err(|e| Error::Io(format!("starting the search writer thread: {e}")))?
            .join()
            .map_err(|_| Error::Index("the search writer thread panicked".into()))?
    })
}

/// Where an index lives.
#[derive(Debug, Clone)]
pub enum Place {
    Ram,
    Dir(PathBuf),
}

pub struct SearchIndex {
    pub layout: Arc<Layout>,
    pub reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter<TantivyDocument>>,
    /// The outbox sequence number every event up to which is applied (and committed).
    cursor: std::sync::atomic::AtomicU64,
    /// A built index's segments are waiting for, or in, their merge into one.
    merging: std::sync::atomic::AtomicBool,
    pub place: Place,
}

/// The documents of `rows`: one per published snapshot, answering for the other locales that
/// wholly fall back to it too (`document::shared_rows`) and for the working copy when that is
/// unchanged since the snapshot (equal `document::Content`); one per other working copy.
fn documents(layout: &Layout, schemas: &Registry, rows: &ItemRows) -> Vec<TantivyDocument> {
    let mut docs: Vec<(document::Content<'_>, Vec<(&str, &str)>)> = Vec::new();
    let mut published: HashMap<(&str, &str), usize> = HashMap::new();
    for (row, others) in document::shared_rows(&rows.delivery, &layout.default_locale) {
        if let Some(content) = document::content(layout, schemas, row, PUBLISHED) {
            let own = content.locale();
            published.insert((content.uid(), own), docs.len());
            let answers = std::iter::once(own).chain(others);
            docs.push((content, answers.map(|l| (PUBLISHED, l)).collect()));
        }
    }
    for row in &rows.working {
        let Some(content) = document::content(layout, schemas, row, WORKING) else {
            continue;
        };
        let answer = (WORKING, content.locale());
        match published.get(&(content.uid(), content.locale())) {
            Some(&i) if docs[i].0 == content => docs[i].1.push(answer),
            _ => docs.push((content, vec![answer])),
        }
    }
    docs.iter()
        .map(|(content, answers)| content.document(layout, answers))
        .collect()
}

/// The rows of one item to (re)index: working rows and delivery rows of every locale.
#[derive(Debug, Default)]
pub struct ItemRows {
    pub working: Vec<Value>,
    pub delivery: Vec<Value>,
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn tantivy_err(e: impl std::fmt::Display) -> Error {
    Error::Index(e.to_string())
}

impl SearchIndex {
    /// Open the index at `place`, or create an empty one (cursor 0).
    pub fn open(place: Place, layout: Layout) -> Result<SearchIndex, Error> {
        let index = match &place {
            Place::Ram => Index::create_in_ram(layout.schema.clone()),
            Place::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| Error::Io(e.to_string()))?;
                let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(tantivy_err)?;
                Index::open_or_create(mmap, layout.schema.clone()).map_err(tantivy_err)?
            }
        };
        for lang in [Lang::English, Lang::Welsh] {
            index
                .tokenizers()
                .register(lang.tokenizer_name(), lang.index_analyzer());
        }
        let cursor = index
            .load_metas()
            .map_err(tantivy_err)?
            .payload
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0);
        let writer = at_low_priority(|| {
            let writer = index
                .writer_with_num_threads(WRITER.0, WRITER.1)
                .map_err(tantivy_err)?;
            writer.set_merge_policy(live_merge_policy());
            Ok(writer)
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err)?;
        Ok(SearchIndex {
            layout: Arc::new(layout),
            reader,
            writer: std::sync::Mutex::new(writer),
            cursor: std::sync::atomic::AtomicU64::new(cursor),
            merging: std::sync::atomic::AtomicBool::new(false),
            place,
        })
    }

    fn lock_writer(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>>, Error> {
        self.writer
            .lock()
            .map_err(|_| Error::Index("index writer lock poisoned".into()))
    }

    pub fn cursor(&self) -> u64 {
        self.cursor.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Replace every document of each item by the documents of its current rows, then commit
    /// with `cursor` as the applied outbox position and reload the reader, at a low priority
    /// (`at_low_priority`). Blocking: call it off the async workers.
    pub fn apply(
        &self,
        schemas: &Registry,
        items: &[(String, ItemRows)],
        cursor: u64,
    ) -> Result<(), Error> {
        at_low_priority(|| self.apply_now(schemas, items, cursor))
    }

    fn apply_now(
        &self,
        schemas: &Registry,
        items: &[(String, ItemRows)],
        cursor: u64,
    ) -> Result<(), Error> {
        let mut writer = self.lock_writer()?;
        let layout = &self.layout;
        for (uid, rows) in items {
            writer.delete_term(Term::from_field_text(layout.keywords, &keyword("uid", uid)));
            self.add_rows(&writer, schemas, rows)?;
        }
        let mut commit = writer.prepare_commit().map_err(tantivy_err)?;
        commit.set_payload(&cursor.to_string());
        commit.commit().map_err(tantivy_err)?;
        self.cursor
            .store(cursor, std::sync::atomic::Ordering::Release);
        drop(writer);
        self.reader.reload().map_err(tantivy_err)
    }

    /// Add documents without deleting anything (a fresh build), no commit.
    pub fn add(&self, schemas: &Registry, rows: &ItemRows) -> Result<(), Error> {
        let writer = self.lock_writer()?;
        self.add_rows(&writer, schemas, rows)
    }

    fn add_rows(
        &self,
        writer: &IndexWriter<TantivyDocument>,
        schemas: &Registry,
        rows: &ItemRows,
    ) -> Result<(), Error> {
        for doc in documents(&self.layout, schemas, rows) {
            writer.add_document(doc).map_err(tantivy_err)?;
        }
        Ok(())
    }

    /// Commit what `add` added, with `cursor`, and reload the reader.
    pub fn commit(&self, schemas: &Registry, cursor: u64) -> Result<(), Error> {
        self.apply(schemas, &[], cursor)
    }

    /// Replace the writer by one with `threads` indexing threads of `bytes` each (the old
    /// one is dropped first: an index has one writer). Nothing uncommitted may be pending.
    fn replace_writer(&self, (threads, bytes): (usize, usize)) -> Result<(), Error> {
        at_low_priority(|| self.replace_writer_now(threads, bytes))
    }

    fn replace_writer_now(&self, threads: usize, bytes: usize) -> Result<(), Error> {
        let mut writer = self.lock_writer()?;
        let index = writer.index().clone();
        let placeholder = Index::create_in_ram(self.layout.schema.clone())
            .writer_with_num_threads(1, 15_000_000)
            .map_err(tantivy_err)?;
        drop(std::mem::replace(&mut *writer, placeholder));
        *writer = index
            .writer_with_num_threads(threads.min(cores()), bytes)
            .map_err(tantivy_err)?;
        Ok(())
    }

    /// Before a build: a writer with more threads and memory, and no background merges (the
    /// build merges everything once at the end; a background merge in flight then would make
    /// that merge fail).
    pub fn start_build(&self) -> Result<(), Error> {
        self.replace_writer(BUILD_WRITER)?;
        self.lock_writer()?
            .set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        Ok(())
    }

    /// After a build's commit: back to the live writer, with merges held until `merge_built`
    /// has merged the build's segments, and reload the reader.
    pub fn finish_build(&self) -> Result<(), Error> {
        self.merging
            .store(true, std::sync::atomic::Ordering::Release);
        self.replace_writer(WRITER)?;
        self.lock_writer()?
            .set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        self.reader.reload().map_err(tantivy_err)
    }

    /// Merge a built index's segments into one (a query costs a term-dictionary walk per
    /// fuzzy word and segment), then let the live merge policy run. Blocking, and only an
    /// optimization: the index answers and takes writes meanwhile, and a failed merge only
    /// leaves the segments as they were. Run it after `finish_build`, off the critical path.
    pub fn merge_built(&self) {
        let result = (|| {
            let merge = {
                let mut writer = self.lock_writer()?;
                let ids = writer
                    .index()
                    .searchable_segment_ids()
                    .map_err(tantivy_err)?;
                (ids.len() > 1).then(|| writer.merge(&ids))
            };
            if let Some(merge) = merge {
                merge.wait().map_err(tantivy_err)?;
            }
            self.reader.reload().map_err(tantivy_err)
        })();
        if let Err(e) = result {
            tracing::warn!("merging the built search index into one segment failed: {e}");
        }
        // Whatever became of the merge, the live index merges as usual from now on.
        match self.lock_writer() {
            Ok(writer) => writer.set_merge_policy(live_merge_policy()),
            Err(e) => tracing::warn!("restoring the search index's merge policy: {e}"),
        }
        self.merging
            .store(false, std::sync::atomic::Ordering::Release);
    }

    /// From `finish_build` until `merge_built` is done.
    pub fn merging(&self) -> bool {
        self.merging.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Segments the reader sees.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Every (item, locale, view) key the index holds, with its revision, sorted: what tests
    /// compare with the database.
    pub fn keys(&self) -> Result<Vec<(String, u64)>, Error> {
        dump(&self.reader, self.layout.key, self.layout.revision)
    }

    /// Bytes on disk (0 in RAM).
    pub fn disk_bytes(&self) -> u64 {
        match &self.place {
            Place::Ram => 0,
            Place::Dir(dir) => dir_size(dir),
        }
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The (key, revision) of every document of the build `CURRENT` names under `root`, read
/// without a writer and without catching up: what a restarted server would serve.
pub fn inspect(root: &Path) -> Result<Vec<(String, u64)>, Error> {
    let current =
        std::fs::read_to_string(root.join("CURRENT")).map_err(|e| Error::Io(e.to_string()))?;
    let index = Index::open_in_dir(root.join(current.trim())).map_err(tantivy_err)?;
    let schema = index.schema();
    let (key, revision) = (
        schema.get_field("key").map_err(tantivy_err)?,
        schema.get_field("revision").map_err(tantivy_err)?,
    );
    let reader: IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(tantivy_err)?;
    dump(&reader, key, revision)
}

fn dump(
    reader: &IndexReader,
    key: tantivy::schema::Field,
    revision: tantivy::schema::Field,
) -> Result<Vec<(String, u64)>, Error> {
    use tantivy::schema::Value as _;
    let searcher = reader.searcher();
    let mut out = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64).map_err(tantivy_err)?;
        for doc_id in 0..segment.max_doc() {
            if segment.alive_bitset().is_some_and(|a| !a.is_alive(doc_id)) {
                continue;
            }
            let doc: TantivyDocument = store.get(doc_id).map_err(tantivy_err)?;
            let revision = doc
                .get_first(revision)
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            // A document shared by several locales (`document::shared_rows`) has a key each.
            for key in doc.get_all(key).filter_map(|v| v.as_str()) {
                out.push((key.to_owned(), revision));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A content type with one searchable field, for tests.
#[cfg(test)]
pub(super) const NOTE_TYPE: &str = r#"
name = "note"
label = "Note"
default_visibility = "public"
title_field = "title"

[[fields]]
name = "title"
type = "string"
label = "Title"
localized = true
searchable = 3.0
"#;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use tantivy::schema::Value as _;

    fn row(locale: &str, state: Option<&str>, revision: u64, title: &str) -> Value {
        let mut row = json!({"uid": "01JNOTE", "ctype": "note", "site": "csn", "scope": "csn",
            "locale": locale, "revision": revision, "visibility": "public",
            "fallback": [], "fields": {"title": title}});
        if let Some(state) = state {
            row["state"] = json!(state);
        }
        row
    }

    fn keys(layout: &Layout, rows: &ItemRows, schemas: &Registry) -> Vec<Vec<String>> {
        documents(layout, schemas, rows)
            .iter()
            .map(|doc| {
                doc.get_all(layout.key)
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_working_copy_unchanged_since_its_publish_shares_the_snapshots_document() {
        let schemas = Registry::from_sources(&[("note.toml".into(), NOTE_TYPE.into())]).unwrap();
        let locales = ["en".to_owned(), "cy".to_owned()];
        let layout = Layout::new(&schemas, &locales, "en");
        // Published and not edited since: one document, answering for both views (and for
        // the Welsh snapshot, which falls back to the English one).
        let unchanged = ItemRows {
            working: vec![row("en", Some("published"), 2, "Oracy")],
            delivery: vec![row("cy", None, 2, "Oracy"), row("en", None, 2, "Oracy")],
        };
        assert_eq!(
            keys(&layout, &unchanged, &schemas),
            [[
                "01JNOTE.en.published",
                "01JNOTE.cy.published",
                "01JNOTE.en.working"
            ]]
        );
        // Edited since (a draft of the next revision): a document each.
        let edited = ItemRows {
            working: vec![row("en", Some("draft"), 3, "Oracy and debate")],
            delivery: vec![row("en", None, 2, "Oracy")],
        };
        assert_eq!(
            keys(&layout, &edited, &schemas),
            [["01JNOTE.en.published"], ["01JNOTE.en.working"]]
        );
        // Anything that the document holds keeps them apart, the state included (an unpublished
        // draft at the snapshot's revision is a working copy of its own).
        let draft = ItemRows {
            working: vec![row("en", Some("draft"), 2, "Oracy")],
            delivery: vec![row("en", None, 2, "Oracy")],
        };
        assert_eq!(keys(&layout, &draft, &schemas).len(), 2);
        // The working view's access term is on the shared document.
        let doc = &documents(&layout, &schemas, &unchanged)[0];
        let terms: Vec<&str> = doc
            .get_all(layout.keywords)
            .filter_map(|v| v.as_str())
            .collect();
        for view in [WORKING, PUBLISHED] {
            let access = keyword(
                "access",
                &super::super::layout::access_term(view, "public", "en"),
            );
            assert!(terms.contains(&access.as_str()), "{access} in {terms:?}");
        }
    }

    /// The nice value of each thread of this process named `prefix...`.
    #[cfg(target_os = "linux")]
    fn nice_of_threads(prefix: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap() {
            let Ok(task) = task else { continue };
            let path = task.path();
            let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            if !name.starts_with(prefix) {
                continue;
            }
            // A thread may end between the listing and this read.
            if let Ok(stat) = std::fs::read_to_string(path.join("stat")) {
                out.push(nice_in(&stat));
            }
        }
        out
    }

    /// The nice value in a `/proc/.../stat` line: the 19th field, the 17th after the
    /// command's closing parenthesis.
    #[cfg(target_os = "linux")]
    fn nice_in(stat: &str) -> i64 {
        let (_, rest) = stat.rsplit_once(')').unwrap();
        rest.split_whitespace().nth(16).unwrap().parse().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_index_writers_threads_run_at_the_lowest_priority_and_the_callers_keep_theirs() {
        let schemas = Registry::from_sources(&[("note.toml".into(), NOTE_TYPE.into())]).unwrap();
        let layout = Layout::new(&schemas, &["en".to_owned()], "en");
        let own_nice = || nice_in(&std::fs::read_to_string("/proc/thread-self/stat").unwrap());
        let before = own_nice();
        let index = SearchIndex::open(Place::Ram, layout).unwrap();
        let rows = ItemRows {
            working: Vec::new(),
            delivery: vec![row("en", None, 1, "Oracy")],
        };
        // A commit restarts the indexing threads: they are spawned by the committing thread.
        index
            .apply(&schemas, &[("01JNOTE".to_owned(), rows)], 1)
            .unwrap();
        assert_eq!(index.keys().unwrap().len(), 1);
        // A new thread takes its name once it runs: poll until the indexing one has.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for prefix in ["thrd-tantivy-in", "segment_updater", "merge_thread"] {
            let mut nice = nice_of_threads(prefix);
            while nice.is_empty() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
                nice = nice_of_threads(prefix);
            }
            assert!(!nice.is_empty(), "no {prefix} thread");
            assert!(nice.iter().all(|n| *n == 19), "{prefix}: nice {nice:?}");
        }
        // The caller's own priority is untouched (whatever it was: CI may run niced).
        assert_eq!(own_nice(), before);
    }

    #[test]
    fn the_follower_s_small_segments_are_not_merged_with_a_whole_small_index() {
        use tantivy::merge_policy::{LogMergePolicy, MergePolicy};
        let schemas = Registry::from_sources(&[("note.toml".into(), NOTE_TYPE.into())]).unwrap();
        let layout = Layout::new(&schemas, &["en".to_owned()], "en");
        let index = Index::create_in_ram(layout.schema.clone());
        let meta =
            |docs: u32| index.new_segment_meta(tantivy::index::SegmentId::generate_random(), docs);
        // A built index of 10,000 documents and 8 follower commits of 3 documents each.
        let built = meta(10_000);
        let mut segments = vec![built.clone()];
        segments.extend((0..8).map(|_| meta(3)));
        let merges = live_merge_policy().compute_merge_candidates(&segments);
        assert_eq!(merges.len(), 1, "{merges:?}");
        assert_eq!(merges[0].0.len(), 8, "the 8 small segments");
        assert!(!merges[0].0.contains(&built.id()), "not the built one");
        // tantivy's default would rewrite all 10,009 documents.
        let default = LogMergePolicy::default().compute_merge_candidates(&segments);
        assert!(default[0].0.contains(&built.id()));
    }
}

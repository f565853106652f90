//! The response cache of published reads on this node: exact, bounded in bytes.
//!
//! Every committed write bumps the generation and clears the cache (synchronously, after the
//! commit). A reader notes the generation before it queries the store and may only insert its
//! response if the generation is unchanged, so a reader racing a write never puts back a stale
//! entry. Keys include the reader's visibility level.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// A serialized response body with its strong ETag.
#[derive(Debug)]
pub struct Rendered {
    pub bytes: Bytes,
    pub etag: String,
}

#[derive(Clone)]
struct ByteWeight;

impl Weighter<String, Arc<Rendered>> for ByteWeight {
    fn weight(&self, key: &String, val: &Arc<Rendered>) -> u64 {
        (key.len() + val.bytes.len() + val.etag.len() + 64) as u64
    }
}

pub struct ResponseCache {
    entries: Option<Cache<String, Arc<Rendered>, ByteWeight>>,
    /// Guards the generation so that "check then insert" and "bump then clear" never interleave.
    generation: Mutex<u64>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl ResponseCache {
    /// A cache of at most `bytes` (0 disables caching).
    pub fn new(bytes: u64) -> Self {
        let entries = (bytes > 0).then(|| {
            let estimated_items = (bytes / 4096).clamp(16, 1 << 20) as usize;
            Cache::with_weighter(estimated_items, bytes, ByteWeight)
        });
        ResponseCache {
            entries,
            generation: Mutex::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn generation(&self) -> u64 {
        match self.generation.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<Rendered>> {
        let hit = self.entries.as_ref().and_then(|c| c.get(key));
        let counter = if hit.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// Insert unless a write committed since `generation` was read.
    pub fn insert(&self, key: String, value: Arc<Rendered>, generation: u64) {
        let Some(entries) = &self.entries else { return };
        let Ok(current) = self.generation.lock() else {
            return;
        };
        if *current == generation {
            entries.insert(key, value);
        }
    }

    /// Called after every committed write.
    pub fn invalidate(&self) {
        let mut current = match self.generation.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *current += 1;
        if let Some(entries) = &self.entries {
            entries.clear();
        }
    }

    /// (hits, misses) since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Bytes held now.
    pub fn weight(&self) -> u64 {
        self.entries.as_ref().map(|c| c.weight()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(body: &str) -> Arc<Rendered> {
        Arc::new(Rendered {
            bytes: Bytes::from(body.to_owned()),
            etag: "\"x\"".into(),
        })
    }

    #[test]
    fn a_reader_that_raced_a_write_cannot_insert() {
        let cache = ResponseCache::new(1 << 20);
        let before = cache.generation();
        cache.invalidate(); // a write commits while the reader queries
        cache.insert("k".into(), rendered("stale"), before);
        assert!(cache.get("k").is_none());
        let now = cache.generation();
        cache.insert("k".into(), rendered("fresh"), now);
        assert_eq!(
            cache.get("k").map(|r| r.bytes.clone()),
            Some(Bytes::from("fresh"))
        );
        cache.invalidate();
        assert!(cache.get("k").is_none(), "a write clears what was cached");
        assert_eq!(cache.stats(), (1, 2));
    }

    #[test]
    fn size_is_bounded() {
        let cache = ResponseCache::new(64 * 1024);
        let g = cache.generation();
        for i in 0..1000 {
            cache.insert(format!("k{i}"), rendered(&"x".repeat(1000)), g);
        }
        assert!(cache.weight() <= 64 * 1024, "{}", cache.weight());
    }

    #[test]
    fn zero_disables() {
        let cache = ResponseCache::new(0);
        cache.insert("k".into(), rendered("v"), cache.generation());
        assert!(cache.get("k").is_none());
    }
}

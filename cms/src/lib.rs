//! Headless CMS for networks of co-operative schools. See ARCHITECTURE.md for the map.

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod content;
pub mod http;
pub mod jobs;
pub mod plugins;
pub mod principal;
pub mod schema;
pub mod search;
pub mod storage;

/// mimalloc instead of glibc's malloc, for every binary built on this crate (the server and
/// CLI, and so the in-process benches and the tests measure the same allocator): glibc keeps
/// freed memory of its per-thread arenas (the import, index builds and searches run on many
/// threads), so RSS only grew; and a search allocates many short-lived buffers (tantivy's
/// scorers, stored values, snippets), where glibc's malloc, free and consolidation took about
/// 9% of a two-word search's time. See BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

//! Prometheus metrics: requests by route group and status class, latency, cache hits, outbox
//! head, search index lag.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub group: &'static str,
    pub method: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GroupLabel {
    pub group: &'static str,
}

/// Every metric of the process.
pub struct Metrics {
    pub registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<GroupLabel, Histogram>,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub outbox_head: Gauge,
    pub outbox_lag: Gauge,
    pub cache_bytes: Gauge,
    pub search_lag_events: Gauge,
    pub search_lag_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub search_documents: Gauge,
    pub search_disk_bytes: Gauge,
    pub plugin_calls: Counter,
    pub plugin_failures: Counter,
    pub plugin_seconds: Counter<f64, AtomicU64>,
    reported_hits: AtomicU64,
    reported_misses: AtomicU64,
    reported_calls: AtomicU64,
    reported_failures: AtomicU64,
    reported_micros: AtomicU64,
}

/// Raise `counter` by what `total` grew since the last report.
fn sync(counter: &Counter, reported: &AtomicU64, total: u64) {
    let before = reported.swap(total, Ordering::Relaxed);
    counter.inc_by(total.saturating_sub(before));
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("cms");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<GroupLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let cache_hits = Counter::default();
        let cache_misses = Counter::default();
        let outbox_head = Gauge::default();
        let outbox_lag = Gauge::default();
        let cache_bytes = Gauge::default();
        let search_lag_events = Gauge::default();
        let search_lag_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let search_documents = Gauge::default();
        let search_disk_bytes = Gauge::default();
        let plugin_calls = Counter::default();
        let plugin_failures = Counter::default();
        let plugin_seconds = Counter::<f64, AtomicU64>::default();
        registry.register(
            "plugin_calls",
            "Plugin calls (describe, validate, render) run",
            plugin_calls.clone(),
        );
        registry.register(
            "plugin_call_failures",
            "Plugin calls stopped by a limit (deadline, memory, stack) or a trap",
            plugin_failures.clone(),
        );
        registry.register(
            "plugin_call_seconds",
            "Time spent in plugin calls, on blocking threads",
            plugin_seconds.clone(),
        );
        registry.register(
            "search_index_lag_events",
            "Outbox events committed but not yet in the search index",
            search_lag_events.clone(),
        );
        registry.register(
            "search_index_lag_seconds",
            "Age of the oldest outbox event not yet in the search index (0 when caught up)",
            search_lag_seconds.clone(),
        );
        registry.register(
            "search_index_documents",
            "Documents in the search index (one per item, locale and view)",
            search_documents.clone(),
        );
        registry.register(
            "search_index_disk_bytes",
            "Bytes of the search index on disk",
            search_disk_bytes.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route group, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "response_cache_hits",
            "Published responses served from the cache",
            cache_hits.clone(),
        );
        registry.register(
            "response_cache_misses",
            "Published responses built from the store",
            cache_misses.clone(),
        );
        registry.register(
            "response_cache_bytes",
            "Bytes held by the published-response cache",
            cache_bytes.clone(),
        );
        registry.register(
            "outbox_head",
            "Sequence number of the last committed outbox event",
            outbox_head.clone(),
        );
        registry.register(
            "outbox_lag",
            "Events committed but not yet applied by the slowest follower",
            outbox_lag.clone(),
        );
        Arc::new(Metrics {
            registry,
            requests,
            latency,
            cache_hits,
            cache_misses,
            outbox_head,
            outbox_lag,
            cache_bytes,
            search_lag_events,
            search_lag_seconds,
            search_documents,
            search_disk_bytes,
            plugin_calls,
            plugin_failures,
            plugin_seconds,
            reported_hits: AtomicU64::new(0),
            reported_misses: AtomicU64::new(0),
            reported_calls: AtomicU64::new(0),
            reported_failures: AtomicU64::new(0),
            reported_micros: AtomicU64::new(0),
        })
    }

    /// Bring the cache counters up to the cache's own totals.
    pub fn sync_cache_counters(&self, hits: u64, misses: u64) {
        sync(&self.cache_hits, &self.reported_hits, hits);
        sync(&self.cache_misses, &self.reported_misses, misses);
    }

    /// Bring the plugin counters up to the plugin runner's totals.
    pub fn sync_plugin_counters(&self, stats: crate::plugins::CallTotals) {
        sync(&self.plugin_calls, &self.reported_calls, stats.calls);
        sync(
            &self.plugin_failures,
            &self.reported_failures,
            stats.failures,
        );
        let before = self.reported_micros.swap(stats.micros, Ordering::Relaxed);
        self.plugin_seconds
            .inc_by(stats.micros.saturating_sub(before) as f64 / 1e6);
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

fn group(path: &str) -> &'static str {
    if path.starts_with("/api/v1/content") {
        "delivery"
    } else if path.starts_with("/api/v1/manage") {
        "manage"
    } else if path.starts_with("/api/v1/admin") {
        "admin"
    } else if path.starts_with("/api/v1/schemas") {
        "schemas"
    } else if path.starts_with("/health") {
        "health"
    } else {
        "other"
    }
}

pub struct Measure(pub Arc<Metrics>);

impl<E: Endpoint> Middleware<E> for Measure {
    type Output = MeasureEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        MeasureEndpoint {
            inner,
            metrics: self.0.clone(),
        }
    }
}

pub struct MeasureEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
}

impl<E: Endpoint> Endpoint for MeasureEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let started = Instant::now();
        let group = group(req.uri().path());
        let method = req.method().to_string();
        let resp = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let labels = RequestLabels {
            group,
            method,
            status: resp.status().as_u16().to_string(),
        };
        self.metrics.requests.get_or_create(&labels).inc();
        self.metrics
            .latency
            .get_or_create(&GroupLabel { group })
            .observe(started.elapsed().as_secs_f64());
        Ok(resp)
    }
}

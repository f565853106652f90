//! HTTP: the only module that imports poem/poem-openapi. Endpoints, DTOs, error mapping,
//! the OpenAPI document, metrics and request limits. No SurrealQL here: it calls `content/`.

mod admin;
mod auth;
mod delivery;
pub mod error;
mod limits;
mod manage;
pub mod metrics;
mod openapi;
mod payload;
mod plugins;
mod respond;
mod schemas;
mod search;
mod security;
mod tags;

use std::sync::Arc;

use poem::endpoint::make_sync;
use poem::http::StatusCode;
use poem::middleware::Tracing;
use poem::{Endpoint, EndpointExt, Response, Route, get};
use poem_openapi::OpenApiService;

pub use metrics::Metrics;

use crate::auth::Auth;
use crate::content::Content;
use crate::search::Search;

/// What the endpoints share.
#[derive(Clone)]
pub struct ApiState {
    pub content: Content,
    pub auth: Auth,
    pub search: Search,
    pub metrics: Arc<Metrics>,
    pub public_max_age: u64,
    pub default_locale: String,
}

/// Limits applied to request bodies.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    pub body_bytes: usize,
    pub import_bytes: usize,
    /// Plugin uploads (component and manifest).
    pub plugin_bytes: usize,
}

/// Browser-facing settings.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Origins of the front-end sites allowed to call the API from a browser (CORS).
    pub cors_origins: Vec<String>,
}

/// Every API group, in the order of the document.
type Apis = (
    delivery::DeliveryApi,
    manage::ManageApi,
    auth::AuthApi,
    auth::TokensApi,
    admin::AdminApi,
    search::SearchApi,
    plugins::PluginsApi,
);

fn service(state: &ApiState) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            delivery::DeliveryApi(state.clone()),
            manage::ManageApi(state.clone()),
            auth::AuthApi(state.clone()),
            auth::TokensApi(state.clone()),
            admin::AdminApi(state.clone()),
            search::SearchApi(state.clone()),
            plugins::PluginsApi(state.clone()),
        ),
        "Co-operative Schools CMS",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Headless CMS for networks of co-operative schools: delivery, management and admin API.",
    )
}

/// The OpenAPI document: poem-openapi's spec merged with one schema per content type.
pub fn openapi_document(state: &ApiState) -> serde_json::Value {
    let spec: serde_json::Value = serde_json::from_str(&service(state).spec()).unwrap_or_default();
    openapi::merge(spec, state.content.schemas())
}

/// The whole application as one poem endpoint.
pub fn routes(
    state: ApiState,
    limits: HttpLimits,
    options: HttpOptions,
) -> impl Endpoint<Output = Response> {
    let api = service(&state);
    let document = openapi_document(&state).to_string();
    let docs = api.swagger_ui();
    let metrics = state.metrics.clone();
    let content = state.content.clone();
    let search = state.search.clone();
    let metrics_endpoint = get(poem::endpoint::make(move |_| {
        let metrics = metrics.clone();
        let content = content.clone();
        let search = search.clone();
        async move {
            let (hits, misses, bytes) = content.cache_stats();
            metrics.sync_cache_counters(hits, misses);
            metrics.sync_plugin_counters(content.plugin_calls());
            metrics.cache_bytes.set(bytes as i64);
            if let Ok(status) = search.status().await {
                metrics.outbox_head.set(status.head as i64);
                // The search index is the outbox's follower.
                metrics.outbox_lag.set(status.lag_events as i64);
                metrics.search_lag_events.set(status.lag_events as i64);
                metrics.search_lag_seconds.set(status.lag_seconds);
                metrics.search_documents.set(status.documents as i64);
                metrics.search_disk_bytes.set(status.disk_bytes as i64);
            }
            Response::builder()
                .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
                .body(metrics.encode())
        }
    }));
    Route::new()
        .nest("/", api)
        .at(
            "/openapi.json",
            get(make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(document.clone())
            })),
        )
        .nest("/docs", docs)
        .at("/metrics", metrics_endpoint)
        .at(
            "/",
            get(make_sync(|_| {
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header("location", "/docs")
                    .finish()
            })),
        )
        .with(limits::BodyLimit {
            default_limit: limits.body_bytes,
            streamed: vec![("/api/v1/admin/import", limits.import_bytes)],
            exact: vec![("/api/v1/plugins", limits.plugin_bytes)],
        })
        .with_if(
            !options.cors_origins.is_empty(),
            security::cors(&options.cors_origins),
        )
        .catch_all_error(error::catch_all)
        .with(security::SecurityHeaders)
        .around(|ep, req| async move {
            let ip = auth::client_ip(&req).map(|ip| ip.to_string());
            crate::audit::CLIENT_IP.scope(ip, ep.call(req)).await
        })
        .with(metrics::Measure(state.metrics.clone()))
        .with(Tracing)
}

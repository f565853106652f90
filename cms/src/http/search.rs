//! Search endpoints: `GET /api/v1/search`, `GET /api/v1/search/suggest`, and the admin
//! rebuild `POST|GET /api/v1/admin/reindex`.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use super::payload::{JsonBytes, to_bytes};
use super::respond::cache_control;
use super::tags::ApiTags;
use crate::search;

impl From<search::Error> for ApiError {
    fn from(e: search::Error) -> Self {
        use search::Error as E;
        match e {
            E::BadRequest { code, message } => ApiError::bad_request(code, message),
            E::Unauthorized => super::error::unauthorized("credentials are required"),
            E::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            E::Busy => ApiError::new(
                StatusCode::CONFLICT,
                "reindex_running",
                "a rebuild of the search index is already running",
            ),
            E::Index(m) | E::Io(m) | E::Storage(m) => ApiError::internal(m),
        }
    }
}

/// Search results (never cached by shared caches when the reader is signed in).
#[derive(ApiResponse)]
pub enum SearchResponse {
    /// `{"data": [hits], "meta": {"total", "facets", "matched", "took_ms"}}`.
    #[oai(status = 200)]
    Ok(
        JsonBytes,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Vary")] String,
    ),
}

/// The state of a rebuild of the search index.
#[derive(ApiResponse)]
pub enum ReindexResponse {
    /// The last rebuild (state `idle`, `done` or `failed`).
    #[oai(status = 200)]
    Ok(JsonBytes),
    /// Started: follow it with `GET /api/v1/admin/reindex`.
    #[oai(status = 202)]
    Started(JsonBytes),
}

pub struct SearchApi(pub ApiState);

/// `{"data": [...], "meta": {...}}` serialized from borrowed parts.
#[derive(serde::Serialize)]
struct JsonPage<'a, T> {
    data: &'a [T],
    meta: serde_json::Value,
}

#[OpenApi(prefix_path = "/api/v1")]
impl SearchApi {
    /// Full-text search of published content (or working copies with `view=working`, editors
    /// only), within what the reader may see. Words are ANDed (with a fallback to any word
    /// when nothing matches all); "quoted phrases"; typos tolerated from 5 letters; filters
    /// as `filter[field]=value` or `filter[field][in]=a,b`; `facets=topics,phase` counts.
    #[oai(
        path = "/search",
        method = "get",
        operation_id = "search",
        tag = "ApiTags::Delivery"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        req: &Request,
        /// What to look for (at most 1,000 characters).
        q: Query<Option<String>>,
        /// Content types, comma-separated (default: all the reader may read).
        #[oai(name = "type")]
        ctype: Query<Option<String>>,
        /// Site: its own items and items of shared types.
        site: Query<Option<String>>,
        /// Locale (default: the default locale).
        locale: Query<Option<String>>,
        /// `published` (default) or `working` (editors and admins).
        view: Query<Option<String>>,
        /// Facet fields to count, comma-separated.
        facets: Query<Option<String>>,
        /// Hits per page, 1-100 (default 20).
        limit: Query<Option<String>>,
        /// Hits to skip (at most 10,000).
        offset: Query<Option<String>>,
    ) -> Result<SearchResponse, ApiError> {
        let _ = (q, ctype, site, locale, view, facets, limit, offset);
        let started = std::time::Instant::now();
        let who = self.0.principal(req).await?;
        let request = self
            .0
            .search
            .request(req.uri().query().unwrap_or(""), &who)?;
        let cache = cache_control(&who, self.0.public_max_age);
        let found = self.0.search.search(request, who).await?;
        // Serialized straight from the hits (no intermediate JSON tree).
        let body = serde_json::to_vec(&JsonPage {
            data: &found.hits,
            meta: json!({
                "total": found.total,
                "facets": found.facets,
                "matched": found.matched,
                "took_ms": started.elapsed().as_secs_f64() * 1000.0,
            }),
        })
        .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(SearchResponse::Ok(
            JsonBytes(body.into()),
            cache,
            "Authorization".into(),
        ))
    }

    /// Titles completing what the reader is typing (the last word as a prefix), within what
    /// the reader may see; takes `q`, `type`, `site`, `locale`, `limit` like search.
    #[oai(
        path = "/search/suggest",
        method = "get",
        operation_id = "searchSuggest",
        tag = "ApiTags::Delivery"
    )]
    async fn suggest(
        &self,
        req: &Request,
        /// The words typed so far.
        q: Query<Option<String>>,
    ) -> Result<SearchResponse, ApiError> {
        let _ = q;
        let who = self.0.principal(req).await?;
        let request = self
            .0
            .search
            .request(req.uri().query().unwrap_or(""), &who)?;
        let cache = cache_control(&who, self.0.public_max_age);
        let found = self.0.search.suggest(request, who).await?;
        Ok(SearchResponse::Ok(
            JsonBytes(to_bytes(&json!({ "data": found }))),
            cache,
            "Authorization".into(),
        ))
    }

    /// Rebuild the search index from the database (admins), aside: searches keep answering
    /// from the current index until the new one has caught up and is swapped in.
    #[oai(
        path = "/admin/reindex",
        method = "post",
        operation_id = "reindex",
        tag = "ApiTags::Admin"
    )]
    async fn reindex(&self, req: &Request) -> Result<ReindexResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let progress = self.0.search.start_rebuild(&who)?;
        Ok(ReindexResponse::Started(JsonBytes(to_bytes(
            &json!({ "data": progress }),
        ))))
    }

    /// Progress of the running or last rebuild (admins).
    #[oai(
        path = "/admin/reindex",
        method = "get",
        operation_id = "reindexProgress",
        tag = "ApiTags::Admin"
    )]
    async fn reindex_progress(&self, req: &Request) -> Result<ReindexResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let (progress, status) = self.0.search.rebuild_status(&who).await?;
        Ok(ReindexResponse::Ok(JsonBytes(to_bytes(
            &json!({ "data": progress, "meta": {"status": status} }),
        ))))
    }
}

//! Delivery endpoints: published content for front-end sites (`/api/v1/content/...`).

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use super::respond::{ReadResponse, cache_control, query_pairs, read};
use super::tags::ApiTags;
use crate::content::{ListParams, ReadParams};

pub struct DeliveryApi(pub ApiState);

#[OpenApi(prefix_path = "/api/v1")]
impl DeliveryApi {
    /// List published items of a type (filters, sort, cursor pagination, locale, fields, expand).
    #[oai(
        path = "/content/:ctype",
        method = "get",
        operation_id = "listContent",
        tag = "ApiTags::Delivery"
    )]
    async fn list(&self, req: &Request, ctype: Path<String>) -> Result<ReadResponse, ApiError> {
        let who = self.0.auth.principal(req)?;
        let params = ListParams::from_pairs(query_pairs(req)?, false)?;
        let page = self.0.content.list_published(&who, &ctype, &params).await?;
        let body = json!({"data": page.items, "meta": {"next_cursor": page.next_cursor, "total": page.total}});
        Ok(read(req, &body, cache_control(&who, self.0.public_max_age)))
    }

    /// One published item by id.
    #[oai(
        path = "/content/:ctype/:id",
        method = "get",
        operation_id = "getContent",
        tag = "ApiTags::Delivery"
    )]
    async fn get(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
    ) -> Result<ReadResponse, ApiError> {
        let who = self.0.auth.principal(req)?;
        let params = ReadParams::from_pairs(query_pairs(req)?)?;
        let view = self
            .0
            .content
            .get_published(&who, &ctype, &id, &params)
            .await?;
        Ok(read(
            req,
            &json!({"data": view.item}),
            cache_control(&who, self.0.public_max_age),
        ))
    }

    /// One published item by slug (`site` is required for types that are not shared).
    #[oai(
        path = "/content/:ctype/by-slug/:slug",
        method = "get",
        operation_id = "getContentBySlug",
        tag = "ApiTags::Delivery"
    )]
    async fn by_slug(
        &self,
        req: &Request,
        ctype: Path<String>,
        slug: Path<String>,
    ) -> Result<ReadResponse, ApiError> {
        let who = self.0.auth.principal(req)?;
        let params = ReadParams::from_pairs(query_pairs(req)?)?;
        let view = self
            .0
            .content
            .get_published_by_slug(&who, &ctype, &slug, &params)
            .await?;
        Ok(read(
            req,
            &json!({"data": view.item}),
            cache_control(&who, self.0.public_max_age),
        ))
    }

    /// Every content type with its fields.
    #[oai(
        path = "/schemas",
        method = "get",
        operation_id = "listSchemas",
        tag = "ApiTags::Schemas"
    )]
    async fn schemas(&self, req: &Request) -> Result<ReadResponse, ApiError> {
        let data: Vec<serde_json::Value> = self
            .0
            .content
            .schemas()
            .types()
            .map(super::schemas::describe)
            .collect();
        Ok(read(
            req,
            &json!({"data": data}),
            "public, max-age=60".into(),
        ))
    }

    /// One content type with its fields.
    #[oai(
        path = "/schemas/:ctype",
        method = "get",
        operation_id = "getSchema",
        tag = "ApiTags::Schemas"
    )]
    async fn schema(&self, req: &Request, ctype: Path<String>) -> Result<ReadResponse, ApiError> {
        let ct =
            self.0.content.schemas().get(&ctype).ok_or_else(|| {
                ApiError::from(crate::content::Error::UnknownType(ctype.0.clone()))
            })?;
        Ok(read(
            req,
            &json!({"data": super::schemas::describe(ct)}),
            "public, max-age=60".into(),
        ))
    }
}

//! Delivery endpoints: published content for front-end sites (`/api/v1/content/...`).

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use super::respond::{ReadResponse, cache_control, read, rendered};
use super::tags::ApiTags;
use crate::content::ReadRequest;

pub struct DeliveryApi(pub ApiState);

impl DeliveryApi {
    async fn serve(&self, req: &Request, read: ReadRequest<'_>) -> Result<ReadResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let body = self.0.content.read_published(&who, read).await?;
        let cache = cache_control(&who, self.0.public_max_age);
        Ok(rendered(req, body.bytes.clone(), body.etag.clone(), cache))
    }
}

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
        let query = req.uri().query().unwrap_or("");
        self.serve(
            req,
            ReadRequest::List {
                ctype: &ctype,
                query,
            },
        )
        .await
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
        let query = req.uri().query().unwrap_or("");
        self.serve(
            req,
            ReadRequest::ById {
                ctype: &ctype,
                id: &id,
                query,
            },
        )
        .await
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
        let query = req.uri().query().unwrap_or("");
        self.serve(
            req,
            ReadRequest::BySlug {
                ctype: &ctype,
                slug: &slug,
                query,
            },
        )
        .await
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

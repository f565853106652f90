//! Management endpoints: working copies and workflow (`/api/v1/manage/...`), authenticated.

use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::{Value, json};

use super::ApiState;
use super::error::ApiError;
use super::payload::{JsonBytes, to_bytes};
use super::respond::query_pairs;
use super::tags::ApiTags;
use crate::content::{Action, ItemView, ListParams, RevisionOf, ScheduleChange};

#[derive(ApiResponse)]
pub enum ItemResponse {
    /// The working copy.
    #[oai(status = 200)]
    Ok(JsonBytes, #[oai(header = "ETag")] String),
    /// Created.
    #[oai(status = 201)]
    Created(
        JsonBytes,
        #[oai(header = "ETag")] String,
        #[oai(header = "Location")] String,
    ),
}

#[derive(ApiResponse)]
pub enum ListResponse {
    /// Working copies.
    #[oai(status = 200)]
    Ok(JsonBytes),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Moved to the trash.
    #[oai(status = 204)]
    NoContent,
}

fn ok(view: ItemView) -> ItemResponse {
    ItemResponse::Ok(JsonBytes(to_bytes(&json!({"data": view.item}))), view.etag)
}

pub struct ManageApi(pub ApiState);

fn locale(q: &Query<Option<String>>) -> String {
    q.0.clone().unwrap_or_default()
}

impl ManageApi {
    fn locale_or_default(&self, q: &Query<Option<String>>) -> String {
        let l = locale(q);
        if l.is_empty() {
            self.0.default_locale.clone()
        } else {
            l
        }
    }
}

#[OpenApi(prefix_path = "/api/v1/manage")]
impl ManageApi {
    /// List working copies (delivery's filters plus `state`).
    #[oai(
        path = "/:ctype",
        method = "get",
        operation_id = "listWorking",
        tag = "ApiTags::Manage"
    )]
    async fn list(&self, req: &Request, ctype: Path<String>) -> Result<ListResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let params = ListParams::from_pairs(query_pairs(req)?, true)?;
        let page = self.0.content.list_working(&who, &ctype, &params).await?;
        let body = json!({"data": page.items, "meta": {"next_cursor": page.next_cursor, "total": page.total}});
        Ok(ListResponse::Ok(JsonBytes(to_bytes(&body))))
    }

    /// Create a draft: `{"site"?, "locale"?, "fields": {...}}`.
    #[oai(
        path = "/:ctype",
        method = "post",
        operation_id = "createItem",
        tag = "ApiTags::Manage"
    )]
    async fn create(
        &self,
        req: &Request,
        ctype: Path<String>,
        body: Json<Value>,
    ) -> Result<ItemResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let view = self.0.content.create(&who, &ctype, body.0).await?;
        let id = view
            .item
            .pointer("/sys/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let location = format!("/api/v1/manage/{}/{id}", ctype.0);
        Ok(ItemResponse::Created(
            JsonBytes(to_bytes(&json!({"data": view.item}))),
            view.etag,
            location,
        ))
    }

    /// One working copy (`?locale=`; a missing locale shows its fallback at revision 0).
    #[oai(
        path = "/:ctype/:id",
        method = "get",
        operation_id = "getWorking",
        tag = "ApiTags::Manage"
    )]
    async fn get(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        locale: Query<Option<String>>,
    ) -> Result<ItemResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let view = self
            .0
            .content
            .get_working(&who, &ctype, &id, &self.locale_or_default(&locale))
            .await?;
        Ok(ok(view))
    }

    /// JSON merge patch of `fields` (`{"fields": {...}}`); needs `If-Match`. Creates a missing locale.
    #[oai(
        path = "/:ctype/:id",
        method = "patch",
        operation_id = "patchItem",
        tag = "ApiTags::Manage"
    )]
    async fn patch(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        locale: Query<Option<String>>,
        body: Json<Value>,
    ) -> Result<ItemResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let if_match = req.headers().get("if-match").and_then(|v| v.to_str().ok());
        let view = self
            .0
            .content
            .patch(
                &who,
                &ctype,
                &id,
                &self.locale_or_default(&locale),
                if_match,
                body.0,
            )
            .await?;
        Ok(ok(view))
    }

    /// Move to the trash (`untrash` restores).
    #[oai(
        path = "/:ctype/:id",
        method = "delete",
        operation_id = "trashItem",
        tag = "ApiTags::Manage"
    )]
    async fn delete(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let who = self.0.principal(req).await?;
        self.0.content.trash(&who, &ctype, &id).await?;
        Ok(Deleted::NoContent)
    }

    /// Schedule publishing of this locale: `{"publish_at"?: time|null, "unpublish_at"?: time|null}`
    /// (null clears). Editors and admins.
    #[oai(
        path = "/:ctype/:id/schedule",
        method = "post",
        operation_id = "scheduleItem",
        tag = "ApiTags::Manage"
    )]
    async fn schedule(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        locale: Query<Option<String>>,
        body: Json<Value>,
    ) -> Result<ItemResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let change = ScheduleChange::from_body(body.0)?;
        let view = self
            .0
            .content
            .schedule(&who, &ctype, &id, &self.locale_or_default(&locale), change)
            .await?;
        Ok(ok(view))
    }

    /// Workflow action: submit, approve, publish, unpublish, archive, unarchive, untrash.
    #[oai(
        path = "/:ctype/:id/:action",
        method = "post",
        operation_id = "itemAction",
        tag = "ApiTags::Manage"
    )]
    async fn action(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        action: Path<String>,
        locale: Query<Option<String>>,
    ) -> Result<ItemResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let Some(action) = Action::parse(&action) else {
            return Err(ApiError::new(
                poem::http::StatusCode::NOT_FOUND,
                "not_found",
                format!("unknown action `{}`", action.0),
            ));
        };
        let view = self
            .0
            .content
            .act(&who, &ctype, &id, &self.locale_or_default(&locale), action)
            .await?;
        Ok(ok(view))
    }

    /// Revisions of one locale, newest first (`?locale=`).
    #[oai(
        path = "/:ctype/:id/revisions",
        method = "get",
        operation_id = "listRevisions",
        tag = "ApiTags::Manage"
    )]
    async fn revisions(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        locale: Query<Option<String>>,
    ) -> Result<ListResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let locale = self.locale_or_default(&locale);
        let of = RevisionOf {
            ctype: &ctype,
            uid: &id,
            locale: &locale,
        };
        let list = self.0.content.list_revisions(&who, of).await?;
        Ok(ListResponse::Ok(JsonBytes(to_bytes(
            &json!({"data": list}),
        ))))
    }

    /// One revision with its fields.
    #[oai(
        path = "/:ctype/:id/revisions/:n",
        method = "get",
        operation_id = "getRevision",
        tag = "ApiTags::Manage"
    )]
    async fn revision(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        n: Path<u64>,
        locale: Query<Option<String>>,
    ) -> Result<ListResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let locale = self.locale_or_default(&locale);
        let of = RevisionOf {
            ctype: &ctype,
            uid: &id,
            locale: &locale,
        };
        let rev = self.0.content.get_revision(&who, of, n.0).await?;
        Ok(ListResponse::Ok(JsonBytes(to_bytes(&json!({"data": rev})))))
    }

    /// Field-level differences between two revisions.
    #[oai(
        path = "/:ctype/:id/revisions/:a/diff/:b",
        method = "get",
        operation_id = "diffRevisions",
        tag = "ApiTags::Manage"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn diff(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        a: Path<u64>,
        b: Path<u64>,
        locale: Query<Option<String>>,
    ) -> Result<ListResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let locale = self.locale_or_default(&locale);
        let of = RevisionOf {
            ctype: &ctype,
            uid: &id,
            locale: &locale,
        };
        let diff = self.0.content.diff_revisions(&who, of, a.0, b.0).await?;
        Ok(ListResponse::Ok(JsonBytes(to_bytes(
            &json!({"data": diff}),
        ))))
    }

    /// Make an earlier revision the working copy again (a new revision, state draft).
    #[oai(
        path = "/:ctype/:id/revisions/:n/restore",
        method = "post",
        operation_id = "restoreRevision",
        tag = "ApiTags::Manage"
    )]
    async fn restore(
        &self,
        req: &Request,
        ctype: Path<String>,
        id: Path<String>,
        n: Path<u64>,
        locale: Query<Option<String>>,
    ) -> Result<ItemResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let locale = self.locale_or_default(&locale);
        let of = RevisionOf {
            ctype: &ctype,
            uid: &id,
            locale: &locale,
        };
        Ok(ok(self.0.content.restore_revision(&who, of, n.0).await?))
    }
}

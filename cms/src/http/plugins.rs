//! Plugin endpoints: upload (multipart: component, manifest, grants), list, show, remove,
//! and trying a block. Admins install and remove; editors and contributors list and try.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, OpenApi};
use serde_json::{Value, json};

use super::ApiState;
use super::error::{ApiError, ErrorDetail};
use super::payload::{JsonBytes, to_bytes};
use super::tags::ApiTags;
use crate::content::PluginAdminError;
use crate::plugins;

impl From<PluginAdminError> for ApiError {
    fn from(e: PluginAdminError) -> Self {
        match e {
            PluginAdminError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such plugin")
            }
            PluginAdminError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            PluginAdminError::InUse(items) => ApiError::new(
                StatusCode::CONFLICT,
                "plugin_in_use",
                "content uses this plugin's blocks; change that content first, or remove with ?force=true",
            )
            .with_details(
                items
                    .into_iter()
                    .map(|id| ErrorDetail {
                        path: "items".into(),
                        code: "uses_plugin".into(),
                        message: id,
                    })
                    .collect(),
            ),
            PluginAdminError::Plugin(e) => plugin_error(e),
            PluginAdminError::Content(e) => e.into(),
        }
    }
}

/// A plugin refused at upload is the uploader's mistake (400, with the reason's code); the
/// engine's, the cache's or the store's failures are ours.
fn plugin_error(e: plugins::Error) -> ApiError {
    use plugins::Error as E;
    match e {
        E::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string()),
        E::Engine(_) | E::Io(_) | E::Storage(_) | E::Scaffold(_) => ApiError::internal(e),
        other => ApiError::bad_request(other.code(), other.to_string()),
    }
}

/// `POST /api/v1/plugins`.
#[derive(Debug, Multipart)]
pub struct PluginUpload {
    /// The WebAssembly component (`.wasm`, built for `wasm32-wasip2` against `cms:block@0.1`).
    component: Option<Upload>,
    /// The manifest (JSON): `id`, `name`, `version`, `description`, `capabilities`.
    manifest: Option<String>,
    /// A capability the admin grants (repeat the field for several); each must be asked for
    /// in the manifest. Known: `get-content`.
    #[oai(default)]
    grant: Vec<String>,
}

#[derive(ApiResponse)]
pub enum PluginResponse {
    /// The plugin (`{"data": plugin}`).
    #[oai(status = 200)]
    Ok(JsonBytes),
    /// Installed (`{"data": plugin}`).
    #[oai(status = 201)]
    Created(JsonBytes),
}

#[derive(ApiResponse)]
pub enum DeletedResponse {
    /// Removed.
    #[oai(status = 204)]
    Deleted,
}

pub struct PluginsApi(pub ApiState);

fn data(value: impl serde::Serialize) -> Result<JsonBytes, ApiError> {
    let value = serde_json::to_value(value).map_err(ApiError::internal)?;
    Ok(JsonBytes(to_bytes(&json!({ "data": value }))))
}

#[OpenApi]
impl PluginsApi {
    /// Install or upgrade a plugin (admins): multipart with `component`, `manifest` and
    /// `grant` fields. The component is checked (a component, `cms:block@0.1.*`, imports only
    /// what was granted), compiled and stored; an upgrade re-renders the snapshots using it
    /// in the background. 201 when new, 200 when it replaced a plugin with the same id.
    #[oai(
        path = "/api/v1/plugins",
        method = "post",
        operation_id = "installPlugin",
        tag = "ApiTags::Plugins"
    )]
    async fn install(
        &self,
        req: &Request,
        upload: PluginUpload,
    ) -> Result<PluginResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let (Some(component), Some(manifest)) = (upload.component, upload.manifest) else {
            return Err(ApiError::bad_request(
                "missing_field",
                "send the multipart fields `component` (the .wasm file) and `manifest` (JSON)",
            ));
        };
        let bytes = component
            .into_vec()
            .await
            .map_err(|e| ApiError::bad_request("invalid_upload", e.to_string()))?;
        let (record, upgraded) = self
            .0
            .content
            .install_plugin(&who, &manifest, &bytes, &upload.grant)
            .await?;
        let body = data(record)?;
        Ok(if upgraded {
            PluginResponse::Ok(body)
        } else {
            PluginResponse::Created(body)
        })
    }

    /// Installed plugins with their blocks (`props_schema` is each block's JSON Schema).
    #[oai(
        path = "/api/v1/plugins",
        method = "get",
        operation_id = "listPlugins",
        tag = "ApiTags::Plugins"
    )]
    async fn list(&self, req: &Request) -> Result<PluginResponse, ApiError> {
        let who = self.0.principal(req).await?;
        Ok(PluginResponse::Ok(data(
            self.0.content.list_plugins(&who)?,
        )?))
    }

    /// One installed plugin.
    #[oai(
        path = "/api/v1/plugins/:id",
        method = "get",
        operation_id = "getPlugin",
        tag = "ApiTags::Plugins"
    )]
    async fn get(&self, req: &Request, id: Path<String>) -> Result<PluginResponse, ApiError> {
        let who = self.0.principal(req).await?;
        Ok(PluginResponse::Ok(data(
            self.0.content.get_plugin(&who, &id.0)?,
        )?))
    }

    /// Remove a plugin (admins). 409 `plugin_in_use` while working copies or snapshots use
    /// its blocks, unless `force=true`: snapshots then keep the HTML they have, and blocks
    /// rendered later report `plugin_not_installed`.
    #[oai(
        path = "/api/v1/plugins/:id",
        method = "delete",
        operation_id = "deletePlugin",
        tag = "ApiTags::Plugins"
    )]
    async fn delete(
        &self,
        req: &Request,
        id: Path<String>,
        force: Query<Option<bool>>,
    ) -> Result<DeletedResponse, ApiError> {
        let who = self.0.principal(req).await?;
        self.0
            .content
            .remove_plugin(&who, &id.0, force.0.unwrap_or(false))
            .await?;
        Ok(DeletedResponse::Deleted)
    }

    /// Try a block: `{"block", "props", "locale"?}`. The props are validated (422 with the
    /// plugin's field errors) and rendered as a snapshot would store them: `html` sanitized,
    /// `text` for search, or `html: null` and `error: {code, message}` when the render failed.
    #[oai(
        path = "/api/v1/plugins/:id/render",
        method = "post",
        operation_id = "renderPluginBlock",
        tag = "ApiTags::Plugins"
    )]
    async fn render(
        &self,
        req: &Request,
        id: Path<String>,
        body: Json<Value>,
    ) -> Result<PluginResponse, ApiError> {
        let who = self.0.principal(req).await?;
        let Value::Object(mut body) = body.0 else {
            return Err(ApiError::bad_request(
                "invalid_body",
                "the body must be an object",
            ));
        };
        if let Some(key) = body
            .keys()
            .find(|k| !["block", "props", "locale"].contains(&k.as_str()))
        {
            return Err(ApiError::bad_request(
                "unknown_field",
                format!("unknown field `{key}` (known: block, props, locale)"),
            ));
        }
        let Some(Value::String(block)) = body.remove("block") else {
            return Err(ApiError::bad_request(
                "missing_field",
                "`block` (the block's name) is required",
            ));
        };
        let props = match body.remove("props") {
            None | Some(Value::Null) => json!({}),
            Some(p) => p,
        };
        let locale = match body.remove("locale") {
            None | Some(Value::Null) => self.0.default_locale.clone(),
            Some(Value::String(l)) => l,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "unknown_locale",
                    "`locale` must be a string",
                ));
            }
        };
        let rendered = self
            .0
            .content
            .try_plugin_block(&who, &id.0, &block, props, &locale)
            .await?;
        Ok(PluginResponse::Ok(data(rendered)?))
    }
}

//! The customer picklists (industry, source, customer type): read by
//! everyone signed in, changed by those who edit the settings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::Invalid;
use salesflow_store::picklists::{self, EntryInput, PicklistEntry};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_picklists, create_picklist_entry)).routes(routes!(update_picklist_entry))
}

/// Every choice of the three lists (`industry`, `source`, `kind`), each
/// list in its order, inactive ones included (customers may still hold them).
#[utoipa::path(get, path = "/picklists", tag = "picklists", responses((status = 200, body = Vec<PicklistEntry>)))]
async fn list_picklists(
    State(state): State<AppState>,
    ApiCaller(_session, meta): ApiCaller,
) -> ApiResult<Json<Vec<PicklistEntry>>> {
    Ok(Json(picklists::all(&state.store).await.api(&meta)?.entries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PicklistEntryBody {
    /// `industry`, `source` or `kind`; only when creating.
    pub list: Option<String>,
    /// Unique in its list; set once (customers store it).
    pub code: String,
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    /// Place in the list; default: at the end.
    pub position: Option<i32>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Required when changing.
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

impl PicklistEntryBody {
    fn input(&self) -> EntryInput {
        EntryInput {
            code: self.code.clone(),
            label_zh: self.label_zh.clone(),
            label_en: self.label_en.clone(),
            position: self.position,
            active: self.active,
        }
    }
}

/// Adds a choice to a list.
#[utoipa::path(post, path = "/picklists", tag = "picklists", request_body = PicklistEntryBody,
    responses((status = 201, body = PicklistEntry), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_picklist_entry(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<PicklistEntryBody>,
) -> ApiResult<(StatusCode, Json<PicklistEntry>)> {
    let list = body.list.clone().unwrap_or_default();
    let e = picklists::create(&state.store, &session.actor, &list, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// Changes a choice's labels, position or whether it is offered (merge
/// patch); the code and the list stay.
#[utoipa::path(patch, path = "/picklists/{id}", tag = "picklists", params(("id" = i64, Path)),
    request_body = PicklistEntryBody,
    responses((status = 200, body = PicklistEntry), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_picklist_entry(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<PicklistEntry>> {
    let current = picklists::get(&state.store, id).await.api(&meta)?;
    let base = serde_json::json!({
        "code": current.code,
        "label_zh": current.label_zh,
        "label_en": current.label_en,
        "position": current.position,
        "active": current.active,
    });
    let body: PicklistEntryBody = patch.apply(base, &meta.locale)?;
    if body.list.as_deref().is_some_and(|l| l != current.list) {
        return Err(ApiError::invalid(Invalid::one("list", "unchangeable")).in_locale(&meta.locale));
    }
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(picklists::update(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

//! Company settings.

use axum::Json;
use axum::extract::State;
use salesflow_store::settings::{self};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrApi;
use super::body::MergePatch;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::input::settings::SettingsBody;
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

#[utoipa::path(get, path = "/settings", tag = "settings", responses((status = 200, body = SettingsBody)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiCaller(_session, meta): ApiCaller,
) -> ApiResult<Json<SettingsBody>> {
    Ok(Json(settings::get(&state.store).await.api(&meta)?.into()))
}

/// Changes the settings the body names (RFC 7396 merge patch); `version`
/// must be the one last read.
#[utoipa::path(patch, path = "/settings", tag = "settings", request_body = SettingsBody,
    responses((status = 200, body = SettingsBody), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_settings(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    patch: MergePatch,
) -> ApiResult<Json<SettingsBody>> {
    let current = SettingsBody::from(settings::get(&state.store).await.api(&meta)?);
    let base = serde_json::to_value(current).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let body: SettingsBody = patch.apply(base, &meta.locale)?;
    let new = body.settings().map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    Ok(Json(settings::update(&state.store, &session.actor, new, body.version).await.api(&meta)?.into()))
}

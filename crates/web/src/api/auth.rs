//! Sign-in, sign-out, the caller's own account, password resets.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use salesflow_store::access::{self, LoginRequest, SessionKind, UserView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, OrApi};
use crate::auth::{ApiCaller, RequestMeta};
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Username or e-mail address.
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

/// Signs in and returns a bearer token (valid 24 hours).
#[utoipa::path(post, path = "/auth/login", tag = "auth", security(()),
    request_body = LoginBody,
    responses((status = 200, body = LoginAnswer), (status = 401, body = Problem), (status = 429, body = Problem)))]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<LoginAnswer>> {
    let session = access::login(
        &state.store,
        LoginRequest {
            identifier: &body.username,
            password: &body.password,
            ip: &meta.ip,
            user_agent: None,
            kind: SessionKind::Bearer,
            request_id: meta.request_id.clone(),
        },
    )
    .await
    .api(&meta)?;
    Ok(Json(LoginAnswer {
        token: session.token,
        token_type: "Bearer",
        expires_at: session.expires_at,
        user: session.user,
    }))
}

/// Ends the session or bearer token used for this call.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = Problem)))]
async fn logout(State(state): State<AppState>, ApiCaller(session, meta): ApiCaller) -> ApiResult<StatusCode> {
    access::logout(&state.store, &session.actor, &session.token).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: UserView,
    pub role_code: String,
    /// `own|team|department|all`.
    pub data_scope: String,
    pub permissions: BTreeMap<String, Vec<String>>,
    pub locale: String,
}

/// The signed-in user, their permissions and data scope.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, ApiCaller(session, meta): ApiCaller) -> ApiResult<Json<Me>> {
    let actor = &session.actor;
    let user = access::get_user(&state.store, actor, actor.user_id.unwrap_or_default()).await.api(&meta)?;
    Ok(Json(Me {
        user,
        role_code: actor.role_code.clone(),
        data_scope: actor.scope.code().to_owned(),
        permissions: actor.permissions.to_codes(),
        locale: meta.locale.clone(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
    /// End every other session of the caller too (default `true`); the
    /// one making this call stays. Outstanding reset links end either way.
    #[serde(default)]
    pub sign_out_other_sessions: Option<bool>,
}

/// Changes the caller's own password; outstanding reset links end, and
/// the caller's other sessions unless `sign_out_other_sessions` is `false`.
#[utoipa::path(post, path = "/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    access::change_own_password(
        &state.store,
        &session.actor,
        &body.current_password,
        &body.new_password,
        Some(&session.token),
        body.sign_out_other_sessions.unwrap_or(true),
    )
    .await
    .api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// Sends a single-use reset link valid 30 minutes. Always 202, whether
/// or not the address belongs to someone.
#[utoipa::path(post, path = "/auth/password-reset", tag = "auth", security(()), request_body = ResetRequest,
    responses((status = 202), (status = 422, body = Problem)))]
async fn request_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ResetRequest>,
) -> ApiResult<StatusCode> {
    crate::mail::start_password_reset(&state, &meta, &body.email).await.api(&meta)?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    pub token: String,
    pub new_password: String,
}

/// Sets a new password with the token from the reset link.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "auth", security(()), request_body = ResetConfirm,
    responses((status = 204), (status = 422, body = Problem)))]
async fn confirm_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> ApiResult<StatusCode> {
    access::confirm_password_reset(&state.store, &body.token, &body.new_password, &meta.ip).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

//! The audit log (read only) and the e-mail outbox.

use axum::Json;
use axum::extract::State;
use salesflow_store::audit::{self, AuditEntry, AuditFilter};
use salesflow_store::notifications::{self, OutboxMessage};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::input::dates::parse_bound;
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(list_outbox))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub actor_id: Option<i64>,
    /// Exact action (`user.update`) or a prefix ending in `.` (`auth.`).
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    /// First day included (`YYYY-MM-DD`, UTC) or an RFC 3339 instant.
    pub from: Option<String>,
    /// Last day included (`YYYY-MM-DD`, UTC) or an RFC 3339 instant (excluded).
    pub to: Option<String>,
}

/// Audit entries of actors in the caller's scope, newest first.
#[utoipa::path(get, path = "/audit-log", tag = "audit", params(AuditQuery, PageParams),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = Problem)))]
async fn list_audit(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<AuditQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let bad = |field: &str| {
        crate::error::ApiError::invalid(salesflow_domain::Invalid::one(field, "invalid_date")).in_locale(&meta.locale)
    };
    let filter = AuditFilter {
        actor_id: q.actor_id,
        action: q.action.clone(),
        entity_type: q.entity_type.clone(),
        entity_id: q.entity_id,
        from: parse_bound(q.from.as_deref(), false).map_err(|_| bad("from"))?,
        to: parse_bound(q.to.as_deref(), true).map_err(|_| bad("to"))?,
    };
    Ok(Json(audit::list(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

/// E-mails written by the system (reset links …), newest first.
/// Administrators only.
#[utoipa::path(get, path = "/outbox", tag = "audit", params(PageParams),
    responses((status = 200, body = Page<OutboxMessage>), (status = 403, body = Problem)))]
async fn list_outbox(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<OutboxMessage>>> {
    Ok(Json(notifications::list(&state.store, &session.actor, &q.page()).await.api(&meta)?.into()))
}

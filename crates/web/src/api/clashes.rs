//! 撞单: the hand-over request a salesperson sends when a customer, contact
//! or lead was refused because another rep owns the customer
//! (`owned_by_other`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use salesflow_store::clashes::{self, HandoverRequestInput, HandoverRequestSent};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(request_handover))
}

/// The value that was refused with `owned_by_other` (one of `name`,
/// `phone`, `email`) and a message for the manager.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverRequestBody {
    /// A customer's name or a lead's company, as typed (normalised like the check).
    pub name: Option<String>,
    /// A phone or mobile number (`+86` and separators do not matter).
    pub phone: Option<String>,
    pub email: Option<String>,
    /// For the manager, at most 500 characters.
    #[serde(default)]
    pub message: String,
}

/// Asks the manager of the rep who owns the matching customer (the
/// department's manager; else the administrators) to hand it over: they get
/// a notice, the request is audited. The answer says only that it was sent.
/// One request per requester, customer and day: a second one the same day
/// is `409`. No customer of another owner matches: `422`
/// (`nothing_to_request`).
#[utoipa::path(post, path = "/customers/handover-requests", tag = "customers", request_body = HandoverRequestBody,
    responses((status = 202, body = HandoverRequestSent), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn request_handover(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<HandoverRequestBody>,
) -> ApiResult<(StatusCode, Json<HandoverRequestSent>)> {
    let input = HandoverRequestInput { name: body.name, phone: body.phone, email: body.email, message: body.message };
    let sent = clashes::request_handover(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

//! 撞单 on the forms: the refusal's panel at the field (the owner's name
//! is in the field's error), with "Request hand-over" for everyone and, for
//! managers, "save anyway" with a reason; and the hand-over request the
//! panel posts.

use axum::Form;
use salesflow_domain::Invalid;
use salesflow_domain::clashes::{OWNED_BY_OTHER, REASON_FIELD, may_override};
use salesflow_store::StoreError;
use salesflow_store::clashes::{self, HandoverRequestInput};
use serde::Deserialize;

use super::page::Page;
use super::{PageResult, redirect_flash};
use crate::auth::local_redirect;

/// What a form shows after a refusal: the duplicate checkbox of a possible
/// duplicate, or the clash panel.
#[derive(Debug, Default, Clone)]
pub struct Refusal {
    /// A possible duplicate the caller may confirm ("save anyway").
    pub duplicate: bool,
    pub clash: Option<ClashPanel>,
}

#[derive(Debug, Clone)]
pub struct ClashPanel {
    /// The hand-over request's field: `name`, `phone` or `email`.
    pub param: &'static str,
    /// The value that clashed, as typed.
    pub value: String,
    /// A manager: may save anyway with a reason.
    pub may_override: bool,
    pub reason: String,
}

impl Refusal {
    /// From the store's refusal; `value_of` gives the form's value of a field.
    pub fn of(request: &Page, invalid: &Invalid, value_of: impl Fn(&str) -> String, reason: &str) -> Refusal {
        let duplicate = invalid.0.iter().any(|e| e.code == "possible_duplicate" || e.code == "duplicate_elsewhere");
        let clash = invalid.0.iter().find(|e| e.code == OWNED_BY_OTHER).map(|e| ClashPanel {
            param: match e.field.as_str() {
                "phone" | "mobile" => "phone",
                "email" => "email",
                _ => "name",
            },
            value: value_of(&e.field),
            may_override: may_override(request.actor().scope),
            reason: reason.to_owned(),
        });
        // A manager who ticked "save anyway" without a reason sees the panel again.
        let clash = clash.or_else(|| {
            invalid.0.iter().any(|e| e.field == REASON_FIELD).then(|| ClashPanel {
                param: "name",
                value: String::new(),
                may_override: true,
                reason: reason.to_owned(),
            })
        });
        Refusal { duplicate: duplicate && clash.is_none(), clash }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct HandoverForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    message: String,
    /// Where to go back to.
    #[serde(default)]
    back: String,
}

/// `POST /customers/handover-requests`: sends the request, then back to
/// the form with a note that it was sent (or already sent today).
pub async fn request_handover(request: Page, Form(form): Form<HandoverForm>) -> PageResult {
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let input = HandoverRequestInput {
        name: opt(&form.name),
        phone: opt(&form.phone),
        email: opt(&form.email),
        message: form.message,
    };
    let back = local_redirect(Some(&form.back), "/customers");
    match clashes::request_handover(request.store(), request.actor(), input).await {
        Ok(_) => Ok(redirect_flash(&back, "flash.handover_sent")),
        Err(StoreError::Conflict(_)) => Ok(redirect_flash(&back, "flash.handover_already")),
        Err(StoreError::Invalid(_)) => Ok(redirect_flash(&back, "flash.handover_nothing")),
        Err(e) => Err(e.into()),
    }
}

//! Recording visits and calls on the customer page; the reminders page.

use super::*;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct ActivityForm {
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) subject: String,
    #[serde(default)]
    pub(super) occurred_at: String,
    #[serde(default)]
    pub(super) outcome: String,
    #[serde(default)]
    pub(super) next_step: String,
    #[serde(default)]
    pub(super) next_at: String,
    #[serde(default)]
    pub(super) intention: String,
    /// An open opportunity of this customer the record is for.
    #[serde(default)]
    pub(super) opportunity_id: String,
}

pub(super) async fn log_activity(request: Page, Path(id): Path<i64>, Form(form): Form<ActivityForm>) -> PageResult {
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let occurred_at = company.parse_local_datetime(&form.occurred_at);
    let next_at = occurred_at.map(|at| crate::input::dates::follow_up(Some(&form.next_at), &company, at));
    let result = match (occurred_at, next_at) {
        (None, _) | (_, None) => Err(StoreError::Invalid(Invalid::one("occurred_at", "invalid_date"))),
        (_, Some(Err(invalid))) => Err(StoreError::Invalid(invalid)),
        (Some(occurred_at), Some(Ok(next_at))) => {
            let input = ActivityInput {
                customer_id: id,
                contact_id: None,
                kind: form.kind.clone(),
                subject: form.subject.clone(),
                occurred_at,
                participants: None,
                outcome: form.outcome.clone(),
                next_step: Some(form.next_step.clone()),
                next_at,
                intention: Some(form.intention.clone()),
                opportunity_id: form.opportunity_id.trim().parse().ok(),
            };
            activities::create_activity(request.store(), request.actor(), input).await.map(|_| ())
        }
    };
    Ok(match result {
        Ok(()) => redirect_flash(&format!("/customers/{id}"), "flash.activity_logged"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let contact = ContactForm { role: "handler".into(), ..Default::default() };
            show_page(&request, id, contact, form, errors, crate::ui::clash::Refusal::default()).await?
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "customers/notices.html")]
pub(super) struct NoticesPage {
    pub(super) ctx: PageCtx,
    pub(super) notices: Vec<Notice>,
    pub(super) now: chrono::DateTime<chrono::Utc>,
}

pub(super) async fn notices_page(request: Page) -> PageResult {
    Ok(match notifications::my_notices(request.store(), request.actor(), true).await {
        Ok(notices) => {
            let ctx = request.ctx("/notifications").await;
            let page = NoticesPage { ctx, notices, now: request.store().now() };
            render(&page.ctx, &page)
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn read_notice(request: Page, Path(id): Path<i64>) -> PageResult {
    notifications::mark_read(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/notifications", "flash.saved"))
}

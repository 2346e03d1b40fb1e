//! The lead page: status, conversion into a customer and an opportunity, deletion and restoring.

use super::*;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct StatusForm {
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) disqualify_reason: String,
    #[serde(default)]
    pub(super) version: i64,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct ConvertForm {
    /// A customer id, `new`, or empty for the duplicate check's choice.
    #[serde(default)]
    pub(super) target: String,
    #[serde(default)]
    pub(super) contact_role: String,
    #[serde(default)]
    pub(super) version: i64,
    /// Also open an opportunity (checkbox).
    #[serde(default)]
    pub(super) with_opportunity: bool,
    #[serde(default)]
    pub(super) opportunity_name: String,
    #[serde(default)]
    pub(super) opportunity_amount: String,
}

#[derive(Template)]
#[template(path = "leads/show.html")]
pub(super) struct ShowPage {
    pub(super) ctx: PageCtx,
    pub(super) l: LeadView,
    pub(super) preview: Option<ConversionPreview>,
    pub(super) converted_name: Option<String>,
    pub(super) status_form: StatusForm,
    pub(super) convert_form: ConvertForm,
    pub(super) errors: FormErrors,
    pub(super) roles: [ContactRole; 6],
    pub(super) can_edit: bool,
    pub(super) can_delete: bool,
    pub(super) can_open_opportunity: bool,
    /// The lead's history, newest first, and everyone it names.
    pub(super) history: Vec<salesflow_store::audit::AuditEntry>,
    pub(super) history_names: std::collections::HashMap<i64, String>,
}

impl ShowPage {
    /// A history entry as a sentence in the reader's language.
    pub(super) fn history_line(&self, e: &salesflow_store::audit::AuditEntry) -> String {
        crate::history::sentence(&self.ctx.locale, e, &self.history_names)
    }

    pub(super) fn status_badge(&self) -> &'static str {
        status_badge(&self.l.status)
    }

    pub(super) fn disqualified(&self) -> bool {
        LeadStatus::parse(&self.l.status) == Some(LeadStatus::Disqualified)
    }

    /// The quick status moves from here (not to the current status).
    pub(super) fn moves(&self) -> Vec<&'static str> {
        [LeadStatus::Contacted, LeadStatus::Qualified]
            .into_iter()
            .filter(|s| LeadStatus::parse(&self.l.status) != Some(*s))
            .map(LeadStatus::code)
            .collect()
    }

    pub(super) fn mark_label(&self, status: &str) -> String {
        self.ctx.t(&format!("leads.mark.{status}"))
    }

    pub(super) fn open(&self) -> bool {
        self.l.deleted_at.is_none() && self.l.converted_at.is_none()
    }

    pub(super) fn target_is(&self, value: &str) -> bool {
        self.convert_form.target == value
    }

    pub(super) fn role_selected(&self, code: &str) -> bool {
        let current =
            if self.convert_form.contact_role.is_empty() { "handler" } else { &self.convert_form.contact_role };
        current == code
    }
}

pub(super) async fn show_page(
    request: &Page,
    id: i64,
    status_form: StatusForm,
    convert_form: ConvertForm,
    errors: FormErrors,
) -> PageResult {
    let actor = request.actor();
    let l = leads::get_lead(request.store(), actor, id).await?;
    let can_edit = actor.can(Module::Customers, Action::Edit);
    let convertible = can_edit
        && LeadStatus::parse(&l.status) == Some(LeadStatus::Qualified)
        && l.converted_at.is_none()
        && l.deleted_at.is_none();
    let preview = if convertible {
        match leads::conversion_preview(request.store(), actor, id).await {
            Ok(p) => Some(p),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let converted_name = match l.converted_customer_id {
        Some(cid) => salesflow_store::customers::customer_names(request.store(), std::iter::once(cid))
            .await
            .ok()
            .and_then(|names| names.get(&cid).cloned()),
        None => None,
    };
    let convert_form = match (&preview, convert_form.target.is_empty()) {
        // Preselect what the duplicate check found.
        (Some(p), true) => ConvertForm {
            target: p.existing_customer.as_ref().map(|c| c.id.to_string()).unwrap_or_default(),
            ..convert_form
        },
        _ => convert_form,
    };
    let history = leads::history(request.store(), actor, id, 50).await?;
    let history_names = salesflow_store::audit::people_named(request.store(), &history).await?;
    let ctx = request.ctx("/leads").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ShowPage {
        ctx,
        history,
        history_names,
        preview,
        converted_name,
        status_form,
        convert_form,
        errors,
        roles: ContactRole::ALL,
        can_edit,
        can_delete: actor.can(Module::Customers, Action::Delete),
        can_open_opportunity: actor.can(Module::Opportunities, Action::Create),
        l,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

pub(super) async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    show_page(&request, id, StatusForm::default(), ConvertForm::default(), FormErrors::default()).await
}

pub(super) async fn change_status(request: Page, Path(id): Path<i64>, Form(form): Form<StatusForm>) -> PageResult {
    let result =
        leads::set_status(request.store(), request.actor(), id, form.version, &form.status, &form.disqualify_reason)
            .await;
    Ok(match result {
        Ok(_) => redirect_flash(&format!("/leads/{id}"), "flash.lead_status"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            show_page(&request, id, form, ConvertForm::default(), errors).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/leads/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn convert(request: Page, Path(id): Path<i64>, Form(form): Form<ConvertForm>) -> PageResult {
    let target = form.target.trim();
    let opportunity = if form.with_opportunity {
        let amount = form.opportunity_amount.trim();
        match if amount.is_empty() { Ok(Money::default()) } else { Money::parse_lenient(amount) } {
            Ok(amount) => {
                Some(ConvertOpportunity { name: non_empty(&form.opportunity_name), amount, ..Default::default() })
            }
            Err(e) => {
                let invalid = Invalid(vec![e.form_field("opportunity.amount")]);
                let errors = FormErrors::from_invalid(request.locale(), &invalid);
                return show_page(&request, id, StatusForm::default(), form, errors).await;
            }
        }
    } else {
        None
    };
    let input = ConvertInput {
        customer_id: target.parse().ok(),
        new_customer: target == "new",
        contact_role: non_empty(&form.contact_role),
        version: Some(form.version),
        opportunity,
    };
    Ok(match leads::convert(request.store(), request.actor(), id, input).await {
        Ok(done) => redirect_flash(&format!("/customers/{}", done.customer_id), "flash.lead_converted"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            show_page(&request, id, StatusForm::default(), form, errors).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/leads/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    leads::set_lead_deleted(request.store(), request.actor(), id, true).await?;
    Ok(redirect_flash("/leads", "flash.lead_deleted"))
}

pub(super) async fn restore(request: Page, Path(id): Path<i64>) -> PageResult {
    leads::set_lead_deleted(request.store(), request.actor(), id, false).await?;
    Ok(redirect_flash(&format!("/leads/{id}"), "flash.lead_restored"))
}

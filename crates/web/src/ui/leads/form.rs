//! The lead form (new and edit), with possible duplicates.

use super::*;
use crate::ui::clash::Refusal;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct LeadForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) company: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) mobile: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) province: String,
    #[serde(default)]
    pub(super) city: String,
    #[serde(default)]
    pub(super) source: String,
    #[serde(default)]
    pub(super) campaign: String,
    #[serde(default)]
    pub(super) intention: String,
    #[serde(default)]
    pub(super) owner_id: String,
    #[serde(default)]
    pub(super) notes: String,
    #[serde(default)]
    pub(super) allow_duplicate: Option<String>,
    /// Why a manager saves despite a clash (撞单).
    #[serde(default)]
    pub(super) duplicate_reason: String,
    #[serde(default)]
    pub(super) version: i64,
}

impl LeadForm {
    pub(super) fn from_view(l: &LeadView) -> Self {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        LeadForm {
            name: l.name.clone(),
            company: o(&l.company),
            title: o(&l.title),
            mobile: o(&l.mobile),
            phone: o(&l.phone),
            email: o(&l.email),
            province: o(&l.province),
            city: o(&l.city),
            source: o(&l.source),
            campaign: o(&l.campaign),
            intention: o(&l.intention),
            owner_id: l.owner_id.to_string(),
            notes: l.notes.clone(),
            allow_duplicate: None,
            duplicate_reason: String::new(),
            version: l.version,
        }
    }

    pub(super) fn input(&self) -> Result<LeadInput, Invalid> {
        let owner_id = opt_id(&self.owner_id).map_err(|_| Invalid::one("owner_id", "unknown_reference"))?;
        Ok(LeadInput {
            name: self.name.clone(),
            company: non_empty(&self.company),
            title: non_empty(&self.title),
            phone: non_empty(&self.phone),
            mobile: non_empty(&self.mobile),
            email: non_empty(&self.email),
            province: non_empty(&self.province),
            city: non_empty(&self.city),
            source: non_empty(&self.source),
            campaign: non_empty(&self.campaign),
            intention: non_empty(&self.intention),
            status: None,
            owner_id,
            notes: self.notes.clone(),
            disqualify_reason: None,
            allow_duplicate: self.allow_duplicate.is_some(),
            duplicate_reason: Some(self.duplicate_reason.clone()),
        })
    }
}

#[derive(Template)]
#[template(path = "leads/form.html")]
pub(super) struct FormPage {
    pub(super) ctx: PageCtx,
    pub(super) form: LeadForm,
    pub(super) lead: Option<LeadView>,
    pub(super) errors: FormErrors,
    pub(super) intentions: [Intention; 3],
    pub(super) owners: Vec<(i64, String)>,
    pub(super) duplicates: Vec<LeadDuplicate>,
    pub(super) refusal: Refusal,
}

impl FormPage {
    /// Where a hand-over request from this form returns to.
    pub(super) fn handover_back(&self) -> String {
        match &self.lead {
            Some(l) => format!("/leads/{}/edit", l.id),
            None => "/leads/new".to_owned(),
        }
    }

    /// The short text fields, in form order: name, value, input type.
    pub(super) fn text_fields(&self) -> Vec<(&'static str, String, &'static str)> {
        let f = &self.form;
        vec![
            ("title", f.title.clone(), "text"),
            ("mobile", f.mobile.clone(), "tel"),
            ("phone", f.phone.clone(), "tel"),
            ("email", f.email.clone(), "email"),
            ("province", f.province.clone(), "text"),
            ("city", f.city.clone(), "text"),
            ("source", f.source.clone(), "text"),
            ("campaign", f.campaign.clone(), "text"),
        ]
    }

    pub(super) fn field_label(&self, field: &str) -> String {
        match field {
            "campaign" | "company" | "intention" => self.ctx.t(&format!("leads.{field}")),
            _ => self.ctx.label("fields", field),
        }
    }

    /// Errors of fields the form does not show (e.g. a bad status).
    pub(super) fn other_errors(&self) -> Vec<String> {
        let shown = ["version", "name", "company", "intention", "owner_id", "notes"];
        let texts = self.text_fields();
        let shown: Vec<&str> = shown.into_iter().chain(texts.iter().map(|(f, _, _)| *f)).collect();
        self.errors.others(&shown)
    }

    pub(super) fn owner_selected(&self, id: &i64) -> bool {
        self.form.owner_id == id.to_string()
    }
}

/// Users a lead may be given to: those in the caller's scope.
pub(super) async fn owners(state: &AppState, actor: &Actor) -> Vec<(i64, String)> {
    salesflow_store::access::people_in_scope(&state.store, actor).await.unwrap_or_default()
}

impl LeadForm {
    /// The form's value of a field that may clash.
    pub(super) fn value(&self, field: &str) -> String {
        match field {
            "phone" => self.phone.clone(),
            "mobile" => self.mobile.clone(),
            "email" => self.email.clone(),
            _ => self.company.clone(),
        }
    }
}

pub(super) fn is_duplicate(invalid: &Invalid) -> bool {
    invalid.0.iter().any(|e| e.code == "possible_duplicate" || e.code == "duplicate_elsewhere")
}

pub(super) async fn form_page(
    request: &Page,
    form: LeadForm,
    lead: Option<LeadView>,
    errors: FormErrors,
    duplicates: Vec<LeadDuplicate>,
    refusal: Refusal,
) -> Response {
    let ctx = request.ctx("/leads").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let owners = owners(&request.state, request.actor()).await;
    let page = FormPage { ctx, form, lead, errors, intentions: Intention::ALL, owners, duplicates, refusal };
    (status, render(&page.ctx, &page)).into_response()
}

/// The form again after an error: the messages, and for a possible
/// duplicate the records it may duplicate, as links.
pub(super) async fn form_error(request: &Page, form: LeadForm, lead: Option<LeadView>, invalid: Invalid) -> Response {
    let errors = FormErrors::from_invalid(request.locale(), &invalid);
    let duplicates = match (is_duplicate(&invalid), form.input()) {
        (true, Ok(input)) => {
            leads::find_duplicates(request.store(), request.actor(), &input, lead.as_ref().map(|l| l.id))
                .await
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let refusal = Refusal::of(request, &invalid, |f| form.value(f), &form.duplicate_reason);
    form_page(request, form, lead, errors, duplicates, refusal).await
}

pub(super) async fn new_page(request: Page) -> PageResult {
    request.actor().require(Module::Customers, Action::Create)?;
    let form = LeadForm {
        owner_id: request.session.actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    Ok(form_page(&request, form, None, FormErrors::default(), Vec::new(), Refusal::default()).await)
}

pub(super) async fn create(request: Page, Form(form): Form<LeadForm>) -> PageResult {
    let result = match form.input() {
        Ok(input) => leads::create_lead(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(l) => redirect_flash(&format!("/leads/{}", l.id), "flash.lead_created"),
        Err(StoreError::Invalid(invalid)) => form_error(&request, form, None, invalid).await,
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match leads::get_lead(request.store(), request.actor(), id).await {
        Ok(l) if l.deleted_at.is_none() && l.converted_at.is_none() => {
            let form = LeadForm::from_view(&l);
            form_page(&request, form, Some(l), FormErrors::default(), Vec::new(), Refusal::default()).await
        }
        Ok(_) => redirect_flash(&format!("/leads/{id}"), "flash.lead_locked"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<LeadForm>) -> PageResult {
    let current = leads::get_lead(request.store(), request.actor(), id).await?;
    let result = match form.input() {
        Ok(input) => leads::update_lead(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(_) => redirect_flash(&format!("/leads/{id}"), "flash.saved"),
        Err(StoreError::Invalid(invalid)) => form_error(&request, form, Some(current), invalid).await,
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors::one(request.locale(), "version", "stale_version");
            form_page(&request, form, Some(current), errors, Vec::new(), Refusal::default()).await
        }
        Err(e) => return Err(e.into()),
    })
}

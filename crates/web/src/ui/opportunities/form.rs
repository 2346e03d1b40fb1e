//! The opportunity form (new and edit) and the pickers it loads by htmx.

use super::*;

/// The form as typed; contacts come as `contact` (repeated) with
/// `role_<contact id>`.
#[derive(Debug, Default, Clone)]
pub(super) struct OpportunityForm {
    pub(super) name: String,
    pub(super) customer_id: String,
    pub(super) pipeline_id: String,
    pub(super) stage_id: String,
    pub(super) owner_id: String,
    pub(super) amount: String,
    pub(super) currency: String,
    pub(super) expected_close_date: String,
    pub(super) probability: String,
    pub(super) probability_reason: String,
    pub(super) source: String,
    pub(super) campaign: String,
    pub(super) competitors: String,
    pub(super) product_lines: String,
    pub(super) next_step: String,
    pub(super) notes: String,
    pub(super) contacts: Vec<(i64, String)>,
    pub(super) version: i64,
}

impl OpportunityForm {
    pub(super) fn parse(pairs: &[(String, String)]) -> Self {
        let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let contacts = pairs
            .iter()
            .filter(|(k, _)| k == "contact")
            .filter_map(|(_, v)| v.trim().parse::<i64>().ok())
            .map(|id| {
                let role = field(&format!("role_{id}"));
                (id, if role.is_empty() { "other".to_owned() } else { role })
            })
            .collect();
        OpportunityForm {
            name: field("name"),
            customer_id: field("customer_id"),
            pipeline_id: field("pipeline_id"),
            stage_id: field("stage_id"),
            owner_id: field("owner_id"),
            amount: field("amount"),
            currency: field("currency"),
            expected_close_date: field("expected_close_date"),
            probability: field("probability"),
            probability_reason: field("probability_reason"),
            source: field("source"),
            campaign: field("campaign"),
            competitors: field("competitors"),
            product_lines: field("product_lines"),
            next_step: field("next_step"),
            notes: field("notes"),
            contacts,
            version: field("version").trim().parse().unwrap_or(0),
        }
    }

    pub(super) fn from_view(o: &OpportunityView) -> Self {
        OpportunityForm {
            name: o.name.clone(),
            customer_id: o.customer_id.to_string(),
            pipeline_id: o.pipeline_id.to_string(),
            stage_id: o.stage_id.to_string(),
            owner_id: o.owner_id.to_string(),
            amount: o.amount.clone(),
            currency: o.currency.clone(),
            expected_close_date: o.expected_close_date.map(|d| d.to_string()).unwrap_or_default(),
            probability: if o.probability_overridden { o.probability.to_string() } else { String::new() },
            probability_reason: o.probability_reason.clone().unwrap_or_default(),
            source: o.source.clone().unwrap_or_default(),
            campaign: o.campaign.clone().unwrap_or_default(),
            competitors: o.competitors.clone(),
            product_lines: o.product_lines.clone(),
            next_step: o.next_step.clone(),
            notes: o.notes.clone(),
            contacts: o.contacts.iter().map(|c| (c.contact_id, c.role.clone())).collect(),
            version: o.version,
        }
    }

    pub(super) fn input(&self, creating: bool) -> Result<OpportunityInput, Invalid> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut id = |field: &str, value: &str| match crate::ui::opt_id(value) {
            Ok(v) => v,
            Err(_) => {
                errors.push(FieldError::new(field, "unknown_reference"));
                None
            }
        };
        let customer_id = id("customer_id", &self.customer_id);
        let pipeline_id = id("pipeline_id", &self.pipeline_id);
        let stage_id = id("stage_id", &self.stage_id);
        let owner_id = id("owner_id", &self.owner_id);
        if customer_id.is_none() && !errors.iter().any(|e| e.field == "customer_id") {
            errors.push(FieldError::new("customer_id", "required"));
        }
        let amount = if self.amount.trim().is_empty() {
            Money(0)
        } else {
            Money::parse_lenient(&self.amount).unwrap_or_else(|e| {
                errors.push(e.form_field("amount"));
                Money(0)
            })
        };
        let expected_close_date = match self.expected_close_date.trim() {
            "" => None,
            d => salesflow_domain::time::parse_day(d).map(Some).unwrap_or_else(|| {
                errors.push(FieldError::new("expected_close_date", "invalid_date"));
                None
            }),
        };
        let probability = match self.probability.trim() {
            "" => None,
            p => p.parse::<i32>().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("probability", "out_of_range").with("min", 0).with("max", 100));
                None
            }),
        };
        let input = OpportunityInput {
            name: self.name.clone(),
            customer_id: customer_id.unwrap_or_default(),
            pipeline_id: if creating { pipeline_id } else { None },
            stage_id: if creating { stage_id } else { None },
            owner_id,
            amount,
            currency: non_empty(&self.currency),
            expected_close_date,
            probability,
            probability_reason: non_empty(&self.probability_reason),
            source: non_empty(&self.source),
            campaign: non_empty(&self.campaign),
            competitors: self.competitors.clone(),
            product_lines: self.product_lines.clone(),
            next_step: self.next_step.clone(),
            notes: self.notes.clone(),
            contacts: Some(self.contacts.clone()),
            lead_id: None,
        };
        if errors.is_empty() {
            return Ok(input);
        }
        // Show the other fields' errors too, not only the unreadable ones.
        let others = salesflow_domain::pipelines::check_opportunity(&OpportunityFields {
            name: &input.name,
            amount: input.amount.minor(),
            currency: input.currency.as_deref().unwrap_or("CNY"),
            probability: input.probability,
            probability_reason: input.probability_reason.as_deref().unwrap_or(""),
            source: input.source.as_deref().unwrap_or(""),
            campaign: input.campaign.as_deref().unwrap_or(""),
            competitors: &input.competitors,
            product_lines: &input.product_lines,
            next_step: &input.next_step,
            notes: &input.notes,
            expected_close_date: input.expected_close_date,
        });
        errors.extend(others.0.into_iter().filter(|o| !errors.iter().any(|e| e.field == o.field)).collect::<Vec<_>>());
        Err(Invalid(errors))
    }
}

/// One of the chosen customer's contacts, as the form offers it.
pub(super) struct ContactChoice {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) title: Option<String>,
    pub(super) chosen: bool,
    pub(super) role: String,
}

#[derive(Template)]
#[template(path = "opportunities/contact_options.html")]
pub(super) struct ContactOptions {
    pub(super) ctx: PageCtx,
    pub(super) contacts: Vec<ContactChoice>,
    pub(super) customer_chosen: bool,
    pub(super) roles: [ContactRole; 6],
}

#[derive(Template)]
#[template(path = "opportunities/form.html")]
pub(super) struct FormPage {
    pub(super) ctx: PageCtx,
    pub(super) form: OpportunityForm,
    pub(super) current: Option<OpportunityView>,
    pub(super) errors: FormErrors,
    pub(super) customer_label: Option<String>,
    pub(super) contact_options: ContactOptions,
    pub(super) pipelines: Vec<PipelineView>,
    pub(super) owners: Vec<(i64, String)>,
}

impl FormPage {
    pub(super) fn selected(&self, value: &str, id: &i64) -> bool {
        value == id.to_string()
    }

    /// The stages to start in: those of the chosen pipeline (or the first).
    pub(super) fn stages(&self) -> Vec<(i64, String)> {
        stage_choices(&self.pipelines, &self.form.pipeline_id, &self.ctx.locale)
    }

    pub(super) fn other_errors(&self) -> Vec<String> {
        self.errors.others(&[
            "name",
            "customer_id",
            "pipeline_id",
            "stage_id",
            "owner_id",
            "amount",
            "currency",
            "expected_close_date",
            "probability",
            "probability_reason",
            "source",
            "campaign",
            "competitors",
            "product_lines",
            "next_step",
            "notes",
            "version",
        ])
    }

    /// The stage probability the deal counts with unless overridden.
    pub(super) fn stage_probability(&self) -> Option<i32> {
        match &self.current {
            Some(o) => self
                .pipelines
                .iter()
                .find(|p| p.id == o.pipeline_id)
                .and_then(|p| p.stage(o.stage_id))
                .map(|s| s.probability),
            None => {
                let pipeline = pick_pipeline(&self.pipelines, &self.form.pipeline_id);
                pipeline.and_then(|p| match self.form.stage_id.parse::<i64>() {
                    Ok(id) => p.stage(id).map(|s| s.probability),
                    Err(_) => p.active_stages().next().map(|s| s.probability),
                })
            }
        }
    }
}

pub(super) fn pick_pipeline<'a>(pipelines: &'a [PipelineView], chosen: &str) -> Option<&'a PipelineView> {
    let chosen: Option<i64> = chosen.trim().parse().ok();
    pipelines.iter().find(|p| Some(p.id) == chosen).or_else(|| pipelines.first())
}

pub(super) fn stage_choices(pipelines: &[PipelineView], chosen: &str, locale: &str) -> Vec<(i64, String)> {
    pick_pipeline(pipelines, chosen)
        .map(|p| p.active_stages().map(|s| (s.id, format!("{} · {}%", s.label(locale), s.probability))).collect())
        .unwrap_or_default()
}

pub(super) async fn contact_choices(
    state: &AppState,
    actor: &Actor,
    customer_id: Option<i64>,
    chosen: &[(i64, String)],
) -> Vec<ContactChoice> {
    let Some(customer_id) = customer_id else { return Vec::new() };
    let filter = ContactFilter { customer_id: Some(customer_id), ..Default::default() };
    let req = PageRequest { limit: Some(200), ..Default::default() };
    let contacts =
        customers::list_contacts(&state.store, actor, &filter, &req).await.map(|p| p.items).unwrap_or_default();
    contacts
        .into_iter()
        .map(|c| {
            let pick = chosen.iter().find(|(id, _)| *id == c.id);
            ContactChoice {
                id: c.id,
                name: c.name,
                title: c.title,
                chosen: pick.is_some(),
                role: pick.map(|(_, r)| r.clone()).unwrap_or(c.role),
            }
        })
        .collect()
}

pub(super) async fn form_page(
    request: &Page,
    form: OpportunityForm,
    current: Option<OpportunityView>,
    errors: FormErrors,
) -> PageResult {
    let actor = request.actor();
    let pipelines = pipelines::list_pipelines(request.store(), actor, false).await?;
    let customer_id: Option<i64> = form.customer_id.trim().parse().ok();
    let customer_label = match customer_id {
        Some(id) => customers::get_customer(request.store(), actor, id).await.ok().map(|c| c.name),
        None => None,
    };
    let contacts = contact_choices(&request.state, actor, customer_id, &form.contacts).await;
    let owners = salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default();
    let ctx = request.ctx("/opportunities").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let contact_options = ContactOptions {
        ctx: ctx.clone(),
        contacts,
        customer_chosen: customer_label.is_some(),
        roles: ContactRole::ALL,
    };
    let page = FormPage { ctx, form, current, errors, customer_label, contact_options, pipelines, owners };
    Ok((status, render(&page.ctx, &page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct NewQuery {
    pub(super) customer_id: Option<i64>,
}

pub(super) async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.actor().require(Module::Opportunities, Action::Create)?;
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let form = OpportunityForm {
        customer_id: q.customer_id.map(|id| id.to_string()).unwrap_or_default(),
        owner_id: request.session.actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        currency: company.currency.clone(),
        ..Default::default()
    };
    form_page(&request, form, None, FormErrors::default()).await
}

pub(super) async fn create(request: Page, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = OpportunityForm::parse(&pairs);
    let result = match form.input(true) {
        Ok(input) => store::create_opportunity(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(o) => {
            let key = if o.warnings.iter().any(|w| w.starts_with("expected_close_date")) {
                "opportunities.flash.created_past_close"
            } else {
                "opportunities.flash.created"
            };
            redirect_flash(&format!("/opportunities/{}", o.id), key)
        }
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            form_page(&request, form, None, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    request.actor().require(Module::Opportunities, Action::Edit)?;
    Ok(match store::get_opportunity(request.store(), request.actor(), id).await {
        Ok(o) if o.deleted_at.is_none() => {
            let form = OpportunityForm::from_view(&o);
            form_page(&request, form, Some(o), FormErrors::default()).await?
        }
        Ok(_) => return Err(PageError::not_found()),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn update(request: Page, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = OpportunityForm::parse(&pairs);
    let current = store::get_opportunity(request.store(), request.actor(), id).await?;
    let result = match form.input(false) {
        Ok(input) => store::update_opportunity(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/opportunities/{id}"), "flash.saved")),
        Err(refused) => form_page(&request, form, Some(current), refused.errors).await,
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct OptionsQuery {
    #[serde(default)]
    pub(super) customer_q: String,
    #[serde(default)]
    pub(super) customer_id: String,
    #[serde(default)]
    pub(super) pipeline_id: String,
}

#[derive(Template)]
#[template(
    source = r#"<option value="">{{ ctx.t("opportunities.choose_customer") }}</option>
{% for (id, name) in options %}<option value="{{ id }}">{{ name }}</option>
{% endfor %}"#,
    ext = "html"
)]
pub(super) struct CustomerOptions {
    pub(super) ctx: PageCtx,
    pub(super) options: Vec<(i64, String)>,
}

/// The customer picker's choices for what was typed (htmx).
pub(super) async fn customer_options(request: Page, Query(q): Query<OptionsQuery>) -> PageResult {
    let filter = CustomerFilter { q: Some(q.customer_q.clone()), ..Default::default() };
    let req = PageRequest { limit: Some(20), sort: Some("name".into()), ..Default::default() };
    let options = match customers::list_customers(request.store(), request.actor(), &filter, &req).await {
        Ok(p) => p.items.into_iter().map(|c| (c.id, c.name)).collect(),
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/opportunities").await;
    let page = CustomerOptions { ctx, options };
    Ok(render(&page.ctx, &page))
}

/// The chosen customer's contacts with their roles (htmx).
pub(super) async fn contact_options(request: Page, Query(q): Query<OptionsQuery>) -> Response {
    let customer_id: Option<i64> = q.customer_id.trim().parse().ok();
    let contacts = contact_choices(&request.state, request.actor(), customer_id, &[]).await;
    let ctx = request.ctx("/opportunities").await;
    let page = ContactOptions { ctx, contacts, customer_chosen: customer_id.is_some(), roles: ContactRole::ALL };
    render(&page.ctx, &page)
}

#[derive(Template)]
#[template(
    source = r#"{% for (id, label) in stages %}<option value="{{ id }}">{{ label }}</option>
{% endfor %}"#,
    ext = "html"
)]
pub(super) struct StageOptions {
    pub(super) stages: Vec<(i64, String)>,
}

/// The first-stage choices of a pipeline (htmx).
pub(super) async fn stage_options(request: Page, Query(q): Query<OptionsQuery>) -> PageResult {
    let pipelines = pipelines::list_pipelines(request.store(), request.actor(), false).await?;
    let ctx = request.ctx("/opportunities").await;
    let page = StageOptions { stages: stage_choices(&pipelines, &q.pipeline_id, request.locale()) };
    Ok(render(&ctx, &page))
}

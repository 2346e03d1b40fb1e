//! The customer form (new and edit), with the duplicate warning.

use salesflow_domain::records::Picklist;
use salesflow_domain::regions;
use salesflow_store::picklists::Picklists;

use super::*;
use crate::ui::clash::Refusal;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct CustomerForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) grade: String,
    #[serde(default)]
    pub(super) industry: String,
    #[serde(default)]
    pub(super) province: String,
    #[serde(default)]
    pub(super) city: String,
    #[serde(default)]
    pub(super) address: String,
    #[serde(default)]
    pub(super) source: String,
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) website: String,
    #[serde(default)]
    pub(super) credit_code: String,
    #[serde(default)]
    pub(super) tags: String,
    #[serde(default)]
    pub(super) credit_limit: String,
    #[serde(default)]
    pub(super) notes: String,
    /// `YYYY-MM-DD`: the day of the first deal.
    #[serde(default)]
    pub(super) closed_at: String,
    #[serde(default)]
    pub(super) to_pool: Option<String>,
    #[serde(default)]
    pub(super) allow_duplicate: Option<String>,
    /// Why a manager saves despite a clash (撞单).
    #[serde(default)]
    pub(super) duplicate_reason: String,
    #[serde(default)]
    pub(super) version: i64,
}

impl CustomerForm {
    /// The value a 撞单 refusal on `field` was about (the hand-over request carries it).
    fn clash_value(&self, field: &str) -> String {
        if field == "phone" { self.phone.clone() } else { self.name.clone() }
    }

    pub(super) fn from_view(c: &CustomerView, settings: &salesflow_domain::settings::Settings) -> Self {
        CustomerForm {
            name: c.name.clone(),
            grade: c.grade.clone().unwrap_or_default(),
            industry: c.industry.clone().unwrap_or_default(),
            province: c.province.clone().unwrap_or_default(),
            city: c.city.clone().unwrap_or_default(),
            address: c.address.clone().unwrap_or_default(),
            source: c.source.clone().unwrap_or_default(),
            kind: c.kind.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
            website: c.website.clone().unwrap_or_default(),
            credit_code: c.credit_code.clone().unwrap_or_default(),
            tags: c.tags.join(", "),
            credit_limit: c.credit_limit.clone(),
            notes: c.notes.clone(),
            closed_at: c.closed_at.map(|t| settings.local_input(t)[..10].to_owned()).unwrap_or_default(),
            to_pool: None,
            allow_duplicate: None,
            duplicate_reason: String::new(),
            version: c.version,
        }
    }

    pub(super) fn input(&self, settings: &salesflow_domain::settings::Settings) -> Result<CustomerInput, Invalid> {
        let credit_limit = match self.credit_limit.trim() {
            "" => Money(0),
            text => Money::parse_lenient(text).map_err(|e| Invalid(vec![e.form_field("credit_limit")]))?,
        };
        let closed_at = match self.closed_at.trim() {
            "" => None,
            text => Some(
                crate::input::dates::instant_or_day(text, settings)
                    .ok_or_else(|| Invalid::one("closed_at", "invalid_date"))?,
            ),
        };
        let opt = |v: &str| Some(v.to_owned());
        Ok(CustomerInput {
            name: self.name.clone(),
            grade: opt(&self.grade),
            industry: opt(&self.industry),
            province: opt(&self.province),
            city: opt(&self.city),
            address: opt(&self.address),
            source: opt(&self.source),
            kind: opt(&self.kind),
            phone: opt(&self.phone),
            website: opt(&self.website),
            credit_code: opt(&self.credit_code),
            tags: parse_tags(&self.tags),
            credit_limit,
            owner_id: None,
            to_pool: self.to_pool.is_some(),
            notes: self.notes.clone(),
            closed_at,
            allow_duplicate: self.allow_duplicate.is_some(),
            duplicate_reason: Some(self.duplicate_reason.clone()),
        })
    }
}

/// A select's options: value, label, selected.
pub(super) type Options = Vec<(String, String, bool)>;

#[derive(Template)]
#[template(path = "customers/form.html")]
pub(super) struct FormPage {
    pub(super) ctx: PageCtx,
    pub(super) form: CustomerForm,
    pub(super) customer: Option<CustomerView>,
    pub(super) errors: FormErrors,
    pub(super) grades: [Grade; 3],
    pub(super) refusal: Refusal,
    pub(super) lists: Picklists,
}

impl FormPage {
    /// Where a hand-over request from this form returns to.
    pub(super) fn handover_back(&self) -> String {
        match &self.customer {
            Some(c) => format!("/customers/{}/edit", c.id),
            None => "/customers/new".to_owned(),
        }
    }

    /// The contact fields of the company, in form order: name, value,
    /// input type, longest length.
    pub(super) fn text_fields(&self) -> Vec<(&'static str, String, &'static str, usize)> {
        let f = &self.form;
        vec![
            ("phone", f.phone.clone(), "tel", 40),
            ("website", f.website.clone(), "url", 200),
            ("credit_code", f.credit_code.clone(), "text", 18),
        ]
    }

    /// The picklist fields: name and options (code, label, selected). A
    /// value the customer holds that is no longer offered stays an option.
    pub(super) fn pick_fields(&self) -> Vec<(&'static str, Options)> {
        let f = &self.form;
        [
            (Picklist::Industry, "industry", &f.industry),
            (Picklist::Source, "source", &f.source),
            (Picklist::Kind, "kind", &f.kind),
        ]
        .into_iter()
        .map(|(list, field, value)| {
            let mut options: Vec<(String, String, bool)> = self
                .lists
                .of(list)
                .filter(|e| e.active || &e.code == value)
                .map(|e| (e.code.clone(), e.label(&self.ctx.locale).to_owned(), &e.code == value))
                .collect();
            if !value.is_empty() && !options.iter().any(|o| o.2) {
                options.push((value.clone(), value.clone(), true));
            }
            (field, options)
        })
        .collect()
    }

    /// The provinces for the picker: short name, label, selected.
    pub(super) fn provinces(&self) -> Options {
        let en = !self.ctx.locale.starts_with("zh");
        let mut options: Vec<(String, String, bool)> = regions::provinces()
            .iter()
            .map(|p| {
                let label = if en { p.en.clone() } else { p.name.clone() };
                (p.name.clone(), label, p.name == self.form.province)
            })
            .collect();
        if !self.form.province.is_empty() && !options.iter().any(|o| o.2) {
            options.push((self.form.province.clone(), self.form.province.clone(), true));
        }
        options
    }

    /// Every province's cities (the picker shows those of the chosen
    /// province): province, cities (name, selected).
    pub(super) fn cities(&self) -> Vec<(String, Vec<(String, bool)>)> {
        let mut groups: Vec<(String, Vec<(String, bool)>)> = regions::provinces()
            .iter()
            .map(|p| {
                let mine = p.name == self.form.province;
                let cities = p.cities.iter().map(|c| (c.clone(), mine && *c == self.form.city)).collect();
                (p.name.clone(), cities)
            })
            .collect();
        let known = groups.iter().any(|(_, cs)| cs.iter().any(|c| c.1));
        if !self.form.city.is_empty() && !known {
            groups.push((self.form.province.clone(), vec![(self.form.city.clone(), true)]));
        }
        groups
    }
}

pub(super) async fn form_page(
    request: &Page,
    form: CustomerForm,
    customer: Option<CustomerView>,
    errors: FormErrors,
    refusal: Refusal,
) -> Response {
    let ctx = request.ctx("/customers").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let lists = salesflow_store::picklists::all(request.store()).await.unwrap_or_default();
    let page = FormPage { ctx, form, customer, errors, grades: Grade::ALL, refusal, lists };
    (status, render(&page.ctx, &page)).into_response()
}

pub(super) async fn new_page(request: Page) -> PageResult {
    request.actor().require(Module::Customers, Action::Create)?;
    Ok(form_page(&request, CustomerForm::default(), None, FormErrors::default(), Refusal::default()).await)
}

pub(super) async fn create(request: Page, Form(form): Form<CustomerForm>) -> PageResult {
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let result = match form.input(&company) {
        Ok(input) => customers::create_customer(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(c) => redirect_flash(&format!("/customers/{}", c.id), "flash.customer_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let refusal = Refusal::of(&request, &invalid, |f| form.clash_value(f), &form.duplicate_reason);
            form_page(&request, form, None, errors, refusal).await
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match customers::get_customer(request.store(), request.actor(), id).await {
        Ok(c) => {
            let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
            let form = CustomerForm::from_view(&c, &company);
            form_page(&request, form, Some(c), FormErrors::default(), Refusal::default()).await
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<CustomerForm>) -> PageResult {
    let current = customers::get_customer(request.store(), request.actor(), id).await?;
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let result = match form.input(&company) {
        Ok(input) => customers::update_customer(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/customers/{id}"), "flash.saved")),
        Err(refused) => {
            let refusal = Refusal::of(&request, &refused.invalid, |f| form.clash_value(f), &form.duplicate_reason);
            Ok(form_page(&request, form, Some(current), refused.errors, refusal).await)
        }
    }
}

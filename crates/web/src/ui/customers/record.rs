//! The customer page with its contacts; claim, release, delete and merge.

use salesflow_domain::comments::Subject;
use salesflow_domain::pipelines::OpportunityStatus;

use super::*;
use crate::ui::clash::Refusal;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct ContactForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) phone: String,
    #[serde(default)]
    pub(super) mobile: String,
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) role: String,
    #[serde(default)]
    pub(super) allow_duplicate: Option<String>,
    /// Why a manager saves despite a clash (撞单).
    #[serde(default)]
    pub(super) duplicate_reason: String,
    /// The version last read, when editing a contact.
    #[serde(default)]
    pub(super) version: String,
    /// The contact being edited (from the address, not the form).
    #[serde(skip)]
    pub(super) editing: Option<i64>,
}

impl ContactForm {
    pub(super) fn of(c: &ContactView) -> ContactForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ContactForm {
            name: c.name.clone(),
            title: text(&c.title),
            phone: text(&c.phone),
            mobile: text(&c.mobile),
            email: text(&c.email),
            role: c.role.clone(),
            allow_duplicate: None,
            duplicate_reason: String::new(),
            version: c.version.to_string(),
            editing: Some(c.id),
        }
    }

    /// The form's value of a field that may clash.
    pub(super) fn value(&self, field: &str) -> String {
        match field {
            "phone" => self.phone.clone(),
            "mobile" => self.mobile.clone(),
            "email" => self.email.clone(),
            _ => self.name.clone(),
        }
    }

    /// What the form asks the store to save; `notes` are not on the form.
    pub(super) fn input(&self, customer_id: i64, notes: String) -> ContactInput {
        let opt = |v: &str| Some(v.to_owned());
        ContactInput {
            customer_id,
            name: self.name.clone(),
            title: opt(&self.title),
            phone: opt(&self.phone),
            mobile: opt(&self.mobile),
            email: opt(&self.email),
            role: self.role.clone(),
            notes,
            allow_duplicate: self.allow_duplicate.is_some(),
            duplicate_reason: Some(self.duplicate_reason.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "customers/show.html")]
pub(super) struct ShowPage {
    pub(super) ctx: PageCtx,
    pub(super) c: CustomerView,
    pub(super) contacts: Vec<ContactView>,
    pub(super) contact: ContactForm,
    pub(super) errors: FormErrors,
    pub(super) roles: [ContactRole; 6],
    pub(super) timeline: Vec<TimelineItem>,
    /// Everyone the ownership moves name, by id (one query).
    pub(super) move_names: std::collections::HashMap<i64, String>,
    pub(super) activity: ActivityForm,
    pub(super) kinds: [ActivityKind; 5],
    pub(super) intentions: [Intention; 3],
    /// Other customers with the same name, offered for merging.
    pub(super) merge_candidates: Vec<customers::Duplicate>,
    pub(super) can_merge: bool,
    pub(super) can_edit: bool,
    pub(super) can_delete: bool,
    pub(super) can_claim: bool,
    pub(super) mine: bool,
    pub(super) refusal: Refusal,
    pub(super) open_tasks: Vec<salesflow_store::tasks::TaskView>,
    pub(super) can_add_task: bool,
    /// The customer's opportunities (empty without the opportunities view right).
    pub(super) opportunities: Vec<salesflow_store::opportunities::OpportunityView>,
    pub(super) can_see_opportunities: bool,
    pub(super) can_add_opportunity: bool,
    /// The customer's latest orders (empty without the orders view right).
    pub(super) orders: Vec<salesflow_store::orders::OrderSummary>,
    pub(super) can_see_orders: bool,
    pub(super) can_add_order: bool,
    /// The customer's latest quotes (empty without the quotes view right).
    pub(super) quotes: Vec<salesflow_store::quotes::QuoteSummary>,
    pub(super) can_see_quotes: bool,
    pub(super) can_add_quote: bool,
    /// Receivables and credit used (for those who see money).
    pub(super) credit: Option<salesflow_store::finance::CustomerCredit>,
    /// The customer's latest returns (empty without the orders view right).
    pub(super) returns: Vec<salesflow_store::returns::ReturnView>,
    /// The customer's latest contracts (empty without the contracts view right).
    pub(super) contracts: Vec<salesflow_store::contracts::ContractView>,
    pub(super) can_see_contracts: bool,
    pub(super) can_add_contract: bool,
    pub(super) lists: salesflow_store::picklists::Picklists,
    /// The files section (empty on a deleted record).
    pub(super) files: String,
    /// The comments section (empty on a deleted customer).
    pub(super) discussion: String,
}

impl ShowPage {
    /// An ownership move as a sentence in the reader's language.
    pub(super) fn move_sentence(&self, m: &AuditEntry) -> String {
        crate::history::sentence(&self.ctx.locale, m, &self.move_names)
    }

    pub(super) fn move_details(&self, m: &AuditEntry) -> Option<String> {
        crate::history::details(m)
    }
    /// Where a hand-over request from the contact form returns to.
    pub(super) fn handover_back(&self) -> String {
        format!("/customers/{}", self.c.id)
    }

    /// The open opportunities an activity may be recorded for.
    pub(super) fn open_opportunities(&self) -> impl Iterator<Item = &salesflow_store::opportunities::OpportunityView> {
        self.opportunities.iter().filter(|o| self.deal_open(&o.status))
    }

    /// Whether a deal of this customer is still open.
    pub(super) fn deal_open(&self, status: &str) -> bool {
        OpportunityStatus::parse(status) == Some(OpportunityStatus::Open)
    }

    /// A deal's badge colour by its status.
    pub(super) fn deal_badge(&self, status: &str) -> &'static str {
        match OpportunityStatus::parse(status) {
            Some(OpportunityStatus::Won) => "green",
            Some(OpportunityStatus::Lost) => "red",
            _ => "blue",
        }
    }

    /// The contact form's text fields: name, value, input type, required.
    pub(super) fn contact_fields(&self) -> Vec<(&'static str, String, &'static str, bool)> {
        let c = &self.contact;
        vec![
            ("name", c.name.clone(), "text", true),
            ("title", c.title.clone(), "text", false),
            ("mobile", c.mobile.clone(), "tel", false),
            ("phone", c.phone.clone(), "tel", false),
            ("email", c.email.clone(), "email", false),
        ]
    }

    fn activities(&self) -> impl Iterator<Item = &ActivityView> {
        self.timeline.iter().filter_map(|item| match item {
            TimelineItem::Activity(a) => Some(a),
            TimelineItem::Move(_) => None,
        })
    }

    /// The latest visit, for the top of the page on a phone.
    pub(super) fn last_visit(&self) -> Option<&ActivityView> {
        self.activities().find(|a| ActivityKind::parse(&a.kind) == Some(ActivityKind::Visit))
    }

    /// The next step the latest record that planned one wrote down.
    pub(super) fn next_step(&self) -> Option<&ActivityView> {
        self.activities().find(|a| a.next_step.is_some() || a.next_at.is_some())
    }

    /// A picklist value (`industry`, `source`, `kind`) in the reader's language.
    pub(super) fn pick(&self, list: &str, value: &Option<String>) -> String {
        match (salesflow_domain::records::Picklist::parse(list), value) {
            (Some(list), Some(code)) => self.lists.label(list, code, &self.ctx.locale).to_owned(),
            _ => "—".to_owned(),
        }
    }

    pub(super) fn money(&self, amount: &str) -> String {
        // HTML (`|safe`): short with the exact amount on hover when the setting asks.
        self.ctx.money(amount, "")
    }
}

/// One entry of a customer's timeline: a visit or contact record, or a
/// change of owner (claim, release, return to the pool, reassignment, merge).
pub(super) enum TimelineItem {
    Activity(ActivityView),
    Move(AuditEntry),
}

impl TimelineItem {
    pub(super) fn at(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            TimelineItem::Activity(a) => a.occurred_at,
            TimelineItem::Move(m) => m.at,
        }
    }
}

pub(super) async fn show_page(
    request: &Page,
    id: i64,
    contact: ContactForm,
    activity: ActivityForm,
    errors: FormErrors,
    refusal: Refusal,
) -> PageResult {
    let actor = request.actor();
    let c = customers::get_customer(request.store(), actor, id).await?;
    let filter = ContactFilter { customer_id: Some(id), ..Default::default() };
    let contacts = match customers::list_contacts(
        request.store(),
        actor,
        &filter,
        &PageRequest { limit: Some(200), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return Err(e.into()),
    };
    let timeline = match activities::list_for_customer(
        request.store(),
        actor,
        id,
        &PageRequest { limit: Some(50), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return Err(e.into()),
    };
    let moves = customers::ownership_history(request.store(), actor, id, 50).await?;
    let move_names = salesflow_store::audit::people_named(request.store(), &moves).await?;
    let mut timeline: Vec<TimelineItem> =
        timeline.into_iter().map(TimelineItem::Activity).chain(moves.into_iter().map(TimelineItem::Move)).collect();
    timeline.sort_by_key(|item| std::cmp::Reverse(item.at()));
    let can_merge = actor.can(Module::Customers, Action::Administer) && c.deleted_at.is_none();
    let merge_candidates = if can_merge {
        // Only look-alikes the administrator may read (their scope may be narrower).
        let found =
            customers::duplicates_by_name(request.state.store.reader(), &c.name, Some(id)).await.unwrap_or_default();
        found.into_iter().filter(|d| d.readable(actor)).collect()
    } else {
        Vec::new()
    };
    let task_filter = salesflow_store::tasks::TaskFilter {
        customer_id: Some(id),
        status: Some(salesflow_domain::tasks::TaskStatus::Open.code().into()),
        ..Default::default()
    };
    let open_tasks = match salesflow_store::tasks::list_tasks(
        request.store(),
        actor,
        &task_filter,
        &PageRequest { limit: Some(20), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/customers").await;
    let activity = if activity.occurred_at.is_empty() {
        ActivityForm { occurred_at: ctx.settings.local_input(request.store().now()), kind: "visit".into(), ..activity }
    } else {
        activity
    };
    let in_scope = c.owner_id.is_some() && actor.sees_owner(c.owner_id);
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let opportunities = if actor.can(Module::Opportunities, Action::View) {
        salesflow_store::opportunities::of_customer(request.store(), actor, id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let files = match c.deleted_at {
        Some(_) => String::new(),
        None => {
            let can_upload =
                crate::ui::attachments::may_upload(request, salesflow_domain::attachments::Holder::Customer);
            crate::ui::attachments::Files::load(
                request,
                ctx.clone(),
                salesflow_domain::attachments::Holder::Customer,
                id,
                can_upload,
            )
            .await?
            .html()
        }
    };
    let discussion = match c.deleted_at {
        Some(_) => String::new(),
        None => crate::ui::comments::Discussion::load(request, ctx.clone(), Subject::Customer, id).await?.html(),
    };
    let page = ShowPage {
        move_names,
        discussion,
        files,
        mine: c.owner_id.is_some() && c.owner_id == actor.user_id,
        can_edit: actor.can(Module::Customers, Action::Edit)
            && (in_scope || actor.can(Module::Customers, Action::Administer)),
        can_delete: actor.can(Module::Customers, Action::Delete) && in_scope,
        can_claim: actor.can(Module::Customers, Action::Edit) && actor.user_id.is_some(),
        ctx,
        c,
        contacts,
        contact,
        errors,
        roles: ContactRole::ALL,
        timeline,
        activity,
        kinds: ActivityKind::ALL,
        intentions: Intention::ALL,
        merge_candidates,
        can_merge,
        refusal,
        open_tasks,
        can_add_task: actor.can(Module::Customers, Action::Create),
        opportunities,
        can_see_opportunities: actor.can(Module::Opportunities, Action::View),
        can_add_opportunity: actor.can(Module::Opportunities, Action::Create),
        orders: salesflow_store::orders::for_customer(request.store(), actor, id, 10).await?,
        can_see_orders: actor.can(Module::Orders, Action::View),
        can_add_order: actor.can(Module::Orders, Action::Create) && in_scope,
        quotes: salesflow_store::quotes::related(
            request.store(),
            actor,
            salesflow_store::quotes::QuoteFilter { customer_id: Some(id), ..Default::default() },
            10,
        )
        .await?,
        can_see_quotes: actor.can(Module::Quotes, Action::View),
        can_add_quote: actor.can(Module::Quotes, Action::Create) && in_scope,
        credit: match actor.can(Module::Finance, Action::View) {
            true => salesflow_store::finance::customer_credit(request.store(), actor, id).await.ok(),
            false => None,
        },
        returns: match actor.can(Module::Orders, Action::View) {
            true => {
                let filter = salesflow_store::returns::ReturnFilter { customer_id: Some(id), ..Default::default() };
                let latest = salesflow_store::paging::PageRequest { limit: Some(5), cursor: None, sort: None };
                salesflow_store::returns::list(request.store(), actor, &filter, &latest).await?.items
            }
            false => Vec::new(),
        },
        contracts: salesflow_store::contracts::for_record(request.store(), actor, Some(id), None, 10).await?,
        can_see_contracts: actor.can(Module::Contracts, Action::View),
        can_add_contract: actor.can(Module::Contracts, Action::Create) && in_scope,
        lists: salesflow_store::picklists::all(request.store()).await?,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ShowQuery {
    /// Preselects the opportunity in the activity form (from its page).
    #[serde(default)]
    pub(super) opportunity_id: String,
    /// Opens this contact of the customer in the contact form for editing.
    #[serde(default)]
    pub(super) edit_contact: String,
}

pub(super) async fn show(request: Page, Path(id): Path<i64>, Query(q): Query<ShowQuery>) -> PageResult {
    let editing = match q.edit_contact.trim().parse::<i64>() {
        Ok(contact_id) => match customers::get_contact(request.store(), request.actor(), contact_id).await {
            Ok(c) if c.customer_id == id => Some(ContactForm::of(&c)),
            Ok(_) | Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let contact = editing.unwrap_or_else(|| ContactForm { role: "handler".into(), ..Default::default() });
    let activity = ActivityForm { opportunity_id: q.opportunity_id, ..Default::default() };
    show_page(&request, id, contact, activity, FormErrors::default(), Refusal::default()).await
}

pub(super) async fn add_contact(request: Page, Path(id): Path<i64>, Form(form): Form<ContactForm>) -> PageResult {
    let input = form.input(id, String::new());
    Ok(match customers::create_contact(request.store(), request.actor(), input).await {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.contact_added"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let refusal = Refusal::of(&request, &invalid, |f| form.value(f), &form.duplicate_reason);
            show_page(&request, id, form, ActivityForm::default(), errors, refusal).await?
        }
        Err(e) => return Err(e.into()),
    })
}

/// Saves the contact form of the customer page for an existing contact;
/// fields the form does not show (notes) stay as they are.
pub(super) async fn edit_contact(request: Page, Path(id): Path<i64>, Form(mut form): Form<ContactForm>) -> PageResult {
    let current = customers::get_contact(request.store(), request.actor(), id).await?;
    let customer_id = current.customer_id;
    form.editing = Some(id);
    let Ok(version) = form.version.trim().parse::<i64>() else {
        let errors = FormErrors::one(request.locale(), "version", "stale_version");
        return show_page(&request, customer_id, form, ActivityForm::default(), errors, Refusal::default()).await;
    };
    let input = form.input(customer_id, current.notes.clone());
    let result = customers::update_contact(request.store(), request.actor(), id, version, input).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/customers/{customer_id}"), "flash.contact_saved")),
        Err(refused) => {
            let refusal = Refusal::of(&request, &refused.invalid, |f| form.value(f), &form.duplicate_reason);
            show_page(&request, customer_id, form, ActivityForm::default(), refused.errors, refusal).await
        }
    }
}

pub(super) async fn delete_contact(request: Page, Path(id): Path<i64>) -> PageResult {
    let customer_id = customers::get_contact(request.store(), request.actor(), id).await?.customer_id;
    customers::delete_contact(request.store(), request.actor(), id).await?;
    Ok(redirect_flash(&format!("/customers/{customer_id}"), "flash.contact_deleted"))
}

pub(super) async fn claim(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match customers::claim(request.store(), request.actor(), id).await {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.customer_claimed"),
        Err(StoreError::Invalid(_)) | Err(StoreError::Conflict(_)) => {
            redirect_flash(&format!("/customers/{id}"), "flash.claim_refused")
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn release(request: Page, Path(id): Path<i64>) -> PageResult {
    customers::release(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/customers", "flash.customer_released"))
}

pub(super) async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    customers::set_customer_deleted(request.store(), request.actor(), id, true).await?;
    Ok(redirect_flash("/customers", "flash.customer_deleted"))
}

#[derive(Debug, Deserialize)]
pub(super) struct MergeForm {
    /// The other customer's number.
    #[serde(default)]
    pub(super) other_id: String,
}

pub(super) async fn merge(request: Page, Path(id): Path<i64>, Form(form): Form<MergeForm>) -> PageResult {
    let result = match form.other_id.trim().trim_start_matches('#').parse::<i64>() {
        Ok(other) => customers::merge(request.store(), request.actor(), id, other).await.map(|_| ()),
        Err(_) => Err(StoreError::Invalid(Invalid::one("other_id", "unknown_reference"))),
    };
    Ok(match result {
        Ok(()) => redirect_flash(&format!("/customers/{id}"), "flash.customer_merged"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let contact = ContactForm { role: "handler".into(), ..Default::default() };
            show_page(&request, id, contact, ActivityForm::default(), errors, Refusal::default()).await?
        }
        Err(e) => return Err(e.into()),
    })
}

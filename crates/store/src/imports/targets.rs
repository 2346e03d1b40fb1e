//! What each import target needs: how a row becomes a record (with the
//! create form's checks), how references are resolved for a batch, which
//! keys find duplicates, how records are inserted and merged.

use std::collections::HashMap;
use std::future::Future;

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::{Grade, name_key, parse_tags};
use salesflow_domain::imports::{Target, parse_intention, parse_lead_status, parse_role};
use salesflow_domain::leads::LeadStatus;
use salesflow_domain::money::Money;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::customers::{
    ContactInput, CustomerInput, check_contact, check_input, contact_columns, contact_keys, contact_texts, insert_tags,
    replace_tags, require_owned, tags_of, visible,
};
use crate::entity::{contact, customer, lead, user};
use crate::error::StoreResult;
use crate::leads::{Keys, LeadInput, check_lead, intention_code, new_lead, search_texts};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::clean;
use crate::unit_of_work::UnitOfWork;

/// The cells of one row by field, through the chosen mapping.
pub(crate) struct Values<'a> {
    pub cells: &'a [String],
    /// Field name → column index.
    pub columns: &'a HashMap<&'static str, usize>,
}

impl Values<'_> {
    /// The trimmed cell mapped to `field`; empty when unmapped or blank.
    pub fn get(&self, field: &str) -> &str {
        self.columns.get(field).and_then(|&i| self.cells.get(i)).map(|s| s.trim()).unwrap_or("")
    }

    fn opt(&self, field: &str) -> Option<String> {
        let v = self.get(field);
        (!v.is_empty()).then(|| v.to_owned())
    }
}

/// One row on its way through a batch.
pub(crate) struct Item<R> {
    pub line: u64,
    pub cells: Vec<String>,
    pub record: Option<R>,
    pub errors: Vec<FieldError>,
}

impl<R> Item<R> {
    pub fn reject(&mut self, error: FieldError) {
        self.errors.push(error);
        self.record = None;
    }
}

/// A record already in the database that a row duplicates, and whether the
/// importer may change it.
pub(crate) struct Found<M> {
    pub model: M,
    pub editable: bool,
}

pub(crate) trait ImportTarget: Send + Sync + 'static {
    type Record: Send + Sync;
    type Model: Clone + Send + Sync;
    const TARGET: Target;

    /// A mapped row as a record, checked as the create form checks it.
    fn parse(values: &Values<'_>) -> Result<Self::Record, Invalid>;

    /// Resolves references (owners, customers) of a batch in one query each;
    /// a row whose reference is unknown or outside the scope is rejected.
    fn resolve(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        items: &mut [Item<Self::Record>],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The keys a record is a duplicate by, with the field each comes from.
    fn keys(record: &Self::Record) -> Vec<(&'static str, String)>;

    /// Existing records holding any of these keys (one query), by key.
    fn existing(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        keys: Vec<String>,
    ) -> impl Future<Output = StoreResult<HashMap<String, Found<Self::Model>>>> + Send;

    fn insert(txn: &UnitOfWork<'_>, records: Vec<Self::Record>) -> impl Future<Output = StoreResult<()>> + Send;

    /// Copies the record's non-blank fields over an existing record.
    fn merge(
        txn: &UnitOfWork<'_>,
        existing: &Self::Model,
        record: Self::Record,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The same rule between two rows of the file (the later one wins).
    fn merge_records(into: &mut Self::Record, from: Self::Record);

    fn id_of(model: &Self::Model) -> i64;

    /// What a record is compared by for clashes (撞单).
    fn clash_probe(record: &Self::Record) -> crate::clashes::Probe;
}

/// Rows per statement: SQLite limits bound parameters per statement.
const ROWS_PER_STATEMENT: usize = 500;

fn overwrite(into: &mut Option<String>, from: Option<String>) {
    if from.is_some() {
        *into = from;
    }
}

// ---------------------------------------------------------------- customers

pub(crate) struct Customers;

pub(crate) struct CustomerRecord {
    input: CustomerInput,
    name_key: String,
    /// The owner as written (username, e-mail or name); `None`: the importer.
    owner_text: Option<String>,
    owner_id: Option<i64>,
    credit_given: bool,
}

impl ImportTarget for Customers {
    type Record = CustomerRecord;
    type Model = customer::Model;
    const TARGET: Target = Target::Customers;

    fn parse(values: &Values<'_>) -> Result<CustomerRecord, Invalid> {
        let mut invalid = Invalid::new();
        let credit_text = values.get("credit_limit");
        let credit_limit = if credit_text.is_empty() {
            Money(0)
        } else {
            Money::parse(credit_text).unwrap_or_else(|e| {
                invalid.push(e.field("credit_limit"));
                Money(0)
            })
        };
        let input = CustomerInput {
            name: values.get("name").to_owned(),
            grade: values.opt("grade"),
            industry: values.opt("industry"),
            province: values.opt("province"),
            city: values.opt("city"),
            address: values.opt("address"),
            source: values.opt("source"),
            kind: values.opt("kind"),
            tags: parse_tags(values.get("tags")),
            credit_limit,
            notes: values.get("notes").to_owned(),
            allow_duplicate: true,
            duplicate_reason: None,
            // The owner is resolved per batch; fields added later keep their defaults.
            ..Default::default()
        };
        invalid.0.extend(check_input(&input).0);
        invalid.into_result()?;
        Ok(CustomerRecord {
            name_key: name_key(&input.name),
            owner_text: values.opt("owner"),
            owner_id: None,
            credit_given: !credit_text.is_empty(),
            input,
        })
    }

    async fn resolve(txn: &UnitOfWork<'_>, actor: &Actor, items: &mut [Item<CustomerRecord>]) -> StoreResult<()> {
        let texts: Vec<String> = items.iter().filter_map(|i| i.record.as_ref()?.owner_text.clone()).collect::<Vec<_>>();
        let owners = owners_by_text(txn, texts).await?;
        for item in items.iter_mut() {
            let Some(record) = item.record.as_mut() else { continue };
            match owner_of(actor, &owners, record.owner_text.as_deref()) {
                Ok(owner) => record.owner_id = owner,
                Err(e) => item.reject(e),
            }
        }
        Ok(())
    }

    fn keys(record: &CustomerRecord) -> Vec<(&'static str, String)> {
        vec![("name", record.name_key.clone())]
    }

    async fn existing(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        keys: Vec<String>,
    ) -> StoreResult<HashMap<String, Found<customer::Model>>> {
        let mut found: HashMap<String, Found<customer::Model>> = HashMap::new();
        for chunk in keys.chunks(ROWS_PER_STATEMENT * 2) {
            let rows = customer::Entity::find()
                .filter(customer::Column::NameKey.is_in(chunk.iter().cloned()))
                .filter(customer::Column::DeletedAt.is_null())
                .all(txn)
                .await?;
            for m in rows {
                let editable = require_owned(actor, &m).is_ok();
                // Of several customers with one name, merge into one the importer may change.
                let better = found.get(&m.name_key).is_none_or(|f| !f.editable && editable);
                if better {
                    found.insert(m.name_key.clone(), Found { model: m, editable });
                }
            }
        }
        Ok(found)
    }

    async fn insert(txn: &UnitOfWork<'_>, records: Vec<CustomerRecord>) -> StoreResult<()> {
        let now = txn.now();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk: Vec<CustomerRecord> = records.by_ref().take(ROWS_PER_STATEMENT).collect();
            let names: Vec<String> = chunk.iter().map(|r| r.input.name.clone()).collect();
            let tags: Vec<Vec<String>> = chunk.iter().map(|r| r.input.tags.clone()).collect();
            let rows: Vec<customer::ActiveModel> = chunk
                .into_iter()
                .map(|r| {
                    let input = r.input;
                    customer::ActiveModel {
                        name: Set(input.name.clone()),
                        name_key: Set(r.name_key),
                        grade: Set(clean(&input.grade).and_then(|g| Grade::parse(&g)).map(|g| g.code().to_owned())),
                        industry: Set(clean(&input.industry)),
                        province: Set(clean(&input.province)),
                        city: Set(clean(&input.city)),
                        address: Set(clean(&input.address)),
                        source: Set(clean(&input.source)),
                        kind: Set(clean(&input.kind)),
                        credit_limit: Set(input.credit_limit.minor()),
                        owner_id: Set(r.owner_id),
                        notes: Set(input.notes.trim().to_owned()),
                        last_activity_at: Set(now),
                        claimed_at: Set(None),
                        version: Set(1),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                })
                .collect();
            let ids = customer::Entity::insert_many(rows).exec_with_returning_keys(txn).await?;
            insert_tags(txn, &ids.iter().copied().zip(tags.iter().map(Vec::as_slice)).collect::<Vec<_>>()).await?;
            let indexed: Vec<(i64, String)> = ids.into_iter().zip(names).collect();
            search::index_later(txn, Kind::Customer, &indexed).await?;
        }
        Ok(())
    }

    async fn merge(txn: &UnitOfWork<'_>, existing: &customer::Model, record: CustomerRecord) -> StoreResult<()> {
        let existing_tags = tags_of(txn, [existing.id]).await?.remove(&existing.id).unwrap_or_default();
        let mut into = CustomerRecord {
            input: CustomerInput {
                name: existing.name.clone(),
                grade: existing.grade.clone(),
                industry: existing.industry.clone(),
                province: existing.province.clone(),
                city: existing.city.clone(),
                address: existing.address.clone(),
                source: existing.source.clone(),
                kind: existing.kind.clone(),
                tags: existing_tags.clone(),
                credit_limit: Money(existing.credit_limit),
                notes: existing.notes.clone(),
                allow_duplicate: true,
                duplicate_reason: None,
                ..Default::default()
            },
            name_key: existing.name_key.clone(),
            owner_text: None,
            owner_id: existing.owner_id,
            credit_given: true,
        };
        Self::merge_records(&mut into, record);
        let input = into.input;
        txn.update_all::<customer::Entity>(customer::Column::Id.eq(existing.id))
            .set(
                customer::Column::Grade,
                Expr::value(input.grade.and_then(|g| Grade::parse(&g)).map(|g| g.code().to_owned())),
            )
            .set(customer::Column::Industry, Expr::value(input.industry))
            .set(customer::Column::Province, Expr::value(input.province))
            .set(customer::Column::City, Expr::value(input.city))
            .set(customer::Column::Address, Expr::value(input.address))
            .set(customer::Column::Source, Expr::value(input.source))
            .set(customer::Column::Kind, Expr::value(input.kind))
            .set(customer::Column::CreditLimit, Expr::value(input.credit_limit.minor()))
            .set(customer::Column::OwnerId, Expr::value(into.owner_id))
            .set(customer::Column::Notes, Expr::value(input.notes))
            .exec()
            .await?;
        replace_tags(txn, existing.id, &existing_tags, &input.tags).await?;
        Ok(())
    }

    fn id_of(model: &customer::Model) -> i64 {
        model.id
    }

    fn clash_probe(record: &CustomerRecord) -> crate::clashes::Probe {
        crate::clashes::Probe::customer(&record.input.name)
    }

    /// Non-blank cells win; the name stays (both have the same key).
    fn merge_records(into: &mut CustomerRecord, from: CustomerRecord) {
        let (a, b) = (&mut into.input, from.input);
        for (to, value) in [
            (&mut a.grade, b.grade),
            (&mut a.industry, b.industry),
            (&mut a.province, b.province),
            (&mut a.city, b.city),
            (&mut a.address, b.address),
            (&mut a.source, b.source),
            (&mut a.kind, b.kind),
        ] {
            overwrite(to, value);
        }
        if !b.tags.is_empty() {
            a.tags = b.tags;
        }
        if from.credit_given {
            a.credit_limit = b.credit_limit;
            into.credit_given = true;
        }
        if !b.notes.trim().is_empty() {
            a.notes = b.notes;
        }
        if from.owner_text.is_some() {
            into.owner_text = from.owner_text;
            into.owner_id = from.owner_id;
        }
    }
}

/// The owner a row names (`None`: the importer), which must be in the
/// importer's scope.
fn owner_of(
    actor: &Actor,
    owners: &HashMap<String, Option<i64>>,
    text: Option<&str>,
) -> Result<Option<i64>, FieldError> {
    let owner = match text {
        None => actor.user_id,
        Some(text) => match owners.get(&text.to_lowercase()) {
            Some(Some(id)) => Some(*id),
            Some(None) => return Err(FieldError::new("owner", "ambiguous_reference")),
            None => return Err(FieldError::new("owner", "unknown_reference")),
        },
    };
    if owner.is_some() && !actor.sees_owner(owner) {
        return Err(FieldError::new("owner", "owner_outside_scope"));
    }
    Ok(owner)
}

/// Active users by lower-cased username, e-mail or display name, in one
/// query. `None` marks a display name two people share.
async fn owners_by_text(txn: &UnitOfWork<'_>, texts: Vec<String>) -> StoreResult<HashMap<String, Option<i64>>> {
    let mut found: HashMap<String, Option<i64>> = HashMap::new();
    if texts.is_empty() {
        return Ok(found);
    }
    let mut lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    lowered.sort();
    lowered.dedup();
    let mut names: Vec<String> = texts;
    names.sort();
    names.dedup();
    let rows: Vec<(i64, String, String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::UsernameKey)
        .column(user::Column::EmailKey)
        .column(user::Column::DisplayName)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(user::Column::UsernameKey.is_in(lowered.clone()))
                .add(user::Column::EmailKey.is_in(lowered))
                .add(user::Column::DisplayName.is_in(names)),
        )
        .into_tuple()
        .all(txn)
        .await?;
    // Usernames and e-mails are unique; display names may repeat.
    for (id, _, _, display) in &rows {
        let key = display.to_lowercase();
        match found.get(&key) {
            Some(Some(other)) if other != id => {
                found.insert(key, None);
            }
            Some(_) => {}
            None => {
                found.insert(key, Some(*id));
            }
        }
    }
    for (id, username, email, _) in rows {
        found.insert(username, Some(id));
        found.insert(email, Some(id));
    }
    Ok(found)
}

// ---------------------------------------------------------------- contacts

pub(crate) struct Contacts;

pub(crate) struct ContactRecord {
    input: ContactInput,
    customer_key: String,
    role_given: bool,
}

impl ImportTarget for Contacts {
    type Record = ContactRecord;
    type Model = contact::Model;
    const TARGET: Target = Target::Contacts;

    fn parse(values: &Values<'_>) -> Result<ContactRecord, Invalid> {
        let mut invalid = Invalid::new();
        let customer = values.get("customer");
        if customer.is_empty() {
            invalid.push(FieldError::new("customer", "required"));
        }
        let role_text = values.get("role");
        let role = parse_role(role_text).unwrap_or_else(|| {
            invalid.push(FieldError::new("role", "invalid_choice"));
            salesflow_domain::customers::ContactRole::Other
        });
        let input = ContactInput {
            customer_id: 0,
            name: values.get("name").to_owned(),
            title: values.opt("title"),
            phone: values.opt("phone"),
            mobile: values.opt("mobile"),
            email: values.opt("email"),
            role: role.code().to_owned(),
            notes: values.get("notes").to_owned(),
            allow_duplicate: true,
            duplicate_reason: None,
        };
        invalid.0.extend(check_contact(&input).0);
        invalid.into_result()?;
        Ok(ContactRecord { customer_key: name_key(customer), input, role_given: !role_text.is_empty() })
    }

    async fn resolve(txn: &UnitOfWork<'_>, actor: &Actor, items: &mut [Item<ContactRecord>]) -> StoreResult<()> {
        let mut keys: Vec<String> =
            items.iter().filter_map(|i| Some(i.record.as_ref()?.customer_key.clone())).collect();
        keys.sort();
        keys.dedup();
        // Visible customers by name key; one the importer may change wins.
        let mut by_key: HashMap<String, (i64, bool)> = HashMap::new();
        for chunk in keys.chunks(ROWS_PER_STATEMENT * 2) {
            let rows = customer::Entity::find()
                .filter(visible(actor))
                .filter(customer::Column::DeletedAt.is_null())
                .filter(customer::Column::NameKey.is_in(chunk.iter().cloned()))
                .all(txn)
                .await?;
            for c in rows {
                let editable = require_owned(actor, &c).is_ok();
                if by_key.get(&c.name_key).is_none_or(|(_, e)| !e && editable) {
                    by_key.insert(c.name_key.clone(), (c.id, editable));
                }
            }
        }
        for item in items.iter_mut() {
            let Some(record) = item.record.as_mut() else { continue };
            match by_key.get(&record.customer_key) {
                Some((id, true)) => record.input.customer_id = *id,
                Some((_, false)) => item.reject(FieldError::new("customer", "not_editable")),
                None => item.reject(FieldError::new("customer", "unknown_reference")),
            }
        }
        Ok(())
    }

    fn keys(record: &ContactRecord) -> Vec<(&'static str, String)> {
        let (phone, mobile, email) = contact_keys(&record.input);
        let mut keys = Vec::new();
        if let Some(p) = phone {
            keys.push(("phone", format!("p:{p}")));
        }
        if let Some(m) = mobile {
            keys.push(("mobile", format!("p:{m}")));
        }
        if let Some(e) = email {
            keys.push(("email", format!("e:{e}")));
        }
        keys
    }

    async fn existing(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        keys: Vec<String>,
    ) -> StoreResult<HashMap<String, Found<contact::Model>>> {
        let mut found = HashMap::new();
        let phones: Vec<String> = keys.iter().filter_map(|k| k.strip_prefix("p:")).map(str::to_owned).collect();
        let emails: Vec<String> = keys.iter().filter_map(|k| k.strip_prefix("e:")).map(str::to_owned).collect();
        if phones.is_empty() && emails.is_empty() {
            return Ok(found);
        }
        let mut any = Condition::any();
        if !phones.is_empty() {
            any =
                any.add(contact::Column::PhoneKey.is_in(phones.clone())).add(contact::Column::MobileKey.is_in(phones));
        }
        if !emails.is_empty() {
            any = any.add(contact::Column::EmailKey.is_in(emails));
        }
        let rows = contact::Entity::find().filter(contact::Column::DeletedAt.is_null()).filter(any).all(txn).await?;
        let parent_ids: Vec<i64> = rows.iter().map(|c| c.customer_id).collect();
        let parents: HashMap<i64, customer::Model> = customer::Entity::find()
            .filter(customer::Column::Id.is_in(parent_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        for c in rows {
            let editable = parents.get(&c.customer_id).is_some_and(|p| require_owned(actor, p).is_ok());
            let keys = [
                c.phone_key.as_ref().map(|k| format!("p:{k}")),
                c.mobile_key.as_ref().map(|k| format!("p:{k}")),
                c.email_key.as_ref().map(|k| format!("e:{k}")),
            ];
            for key in keys.into_iter().flatten() {
                if found.get(&key).is_none_or(|f: &Found<contact::Model>| !f.editable && editable) {
                    found.insert(key, Found { model: c.clone(), editable });
                }
            }
        }
        Ok(found)
    }

    async fn insert(txn: &UnitOfWork<'_>, records: Vec<ContactRecord>) -> StoreResult<()> {
        let now = txn.now();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk: Vec<ContactRecord> = records.by_ref().take(ROWS_PER_STATEMENT).collect();
            let mut texts = Vec::with_capacity(chunk.len());
            let mut rows = Vec::with_capacity(chunk.len());
            for r in chunk {
                let (phone_key, mobile_key, email_key) = contact_keys(&r.input);
                let input = r.input;
                let m = contact::ActiveModel {
                    customer_id: Set(input.customer_id),
                    name: Set(input.name.trim().to_owned()),
                    title: Set(clean(&input.title)),
                    phone: Set(clean(&input.phone)),
                    mobile: Set(clean(&input.mobile)),
                    phone_key: Set(phone_key),
                    mobile_key: Set(mobile_key),
                    email: Set(clean(&input.email)),
                    email_key: Set(email_key),
                    role: Set(input.role),
                    notes: Set(input.notes.trim().to_owned()),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                let text: Vec<String> =
                    [Some(input.name), input.phone, input.mobile, input.email].into_iter().flatten().collect();
                texts.push(text.join(" "));
                rows.push(m);
            }
            let ids = contact::Entity::insert_many(rows).exec_with_returning_keys(txn).await?;
            let indexed: Vec<(i64, String)> = ids.into_iter().zip(texts).collect();
            search::index_later(txn, Kind::Contact, &indexed).await?;
        }
        Ok(())
    }

    async fn merge(txn: &UnitOfWork<'_>, existing: &contact::Model, record: ContactRecord) -> StoreResult<()> {
        let mut into = ContactRecord {
            input: ContactInput {
                customer_id: existing.customer_id,
                name: existing.name.clone(),
                title: existing.title.clone(),
                phone: existing.phone.clone(),
                mobile: existing.mobile.clone(),
                email: existing.email.clone(),
                role: existing.role.clone(),
                notes: existing.notes.clone(),
                allow_duplicate: true,
                duplicate_reason: None,
            },
            customer_key: String::new(),
            role_given: true,
        };
        Self::merge_records(&mut into, record);
        let input = into.input;
        let mut update = txn.update_all::<contact::Entity>(contact::Column::Id.eq(existing.id));
        for (column, value) in contact_columns(&input) {
            update = update.set(column, value);
        }
        update.exec().await?;
        let after = contact::Entity::find_by_id(existing.id).one(txn).await?;
        if let Some(after) = after {
            let texts = contact_texts(&after);
            txn.index(Kind::Contact, after.id, &texts.iter().map(String::as_str).collect::<Vec<_>>()).await?;
        }
        Ok(())
    }

    fn id_of(model: &contact::Model) -> i64 {
        model.id
    }

    fn clash_probe(record: &ContactRecord) -> crate::clashes::Probe {
        crate::customers::contact_probe(&record.input)
    }

    /// Non-blank cells win; the contact stays with its customer.
    fn merge_records(into: &mut ContactRecord, from: ContactRecord) {
        let (a, b) = (&mut into.input, from.input);
        if !b.name.trim().is_empty() {
            a.name = b.name;
        }
        for (to, value) in
            [(&mut a.title, b.title), (&mut a.phone, b.phone), (&mut a.mobile, b.mobile), (&mut a.email, b.email)]
        {
            overwrite(to, value);
        }
        if from.role_given {
            a.role = b.role;
        }
        if !b.notes.trim().is_empty() {
            a.notes = b.notes;
        }
    }
}

// ---------------------------------------------------------------- leads

pub(crate) struct Leads;

pub(crate) struct LeadRecord {
    input: LeadInput,
    /// The status code (blank cells: `new`).
    status: String,
    status_given: bool,
    owner_text: Option<String>,
    owner_id: Option<i64>,
}

impl LeadRecord {
    /// The phone, mobile and e-mail keys (the leads' own normalisation).
    fn contact_keys(&self) -> Vec<(&'static str, String)> {
        let keys = Keys::of(&self.input);
        let mut found = Vec::new();
        if let Some(p) = keys.phone {
            found.push(("phone", format!("p:{p}")));
        }
        if let Some(m) = keys.mobile {
            found.push(("mobile", format!("p:{m}")));
        }
        if let Some(e) = keys.email {
            found.push(("email", format!("e:{e}")));
        }
        found
    }
}

impl ImportTarget for Leads {
    type Record = LeadRecord;
    type Model = lead::Model;
    const TARGET: Target = Target::Leads;

    fn parse(values: &Values<'_>) -> Result<LeadRecord, Invalid> {
        let mut invalid = Invalid::new();
        let intention = parse_intention(values.get("intention")).unwrap_or_else(|| {
            invalid.push(FieldError::new("intention", "invalid_choice"));
            None
        });
        let status_text = values.get("status");
        let status = parse_lead_status(status_text).unwrap_or_else(|| {
            invalid.push(FieldError::new("status", "invalid_choice"));
            LeadStatus::New
        });
        let input = LeadInput {
            name: values.get("name").to_owned(),
            company: values.opt("company"),
            title: values.opt("title"),
            phone: values.opt("phone"),
            mobile: values.opt("mobile"),
            email: values.opt("email"),
            province: values.opt("province"),
            city: values.opt("city"),
            source: values.opt("source"),
            campaign: values.opt("campaign"),
            intention: intention.map(|i| i.code().to_owned()),
            status: Some(status.code().to_owned()),
            owner_id: None,
            notes: values.get("notes").to_owned(),
            disqualify_reason: values.opt("disqualify_reason"),
            allow_duplicate: true,
            duplicate_reason: None,
        };
        // The create form's rules; a disqualified row needs its reason.
        invalid.0.extend(check_lead(&input, status.code()).0);
        invalid.into_result()?;
        Ok(LeadRecord {
            input,
            status: status.code().to_owned(),
            status_given: !status_text.is_empty(),
            owner_text: values.opt("owner"),
            owner_id: None,
        })
    }

    async fn resolve(txn: &UnitOfWork<'_>, actor: &Actor, items: &mut [Item<LeadRecord>]) -> StoreResult<()> {
        let texts: Vec<String> = items.iter().filter_map(|i| i.record.as_ref()?.owner_text.clone()).collect();
        let owners = owners_by_text(txn, texts).await?;
        for item in items.iter_mut() {
            let Some(record) = item.record.as_mut() else { continue };
            match owner_of(actor, &owners, record.owner_text.as_deref()) {
                Ok(Some(owner)) => record.owner_id = Some(owner),
                // A lead always has an owner: the system importing must name one.
                Ok(None) => item.reject(FieldError::new("owner", "required")),
                Err(e) => item.reject(e),
            }
        }
        Ok(())
    }

    fn keys(record: &LeadRecord) -> Vec<(&'static str, String)> {
        record.contact_keys()
    }

    async fn existing(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        keys: Vec<String>,
    ) -> StoreResult<HashMap<String, Found<lead::Model>>> {
        let mut found: HashMap<String, Found<lead::Model>> = HashMap::new();
        let may_edit = actor.require(Module::Customers, Action::Edit).is_ok();
        for chunk in keys.chunks(ROWS_PER_STATEMENT * 2) {
            let phones: Vec<String> = chunk.iter().filter_map(|k| k.strip_prefix("p:")).map(str::to_owned).collect();
            let emails: Vec<String> = chunk.iter().filter_map(|k| k.strip_prefix("e:")).map(str::to_owned).collect();
            let mut any = Condition::any();
            if !phones.is_empty() {
                any = any.add(lead::Column::PhoneKey.is_in(phones.clone())).add(lead::Column::MobileKey.is_in(phones));
            }
            if !emails.is_empty() {
                any = any.add(lead::Column::EmailKey.is_in(emails));
            }
            // Leads outside the importer's scope are not theirs to match.
            let rows = lead::Entity::find()
                .filter(actor.scope_condition(lead::Column::OwnerId))
                .filter(lead::Column::DeletedAt.is_null())
                .filter(any)
                .all(txn)
                .await?;
            for m in rows {
                // Converted leads are history and stay as they are.
                let editable = may_edit && m.converted_at.is_none();
                let keys = [
                    m.phone_key.as_ref().map(|k| format!("p:{k}")),
                    m.mobile_key.as_ref().map(|k| format!("p:{k}")),
                    m.email_key.as_ref().map(|k| format!("e:{k}")),
                ];
                for key in keys.into_iter().flatten() {
                    if found.get(&key).is_none_or(|f| !f.editable && editable) {
                        found.insert(key, Found { model: m.clone(), editable });
                    }
                }
            }
        }
        Ok(found)
    }

    async fn insert(txn: &UnitOfWork<'_>, records: Vec<LeadRecord>) -> StoreResult<()> {
        let now = txn.now();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk: Vec<LeadRecord> = records.by_ref().take(ROWS_PER_STATEMENT).collect();
            let mut texts = Vec::with_capacity(chunk.len());
            let mut rows = Vec::with_capacity(chunk.len());
            for r in chunk {
                // `resolve` rejected rows without an owner.
                let Some(owner) = r.owner_id else { continue };
                let input = &r.input;
                let text: Vec<&str> = [Some(input.name.as_str()), input.company.as_deref(), input.phone.as_deref()]
                    .into_iter()
                    .chain([input.mobile.as_deref(), input.email.as_deref()])
                    .flatten()
                    .map(str::trim)
                    .collect();
                texts.push(text.join(" "));
                rows.push(new_lead(input, r.status, owner, now));
            }
            if rows.is_empty() {
                continue;
            }
            let ids = lead::Entity::insert_many(rows).exec_with_returning_keys(txn).await?;
            let indexed: Vec<(i64, String)> = ids.into_iter().zip(texts).collect();
            search::index_later(txn, Kind::Lead, &indexed).await?;
        }
        Ok(())
    }

    async fn merge(txn: &UnitOfWork<'_>, existing: &lead::Model, record: LeadRecord) -> StoreResult<()> {
        let mut into = LeadRecord {
            input: LeadInput {
                name: existing.name.clone(),
                company: existing.company.clone(),
                title: existing.title.clone(),
                phone: existing.phone.clone(),
                mobile: existing.mobile.clone(),
                email: existing.email.clone(),
                province: existing.province.clone(),
                city: existing.city.clone(),
                source: existing.source.clone(),
                campaign: existing.campaign.clone(),
                intention: existing.intention.clone(),
                status: Some(existing.status.clone()),
                owner_id: None,
                notes: existing.notes.clone(),
                disqualify_reason: existing.disqualify_reason.clone(),
                allow_duplicate: true,
                duplicate_reason: None,
            },
            status: existing.status.clone(),
            status_given: true,
            owner_text: None,
            owner_id: Some(existing.owner_id),
        };
        Self::merge_records(&mut into, record);
        // Each row passed the create rules and its status came with its reason, so the merged lead holds.
        let input = into.input;
        let keys = Keys::of(&input);
        let reason =
            if into.status == LeadStatus::Disqualified.code() { clean(&input.disqualify_reason) } else { None };
        txn.update_all::<lead::Entity>(lead::Column::Id.eq(existing.id))
            .set(lead::Column::Name, Expr::value(input.name.trim()))
            .set(lead::Column::Company, Expr::value(clean(&input.company)))
            .set(lead::Column::CompanyKey, Expr::value(keys.company))
            .set(lead::Column::Title, Expr::value(clean(&input.title)))
            .set(lead::Column::Phone, Expr::value(clean(&input.phone)))
            .set(lead::Column::Mobile, Expr::value(clean(&input.mobile)))
            .set(lead::Column::PhoneKey, Expr::value(keys.phone))
            .set(lead::Column::MobileKey, Expr::value(keys.mobile))
            .set(lead::Column::Email, Expr::value(clean(&input.email)))
            .set(lead::Column::EmailKey, Expr::value(keys.email))
            .set(lead::Column::Province, Expr::value(clean(&input.province)))
            .set(lead::Column::City, Expr::value(clean(&input.city)))
            .set(lead::Column::Source, Expr::value(clean(&input.source)))
            .set(lead::Column::Campaign, Expr::value(clean(&input.campaign)))
            .set(lead::Column::Intention, Expr::value(intention_code(&input)))
            .set(lead::Column::Status, Expr::value(into.status))
            .set(lead::Column::OwnerId, Expr::value(into.owner_id.unwrap_or(existing.owner_id)))
            .set(lead::Column::Notes, Expr::value(input.notes.trim()))
            .set(lead::Column::DisqualifyReason, Expr::value(reason))
            .exec()
            .await?;
        if let Some(after) = lead::Entity::find_by_id(existing.id).one(txn).await? {
            txn.index(Kind::Lead, after.id, &search_texts(&after)).await?;
        }
        Ok(())
    }

    fn id_of(model: &lead::Model) -> i64 {
        model.id
    }

    fn clash_probe(record: &LeadRecord) -> crate::clashes::Probe {
        crate::clashes::lead_probe(&record.input)
    }

    /// Non-blank cells win; a status given in the row replaces the old one.
    fn merge_records(into: &mut LeadRecord, from: LeadRecord) {
        let (a, b) = (&mut into.input, from.input);
        if !b.name.trim().is_empty() {
            a.name = b.name;
        }
        for (to, value) in [
            (&mut a.company, b.company),
            (&mut a.title, b.title),
            (&mut a.phone, b.phone),
            (&mut a.mobile, b.mobile),
            (&mut a.email, b.email),
            (&mut a.province, b.province),
            (&mut a.city, b.city),
            (&mut a.source, b.source),
            (&mut a.campaign, b.campaign),
            (&mut a.intention, b.intention),
            (&mut a.disqualify_reason, b.disqualify_reason),
        ] {
            overwrite(to, value);
        }
        if !b.notes.trim().is_empty() {
            a.notes = b.notes;
        }
        if from.status_given {
            into.status = from.status;
            into.status_given = true;
            a.status = Some(into.status.clone());
        }
        if from.owner_text.is_some() {
            into.owner_text = from.owner_text;
            into.owner_id = from.owner_id;
        }
    }
}

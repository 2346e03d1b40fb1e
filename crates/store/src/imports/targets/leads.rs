//! Importing leads.

use std::collections::HashMap;

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::imports::{Target, parse_intention, parse_lead_status};
use salesflow_domain::leads::LeadStatus;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Found, ImportTarget, Item, ROWS_PER_STATEMENT, Values, overwrite, owner_of, owners_by_text};
use crate::entity::lead;
use crate::error::StoreResult;
use crate::leads::{Keys, LeadInput, check_lead, intention_code, new_lead, search_texts};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::clean;
use crate::unit_of_work::UnitOfWork;

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

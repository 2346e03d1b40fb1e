//! Importing contacts (each under a customer named in the row).

use std::collections::HashMap;

use salesflow_domain::Invalid;
use salesflow_domain::customers::name_key;
use salesflow_domain::imports::{Target, parse_role};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{Found, ImportTarget, Item, ROWS_PER_STATEMENT, Values, overwrite};
use crate::customers::{
    ContactInput, check_contact, contact_columns, contact_keys, contact_texts, require_owned, visible,
};
use crate::entity::{contact, customer};
use crate::error::StoreResult;
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::clean;
use crate::unit_of_work::UnitOfWork;

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

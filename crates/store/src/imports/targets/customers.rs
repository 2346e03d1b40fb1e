//! Importing customers.

use std::collections::HashMap;

use salesflow_domain::Invalid;
use salesflow_domain::customers::{Grade, name_key, parse_tags, phone_key};
use salesflow_domain::imports::Target;
use salesflow_domain::money::Money;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{Found, ImportTarget, Item, ROWS_PER_STATEMENT, Values, overwrite, owner_of, owners_by_text};
use crate::customers::tags::{insert_tags, replace_tags, tags_of};
use crate::customers::{CustomerInput, check_input, normalize, require_owned};
use crate::entity::customer;
use crate::error::StoreResult;
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::clean;
use crate::unit_of_work::UnitOfWork;

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
            phone: values.opt("phone"),
            website: values.opt("website"),
            credit_code: values.opt("credit_code"),
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
        let lists = crate::picklists::load(txn).await?;
        for item in items.iter_mut() {
            let Some(record) = item.record.as_mut() else { continue };
            // Picklist values by code or label in either language, regions
            // by their names; a blank cell stays blank (merges keep the old).
            let invalid = normalize(&mut record.input, &lists, None);
            if !invalid.is_empty() {
                for error in invalid.0 {
                    item.reject(error);
                }
                continue;
            }
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
                        phone: Set(clean(&input.phone)),
                        phone_key: Set(input.phone.as_deref().and_then(phone_key)),
                        website: Set(clean(&input.website)),
                        credit_code: Set(clean(&input.credit_code)),
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
                phone: existing.phone.clone(),
                website: existing.website.clone(),
                credit_code: existing.credit_code.clone(),
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
            .set(customer::Column::PhoneKey, Expr::value(input.phone.as_deref().and_then(phone_key)))
            .set(customer::Column::Phone, Expr::value(input.phone))
            .set(customer::Column::Website, Expr::value(input.website))
            .set(customer::Column::CreditCode, Expr::value(input.credit_code))
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
        crate::clashes::Probe::customer(&record.input.name, record.input.phone.as_deref())
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
            (&mut a.phone, b.phone),
            (&mut a.website, b.website),
            (&mut a.credit_code, b.credit_code),
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

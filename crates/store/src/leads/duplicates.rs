//! Duplicate checks for leads: other leads, customers and contacts
//! sharing a lead's company name, phone or e-mail.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::{Keys, LeadInput};
use crate::Store;
use crate::customers::{ContactInput, contact_duplicates, duplicates_by_name};
use crate::entity::lead;
use crate::error::StoreResult;
use crate::scope::Actor;
use crate::shared::{clean, hidden_owners, owner_names};

/// A record a lead may duplicate: an existing customer (by company name or a
/// contact's phone or e-mail) or another lead, found through `field`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LeadDuplicate {
    pub field: String,
    /// `customer` or `lead`.
    pub kind: String,
    pub id: i64,
    pub name: String,
    /// Who owns it, to say whom to ask when the caller may not read it.
    #[serde(skip)]
    pub(super) owner_id: Option<i64>,
    #[serde(skip)]
    pub(super) owner_name: Option<String>,
}

impl LeadDuplicate {
    /// Customers in the public pool are everyone's to read; otherwise the
    /// owner must be in the caller's scope.
    fn readable(&self, actor: &Actor) -> bool {
        (self.kind == "customer" && self.owner_id.is_none()) || actor.sees_owner(self.owner_id)
    }
}

pub(super) fn found(field: &str, kind: &str, id: i64, name: String, owner_id: Option<i64>) -> LeadDuplicate {
    LeadDuplicate { field: field.to_owned(), kind: kind.to_owned(), id, name, owner_id, owner_name: None }
}

/// Per field: `possible_duplicate` naming the records the caller may read,
/// `duplicate_elsewhere` naming only the owners of the others.
pub(super) fn duplicate_errors(actor: &Actor, found: &[LeadDuplicate]) -> Invalid {
    let mut invalid = Invalid::new();
    let mut fields: Vec<&str> = Vec::new();
    for d in found {
        if !fields.contains(&d.field.as_str()) {
            fields.push(&d.field);
        }
    }
    for field in fields {
        let mut names: Vec<&str> = Vec::new();
        let mut hidden: Vec<Option<&String>> = Vec::new();
        for d in found.iter().filter(|d| d.field == field) {
            if !d.readable(actor) {
                hidden.push(d.owner_name.as_ref());
            } else if !names.contains(&d.name.as_str()) {
                names.push(&d.name);
            }
        }
        if !names.is_empty() {
            invalid.push(FieldError::new(field, "possible_duplicate").with("names", names.join("、")));
        }
        if !hidden.is_empty() {
            invalid.push(FieldError::new(field, "duplicate_elsewhere").with("owners", hidden_owners(hidden)));
        }
    }
    invalid
}

/// Other leads matching `cond`, named with their company.
async fn leads_with<C: ConnectionTrait>(
    conn: &C,
    field: &str,
    cond: Condition,
    except: Option<i64>,
) -> StoreResult<Vec<LeadDuplicate>> {
    let mut q = lead::Entity::find().filter(cond).filter(lead::Column::DeletedAt.is_null());
    if let Some(id) = except {
        q = q.filter(lead::Column::Id.ne(id));
    }
    let rows = q.limit(5).all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|l| {
            let name = match l.company {
                Some(c) => format!("{}（{c}）", l.name),
                None => l.name,
            };
            found(field, "lead", l.id, name, Some(l.owner_id))
        })
        .collect())
}

/// Customers, contacts and leads that look like the same company or person:
/// same normalised company name, phone or e-mail.
pub(super) async fn duplicates<C: ConnectionTrait>(
    conn: &C,
    input: &LeadInput,
    except: Option<i64>,
) -> StoreResult<Vec<LeadDuplicate>> {
    let keys = Keys::of(input);
    let mut all = Vec::new();
    if let (Some(company), Some(key)) = (clean(&input.company), keys.company.clone()) {
        for d in duplicates_by_name(conn, &company, None).await? {
            all.push(found("company", "customer", d.id, d.name, d.owner_id));
        }
        all.extend(leads_with(conn, "company", Condition::all().add(lead::Column::CompanyKey.eq(key)), except).await?);
    }
    for (field, value, key) in [
        ("phone", &input.phone, keys.phone),
        ("mobile", &input.mobile, keys.mobile),
        ("email", &input.email, keys.email),
    ] {
        let Some(key) = key else { continue };
        // Contacts through the customers' own check, one field at a time.
        let probe = if field == "email" {
            ContactInput { email: value.clone(), ..Default::default() }
        } else {
            ContactInput { phone: value.clone(), ..Default::default() }
        };
        for (_, d) in contact_duplicates(conn, &probe, None).await? {
            all.push(found(field, "customer", d.id, d.name, d.owner_id));
        }
        let cond = if field == "email" {
            Condition::all().add(lead::Column::EmailKey.eq(key))
        } else {
            Condition::any().add(lead::Column::PhoneKey.eq(key.clone())).add(lead::Column::MobileKey.eq(key))
        };
        all.extend(leads_with(conn, field, cond, except).await?);
    }
    let names = owner_names(conn, all.iter().filter_map(|d| d.owner_id)).await?;
    for d in &mut all {
        d.owner_name = d.owner_id.and_then(|o| names.get(&o).cloned());
    }
    Ok(all)
}

/// The records a lead's input may duplicate (for links beside the warning);
/// `except` is the lead being edited.
pub async fn find_duplicates(
    store: &Store,
    actor: &Actor,
    input: &LeadInput,
    except: Option<i64>,
) -> StoreResult<Vec<LeadDuplicate>> {
    actor.require(Module::Customers, Action::View)?;
    // Only what the caller may read gets a link; the rest is in the warning.
    Ok(duplicates(store.reader(), input, except).await?.into_iter().filter(|d| d.readable(actor)).collect())
}

//! The top bar's one search box: customers, contacts (by name, phone or
//! e-mail), leads and deals as you type. Each kind is its own list's search
//! (the same bigram index, two Chinese characters are enough) inside the
//! caller's rights and data scope, first few of each; a customer is also
//! found through a contact's name or phone.
//!
//! The box shows the newest few matches of each kind the caller may see
//! ([`search::newest_visible`]: a walk of the index that stops after a
//! few), not the first few of each list's order, which would sort every
//! match; the rows are then read through each list, scope applied again.

use salesflow_domain::access::{Action, Module};
use sea_orm::{ColumnTrait, Condition};
use serde::Serialize;

use crate::Store;
use crate::customers::{
    ContactFilter, CustomerFilter, customer_names, list_contacts, list_customers, visible, visible_contact,
};
use crate::entity::{contact, customer, lead, opportunity};
use crate::error::StoreResult;
use crate::leads::{LeadFilter, list_leads};
use crate::opportunities::{OpportunityFilter, list_opportunities};
use crate::paging::PageRequest;
use crate::scope::Actor;
use crate::search::{self, Kind};

/// One record found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Found {
    pub id: i64,
    pub title: String,
    /// A second line: the contact's customer and phone, the lead's
    /// company, the deal's customer.
    pub detail: Option<String>,
    /// Where it opens in the app.
    pub link: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub customers: Vec<Found>,
    pub contacts: Vec<Found>,
    pub leads: Vec<Found>,
    pub opportunities: Vec<Found>,
}

impl SearchResults {
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty() && self.contacts.is_empty() && self.leads.is_empty() && self.opportunities.is_empty()
    }
}

/// At most this many of each kind.
pub const PER_KIND_MAX: u64 = 20;

pub async fn search_everything(store: &Store, actor: &Actor, q: &str, per_kind: u64) -> StoreResult<SearchResults> {
    let mut found = SearchResults::default();
    let q = q.trim();
    if q.is_empty() {
        return Ok(found);
    }
    let first = PageRequest { limit: Some(per_kind.clamp(1, PER_KIND_MAX)), cursor: None, sort: None };
    let text = Some(q.to_owned());
    let limit = per_kind.clamp(1, PER_KIND_MAX);
    let conn = store.reader();
    // The matches' ids, or `None` to search the list instead (one character).
    let live = |deleted_at: sea_orm::sea_query::SimpleExpr| Condition::all().add(deleted_at);
    if actor.can(Module::Customers, Action::View) {
        let seen = live(customer::Column::DeletedAt.is_null()).add(visible(actor));
        let ids = search::newest_visible(conn, Kind::Customer, q, customer::Entity, customer::Column::Id, seen, limit);
        let filter = match ids.await? {
            Some(ids) => CustomerFilter { ids: Some(ids), ..Default::default() },
            None => CustomerFilter { q: text.clone(), ..Default::default() },
        };
        for c in list_customers(store, actor, &filter, &first).await?.items {
            let detail = [c.city.clone(), c.owner_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
            found.customers.push(Found {
                id: c.id,
                link: format!("/customers/{}", c.id),
                title: c.name,
                detail: Some(detail).filter(|d| !d.is_empty()),
            });
        }
        let seen = visible_contact(actor);
        let ids = search::newest_visible(conn, Kind::Contact, q, contact::Entity, contact::Column::Id, seen, limit);
        let filter = match ids.await? {
            Some(ids) => ContactFilter { ids: Some(ids), ..Default::default() },
            None => ContactFilter { q: text.clone(), ..Default::default() },
        };
        let contacts = list_contacts(store, actor, &filter, &first).await?.items;
        let names = customer_names(store, contacts.iter().map(|c| c.customer_id)).await?;
        for c in &contacts {
            let customer = names.get(&c.customer_id).cloned();
            let phone = c.mobile.clone().or_else(|| c.phone.clone()).or_else(|| c.email.clone());
            found.contacts.push(Found {
                id: c.id,
                title: c.name.clone(),
                detail: Some([customer.clone(), phone].into_iter().flatten().collect::<Vec<_>>().join(" · "))
                    .filter(|d| !d.is_empty()),
                link: format!("/customers/{}#contact-{}", c.customer_id, c.id),
            });
            // The contact's customer, found through the contact.
            if let Some(name) = customer
                && !found.customers.iter().any(|f| f.id == c.customer_id)
                && (found.customers.len() as u64) < per_kind
            {
                found.customers.push(Found {
                    id: c.customer_id,
                    title: name,
                    detail: Some(c.name.clone()),
                    link: format!("/customers/{}", c.customer_id),
                });
            }
        }
        let seen = live(lead::Column::DeletedAt.is_null()).add(actor.scope_condition(lead::Column::OwnerId));
        let ids = search::newest_visible(conn, Kind::Lead, q, lead::Entity, lead::Column::Id, seen, limit);
        let filter = match ids.await? {
            Some(ids) => LeadFilter { ids: Some(ids), ..Default::default() },
            None => LeadFilter { q: text.clone(), ..Default::default() },
        };
        for l in list_leads(store, actor, &filter, &first).await?.items {
            found.leads.push(Found {
                id: l.id,
                link: format!("/leads/{}", l.id),
                detail: l.company.clone().or(l.mobile.clone()),
                title: l.name,
            });
        }
    }
    if actor.can(Module::Opportunities, Action::View) {
        let seen =
            live(opportunity::Column::DeletedAt.is_null()).add(actor.scope_condition(opportunity::Column::OwnerId));
        let (table, id) = (opportunity::Entity, opportunity::Column::Id);
        let filter = match search::newest_visible(conn, Kind::Opportunity, q, table, id, seen, limit).await? {
            Some(ids) => OpportunityFilter { ids: Some(ids), ..Default::default() },
            None => OpportunityFilter { q: text, ..Default::default() },
        };
        for o in list_opportunities(store, actor, &filter, &first).await?.items {
            found.opportunities.push(Found {
                id: o.id,
                link: format!("/opportunities/{}", o.id),
                detail: o.customer_name.clone(),
                title: o.name,
            });
        }
    }
    Ok(found)
}

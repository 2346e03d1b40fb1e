//! The list of leads: filter, sorts and keyset pages.

use salesflow_domain::access::{Action, Module};
use salesflow_domain::leads::{Intention, LeadStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{LeadView, view};
use crate::Store;
use crate::entity::lead;
use crate::error::StoreResult;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::{clean, owner_names};

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// Part of the name, company, phone or e-mail, in any script.
    pub q: Option<String>,
    pub status: Option<String>,
    pub intention: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub owner_id: Option<i64>,
    /// Owners in this department and those below it (a team).
    pub department_id: Option<i64>,
    /// `Some(true)`: only converted leads; `Some(false)`: only open ones.
    pub converted: Option<bool>,
    pub deleted: bool,
    /// Only these leads (an export of selected rows).
    pub ids: Option<Vec<i64>>,
}

const SORTS: [SortField<lead::Column>; 4] = [
    SortField { name: "created_at", column: lead::Column::CreatedAt },
    SortField { name: "updated_at", column: lead::Column::UpdatedAt },
    SortField { name: "name", column: lead::Column::Name },
    SortField { name: "id", column: lead::Column::Id },
];

/// Leads in the caller's scope. Sort: `-created_at` (default),
/// `updated_at`, `name`, `id`.
pub async fn list_leads(
    store: &Store,
    actor: &Actor,
    filter: &LeadFilter,
    page: &PageRequest,
) -> StoreResult<Page<LeadView>> {
    actor.require(Module::Customers, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-created_at")?;
    let mut query = lead::Entity::find().filter(actor.scope_condition(lead::Column::OwnerId));
    query = if filter.deleted {
        query.filter(lead::Column::DeletedAt.is_not_null())
    } else {
        query.filter(lead::Column::DeletedAt.is_null())
    };
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(store.reader(), Kind::Lead, q).await?
    {
        query = query.filter(lead::Column::Id.in_subquery(ids));
    }
    if let Some(o) = filter.owner_id {
        query = query.filter(lead::Column::OwnerId.eq(o));
    }
    if let Some(d) = filter.department_id {
        let members = crate::access::department_members(store.reader(), d).await?;
        query = query.filter(lead::Column::OwnerId.is_in(members));
    }
    for (column, value) in [
        (lead::Column::Status, filter.status.as_deref().and_then(LeadStatus::parse).map(|s| s.code().to_owned())),
        (lead::Column::Intention, filter.intention.as_deref().and_then(Intention::parse).map(|i| i.code().to_owned())),
        (lead::Column::Source, clean(&filter.source)),
        (lead::Column::Campaign, clean(&filter.campaign)),
    ] {
        if let Some(v) = value {
            query = query.filter(column.eq(v));
        }
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(lead::Column::Id.is_in(ids.iter().copied()));
    }
    match filter.converted {
        Some(true) => query = query.filter(lead::Column::ConvertedAt.is_not_null()),
        Some(false) => query = query.filter(lead::Column::ConvertedAt.is_null()),
        None => {}
    }
    let rows = keyset.apply(query, lead::Column::Id).all(store.reader()).await?;
    let names = owner_names(store.reader(), rows.iter().map(|l| l.owner_id)).await?;
    let page = keyset.finish(rows, |l, field| {
        let key = match field {
            "created_at" => Key::Time(l.created_at),
            "updated_at" => Key::Time(l.updated_at),
            "name" => Key::Text(l.name.clone()),
            _ => Key::Int(l.id),
        };
        (key, l.id)
    });
    Ok(page.map(|l| view(l, &names)))
}

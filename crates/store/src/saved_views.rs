//! Saved views (a list's filters under a name) and the columns each person
//! chose to see. Both are personal: nobody sees another's.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use crate::Store;
use crate::entity::{list_column, saved_view};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::Unaudited;

/// The lists that have views and column choices.
pub const LISTS: [&str; 6] = ["customers", "contacts", "activities", "leads", "tasks", "opportunities"];
pub const NAME_MAX: usize = 60;
pub const QUERY_MAX: usize = 2000;
/// Views one person may keep per list.
pub const VIEWS_MAX: u64 = 50;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub list: String,
    pub name: String,
    /// The list's query string, e.g. `grade=A&province=上海`.
    pub query: String,
    pub created_at: DateTime<Utc>,
}

fn view(m: saved_view::Model) -> SavedView {
    SavedView { id: m.id, list: m.list, name: m.name, query: m.query, created_at: m.created_at }
}

fn check_list(list: &str) -> StoreResult<()> {
    if LISTS.contains(&list) { Ok(()) } else { Err(Invalid::one("list", "invalid_choice").into()) }
}

/// The filters worth keeping: no paging position, no empty values.
fn clean_query(query: &str) -> String {
    let pairs = form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .filter(|(k, v)| k != "cursor" && k != "_csrf" && !v.is_empty());
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(&k, &v);
    }
    out.finish()
}

pub async fn list_views(store: &Store, actor: &Actor, list: &str) -> StoreResult<Vec<SavedView>> {
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    check_list(list)?;
    let rows = saved_view::Entity::find()
        .filter(saved_view::Column::UserId.eq(me))
        .filter(saved_view::Column::List.eq(list))
        .order_by_asc(saved_view::Column::Name)
        .all(store.reader())
        .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// Saves the current filters of a list under a name (a new name, or the
/// same name again to replace that view's filters).
pub async fn save_view(store: &Store, actor: &Actor, list: &str, name: &str, query: &str) -> StoreResult<SavedView> {
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    check_list(list)?;
    let mut invalid = Invalid::new();
    invalid.text("name", name, NAME_MAX);
    let query = clean_query(query);
    if query.chars().count() > QUERY_MAX {
        invalid.push(FieldError::new("query", "too_long").with("max", QUERY_MAX));
    }
    invalid.into_result()?;
    let name = name.trim();
    let txn = store.permit_own(actor).begin().await?;
    // Name lookup, quota count and insert under the person's row lock: two
    // saves at once neither pass the quota together nor race on the name.
    crate::locks::lock_user(&txn, me).await?;
    let mine =
        saved_view::Entity::find().filter(saved_view::Column::UserId.eq(me)).filter(saved_view::Column::List.eq(list));
    if let Some(existing) = mine.clone().filter(saved_view::Column::Name.eq(name)).one(&txn).await? {
        saved_view::Entity::update_many()
            .col_expr(saved_view::Column::Query, Expr::value(query.clone()))
            .filter(saved_view::Column::Id.eq(existing.id))
            .exec(&txn)
            .await?;
        txn.commit_without_audit(Unaudited::OwnPreference).await?;
        return Ok(SavedView { query, ..view(existing) });
    }
    if mine.count(&txn).await? >= VIEWS_MAX {
        return Err(Invalid(vec![FieldError::new("name", "too_many").with("max", VIEWS_MAX)]).into());
    }
    let m = saved_view::ActiveModel {
        user_id: Set(me),
        list: Set(list.to_owned()),
        name: Set(name.to_owned()),
        query: Set(query),
        created_at: Set(txn.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit_without_audit(Unaudited::OwnPreference).await?;
    Ok(view(m))
}

pub async fn delete_view(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let txn = store.permit_own(actor).begin().await?;
    let res = saved_view::Entity::delete_many()
        .filter(saved_view::Column::Id.eq(id))
        .filter(saved_view::Column::UserId.eq(me))
        .exec(&txn)
        .await?;
    txn.commit_without_audit(Unaudited::OwnPreference).await?;
    if res.rows_affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

/// The columns the actor chose for a list, if they chose any.
pub async fn columns(store: &Store, actor: &Actor, list: &str) -> StoreResult<Option<Vec<String>>> {
    let Some(me) = actor.user_id else { return Ok(None) };
    let row = list_column::Entity::find()
        .filter(list_column::Column::UserId.eq(me))
        .filter(list_column::Column::List.eq(list))
        .one(store.reader())
        .await?;
    Ok(row.map(|r| r.columns.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect()))
}

/// Keeps the actor's column choice for a list; `allowed` are the list's
/// column codes. An empty choice goes back to the default columns.
pub async fn set_columns(
    store: &Store,
    actor: &Actor,
    list: &str,
    chosen: &[String],
    allowed: &[&str],
) -> StoreResult<()> {
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    check_list(list)?;
    if chosen.iter().any(|c| !allowed.contains(&c.as_str())) {
        return Err(Invalid::one("columns", "invalid_choice").into());
    }
    let txn = store.permit_own(actor).begin().await?;
    if chosen.is_empty() {
        list_column::Entity::delete_many()
            .filter(list_column::Column::UserId.eq(me))
            .filter(list_column::Column::List.eq(list))
            .exec(&txn)
            .await?;
        txn.commit_without_audit(Unaudited::OwnPreference).await?;
        return Ok(());
    }
    let row = list_column::ActiveModel {
        user_id: Set(me),
        list: Set(list.to_owned()),
        columns: Set(chosen.join(",")),
        ..Default::default()
    };
    list_column::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([list_column::Column::UserId, list_column::Column::List])
                .update_column(list_column::Column::Columns)
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    txn.commit_without_audit(Unaudited::OwnPreference).await?;
    Ok(())
}

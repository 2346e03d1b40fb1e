//! Warehouses: the places stock is kept (a company has a handful).

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::products::{ADDRESS_MAX, NAME_MAX, WAREHOUSE_CODE_MAX};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use super::signed_in;
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{stock, stock_movement, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarehouseView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub address: String,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<warehouse::Model> for WarehouseView {
    fn from(m: warehouse::Model) -> Self {
        WarehouseView {
            id: m.id,
            code: m.code,
            name: m.name,
            address: m.address,
            active: m.active,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct WarehouseInput {
    pub code: String,
    pub name: String,
    pub address: String,
    pub active: bool,
}

/// Every warehouse, by code (a company has a handful).
pub async fn list_warehouses(store: &Store, actor: &Actor) -> StoreResult<Vec<WarehouseView>> {
    signed_in(actor)?;
    let rows = warehouse::Entity::find().order_by_asc(warehouse::Column::Code).all(store.reader()).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get_warehouse(store: &Store, actor: &Actor, id: i64) -> StoreResult<WarehouseView> {
    signed_in(actor)?;
    Ok(warehouse::Entity::find_by_id(id).one(store.reader()).await?.ok_or(StoreError::NotFound)?.into())
}

async fn check_warehouse<C: ConnectionTrait>(conn: &C, input: &WarehouseInput, id: Option<i64>) -> StoreResult<()> {
    let mut invalid = Invalid::new();
    let code = input.code.trim();
    invalid.text("code", code, WAREHOUSE_CODE_MAX);
    if code.chars().any(char::is_whitespace) {
        invalid.push(FieldError::new("code", "no_spaces"));
    }
    invalid.text("name", &input.name, NAME_MAX);
    invalid.optional_text("address", input.address.trim(), ADDRESS_MAX);
    if !code.is_empty() {
        let mut same = warehouse::Entity::find().filter(warehouse::Column::Code.eq(code));
        if let Some(id) = id {
            same = same.filter(warehouse::Column::Id.ne(id));
        }
        if same.count(conn).await? > 0 {
            invalid.push(FieldError::new("code", "already_taken"));
        }
    }
    Ok(invalid.into_result()?)
}

fn code_taken(err: DbErr) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Invalid::one("code", "already_taken").into(),
        _ => err.into(),
    }
}

pub async fn create_warehouse(store: &Store, actor: &Actor, input: WarehouseInput) -> StoreResult<WarehouseView> {
    let permit = store.permit(actor, Module::Inventory, Action::Create)?;
    let unit = permit.begin().await?;
    check_warehouse(&unit, &input, None).await?;
    let now = unit.now();
    let m = warehouse::ActiveModel {
        code: Set(input.code.trim().to_owned()),
        name: Set(input.name.trim().to_owned()),
        address: Set(input.address.trim().to_owned()),
        active: Set(input.active),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await
    .map_err(code_taken)?;
    let v = WarehouseView::from(m);
    unit.commit(AuditEvent::new("warehouse.create", "warehouse", Some(v.id)).after(&v)).await?;
    Ok(v)
}

pub async fn update_warehouse(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: WarehouseInput,
) -> StoreResult<WarehouseView> {
    let permit = store.permit(actor, Module::Inventory, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = warehouse::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    check_warehouse(&unit, &input, Some(id)).await?;
    let m = unit
        .update::<warehouse::Entity>(id, version)
        .set(warehouse::Column::Code, Expr::value(input.code.trim()))
        .set(warehouse::Column::Name, Expr::value(input.name.trim()))
        .set(warehouse::Column::Address, Expr::value(input.address.trim()))
        .set(warehouse::Column::Active, Expr::value(input.active))
        .map_db_error(code_taken)
        .exec()
        .await?;
    let (before, after) = (WarehouseView::from(before), WarehouseView::from(m));
    unit.commit(AuditEvent::new("warehouse.update", "warehouse", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// Deletes a warehouse no stock movement names; otherwise refused with the
/// reason (deactivate it instead).
pub async fn delete_warehouse(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Inventory, Action::Delete)?;
    let unit = permit.begin().await?;
    let before = warehouse::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let movements =
        stock_movement::Entity::find().filter(stock_movement::Column::WarehouseId.eq(id)).count(&unit).await?;
    if movements > 0 {
        return Err(Invalid(vec![FieldError::new("id", "warehouse_has_movements").with("count", movements)]).into());
    }
    stock::Entity::delete_many().filter(stock::Column::WarehouseId.eq(id)).exec(&unit).await?;
    warehouse::Entity::delete_by_id(id).exec(&unit).await?;
    unit.commit(AuditEvent::new("warehouse.delete", "warehouse", Some(id)).before(&WarehouseView::from(before))).await
}

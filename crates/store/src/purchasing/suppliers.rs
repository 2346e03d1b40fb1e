//! Suppliers (供应商): who purchase orders are placed with.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::purchasing::{SupplierText, check_supplier};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{product, purchase_order, supplier};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierView {
    pub id: i64,
    pub name: String,
    pub contact: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub notes: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<supplier::Model> for SupplierView {
    fn from(m: supplier::Model) -> Self {
        SupplierView {
            id: m.id,
            name: m.name,
            contact: m.contact,
            phone: m.phone,
            email: m.email,
            address: m.address,
            notes: m.notes,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SupplierInput {
    pub name: String,
    pub contact: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub notes: String,
}

impl SupplierInput {
    fn check(&self) -> Result<(), Invalid> {
        check_supplier(&SupplierText {
            name: &self.name,
            contact: &self.contact,
            phone: &self.phone,
            email: &self.email,
            address: &self.address,
            notes: &self.notes,
        })
        .into_result()
    }
}

#[derive(Debug, Clone, Default)]
pub struct SupplierFilter {
    /// Part of the name (case as typed).
    pub q: Option<String>,
}

const SORTS: [SortField<supplier::Column>; 2] = [
    SortField { name: "name", column: supplier::Column::Name },
    SortField { name: "id", column: supplier::Column::Id },
];

/// Suppliers by name (or id), keyset pages.
pub async fn list_suppliers(
    store: &Store,
    actor: &Actor,
    filter: &SupplierFilter,
    page: &PageRequest,
) -> StoreResult<Page<SupplierView>> {
    actor.require(Module::Purchasing, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "name")?;
    let mut query = supplier::Entity::find();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(supplier::Column::Name.contains(q));
    }
    let rows = keyset.apply(query, supplier::Column::Id).all(store.reader()).await?;
    let page = keyset.finish(rows, |s, field| {
        let key = if field == "name" { Key::Text(s.name.clone()) } else { Key::Int(s.id) };
        (key, s.id)
    });
    Ok(page.map(Into::into))
}

pub async fn get_supplier(store: &Store, actor: &Actor, id: i64) -> StoreResult<SupplierView> {
    actor.require(Module::Purchasing, Action::View)?;
    Ok(supplier::Entity::find_by_id(id).one(store.reader()).await?.ok_or(StoreError::NotFound)?.into())
}

pub async fn create_supplier(store: &Store, actor: &Actor, input: SupplierInput) -> StoreResult<SupplierView> {
    let permit = store.permit(actor, Module::Purchasing, Action::Create)?;
    input.check()?;
    let unit = permit.begin().await?;
    let now = unit.now();
    let m = supplier::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        contact: Set(input.contact.trim().to_owned()),
        phone: Set(input.phone.trim().to_owned()),
        email: Set(input.email.trim().to_owned()),
        address: Set(input.address.trim().to_owned()),
        notes: Set(input.notes.trim().to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let v = SupplierView::from(m);
    unit.commit(AuditEvent::new("supplier.create", "supplier", Some(v.id)).after(&v)).await?;
    Ok(v)
}

pub async fn update_supplier(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: SupplierInput,
) -> StoreResult<SupplierView> {
    let permit = store.permit(actor, Module::Purchasing, Action::Edit)?;
    input.check()?;
    let unit = permit.begin().await?;
    let before = supplier::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    use supplier::Column as C;
    let m = unit
        .update::<supplier::Entity>(id, version)
        .set(C::Name, Expr::value(input.name.trim()))
        .set(C::Contact, Expr::value(input.contact.trim()))
        .set(C::Phone, Expr::value(input.phone.trim()))
        .set(C::Email, Expr::value(input.email.trim()))
        .set(C::Address, Expr::value(input.address.trim()))
        .set(C::Notes, Expr::value(input.notes.trim()))
        .exec()
        .await?;
    let (before, after) = (SupplierView::from(before), SupplierView::from(m));
    unit.commit(AuditEvent::new("supplier.update", "supplier", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// Deletes a supplier no purchase order names (else refused with the
/// count); products that named it as their default supplier lose it.
pub async fn delete_supplier(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Purchasing, Action::Delete)?;
    let unit = permit.begin().await?;
    let before = supplier::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let orders = purchase_order::Entity::find().filter(purchase_order::Column::SupplierId.eq(id)).count(&unit).await?;
    if orders > 0 {
        return Err(Invalid(vec![FieldError::new("id", "supplier_has_purchase_orders").with("count", orders)]).into());
    }
    unit.update_all::<product::Entity>(product::Column::DefaultSupplierId.eq(id))
        .set(product::Column::DefaultSupplierId, Expr::value(Option::<i64>::None))
        .exec()
        .await?;
    supplier::Entity::delete_by_id(id).exec(&unit).await?;
    unit.commit(AuditEvent::new("supplier.delete", "supplier", Some(id)).before(&SupplierView::from(before))).await
}

//! Products (产品): the category tree, the catalogue and its price lists.
//!
//! Company-wide reference data: everyone signed in reads it; changing it
//! needs the `products` module. Which price applies to a customer on a day
//! is the domain's rule (`salesflow_domain::products::price_for`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::Grade;
use salesflow_domain::money::Money;
use salesflow_domain::products::{
    self as rules, PriceEntry, PriceTarget, ProductText, ProductValues, check_product, creates_cycle,
};
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{
    customer, price_list_entry, product, product_category, purchase_order_line, stock, stock_movement, supplier,
};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::search::{self, Kind};

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryView {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub category_id: Option<i64>,
    pub category_name: Option<String>,
    pub specification: String,
    pub unit: String,
    /// Decimal string, e.g. `"12800.00"`.
    pub list_price: String,
    pub cost: String,
    /// Percent, e.g. `"13"`.
    pub tax_rate: String,
    pub active: bool,
    /// Decimal string in the product's unit (up to three decimals).
    pub reorder_point: String,
    pub safety_stock: String,
    /// Where the product is usually bought.
    pub default_supplier_id: Option<i64>,
    /// A service (installation, training): it has no stock; an order line
    /// for it reserves and ships nothing.
    pub service: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(m: product::Model, categories: &HashMap<i64, String>) -> ProductView {
    ProductView {
        category_name: m.category_id.and_then(|c| categories.get(&c).cloned()),
        list_price: Money(m.list_price).to_string(),
        cost: Money(m.cost).to_string(),
        tax_rate: Percent(m.tax_rate).to_string(),
        reorder_point: Quantity(m.reorder_point).to_string(),
        safety_stock: Quantity(m.safety_stock).to_string(),
        id: m.id,
        code: m.code,
        name: m.name,
        category_id: m.category_id,
        default_supplier_id: m.default_supplier_id,
        service: m.service,
        specification: m.specification,
        unit: m.unit,
        active: m.active,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

async fn category_names<C: ConnectionTrait>(conn: &C) -> StoreResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = product_category::Entity::find()
        .select_only()
        .column(product_category::Column::Id)
        .column(product_category::Column::Name)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

fn signed_in(actor: &Actor) -> StoreResult<()> {
    // Reference data: every person signed in (and the system) reads it.
    if actor.user_id.is_none() && actor.username != "system" {
        return Err(StoreError::Forbidden);
    }
    Ok(())
}

// ---------------------------------------------------------------- categories

/// The whole category tree, by name (a few hundred at most).
pub async fn list_categories(store: &Store, actor: &Actor) -> StoreResult<Vec<CategoryView>> {
    signed_in(actor)?;
    let rows = product_category::Entity::find()
        .order_by_asc(product_category::Column::Name)
        .order_by_asc(product_category::Column::Id)
        .all(store.reader())
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| CategoryView { id: c.id, name: c.name, parent_id: c.parent_id, version: c.version })
        .collect())
}

async fn parents<C: ConnectionTrait>(conn: &C) -> StoreResult<HashMap<i64, Option<i64>>> {
    let rows: Vec<(i64, Option<i64>)> = product_category::Entity::find()
        .select_only()
        .column(product_category::Column::Id)
        .column(product_category::Column::ParentId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

fn check_category(invalid: &mut Invalid, name: &str) {
    invalid.text("name", name, rules::CATEGORY_NAME_MAX);
}

pub async fn create_category(
    store: &Store,
    actor: &Actor,
    name: &str,
    parent_id: Option<i64>,
) -> StoreResult<CategoryView> {
    let permit = store.permit(actor, Module::Products, Action::Create)?;
    let mut invalid = Invalid::new();
    check_category(&mut invalid, name);
    let unit = permit.begin().await?;
    if let Some(p) = parent_id
        && !parents(&unit).await?.contains_key(&p)
    {
        invalid.push(FieldError::new("parent_id", "unknown_reference"));
    }
    invalid.into_result()?;
    let now = unit.now();
    let m = product_category::ActiveModel {
        name: Set(name.trim().to_owned()),
        parent_id: Set(parent_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let v = CategoryView { id: m.id, name: m.name, parent_id: m.parent_id, version: m.version };
    unit.commit(AuditEvent::new("product_category.create", "product_category", Some(v.id)).after(&v)).await?;
    Ok(v)
}

/// Renames or moves a category; never under itself or its own children.
pub async fn update_category(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    name: &str,
    parent_id: Option<i64>,
) -> StoreResult<CategoryView> {
    let permit = store.permit(actor, Module::Products, Action::Edit)?;
    let mut invalid = Invalid::new();
    check_category(&mut invalid, name);
    let unit = permit.begin().await?;
    let before = product_category::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let tree = parents(&unit).await?;
    if let Some(p) = parent_id
        && !tree.contains_key(&p)
    {
        invalid.push(FieldError::new("parent_id", "unknown_reference"));
    } else if creates_cycle(id, parent_id, &tree) {
        invalid.push(FieldError::new("parent_id", "category_cycle"));
    }
    invalid.into_result()?;
    let m = unit
        .update::<product_category::Entity>(id, version)
        .set(product_category::Column::Name, Expr::value(name.trim()))
        .set(product_category::Column::ParentId, Expr::value(parent_id))
        .exec()
        .await?;
    let before = CategoryView { id, name: before.name, parent_id: before.parent_id, version: before.version };
    let v = CategoryView { id, name: m.name, parent_id: m.parent_id, version: m.version };
    unit.commit(AuditEvent::new("product_category.update", "product_category", Some(id)).before(&before).after(&v))
        .await?;
    Ok(v)
}

/// Deletes an empty category (no sub-categories, no products).
pub async fn delete_category(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Products, Action::Delete)?;
    let unit = permit.begin().await?;
    let before = product_category::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let children =
        product_category::Entity::find().filter(product_category::Column::ParentId.eq(id)).count(&unit).await?;
    let products = product::Entity::find().filter(product::Column::CategoryId.eq(id)).count(&unit).await?;
    if children > 0 || products > 0 {
        return Err(Invalid(vec![
            FieldError::new("id", "category_in_use").with("children", children).with("products", products),
        ])
        .into());
    }
    product_category::Entity::delete_by_id(id).exec(&unit).await?;
    let before = CategoryView { id, name: before.name, parent_id: before.parent_id, version: before.version };
    unit.commit(AuditEvent::new("product_category.delete", "product_category", Some(id)).before(&before)).await
}

// ---------------------------------------------------------------- products

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Part of the code or name (two characters are enough).
    pub q: Option<String>,
    /// This category and every category below it.
    pub category_id: Option<i64>,
    pub active: Option<bool>,
}

const SORTS: [SortField<product::Column>; 4] = [
    SortField { name: "code", column: product::Column::Code },
    SortField { name: "name", column: product::Column::Name },
    SortField { name: "updated_at", column: product::Column::UpdatedAt },
    SortField { name: "id", column: product::Column::Id },
];

/// The category and all below it.
fn subtree(root: i64, tree: &HashMap<i64, Option<i64>>) -> Vec<i64> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let at = out[i];
        out.extend(tree.iter().filter(|(_, p)| **p == Some(at)).map(|(id, _)| *id));
        i += 1;
        if out.len() > tree.len() + 1 {
            break;
        }
    }
    out
}

/// Products: sort `code` (default), `name`, `updated_at`, `id`.
pub async fn list_products(
    store: &Store,
    actor: &Actor,
    filter: &ProductFilter,
    page: &PageRequest,
) -> StoreResult<Page<ProductView>> {
    signed_in(actor)?;
    let keyset = Keyset::parse(page, &SORTS, "code")?;
    let mut query = product::Entity::find();
    if let Some(c) = filter.category_id {
        let tree = parents(store.reader()).await?;
        query = query.filter(product::Column::CategoryId.is_in(subtree(c, &tree)));
    }
    if let Some(a) = filter.active {
        query = query.filter(product::Column::Active.eq(a));
    }
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(store.reader(), Kind::Product, q).await?
    {
        query = query.filter(product::Column::Id.in_subquery(ids));
    }
    let rows = keyset.apply(query, product::Column::Id).all(store.reader()).await?;
    let names = category_names(store.reader()).await?;
    let page = keyset.finish(rows, |p, field| {
        let key = match field {
            "code" => Key::Text(p.code.clone()),
            "name" => Key::Text(p.name.clone()),
            "updated_at" => Key::Time(p.updated_at),
            _ => Key::Int(p.id),
        };
        (key, p.id)
    });
    Ok(page.map(|p| view(p, &names)))
}

pub async fn get_product(store: &Store, actor: &Actor, id: i64) -> StoreResult<ProductView> {
    signed_in(actor)?;
    let m = product::Entity::find_by_id(id).one(store.reader()).await?.ok_or(StoreError::NotFound)?;
    let names = category_names(store.reader()).await?;
    Ok(view(m, &names))
}

/// Products by id (for pages and other areas), in one query.
pub async fn products_by_id<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> StoreResult<HashMap<i64, product::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = product::Entity::find().filter(product::Column::Id.is_in(ids.to_vec())).all(conn).await?;
    Ok(rows.into_iter().map(|p| (p.id, p)).collect())
}

/// Which of these products are services (no stock: nothing to reserve,
/// ship or count as low).
pub async fn services<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> StoreResult<std::collections::HashSet<i64>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let found: Vec<i64> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::Id.is_in(ids.to_vec()))
        .filter(product::Column::Service.eq(true))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// The id of the product with this code (pages take products by code).
pub async fn product_by_code(store: &Store, code: &str) -> StoreResult<Option<i64>> {
    Ok(product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::Code.eq(code))
        .into_tuple()
        .one(store.reader())
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub text: ProductText,
    pub category_id: Option<i64>,
    pub active: bool,
    /// Where the product is usually bought (drafts from the low-stock list).
    pub default_supplier_id: Option<i64>,
    /// A service: no stock (see [`ProductView::service`]).
    pub service: bool,
}

fn code_taken(err: DbErr) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Invalid::one("code", "already_taken").into(),
        _ => err.into(),
    }
}

async fn checked<C: ConnectionTrait>(conn: &C, input: &ProductInput, id: Option<i64>) -> StoreResult<ProductValues> {
    let mut invalid = Invalid::new();
    let values = match check_product(&input.text) {
        Ok(v) => Some(v),
        Err(e) => {
            invalid.0.extend(e.0);
            None
        }
    };
    if let Some(c) = input.category_id
        && product_category::Entity::find_by_id(c).count(conn).await? == 0
    {
        invalid.push(FieldError::new("category_id", "unknown_reference"));
    }
    if let Some(s) = input.default_supplier_id
        && supplier::Entity::find_by_id(s).count(conn).await? == 0
    {
        invalid.push(FieldError::new("default_supplier_id", "unknown_reference"));
    }
    let code = input.text.code.trim();
    if !code.is_empty() {
        let mut same = product::Entity::find().filter(product::Column::Code.eq(code));
        if let Some(id) = id {
            same = same.filter(product::Column::Id.ne(id));
        }
        if same.count(conn).await? > 0 {
            invalid.push(FieldError::new("code", "already_taken"));
        }
    }
    invalid.into_result()?;
    Ok(values.unwrap_or_else(|| unreachable!("no errors, so checked")))
}

pub async fn create_product(store: &Store, actor: &Actor, input: ProductInput) -> StoreResult<ProductView> {
    let permit = store.permit(actor, Module::Products, Action::Create)?;
    let unit = permit.begin().await?;
    let v = checked(&unit, &input, None).await?;
    let now = unit.now();
    let m = product::ActiveModel {
        code: Set(v.code.clone()),
        name: Set(v.name.clone()),
        category_id: Set(input.category_id),
        specification: Set(v.specification),
        unit: Set(v.unit),
        list_price: Set(v.list_price.0),
        cost: Set(v.cost.0),
        tax_rate: Set(v.tax_rate.0),
        active: Set(input.active),
        reorder_point: Set(v.reorder_point.0),
        safety_stock: Set(v.safety_stock.0),
        default_supplier_id: Set(input.default_supplier_id),
        service: Set(input.service),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await
    .map_err(code_taken)?;
    unit.index(Kind::Product, m.id, &[&m.code, &m.name]).await?;
    let view = view(m, &category_names(&unit).await?);
    unit.commit(AuditEvent::new("product.create", "product", Some(view.id)).after(&view)).await?;
    Ok(view)
}

pub async fn update_product(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: ProductInput,
) -> StoreResult<ProductView> {
    let permit = store.permit(actor, Module::Products, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = product::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let v = checked(&unit, &input, Some(id)).await?;
    use product::Column as C;
    let m = unit
        .update::<product::Entity>(id, version)
        .set(C::Code, Expr::value(v.code))
        .set(C::Name, Expr::value(v.name))
        .set(C::CategoryId, Expr::value(input.category_id))
        .set(C::Specification, Expr::value(v.specification))
        .set(C::Unit, Expr::value(v.unit))
        .set(C::ListPrice, Expr::value(v.list_price.0))
        .set(C::Cost, Expr::value(v.cost.0))
        .set(C::TaxRate, Expr::value(v.tax_rate.0))
        .set(C::Active, Expr::value(input.active))
        .set(C::ReorderPoint, Expr::value(v.reorder_point.0))
        .set(C::SafetyStock, Expr::value(v.safety_stock.0))
        .set(C::DefaultSupplierId, Expr::value(input.default_supplier_id))
        .set(C::Service, Expr::value(input.service))
        .map_db_error(code_taken)
        .exec()
        .await?;
    unit.index(Kind::Product, m.id, &[&m.code, &m.name]).await?;
    let names = category_names(&unit).await?;
    let (before, after) = (view(before, &names), view(m, &names));
    unit.commit(AuditEvent::new("product.update", "product", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// Deletes a product that no stock movement names (and no warehouse holds);
/// otherwise refused with the reason: deactivate it instead.
pub async fn delete_product(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Products, Action::Delete)?;
    let unit = permit.begin().await?;
    let before = product::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let movements =
        stock_movement::Entity::find().filter(stock_movement::Column::ProductId.eq(id)).count(&unit).await?;
    if movements > 0 {
        return Err(Invalid(vec![FieldError::new("id", "product_has_movements").with("count", movements)]).into());
    }
    let ordered =
        purchase_order_line::Entity::find().filter(purchase_order_line::Column::ProductId.eq(id)).count(&unit).await?;
    if ordered > 0 {
        return Err(Invalid(vec![FieldError::new("id", "product_has_purchase_orders").with("count", ordered)]).into());
    }
    stock::Entity::delete_many().filter(stock::Column::ProductId.eq(id)).exec(&unit).await?;
    price_list_entry::Entity::delete_many().filter(price_list_entry::Column::ProductId.eq(id)).exec(&unit).await?;
    product::Entity::delete_by_id(id).exec(&unit).await?;
    unit.index(Kind::Product, id, &[]).await?;
    let before = view(before, &category_names(&unit).await?);
    unit.commit(AuditEvent::new("product.delete", "product", Some(id)).before(&before)).await
}

// ---------------------------------------------------------------- prices

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceEntryView {
    pub id: i64,
    pub product_id: i64,
    /// For this customer, or
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    /// for customers of this grade (`A`, `B`, `C`).
    pub grade: Option<String>,
    pub price: String,
    /// First day (inclusive), `YYYY-MM-DD`; none = no start.
    pub valid_from: Option<NaiveDate>,
    /// Last day (inclusive); none = open-ended.
    pub valid_to: Option<NaiveDate>,
    pub version: i64,
}

fn day_of(text: &Option<String>) -> Option<NaiveDate> {
    text.as_deref().and_then(salesflow_domain::time::parse_day)
}

fn entry_rule(m: &price_list_entry::Model) -> Option<PriceEntry> {
    let target = match (m.customer_id, m.grade.as_deref().and_then(Grade::parse)) {
        (Some(c), _) => PriceTarget::Customer(c),
        (None, Some(g)) => PriceTarget::Grade(g),
        (None, None) => return None,
    };
    Some(PriceEntry {
        id: m.id,
        target,
        price: Money(m.price),
        valid_from: day_of(&m.valid_from),
        valid_to: day_of(&m.valid_to),
    })
}

/// A product's price list: customers' entries first, then grades, newest first.
pub async fn list_prices(store: &Store, actor: &Actor, product_id: i64) -> StoreResult<Vec<PriceEntryView>> {
    signed_in(actor)?;
    product::Entity::find_by_id(product_id).one(store.reader()).await?.ok_or(StoreError::NotFound)?;
    let rows = price_list_entry::Entity::find()
        .filter(price_list_entry::Column::ProductId.eq(product_id))
        .order_by_desc(price_list_entry::Column::Id)
        .limit(500)
        .all(store.reader())
        .await?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.customer_id).collect();
    // Only customers in the caller's scope are named; others show by id.
    let names: HashMap<i64, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        let found: Vec<(i64, String)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::Name)
            .filter(customer::Column::Id.is_in(ids))
            .filter(crate::customers::visible(actor))
            .into_tuple()
            .all(store.reader())
            .await?;
        found.into_iter().collect()
    };
    let mut out: Vec<PriceEntryView> = rows
        .into_iter()
        .map(|r| PriceEntryView {
            id: r.id,
            product_id: r.product_id,
            customer_id: r.customer_id,
            customer_name: r.customer_id.and_then(|c| names.get(&c).cloned()),
            grade: r.grade,
            price: Money(r.price).to_string(),
            valid_from: day_of(&r.valid_from),
            valid_to: day_of(&r.valid_to),
            version: r.version,
        })
        .collect();
    out.sort_by_key(|e| e.customer_id.is_none());
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct PriceInput {
    pub customer_id: Option<i64>,
    pub grade: Option<String>,
    pub price: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// Adds an entry to a product's price list: for one customer (in the
/// caller's scope) or one grade, not both.
pub async fn add_price(
    store: &Store,
    actor: &Actor,
    product_id: i64,
    input: PriceInput,
) -> StoreResult<PriceEntryView> {
    let permit = store.permit(actor, Module::Products, Action::Edit)?;
    let mut invalid = Invalid::new();
    let price = rules::check_price_entry(&mut invalid, &input.price, input.valid_from, input.valid_to);
    let grade = input.grade.as_deref().map(str::trim).filter(|g| !g.is_empty());
    let grade = match (input.customer_id, grade) {
        (Some(_), Some(_)) => {
            invalid.push(FieldError::new("grade", "customer_or_grade"));
            None
        }
        (None, None) => {
            invalid.push(FieldError::new("customer_id", "customer_or_grade"));
            None
        }
        (None, Some(g)) => match Grade::parse(g) {
            Some(g) => Some(g),
            None => {
                invalid.push(FieldError::new("grade", "invalid_choice"));
                None
            }
        },
        (Some(_), None) => None,
    };
    let unit = permit.begin().await?;
    product::Entity::find_by_id(product_id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let mut customer_name = None;
    if let Some(c) = input.customer_id {
        match crate::customers::find_visible(&unit, actor, c).await {
            Ok(found) if found.deleted_at.is_none() => customer_name = Some(found.name),
            Ok(_) | Err(StoreError::NotFound) => invalid.push(FieldError::new("customer_id", "unknown_reference")),
            Err(e) => return Err(e),
        }
    }
    invalid.into_result()?;
    let now = unit.now();
    let m = price_list_entry::ActiveModel {
        product_id: Set(product_id),
        customer_id: Set(input.customer_id),
        grade: Set(grade.map(|g| g.code().to_owned())),
        price: Set(price.0),
        valid_from: Set(input.valid_from.map(|d| d.to_string())),
        valid_to: Set(input.valid_to.map(|d| d.to_string())),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let v = PriceEntryView {
        id: m.id,
        product_id,
        customer_id: m.customer_id,
        customer_name,
        grade: m.grade,
        price: price.to_string(),
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        version: m.version,
    };
    unit.commit(AuditEvent::new("price_list_entry.create", "product", Some(product_id)).after(&v)).await?;
    Ok(v)
}

pub async fn delete_price(store: &Store, actor: &Actor, product_id: i64, entry_id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Products, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = price_list_entry::Entity::find_by_id(entry_id)
        .filter(price_list_entry::Column::ProductId.eq(product_id))
        .one(&unit)
        .await?
        .ok_or(StoreError::NotFound)?;
    price_list_entry::Entity::delete_by_id(entry_id).exec(&unit).await?;
    let note = serde_json::json!({"entry_id": entry_id, "price": Money(before.price).to_string(),
        "customer_id": before.customer_id, "grade": before.grade,
        "valid_from": before.valid_from, "valid_to": before.valid_to});
    unit.commit(AuditEvent::new("price_list_entry.delete", "product", Some(product_id)).detail(note)).await
}

/// The price that applies, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceAnswer {
    pub product_id: i64,
    pub customer_id: Option<i64>,
    /// The customer's grade the rule used.
    pub grade: Option<String>,
    pub date: NaiveDate,
    pub price: String,
    /// `customer` (the customer's own entry), `grade` (their grade's) or
    /// `list_price` (no entry applies).
    pub source: String,
    pub entry_id: Option<i64>,
    pub list_price: String,
}

/// The price of a product for a customer (in the caller's scope) on a day
/// (default: today, company time).
pub async fn price_for(
    store: &Store,
    actor: &Actor,
    product_id: i64,
    customer_id: Option<i64>,
    date: Option<NaiveDate>,
) -> StoreResult<PriceAnswer> {
    signed_in(actor)?;
    let db = store.reader();
    let p = product::Entity::find_by_id(product_id).one(db).await?.ok_or(StoreError::NotFound)?;
    let grade = match customer_id {
        Some(c) => match crate::customers::find_visible(db, actor, c).await {
            Ok(found) if found.deleted_at.is_none() => found.grade.as_deref().and_then(Grade::parse),
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(Invalid::one("customer_id", "unknown_reference").into());
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let date = match date {
        Some(d) => d,
        None => crate::settings::today(db, store.now()).await?,
    };
    let rows =
        price_list_entry::Entity::find().filter(price_list_entry::Column::ProductId.eq(product_id)).all(db).await?;
    let entries: Vec<PriceEntry> = rows.iter().filter_map(entry_rule).collect();
    let applied = rules::price_for(Money(p.list_price), &entries, customer_id, grade, date);
    Ok(PriceAnswer {
        product_id,
        customer_id,
        grade: grade.map(|g| g.code().to_owned()),
        date,
        price: applied.price.to_string(),
        source: applied.source.code().to_owned(),
        entry_id: applied.entry_id,
        list_price: Money(p.list_price).to_string(),
    })
}

//! Purchase orders: list, read, write a draft, order, cancel.

use chrono::Datelike;
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::Money;
use salesflow_domain::purchasing::{self as rules, Line, NOTES_MAX, PurchaseAction, PurchaseStatus};
use salesflow_domain::quantity::{DecimalError, Quantity};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use super::{PurchaseOrderView, full_view, order_view, supplier_names};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{product, purchase_order, purchase_order_line, purchase_order_number, supplier};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

#[derive(Debug, Clone, Default)]
pub struct PurchaseOrderFilter {
    pub supplier_id: Option<i64>,
    pub status: Option<PurchaseStatus>,
}

const SORTS: [SortField<purchase_order::Column>; 1] = [SortField { name: "id", column: purchase_order::Column::Id }];

/// Purchase orders, newest first (keyset pages), without their lines.
pub async fn list_purchase_orders(
    store: &Store,
    actor: &Actor,
    filter: &PurchaseOrderFilter,
    page: &PageRequest,
) -> StoreResult<Page<PurchaseOrderView>> {
    actor.require(Module::Purchasing, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let mut query = purchase_order::Entity::find();
    if let Some(s) = filter.supplier_id {
        query = query.filter(purchase_order::Column::SupplierId.eq(s));
    }
    if let Some(s) = filter.status {
        query = query.filter(purchase_order::Column::Status.eq(s.code()));
    }
    let rows = keyset.apply(query, purchase_order::Column::Id).all(store.reader()).await?;
    let names = supplier_names(store.reader(), &rows.iter().map(|o| o.supplier_id).collect::<Vec<_>>()).await?;
    let page = keyset.finish(rows, |o, _| (Key::Int(o.id), o.id));
    Ok(page.map(|o| order_view(o, &names, Vec::new())))
}

pub async fn get_purchase_order(store: &Store, actor: &Actor, id: i64) -> StoreResult<PurchaseOrderView> {
    actor.require(Module::Purchasing, Action::View)?;
    let o = purchase_order::Entity::find_by_id(id).one(store.reader()).await?.ok_or(StoreError::NotFound)?;
    full_view(store.reader(), o).await
}

/// A line as typed: decimal strings.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub product_id: i64,
    pub quantity: String,
    pub unit_cost: String,
}

#[derive(Debug, Clone, Default)]
pub struct PurchaseOrderInput {
    pub supplier_id: i64,
    /// `YYYY-MM-DD` or empty.
    pub expected_date: String,
    pub notes: String,
    pub lines: Vec<LineInput>,
}

/// What a checked input holds.
pub(super) struct Checked {
    pub expected_date: Option<String>,
    pub lines: Vec<(i64, Line, Money)>,
    pub total: Money,
}

/// Field errors for every rule the input breaks (the domain's for lines
/// and totals; references to suppliers and active products here).
pub(super) async fn check<C: ConnectionTrait>(conn: &C, input: &PurchaseOrderInput) -> StoreResult<Checked> {
    let mut invalid = Invalid::new();
    if supplier::Entity::find_by_id(input.supplier_id).count(conn).await? == 0 {
        invalid.push(FieldError::new("supplier_id", "unknown_reference"));
    }
    let day = input.expected_date.trim();
    let expected_date = match day {
        "" => None,
        d => match salesflow_domain::time::parse_day(d) {
            Some(d) => Some(d.format("%Y-%m-%d").to_string()),
            None => {
                invalid.push(FieldError::new("expected_date", "invalid_date"));
                None
            }
        },
    };
    invalid.optional_text("notes", input.notes.trim(), NOTES_MAX);
    let mut ids: Vec<i64> = input.lines.iter().map(|l| l.product_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let products = crate::products::products_by_id(conn, &ids).await?;
    let mut lines = Vec::with_capacity(input.lines.len());
    let mut parsed = true;
    for (i, l) in input.lines.iter().enumerate() {
        match products.get(&l.product_id) {
            Some(p) if p.active => {}
            Some(_) => invalid.push(FieldError::new(&format!("lines[{i}].product_id"), "inactive_product")),
            None => invalid.push(FieldError::new(&format!("lines[{i}].product_id"), "unknown_reference")),
        }
        let quantity = Quantity::parse(&l.quantity).unwrap_or_else(|e| {
            invalid.push(DecimalError::field(e, &format!("lines[{i}].quantity"), 3, "0", "1000000000"));
            parsed = false;
            Quantity::ZERO
        });
        let unit_cost = Money::parse_strict(&l.unit_cost).unwrap_or_else(|e| {
            invalid.push(e.field(&format!("lines[{i}].unit_cost")));
            parsed = false;
            Money(0)
        });
        lines.push((l.product_id, Line { quantity, unit_cost }));
    }
    if !parsed {
        return Err(invalid.into());
    }
    let rule_lines: Vec<Line> = lines.iter().map(|(_, l)| *l).collect();
    match rules::totals(&rule_lines) {
        Ok((amounts, total)) => {
            invalid.into_result()?;
            let lines = lines.into_iter().zip(amounts).map(|((p, l), a)| (p, l, a)).collect();
            Ok(Checked { expected_date, lines, total })
        }
        Err(e) => {
            invalid.0.extend(e.0);
            Err(invalid.into())
        }
    }
}

/// The next `PO-YYYY-NNNNNN` of the company-time year: one counter row per
/// year, raised in the unit (its row lock orders concurrent creations).
pub(super) async fn next_number(unit: &UnitOfWork<'_>) -> StoreResult<String> {
    let year = crate::settings::today(unit, unit.now()).await?.year();
    purchase_order_number::Entity::insert(purchase_order_number::ActiveModel { year: Set(year), last: Set(0) })
        .on_conflict_do_nothing_on([purchase_order_number::Column::Year])
        .exec(unit)
        .await?;
    purchase_order_number::Entity::update_many()
        .col_expr(purchase_order_number::Column::Last, Expr::col(purchase_order_number::Column::Last).add(1i64))
        .filter(purchase_order_number::Column::Year.eq(year))
        .exec(unit)
        .await?;
    let last: Option<i64> = purchase_order_number::Entity::find()
        .select_only()
        .column(purchase_order_number::Column::Last)
        .filter(purchase_order_number::Column::Year.eq(year))
        .into_tuple()
        .one(unit)
        .await?;
    Ok(rules::number(year, last.unwrap_or(1)))
}

pub(super) async fn insert_lines(
    unit: &UnitOfWork<'_>,
    order_id: i64,
    lines: &[(i64, Line, Money)],
) -> StoreResult<()> {
    let rows: Vec<purchase_order_line::ActiveModel> = lines
        .iter()
        .enumerate()
        .map(|(i, (product_id, line, amount))| purchase_order_line::ActiveModel {
            purchase_order_id: Set(order_id),
            position: Set(i as i64 + 1),
            product_id: Set(*product_id),
            quantity: Set(line.quantity.0),
            received: Set(0),
            unit_cost: Set(line.unit_cost.0),
            amount: Set(amount.0),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        purchase_order_line::Entity::insert_many(rows).exec(unit).await?;
    }
    Ok(())
}

/// Writes a checked draft in the unit (no audit: the caller commits).
pub(super) async fn insert_draft(
    unit: &UnitOfWork<'_>,
    input: &PurchaseOrderInput,
    checked: &Checked,
) -> StoreResult<purchase_order::Model> {
    let now = unit.now();
    let o = purchase_order::ActiveModel {
        number: Set(next_number(unit).await?),
        supplier_id: Set(input.supplier_id),
        status: Set(PurchaseStatus::Draft.code().to_owned()),
        expected_date: Set(checked.expected_date.clone()),
        notes: Set(input.notes.trim().to_owned()),
        total: Set(checked.total.0),
        created_by: Set(unit.actor().user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    insert_lines(unit, o.id, &checked.lines).await?;
    Ok(o)
}

/// A new draft purchase order with its number.
pub async fn create_purchase_order(
    store: &Store,
    actor: &Actor,
    input: PurchaseOrderInput,
) -> StoreResult<PurchaseOrderView> {
    let permit = store.permit(actor, Module::Purchasing, Action::Create)?;
    let unit = permit.begin().await?;
    let checked = check(&unit, &input).await?;
    let o = insert_draft(&unit, &input, &checked).await?;
    let view = full_view(&unit, o).await?;
    unit.commit(AuditEvent::new("purchase_order.create", "purchase_order", Some(view.id)).after(&view)).await?;
    Ok(view)
}

fn status_of(o: &purchase_order::Model) -> StoreResult<PurchaseStatus> {
    PurchaseStatus::parse(&o.status).ok_or_else(|| StoreError::Internal(format!("unknown status {}", o.status)))
}

fn not_allowed(e: rules::NotAllowed) -> StoreError {
    StoreError::Conflict(e.to_string())
}

/// Replaces a draft's supplier, date, notes and lines (`version` as last read).
pub async fn update_purchase_order(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: PurchaseOrderInput,
) -> StoreResult<PurchaseOrderView> {
    let permit = store.permit(actor, Module::Purchasing, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = purchase_order::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    if !status_of(&before)?.editable() {
        return Err(StoreError::Conflict(format!("a purchase order that is {} cannot be changed", before.status)));
    }
    let checked = check(&unit, &input).await?;
    let before = full_view(&unit, before).await?;
    use purchase_order::Column as C;
    let o = unit
        .update::<purchase_order::Entity>(id, version)
        .set(C::SupplierId, Expr::value(input.supplier_id))
        .set(C::ExpectedDate, Expr::value(checked.expected_date.clone()))
        .set(C::Notes, Expr::value(input.notes.trim()))
        .set(C::Total, Expr::value(checked.total.0))
        .only_if(C::Status.eq(PurchaseStatus::Draft.code()))
        .exec()
        .await?;
    purchase_order_line::Entity::delete_many()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(id))
        .exec(&unit)
        .await?;
    insert_lines(&unit, id, &checked.lines).await?;
    let after = full_view(&unit, o).await?;
    unit.commit(AuditEvent::new("purchase_order.update", "purchase_order", Some(id)).before(&before).after(&after))
        .await?;
    Ok(after)
}

/// Deletes a draft (an ordered one is cancelled instead).
pub async fn delete_purchase_order(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Purchasing, Action::Delete)?;
    let unit = permit.begin().await?;
    let before = purchase_order::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    if !status_of(&before)?.editable() {
        return Err(StoreError::Conflict(format!("a purchase order that is {} cannot be deleted", before.status)));
    }
    let before = full_view(&unit, before).await?;
    purchase_order_line::Entity::delete_many()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(id))
        .exec(&unit)
        .await?;
    purchase_order::Entity::delete_by_id(id).exec(&unit).await?;
    unit.commit(AuditEvent::new("purchase_order.delete", "purchase_order", Some(id)).before(&before)).await
}

/// Orders a draft (sent to the supplier) or cancels one that nothing has
/// arrived against; `version`, when given, must be current.
pub async fn change_purchase_order(
    store: &Store,
    actor: &Actor,
    id: i64,
    action: PurchaseAction,
    version: Option<i64>,
) -> StoreResult<PurchaseOrderView> {
    if action == PurchaseAction::Receive {
        return Err(StoreError::Internal("receipts go through receive()".into()));
    }
    let permit = store.permit(actor, Module::Purchasing, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = purchase_order::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let status = status_of(&before)?;
    let next = rules::transition(status, action, false).map_err(not_allowed)?;
    let o = unit
        .update::<purchase_order::Entity>(id, version.unwrap_or(before.version))
        .set(purchase_order::Column::Status, Expr::value(next.code()))
        .only_if(purchase_order::Column::Status.eq(status.code()))
        .exec()
        .await?;
    let after = full_view(&unit, o).await?;
    let event = AuditEvent::new(format!("purchase_order.{}", action.code()), "purchase_order", Some(id))
        .before(&serde_json::json!({"status": status.code()}))
        .after(&serde_json::json!({"status": next.code(), "number": after.number}));
    unit.commit(event).await?;
    Ok(after)
}

/// Active products (for the order form's choices), by code.
pub async fn orderable_products<C: ConnectionTrait>(conn: &C) -> StoreResult<Vec<product::Model>> {
    use sea_orm::QueryOrder;
    Ok(product::Entity::find()
        .filter(product::Column::Active.eq(true))
        .order_by_asc(product::Column::Code)
        .limit(1000)
        .all(conn)
        .await?)
}

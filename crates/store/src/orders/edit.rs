//! Creating and editing a draft (or rejected) order: the input checked
//! field by field, lines priced by the domain, the number taken from the
//! per-year sequence.

use chrono::NaiveDate;
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::Money;
use salesflow_domain::orders::{self as rules, Line, LineAmounts, OrderStatus};
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{OrderView, find_in_scope, full_view, status_of};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{customer, document_sequence, order, order_line, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

pub const TEXT_MAX: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub product_id: i64,
    /// Default: the order's warehouse.
    pub warehouse_id: Option<i64>,
    /// Decimal string, up to three decimals.
    pub quantity: String,
    /// Decimal string; default: the price that applies to the customer
    /// today (`products::price_for`).
    pub unit_price: Option<String>,
    /// Percent; default 0.
    pub discount_percent: Option<String>,
    /// Percent; default: the product's tax rate.
    pub tax_rate: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub delivery_address: String,
    pub delivery_date: Option<NaiveDate>,
    pub notes: String,
    pub lines: Vec<LineInput>,
}

/// A line as it will be stored.
struct Priced {
    product_id: i64,
    warehouse_id: Option<i64>,
    line: Line,
    amounts: LineAmounts,
}

struct Checked {
    lines: Vec<Priced>,
    totals: rules::Totals,
}

async fn active_warehouse<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<bool> {
    Ok(warehouse::Entity::find_by_id(id).filter(warehouse::Column::Active.eq(true)).one(conn).await?.is_some())
}

/// Checks the whole input against the rules, inside the unit; every
/// problem as a field error, nothing written.
async fn check(store: &Store, unit: &UnitOfWork<'_>, input: &OrderInput) -> StoreResult<Checked> {
    let actor = unit.actor();
    let mut invalid = Invalid::new();
    crate::shared::check_parties(unit, input.customer_id, input.contact_id, input.opportunity_id, &mut invalid).await?;
    if let Some(w) = input.warehouse_id
        && !active_warehouse(unit, w).await?
    {
        invalid.push(FieldError::new("warehouse_id", "unknown_reference"));
    }
    invalid.optional_text("delivery_address", input.delivery_address.trim(), TEXT_MAX);
    invalid.optional_text("notes", input.notes.trim(), 2000);
    if input.lines.len() > 200 {
        invalid.push(FieldError::new("lines", "too_many").with("max", 200));
    }
    let ids: Vec<i64> = input.lines.iter().map(|l| l.product_id).collect();
    let products = super::products(unit, &ids).await?;
    let mut lines = Vec::new();
    let mut line_ok = true;
    for (i, l) in input.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let product = products.get(&l.product_id);
        match product {
            None => invalid.push(FieldError::new(&field("product_id"), "unknown_reference")),
            Some(p) if !p.active => invalid.push(FieldError::new(&field("product_id"), "inactive_product")),
            Some(_) => {}
        }
        if let Some(w) = l.warehouse_id
            && !active_warehouse(unit, w).await?
        {
            invalid.push(FieldError::new(&field("warehouse_id"), "unknown_reference"));
        }
        let quantity = match Quantity::parse(&l.quantity) {
            Ok(q) => q,
            Err(e) => {
                invalid.push(e.field(&field("quantity"), 3, "0.001", "1000000000"));
                line_ok = false;
                Quantity::ZERO
            }
        };
        let unit_price = match l.unit_price.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => match Money::parse_strict(s) {
                Ok(m) => m,
                Err(e) => {
                    invalid.push(e.field(&field("unit_price")));
                    line_ok = false;
                    Money(0)
                }
            },
            None => match product {
                Some(p) if p.active => {
                    match crate::products::price_for(store, actor, p.id, Some(input.customer_id), None).await {
                        Ok(answer) => Money::parse_strict(&answer.price).unwrap_or(Money(p.list_price)),
                        Err(_) => Money(p.list_price),
                    }
                }
                _ => Money(0),
            },
        };
        let percent =
            |text: &Option<String>, name: &str, default: Percent, invalid: &mut Invalid, ok: &mut bool| match text
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                None => default,
                Some(s) => Percent::parse(s).unwrap_or_else(|e| {
                    invalid.push(Percent::field_error(e, &field(name)));
                    *ok = false;
                    default
                }),
            };
        let discount = percent(&l.discount_percent, "discount_percent", Percent::ZERO, &mut invalid, &mut line_ok);
        let tax_default = product.map(|p| Percent(p.tax_rate)).unwrap_or(Percent::ZERO);
        let tax_rate = percent(&l.tax_rate, "tax_rate", tax_default, &mut invalid, &mut line_ok);
        let line = Line { quantity, unit_price, discount, tax_rate };
        lines.push((l.product_id, l.warehouse_id, line));
    }
    // The domain's own checks (positive quantity, price ≥ 0, bounds, totals)
    // on the lines that parsed.
    let parsed: Vec<Line> = lines.iter().map(|(_, _, l)| *l).collect();
    let priced = match rules::price(&parsed) {
        Ok(p) => Some(p),
        Err(e) => {
            if line_ok || input.lines.is_empty() {
                invalid.0.extend(e.0);
            } else {
                // Skip the domain's errors for fields that already failed to parse.
                for err in e.0 {
                    if !invalid.0.iter().any(|x| x.field == err.field) {
                        invalid.push(err);
                    }
                }
            }
            None
        }
    };
    invalid.into_result()?;
    let (amounts, totals) = priced.ok_or_else(|| StoreError::Internal("priced without errors".into()))?;
    Ok(Checked {
        lines: lines
            .into_iter()
            .zip(amounts)
            .map(|((product_id, warehouse_id, line), amounts)| Priced { product_id, warehouse_id, line, amounts })
            .collect(),
        totals,
    })
}

/// The next number of a prefix and year, unique under concurrency: the
/// counter row is created if missing, then raised by one in the caller's
/// transaction (the row's lock serializes concurrent takers).
pub(crate) async fn next_number(unit: &UnitOfWork<'_>, prefix: &str, year: i32) -> StoreResult<String> {
    document_sequence::Entity::insert(document_sequence::ActiveModel {
        prefix: Set(prefix.to_owned()),
        year: Set(year),
        last: Set(0),
    })
    .on_conflict_do_nothing_on([document_sequence::Column::Prefix, document_sequence::Column::Year])
    .exec(unit)
    .await?;
    document_sequence::Entity::update_many()
        .col_expr(document_sequence::Column::Last, Expr::col(document_sequence::Column::Last).add(1i64))
        .filter(document_sequence::Column::Prefix.eq(prefix))
        .filter(document_sequence::Column::Year.eq(year))
        .exec(unit)
        .await?;
    let row = document_sequence::Entity::find_by_id((prefix.to_owned(), year))
        .one(unit)
        .await?
        .ok_or_else(|| StoreError::Internal("sequence row missing".into()))?;
    Ok(rules::document_number(prefix, year, row.last))
}

async fn write_lines(unit: &UnitOfWork<'_>, order_id: i64, lines: &[Priced]) -> StoreResult<()> {
    order_line::Entity::delete_many().filter(order_line::Column::OrderId.eq(order_id)).exec(unit).await?;
    let rows: Vec<order_line::ActiveModel> = lines
        .iter()
        .enumerate()
        .map(|(i, p)| order_line::ActiveModel {
            order_id: Set(order_id),
            position: Set(i as i32),
            product_id: Set(p.product_id),
            warehouse_id: Set(p.warehouse_id),
            quantity: Set(p.line.quantity.0),
            unit_price: Set(p.line.unit_price.0),
            discount_percent: Set(p.line.discount.0),
            tax_rate: Set(p.line.tax_rate.0),
            gross: Set(p.amounts.gross.0),
            discount: Set(p.amounts.discount.0),
            net: Set(p.amounts.net.0),
            tax: Set(p.amounts.tax.0),
            total: Set(p.amounts.total.0),
            reserved: Set(0),
            shipped: Set(0),
            returned: Set(0),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        order_line::Entity::insert_many(rows).exec(unit).await?;
    }
    Ok(())
}

/// Creates a draft order for a customer the caller owns (or whose owner
/// is in their scope).
pub async fn create(store: &Store, actor: &Actor, input: OrderInput) -> StoreResult<OrderView> {
    let permit = store.permit(actor, Module::Orders, Action::Create)?;
    let unit = permit.begin().await?;
    let m = create_in(store, &unit, &input).await?;
    let view = full_view(&unit, actor, m).await?;
    unit.commit(AuditEvent::new("order.create", "order", Some(view.id)).after(&view)).await?;
    Ok(view)
}

/// Creates a draft order inside another area's unit of work (a quote
/// accepted makes its order); the caller records the audit event. The
/// unit's actor needs the `orders:create` right.
pub(crate) async fn create_in(store: &Store, unit: &UnitOfWork<'_>, input: &OrderInput) -> StoreResult<order::Model> {
    let actor = unit.actor();
    actor.require(Module::Orders, Action::Create)?;
    let checked = check(store, unit, input).await?;
    let now = unit.now();
    let year = chrono::Datelike::year(&crate::settings::today(unit, now).await?);
    let number = next_number(unit, "SO", year).await?;
    let t = checked.totals;
    let m = order::ActiveModel {
        number: Set(number),
        customer_id: Set(input.customer_id),
        contact_id: Set(input.contact_id),
        opportunity_id: Set(input.opportunity_id),
        status: Set(OrderStatus::Draft.code().to_owned()),
        warehouse_id: Set(input.warehouse_id),
        delivery_address: Set(input.delivery_address.trim().to_owned()),
        delivery_date: Set(input.delivery_date),
        notes: Set(input.notes.trim().to_owned()),
        gross: Set(t.gross.0),
        discount: Set(t.discount.0),
        net: Set(t.net.0),
        tax: Set(t.tax.0),
        total: Set(t.total.0),
        created_by: Set(actor.user_id.unwrap_or(0)),
        submitted_at: Set(None),
        approved_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    write_lines(unit, m.id, &checked.lines).await?;
    Ok(m)
}

/// Replaces a draft's (or a rejected order's) fields and lines.
pub async fn update(store: &Store, actor: &Actor, id: i64, version: i64, input: OrderInput) -> StoreResult<OrderView> {
    let permit = store.permit(actor, Module::Orders, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = find_in_scope(&unit, actor, id).await?;
    if !status_of(&before).editable() {
        return Err(StoreError::Conflict(format!("an order that is {} cannot be edited", before.status)));
    }
    let checked = check(store, &unit, &input).await?;
    let t = checked.totals;
    let before_view = full_view(&unit, actor, before).await?;
    let m = unit
        .update::<order::Entity>(id, version)
        .set(order::Column::CustomerId, Expr::value(input.customer_id))
        .set(order::Column::ContactId, Expr::value(input.contact_id))
        .set(order::Column::OpportunityId, Expr::value(input.opportunity_id))
        .set(order::Column::WarehouseId, Expr::value(input.warehouse_id))
        .set(order::Column::DeliveryAddress, Expr::value(input.delivery_address.trim()))
        .set(order::Column::DeliveryDate, Expr::value(input.delivery_date))
        .set(order::Column::Notes, Expr::value(input.notes.trim()))
        .set(order::Column::Gross, Expr::value(t.gross.0))
        .set(order::Column::Discount, Expr::value(t.discount.0))
        .set(order::Column::Net, Expr::value(t.net.0))
        .set(order::Column::Tax, Expr::value(t.tax.0))
        .set(order::Column::Total, Expr::value(t.total.0))
        .exec()
        .await?;
    write_lines(&unit, id, &checked.lines).await?;
    let view = full_view(&unit, actor, m).await?;
    unit.commit(AuditEvent::new("order.update", "order", Some(id)).before(&before_view).after(&view)).await?;
    Ok(view)
}

/// A customer's credit limit (`None`: no limit set).
pub(crate) async fn credit_limit<C: ConnectionTrait>(conn: &C, customer_id: i64) -> StoreResult<Option<Money>> {
    Ok(customer::Entity::find_by_id(customer_id).one(conn).await?.map(|c| c.credit_limit).filter(|l| *l > 0).map(Money))
}

//! Creating and editing a quote: the input checked field by field, lines
//! priced by the domain, the number taken from the per-year sequence.
//! Editing a sent quote makes a new version; a draft (or an approved
//! quote not sent yet) is changed in place.

use chrono::{Duration, NaiveDate};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::DocumentType;
use salesflow_domain::money::Money;
use salesflow_domain::orders::{self as pricing, Line, LineAmounts, Totals};
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::{self as rules, EditKind, QuoteAction, QuoteStatus};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{QuoteView, find_in_scope, full_view, status_on, stored_status, today_of};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{quote, quote_line, quote_revision};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

#[derive(Debug, Clone, Default)]
pub struct QuoteLineInput {
    pub product_id: i64,
    /// Decimal string, up to three decimals, more than zero.
    pub quantity: String,
    /// Decimal string; default: the price that applies to the customer
    /// today (`products::price_for`).
    pub unit_price: Option<String>,
    /// Percent 0–100; default 0.
    pub discount_percent: Option<String>,
    /// Percent; default: the product's tax rate.
    pub tax_rate: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct QuoteInput {
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// Default: 30 days from today.
    pub valid_until: Option<NaiveDate>,
    pub notes: String,
    pub terms: String,
    pub lines: Vec<QuoteLineInput>,
}

/// A line as it will be stored.
pub(crate) struct Priced {
    pub product_id: i64,
    pub line: Line,
    pub amounts: LineAmounts,
}

pub(crate) fn not_allowed(e: rules::Refused) -> StoreError {
    match e {
        rules::Refused::NotAllowed { .. } => StoreError::Conflict(e.to_string()),
        rules::Refused::Expired => Invalid::one("valid_until", "quote_expired").into(),
    }
}

fn percent(text: &Option<String>, field: &str, default: Percent, invalid: &mut Invalid) -> Option<Percent> {
    match text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(default),
        Some(s) => match Percent::parse(s) {
            Ok(p) => Some(p),
            Err(e) => {
                invalid.push(Percent::field_error(e, field));
                None
            }
        },
    }
}

/// Checks the whole input against the rules, inside the unit; every
/// problem as a field error, nothing written.
async fn check(
    store: &Store,
    unit: &UnitOfWork<'_>,
    input: &QuoteInput,
    today: NaiveDate,
) -> StoreResult<(Vec<Priced>, Totals, NaiveDate)> {
    let actor = unit.actor();
    let mut invalid = Invalid::new();
    crate::shared::check_parties(unit, input.customer_id, input.contact_id, input.opportunity_id, &mut invalid).await?;
    let valid_until = input.valid_until.unwrap_or(today + Duration::days(rules::DEFAULT_VALID_DAYS));
    if valid_until < today {
        invalid.push(FieldError::new("valid_until", "quote_expired"));
    } else if valid_until > today + Duration::days(rules::MAX_VALID_DAYS) {
        invalid.push(FieldError::new("valid_until", "quote_valid_too_late").with("max", rules::MAX_VALID_DAYS));
    }
    invalid.optional_text("notes", input.notes.trim(), 2000);
    invalid.optional_text("terms", input.terms.trim(), 4000);
    if input.lines.len() > 200 {
        invalid.push(FieldError::new("lines", "too_many").with("max", 200));
    }
    let ids: Vec<i64> = input.lines.iter().map(|l| l.product_id).collect();
    let products = crate::products::products_by_id(unit, &ids).await?;
    let mut lines = Vec::new();
    for (i, l) in input.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let product = products.get(&l.product_id);
        match product {
            None => invalid.push(FieldError::new(&field("product_id"), "unknown_reference")),
            Some(p) if !p.active => invalid.push(FieldError::new(&field("product_id"), "inactive_product")),
            Some(_) => {}
        }
        let quantity = Quantity::parse(&l.quantity).map_err(|e| e.field(&field("quantity"), 3, "0.001", "1000000000"));
        let unit_price = match l.unit_price.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Money::parse_strict(s).map_err(|e| e.field(&field("unit_price"))),
            None => Ok(match product {
                Some(p) if p.active => {
                    match crate::products::price_for(store, actor, p.id, Some(input.customer_id), None).await {
                        Ok(answer) => Money::parse_strict(&answer.price).unwrap_or(Money(p.list_price)),
                        Err(_) => Money(p.list_price),
                    }
                }
                _ => Money(0),
            }),
        };
        let discount = percent(&l.discount_percent, &field("discount_percent"), Percent::ZERO, &mut invalid);
        let tax_default = product.map(|p| Percent(p.tax_rate)).unwrap_or(Percent::ZERO);
        let tax_rate = percent(&l.tax_rate, &field("tax_rate"), tax_default, &mut invalid);
        match (quantity, unit_price, discount, tax_rate) {
            (Ok(quantity), Ok(unit_price), Some(discount), Some(tax_rate)) => {
                let line = Line { quantity, unit_price, discount, tax_rate };
                invalid.0.extend(pricing::check_line(i, &line).0);
                lines.push((l.product_id, line));
            }
            (q, p, _, _) => {
                invalid.0.extend(q.err());
                invalid.0.extend(p.err());
            }
        }
    }
    if input.lines.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    invalid.into_result()?;
    // Every line parsed and passed: the totals (refused beyond the largest amount).
    let parsed: Vec<Line> = lines.iter().map(|(_, l)| *l).collect();
    let (amounts, totals) = pricing::price(&parsed)?;
    let priced = lines
        .into_iter()
        .zip(amounts)
        .map(|((product_id, line), amounts)| Priced { product_id, line, amounts })
        .collect();
    Ok((priced, totals, valid_until))
}

pub(crate) async fn write_lines(
    unit: &UnitOfWork<'_>,
    quote_id: i64,
    revision: i32,
    lines: &[Priced],
) -> StoreResult<()> {
    quote_line::Entity::delete_many()
        .filter(quote_line::Column::QuoteId.eq(quote_id))
        .filter(quote_line::Column::Revision.eq(revision))
        .exec(unit)
        .await?;
    let rows: Vec<quote_line::ActiveModel> = lines
        .iter()
        .enumerate()
        .map(|(i, p)| quote_line::ActiveModel {
            quote_id: Set(quote_id),
            revision: Set(revision),
            position: Set(i as i32),
            product_id: Set(p.product_id),
            quantity: Set(p.line.quantity.0),
            unit_price: Set(p.line.unit_price.0),
            discount_percent: Set(p.line.discount.0),
            tax_rate: Set(p.line.tax_rate.0),
            gross: Set(p.amounts.gross.0),
            discount: Set(p.amounts.discount.0),
            net: Set(p.amounts.net.0),
            tax: Set(p.amounts.tax.0),
            total: Set(p.amounts.total.0),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        quote_line::Entity::insert_many(rows).exec(unit).await?;
    }
    Ok(())
}

/// Writes a version's own header (insert, or replace the current one's).
async fn write_revision(
    unit: &UnitOfWork<'_>,
    quote_id: i64,
    revision: i32,
    input: &QuoteInput,
    valid_until: NaiveDate,
    t: &Totals,
) -> StoreResult<()> {
    quote_revision::Entity::delete_many()
        .filter(quote_revision::Column::QuoteId.eq(quote_id))
        .filter(quote_revision::Column::Revision.eq(revision))
        .exec(unit)
        .await?;
    quote_revision::ActiveModel {
        quote_id: Set(quote_id),
        revision: Set(revision),
        contact_id: Set(input.contact_id),
        valid_until: Set(valid_until),
        notes: Set(input.notes.trim().to_owned()),
        terms: Set(input.terms.trim().to_owned()),
        gross: Set(t.gross.0),
        discount: Set(t.discount.0),
        net: Set(t.net.0),
        tax: Set(t.tax.0),
        total: Set(t.total.0),
        created_by: Set(unit.actor().user_id.unwrap_or(0)),
        created_at: Set(unit.now()),
        sent_at: Set(None),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    Ok(())
}

/// Creates a draft quote (v1) for a customer the caller owns (or whose
/// owner is in their scope).
pub async fn create(store: &Store, actor: &Actor, input: QuoteInput) -> StoreResult<QuoteView> {
    let permit = store.permit(actor, Module::Quotes, Action::Create)?;
    let unit = permit.begin().await?;
    let now = unit.now();
    let today = today_of(&unit, store).await?;
    let (lines, t, valid_until) = check(store, &unit, &input, today).await?;
    let year = chrono::Datelike::year(&today);
    let number = crate::orders::next_number(&unit, "QT", year).await?;
    let m = quote::ActiveModel {
        number: Set(number),
        customer_id: Set(input.customer_id),
        contact_id: Set(input.contact_id),
        opportunity_id: Set(input.opportunity_id),
        status: Set(QuoteStatus::Draft.code().to_owned()),
        revision: Set(1),
        valid_until: Set(valid_until),
        notes: Set(input.notes.trim().to_owned()),
        terms: Set(input.terms.trim().to_owned()),
        gross: Set(t.gross.0),
        discount: Set(t.discount.0),
        net: Set(t.net.0),
        tax: Set(t.tax.0),
        total: Set(t.total.0),
        created_by: Set(actor.user_id.unwrap_or(0)),
        sent_at: Set(None),
        decided_at: Set(None),
        order_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    write_lines(&unit, m.id, 1, &lines).await?;
    write_revision(&unit, m.id, 1, &input, valid_until, &t).await?;
    let view = full_view(&unit, actor, m, today).await?;
    unit.commit(AuditEvent::new("quote.create", "quote", Some(view.id)).after(&view)).await?;
    Ok(view)
}

/// Changes a quote: a draft (or an approved quote not yet sent, which goes
/// back to draft) in place; a sent or expired one gets a new version, as
/// a draft, the sent version kept as it was.
pub async fn update(store: &Store, actor: &Actor, id: i64, version: i64, input: QuoteInput) -> StoreResult<QuoteView> {
    let permit = store.permit(actor, Module::Quotes, Action::Edit)?;
    let unit = permit.begin().await?;
    let today = today_of(&unit, store).await?;
    let before = find_in_scope(&unit, actor, id).await?;
    let kind = rules::edit(status_on(&before, today)).map_err(not_allowed)?;
    if before.version != version {
        return Err(StoreError::Conflict("the quote changed since it was read".into()));
    }
    let (lines, t, valid_until) = check(store, &unit, &input, today).await?;
    let revision = match kind {
        EditKind::InPlace => before.revision,
        EditKind::NewVersion => before.revision + 1,
    };
    let before_view = full_view(&unit, actor, before.clone(), today).await?;
    let m = unit
        .update::<quote::Entity>(id, version)
        .set(quote::Column::CustomerId, Expr::value(input.customer_id))
        .set(quote::Column::ContactId, Expr::value(input.contact_id))
        .set(quote::Column::OpportunityId, Expr::value(input.opportunity_id))
        .set(quote::Column::Status, Expr::value(QuoteStatus::Draft.code()))
        .set(quote::Column::Revision, Expr::value(revision))
        .set(quote::Column::ValidUntil, Expr::value(valid_until))
        .set(quote::Column::Notes, Expr::value(input.notes.trim()))
        .set(quote::Column::Terms, Expr::value(input.terms.trim()))
        .set(quote::Column::Gross, Expr::value(t.gross.0))
        .set(quote::Column::Discount, Expr::value(t.discount.0))
        .set(quote::Column::Net, Expr::value(t.net.0))
        .set(quote::Column::Tax, Expr::value(t.tax.0))
        .set(quote::Column::Total, Expr::value(t.total.0))
        .set(quote::Column::SentAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        .exec()
        .await?;
    write_lines(&unit, id, revision, &lines).await?;
    write_revision(&unit, id, revision, &input, valid_until, &t).await?;
    let view = full_view(&unit, actor, m, today).await?;
    let action = if kind == EditKind::NewVersion { "quote.new_version" } else { "quote.update" };
    unit.commit(AuditEvent::new(action, "quote", Some(id)).before(&before_view).after(&view)).await?;
    Ok(view)
}

/// Deletes a draft (soft: it leaves every list; its number is not reused).
pub async fn delete(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Quotes, Action::Delete)?;
    let unit = permit.begin().await?;
    let m = find_in_scope(&unit, actor, id).await?;
    rules::transition(stored_status(&m), QuoteAction::Delete, false, false).map_err(not_allowed)?;
    crate::approvals::cancel(&unit, DocumentType::Quote, id).await?;
    unit.update::<quote::Entity>(id, m.version)
        .set(quote::Column::DeletedAt, Expr::value(Some(unit.now())))
        .exec_without_reading()
        .await?;
    let event = AuditEvent::new("quote.delete", "quote", Some(id)).note("number", serde_json::json!(m.number));
    unit.commit(event).await?;
    Ok(())
}

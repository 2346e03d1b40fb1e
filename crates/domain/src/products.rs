//! Product rules: what a product and a price-list entry must hold, the
//! category tree (no cycles), and which price applies to a customer on a
//! day (customer-specific over grade over list price, validity inclusive).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::customers::Grade;
use crate::money::{Money, MoneyError};
use crate::quantity::{DecimalError, Percent, Quantity};
use crate::validation::{FieldError, Invalid};

pub const CODE_MAX: usize = 50;
pub const NAME_MAX: usize = 200;
pub const UNIT_MAX: usize = 20;
pub const SPECIFICATION_MAX: usize = 2000;
pub const CATEGORY_NAME_MAX: usize = 100;
pub const WAREHOUSE_CODE_MAX: usize = 30;
pub const ADDRESS_MAX: usize = 300;
pub const REASON_MAX: usize = 500;

/// A product as typed: texts and decimal strings, checked by [`check_product`].
#[derive(Debug, Clone, Default)]
pub struct ProductText {
    pub code: String,
    pub name: String,
    pub specification: String,
    pub unit: String,
    pub list_price: String,
    pub cost: String,
    pub tax_rate: String,
    pub reorder_point: String,
    pub safety_stock: String,
}

/// A product's checked values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductValues {
    pub code: String,
    pub name: String,
    pub specification: String,
    pub unit: String,
    pub list_price: Money,
    pub cost: Money,
    pub tax_rate: Percent,
    pub reorder_point: Quantity,
    pub safety_stock: Quantity,
}

fn money(invalid: &mut Invalid, field: &str, text: &str) -> Money {
    match Money::parse_strict(text) {
        Ok(m) if m.0 < 0 => {
            invalid.push(FieldError::new(field, "negative"));
            Money(0)
        }
        Ok(m) => m,
        Err(e) => {
            invalid.push(MoneyError::field(&e, field));
            Money(0)
        }
    }
}

fn quantity(invalid: &mut Invalid, field: &str, text: &str) -> Quantity {
    let text = if text.trim().is_empty() { "0" } else { text };
    match Quantity::parse(text) {
        Ok(q) if q.0 < 0 => {
            invalid.push(FieldError::new(field, "negative"));
            Quantity::ZERO
        }
        Ok(q) => q,
        Err(e) => {
            invalid.push(e.field(field, 3, "0", "1000000000"));
            Quantity::ZERO
        }
    }
}

/// Checks a product: code and name required and bounded, code without
/// spaces, unit required, prices and cost ≥ 0, tax rate 0–100 %, reorder
/// point and safety stock ≥ 0 (blank is 0).
pub fn check_product(input: &ProductText) -> Result<ProductValues, Invalid> {
    let mut invalid = Invalid::new();
    let code = input.code.trim();
    invalid.text("code", code, CODE_MAX);
    if !code.is_empty() && code.chars().any(char::is_whitespace) {
        invalid.push(FieldError::new("code", "no_spaces"));
    }
    invalid.text("name", &input.name, NAME_MAX);
    invalid.text("unit", &input.unit, UNIT_MAX);
    invalid.optional_text("specification", input.specification.trim(), SPECIFICATION_MAX);
    let list_price = money(&mut invalid, "list_price", &input.list_price);
    let cost = money(&mut invalid, "cost", &input.cost);
    let tax_text = if input.tax_rate.trim().is_empty() { "0" } else { &input.tax_rate };
    let tax_rate = Percent::parse(tax_text).unwrap_or_else(|e: DecimalError| {
        invalid.push(Percent::field_error(e, "tax_rate"));
        Percent::ZERO
    });
    let reorder_point = quantity(&mut invalid, "reorder_point", &input.reorder_point);
    let safety_stock = quantity(&mut invalid, "safety_stock", &input.safety_stock);
    invalid.into_result()?;
    Ok(ProductValues {
        code: code.to_owned(),
        name: input.name.trim().to_owned(),
        specification: input.specification.trim().to_owned(),
        unit: input.unit.trim().to_owned(),
        list_price,
        cost,
        tax_rate,
        reorder_point,
        safety_stock,
    })
}

/// Whether giving category `id` the parent `new_parent` would make a
/// cycle: the parent is the category itself or one of its descendants.
/// `parents` maps every category to its current parent.
pub fn creates_cycle(id: i64, new_parent: Option<i64>, parents: &HashMap<i64, Option<i64>>) -> bool {
    let mut at = new_parent;
    let mut steps = 0;
    while let Some(p) = at {
        if p == id {
            return true;
        }
        steps += 1;
        if steps > parents.len() + 1 {
            // Already a cycle above: refuse rather than loop.
            return true;
        }
        at = parents.get(&p).copied().flatten();
    }
    false
}

/// Whom a price-list entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceTarget {
    Customer(i64),
    Grade(Grade),
}

/// One price-list entry of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceEntry {
    pub id: i64,
    pub target: PriceTarget,
    pub price: Money,
    /// First day it applies (inclusive); none = always before.
    pub valid_from: Option<NaiveDate>,
    /// Last day it applies (inclusive); none = open-ended.
    pub valid_to: Option<NaiveDate>,
}

impl PriceEntry {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }
}

/// Why a price applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceSource {
    /// The customer's own entry.
    Customer,
    /// The entry for the customer's grade.
    Grade,
    /// No entry applies: the product's list price.
    ListPrice,
}

impl PriceSource {
    pub fn code(self) -> &'static str {
        match self {
            PriceSource::Customer => "customer",
            PriceSource::Grade => "grade",
            PriceSource::ListPrice => "list_price",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedPrice {
    pub price: Money,
    pub source: PriceSource,
    /// The entry that applies (none for the list price).
    pub entry_id: Option<i64>,
}

/// The price for a customer (with their grade) on a day: an entry for the
/// customer over one for their grade over the list price. Among several
/// entries of the same kind valid that day, the one that began latest
/// wins (a promotion inside a yearly price), then the newest entry.
pub fn price_for(
    list_price: Money,
    entries: &[PriceEntry],
    customer_id: Option<i64>,
    grade: Option<Grade>,
    day: NaiveDate,
) -> AppliedPrice {
    let best = |wanted: &dyn Fn(&PriceTarget) -> bool| {
        entries
            .iter()
            .filter(|e| wanted(&e.target) && e.valid_on(day))
            .max_by_key(|e| (e.valid_from.unwrap_or(NaiveDate::MIN), e.id))
    };
    if let Some(c) = customer_id
        && let Some(e) = best(&|t| *t == PriceTarget::Customer(c))
    {
        return AppliedPrice { price: e.price, source: PriceSource::Customer, entry_id: Some(e.id) };
    }
    if let Some(g) = grade
        && let Some(e) = best(&|t| *t == PriceTarget::Grade(g))
    {
        return AppliedPrice { price: e.price, source: PriceSource::Grade, entry_id: Some(e.id) };
    }
    AppliedPrice { price: list_price, source: PriceSource::ListPrice, entry_id: None }
}

/// Checks a price-list entry's price and dates: price ≥ 0, from ≤ to.
pub fn check_price_entry(
    invalid: &mut Invalid,
    price: &str,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
) -> Money {
    let price = money(invalid, "price", price);
    if let (Some(f), Some(t)) = (valid_from, valid_to)
        && t < f
    {
        invalid.push(FieldError::new("valid_to", "range_reversed"));
    }
    price
}

/// A stock adjustment must say why.
pub fn check_reason(invalid: &mut Invalid, reason: &str) {
    invalid.text("reason", reason, REASON_MAX);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn text() -> ProductText {
        ProductText {
            code: "PLC-200".into(),
            name: "PLC控制器".into(),
            unit: "台".into(),
            list_price: "12800.00".into(),
            cost: "7600.5".into(),
            tax_rate: "13".into(),
            reorder_point: "5".into(),
            ..Default::default()
        }
    }

    fn codes(e: Invalid) -> Vec<(String, String)> {
        e.0.into_iter().map(|f| (f.field, f.code)).collect()
    }

    #[test]
    fn a_product_is_checked_field_by_field() {
        let v = check_product(&text()).unwrap();
        assert_eq!(v.list_price, Money(1_280_000));
        assert_eq!(v.cost, Money(760_050));
        assert_eq!(v.tax_rate, Percent(1300));
        assert_eq!(v.reorder_point, Quantity(5_000));
        assert_eq!(v.safety_stock, Quantity::ZERO);

        let bad = ProductText {
            code: "PLC 200".into(),
            name: " ".into(),
            unit: "".into(),
            list_price: "-1".into(),
            cost: "abc".into(),
            tax_rate: "100.5".into(),
            reorder_point: "-2".into(),
            safety_stock: "0.0001".into(),
            ..Default::default()
        };
        let e = codes(check_product(&bad).unwrap_err());
        let want = [
            ("code", "no_spaces"),
            ("name", "required"),
            ("unit", "required"),
            ("list_price", "negative"),
            ("cost", "invalid_amount"),
            ("tax_rate", "out_of_range"),
            ("reorder_point", "negative"),
            ("safety_stock", "too_precise"),
        ];
        assert_eq!(e, want.map(|(f, c)| (f.to_owned(), c.to_owned())));

        let long = ProductText { code: "X".repeat(51), name: "名".repeat(201), ..text() };
        let e = codes(check_product(&long).unwrap_err());
        assert_eq!(e, [("code".into(), "too_long".into()), ("name".into(), "too_long".into())]);
        // Edges: 0 and 100 % are fine, a free product too.
        let edge = ProductText { tax_rate: "100".into(), list_price: "0".into(), cost: "0".into(), ..text() };
        assert_eq!(check_product(&edge).unwrap().tax_rate, Percent::HUNDRED);
    }

    #[test]
    fn a_category_cannot_move_under_itself_or_its_children() {
        // 1 传感器 ─ 2 温度传感器 ─ 3 高温型; 4 控制器
        let parents: HashMap<i64, Option<i64>> = [(1, None), (2, Some(1)), (3, Some(2)), (4, None)].into();
        assert!(creates_cycle(1, Some(1), &parents));
        assert!(creates_cycle(1, Some(3), &parents));
        assert!(creates_cycle(2, Some(3), &parents));
        assert!(!creates_cycle(3, Some(1), &parents));
        assert!(!creates_cycle(1, Some(4), &parents));
        assert!(!creates_cycle(1, None, &parents));
        // A new category (not yet in the map) under any existing one.
        assert!(!creates_cycle(99, Some(3), &parents));
    }

    #[test]
    fn the_customers_price_beats_the_grades_which_beats_the_list_price() {
        let list = Money(100_000); // 1000.00
        let entries = vec![
            // Grade A all year: 900.00.
            PriceEntry {
                id: 1,
                target: PriceTarget::Grade(Grade::A),
                price: Money(90_000),
                valid_from: Some(day("2026-01-01")),
                valid_to: Some(day("2026-12-31")),
            },
            // Grade A promotion in June: 850.00 (began later, so it wins in June).
            PriceEntry {
                id: 2,
                target: PriceTarget::Grade(Grade::A),
                price: Money(85_000),
                valid_from: Some(day("2026-06-01")),
                valid_to: Some(day("2026-06-30")),
            },
            // Customer 7 from 2026-03-15, open-ended: 880.00.
            PriceEntry {
                id: 3,
                target: PriceTarget::Customer(7),
                price: Money(88_000),
                valid_from: Some(day("2026-03-15")),
                valid_to: None,
            },
        ];
        let p = |c, g, d| price_for(list, &entries, c, g, day(d));
        // Customer 7 (grade A) before their own price starts: the grade's.
        assert_eq!(p(Some(7), Some(Grade::A), "2026-03-14").price, Money(90_000));
        assert_eq!(p(Some(7), Some(Grade::A), "2026-03-14").source, PriceSource::Grade);
        // On the first day, inclusive: their own, even during the promotion.
        let own = p(Some(7), Some(Grade::A), "2026-03-15");
        assert_eq!((own.price, own.source, own.entry_id), (Money(88_000), PriceSource::Customer, Some(3)));
        assert_eq!(p(Some(7), Some(Grade::A), "2026-06-10").price, Money(88_000));
        // Another grade-A customer: the promotion in June (both ends inclusive), else the yearly price.
        assert_eq!(p(Some(8), Some(Grade::A), "2026-06-01").entry_id, Some(2));
        assert_eq!(p(Some(8), Some(Grade::A), "2026-06-30").entry_id, Some(2));
        assert_eq!(p(Some(8), Some(Grade::A), "2026-07-01").entry_id, Some(1));
        // After the year: list price. Grade B or no grade: list price.
        assert_eq!(p(Some(8), Some(Grade::A), "2027-01-01").source, PriceSource::ListPrice);
        assert_eq!(p(Some(8), Some(Grade::B), "2026-06-10").price, list);
        assert_eq!(p(None, None, "2026-06-10").price, list);
    }

    #[test]
    fn a_price_entry_ends_on_or_after_its_start() {
        let mut invalid = Invalid::new();
        assert_eq!(
            check_price_entry(&mut invalid, "12.5", Some(day("2026-01-02")), Some(day("2026-01-02"))),
            Money(1250)
        );
        assert!(invalid.is_empty());
        check_price_entry(&mut invalid, "-1", Some(day("2026-01-02")), Some(day("2026-01-01")));
        assert_eq!(codes(invalid), [("price".into(), "negative".into()), ("valid_to".into(), "range_reversed".into())]);
    }
}

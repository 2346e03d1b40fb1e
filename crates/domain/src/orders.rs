//! Sales documents' arithmetic and life cycle: a line's amounts, a
//! document's totals, the sales order's states, document numbers, credit
//! exposure, and how much may still be shipped or returned. Quotes and
//! purchase orders use the same line arithmetic.
//!
//! Unit prices are without tax (不含税单价); a line's tax is computed on
//! its net amount and rounded to the cent per line, as on a Chinese VAT
//! invoice, so the document's tax is the sum of its lines' taxes.

use crate::money::{MAX_MINOR, Money};
use crate::quantity::{Percent, Quantity, div_round};
use crate::{FieldError, Invalid};

/// What a line says: how much of a product, at what price, less what
/// discount, with what tax rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub quantity: Quantity,
    pub unit_price: Money,
    pub discount: Percent,
    pub tax_rate: Percent,
}

/// A line's amounts, each rounded to the cent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineAmounts {
    /// Quantity × unit price.
    pub gross: Money,
    /// The discount taken off the gross amount.
    pub discount: Money,
    /// Gross less discount: the amount tax is computed on.
    pub net: Money,
    pub tax: Money,
    /// Net plus tax: what the customer pays for the line.
    pub total: Money,
}

/// A document's totals: its lines' amounts added up.
pub type Totals = LineAmounts;

/// The rules every line obeys, as field errors under `lines[i].…`.
pub fn check_line(index: usize, line: &Line) -> Invalid {
    let field = |name: &str| format!("lines[{index}].{name}");
    let mut invalid = Invalid::new();
    if let Some(error) = line.quantity.check_positive(&field("quantity")) {
        invalid.push(error);
    }
    if line.unit_price.0 < 0 {
        invalid.push(FieldError::new(&field("unit_price"), "must_not_be_negative"));
    }
    if !line.unit_price.in_range() {
        invalid.push(FieldError::new(&field("unit_price"), "amount_too_large").with("max", Money::MAX.grouped()));
    }
    if !(Percent::ZERO..=Percent::HUNDRED).contains(&line.discount) {
        invalid.push(FieldError::new(&field("discount_percent"), "out_of_range").with("min", 0).with("max", 100));
    }
    if !(Percent::ZERO..=Percent::HUNDRED).contains(&line.tax_rate) {
        invalid.push(FieldError::new(&field("tax_rate"), "out_of_range").with("min", 0).with("max", 100));
    }
    invalid
}

/// A line's amounts, or `None` when any of them would exceed the largest
/// amount ([`Money::MAX`]).
pub fn line_amounts(line: &Line) -> Option<LineAmounts> {
    let gross = div_round(line.quantity.0 as i128 * line.unit_price.0 as i128, Quantity::SCALE as i128);
    let discount = div_round(gross * line.discount.0 as i128, Percent::HUNDRED.0 as i128);
    let net = gross - discount;
    let tax = div_round(net * line.tax_rate.0 as i128, Percent::HUNDRED.0 as i128);
    let total = net + tax;
    let money = |v: i128| (v.unsigned_abs() <= MAX_MINOR as u128).then_some(Money(v as i64));
    Some(LineAmounts {
        gross: money(gross)?,
        discount: money(discount)?,
        net: money(net)?,
        tax: money(tax)?,
        total: money(total)?,
    })
}

/// The lines' amounts and the document's totals; field errors for a line
/// that breaks a rule, or for totals beyond the largest amount.
pub fn price(lines: &[Line]) -> Result<(Vec<LineAmounts>, Totals), Invalid> {
    let mut invalid = Invalid::new();
    if lines.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    for (i, line) in lines.iter().enumerate() {
        invalid.0.extend(check_line(i, line).0);
    }
    invalid.into_result()?;
    let mut amounts = Vec::with_capacity(lines.len());
    let mut sums = [0i128; 5];
    for (i, line) in lines.iter().enumerate() {
        let Some(a) = line_amounts(line) else {
            return Err(Invalid(vec![
                FieldError::new(&format!("lines[{i}].quantity"), "amount_too_large").with("max", Money::MAX.grouped()),
            ]));
        };
        for (sum, part) in sums.iter_mut().zip([a.gross, a.discount, a.net, a.tax, a.total]) {
            *sum += part.0 as i128;
        }
        amounts.push(a);
    }
    if sums.iter().any(|s| s.unsigned_abs() > MAX_MINOR as u128) {
        return Err(Invalid::one("lines", "total_too_large"));
    }
    let [gross, discount, net, tax, total] = sums.map(|s| Money(s as i64));
    Ok((amounts, Totals { gross, discount, net, tax, total }))
}

/// The document's overall discount, as approval rules compare it: the
/// discount over the gross amount, rounded up to the hundredth of a
/// percent (a 10.001 % discount is over a 10 % threshold).
pub fn discount_percent(totals: &Totals) -> Percent {
    if totals.gross.0 <= 0 {
        return Percent::ZERO;
    }
    let scaled = totals.discount.0 as i128 * Percent::HUNDRED.0 as i128;
    let gross = totals.gross.0 as i128;
    Percent(((scaled + gross - 1) / gross) as i32)
}

/// A sales order's state (draft → submitted → approved → partially shipped
/// → shipped → completed, or rejected / cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Draft,
    Submitted,
    Approved,
    PartiallyShipped,
    Shipped,
    Completed,
    Rejected,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        OrderStatus::Draft,
        OrderStatus::Submitted,
        OrderStatus::Approved,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Rejected,
        OrderStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Submitted => "submitted",
            OrderStatus::Approved => "approved",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<OrderStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Lines, customer and prices may change only before submission (and
    /// after a rejection, which sends the order back to be reworked).
    pub fn editable(self) -> bool {
        matches!(self, OrderStatus::Draft | OrderStatus::Rejected)
    }

    /// Whether the order holds reserved stock.
    pub fn holds_reservation(self) -> bool {
        matches!(self, OrderStatus::Approved | OrderStatus::PartiallyShipped)
    }
}

/// What can be done to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    Submit,
    Approve,
    Reject,
    Ship,
    Complete,
    Cancel,
}

impl OrderAction {
    pub fn code(self) -> &'static str {
        match self {
            OrderAction::Submit => "submit",
            OrderAction::Approve => "approve",
            OrderAction::Reject => "reject",
            OrderAction::Ship => "ship",
            OrderAction::Complete => "complete",
            OrderAction::Cancel => "cancel",
        }
    }
}

/// The action is not possible in the order's state (409 with both named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {} cannot be {}", .status.code(), .action.code())]
pub struct NotAllowed {
    pub status: OrderStatus,
    pub action: OrderAction,
}

/// Where an action takes an order. `needs_approval` decides a submission
/// (the approval rules' answer); `fully_shipped` a shipment (every line
/// shipped in full after it). Shipping a part is possible from approved or
/// partially shipped; cancelling only before anything shipped.
pub fn transition(
    status: OrderStatus,
    action: OrderAction,
    needs_approval: bool,
    fully_shipped: bool,
) -> Result<OrderStatus, NotAllowed> {
    use OrderAction as A;
    use OrderStatus as S;
    let next = match (status, action) {
        (S::Draft | S::Rejected, A::Submit) if needs_approval => S::Submitted,
        (S::Draft | S::Rejected, A::Submit) => S::Approved,
        (S::Submitted, A::Approve) => S::Approved,
        (S::Submitted, A::Reject) => S::Rejected,
        (S::Approved | S::PartiallyShipped, A::Ship) if fully_shipped => S::Shipped,
        (S::Approved | S::PartiallyShipped, A::Ship) => S::PartiallyShipped,
        (S::Shipped, A::Complete) => S::Completed,
        (S::Draft | S::Submitted | S::Approved | S::Rejected, A::Cancel) => S::Cancelled,
        _ => return Err(NotAllowed { status, action }),
    };
    Ok(next)
}

/// A document number: `SO-2026-000123` (prefix, year, a sequence of at
/// least six digits that never repeats within the prefix and year).
pub fn document_number(prefix: &str, year: i32, sequence: i64) -> String {
    format!("{prefix}-{year:04}-{sequence:06}")
}

/// A customer's credit exposure with this order: what is still owed on
/// earlier orders plus this order's total, against the credit limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credit {
    pub exposure: Money,
    /// How far the exposure is over the limit (zero when within it or when
    /// the customer has no limit).
    pub over_limit: Money,
}

/// No limit (`None`) means no credit check.
pub fn credit(open_receivables: Money, order_total: Money, limit: Option<Money>) -> Credit {
    let exposure = Money(open_receivables.0.saturating_add(order_total.0));
    let over_limit = match limit {
        Some(limit) if exposure > limit => Money(exposure.0 - limit.0),
        _ => Money(0),
    };
    Credit { exposure, over_limit }
}

/// A movement of goods against a line: more than zero, and no more than
/// what is left (ordered less shipped for a shipment; shipped less
/// returned for a return). `Err` holds what is left.
pub fn check_against(limit: Quantity, done: Quantity, quantity: Quantity) -> Result<(), Quantity> {
    let left = limit - done;
    if quantity.is_positive() && quantity <= left { Ok(()) } else { Err(left) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: &str, price: &str, discount: &str, tax: &str) -> Line {
        Line {
            quantity: Quantity::parse(quantity).unwrap(),
            unit_price: Money::parse_strict(price).unwrap(),
            discount: Percent::parse(discount).unwrap(),
            tax_rate: Percent::parse(tax).unwrap(),
        }
    }

    #[test]
    fn a_line_is_priced_to_the_cent_as_on_a_vat_invoice() {
        // 3 × 1,999.99 = 5,999.97; 12.5 % off = 749.99625 → 750.00;
        // net 5,249.97; 13 % tax = 682.4961 → 682.50; total 5,932.47.
        let a = line_amounts(&line("3", "1999.99", "12.5", "13")).unwrap();
        assert_eq!(a.gross, Money(599_997));
        assert_eq!(a.discount, Money(75_000));
        assert_eq!(a.net, Money(524_997));
        assert_eq!(a.tax, Money(68_250));
        assert_eq!(a.total, Money(593_247));
        // 2.5 kg at 0.33: 0.825 → 0.83; no discount; 6 % tax of 0.83 = 0.0498 → 0.05.
        let b = line_amounts(&line("2.5", "0.33", "0", "6")).unwrap();
        assert_eq!((b.gross, b.net, b.tax, b.total), (Money(83), Money(83), Money(5), Money(88)));
        // A free line (100 % off) costs nothing and carries no tax.
        let c = line_amounts(&line("10", "50", "100", "13")).unwrap();
        assert_eq!((c.net, c.tax, c.total), (Money(0), Money(0), Money(0)));
    }

    #[test]
    fn totals_add_the_lines_rounded_amounts() {
        let lines = [line("3", "1999.99", "12.5", "13"), line("2.5", "0.33", "0", "6")];
        let (amounts, totals) = price(&lines).unwrap();
        assert_eq!(amounts.len(), 2);
        assert_eq!(totals.gross, Money(599_997 + 83));
        assert_eq!(totals.tax, Money(68_250 + 5));
        assert_eq!(totals.total, Money(593_247 + 88));
        assert_eq!(totals.net.0 + totals.tax.0, totals.total.0);
    }

    #[test]
    fn bad_lines_are_refused_field_by_field() {
        let mut bad = line("1", "10", "0", "13");
        bad.quantity = Quantity(0);
        bad.unit_price = Money(-1);
        bad.discount = Percent(10_001);
        let invalid = price(&[line("1", "10", "0", "13"), bad]).unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("lines[1].quantity", "must_be_positive"),
                ("lines[1].unit_price", "must_not_be_negative"),
                ("lines[1].discount_percent", "out_of_range"),
            ]
        );
        assert_eq!(price(&[]).unwrap_err().0[0].field, "lines");
        // Amounts beyond the largest amount are refused, never wrapped.
        let huge = line("1000000000", "10000000000000", "0", "0");
        assert_eq!(price(&[huge]).unwrap_err().0[0].code, "amount_too_large");
        let big = line("1", "9000000000000", "0", "0");
        assert_eq!(price(&[big, big]).unwrap_err().0[0].code, "total_too_large");
    }

    #[test]
    fn the_overall_discount_rounds_up() {
        let (_, totals) = price(&[line("1", "100", "10", "0"), line("1", "100", "0", "0")]).unwrap();
        assert_eq!(discount_percent(&totals), Percent(500));
        // 1 cent off 3.00 is 0.333… % → 0.34 %.
        let totals = Totals { gross: Money(300), discount: Money(1), ..Totals::default() };
        assert_eq!(discount_percent(&totals), Percent(34));
        assert_eq!(discount_percent(&Totals::default()), Percent::ZERO);
    }

    #[test]
    fn an_order_moves_only_along_its_life_cycle() {
        use OrderAction as A;
        use OrderStatus as S;
        assert_eq!(transition(S::Draft, A::Submit, true, false), Ok(S::Submitted));
        assert_eq!(transition(S::Draft, A::Submit, false, false), Ok(S::Approved));
        assert_eq!(transition(S::Submitted, A::Approve, false, false), Ok(S::Approved));
        assert_eq!(transition(S::Submitted, A::Reject, false, false), Ok(S::Rejected));
        assert_eq!(transition(S::Rejected, A::Submit, true, false), Ok(S::Submitted));
        assert_eq!(transition(S::Approved, A::Ship, false, false), Ok(S::PartiallyShipped));
        assert_eq!(transition(S::PartiallyShipped, A::Ship, false, true), Ok(S::Shipped));
        assert_eq!(transition(S::Shipped, A::Complete, false, true), Ok(S::Completed));
        assert_eq!(transition(S::Approved, A::Cancel, false, false), Ok(S::Cancelled));
        // Twice, or out of turn: refused with both named.
        let refused = transition(S::Approved, A::Approve, false, false).unwrap_err();
        assert_eq!(refused.to_string(), "an order that is approved cannot be approve");
        assert!(transition(S::PartiallyShipped, A::Cancel, false, false).is_err());
        assert!(transition(S::Draft, A::Ship, false, true).is_err());
        assert!(transition(S::Cancelled, A::Submit, false, false).is_err());
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn document_numbers_have_six_digits_at_least() {
        assert_eq!(document_number("SO", 2026, 123), "SO-2026-000123");
        assert_eq!(document_number("SO", 2026, 1_234_567), "SO-2026-1234567");
    }

    #[test]
    fn credit_exposure_counts_what_is_owed_and_this_order() {
        let c = credit(Money(8_000_000), Money(3_000_000), Some(Money(10_000_000)));
        assert_eq!(c.exposure, Money(11_000_000));
        assert_eq!(c.over_limit, Money(1_000_000));
        assert_eq!(credit(Money(0), Money(3_000_000), Some(Money(10_000_000))).over_limit, Money(0));
        assert_eq!(credit(Money(1), Money(1), None).over_limit, Money(0));
    }

    #[test]
    fn shipments_and_returns_stay_within_what_is_left() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(check_against(q("10"), q("4"), q("6")), Ok(()));
        assert_eq!(check_against(q("10"), q("4"), q("6.001")), Err(q("6")));
        assert_eq!(check_against(q("10"), q("4"), q("0")), Err(q("6")));
        assert_eq!(check_against(q("10"), q("10"), q("1")), Err(q("0")));
    }
}

//! Purchasing (采购): suppliers and purchase orders.
//!
//! A purchase order goes draft → ordered → partially received → received,
//! or is cancelled before anything arrives. Goods are received line by
//! line, into a warehouse, never more than was ordered on the line. A
//! line's amount is its quantity × unit cost rounded to the cent; the
//! order's total is the sum of its lines' amounts.

use crate::customers::check_phone;
use crate::money::{MAX_MINOR, Money};
use crate::quantity::{Quantity, div_round};
use crate::validation::is_email;
use crate::{FieldError, Invalid};

pub const SUPPLIER_NAME_MAX: usize = 200;
pub const CONTACT_MAX: usize = 100;
pub const PHONE_MAX: usize = 50;
pub const EMAIL_MAX: usize = 254;
pub const ADDRESS_MAX: usize = 300;
pub const NOTES_MAX: usize = 2000;
/// Lines one purchase order may hold.
pub const LINES_MAX: usize = 200;
/// The document number's prefix: `PO-2026-000123`.
pub const NUMBER_PREFIX: &str = "PO";

/// What a supplier record says, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierText<'a> {
    pub name: &'a str,
    pub contact: &'a str,
    pub phone: &'a str,
    pub email: &'a str,
    pub address: &'a str,
    pub notes: &'a str,
}

/// A supplier needs a name; the rest is optional but checked when given.
pub fn check_supplier(s: &SupplierText<'_>) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("name", s.name, SUPPLIER_NAME_MAX);
    invalid.optional_text("contact", s.contact.trim(), CONTACT_MAX);
    invalid.optional_text("phone", s.phone.trim(), PHONE_MAX);
    if s.phone.trim().chars().count() <= PHONE_MAX {
        check_phone(&mut invalid, "phone", s.phone);
    }
    let email = s.email.trim();
    if email.chars().count() > EMAIL_MAX {
        invalid.push(FieldError::new("email", "too_long").with("max", EMAIL_MAX));
    } else if !email.is_empty() && !is_email(email) {
        invalid.push(FieldError::new("email", "invalid_email"));
    }
    invalid.optional_text("address", s.address.trim(), ADDRESS_MAX);
    invalid.optional_text("notes", s.notes.trim(), NOTES_MAX);
    invalid
}

/// One line of a purchase order: how much of a product, at what unit cost
/// (without tax).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub quantity: Quantity,
    pub unit_cost: Money,
}

/// A line's amount (quantity × unit cost, rounded half away from zero to
/// the cent), or `None` beyond the largest amount.
pub fn line_amount(line: &Line) -> Option<Money> {
    let amount = div_round(line.quantity.0 as i128 * line.unit_cost.0 as i128, Quantity::SCALE as i128);
    (amount.unsigned_abs() <= MAX_MINOR as u128).then_some(Money(amount as i64))
}

/// Every line's amount and the order's total; field errors under
/// `lines[i].…` for a line that breaks a rule (quantity above zero, cost
/// not negative), `lines: required` for none, `lines: too_many` beyond
/// [`LINES_MAX`], and `amount_too_large` / `total_too_large` beyond the
/// largest amount.
pub fn totals(lines: &[Line]) -> Result<(Vec<Money>, Money), Invalid> {
    let mut invalid = Invalid::new();
    if lines.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    if lines.len() > LINES_MAX {
        invalid.push(FieldError::new("lines", "too_many").with("max", LINES_MAX));
    }
    for (i, line) in lines.iter().enumerate() {
        if let Some(e) = line.quantity.check_positive(&format!("lines[{i}].quantity")) {
            invalid.push(e);
        }
        if line.unit_cost.0 < 0 {
            invalid.push(FieldError::new(&format!("lines[{i}].unit_cost"), "must_not_be_negative"));
        } else if !line.unit_cost.in_range() {
            invalid.push(
                FieldError::new(&format!("lines[{i}].unit_cost"), "amount_too_large").with("max", Money::MAX.grouped()),
            );
        }
    }
    invalid.into_result()?;
    let mut amounts = Vec::with_capacity(lines.len());
    let mut sum: i128 = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(amount) = line_amount(line) else {
            return Err(Invalid(vec![
                FieldError::new(&format!("lines[{i}].quantity"), "amount_too_large").with("max", Money::MAX.grouped()),
            ]));
        };
        sum += amount.0 as i128;
        amounts.push(amount);
    }
    if sum.unsigned_abs() > MAX_MINOR as u128 {
        return Err(Invalid::one("lines", "total_too_large"));
    }
    Ok((amounts, Money(sum as i64)))
}

/// A purchase order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurchaseStatus {
    Draft,
    Ordered,
    PartiallyReceived,
    Received,
    Cancelled,
}

impl PurchaseStatus {
    pub const ALL: [PurchaseStatus; 5] = [
        PurchaseStatus::Draft,
        PurchaseStatus::Ordered,
        PurchaseStatus::PartiallyReceived,
        PurchaseStatus::Received,
        PurchaseStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PurchaseStatus::Draft => "draft",
            PurchaseStatus::Ordered => "ordered",
            PurchaseStatus::PartiallyReceived => "partially_received",
            PurchaseStatus::Received => "received",
            PurchaseStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<PurchaseStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Supplier, lines, dates and notes change only while a draft.
    pub fn editable(self) -> bool {
        self == PurchaseStatus::Draft
    }

    /// Goods may arrive against the order.
    pub fn receivable(self) -> bool {
        matches!(self, PurchaseStatus::Ordered | PurchaseStatus::PartiallyReceived)
    }
}

/// What can be done to a purchase order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseAction {
    /// Sent to the supplier: the lines are final.
    Order,
    /// Goods arrived (some or all).
    Receive,
    Cancel,
}

impl PurchaseAction {
    pub fn code(self) -> &'static str {
        match self {
            PurchaseAction::Order => "order",
            PurchaseAction::Receive => "receive",
            PurchaseAction::Cancel => "cancel",
        }
    }
}

/// The action is not possible in the order's state (409 with both named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a purchase order that is {} cannot be {}", .status.code(), .action.code())]
pub struct NotAllowed {
    pub status: PurchaseStatus,
    pub action: PurchaseAction,
}

/// Where an action takes a purchase order. `fully_received` decides a
/// receipt (every line received in full after it). Cancelling is possible
/// until the first goods arrive.
pub fn transition(
    status: PurchaseStatus,
    action: PurchaseAction,
    fully_received: bool,
) -> Result<PurchaseStatus, NotAllowed> {
    use PurchaseAction as A;
    use PurchaseStatus as S;
    let next = match (status, action) {
        (S::Draft, A::Order) => S::Ordered,
        (S::Ordered | S::PartiallyReceived, A::Receive) if fully_received => S::Received,
        (S::Ordered | S::PartiallyReceived, A::Receive) => S::PartiallyReceived,
        (S::Draft | S::Ordered, A::Cancel) => S::Cancelled,
        _ => return Err(NotAllowed { status, action }),
    };
    Ok(next)
}

/// A receipt against a line: more than zero and at most what is still
/// outstanding (ordered less received). `Err` holds what is outstanding.
pub fn check_receipt(ordered: Quantity, received: Quantity, quantity: Quantity) -> Result<(), Quantity> {
    let outstanding = ordered - received;
    if quantity.is_positive() && quantity <= outstanding { Ok(()) } else { Err(outstanding) }
}

/// Whether every line (ordered, received) is received in full.
pub fn fully_received(lines: &[(Quantity, Quantity)]) -> bool {
    lines.iter().all(|(ordered, received)| received >= ordered)
}

/// A purchase order's number: `PO-2026-000123`.
pub fn number(year: i32, sequence: i64) -> String {
    crate::orders::document_number(NUMBER_PREFIX, year, sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    fn line(quantity: &str, cost: &str) -> Line {
        Line { quantity: q(quantity), unit_cost: Money::parse_strict(cost).unwrap() }
    }

    #[test]
    fn a_purchase_order_moves_only_along_its_life_cycle() {
        use PurchaseAction as A;
        use PurchaseStatus as S;
        assert_eq!(transition(S::Draft, A::Order, false), Ok(S::Ordered));
        assert_eq!(transition(S::Ordered, A::Receive, false), Ok(S::PartiallyReceived));
        assert_eq!(transition(S::PartiallyReceived, A::Receive, false), Ok(S::PartiallyReceived));
        assert_eq!(transition(S::PartiallyReceived, A::Receive, true), Ok(S::Received));
        assert_eq!(transition(S::Ordered, A::Receive, true), Ok(S::Received));
        assert_eq!(transition(S::Draft, A::Cancel, false), Ok(S::Cancelled));
        assert_eq!(transition(S::Ordered, A::Cancel, false), Ok(S::Cancelled));
        // Out of turn: refused with both named.
        let refused = transition(S::Draft, A::Receive, false).unwrap_err();
        assert_eq!(refused.to_string(), "a purchase order that is draft cannot be receive");
        assert!(transition(S::Ordered, A::Order, false).is_err());
        assert!(transition(S::PartiallyReceived, A::Cancel, false).is_err());
        assert!(transition(S::Received, A::Receive, true).is_err());
        assert!(transition(S::Received, A::Cancel, false).is_err());
        assert!(transition(S::Cancelled, A::Order, false).is_err());
        for s in PurchaseStatus::ALL {
            assert_eq!(PurchaseStatus::parse(s.code()), Some(s));
        }
        assert!(S::Draft.editable() && !S::Ordered.editable());
        assert!(S::Ordered.receivable() && S::PartiallyReceived.receivable());
        assert!(!S::Draft.receivable() && !S::Received.receivable() && !S::Cancelled.receivable());
    }

    #[test]
    fn receipts_stay_within_what_is_outstanding() {
        assert_eq!(check_receipt(q("10"), q("4"), q("6")), Ok(()));
        assert_eq!(check_receipt(q("10"), q("4"), q("0.5")), Ok(()));
        assert_eq!(check_receipt(q("10"), q("4"), q("6.001")), Err(q("6")));
        assert_eq!(check_receipt(q("10"), q("4"), q("0")), Err(q("6")));
        assert_eq!(check_receipt(q("10"), q("4"), q("-1")), Err(q("6")));
        assert_eq!(check_receipt(q("10"), q("10"), q("1")), Err(q("0")));
        assert!(fully_received(&[(q("10"), q("10")), (q("2.5"), q("2.5"))]));
        assert!(!fully_received(&[(q("10"), q("10")), (q("2.5"), q("2"))]));
    }

    #[test]
    fn totals_add_the_lines_rounded_to_the_cent() {
        // 3 × 1,999.99 = 5,999.97; 2.5 × 0.33 = 0.825 → 0.83.
        let (amounts, total) = totals(&[line("3", "1999.99"), line("2.5", "0.33")]).unwrap();
        assert_eq!(amounts, [Money(599_997), Money(83)]);
        assert_eq!(total, Money(600_080));
        assert_eq!(line_amount(&line("0.001", "0.01")), Some(Money(0)));
    }

    #[test]
    fn bad_lines_are_refused_field_by_field() {
        let mut bad = line("1", "10");
        bad.quantity = Quantity(0);
        bad.unit_cost = Money(-1);
        let invalid = totals(&[line("1", "10"), bad]).unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(fields, [("lines[1].quantity", "must_be_positive"), ("lines[1].unit_cost", "must_not_be_negative")]);
        assert_eq!(totals(&[]).unwrap_err().0[0].code, "required");
        let many = vec![line("1", "1"); LINES_MAX + 1];
        assert_eq!(totals(&many).unwrap_err().0[0].code, "too_many");
        let huge = line("1000000000", "10000000000000");
        assert_eq!(totals(&[huge]).unwrap_err().0[0].code, "amount_too_large");
        let big = line("1", "9000000000000");
        assert_eq!(totals(&[big, big]).unwrap_err().0[0].code, "total_too_large");
    }

    #[test]
    fn suppliers_need_a_name_and_well_formed_details() {
        let ok = SupplierText {
            name: "上海精密机械有限公司",
            phone: "021-6234 5678",
            email: "sales@jm.cn",
            ..Default::default()
        };
        assert!(check_supplier(&ok).is_empty());
        let bad = SupplierText { name: " ", phone: "call me", email: "nope", ..Default::default() };
        let codes: Vec<_> = check_supplier(&bad).0.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect();
        assert_eq!(codes, ["name:required", "phone:invalid_phone", "email:invalid_email"]);
        let long = "x".repeat(NOTES_MAX + 1);
        let bad = SupplierText { name: "A", notes: &long, ..Default::default() };
        assert_eq!(check_supplier(&bad).0[0].code, "too_long");
    }

    #[test]
    fn numbers_have_the_po_prefix() {
        assert_eq!(number(2026, 42), "PO-2026-000042");
    }
}

//! Return orders (退货): goods a customer sends back against a sales order
//! that shipped them.
//!
//! A return is registered as a draft (its lines take their quantities off
//! what may still be returned at once, so two returns never promise the
//! same goods back), received into a warehouse (the goods are back in
//! stock), then completed once the refund is settled; a draft may be
//! cancelled, which gives its quantities back. A line returns at most what
//! its order line shipped less what earlier returns took.
//!
//! The refund of a line is its share of what the customer paid for the
//! order line (the line's total with tax, after discount), so returning a
//! line in parts refunds exactly its total in the end: the share of the
//! quantity returned so far, rounded to the cent, less the share before.

use crate::money::Money;
use crate::orders::OrderStatus;
use crate::quantity::{Quantity, div_round};

/// The document number's prefix: `RT-2026-000123`.
pub const NUMBER_PREFIX: &str = "RT";
/// The longest reason.
pub const REASON_MAX: usize = 500;
/// Lines one return may hold.
pub const LINES_MAX: usize = 200;

/// A return's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnStatus {
    /// Registered; the goods are on their way back.
    Draft,
    /// The goods are back in stock.
    Received,
    /// The refund is settled.
    Completed,
    Cancelled,
}

impl ReturnStatus {
    pub const ALL: [ReturnStatus; 4] =
        [ReturnStatus::Draft, ReturnStatus::Received, ReturnStatus::Completed, ReturnStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            ReturnStatus::Draft => "draft",
            ReturnStatus::Received => "received",
            ReturnStatus::Completed => "completed",
            ReturnStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<ReturnStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the return's quantities count against what may be returned.
    pub fn takes_quantity(self) -> bool {
        self != ReturnStatus::Cancelled
    }
}

/// What can be done to a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnAction {
    /// The goods arrived: back into stock.
    Receive,
    /// The refund is paid.
    Complete,
    Cancel,
}

impl ReturnAction {
    pub fn code(self) -> &'static str {
        match self {
            ReturnAction::Receive => "receive",
            ReturnAction::Complete => "complete",
            ReturnAction::Cancel => "cancel",
        }
    }

    pub fn parse(code: &str) -> Option<ReturnAction> {
        [ReturnAction::Receive, ReturnAction::Complete, ReturnAction::Cancel].into_iter().find(|a| a.code() == code)
    }
}

/// The action is not possible in the return's state (409 with both named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a return that is {} cannot be {}", .status.code(), .action.code())]
pub struct NotAllowed {
    pub status: ReturnStatus,
    pub action: ReturnAction,
}

/// Where an action takes a return: draft → received → completed; only a
/// draft (nothing back in stock yet) may be cancelled.
pub fn transition(status: ReturnStatus, action: ReturnAction) -> Result<ReturnStatus, NotAllowed> {
    use ReturnAction as A;
    use ReturnStatus as S;
    match (status, action) {
        (S::Draft, A::Receive) => Ok(S::Received),
        (S::Received, A::Complete) => Ok(S::Completed),
        (S::Draft, A::Cancel) => Ok(S::Cancelled),
        _ => Err(NotAllowed { status, action }),
    }
}

/// Goods may come back against an order that shipped some.
pub fn order_returnable(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::PartiallyShipped | OrderStatus::Shipped | OrderStatus::Completed)
}

/// A return of `quantity` against a line that shipped `shipped` of which
/// earlier returns took `returned`: more than zero and at most what is
/// left. `Err` holds what is left.
pub fn check_quantity(shipped: Quantity, returned: Quantity, quantity: Quantity) -> Result<(), Quantity> {
    crate::orders::check_against(shipped, returned, quantity)
}

/// The refund of returning `quantity` of an order line of `ordered` whose
/// total (with tax, after discount) is `line_total`, after earlier returns
/// took `returned_before`: the share of the total for everything returned
/// with this one, rounded to the cent, less the share before it. Returning
/// the whole line, in any parts, refunds exactly its total.
pub fn refund(line_total: Money, ordered: Quantity, returned_before: Quantity, quantity: Quantity) -> Money {
    if ordered.0 <= 0 {
        return Money(0);
    }
    let share = |q: Quantity| div_round(line_total.0 as i128 * q.0 as i128, ordered.0 as i128);
    Money((share(returned_before + quantity) - share(returned_before)) as i64)
}

/// A return's number: `RT-2026-000123`.
pub fn number(year: i32, sequence: i64) -> String {
    crate::orders::document_number(NUMBER_PREFIX, year, sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn a_return_moves_only_along_its_life_cycle() {
        use ReturnAction as A;
        use ReturnStatus as S;
        assert_eq!(transition(S::Draft, A::Receive), Ok(S::Received));
        assert_eq!(transition(S::Received, A::Complete), Ok(S::Completed));
        assert_eq!(transition(S::Draft, A::Cancel), Ok(S::Cancelled));
        let refused = transition(S::Received, A::Cancel).unwrap_err();
        assert_eq!(refused.to_string(), "a return that is received cannot be cancel");
        assert!(transition(S::Draft, A::Complete).is_err());
        assert!(transition(S::Received, A::Receive).is_err());
        assert!(transition(S::Completed, A::Cancel).is_err());
        assert!(transition(S::Cancelled, A::Receive).is_err());
        for s in ReturnStatus::ALL {
            assert_eq!(ReturnStatus::parse(s.code()), Some(s));
        }
        assert_eq!(ReturnAction::parse("receive"), Some(A::Receive));
        assert_eq!(ReturnAction::parse("ship"), None);
        assert!(S::Draft.takes_quantity() && S::Completed.takes_quantity() && !S::Cancelled.takes_quantity());
    }

    #[test]
    fn only_shipped_orders_take_returns() {
        assert!(order_returnable(OrderStatus::PartiallyShipped));
        assert!(order_returnable(OrderStatus::Shipped));
        assert!(order_returnable(OrderStatus::Completed));
        assert!(!order_returnable(OrderStatus::Approved));
        assert!(!order_returnable(OrderStatus::Draft));
        assert!(!order_returnable(OrderStatus::Cancelled));
    }

    #[test]
    fn returns_stay_within_what_shipped_less_what_came_back() {
        // Shipped 6 of 10, 2 returned already: 4 may come back.
        assert_eq!(check_quantity(q("6"), q("2"), q("4")), Ok(()));
        assert_eq!(check_quantity(q("6"), q("2"), q("0.5")), Ok(()));
        assert_eq!(check_quantity(q("6"), q("2"), q("4.001")), Err(q("4")));
        assert_eq!(check_quantity(q("6"), q("2"), q("0")), Err(q("4")));
        assert_eq!(check_quantity(q("6"), q("6"), q("1")), Err(q("0")));
        assert_eq!(check_quantity(q("0"), q("0"), q("1")), Err(q("0")));
    }

    #[test]
    fn refunds_are_the_lines_share_and_add_up_to_its_total() {
        // The order line: 3 × 1,999.99 less 12.5 %, 13 % tax = 5,932.47.
        let total = Money(593_247);
        // One of three: 5,932.47 / 3 = 1,977.49 (1,977.49 exactly).
        assert_eq!(refund(total, q("3"), q("0"), q("1")), Money(197_749));
        // Then the second: 2/3 = 3,954.98 less 1,977.49 = 1,977.49.
        assert_eq!(refund(total, q("3"), q("1"), q("1")), Money(197_749));
        // The last: 5,932.47 less 3,954.98 = 1,977.49; the three add up.
        assert_eq!(refund(total, q("3"), q("2"), q("1")), Money(197_749));
        // 10.00 over 3 units: 3.33, 3.34 (6.67 − 3.33), 3.33 (10.00 − 6.67).
        let ten = Money(1_000);
        let parts = [
            refund(ten, q("3"), q("0"), q("1")),
            refund(ten, q("3"), q("1"), q("1")),
            refund(ten, q("3"), q("2"), q("1")),
        ];
        assert_eq!(parts, [Money(333), Money(334), Money(333)]);
        assert_eq!(parts.iter().map(|m| m.0).sum::<i64>(), 1_000);
        // Half a kilo of 2.5 kg at 0.88 in all: 0.176 → 0.18.
        assert_eq!(refund(Money(88), q("2.5"), q("0"), q("0.5")), Money(18));
        // The whole line at once is its total; a line of nothing refunds nothing.
        assert_eq!(refund(total, q("3"), q("0"), q("3")), total);
        assert_eq!(refund(total, q("0"), q("0"), q("1")), Money(0));
    }

    #[test]
    fn numbers_have_the_rt_prefix() {
        assert_eq!(number(2026, 42), "RT-2026-000042");
    }
}

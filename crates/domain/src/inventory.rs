//! Stock rules: what a product's stock in a warehouse may become.
//!
//! A warehouse holds `on_hand` units of a product, of which `reserved` are
//! promised to approved orders; `available = on_hand − reserved` is what a
//! new order may take. Every change of `on_hand` is a stock movement tied
//! to its source document. The store enforces these same conditions in the
//! `UPDATE … WHERE` that changes a row, so two orders racing for the last
//! units cannot both pass.

use crate::quantity::Quantity;

/// A product's stock in one warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stock {
    pub on_hand: Quantity,
    pub reserved: Quantity,
}

impl Stock {
    pub fn available(self) -> Quantity {
        self.on_hand - self.reserved
    }
}

/// Why stock refused a change: what was available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("only {available} available")]
pub struct Insufficient {
    pub available: Quantity,
}

/// What moved stock, as the stock card lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// Goods received (a purchase order's receipt, or an opening balance).
    Receipt,
    /// Goods issued to a customer (a sales order's shipment).
    Shipment,
    /// Goods a customer sent back (a return order).
    Return,
    /// A count corrected, with a reason.
    Adjustment,
    /// Goods leaving this warehouse for another.
    TransferOut,
    /// Goods arriving from another warehouse.
    TransferIn,
}

impl MovementKind {
    pub const ALL: [MovementKind; 6] = [
        MovementKind::Receipt,
        MovementKind::Shipment,
        MovementKind::Return,
        MovementKind::Adjustment,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Shipment => "shipment",
            MovementKind::Return => "return",
            MovementKind::Adjustment => "adjustment",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
        }
    }

    pub fn parse(code: &str) -> Option<MovementKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether the movement takes goods out (its quantity is stored negative).
    pub fn is_outgoing(self) -> bool {
        matches!(self, MovementKind::Shipment | MovementKind::TransferOut)
    }
}

/// Promising `quantity` to an approved order: it must be available, unless
/// the company allows negative stock.
pub fn reserve(stock: Stock, quantity: Quantity, allow_negative: bool) -> Result<Stock, Insufficient> {
    if !allow_negative && quantity > stock.available() {
        return Err(Insufficient { available: stock.available() });
    }
    Ok(Stock { reserved: stock.reserved + quantity, ..stock })
}

/// Giving back a reservation (an order cancelled, or its rest released).
/// Never below zero: what was never reserved is not released.
pub fn release(stock: Stock, quantity: Quantity) -> Stock {
    Stock { reserved: stock.reserved - quantity.min(stock.reserved), ..stock }
}

/// Shipping `quantity`, of which `was_reserved` was promised to the order:
/// the reservation ends and the goods leave. What was not reserved must be
/// available (unless negative stock is allowed).
pub fn ship(
    stock: Stock,
    quantity: Quantity,
    was_reserved: Quantity,
    allow_negative: bool,
) -> Result<Stock, Insufficient> {
    let from_reservation = was_reserved.min(quantity).min(stock.reserved);
    let unreserved = quantity - from_reservation;
    if !allow_negative && unreserved > stock.available() {
        return Err(Insufficient { available: stock.available() });
    }
    Ok(Stock { on_hand: stock.on_hand - quantity, reserved: stock.reserved - from_reservation })
}

/// A change of the count (a receipt, a return: positive; an adjustment or
/// a transfer out: either sign). Taking out more than is available is
/// refused unless negative stock is allowed.
pub fn change(stock: Stock, delta: Quantity, allow_negative: bool) -> Result<Stock, Insufficient> {
    if !allow_negative && delta.0 < 0 && -delta > stock.available() {
        return Err(Insufficient { available: stock.available() });
    }
    Ok(Stock { on_hand: stock.on_hand + delta, ..stock })
}

/// A product needs reordering when what is available across warehouses
/// has fallen to its reorder point (a point of zero means "not watched").
pub fn is_low(available: Quantity, reorder_point: Quantity) -> bool {
    reorder_point.is_positive() && available <= reorder_point
}

/// What to order to bring a low product back above its reorder point and
/// safety stock: what is missing up to the larger of the two.
pub fn suggested_order(available: Quantity, reorder_point: Quantity, safety_stock: Quantity) -> Quantity {
    let target = if reorder_point > safety_stock { reorder_point } else { safety_stock };
    let missing = target - available;
    if missing.is_positive() { missing } else { Quantity::ZERO }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(units: i64) -> Quantity {
        Quantity::units(units)
    }

    fn stock(on_hand: i64, reserved: i64) -> Stock {
        Stock { on_hand: q(on_hand), reserved: q(reserved) }
    }

    #[test]
    fn reserving_takes_only_what_is_available() {
        assert_eq!(reserve(stock(10, 4), q(6), false), Ok(stock(10, 10)));
        assert_eq!(reserve(stock(10, 4), q(7), false), Err(Insufficient { available: q(6) }));
        assert_eq!(reserve(stock(10, 4), q(7), true), Ok(stock(10, 11)));
        assert_eq!(release(stock(10, 4), q(3)), stock(10, 1));
        assert_eq!(release(stock(10, 4), q(9)), stock(10, 0));
    }

    #[test]
    fn shipping_ends_the_reservation_and_takes_the_goods_out() {
        assert_eq!(ship(stock(10, 6), q(4), q(6), false), Ok(stock(6, 2)));
        // Shipping more than was reserved needs the rest to be available.
        assert_eq!(ship(stock(10, 6), q(8), q(6), false), Ok(stock(2, 0)));
        assert_eq!(ship(stock(10, 6), q(11), q(6), false), Err(Insufficient { available: q(4) }));
    }

    #[test]
    fn counts_never_go_below_zero_unless_allowed() {
        assert_eq!(change(stock(5, 0), q(3), false), Ok(stock(8, 0)));
        assert_eq!(change(stock(5, 2), -q(3), false), Ok(stock(2, 2)));
        assert_eq!(change(stock(5, 2), -q(4), false), Err(Insufficient { available: q(3) }));
        assert_eq!(change(stock(5, 2), -q(9), true), Ok(stock(-4, 2)));
    }

    #[test]
    fn low_stock_and_what_to_order() {
        assert!(is_low(q(5), q(5)));
        assert!(!is_low(q(6), q(5)));
        assert!(!is_low(q(0), q(0)));
        assert_eq!(suggested_order(q(3), q(5), q(8)), q(5));
        assert_eq!(suggested_order(q(9), q(5), q(8)), q(0));
    }

    #[test]
    fn movement_kinds_have_codes() {
        for kind in MovementKind::ALL {
            assert_eq!(MovementKind::parse(kind.code()), Some(kind));
        }
        assert!(MovementKind::Shipment.is_outgoing());
        assert!(!MovementKind::Return.is_outgoing());
    }
}

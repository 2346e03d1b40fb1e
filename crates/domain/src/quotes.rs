//! Quotes (报价): their life cycle, validity, when a discount needs
//! approval, and how two versions of a quote differ line by line.
//!
//! A quote's lines are priced like an order's (`orders::price`): unit
//! prices without tax, tax per line rounded to the cent. A quote goes
//! draft → (pending approval → approved, when the approval rules ask for
//! it) → sent → accepted / rejected; a sent quote past its validity date
//! reads as expired. Editing a sent (or expired) quote makes a new version
//! of it (v2, v3 …); the old ones stay as they were.

use chrono::NaiveDate;

use crate::approvals::{DocumentType, Facts, Rule, required_steps};
use crate::money::Money;
use crate::orders::{Totals, discount_percent};
use crate::quantity::{Percent, Quantity};

/// A quote's state as stored, plus `Expired`, which is never stored: a
/// sent quote whose validity date has passed reads as expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteStatus {
    Draft,
    /// Waiting for its approvers (a discount or amount the rules name).
    PendingApproval,
    /// Approved, not sent yet.
    Approved,
    Sent,
    Accepted,
    Rejected,
    Expired,
}

impl QuoteStatus {
    pub const ALL: [QuoteStatus; 7] = [
        QuoteStatus::Draft,
        QuoteStatus::PendingApproval,
        QuoteStatus::Approved,
        QuoteStatus::Sent,
        QuoteStatus::Accepted,
        QuoteStatus::Rejected,
        QuoteStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "draft",
            QuoteStatus::PendingApproval => "pending_approval",
            QuoteStatus::Approved => "approved",
            QuoteStatus::Sent => "sent",
            QuoteStatus::Accepted => "accepted",
            QuoteStatus::Rejected => "rejected",
            QuoteStatus::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<QuoteStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The status a reader sees: a sent quote past its validity date is expired.
pub fn effective_status(stored: QuoteStatus, valid_until: NaiveDate, today: NaiveDate) -> QuoteStatus {
    if stored == QuoteStatus::Sent && valid_until < today { QuoteStatus::Expired } else { stored }
}

/// What can be done to a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteAction {
    Edit,
    Send,
    Approve,
    RejectApproval,
    Accept,
    Reject,
    Delete,
}

impl QuoteAction {
    pub fn code(self) -> &'static str {
        match self {
            QuoteAction::Edit => "edit",
            QuoteAction::Send => "send",
            QuoteAction::Approve => "approve",
            QuoteAction::RejectApproval => "reject_approval",
            QuoteAction::Accept => "accept",
            QuoteAction::Reject => "reject",
            QuoteAction::Delete => "delete",
        }
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The action is not possible in the quote's state (409).
    #[error("a quote that is {} cannot be {}", .status.code(), .action.code())]
    NotAllowed { status: QuoteStatus, action: QuoteAction },
    /// The validity date has passed: it can be neither sent nor accepted
    /// (422 on `valid_until`).
    #[error("the quote's validity date has passed")]
    Expired,
}

/// Where an edit takes a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// The current version is changed in place (a draft, or an approved
    /// quote not sent yet, whose approval no longer holds: back to draft).
    InPlace,
    /// A new version is made (the quote was sent): the old stays readable.
    NewVersion,
}

/// How an edit is applied, by the quote's status as the reader sees it.
pub fn edit(status: QuoteStatus) -> Result<EditKind, Refused> {
    match status {
        QuoteStatus::Draft | QuoteStatus::Approved => Ok(EditKind::InPlace),
        QuoteStatus::Sent | QuoteStatus::Expired => Ok(EditKind::NewVersion),
        _ => Err(Refused::NotAllowed { status, action: QuoteAction::Edit }),
    }
}

/// Where an action takes a quote. `status` is the effective one (expired
/// already applied); `past_validity` says whether today is after the
/// validity date; `needs_approval` decides a send from a draft.
pub fn transition(
    status: QuoteStatus,
    action: QuoteAction,
    past_validity: bool,
    needs_approval: bool,
) -> Result<QuoteStatus, Refused> {
    use QuoteAction as A;
    use QuoteStatus as S;
    let refused = Err(Refused::NotAllowed { status, action });
    match (status, action) {
        (S::Draft | S::Approved, A::Send) | (S::Sent | S::Expired, A::Accept) if past_validity => Err(Refused::Expired),
        (S::Draft, A::Send) if needs_approval => Ok(S::PendingApproval),
        (S::Draft | S::Approved, A::Send) => Ok(S::Sent),
        (S::PendingApproval, A::Approve) => Ok(S::Approved),
        (S::PendingApproval, A::RejectApproval) => Ok(S::Draft),
        (S::Sent, A::Accept) => Ok(S::Accepted),
        (S::Sent | S::Expired, A::Reject) => Ok(S::Rejected),
        (S::Draft, A::Delete) => Ok(S::Draft),
        (S::Draft | S::Approved | S::Sent | S::Expired, A::Edit) => Ok(S::Draft),
        _ => refused,
    }
}

/// The approval rules' facts of a quote: its total and overall discount.
pub fn facts(totals: &Totals) -> Facts {
    Facts {
        document: DocumentType::Quote,
        amount: totals.total,
        discount: discount_percent(totals),
        over_credit_limit: false,
    }
}

/// Whether the configured rules ask for an approval before the quote is
/// sent (e.g. a discount above the threshold a rule names).
pub fn needs_approval(rules: &[Rule], totals: &Totals) -> bool {
    !required_steps(rules, &facts(totals)).is_empty()
}

// ---------------------------------------------------------------- compare

/// A line as two versions are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareLine {
    pub product_id: i64,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub discount: Percent,
    pub tax_rate: Percent,
    pub total: Money,
}

/// How a line differs between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
    Same,
}

impl Change {
    pub fn code(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
            Change::Same => "same",
        }
    }
}

/// One row of a comparison: the line in the older and the newer version
/// (one of them absent for an added or removed line) and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDiff {
    pub change: Change,
    pub from: Option<CompareLine>,
    pub to: Option<CompareLine>,
    /// The fields that differ: `quantity`, `unit_price`,
    /// `discount_percent`, `tax_rate`, `total`.
    pub fields: Vec<&'static str>,
}

/// Compares two versions' lines: a product's n-th line in one version is
/// paired with its n-th line in the other. Rows follow the newer version's
/// order, removed lines after them in the older version's order.
pub fn compare(from: &[CompareLine], to: &[CompareLine]) -> Vec<LineDiff> {
    let mut used = vec![false; from.len()];
    let mut rows = Vec::with_capacity(from.len().max(to.len()));
    for t in to {
        let found = from.iter().enumerate().position(|(i, f)| !used[i] && f.product_id == t.product_id);
        match found {
            Some(i) => {
                used[i] = true;
                let f = from[i];
                let mut fields = Vec::new();
                if f.quantity != t.quantity {
                    fields.push("quantity");
                }
                if f.unit_price != t.unit_price {
                    fields.push("unit_price");
                }
                if f.discount != t.discount {
                    fields.push("discount_percent");
                }
                if f.tax_rate != t.tax_rate {
                    fields.push("tax_rate");
                }
                if f.total != t.total {
                    fields.push("total");
                }
                let change = if fields.is_empty() { Change::Same } else { Change::Changed };
                rows.push(LineDiff { change, from: Some(f), to: Some(*t), fields });
            }
            None => rows.push(LineDiff { change: Change::Added, from: None, to: Some(*t), fields: Vec::new() }),
        }
    }
    for (i, f) in from.iter().enumerate() {
        if !used[i] {
            rows.push(LineDiff { change: Change::Removed, from: Some(*f), to: None, fields: Vec::new() });
        }
    }
    rows
}

/// The names of the totals that differ between two versions (`gross`,
/// `discount`, `net`, `tax`, `total`).
pub fn totals_changed(from: &Totals, to: &Totals) -> Vec<&'static str> {
    [
        ("gross", from.gross, to.gross),
        ("discount", from.discount, to.discount),
        ("net", from.net, to.net),
        ("tax", from.tax, to.tax),
        ("total", from.total, to.total),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(name, _, _)| name)
    .collect()
}

/// The longest validity a quote may have, in days from today.
pub const MAX_VALID_DAYS: i64 = 366;

/// The validity a new quote gets when none is given.
pub const DEFAULT_VALID_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approvals::Approver;
    use crate::orders::{Line, price};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn line(quantity: &str, price: &str, discount: &str, tax: &str) -> Line {
        Line {
            quantity: Quantity::parse(quantity).unwrap(),
            unit_price: Money::parse_strict(price).unwrap(),
            discount: Percent::parse(discount).unwrap(),
            tax_rate: Percent::parse(tax).unwrap(),
        }
    }

    #[test]
    fn a_quotes_totals_are_its_lines_priced_to_the_cent() {
        // 10 × 1,280.00 = 12,800.00, 15 % off = 1,920.00, net 10,880.00,
        // 13 % tax = 1,414.40, total 12,294.40; plus 2 × 99.90 = 199.80,
        // no discount, 6 % tax = 11.988 → 11.99, total 211.79.
        let (amounts, totals) = price(&[line("10", "1280", "15", "13"), line("2", "99.90", "0", "6")]).unwrap();
        assert_eq!(amounts[0].total, Money(1_229_440));
        assert_eq!(amounts[1].total, Money(21_179));
        assert_eq!(totals.gross, Money(1_299_980));
        assert_eq!(totals.discount, Money(192_000));
        assert_eq!(totals.net, Money(1_107_980));
        assert_eq!(totals.tax, Money(141_440 + 1_199));
        assert_eq!(totals.total, Money(1_229_440 + 21_179));
        // The overall discount: 1,920.00 of 12,999.80 = 14.769… % → 14.77 %.
        assert_eq!(discount_percent(&totals), Percent(1477));
    }

    #[test]
    fn a_discount_above_the_threshold_needs_approval() {
        let rule = Rule {
            document: DocumentType::Quote,
            min_amount: None,
            min_discount: Some(Percent::parse("10").unwrap()),
            over_credit_limit: false,
            steps: vec![Approver::Manager(1)],
        };
        let order_rule = Rule { document: DocumentType::Order, ..rule.clone() };
        let totals = |discount: &str| price(&[line("1", "1000", discount, "13")]).unwrap().1;
        assert!(!needs_approval(std::slice::from_ref(&rule), &totals("9.99")));
        assert!(needs_approval(std::slice::from_ref(&rule), &totals("10")));
        assert!(needs_approval(std::slice::from_ref(&rule), &totals("25")));
        // An order's rule does not apply to quotes; no rule, no approval.
        assert!(!needs_approval(&[order_rule], &totals("25")));
        assert!(!needs_approval(&[], &totals("25")));
        assert_eq!(facts(&totals("25")).amount, Money(84_750));
    }

    #[test]
    fn a_sent_quote_past_its_validity_reads_as_expired() {
        let until = day("2026-12-31");
        assert_eq!(effective_status(QuoteStatus::Sent, until, day("2026-12-31")), QuoteStatus::Sent);
        assert_eq!(effective_status(QuoteStatus::Sent, until, day("2027-01-01")), QuoteStatus::Expired);
        assert_eq!(effective_status(QuoteStatus::Draft, until, day("2027-01-01")), QuoteStatus::Draft);
        assert_eq!(effective_status(QuoteStatus::Accepted, until, day("2027-01-01")), QuoteStatus::Accepted);
        for s in QuoteStatus::ALL {
            assert_eq!(QuoteStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn a_quote_moves_only_along_its_life_cycle() {
        use QuoteAction as A;
        use QuoteStatus as S;
        assert_eq!(transition(S::Draft, A::Send, false, true), Ok(S::PendingApproval));
        assert_eq!(transition(S::Draft, A::Send, false, false), Ok(S::Sent));
        assert_eq!(transition(S::PendingApproval, A::Approve, false, false), Ok(S::Approved));
        assert_eq!(transition(S::PendingApproval, A::RejectApproval, false, false), Ok(S::Draft));
        assert_eq!(transition(S::Approved, A::Send, false, true), Ok(S::Sent));
        assert_eq!(transition(S::Sent, A::Accept, false, false), Ok(S::Accepted));
        assert_eq!(transition(S::Sent, A::Reject, false, false), Ok(S::Rejected));
        assert_eq!(transition(S::Expired, A::Reject, true, false), Ok(S::Rejected));
        // Past the validity date: neither sent nor accepted.
        assert_eq!(transition(S::Draft, A::Send, true, false), Err(Refused::Expired));
        assert_eq!(transition(S::Sent, A::Accept, true, false), Err(Refused::Expired));
        assert_eq!(transition(S::Expired, A::Accept, true, false), Err(Refused::Expired));
        // Out of turn: refused with both named.
        let refused = transition(S::Draft, A::Accept, false, false).unwrap_err();
        assert_eq!(refused.to_string(), "a quote that is draft cannot be accept");
        assert!(transition(S::PendingApproval, A::Send, false, false).is_err());
        assert!(transition(S::Accepted, A::Reject, false, false).is_err());
        assert!(transition(S::Sent, A::Delete, false, false).is_err());
        assert!(transition(S::Rejected, A::Edit, false, false).is_err());
        assert_eq!(edit(S::Draft), Ok(EditKind::InPlace));
        assert_eq!(edit(S::Approved), Ok(EditKind::InPlace));
        assert_eq!(edit(S::Sent), Ok(EditKind::NewVersion));
        assert_eq!(edit(S::Expired), Ok(EditKind::NewVersion));
        assert!(edit(S::PendingApproval).is_err());
        assert!(edit(S::Accepted).is_err());
    }

    fn cl(product_id: i64, quantity: &str, price: &str, discount: &str) -> CompareLine {
        let l = line(quantity, price, discount, "13");
        let total = crate::orders::line_amounts(&l).unwrap().total;
        CompareLine {
            product_id,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount: l.discount,
            tax_rate: l.tax_rate,
            total,
        }
    }

    #[test]
    fn two_versions_compare_line_by_line() {
        let v1 = [cl(1, "10", "100", "0"), cl(2, "5", "20", "0"), cl(3, "1", "50", "0")];
        let v2 = [cl(1, "10", "100", "10"), cl(4, "2", "30", "0"), cl(3, "1", "50", "0")];
        let rows = compare(&v1, &v2);
        let changes: Vec<_> = rows.iter().map(|r| r.change).collect();
        assert_eq!(changes, [Change::Changed, Change::Added, Change::Same, Change::Removed]);
        assert_eq!(rows[0].fields, ["discount_percent", "total"]);
        assert_eq!(rows[3].from.unwrap().product_id, 2);
        assert!(rows[1].from.is_none() && rows[3].to.is_none());
        // The same product twice pairs in order.
        let rows = compare(&[cl(1, "1", "10", "0"), cl(1, "2", "10", "0")], &[cl(1, "2", "10", "0")]);
        assert_eq!(rows.iter().map(|r| r.change).collect::<Vec<_>>(), [Change::Changed, Change::Removed]);
        let a = Totals { total: Money(100), ..Totals::default() };
        let b = Totals { total: Money(90), discount: Money(10), ..Totals::default() };
        assert_eq!(totals_changed(&a, &b), ["discount", "total"]);
        assert!(totals_changed(&a, &a).is_empty());
    }
}

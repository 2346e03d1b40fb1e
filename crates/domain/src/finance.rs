//! Money owed on sales orders (回款): deposits and payments (定金, 收款),
//! collection plans (回款计划) and their instalments' states, invoices
//! (开票), receivables' aging (应收账龄) and the credit a customer uses.
//!
//! Payments apply to a plan's instalments in due-date order, whatever the
//! day they were received: the first instalment is paid first. Whatever
//! the instalments do not cover (an order's total above its plan, or an
//! order without a plan) comes last and ages from the day the order was
//! approved. An instalment ages from its due date.

use chrono::NaiveDate;

use crate::money::Money;
use crate::orders::OrderStatus;
use crate::{FieldError, Invalid};

macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

codes!(
    /// What a receipt of money is: a deposit (定金) before delivery or a payment (收款).
    PaymentKind { Deposit => "deposit", Payment => "payment" }
);

codes!(
    /// How the money came.
    PaymentMethod { BankTransfer => "bank_transfer", Cash => "cash", Cheque => "cheque", Other => "other" }
);

codes!(
    /// 普通发票 (ordinary) or 增值税专用发票 (special VAT invoice).
    InvoiceType { Ordinary => "ordinary", Special => "special" }
);

codes!(
    /// An instalment's state, derived from what was paid.
    InstalmentState { Due => "due", PartlyPaid => "partly_paid", Paid => "paid", Overdue => "overdue" }
);

codes!(
    /// The aging buckets of receivables: days since the amount fell due.
    Bucket { UpTo30 => "0_30", UpTo60 => "31_60", UpTo90 => "61_90", Over90 => "90_plus" }
);

/// Only orders approved or later take payments and invoices (and owe money).
pub fn takes_money(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Approved | OrderStatus::PartiallyShipped | OrderStatus::Shipped | OrderStatus::Completed
    )
}

/// A payment's or an invoice's amount: more than zero and no more than
/// `room` (what is outstanding, or what is not invoiced yet).
/// `too_large_code` names the refusal (`more_than_outstanding`, `more_than_uninvoiced`).
pub fn check_amount(field: &str, amount: Money, room: Money, too_large_code: &str) -> Option<FieldError> {
    if amount.0 <= 0 {
        Some(FieldError::new(field, "must_be_positive"))
    } else if amount > room {
        Some(FieldError::new(field, too_large_code).with("max", room.max(Money(0)).grouped()))
    } else {
        None
    }
}

/// One dated instalment of a collection plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instalment {
    pub due: NaiveDate,
    pub amount: Money,
}

/// A plan's own rules, as field errors under `instalments[i].…`: every
/// amount more than zero, and all of them together no more than the
/// order's total. An empty plan is allowed (it removes the plan).
pub fn check_plan(plan: &[Instalment], order_total: Money) -> Invalid {
    let mut invalid = Invalid::new();
    let mut sum: i128 = 0;
    for (i, p) in plan.iter().enumerate() {
        if p.amount.0 <= 0 {
            invalid.push(FieldError::new(&format!("instalments[{i}].amount"), "must_be_positive"));
        }
        sum += i128::from(p.amount.0);
    }
    if invalid.is_empty() && sum > i128::from(order_total.0) {
        invalid.push(FieldError::new("instalments", "plan_exceeds_total").with("max", order_total.grouped()));
    }
    invalid
}

/// The plan in the order payments apply to it: by due date, then as given.
pub fn in_due_order(plan: &[Instalment]) -> Vec<Instalment> {
    let mut sorted = plan.to_vec();
    sorted.sort_by_key(|p| p.due);
    sorted
}

/// Each instalment's running total (its own amount plus every earlier
/// one's), for a plan already in due order: what the store keeps beside
/// each instalment so that SQL finds its unpaid part without a window.
pub fn running_totals(plan: &[Instalment]) -> Vec<Money> {
    let mut sum = 0i64;
    plan.iter()
        .map(|p| {
            sum = sum.saturating_add(p.amount.0);
            Money(sum)
        })
        .collect()
}

/// What is still unpaid of an instalment of `amount` whose running total
/// is `running`, when `paid` has been paid on the order: payments fill
/// the earlier instalments first. The same formula is written in SQL.
pub fn unpaid_part(amount: Money, running: Money, paid: Money) -> Money {
    Money((running.0 - paid.0).clamp(0, amount.0.max(0)))
}

/// An instalment with what is paid of it and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstalmentStatus {
    pub due: NaiveDate,
    pub amount: Money,
    pub paid: Money,
    pub unpaid: Money,
    pub state: InstalmentState,
}

/// The instalments of a plan (in due order) with `paid` applied to them
/// in that order, on `today`: paid in full → `paid`; otherwise past its
/// due date (from the day after) → `overdue`; something paid → `partly_paid`;
/// else `due`.
pub fn instalment_states(plan: &[Instalment], paid: Money, today: NaiveDate) -> Vec<InstalmentStatus> {
    let plan = in_due_order(plan);
    let running = running_totals(&plan);
    plan.iter()
        .zip(running)
        .map(|(p, run)| {
            let unpaid = unpaid_part(p.amount, run, paid);
            let state = if unpaid.0 == 0 {
                InstalmentState::Paid
            } else if p.due < today {
                InstalmentState::Overdue
            } else if unpaid < p.amount {
                InstalmentState::PartlyPaid
            } else {
                InstalmentState::Due
            };
            InstalmentStatus { due: p.due, amount: p.amount, paid: Money(p.amount.0 - unpaid.0), unpaid, state }
        })
        .collect()
}

/// The bucket of an amount that fell due on `since`, seen on `today`:
/// up to 30 days (amounts not due yet too), 31–60, 61–90, over 90.
pub fn bucket(since: NaiveDate, today: NaiveDate) -> Bucket {
    let days = (today - since).num_days();
    match days {
        ..=30 => Bucket::UpTo30,
        31..=60 => Bucket::UpTo60,
        61..=90 => Bucket::UpTo90,
        _ => Bucket::Over90,
    }
}

/// The first day of each of the three younger buckets, seen on `today`:
/// an amount due on or after `[0]` is in 0–30, on or after `[1]` in
/// 31–60, on or after `[2]` in 61–90, before it over 90. SQL compares
/// dates with these, so that the database never does day arithmetic.
pub fn bucket_starts(today: NaiveDate) -> [NaiveDate; 3] {
    let back = |d: i64| today - chrono::Duration::days(d);
    [back(30), back(60), back(90)]
}

/// Receivables split by age (each bucket a sum, exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aging {
    pub up_to_30: i128,
    pub up_to_60: i128,
    pub up_to_90: i128,
    pub over_90: i128,
}

impl Aging {
    pub fn add(&mut self, bucket: Bucket, amount: Money) {
        let slot = match bucket {
            Bucket::UpTo30 => &mut self.up_to_30,
            Bucket::UpTo60 => &mut self.up_to_60,
            Bucket::UpTo90 => &mut self.up_to_90,
            Bucket::Over90 => &mut self.over_90,
        };
        *slot += i128::from(amount.0);
    }

    pub fn total(&self) -> i128 {
        self.up_to_30 + self.up_to_60 + self.up_to_90 + self.over_90
    }
}

/// The aging of one order: its plan's unpaid parts from their due dates,
/// and what the plan does not cover from `approved` (the order's approval
/// day), with `paid` applied in due order and the remainder last.
pub fn order_aging(total: Money, paid: Money, plan: &[Instalment], approved: NaiveDate, today: NaiveDate) -> Aging {
    let mut aging = Aging::default();
    let states = instalment_states(plan, paid, today);
    let planned: i64 = states.iter().map(|s| s.amount.0).sum();
    for s in &states {
        aging.add(bucket(s.due, today), s.unpaid);
    }
    let rest = unpaid_part(Money(total.0 - planned), total, paid);
    aging.add(bucket(approved, today), rest);
    aging
}

/// What an order still owes: its total less what was paid (never below zero).
pub fn outstanding(total: Money, paid: Money) -> Money {
    Money((total.0 - paid.0).max(0))
}

/// A customer's open receivables: what its approved (or later) orders
/// still owe, given as (status, total, paid).
pub fn open_receivables(orders: &[(OrderStatus, Money, Money)]) -> Money {
    Money(orders.iter().filter(|(s, _, _)| takes_money(*s)).map(|(_, t, p)| outstanding(*t, *p).0).sum())
}

/// A customer's credit: the limit, what is used (open receivables) and
/// what is left (`None` without a limit; below zero when over it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditLine {
    pub limit: Option<Money>,
    pub used: Money,
    pub available: Option<Money>,
}

pub fn credit_line(limit: Option<Money>, used: Money) -> CreditLine {
    CreditLine { limit, used, available: limit.map(|l| Money(l.0 - used.0)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::credit;

    fn day(s: &str) -> NaiveDate {
        crate::time::parse_day(s).unwrap()
    }

    fn yuan(y: i64) -> Money {
        Money(y * 100)
    }

    fn plan() -> Vec<Instalment> {
        // Given out of order: 30 % on signing, 60 % on delivery, 10 % after acceptance.
        vec![
            Instalment { due: day("2026-03-31"), amount: yuan(60_000) },
            Instalment { due: day("2026-01-15"), amount: yuan(30_000) },
            Instalment { due: day("2026-06-30"), amount: yuan(10_000) },
        ]
    }

    #[test]
    fn payments_fill_instalments_in_due_order() {
        // 45,000 paid on 2026-04-10: the January 30,000 in full, then 15,000
        // of the March 60,000 (45,000 unpaid, past due → overdue); June untouched.
        let s = instalment_states(&plan(), yuan(45_000), day("2026-04-10"));
        assert_eq!(s[0].due, day("2026-01-15"));
        assert_eq!((s[0].paid, s[0].unpaid, s[0].state), (yuan(30_000), yuan(0), InstalmentState::Paid));
        assert_eq!((s[1].paid, s[1].unpaid, s[1].state), (yuan(15_000), yuan(45_000), InstalmentState::Overdue));
        assert_eq!((s[2].paid, s[2].unpaid, s[2].state), (yuan(0), yuan(10_000), InstalmentState::Due));
        // The same on 2026-03-31, the March due date itself: partly paid, not overdue yet.
        let s = instalment_states(&plan(), yuan(45_000), day("2026-03-31"));
        assert_eq!(s[1].state, InstalmentState::PartlyPaid);
        // Overdue from the day after.
        let s = instalment_states(&plan(), yuan(45_000), day("2026-04-01"));
        assert_eq!(s[1].state, InstalmentState::Overdue);
        // Everything paid: all paid, whatever the day.
        let s = instalment_states(&plan(), yuan(100_000), day("2027-01-01"));
        assert!(s.iter().all(|s| s.state == InstalmentState::Paid));
    }

    #[test]
    fn running_totals_give_the_unpaid_part() {
        let sorted = in_due_order(&plan());
        assert_eq!(running_totals(&sorted), [yuan(30_000), yuan(90_000), yuan(100_000)]);
        // Paid 45,000: first 0 unpaid, second min(60,000, 90,000 − 45,000) = 45,000, third 10,000.
        assert_eq!(unpaid_part(yuan(30_000), yuan(30_000), yuan(45_000)), yuan(0));
        assert_eq!(unpaid_part(yuan(60_000), yuan(90_000), yuan(45_000)), yuan(45_000));
        assert_eq!(unpaid_part(yuan(10_000), yuan(100_000), yuan(45_000)), yuan(10_000));
        assert_eq!(unpaid_part(yuan(10_000), yuan(100_000), yuan(0)), yuan(10_000));
    }

    #[test]
    fn a_plan_may_not_exceed_the_order() {
        assert!(check_plan(&plan(), yuan(100_000)).is_empty());
        assert!(check_plan(&[], yuan(0)).is_empty());
        let over = check_plan(&plan(), Money(9_999_999));
        assert_eq!(over.0[0].field, "instalments");
        assert_eq!(over.0[0].code, "plan_exceeds_total");
        assert_eq!(over.0[0].params[0].1, "99,999.99");
        let mut bad = plan();
        bad[2].amount = Money(0);
        assert_eq!(check_plan(&bad, yuan(100_000)).0[0].field, "instalments[2].amount");
    }

    #[test]
    fn amounts_stay_within_their_room() {
        assert_eq!(check_amount("amount", yuan(10), yuan(10), "more_than_outstanding"), None);
        let e = check_amount("amount", Money(1001), yuan(10), "more_than_outstanding").unwrap();
        assert_eq!((e.code.as_str(), e.params[0].1.as_str()), ("more_than_outstanding", "10.00"));
        assert_eq!(check_amount("amount", Money(0), yuan(10), "x").unwrap().code, "must_be_positive");
        assert_eq!(check_amount("amount", Money(-5), yuan(10), "x").unwrap().code, "must_be_positive");
        for s in OrderStatus::ALL {
            let open = !matches!(
                s,
                OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::Rejected | OrderStatus::Cancelled
            );
            assert_eq!(takes_money(s), open, "{s:?}");
        }
    }

    #[test]
    fn buckets_count_whole_days_since_due() {
        let today = day("2026-12-31");
        assert_eq!(bucket(day("2027-01-31"), today), Bucket::UpTo30); // not due yet
        assert_eq!(bucket(day("2026-12-01"), today), Bucket::UpTo30); // 30 days
        assert_eq!(bucket(day("2026-11-30"), today), Bucket::UpTo60); // 31
        assert_eq!(bucket(day("2026-11-01"), today), Bucket::UpTo60); // 60
        assert_eq!(bucket(day("2026-10-31"), today), Bucket::UpTo90); // 61
        assert_eq!(bucket(day("2026-10-02"), today), Bucket::UpTo90); // 90
        assert_eq!(bucket(day("2026-10-01"), today), Bucket::Over90); // 91
        // The starts SQL compares with agree with the day counts.
        assert_eq!(bucket_starts(today), [day("2026-12-01"), day("2026-11-01"), day("2026-10-02")]);
        for code in ["0_30", "31_60", "61_90", "90_plus"] {
            assert_eq!(Bucket::parse(code).unwrap().code(), code);
        }
    }

    #[test]
    fn an_order_ages_by_its_instalments_and_its_approval() {
        // Order 120,000 approved 2026-01-05, plan of 100,000 as above, 45,000 paid;
        // seen on 2026-07-20: March 45,000 unpaid is 111 days late (90+),
        // June 10,000 is 20 days late (0–30), the unplanned 20,000 ages from
        // 2026-01-05 (196 days: 90+).
        let a = order_aging(yuan(120_000), yuan(45_000), &plan(), day("2026-01-05"), day("2026-07-20"));
        assert_eq!(a.over_90, i128::from(yuan(65_000).0));
        assert_eq!(a.up_to_30, i128::from(yuan(10_000).0));
        assert_eq!((a.up_to_60, a.up_to_90), (0, 0));
        assert_eq!(a.total(), i128::from(yuan(75_000).0));
        // Without a plan: the whole outstanding from the approval day (45 days: 31–60).
        let a = order_aging(yuan(50_000), yuan(20_000), &[], day("2026-06-05"), day("2026-07-20"));
        assert_eq!(a.up_to_60, i128::from(yuan(30_000).0));
        assert_eq!(a.total(), i128::from(yuan(30_000).0));
        // Paid in full: nothing anywhere.
        assert_eq!(order_aging(yuan(120_000), yuan(120_000), &plan(), day("2026-01-05"), day("2027-01-01")).total(), 0);
    }

    #[test]
    fn credit_exposure_counts_what_is_still_owed() {
        // Approved 50,000 with 20,000 paid (30,000 owed), shipped 30,000 unpaid,
        // completed 10,000 paid in full, a draft 99,999 and a cancelled 70,000 owe nothing.
        let orders = [
            (OrderStatus::Approved, yuan(50_000), yuan(20_000)),
            (OrderStatus::Shipped, yuan(30_000), yuan(0)),
            (OrderStatus::Completed, yuan(10_000), yuan(10_000)),
            (OrderStatus::Draft, yuan(99_999), yuan(0)),
            (OrderStatus::Cancelled, yuan(70_000), yuan(0)),
        ];
        let open = open_receivables(&orders);
        assert_eq!(open, yuan(60_000));
        // A new order of 45,000 against a limit of 100,000: exposure 105,000, 5,000 over.
        let c = credit(open, yuan(45_000), Some(yuan(100_000)));
        assert_eq!((c.exposure, c.over_limit), (yuan(105_000), yuan(5_000)));
        // 40,000 instead: 100,000 exactly is within the limit.
        assert_eq!(credit(open, yuan(40_000), Some(yuan(100_000))).over_limit, yuan(0));
        let line = credit_line(Some(yuan(100_000)), open);
        assert_eq!(line.available, Some(yuan(40_000)));
        assert_eq!(credit_line(None, open).available, None);
        assert_eq!(credit_line(Some(yuan(50_000)), open).available, Some(yuan(-10_000)));
    }
}

//! The approval engine's rules, one for every kind of document (quotes,
//! contracts, sales orders, purchase orders; later plans and discounts).
//!
//! An administrator configures rules: a document type, conditions (amount
//! at least, discount at least, credit limit exceeded; every condition set
//! must hold) and the steps that must approve, in order: a role, or the
//! requester's manager chain up to some level. A document that matches no
//! rule needs no approval; one that matches several goes through all their
//! steps, in the rules' order, each step once.

use crate::money::Money;
use crate::quantity::Percent;

/// The kinds of document that may need approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentType {
    Quote,
    Contract,
    Order,
    PurchaseOrder,
}

impl DocumentType {
    pub const ALL: [DocumentType; 4] =
        [DocumentType::Quote, DocumentType::Contract, DocumentType::Order, DocumentType::PurchaseOrder];

    pub fn code(self) -> &'static str {
        match self {
            DocumentType::Quote => "quote",
            DocumentType::Contract => "contract",
            DocumentType::Order => "order",
            DocumentType::PurchaseOrder => "purchase_order",
        }
    }

    pub fn parse(code: &str) -> Option<DocumentType> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
}

/// Who approves a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Approver {
    /// Anyone holding this role (by its code), other than the requester.
    Role(String),
    /// The requester's manager `level` steps up (1: the department's
    /// manager; 2: the manager of the department above, …).
    Manager(u8),
}

/// One configured rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub document: DocumentType,
    /// Matches documents of at least this amount.
    pub min_amount: Option<Money>,
    /// Matches documents whose overall discount is at least this.
    pub min_discount: Option<Percent>,
    /// Matches documents that take the customer over its credit limit.
    pub over_credit_limit: bool,
    /// At least one step.
    pub steps: Vec<Approver>,
}

/// What the rules look at in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub document: DocumentType,
    pub amount: Money,
    pub discount: Percent,
    pub over_credit_limit: bool,
}

impl Rule {
    pub fn matches(&self, facts: &Facts) -> bool {
        self.document == facts.document
            && self.min_amount.is_none_or(|min| facts.amount >= min)
            && self.min_discount.is_none_or(|min| facts.discount >= min)
            && (!self.over_credit_limit || facts.over_credit_limit)
    }

    /// The rule's own checks: at least one step, manager levels 1 to 5,
    /// bounds that make sense.
    pub fn check(&self) -> crate::Invalid {
        let mut invalid = crate::Invalid::new();
        if self.steps.is_empty() {
            invalid.push(crate::FieldError::new("steps", "required"));
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Approver::Manager(level) if !(1..=MAX_MANAGER_LEVEL).contains(level) => invalid.push(
                    crate::FieldError::new(&format!("steps[{i}].level"), "out_of_range")
                        .with("min", 1)
                        .with("max", MAX_MANAGER_LEVEL),
                ),
                Approver::Role(code) if code.trim().is_empty() => {
                    invalid.push(crate::FieldError::new(&format!("steps[{i}].role"), "required"))
                }
                _ => {}
            }
        }
        if self.min_amount.is_some_and(|m| m.0 < 0 || !m.in_range()) {
            invalid.push(crate::FieldError::new("min_amount", "out_of_range"));
        }
        if self.min_discount.is_some_and(|d| !(Percent::ZERO..=Percent::HUNDRED).contains(&d)) {
            invalid.push(crate::FieldError::new("min_discount", "out_of_range").with("min", 0).with("max", 100));
        }
        invalid
    }
}

/// The deepest manager chain a step may name.
pub const MAX_MANAGER_LEVEL: u8 = 5;

/// The steps a document must pass, in order, each once; empty when it
/// needs no approval.
pub fn required_steps(rules: &[Rule], facts: &Facts) -> Vec<Approver> {
    let mut steps: Vec<Approver> = Vec::new();
    for rule in rules.iter().filter(|r| r.matches(facts)) {
        for step in &rule.steps {
            if !steps.contains(step) {
                steps.push(step.clone());
            }
        }
    }
    steps
}

/// A decision on a pending step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
}

/// An approval's state: waiting for its current step, or decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    /// The document was withdrawn or cancelled while waiting.
    Cancelled,
}

impl ApprovalStatus {
    pub const ALL: [ApprovalStatus; 4] =
        [ApprovalStatus::Pending, ApprovalStatus::Approved, ApprovalStatus::Rejected, ApprovalStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<ApprovalStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Why a decision is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    #[error("the approval is no longer pending")]
    NotPending,
    #[error("the caller is not an approver of the current step")]
    NotApprover,
    #[error("nobody approves their own document")]
    OwnDocument,
    #[error("a rejection needs a comment")]
    CommentRequired,
}

/// Whether `decider` may decide the current step. The requester never
/// approves their own document, even when they hold the step's role; a
/// rejection says why.
pub fn check_decision(
    status: ApprovalStatus,
    is_step_approver: bool,
    decider_is_requester: bool,
    decision: Decision,
    comment: Option<&str>,
) -> Result<(), DecisionRefused> {
    if status != ApprovalStatus::Pending {
        return Err(DecisionRefused::NotPending);
    }
    if decider_is_requester {
        return Err(DecisionRefused::OwnDocument);
    }
    if !is_step_approver {
        return Err(DecisionRefused::NotApprover);
    }
    if decision == Decision::Reject && comment.is_none_or(|c| c.trim().is_empty()) {
        return Err(DecisionRefused::CommentRequired);
    }
    Ok(())
}

/// After an approval of step `step` (0-based) of `steps`: the next step,
/// or `None` when that was the last (the document is approved).
pub fn next_step(step: usize, steps: usize) -> Option<usize> {
    (step + 1 < steps).then_some(step + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(amount: i64, discount: i32, over: bool) -> Facts {
        Facts {
            document: DocumentType::Order,
            amount: Money(amount * 100),
            discount: Percent(discount * 100),
            over_credit_limit: over,
        }
    }

    fn rules() -> Vec<Rule> {
        vec![
            // Orders of 100,000 or more: the manager, then the manager's manager.
            Rule {
                document: DocumentType::Order,
                min_amount: Some(Money(10_000_000)),
                min_discount: None,
                over_credit_limit: false,
                steps: vec![Approver::Manager(1), Approver::Manager(2)],
            },
            // A discount of 15 % or more: the manager, then finance.
            Rule {
                document: DocumentType::Order,
                min_amount: None,
                min_discount: Some(Percent(1500)),
                over_credit_limit: false,
                steps: vec![Approver::Manager(1), Approver::Role("finance".into())],
            },
            // Over the credit limit: finance.
            Rule {
                document: DocumentType::Order,
                min_amount: None,
                min_discount: None,
                over_credit_limit: true,
                steps: vec![Approver::Role("finance".into())],
            },
            // Every quote of 50,000 or more: the manager.
            Rule {
                document: DocumentType::Quote,
                min_amount: Some(Money(5_000_000)),
                min_discount: None,
                over_credit_limit: false,
                steps: vec![Approver::Manager(1)],
            },
        ]
    }

    #[test]
    fn a_document_matching_no_rule_needs_no_approval() {
        assert!(required_steps(&rules(), &order(99_999, 14, false)).is_empty());
        // A quote's rule does not apply to an order, nor the other way round.
        let quote = Facts { document: DocumentType::Quote, ..order(60_000, 0, true) };
        assert_eq!(required_steps(&rules(), &quote), [Approver::Manager(1)]);
    }

    #[test]
    fn thresholds_are_inclusive() {
        assert_eq!(required_steps(&rules(), &order(100_000, 0, false)), [Approver::Manager(1), Approver::Manager(2)]);
        assert_eq!(
            required_steps(&rules(), &order(10, 15, false)),
            [Approver::Manager(1), Approver::Role("finance".into())]
        );
    }

    #[test]
    fn several_rules_add_their_steps_each_once_in_order() {
        assert_eq!(
            required_steps(&rules(), &order(200_000, 20, true)),
            [Approver::Manager(1), Approver::Manager(2), Approver::Role("finance".into())]
        );
        assert_eq!(required_steps(&rules(), &order(1, 0, true)), [Approver::Role("finance".into())]);
    }

    #[test]
    fn rules_are_checked_when_configured() {
        let mut rule = rules().remove(0);
        assert!(rule.check().is_empty());
        rule.steps = vec![Approver::Manager(0), Approver::Role(" ".into())];
        rule.min_discount = Some(Percent(10_001));
        let codes: Vec<_> = rule.check().0.into_iter().map(|e| e.field).collect();
        assert_eq!(codes, ["steps[0].level", "steps[1].role", "min_discount"]);
        rule.steps.clear();
        assert_eq!(rule.check().0[0].field, "steps");
    }

    #[test]
    fn decisions_are_checked() {
        use ApprovalStatus::*;
        use Decision::*;
        assert_eq!(check_decision(Pending, true, false, Approve, None), Ok(()));
        assert_eq!(check_decision(Approved, true, false, Approve, None), Err(DecisionRefused::NotPending));
        assert_eq!(check_decision(Pending, true, true, Approve, None), Err(DecisionRefused::OwnDocument));
        assert_eq!(check_decision(Pending, false, false, Approve, None), Err(DecisionRefused::NotApprover));
        assert_eq!(check_decision(Pending, true, false, Reject, Some("  ")), Err(DecisionRefused::CommentRequired));
        assert_eq!(check_decision(Pending, true, false, Reject, Some("价格太低")), Ok(()));
        assert_eq!(next_step(0, 2), Some(1));
        assert_eq!(next_step(1, 2), None);
        for s in ApprovalStatus::ALL {
            assert_eq!(ApprovalStatus::parse(s.code()), Some(s));
        }
        for d in DocumentType::ALL {
            assert_eq!(DocumentType::parse(d.code()), Some(d));
        }
    }
}

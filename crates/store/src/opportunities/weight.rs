//! The weight of a deal in the forecast (the domain's rule), in SQL and in Rust.

use salesflow_domain::opportunities::{self as deal_rules};
use salesflow_domain::pipelines::OpportunityStatus;
use sea_orm::sea_query::{Expr, ExprTrait};

use crate::entity::opportunity;

/// A deal's weight (percent) as SQL over its own table's columns: the
/// domain's rule (`opportunities::weight`) as a `CASE` on the status, for
/// every weighted sum (board, home, list totals, forecast).
pub fn weight_expr() -> Expr {
    let status = || Expr::col(opportunity::Column::Status);
    let mut case: Option<sea_orm::sea_query::CaseStatement> = None;
    for s in OpportunityStatus::ALL {
        if let Some(w) = deal_rules::fixed_weight(s) {
            let cond = status().eq(s.code());
            case = Some(match case {
                None => Expr::case(cond, w),
                Some(c) => c.case(cond, w),
            });
        }
    }
    let probability = Expr::col(opportunity::Column::Probability);
    match case {
        Some(c) => c.finally(probability).into(),
        None => probability,
    }
}

/// The same rule as plain SQL text for hand-written statements: the
/// columns are named as given (`status`, `o.probability`), the status
/// codes are literals (the enum's own codes, no input).
pub fn weight_sql(status: &str, probability: &str) -> String {
    let whens: String = OpportunityStatus::ALL
        .into_iter()
        .filter_map(|s| deal_rules::fixed_weight(s).map(|w| format!(" WHEN {status} = '{}' THEN {w}", s.code())))
        .collect();
    if whens.is_empty() { probability.to_owned() } else { format!("(CASE{whens} ELSE {probability} END)") }
}

/// A deal's weight from its row.
pub fn weight_of(m: &opportunity::Model) -> i32 {
    OpportunityStatus::parse(&m.status).map_or(m.probability, |s| deal_rules::weight(s, m.probability))
}

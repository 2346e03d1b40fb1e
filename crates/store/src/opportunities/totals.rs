//! The totals at the foot of the opportunity list.

use super::*;

/// What the whole filtered list adds up to (not only the page shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpportunityTotals {
    /// Deals in the list.
    pub count: i64,
    /// Σ amount, a plain decimal (`12500.00`); exact however many deals.
    pub amount: String,
    /// Σ amount × probability ÷ 100, rounded once (half away from zero)
    /// as the board's columns are: it can differ by a cent from adding
    /// up the rows' rounded weighted amounts.
    pub weighted_amount: String,
}

/// Per list: count, then the two parts of the amount and of Σ amount × probability.
type SplitTotals = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// The totals of [`list_opportunities`] with the same filter: the same
/// data scope and conditions, summed in SQL in one statement (the sums
/// in two parts each, see `money::split_sum_sql`, so that no number of
/// deals at the maximum overflows either backend). Amounts are summed as
/// stored, whatever their currency.
pub async fn list_totals(store: &Store, actor: &Actor, filter: &OpportunityFilter) -> StoreResult<OpportunityTotals> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let query = filtered(conn, actor, filter, store.now()).await?;
    let amount = || Expr::col(opportunity::Column::Amount);
    let probability = crate::opportunities::weight_expr;
    let row: Option<SplitTotals> = query
        .select_only()
        .column_as(crate::shared::rows(), "n")
        .column_as(amount().div(money::SPLIT).sum().cast_as("bigint"), "amount_high")
        .column_as(amount().modulo(money::SPLIT).sum().cast_as("bigint"), "amount_low")
        .column_as(amount().div(money::SPLIT).mul(probability()).sum().cast_as("bigint"), "weighted_high")
        .column_as(amount().modulo(money::SPLIT).mul(probability()).sum().cast_as("bigint"), "weighted_low")
        .into_tuple()
        .one(conn)
        .await?;
    let (count, amount_high, amount_low, weighted_high, weighted_low) = row.unwrap_or((0, None, None, None, None));
    let joined = |h: Option<i64>, l: Option<i64>| money::join_split_sum(h.unwrap_or(0), l.unwrap_or(0));
    let amount = joined(amount_high, amount_low);
    // Σ amount × probability in hundredths, rounded half away from zero.
    let weighted = joined(weighted_high, weighted_low);
    let weighted = if weighted >= 0 { (weighted + 50) / 100 } else { (weighted - 50) / 100 };
    Ok(OpportunityTotals { count, amount: money::format_wide(amount), weighted_amount: money::format_wide(weighted) })
}

//! Lists of opportunities and the kanban board.

use sea_orm::Condition;

use super::*;
use crate::entity::pipeline_stage;

#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Part of the name, in any script.
    pub q: Option<String>,
    pub pipeline_id: Option<i64>,
    pub stage_id: Option<i64>,
    pub status: Option<String>,
    pub owner_id: Option<i64>,
    /// Owners in this department and those below it.
    pub department_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    pub deleted: bool,
    /// Only these (an export of selected rows).
    pub ids: Option<Vec<i64>>,
    /// Only open deals that are stalled (see `rules::is_stalled`).
    pub stalled: bool,
}

const SORTS: [SortField<opportunity::Column>; 6] = [
    SortField { name: "updated_at", column: opportunity::Column::UpdatedAt },
    SortField { name: "created_at", column: opportunity::Column::CreatedAt },
    SortField { name: "amount", column: opportunity::Column::Amount },
    SortField { name: "name", column: opportunity::Column::Name },
    SortField { name: "closed_at", column: opportunity::Column::ClosedAt },
    SortField { name: "id", column: opportunity::Column::Id },
];

pub(super) async fn filtered<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    filter: &OpportunityFilter,
    now: DateTime<Utc>,
) -> StoreResult<sea_orm::Select<opportunity::Entity>> {
    let mut query = opportunity::Entity::find().filter(actor.scope_condition(opportunity::Column::OwnerId));
    query = if filter.deleted {
        query.filter(opportunity::Column::DeletedAt.is_not_null())
    } else {
        query.filter(opportunity::Column::DeletedAt.is_null())
    };
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(conn, Kind::Opportunity, q).await?
    {
        query = query.filter(opportunity::Column::Id.in_subquery(ids));
    }
    for (column, value) in [
        (opportunity::Column::PipelineId, filter.pipeline_id),
        (opportunity::Column::StageId, filter.stage_id),
        (opportunity::Column::OwnerId, filter.owner_id),
        (opportunity::Column::CustomerId, filter.customer_id),
    ] {
        if let Some(v) = value {
            query = query.filter(column.eq(v));
        }
    }
    if let Some(s) = filter.status.as_deref().and_then(OpportunityStatus::parse) {
        query = query.filter(opportunity::Column::Status.eq(s.code()));
    }
    if let Some(d) = filter.department_id {
        let members = crate::access::department_members(conn, d).await?;
        query = query.filter(opportunity::Column::OwnerId.is_in(members));
    }
    if let Some(from) = filter.close_from {
        query = query.filter(opportunity::Column::ExpectedCloseDate.gte(from));
    }
    if let Some(to) = filter.close_to {
        query = query.filter(opportunity::Column::ExpectedCloseDate.lte(to));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(opportunity::Column::Id.is_in(ids.iter().copied()));
    }
    if filter.stalled {
        query = query
            .filter(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
            .filter(stalled_condition(conn, now).await?);
    }
    Ok(query)
}

/// "An open deal is stalled" (`rules::is_stalled`) as a condition: idle
/// too long, or longer in its stage than the stage's expected days.
pub(crate) async fn stalled_condition<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> StoreResult<Condition> {
    let stages: Vec<(i64, i32)> = pipeline_stage::Entity::find()
        .select_only()
        .column(pipeline_stage::Column::Id)
        .column(pipeline_stage::Column::ExpectedDays)
        .filter(pipeline_stage::Column::ExpectedDays.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    let mut any =
        Condition::any().add(opportunity::Column::LastActivityAt.lte(rules::idle_since(now, DEFAULT_IDLE_DAYS)));
    for (stage, expected) in stages {
        any = any.add(
            Condition::all()
                .add(opportunity::Column::StageId.eq(stage))
                .add(opportunity::Column::StageEnteredAt.lte(rules::overstay_since(now, expected))),
        );
    }
    Ok(any)
}

fn sort_key(o: &opportunity::Model, field: &str) -> (Key, i64) {
    let key = match field {
        "updated_at" => Key::Time(o.updated_at),
        "created_at" => Key::Time(o.created_at),
        "amount" => Key::Int(o.amount),
        "name" => Key::Text(o.name.clone()),
        "closed_at" => Key::Time(o.closed_at.unwrap_or(o.updated_at)),
        _ => Key::Int(o.id),
    };
    (key, o.id)
}

/// Opportunities in the caller's scope. Sort: `-updated_at` (default),
/// `created_at`, `amount`, `name`, `closed_at`, `id`.
pub async fn list_opportunities(
    store: &Store,
    actor: &Actor,
    filter: &OpportunityFilter,
    page: &PageRequest,
) -> StoreResult<Page<OpportunityView>> {
    actor.require(Module::Opportunities, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-updated_at")?;
    let query = filtered(store.reader(), actor, filter, store.now()).await?;
    let rows = keyset.apply(query, opportunity::Column::Id).all(store.reader()).await?;
    let cx = Context::load(store.reader(), &rows).await?;
    let page = keyset.finish(rows, sort_key);
    let now = store.now();
    Ok(page.map(|o| summary(o, &cx, now)))
}

/// One kanban column's figures: open deals in the stage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KanbanColumn {
    pub stage: StageView,
    pub count: i64,
    pub amount: String,
    /// Σ amount × probability.
    pub weighted_amount: String,
    /// The first cards, largest first; `next_cursor` loads more.
    #[schema(value_type = Object)]
    pub cards: Page<OpportunityView>,
}

/// Per stage: count, then the two parts of the amount and of Σ amount × probability.
type SplitTotals = (i64, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// The kanban of a pipeline: for each active stage its open deals' count,
/// amount and weighted amount (one grouped query) and the first cards of
/// every column (one query: each column's own ordered, limited select,
/// joined by `UNION ALL`, so each is served by the board's index). The
/// pipeline, the filter's sub-queries and the cards' names are loaded once
/// for all columns: a fixed number of statements whatever the number of
/// stages. Further cards come from [`kanban_cards`].
pub async fn kanban(
    store: &Store,
    actor: &Actor,
    pipeline_id: i64,
    filter: &OpportunityFilter,
    cards_per_column: u64,
) -> StoreResult<Vec<KanbanColumn>> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let pipeline = load_one(conn, pipeline_id).await?;
    let mut filter = filter.clone();
    filter.pipeline_id = Some(pipeline_id);
    filter.status = Some(OpportunityStatus::Open.code().to_owned());
    filter.stage_id = None;
    let open = filtered(conn, actor, &filter, store.now()).await?;
    // Sums in two parts each (see `money::split_sum_sql`): a column of
    // deals at the maximum amount cannot overflow either backend.
    let amount = || Expr::col(opportunity::Column::Amount);
    // Σ amount × probability as Σ (amount / D) × p and Σ (amount % D) × p:
    // no row's product overflows, even an amount stored before the maximum.
    let probability = crate::opportunities::weight_expr;
    let high = |e: Expr| e.div(money::SPLIT).sum().cast_as("bigint");
    let low = |e: Expr| e.modulo(money::SPLIT).sum().cast_as("bigint");
    let weighted_high = amount().div(money::SPLIT).mul(probability()).sum().cast_as("bigint");
    let weighted_low = amount().modulo(money::SPLIT).mul(probability()).sum().cast_as("bigint");
    let totals: Vec<SplitTotals> = open
        .clone()
        .select_only()
        .column(opportunity::Column::StageId)
        .column_as(crate::shared::rows(), "n")
        .column_as(high(amount()), "amount_high")
        .column_as(low(amount()), "amount_low")
        .column_as(weighted_high, "weighted_high")
        .column_as(weighted_low, "weighted_low")
        .group_by(opportunity::Column::StageId)
        .into_tuple()
        .all(conn)
        .await?;
    // The same page request as `kanban_cards` makes for a first page.
    let page = PageRequest { limit: Some(cards_per_column), cursor: None, sort: Some(CARD_SORT.to_owned()) };
    let keyset = Keyset::parse(&page, &SORTS, CARD_SORT)?;
    let stages: Vec<&StageView> = pipeline.active_stages().collect();
    let columns = stages.iter().map(|stage| {
        keyset
            .apply(open.clone().filter(opportunity::Column::StageId.eq(stage.id)), opportunity::Column::Id)
            .into_query()
    });
    let rows = match crate::shared::union_all(columns) {
        Some(u) => opportunity::Entity::find().from_raw_sql(conn.get_database_backend().build(&u)).all(conn).await?,
        None => Vec::new(),
    };
    let cx = Context::load_with(conn, &rows, Some(std::slice::from_ref(&pipeline))).await?;
    let mut by_stage: HashMap<i64, Vec<opportunity::Model>> = HashMap::new();
    for row in rows {
        by_stage.entry(row.stage_id).or_default().push(row);
    }
    let now = store.now();
    let mut columns = Vec::new();
    for stage in stages {
        let (count, amount, weighted) = totals.iter().find(|t| t.0 == stage.id).map_or((0, 0, 0), |t| {
            let joined = |h: Option<i64>, l: Option<i64>| money::join_split_sum(h.unwrap_or(0), l.unwrap_or(0));
            (t.1, joined(t.2, t.3), joined(t.4, t.5))
        });
        // Σ amount × probability in hundredths, rounded half away from zero.
        let weighted = if weighted >= 0 { (weighted + 50) / 100 } else { (weighted - 50) / 100 };
        let mut cards = by_stage.remove(&stage.id).unwrap_or_default();
        // A compound query's order is not guaranteed: largest first again.
        cards.sort_by(|a, b| b.amount.cmp(&a.amount).then(b.id.cmp(&a.id)));
        let cards = keyset.finish(cards, sort_key).map(|o| summary(o, &cx, now));
        columns.push(KanbanColumn {
            stage: stage.clone(),
            count,
            amount: money::format_wide(amount),
            weighted_amount: money::format_wide(weighted),
            cards,
        });
    }
    Ok(columns)
}

/// Cards of a column: largest first.
const CARD_SORT: &str = "-amount";

/// More cards of one kanban column (open deals of a stage), largest first.
pub async fn kanban_cards(
    store: &Store,
    actor: &Actor,
    stage_id: i64,
    filter: &OpportunityFilter,
    page: &PageRequest,
) -> StoreResult<Page<OpportunityView>> {
    actor.require(Module::Opportunities, Action::View)?;
    let mut filter = filter.clone();
    filter.stage_id = Some(stage_id);
    filter.status = Some(OpportunityStatus::Open.code().to_owned());
    let page = PageRequest { sort: Some(CARD_SORT.to_owned()), ..page.clone() };
    list_opportunities(store, actor, &filter, &page).await
}

/// Open opportunities of a customer (its page), largest first.
pub async fn of_customer(store: &Store, actor: &Actor, customer_id: i64) -> StoreResult<Vec<OpportunityView>> {
    let filter = OpportunityFilter { customer_id: Some(customer_id), ..Default::default() };
    let page = PageRequest { limit: Some(100), cursor: None, sort: Some("-updated_at".to_owned()) };
    Ok(list_opportunities(store, actor, &filter, &page).await?.items)
}

/// Hands every open opportunity of `from` to `to` (a transfer when someone
/// leaves), each with an owner change in its history; the current stays
/// count for the new owner from now on.
/// The opportunities of `from` a hand-over would move: open ones (all, or
/// those of `only`, or those of `customers`).
pub(crate) async fn handover_ids<C: ConnectionTrait>(
    conn: &C,
    from: i64,
    only: Option<&[i64]>,
    customers: Option<&[i64]>,
) -> StoreResult<Vec<i64>> {
    let mut query = opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Id)
        .filter(opportunity::Column::OwnerId.eq(from))
        .filter(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
        .filter(opportunity::Column::DeletedAt.is_null())
        .order_by_asc(opportunity::Column::Id);
    if let Some(ids) = only {
        query = query.filter(opportunity::Column::Id.is_in(ids.iter().copied()));
    }
    let mut found: Vec<i64> = Vec::new();
    match customers {
        None => found = query.into_tuple().all(conn).await?,
        Some(customers) => {
            for chunk in customers.chunks(500) {
                let part: Vec<i64> = query
                    .clone()
                    .filter(opportunity::Column::CustomerId.is_in(chunk.iter().copied()))
                    .into_tuple()
                    .all(conn)
                    .await?;
                found.extend(part);
            }
            found.sort_unstable();
        }
    }
    Ok(found)
}

/// Gives these opportunities (found by `handover_ids`) of `from` to `to`,
/// with a line in each one's history.
pub(crate) async fn hand_over(conn: &UnitOfWork<'_>, ids: &[i64], from: i64, to: i64) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let now = conn.now();
    let funnel = conn.funnel_begin(ids).await?;
    for chunk in ids.chunks(500) {
        conn.update_all::<opportunity::Entity>(opportunity::Column::Id.is_in(chunk.iter().copied()))
            .set(opportunity::Column::OwnerId, Expr::value(to))
            .exec()
            .await?;
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::OwnerId, Expr::value(to))
            .filter(opportunity_stage::Column::OpportunityId.is_in(chunk.iter().copied()))
            .filter(opportunity_stage::Column::LeftAt.is_null())
            .exec(conn)
            .await?;
    }
    conn.funnel_finish(funnel).await?;
    let names = owner_names(conn, [from, to].into_iter()).await?;
    let rows = ids.iter().map(|id| opportunity_change::ActiveModel {
        opportunity_id: Set(*id),
        field: Set("owner".to_owned()),
        from_value: Set(names.get(&from).cloned()),
        to_value: Set(names.get(&to).cloned()),
        reason: Set(None),
        user_id: Set(conn.actor().user_id),
        at: Set(now),
        ..Default::default()
    });
    opportunity_change::Entity::insert_many(rows).exec(conn).await?;
    Ok(ids.len() as u64)
}

//! The weighted forecast: open deals by expected close period, category
//! and person, beside the deals won in each period (a won deal's close
//! date is the day it was won).

use super::*;

// ---------------------------------------------------------------- weighted forecast

/// Count, amount and weighted amount of one forecast category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryFigures {
    pub count: i64,
    pub amount: String,
    /// Σ amount × probability, each deal rounded to the cent.
    pub weighted: String,
    #[serde(skip)]
    amount_minor: i128,
    #[serde(skip)]
    weighted_minor: i128,
}

impl Default for CategoryFigures {
    fn default() -> Self {
        CategoryFigures { count: 0, amount: money(0), weighted: money(0), amount_minor: 0, weighted_minor: 0 }
    }
}

impl CategoryFigures {
    fn add(&mut self, count: i64, amount: i128, weighted: i128) {
        self.count += count;
        self.amount_minor += amount;
        self.weighted_minor += weighted;
        self.amount = money(self.amount_minor);
        self.weighted = money(self.weighted_minor);
    }

    pub fn amount_minor(&self) -> i128 {
        self.amount_minor
    }

    pub fn weighted_minor(&self) -> i128 {
        self.weighted_minor
    }
}

/// Open deals of one period (or all periods): all, and by category.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ForecastFigures {
    pub total: CategoryFigures,
    /// Probability ≥ 75 %.
    pub commit: CategoryFigures,
    /// 50–74 %.
    pub best_case: CategoryFigures,
    /// Below 50 %.
    pub pipeline: CategoryFigures,
    /// Deals won (closed-won) with their close date in the period: beside
    /// the open pipeline, not part of `total`.
    pub won: CategoryFigures,
}

impl ForecastFigures {
    fn add(&mut self, category: ForecastCategory, count: i64, amount: i128, weighted: i128) {
        self.total.add(count, amount, weighted);
        match category {
            ForecastCategory::Commit => self.commit.add(count, amount, weighted),
            ForecastCategory::BestCase => self.best_case.add(count, amount, weighted),
            ForecastCategory::Pipeline => self.pipeline.add(count, amount, weighted),
        }
    }

    fn add_won(&mut self, count: i64, amount: i128) {
        self.won.add(count, amount, amount);
    }

    pub fn category(&self, category: ForecastCategory) -> &CategoryFigures {
        match category {
            ForecastCategory::Commit => &self.commit,
            ForecastCategory::BestCase => &self.best_case,
            ForecastCategory::Pipeline => &self.pipeline,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastPeriod {
    /// `2026-03` or `2026-Q1`.
    pub key: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub figures: ForecastFigures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonForecast {
    pub owner_id: i64,
    pub owner_name: String,
    /// In the order of [`ForecastReport::periods`].
    pub periods: Vec<ForecastFigures>,
    pub total: ForecastFigures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub pipeline_id: Option<i64>,
    pub currency: String,
    /// The team's figures per period.
    pub periods: Vec<ForecastPeriod>,
    pub people: Vec<PersonForecast>,
    pub total: ForecastFigures,
}

/// The periods `[start, end]` covering `from..=to`, clipped to it.
pub fn periods(from: NaiveDate, to: NaiveDate, group_by: GroupBy) -> Vec<(String, NaiveDate, NaiveDate)> {
    let months = match group_by {
        GroupBy::Month => 1,
        GroupBy::Quarter => 3,
    };
    let first_month = (from.month0() / months) * months;
    let Some(mut start) = NaiveDate::from_ymd_opt(from.year(), first_month + 1, 1) else { return Vec::new() };
    let mut out = Vec::new();
    while start <= to {
        let next = start.checked_add_months(chrono::Months::new(months)).unwrap_or(NaiveDate::MAX);
        let key = match group_by {
            GroupBy::Month => format!("{}-{:02}", start.year(), start.month()),
            GroupBy::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
        };
        let end = next.pred_opt().unwrap_or(next).min(to);
        out.push((key, start.max(from), end));
        start = next;
    }
    out
}

/// Open opportunities by expected close period, per person and for the
/// team: amount, weighted amount, split into commit / best case /
/// pipeline by probability (needs the opportunities `view` right).
#[tracing::instrument(skip_all)]
pub async fn weighted_forecast(store: &Store, actor: &Actor, params: &ForecastParams) -> StoreResult<ForecastReport> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let backend = conn.get_database_backend();
    let mut invalid = Invalid::new();
    check_period(&mut invalid, params.from, params.to);
    if let Some(p) = params.pipeline_id
        && load_stages(conn, p).await?.is_none()
    {
        invalid.push(FieldError::new("pipeline_id", "unknown_reference"));
    }
    let owners = owners(conn, actor, params.selection, &mut invalid).await?;
    invalid.into_result()?;
    let settings = crate::settings::current(conn).await?;
    let buckets = periods(params.from, params.to, params.group_by);

    // The period index as a CASE over the bucket ends (portable), then
    // the status, the period and the filters: one set of values per statement.
    let bind_for = |status: rules::OpportunityStatus| {
        let mut q = Params::new(backend);
        let mut case = String::from("CAST(CASE");
        for (i, (_, _, end)) in buckets.iter().enumerate() {
            case.push_str(&format!(" WHEN expected_close_date <= {} THEN {i}", q.bind(*end)));
        }
        case.push_str(" END AS BIGINT)");
        let status = q.bind(status.code());
        let (from, to) = (q.bind(params.from), q.bind(params.to));
        let mut filter =
            format!(" AND status = {status} AND expected_close_date >= {from} AND expected_close_date <= {to}");
        if let Some(p) = params.pipeline_id {
            filter.push_str(&format!(" AND pipeline_id = {}", q.bind(p)));
        }
        filter.push_str(&owner_filter("owner_id", &owners, &mut q));
        (q, case, filter)
    };
    let (q, case, filter) = bind_for(rules::OpportunityStatus::Open);
    // Each deal's amount × weight rounded to the cent, without the
    // product (an amount stored before the maximum would overflow it):
    // (a / D × p) × D/100 + (a % D × p + 50) / 100, as D is a multiple of
    // 100 and amounts are not negative.
    let d = salesflow_domain::money::SPLIT;
    let w = crate::opportunities::weight_sql("status", "probability");
    let sql = format!(
        "SELECT {case}, owner_id, {w}, COUNT(*), {}, \
         CAST(SUM((amount / {d}) * {w}) AS BIGINT), \
         CAST(SUM(((amount % {d}) * {w} + 50) / 100) AS BIGINT) \
         FROM opportunities WHERE deleted_at IS NULL{filter} \
         GROUP BY 1, 2, 3",
        split_sum_sql("amount"),
    );

    let mut team: Vec<ForecastFigures> = vec![ForecastFigures::default(); buckets.len()];
    let mut by_person: BTreeMap<i64, Vec<ForecastFigures>> = BTreeMap::new();
    let mut total = ForecastFigures::default();
    for row in conn.query_all_raw(q.statement(sql)).await? {
        let Ok(bucket) = usize::try_from(int(&row, 0)?) else { continue };
        let owner = int(&row, 1)?;
        let probability: i32 = row.try_get_by_index(2)?;
        let weighted =
            i128::from(int(&row, 6)?) * i128::from(salesflow_domain::money::SPLIT / 100) + i128::from(int(&row, 7)?);
        let (count, amount) = (int(&row, 3)?, wide(&row, 4)?);
        let category = ForecastCategory::of(probability);
        if let Some(f) = team.get_mut(bucket) {
            f.add(category, count, amount, weighted);
        }
        let mine = by_person.entry(owner).or_insert_with(|| vec![ForecastFigures::default(); buckets.len()]);
        if let Some(f) = mine.get_mut(bucket) {
            f.add(category, count, amount, weighted);
        }
        total.add(category, count, amount, weighted);
    }
    // Closed-won in each period: a won deal's close date is the day won.
    let (q, case, filter) = bind_for(rules::OpportunityStatus::Won);
    let sql = format!(
        "SELECT {case}, owner_id, COUNT(*), {} \
         FROM opportunities WHERE deleted_at IS NULL{filter} \
         GROUP BY 1, 2",
        split_sum_sql("amount"),
    );
    for row in conn.query_all_raw(q.statement(sql)).await? {
        let Ok(bucket) = usize::try_from(int(&row, 0)?) else { continue };
        let owner = int(&row, 1)?;
        let (count, amount) = (int(&row, 2)?, wide(&row, 3)?);
        if let Some(f) = team.get_mut(bucket) {
            f.add_won(count, amount);
        }
        let mine = by_person.entry(owner).or_insert_with(|| vec![ForecastFigures::default(); buckets.len()]);
        if let Some(f) = mine.get_mut(bucket) {
            f.add_won(count, amount);
        }
        total.add_won(count, amount);
    }
    let names = owner_names(conn, by_person.keys().copied()).await?;
    let people = by_person
        .into_iter()
        .map(|(owner, periods)| {
            let mut sum = ForecastFigures::default();
            for p in &periods {
                for c in ForecastCategory::ALL {
                    let f = p.category(c);
                    sum.add(c, f.count, f.amount_minor, f.weighted_minor);
                }
                sum.add_won(p.won.count, p.won.amount_minor);
            }
            PersonForecast {
                owner_id: owner,
                owner_name: names.get(&owner).cloned().unwrap_or_else(|| format!("#{owner}")),
                periods,
                total: sum,
            }
        })
        .collect();
    Ok(ForecastReport {
        from: params.from,
        to: params.to,
        group_by: params.group_by,
        pipeline_id: params.pipeline_id,
        currency: settings.currency,
        periods: buckets
            .into_iter()
            .zip(team)
            .map(|((key, start, end), figures)| ForecastPeriod { key, start, end, figures })
            .collect(),
        people,
        total,
    })
}

//! The funnel report: stays entered, converted and their days per stage and
//! person, closed deals, open and stalled deals, coverage of a target.

use super::*;

// ---------------------------------------------------------------- results

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageFigures {
    pub stage_id: i64,
    pub position: i32,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub retired: bool,
    pub expected_days: Option<i32>,
    /// Stays entered in the period (passed-over stages included).
    pub entered: i64,
    /// Their amount, decimal string.
    pub entered_amount: String,
    /// Of those, how many reached a later stage.
    pub converted: i64,
    /// converted ÷ entered (0–1); null when nothing entered. The last
    /// stage leads nowhere further: its conversion is the win rate
    /// (won ÷ (won + lost), closed in the period).
    pub conversion: Option<f64>,
    /// Whether `conversion` is the win rate (the last active stage).
    pub conversion_is_win_rate: bool,
    /// Open deals in the stage now.
    pub current: i64,
    pub current_amount: String,
    /// Finished, not passed-over stays measured for the days below.
    pub finished: i64,
    pub average_days: Option<f64>,
    /// Median of whole days.
    pub median_days: Option<f64>,
}

/// The key figures of a team or of one person.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct KeyFigures {
    /// Stays entered in the period, all stages together.
    pub entered: i64,
    pub won: i64,
    pub lost: i64,
    pub won_amount: String,
    /// won ÷ (won + lost), closed in the period.
    pub win_rate: Option<f64>,
    /// Won amount ÷ won count, decimal string.
    pub average_deal: Option<String>,
    /// Average days from creation to winning.
    pub cycle_days: Option<f64>,
    pub open_deals: i64,
    pub open_amount: String,
    /// Money a day: open deals × win rate × average deal ÷ cycle days.
    pub velocity: Option<String>,
    pub stalled: i64,
    /// Open amount expected to close in the period.
    pub pipeline_in_period: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bottleneck {
    pub stage_id: i64,
    pub stage_code: String,
    pub conversion: f64,
    pub team_conversion: f64,
    /// Team's conversion minus the person's (0–1).
    pub gap: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonStage {
    pub stage_id: i64,
    pub entered: i64,
    pub converted: i64,
    /// The person's win rate at the last active stage.
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonFigures {
    pub owner_id: i64,
    pub owner_name: String,
    pub figures: KeyFigures,
    /// In the order of [`FunnelReport::stages`].
    pub stages: Vec<PersonStage>,
    pub bottleneck: Option<Bottleneck>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StalledDeal {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub stage_id: i64,
    pub stage_code: String,
    pub amount: String,
    pub days_in_stage: i64,
    pub days_idle: i64,
    /// Over the stage's expected days (else: idle too long).
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    /// Open amount expected to close in the period.
    pub pipeline_amount: String,
    pub target: Option<String>,
    /// pipeline ÷ target; null without a (non-zero) target.
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub pipeline_name_en: String,
    pub currency: String,
    pub idle_days: i64,
    /// In pipeline order.
    pub stages: Vec<StageFigures>,
    pub team: KeyFigures,
    pub coverage: Coverage,
    pub people: Vec<PersonFigures>,
    /// The first [`STALLED_LISTED`], longest in their stage first.
    pub stalled: Vec<StalledDeal>,
}

#[derive(Default, Clone, Copy)]
struct Open {
    count: i64,
    amount: i128,
}

/// The funnel of one pipeline for a period (needs the opportunities
/// `view` right; figures cover only owners inside the caller's scope).
#[tracing::instrument(skip_all)]
pub async fn funnel(store: &Store, actor: &Actor, params: &FunnelParams) -> StoreResult<FunnelReport> {
    report(store, actor, params, Source::Summary).await
}

/// The funnel counted from the stays and deals themselves, never from the
/// summary: the reference the summary is tested against.
#[doc(hidden)]
pub async fn funnel_from_stays(store: &Store, actor: &Actor, params: &FunnelParams) -> StoreResult<FunnelReport> {
    report(store, actor, params, Source::Stays).await
}

/// Where the figures of stays and closed deals come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The summary when it fits the company's time zone, else the stays.
    Summary,
    Stays,
}

async fn report(store: &Store, actor: &Actor, params: &FunnelParams, source: Source) -> StoreResult<FunnelReport> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let backend = conn.get_database_backend();
    let mut invalid = Invalid::new();
    check_period(&mut invalid, params.from, params.to);
    if params.target.is_some_and(|t| t < 0) {
        invalid.push(FieldError::new("target", "negative"));
    }
    let idle_days = params.idle_days.unwrap_or(DEFAULT_IDLE_DAYS);
    if !(1..=IDLE_DAYS_MAX).contains(&idle_days) {
        invalid.push(FieldError::new("idle_days", "out_of_range").with("min", 1).with("max", IDLE_DAYS_MAX));
    }
    let pipeline: Option<PipelineView> = load_stages(conn, params.pipeline_id).await?;
    if pipeline.is_none() {
        invalid.push(FieldError::new("pipeline_id", "unknown_reference"));
    }
    let owners = owners(conn, actor, params.selection, &mut invalid).await?;
    invalid.into_result()?;
    let pipeline = pipeline.ok_or(StoreError::NotFound)?;
    let (settings, summary_zone) = rollup::settings_and_built_for(conn).await?;
    let (start, end) = bounds(&settings, params.from, params.to);
    let now = store.now();

    // 1. Stays entered in the period, by stage and owner (count, amount,
    //    converted, finished and their days); whole days of the finished
    //    ones per stage, for medians; deals closed in the period, by owner.
    //    From the summary (whole months, and days at the ends) when it is
    //    built for the company's time zone, else from the stays.
    let summary = source == Source::Summary && summary_zone.as_deref() == Some(settings.time_zone.as_str());
    let mut histograms: HashMap<i64, HashMap<i64, i64>> = HashMap::new();
    let (cells, closed) = if summary {
        let parts = rollup::spans(params.from, params.to);
        if owners.is_some() {
            // The summary counts days by owner per month only.
            for p in parts.iter().filter(|p| p.grain == rollup::DAY) {
                let (s, e) = bounds(&settings, p.first, p.last);
                stay_days(conn, params.pipeline_id, s, e, &owners, p.sign, &mut histograms).await?;
            }
        }
        rollup::figures(conn, params.pipeline_id, &parts, &owners, &mut histograms).await?
    } else {
        stay_days(conn, params.pipeline_id, start, end, &owners, 1, &mut histograms).await?;
        (
            stay_cells(conn, params.pipeline_id, start, end, &owners).await?,
            closed_deals(conn, params.pipeline_id, start, end, &owners).await?,
        )
    };

    // 3. Open deals now, by stage and owner: count, amount, amount expected
    //    to close in the period, stalled (over the stage's expected days, or
    //    idle too long), from one covering index; and the longest stalled
    //    by name. The status is written into the SQL, so that the partial
    //    index of open deals by time in stage can serve the second query
    //    (migration m20261129_000011).
    let open_deals = |q: &mut Params| {
        format!(
            "FROM opportunities WHERE pipeline_id = {} AND status = '{}' AND deleted_at IS NULL",
            q.bind(params.pipeline_id),
            rules::OpportunityStatus::Open.code()
        )
    };
    let mut q = Params::new(backend);
    let (from, to) = (q.bind(params.from), q.bind(params.to));
    let stalled_sql = stalled_condition(&pipeline, now, idle_days, &mut q);
    let sql = format!(
        "SELECT stage_id, owner_id, COUNT(*), {}, {}, \
         CAST(SUM(CASE WHEN {stalled_sql} THEN 1 ELSE 0 END) AS BIGINT) \
         {}{} GROUP BY stage_id, owner_id",
        split_sum_sql("amount"),
        split_sum_sql(&format!(
            "CASE WHEN expected_close_date >= {from} AND expected_close_date <= {to} THEN amount ELSE 0 END"
        )),
        open_deals(&mut q),
        owner_filter("owner_id", &owners, &mut q),
    );
    let mut open: HashMap<(i64, i64), Open> = HashMap::new();
    let mut in_period: HashMap<i64, i128> = HashMap::new();
    let mut stalled_by: HashMap<i64, i64> = HashMap::new();
    for row in conn.query_all_raw(q.statement(sql)).await? {
        let (stage, owner) = (int(&row, 0)?, int(&row, 1)?);
        open.insert((stage, owner), Open { count: int(&row, 2)?, amount: wide(&row, 3)? });
        *in_period.entry(owner).or_default() += wide(&row, 5)?;
        let stalled = int(&row, 7)?;
        if stalled > 0 {
            *stalled_by.entry(owner).or_default() += stalled;
        }
    }
    let mut q = Params::new(backend);
    let open_deals = open_deals(&mut q);
    let stalled_sql = stalled_condition(&pipeline, now, idle_days, &mut q);
    let scope = owner_filter("owner_id", &owners, &mut q);
    let sql = format!(
        "SELECT id, name, owner_id, stage_id, amount, stage_entered_at, last_activity_at \
         {open_deals} AND ({stalled_sql}){scope} ORDER BY stage_entered_at, id LIMIT {STALLED_LISTED}"
    );
    let stalled_rows = conn.query_all_raw(q.statement(sql)).await?;

    // Names of everyone who appears.
    let mut people: BTreeSet<i64> = cells.keys().map(|(_, o)| *o).collect();
    people.extend(open.keys().map(|(_, o)| *o));
    people.extend(closed.keys().copied());
    people.extend(stalled_by.keys().copied());
    let mut stalled = Vec::new();
    for row in &stalled_rows {
        people.insert(int(row, 2)?);
    }
    let names = owner_names(conn, people.iter().copied()).await?;
    let name_of = |o: i64| names.get(&o).cloned().unwrap_or_else(|| format!("#{o}"));
    for row in &stalled_rows {
        let stage_id = int(row, 3)?;
        let entered: DateTime<Utc> = row.try_get_by_index(5)?;
        let active: DateTime<Utc> = row.try_get_by_index(6)?;
        let days_in_stage = (now - entered).num_days();
        let expected = pipeline.stage(stage_id).and_then(|s| s.expected_days);
        stalled.push(StalledDeal {
            id: int(row, 0)?,
            name: row.try_get_by_index(1)?,
            owner_id: int(row, 2)?,
            owner_name: name_of(int(row, 2)?),
            stage_id,
            stage_code: pipeline.stage(stage_id).map(|s| s.code.clone()).unwrap_or_default(),
            amount: money(int(row, 4)?.into()),
            days_in_stage,
            days_idle: (now - active).num_days(),
            overdue: expected.is_some_and(|e| days_in_stage > i64::from(e)),
        });
    }

    // Assemble: stages (team), key figures per person and for the team.
    let stage_ids: Vec<i64> = pipeline.stages.iter().map(|s| s.id).collect();
    let team_cell = |stage: i64| {
        cells.iter().filter(|((s, _), _)| *s == stage).fold(Cell::default(), |acc, (_, c)| Cell {
            entered: acc.entered + c.entered,
            amount: acc.amount + c.amount,
            converted: acc.converted + c.converted,
            finished: acc.finished + c.finished,
            days: acc.days + c.days,
        })
    };
    // The last active stage: its conversion is the win rate.
    let last_stage = pipeline.stages.iter().filter(|s| !s.retired).max_by_key(|s| s.position).map(|s| s.id);
    let mut stages: Vec<StageFigures> = pipeline
        .stages
        .iter()
        .map(|s| {
            let c = team_cell(s.id);
            let now_in = open
                .iter()
                .filter(|((st, _), _)| *st == s.id)
                .fold(Open::default(), |a, (_, o)| Open { count: a.count + o.count, amount: a.amount + o.amount });
            StageFigures {
                stage_id: s.id,
                position: s.position,
                code: s.code.clone(),
                name: s.name.clone(),
                name_en: s.name_en.clone(),
                retired: s.retired,
                expected_days: s.expected_days,
                entered: c.entered,
                entered_amount: money(c.amount),
                converted: c.converted,
                conversion: rules::ratio(c.converted, c.entered),
                conversion_is_win_rate: Some(s.id) == last_stage,
                current: now_in.count,
                current_amount: money(now_in.amount),
                finished: c.finished,
                average_days: rules::average(c.days, c.finished),
                median_days: histograms
                    .get(&s.id)
                    .and_then(|h| rules::median_of_histogram(&h.iter().map(|(d, n)| (*d, *n)).collect::<Vec<_>>())),
            }
        })
        .collect();

    let figures_for = |who: Option<i64>| {
        let mine = |o: &i64| who.is_none_or(|w| w == *o);
        let entered = cells.iter().filter(|((_, o), _)| mine(o)).map(|(_, c)| c.entered).sum();
        let c = closed.iter().filter(|(o, _)| mine(o)).fold(Closed::default(), |a, (_, c)| Closed {
            won: a.won + c.won,
            lost: a.lost + c.lost,
            won_amount: a.won_amount + c.won_amount,
            cycle_days: a.cycle_days + c.cycle_days,
        });
        let o = open
            .iter()
            .filter(|((_, o), _)| mine(o))
            .fold(Open::default(), |a, (_, o)| Open { count: a.count + o.count, amount: a.amount + o.amount });
        let win_rate = rules::win_rate(c.won, c.lost);
        let average_deal = rules::average(c.won_amount as f64, c.won);
        let cycle_days = rules::average(c.cycle_days, c.won);
        KeyFigures {
            entered,
            won: c.won,
            lost: c.lost,
            won_amount: money(c.won_amount),
            win_rate,
            average_deal: (c.won > 0).then(|| money(divide_rounded(c.won_amount, c.won))),
            cycle_days,
            open_deals: o.count,
            open_amount: money(o.amount),
            velocity: rules::velocity(o.count, win_rate, average_deal, cycle_days).map(|v| money(v.round() as i128)),
            stalled: stalled_by.iter().filter(|(o, _)| mine(o)).map(|(_, n)| n).sum(),
            pipeline_in_period: money(in_period.iter().filter(|(o, _)| mine(o)).map(|(_, a)| a).sum()),
        }
    };
    let team = figures_for(None);
    for s in stages.iter_mut().filter(|s| s.conversion_is_win_rate) {
        s.conversion = team.win_rate;
    }
    let team_conversions: Vec<Option<f64>> = stages.iter().map(|s| s.conversion).collect();
    let people = people
        .iter()
        .map(|&owner| {
            let figures = figures_for(Some(owner));
            let stages_of: Vec<PersonStage> = stage_ids
                .iter()
                .map(|s| {
                    let c = cells.get(&(*s, owner)).copied().unwrap_or_default();
                    PersonStage {
                        stage_id: *s,
                        entered: c.entered,
                        converted: c.converted,
                        conversion: if Some(*s) == last_stage {
                            figures.win_rate
                        } else {
                            rules::ratio(c.converted, c.entered)
                        },
                    }
                })
                .collect();
            let conversions: Vec<Option<f64>> = stages_of.iter().map(|s| s.conversion).collect();
            let bottleneck = rules::bottleneck(&conversions, &team_conversions).and_then(|(i, gap)| {
                Some(Bottleneck {
                    stage_id: stages.get(i)?.stage_id,
                    stage_code: stages.get(i)?.code.clone(),
                    conversion: conversions.get(i).copied().flatten()?,
                    team_conversion: team_conversions.get(i).copied().flatten()?,
                    gap,
                })
            });
            PersonFigures { owner_id: owner, owner_name: name_of(owner), figures, stages: stages_of, bottleneck }
        })
        .collect();
    let pipeline_amount: i128 = in_period.values().sum();
    Ok(FunnelReport {
        from: params.from,
        to: params.to,
        pipeline_id: pipeline.id,
        pipeline_name: pipeline.name.clone(),
        pipeline_name_en: pipeline.name_en.clone(),
        currency: settings.currency.clone(),
        idle_days,
        stages,
        team,
        coverage: Coverage {
            pipeline_amount: money(pipeline_amount),
            target: params.target.map(|t| money(t.into())),
            ratio: params.target.and_then(|t| rules::coverage(clamp64(pipeline_amount), t)),
        },
        people,
        stalled,
    })
}

/// Stays entered in `[start, end)`, by stage and owner: count, amount,
/// converted, finished and their days.
async fn stay_cells<C: ConnectionTrait>(
    conn: &C,
    pipeline_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owners: &Option<Vec<i64>>,
) -> StoreResult<HashMap<(i64, i64), Cell>> {
    let backend = conn.get_database_backend();
    let days = days_between(backend, "s.left_at", "s.entered_at");
    let mut q = Params::new(backend);
    let finished = format!("s.left_at IS NOT NULL AND s.passed = {}", q.bind(false));
    let (pipeline, start, end) = (q.bind(pipeline_id), q.bind(start), q.bind(end));
    let scope = owner_filter("s.owner_id", owners, &mut q);
    let sql = format!(
        "SELECT s.stage_id, s.owner_id, COUNT(*), {}, \
         SUM(CASE WHEN EXISTS (SELECT 1 FROM opportunity_stages t JOIN pipeline_stages tp ON tp.id = t.stage_id \
             WHERE t.opportunity_id = s.opportunity_id AND t.entered_at >= s.entered_at \
             AND tp.position > sp.position) THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {finished} THEN 1 ELSE 0 END), \
         SUM(CASE WHEN {finished} THEN {days} END) \
         FROM opportunity_stages s \
         JOIN pipeline_stages sp ON sp.id = s.stage_id \
         JOIN opportunities o ON o.id = s.opportunity_id AND o.deleted_at IS NULL \
         WHERE s.pipeline_id = {pipeline} AND s.entered_at >= {start} AND s.entered_at < {end}{scope} \
         GROUP BY s.stage_id, s.owner_id",
        split_sum_sql("s.amount"),
    );
    let mut cells: HashMap<(i64, i64), Cell> = HashMap::new();
    for row in conn.query_all_raw(q.statement(sql)).await? {
        let key = (int(&row, 0)?, int(&row, 1)?);
        cells.insert(
            key,
            Cell {
                entered: int(&row, 2)?,
                amount: wide(&row, 3)?,
                converted: int(&row, 5)?,
                finished: int(&row, 6)?,
                days: float(&row, 7)?,
            },
        );
    }
    Ok(cells)
}

/// Whole days of the finished stays entered in `[start, end)`, per stage,
/// added to `out` (stage → days → stays) `sign` times.
async fn stay_days<C: ConnectionTrait>(
    conn: &C,
    pipeline_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owners: &Option<Vec<i64>>,
    sign: i64,
    out: &mut HashMap<i64, HashMap<i64, i64>>,
) -> StoreResult<()> {
    let backend = conn.get_database_backend();
    let whole = whole_days(backend, "s.left_at", "s.entered_at");
    let mut q = Params::new(backend);
    let (pipeline, start, end, no) = (q.bind(pipeline_id), q.bind(start), q.bind(end), q.bind(false));
    let scope = owner_filter("s.owner_id", owners, &mut q);
    let sql = format!(
        "SELECT s.stage_id, {whole}, COUNT(*) FROM opportunity_stages s \
         JOIN opportunities o ON o.id = s.opportunity_id AND o.deleted_at IS NULL \
         WHERE s.pipeline_id = {pipeline} AND s.entered_at >= {start} AND s.entered_at < {end} \
         AND s.left_at IS NOT NULL AND s.passed = {no}{scope} \
         GROUP BY 1, 2"
    );
    for row in conn.query_all_raw(q.statement(sql)).await? {
        *out.entry(int(&row, 0)?).or_default().entry(int(&row, 1)?).or_default() += sign * int(&row, 2)?;
    }
    Ok(())
}

/// Deals closed in `[start, end)`, by owner; the cycle of the won.
async fn closed_deals<C: ConnectionTrait>(
    conn: &C,
    pipeline_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owners: &Option<Vec<i64>>,
) -> StoreResult<HashMap<i64, Closed>> {
    let backend = conn.get_database_backend();
    let cycle = days_between(backend, "closed_at", "created_at");
    let mut q = Params::new(backend);
    let won = q.bind(rules::OpportunityStatus::Won.code());
    let lost = q.bind(rules::OpportunityStatus::Lost.code());
    let (pipeline, start, end) = (q.bind(pipeline_id), q.bind(start), q.bind(end));
    let scope = owner_filter("owner_id", owners, &mut q);
    let sql = format!(
        "SELECT owner_id, status, COUNT(*), {}, \
         SUM(CASE WHEN status = {won} THEN {cycle} END) \
         FROM opportunities WHERE pipeline_id = {pipeline} AND closed_at >= {start} AND closed_at < {end} \
         AND status IN ({won}, {lost}) AND deleted_at IS NULL{scope} \
         GROUP BY owner_id, status",
        split_sum_sql("amount"),
    );
    let mut closed: HashMap<i64, Closed> = HashMap::new();
    for row in conn.query_all_raw(q.statement(sql)).await? {
        let owner = int(&row, 0)?;
        let status: String = row.try_get_by_index(1)?;
        let c = closed.entry(owner).or_default();
        if rules::OpportunityStatus::parse(&status) == Some(rules::OpportunityStatus::Won) {
            c.won = int(&row, 2)?;
            c.won_amount = wide(&row, 3)?;
            c.cycle_days = float(&row, 5)?;
        } else {
            c.lost = int(&row, 2)?;
        }
    }
    Ok(closed)
}

/// `a ÷ b` rounded half away from zero (b > 0).
pub(super) fn divide_rounded(a: i128, b: i64) -> i128 {
    let b = i128::from(b);
    if a >= 0 { (2 * a + b) / (2 * b) } else { (2 * a - b) / (2 * b) }
}

/// The SQL condition (and its values) of a stalled open deal, as
/// [`rules::is_stalled`] decides it: whole days in the stage above the
/// stage's expected days, or whole idle days at least `idle_days`.
fn stalled_condition(pipeline: &PipelineView, now: DateTime<Utc>, idle_days: i64, q: &mut Params) -> String {
    // The domain's rule as times (`rules::idle_since`, `rules::overstay_since`).
    let mut parts = vec![format!("last_activity_at <= {}", q.bind(rules::idle_since(now, idle_days)))];
    for s in &pipeline.stages {
        if let Some(e) = s.expected_days {
            parts.push(format!(
                "(stage_id = {} AND stage_entered_at <= {})",
                q.bind(s.id),
                q.bind(rules::overstay_since(now, e))
            ));
        }
    }
    parts.join(" OR ")
}

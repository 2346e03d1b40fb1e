//! The calendar of one's tasks and visits.

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(super) struct CalendarQuery {
    /// `month` (default) or `week`.
    pub(super) view: Option<String>,
    /// A day inside the month or week to show; default today.
    pub(super) date: Option<String>,
    pub(super) user_id: Option<i64>,
}

/// One event as the calendar draws it.
pub(super) struct CalItem {
    pub(super) href: String,
    pub(super) title: String,
    pub(super) time: String,
    pub(super) kind: String,
    pub(super) classes: String,
    pub(super) customer: Option<String>,
}

pub(super) struct CalDay {
    pub(super) date: NaiveDate,
    pub(super) number: u32,
    pub(super) weekday: String,
    pub(super) in_month: bool,
    pub(super) today: bool,
    pub(super) items: Vec<CalItem>,
}

#[derive(Template)]
#[template(path = "tasks/calendar.html")]
pub(super) struct CalendarPage {
    pub(super) ctx: PageCtx,
    pub(super) week_view: bool,
    pub(super) title: String,
    pub(super) weekdays: Vec<String>,
    pub(super) weeks: Vec<Vec<CalDay>>,
    pub(super) prev: String,
    pub(super) next: String,
    pub(super) today_link: String,
    pub(super) month_link: String,
    pub(super) week_link: String,
    pub(super) people: Vec<(i64, String)>,
    pub(super) user_id: Option<i64>,
    pub(super) can_create: bool,
    pub(super) empty: bool,
}

impl CalendarPage {
    pub(super) fn person_selected(&self, id: &i64) -> bool {
        self.user_id == Some(*id)
    }
}

pub(super) const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

pub(super) fn item(ctx: &PageCtx, e: CalendarEvent) -> CalItem {
    let mut classes = vec![format!("ev-{}", e.kind)];
    if e.overdue {
        classes.push("overdue".into());
    }
    if e.done {
        classes.push("done".into());
    }
    let time = if e.kind == "task" && e.end.is_some_and(|due| due != e.at) {
        // Due after the range shown: it appears where it starts.
        ctx.t("calendar.starts")
    } else if e.kind == "task" && ctx.settings.local_input(e.at).ends_with("T23:59") {
        String::new()
    } else {
        ctx.time_of(&e.at)
    };
    CalItem {
        href: e.link,
        kind: ctx.t(&format!("calendar.kinds.{}", e.kind)),
        time,
        classes: classes.join(" "),
        customer: e.customer_name,
        title: e.title,
    }
}

pub(super) async fn calendar_page(request: Page, Query(q): Query<CalendarQuery>) -> PageResult {
    let actor = request.actor();
    let ctx = request.ctx("/calendar").await;
    let today = ctx.settings.today(ctx.now);
    let anchor = q.date.as_deref().and_then(salesflow_domain::time::parse_day).unwrap_or(today);
    let week_view = q.view.as_deref() == Some("week");
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let first_of_month = anchor.with_day(1).unwrap_or(anchor);
    let (from, to, prev, next) = if week_view {
        let from = monday(anchor);
        (from, from + Duration::days(6), from - Duration::days(7), from + Duration::days(7))
    } else {
        let next_month = first_of_month.checked_add_months(Months::new(1)).unwrap_or(first_of_month);
        let last = next_month.pred_opt().unwrap_or(first_of_month);
        let from = monday(first_of_month);
        let to = last + Duration::days(6 - i64::from(last.weekday().num_days_from_monday()));
        let prev = first_of_month.checked_sub_months(Months::new(1)).unwrap_or(first_of_month);
        (from, to, prev, next_month)
    };
    let events = tasks::calendar(request.store(), actor, q.user_id, from, to).await?;
    let empty = events.is_empty();
    let mut by_day: HashMap<NaiveDate, Vec<CalItem>> = HashMap::new();
    for e in events {
        let day = local_day(&ctx.settings, e.at);
        by_day.entry(day).or_default().push(item(&ctx, e));
    }
    let weekdays: Vec<String> = WEEKDAYS.iter().map(|d| ctx.t(&format!("calendar.weekdays.{d}"))).collect();
    let mut weeks = Vec::new();
    let mut day = from;
    while day <= to {
        let mut week = Vec::with_capacity(7);
        for weekday in &weekdays {
            week.push(CalDay {
                date: day,
                number: day.day(),
                weekday: weekday.clone(),
                in_month: week_view || day.month() == anchor.month(),
                today: day == today,
                items: by_day.remove(&day).unwrap_or_default(),
            });
            day += Duration::days(1);
        }
        weeks.push(week);
    }
    let title = if week_view {
        format!("{} – {}", ctx.settings.format_date(from), ctx.settings.format_date(to))
    } else {
        ctx.t("calendar.month_title")
            .replace("%{year}", &anchor.year().to_string())
            .replace("%{month}", &ctx.t(&format!("months.{}", anchor.month())))
            .replace("%{num}", &anchor.month().to_string())
    };
    let view = if week_view { "week" } else { "month" };
    let who = q.user_id.map(|u| format!("&user_id={u}")).unwrap_or_default();
    let link = |view: &str, d: NaiveDate| format!("/calendar?view={view}&date={}{who}", d.format("%Y-%m-%d"));
    let people = if actor.scope == DataScope::Own {
        Vec::new()
    } else {
        tasks::assignable_people(request.store(), actor).await.unwrap_or_default()
    };
    let page = CalendarPage {
        week_view,
        title,
        weekdays,
        weeks,
        prev: link(view, prev),
        next: link(view, next),
        today_link: link(view, today),
        month_link: link("month", anchor),
        week_link: link("week", anchor),
        people,
        user_id: q.user_id.or(actor.user_id),
        can_create: actor.can(Module::Customers, Action::Create),
        empty,
        ctx,
    };
    Ok(render(&page.ctx, &page))
}

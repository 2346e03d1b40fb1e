//! The HTML pages: server-rendered askama templates, htmx for partial
//! updates, post/redirect/get with flash messages.

pub(crate) mod access;
mod activities;
pub(crate) mod attachments;
pub(crate) mod audit;
pub(crate) mod auth;
mod categories;
pub(crate) mod clash;
pub(crate) mod comments;
mod contracts;
mod customers;
mod finance;
mod global_search;
mod handover;
pub(crate) mod help;
mod home;
mod imports;
mod inventory;
mod leads;
mod opportunities;
mod orders;
mod page;
pub(crate) mod picklists;
mod pipelines;
mod products;
mod purchasing;
mod quotes;
mod reports;
mod returns;
pub(crate) mod settings;
mod views;
mod warehouses;

mod tasks;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::settings::Settings;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::Actor;

use crate::auth::RequestMeta;
pub use crate::error::page::{PageResult, error_page};
use crate::i18n;
use crate::server::AppState;
use page::Page;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::routes())
        .merge(global_search::routes())
        .merge(help::routes())
        .merge(handover::routes())
        .merge(auth::routes())
        .merge(customers::routes())
        .merge(activities::routes())
        .merge(views::routes())
        .merge(leads::routes())
        .merge(access::routes())
        .merge(audit::routes())
        .merge(settings::routes())
        .merge(picklists::routes())
        .merge(comments::routes())
        .merge(attachments::routes())
        .merge(tasks::routes())
        .merge(reports::routes())
        .merge(imports::routes())
        .merge(opportunities::routes())
        .merge(pipelines::routes())
        .merge(products::routes())
        .merge(inventory::routes())
        .merge(purchasing::routes())
        .merge(orders::routes())
        .merge(quotes::routes())
        .merge(finance::routes())
        .merge(returns::routes())
        .merge(contracts::routes())
        .merge(warehouses::routes())
        .merge(categories::routes())
}

const FLASH_COOKIE: &str = "sf_flash";

/// One entry of the sidebar.
#[derive(Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub icon: &'static str,
    pub active: bool,
}

#[derive(Clone)]
pub struct NavGroup {
    pub label: String,
    pub items: Vec<NavItem>,
}

/// What every page template needs: language, user, navigation, CSRF
/// token, flash message and the settings dates and money render through.
#[derive(Clone)]
pub struct PageCtx {
    pub locale: String,
    pub csrf: String,
    pub user_name: String,
    pub username: String,
    /// The role's name in the reader's language (see `i18n::role_name`).
    pub role: String,
    pub nav: Vec<NavGroup>,
    /// The top bar's "+" menu: what the user may create (empty: no menu).
    pub quick_create: Vec<NavItem>,
    /// The top bar's search box finds records the user may read (a
    /// warehouse clerk sees no customers, leads or deals: no box).
    pub searches: bool,
    pub flash: Option<String>,
    pub settings: Settings,
    pub path: String,
    /// Due reminders not read yet (the bell's count).
    pub notice_count: u64,
    /// The store's clock when the page was built ("3 days ago").
    pub now: DateTime<Utc>,
}

impl PageCtx {
    pub fn t(&self, key: &str) -> String {
        i18n::t(&self.locale, key)
    }

    pub fn dt(&self, at: &DateTime<Utc>) -> String {
        self.settings.format_datetime(*at)
    }

    /// Only the day, in the company's time zone.
    pub fn date(&self, at: &DateTime<Utc>) -> String {
        self.settings.format_date(at.with_timezone(&self.settings.tz()).date_naive())
    }

    pub fn dt_opt(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map(|a| self.dt(a)).unwrap_or_else(|| "—".to_owned())
    }

    /// ISO time for `<time datetime>` (the title shows it exactly).
    pub fn iso(&self, at: &DateTime<Utc>) -> String {
        at.to_rfc3339()
    }

    /// "3 days ago" / "3 天前".
    pub fn ago(&self, at: &DateTime<Utc>) -> String {
        let secs = (self.now - *at).num_seconds().max(0);
        let (n, unit) = match secs {
            0..60 => return self.t("time.just_now"),
            60..3600 => (secs / 60, "minutes"),
            3600..86400 => (secs / 3600, "hours"),
            _ => (secs / 86400, "days"),
        };
        self.t(&format!("time.{unit}_ago")).replace("%{n}", &n.to_string())
    }

    /// A `tel:` link for a phone number as typed: digits and a leading `+`
    /// only ("+86 138-0000 0000" → "tel:+8613800000000"), so a tap dials it.
    pub fn tel(&self, number: &str) -> String {
        let trimmed = number.trim();
        let plus = if trimmed.starts_with('+') { "+" } else { "" };
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        format!("tel:{plus}{digits}")
    }

    /// The translated name of a code in a group (`roles`, `modules`,
    /// `audit_actions` …), or the code itself when there is none.
    pub fn label(&self, group: &str, code: &str) -> String {
        let key = format!("{group}.{code}");
        let text = self.t(&key);
        if text.ends_with(&key) { code.to_owned() } else { text }
    }

    /// A role's name: the one its creator typed, or for a built-in role
    /// under its shipped name the reader's language's.
    pub fn role_name(&self, code: &str, name: &str) -> String {
        crate::i18n::role_name(&self.locale, code, name)
    }

    /// The first letter of the user's name, for the avatar.
    pub fn initial(&self) -> String {
        self.user_name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()
    }

    pub fn is_zh(&self) -> bool {
        self.locale == "zh-CN"
    }

    /// A stored province as the reader sees it: `浙江`, in English
    /// `Zhejiang` (cities have no English names in the data and show as
    /// stored: `Zhejiang · 杭州`).
    pub fn province(&self, stored: &str) -> String {
        salesflow_domain::regions::province_label(stored, &self.locale).to_owned()
    }

    /// A record's province and city as the reader sees them (see `province`).
    pub fn region(&self, province: &Option<String>, city: &Option<String>) -> String {
        // A municipality's city is the province itself (北京 · 北京): once.
        let city = city.as_deref().filter(|c| Some(*c) != province.as_deref());
        let province = province.as_deref().map(|p| salesflow_domain::regions::province_label(p, &self.locale));
        match (province, city) {
            (Some(p), Some(c)) => format!("{p} · {c}"),
            (Some(p), None) => p.to_owned(),
            (None, Some(c)) => format!("— · {c}"),
            (None, None) => "—".to_owned(),
        }
    }

    /// An amount (decimal string) in its currency: the company's symbol
    /// for the company currency, the currency code otherwise.
    pub fn money_in(&self, amount: &str, currency: &str) -> String {
        match salesflow_domain::money::Money::parse(amount) {
            Ok(m) if currency == self.settings.currency || currency.is_empty() => self.settings.format_money(m),
            Ok(m) => format!("{currency} {}", m.grouped()),
            Err(_) => amount.to_owned(),
        }
    }

    /// An amount (decimal string) as lists, cards and board figures show
    /// it, as HTML (use with `|safe`): `<span class="money">¥300,000.00</span>`,
    /// or with the company's "short amounts" setting on
    /// `<span class="money" title="¥305,000.00">¥30.5万</span>` (`¥305K` in
    /// English). The one helper for every displayed amount; forms and
    /// exports use the exact amount.
    pub fn money(&self, amount: &str, currency: &str) -> String {
        let exact = self.money_in(amount, currency);
        let short = match salesflow_domain::money::Money::parse(amount) {
            Ok(m) if currency == self.settings.currency || currency.is_empty() => {
                self.settings.format_money_for(m, &self.locale)
            }
            _ => exact.clone(),
        };
        if short == exact {
            format!("<span class=\"money\">{}</span>", escape_html(&exact))
        } else {
            format!("<span class=\"money\" title=\"{}\">{}</span>", escape_html(&exact), escape_html(&short))
        }
    }

    /// A calendar day (e.g. an expected close date) or "—".
    pub fn day(&self, day: &Option<chrono::NaiveDate>) -> String {
        day.map(|d| self.settings.format_date(d)).unwrap_or_else(|| "—".to_owned())
    }

    /// A calendar day that is always set (e.g. a task's due day).
    pub fn on_day(&self, day: &chrono::NaiveDate) -> String {
        self.settings.format_date(*day)
    }

    /// A text in the reader's language (the English one when there is one).
    pub fn loc<'a>(&self, text: &'a str, text_en: &'a str) -> &'a str {
        salesflow_store::pipelines::localized(text, text_en, &self.locale)
    }

    pub fn lang_attr(&self) -> &str {
        if self.is_zh() { "zh-CN" } else { "en" }
    }
}

/// Builds the context for a signed-in page and takes the flash message.
pub async fn page_ctx(request: &Page, path: &str) -> PageCtx {
    let settings = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let flash = request.jar.get(FLASH_COOKIE).map(|c| c.value().to_owned()).filter(|k| valid_flash(k));
    let notice_count =
        salesflow_store::notifications::unread_count(request.store(), request.actor()).await.unwrap_or(0);
    PageCtx {
        notice_count,
        locale: request.meta.locale.clone(),
        csrf: request.meta.csrf_token.clone(),
        user_name: request.session.actor.display_name.clone(),
        username: request.session.actor.username.clone(),
        role: i18n::role_name(request.locale(), &request.session.actor.role_code, &request.session.actor.role_name),
        nav: navigation(request.actor(), request.locale(), path),
        quick_create: quick_create(request.actor(), request.locale()),
        searches: request.actor().can(Module::Customers, Action::View)
            || request.actor().can(Module::Opportunities, Action::View),
        flash: flash.map(|k| i18n::t(request.locale(), &k)),
        settings,
        path: path.to_owned(),
        now: request.store().now(),
    }
}

/// A context for pages shown before signing in.
pub async fn public_ctx(state: &AppState, meta: &RequestMeta) -> PageCtx {
    let settings = salesflow_store::settings::get(&state.store).await.map(|s| s.settings).unwrap_or_default();
    PageCtx {
        locale: meta.locale.clone(),
        csrf: meta.csrf_token.clone(),
        user_name: String::new(),
        username: String::new(),
        role: String::new(),
        nav: Vec::new(),
        quick_create: Vec::new(),
        searches: false,
        flash: None,
        settings,
        path: String::new(),
        notice_count: 0,
        now: state.store.now(),
    }
}

/// A flash message key: `flash.<name>` or `<section>.flash.<name>`.
fn valid_flash(key: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    match key.split('.').collect::<Vec<_>>().as_slice() {
        ["flash", name] => word(name),
        [section, "flash", name] => word(section) && word(name),
        _ => false,
    }
}

/// The "+" menu: new records of the kinds the user may create.
fn quick_create(actor: &Actor, locale: &str) -> Vec<NavItem> {
    let customers = actor.can(Module::Customers, Action::Create);
    let deals = actor.can(Module::Opportunities, Action::Create);
    [
        ("/customers/new", "search.new_customer", customers),
        ("/leads/new", "search.new_lead", customers),
        ("/opportunities/new", "search.new_deal", deals),
        ("/tasks/new", "search.new_task", customers),
    ]
    .into_iter()
    .filter(|(_, _, allowed)| *allowed)
    .map(|(href, key, _)| NavItem { href, label: i18n::t(locale, key), icon: "", active: false })
    .collect()
}

/// The sidebar: only areas that exist and that the user may open.
fn navigation(actor: &Actor, locale: &str, path: &str) -> Vec<NavGroup> {
    let t = |k: &str| i18n::t(locale, k);
    let item = |href: &'static str, key: &str, icon: &'static str| NavItem {
        href,
        label: t(key),
        icon,
        active: if href == "/" { path == "/" } else { path.starts_with(href) },
    };
    let mut work = vec![item("/", "nav.dashboard", "home")];
    if actor.can(Module::Customers, Action::View) {
        work.push(item("/customers", "nav.customers", "building"));
        work.push(item("/contacts", "nav.contacts", "users"));
        work.push(item("/activities", "nav.activities", "list"));
        work.push(item("/tasks", "tasks.nav", "check-square"));
        work.push(item("/calendar", "calendar.nav", "calendar"));
        work.push(item("/leads", "leads.title", "target"));
    }
    if actor.can(Module::Opportunities, Action::View) {
        work.push(item("/opportunities", "opportunities.nav", "funnel"));
        work.push(item("/board", "kanban.nav", "columns"));
    }
    // Reference data: every person signed in reads products and stock.
    work.push(item("/products", "products.nav", "package"));
    work.push(item("/stock", "inventory.nav", "archive"));
    if actor.can(Module::Purchasing, Action::View) {
        work.push(item("/purchase-orders", "purchasing.nav", "truck"));
    }
    if actor.can(Module::Quotes, Action::View) {
        work.push(item("/quotes", "quotes.nav", "file-text"));
    }
    if actor.can(Module::Orders, Action::View) {
        work.push(item("/orders", "orders.nav", "list"));
        work.push(item("/returns", "returns.nav", "rotate-ccw"));
    }
    if actor.can(Module::Contracts, Action::View) {
        work.push(item("/contracts", "contracts.nav", "file-text"));
    }
    if actor.can(Module::Finance, Action::View) {
        work.push(item("/receivables", "finance.nav", "archive"));
    }
    work.push(item("/approvals", "approvals.nav", "shield"));
    if actor.can(Module::Customers, Action::Create) || actor.can(Module::Customers, Action::Edit) {
        work.push(item("/imports", "imports.nav", "upload"));
    }
    let mut groups = vec![NavGroup { label: String::new(), items: work }];
    let mut admin = Vec::new();
    if actor.can(Module::Access, Action::View) {
        admin.push(item("/admin/users", "nav.users", "users"));
        admin.push(item("/admin/departments", "nav.departments", "tree"));
        admin.push(item("/admin/roles", "nav.roles", "shield"));
    }
    if actor.can(Module::Access, Action::Administer) {
        admin.push(item("/admin/api-tokens", "nav.api_tokens", "key"));
        admin.push(item("/admin/outbox", "nav.outbox", "mail"));
    }
    if actor.can(Module::Opportunities, Action::Administer) {
        admin.push(item("/admin/pipelines", "pipelines_admin.nav", "funnel"));
    }
    if actor.can(Module::Audit, Action::View) {
        admin.push(item("/admin/audit", "nav.audit", "list"));
    }
    if actor.can(Module::Settings, Action::Edit) {
        admin.push(item("/admin/settings", "nav.settings", "cog"));
        admin.push(item("/admin/picklists", "picklists.nav", "list"));
        admin.push(item("/admin/approval-rules", "approvals.rules_nav", "cog"));
    }
    if actor.can(Module::Opportunities, Action::View) {
        let reports = vec![
            item("/reports/funnel", "funnel.nav", "target"),
            item("/reports/forecast", "forecast.nav", "calendar"),
        ];
        groups.push(NavGroup { label: t("reports.nav_group"), items: reports });
    }
    if !admin.is_empty() {
        groups.push(NavGroup { label: t("nav.group_system"), items: admin });
    }
    groups
}

/// A list's export as a download named `<stem>-<date>.<csv|xlsx>`, or the
/// error page (no export right, a bad filter).
pub async fn export_download(
    store: &salesflow_store::Store,
    locale: &str,
    stem: &str,
    columns: &[&str],
    fetch: salesflow_store::StoreResult<crate::export::Fetch>,
    format: crate::export::Format,
) -> PageResult {
    let t = |k: &str| i18n::t(locale, k);
    let header = crate::export::header(&t, columns);
    // The machine's date in a download's file name, not business time.
    let name = format!("{stem}-{}", chrono::Utc::now().format("%Y%m%d"));
    let download = crate::export::Download { store, locale, kind: stem, file_stem: &name };
    Ok(crate::export::respond(download, format, header, fetch?).await?)
}

/// A list's filters as a query string, leaving out empty values.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

/// Renders a template; clears the flash cookie the page has shown.
pub fn render(ctx: &PageCtx, template: &impl Template) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            return error_page(&ctx.locale, StatusCode::INTERNAL_SERVER_ERROR, "errors.server_page");
        }
    };
    let mut response = Html(html).into_response();
    if ctx.flash.is_some() {
        let mut clear = Cookie::build((FLASH_COOKIE, "")).path("/").build();
        clear.make_removal();
        if let Ok(v) = HeaderValue::from_str(&clear.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// Post/redirect/get: go to `to` and show a translated message there.
pub fn redirect_flash(to: &str, flash_key: &str) -> Response {
    let cookie =
        Cookie::build((FLASH_COOKIE, flash_key.to_owned())).path("/").same_site(SameSite::Lax).http_only(true).build();
    // Every page redirect passes the same-origin check: a target built
    // from request data can neither leave the site nor break the header.
    (CookieJar::new().add(cookie), Redirect::to(&crate::auth::local_redirect(Some(to), "/"))).into_response()
}

/// Field errors, translated, by field name.
#[derive(Default)]
pub struct FormErrors(pub HashMap<String, String>);

impl FormErrors {
    pub fn from_invalid(locale: &str, invalid: &Invalid) -> Self {
        let mut map = HashMap::new();
        for e in &invalid.0 {
            map.entry(e.field.clone()).or_insert_with(|| i18n::field_message(locale, e));
        }
        FormErrors(map)
    }

    pub fn one(locale: &str, field: &str, code: &str) -> Self {
        Self::from_invalid(locale, &Invalid(vec![FieldError::new(field, code)]))
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// Errors for fields the form does not show, as one line.
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0.iter().filter(|(f, _)| !shown.contains(&f.as_str())).map(|(_, m)| m.clone()).collect()
    }
}

/// `Some(value)` unless blank.
pub fn non_empty(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Parses an optional id from a form select ("" = none).
pub fn opt_id(value: &str) -> Result<Option<i64>, std::num::ParseIntError> {
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some),
    }
}

/// Text made safe to put into HTML (and into a quoted attribute).
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The people and the teams a list may be filtered by: those in the
/// caller's data scope, people sorted by pinyin. Both empty for a caller
/// who sees only their own records (no owner or team filter to offer).
pub(crate) async fn scope_filters(
    store: &salesflow_store::Store,
    actor: &Actor,
) -> (Vec<(i64, String)>, Vec<(i64, String)>) {
    if actor.visible_users.as_ref().is_some_and(|v| v.len() <= 1) {
        return (Vec::new(), Vec::new());
    }
    let people = salesflow_store::access::people_in_scope(store, actor).await.unwrap_or_default();
    let teams = salesflow_store::access::departments_in_scope(store, actor).await.unwrap_or_default();
    (people, teams)
}

/// Whether a caller may hand records to someone else: they see more people
/// than themselves (a salesperson who sees only their own records may not).
pub(crate) fn may_reassign(actor: &Actor) -> bool {
    actor.visible_users.as_ref().is_none_or(|v| v.len() > 1)
}

/// `Some(id)` for a query parameter holding an id; `None` when empty or not a number.
pub(crate) fn id_param(value: &Option<String>) -> Option<i64> {
    value.as_deref().and_then(|v| v.trim().parse().ok())
}

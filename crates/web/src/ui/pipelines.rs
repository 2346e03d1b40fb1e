//! Pipeline administration (销售漏斗配置): pipelines and their names,
//! stages in order with probabilities, texts and checklists, and the
//! lost reasons. Needs the opportunities `administer` right.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::pipelines::ItemKind;
use salesflow_store::StoreError;
use salesflow_store::pipelines::{
    self as store, ItemInput, LostReasonView, PipelineInput, PipelineView, StageInput, StageView,
};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::{PageError, PageResult};
use crate::i18n;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/pipelines", get(list_page))
        .route("/admin/pipelines/{id}", get(show).post(rename))
        .route("/admin/pipelines/{id}/retire", post(retire_pipeline))
        .route("/admin/pipelines/{id}/reorder", post(reorder))
        .route("/admin/pipelines/{id}/stages", post(create_stage))
        .route("/admin/pipelines/{id}/stages/new", get(new_stage))
        .route("/admin/stages/{id}", post(update_stage))
        .route("/admin/stages/{id}/edit", get(edit_stage))
        .route("/admin/stages/{id}/retire", post(retire_stage))
        .route("/admin/lost-reasons", post(add_reason))
        .route("/admin/lost-reasons/{id}", post(save_reason))
}

fn require_admin(request: &Page) -> PageResult<()> {
    Ok(request.actor().require(Module::Opportunities, Action::Administer)?)
}

/// The first error message of a refusal, translated (with its count).
fn refusal(locale: &str, invalid: &Invalid) -> String {
    invalid.0.iter().map(|e| i18n::field_message(locale, e)).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- pipelines and lost reasons

#[derive(Template)]
#[template(path = "pipelines/list.html")]
struct ListPage {
    ctx: PageCtx,
    pipelines: Vec<PipelineView>,
    reasons: Vec<LostReasonView>,
    reason_form: ReasonForm,
    errors: FormErrors,
    /// A refusal to show on top (the count of open deals).
    notice: Option<String>,
}

async fn list_view(request: &Page, reason_form: ReasonForm, errors: FormErrors, notice: Option<String>) -> PageResult {
    require_admin(request)?;
    let actor = request.actor();
    let pipelines = store::list_pipelines(request.store(), actor, true).await?;
    let reasons = store::list_lost_reasons(request.store(), actor, true).await.unwrap_or_default();
    let ctx = request.ctx("/admin/pipelines").await;
    let status = if errors.any() || notice.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ListPage { ctx, pipelines, reasons, reason_form, errors, notice };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn list_page(request: Page) -> PageResult {
    list_view(&request, ReasonForm::default(), FormErrors::default(), None).await
}

#[derive(Debug, Deserialize, Default, Clone)]
struct ReasonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
    /// `1` retires, `0` revives, empty keeps.
    #[serde(default)]
    retired: String,
}

async fn add_reason(request: Page, Form(form): Form<ReasonForm>) -> PageResult {
    Ok(match store::save_lost_reason(request.store(), request.actor(), None, &form.name, &form.name_en, false).await {
        Ok(_) => redirect_flash("/admin/pipelines#lost-reasons", "pipelines_admin.flash.reason_saved"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            list_view(&request, form, errors, None).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn save_reason(request: Page, Path(id): Path<i64>, Form(form): Form<ReasonForm>) -> PageResult {
    let actor = request.actor();
    let current = store::list_lost_reasons(request.store(), actor, true)
        .await
        .ok()
        .and_then(|all| all.into_iter().find(|r| r.id == id));
    let Some(current) = current else { return Err(StoreError::NotFound.into()) };
    let retired = match form.retired.as_str() {
        "1" => true,
        "0" => false,
        _ => current.retired,
    };
    // A retire/revive button sends no names: keep the current ones.
    let (name, name_en) = if form.name.is_empty() && !form.retired.is_empty() {
        (current.name.clone(), current.name_en.clone())
    } else {
        (form.name.clone(), form.name_en.clone())
    };
    Ok(match store::save_lost_reason(request.store(), actor, Some(id), &name, &name_en, retired).await {
        Ok(_) => redirect_flash("/admin/pipelines#lost-reasons", "pipelines_admin.flash.reason_saved"),
        Err(StoreError::Invalid(invalid)) => {
            let notice = Some(refusal(request.locale(), &invalid));
            list_view(&request, ReasonForm::default(), FormErrors::default(), notice).await?
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- one pipeline

#[derive(Template)]
#[template(path = "pipelines/show.html")]
struct ShowPage {
    ctx: PageCtx,
    p: PipelineView,
    name_form: NameForm,
    errors: FormErrors,
    notice: Option<String>,
}

impl ShowPage {
    fn required_count(&self, s: &StageView) -> usize {
        s.checklist.iter().filter(|i| i.required).count()
    }

    fn optional_count(&self, s: &StageView) -> usize {
        s.checklist.iter().filter(|i| !i.required).count()
    }

    fn stage_name<'a>(&self, s: &'a StageView) -> &'a str {
        self.ctx.loc(&s.name, &s.name_en)
    }

    fn first(&self, s: &StageView) -> bool {
        self.p.stages.first().is_some_and(|f| f.id == s.id)
    }

    fn last(&self, s: &StageView) -> bool {
        self.p.stages.last().is_some_and(|l| l.id == s.id)
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
struct NameForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    version: i64,
}

async fn show_view(
    request: &Page,
    id: i64,
    name_form: Option<NameForm>,
    errors: FormErrors,
    notice: Option<String>,
) -> PageResult {
    require_admin(request)?;
    let p = store::get_pipeline(request.store(), request.actor(), id).await?;
    let name_form =
        name_form.unwrap_or_else(|| NameForm { name: p.name.clone(), name_en: p.name_en.clone(), version: p.version });
    let ctx = request.ctx("/admin/pipelines").await;
    let status = if errors.any() || notice.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ShowPage { ctx, p, name_form, errors, notice };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    show_view(&request, id, None, FormErrors::default(), None).await
}

async fn rename(request: Page, Path(id): Path<i64>, Form(form): Form<NameForm>) -> PageResult {
    let input = PipelineInput { name: form.name.clone(), name_en: form.name_en.clone() };
    match request
        .saved(store::update_pipeline(request.store(), request.actor(), id, form.version, input, None).await)?
    {
        Ok(_) => Ok(redirect_flash(&format!("/admin/pipelines/{id}"), "flash.saved")),
        Err(refused) => show_view(&request, id, Some(form), refused.errors, None).await,
    }
}

#[derive(Debug, Deserialize, Default)]
struct RetireForm {
    /// `1` retires, anything else revives.
    #[serde(default)]
    retired: String,
}

async fn retire_pipeline(request: Page, Path(id): Path<i64>, Form(form): Form<RetireForm>) -> PageResult {
    let actor = request.actor();
    let p = store::get_pipeline(request.store(), actor, id).await?;
    let input = PipelineInput { name: p.name.clone(), name_en: p.name_en.clone() };
    let retire = form.retired == "1";
    Ok(match store::update_pipeline(request.store(), actor, id, p.version, input, Some(retire)).await {
        Ok(_) => {
            let key = if retire { "pipelines_admin.flash.retired" } else { "pipelines_admin.flash.revived" };
            redirect_flash(&format!("/admin/pipelines/{id}"), key)
        }
        Err(StoreError::Invalid(invalid)) => {
            let notice = Some(refusal(request.locale(), &invalid));
            show_view(&request, id, None, FormErrors::default(), notice).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/admin/pipelines/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Deserialize, Default)]
struct ReorderForm {
    #[serde(default)]
    stage_id: i64,
    /// `up` or `down`.
    #[serde(default)]
    dir: String,
}

async fn reorder(request: Page, Path(id): Path<i64>, Form(form): Form<ReorderForm>) -> PageResult {
    let actor = request.actor();
    let p = store::get_pipeline(request.store(), actor, id).await?;
    let mut order: Vec<i64> = p.stages.iter().map(|s| s.id).collect();
    if let Some(at) = order.iter().position(|s| *s == form.stage_id) {
        match form.dir.as_str() {
            "up" if at > 0 => order.swap(at, at - 1),
            "down" if at + 1 < order.len() => order.swap(at, at + 1),
            _ => {}
        }
    }
    Ok(match store::reorder_stages(request.store(), actor, id, &order).await {
        Ok(_) => redirect_flash(&format!("/admin/pipelines/{id}#stages"), "pipelines_admin.flash.reordered"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/pipelines/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

async fn retire_stage(request: Page, Path(stage_id): Path<i64>, Form(form): Form<RetireForm>) -> PageResult {
    let actor = request.actor();
    let Some((pipeline_id, _)) = find_stage(&request.state, actor, stage_id).await else {
        return Err(StoreError::NotFound.into());
    };
    let retire = form.retired == "1";
    Ok(match store::set_stage_retired(request.store(), actor, stage_id, retire).await {
        Ok(_) => {
            let key =
                if retire { "pipelines_admin.flash.stage_retired" } else { "pipelines_admin.flash.stage_revived" };
            redirect_flash(&format!("/admin/pipelines/{pipeline_id}#stages"), key)
        }
        Err(StoreError::Invalid(invalid)) => {
            let notice = Some(refusal(request.locale(), &invalid));
            show_view(&request, pipeline_id, None, FormErrors::default(), notice).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn find_stage(state: &AppState, actor: &salesflow_store::Actor, stage_id: i64) -> Option<(i64, StageView)> {
    let all = store::list_pipelines(&state.store, actor, true).await.ok()?;
    all.into_iter().flat_map(|p| p.stages).find(|s| s.id == stage_id).map(|s| (s.pipeline_id, s))
}

// ---------------------------------------------------------------- the stage form

/// One checklist row as typed.
#[derive(Debug, Default, Clone)]
struct ItemRow {
    id: String,
    kind: String,
    text: String,
    text_en: String,
    required: bool,
}

/// The stage form as typed. Checklist rows come as `items.<n>.<field>`.
#[derive(Debug, Default, Clone)]
struct StageForm {
    code: String,
    name: String,
    name_en: String,
    probability: String,
    expected_days: String,
    texts: [String; 8],
    items: Vec<ItemRow>,
    version: i64,
}

/// The stage's long texts: form name and message key of each.
const TEXTS: [(&str, &str); 8] = [
    ("success_criteria", "opportunities.success_criteria"),
    ("success_criteria_en", "pipelines_admin.success_criteria_en"),
    ("milestone", "opportunities.milestone"),
    ("milestone_en", "pipelines_admin.milestone_en"),
    ("input", "opportunities.input"),
    ("input_en", "pipelines_admin.input_en"),
    ("output", "opportunities.output"),
    ("output_en", "pipelines_admin.output_en"),
];

impl StageForm {
    fn parse(pairs: &[(String, String)]) -> Self {
        let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let rows = pairs
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("items.")?.split_once('.')?.0.parse::<usize>().ok())
            .max()
            .map_or(0, |n| n + 1)
            .min(200);
        let items = (0..rows)
            .map(|n| ItemRow {
                id: field(&format!("items.{n}.id")),
                kind: field(&format!("items.{n}.kind")),
                text: field(&format!("items.{n}.text")),
                text_en: field(&format!("items.{n}.text_en")),
                required: !field(&format!("items.{n}.required")).is_empty(),
            })
            .collect();
        StageForm {
            code: field("code"),
            name: field("name"),
            name_en: field("name_en"),
            probability: field("probability"),
            expected_days: field("expected_days"),
            texts: TEXTS.map(|(name, _)| field(name)),
            items,
            version: field("version").trim().parse().unwrap_or(0),
        }
    }

    fn from_view(s: &StageView) -> Self {
        StageForm {
            code: s.code.clone(),
            name: s.name.clone(),
            name_en: s.name_en.clone(),
            probability: s.probability.to_string(),
            expected_days: s.expected_days.map(|d| d.to_string()).unwrap_or_default(),
            texts: [
                s.success_criteria.clone(),
                s.success_criteria_en.clone(),
                s.milestone.clone(),
                s.milestone_en.clone(),
                s.input.clone(),
                s.input_en.clone(),
                s.output.clone(),
                s.output_en.clone(),
            ],
            items: s
                .checklist
                .iter()
                .map(|i| ItemRow {
                    id: i.id.to_string(),
                    kind: i.kind.clone(),
                    text: i.text.clone(),
                    text_en: i.text_en.clone(),
                    required: i.required,
                })
                .collect(),
            version: s.version,
        }
    }

    fn input(&self) -> Result<StageInput, Invalid> {
        let mut invalid = Invalid::new();
        let probability = self.probability.trim().parse::<i32>().unwrap_or_else(|_| {
            invalid
                .push(salesflow_domain::FieldError::new("probability", "out_of_range").with("min", 0).with("max", 100));
            0
        });
        let expected_days = match self.expected_days.trim() {
            "" => None,
            d => d.parse::<i32>().map(Some).unwrap_or_else(|_| {
                invalid.push(
                    salesflow_domain::FieldError::new("expected_days", "out_of_range")
                        .with("min", 0)
                        .with("max", salesflow_domain::pipelines::EXPECTED_DAYS_MAX),
                );
                None
            }),
        };
        invalid.into_result()?;
        let [success_criteria, success_criteria_en, milestone, milestone_en, input, input_en, output, output_en] =
            self.texts.clone();
        Ok(StageInput {
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            probability,
            expected_days,
            success_criteria,
            success_criteria_en,
            milestone,
            milestone_en,
            input,
            input_en,
            output,
            output_en,
            checklist: self
                .items
                .iter()
                .map(|r| ItemInput {
                    id: r.id.trim().parse().ok(),
                    kind: r.kind.clone(),
                    text: r.text.clone(),
                    text_en: r.text_en.clone(),
                    required: r.required,
                })
                .collect(),
        })
    }
}

#[derive(Template)]
#[template(path = "pipelines/stage_form.html")]
struct StageFormPage {
    ctx: PageCtx,
    pipeline: PipelineView,
    /// `None` when adding a stage.
    stage_id: Option<i64>,
    form: StageForm,
    errors: FormErrors,
    kinds: [ItemKind; 2],
}

impl StageFormPage {
    fn texts(&self) -> Vec<(&'static str, &'static str, &str)> {
        TEXTS.iter().zip(self.form.texts.iter()).map(|((name, key), value)| (*name, *key, value.as_str())).collect()
    }

    fn row_error(&self, n: &usize, field: &str) -> Option<&String> {
        self.errors.get(&format!("checklist[{n}].{field}"))
    }

    fn other_errors(&self) -> Vec<String> {
        let mut shown: Vec<String> =
            ["code", "name", "name_en", "probability", "expected_days", "version"].map(String::from).to_vec();
        shown.extend(TEXTS.iter().map(|(n, _)| (*n).to_owned()));
        for n in 0..self.form.items.len() {
            for f in ["text", "text_en", "kind"] {
                shown.push(format!("checklist[{n}].{f}"));
            }
        }
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        self.errors.others(&shown)
    }

    fn action(&self) -> String {
        match self.stage_id {
            Some(id) => format!("/admin/stages/{id}"),
            None => format!("/admin/pipelines/{}/stages", self.pipeline.id),
        }
    }
}

async fn stage_form(
    request: &Page,
    pipeline_id: i64,
    stage_id: Option<i64>,
    form: StageForm,
    errors: FormErrors,
) -> PageResult {
    require_admin(request)?;
    let pipeline = store::get_pipeline(request.store(), request.actor(), pipeline_id).await?;
    let ctx = request.ctx("/admin/pipelines").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = StageFormPage { ctx, pipeline, stage_id, form, errors, kinds: ItemKind::ALL };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn new_stage(request: Page, Path(id): Path<i64>) -> PageResult {
    let form = StageForm {
        probability: "0".into(),
        items: vec![ItemRow { kind: "task".into(), required: true, ..Default::default() }],
        ..Default::default()
    };
    stage_form(&request, id, None, form, FormErrors::default()).await
}

async fn edit_stage(request: Page, Path(id): Path<i64>) -> PageResult {
    require_admin(&request)?;
    Ok(match find_stage(&request.state, request.actor(), id).await {
        Some((pipeline_id, s)) => {
            stage_form(&request, pipeline_id, Some(id), StageForm::from_view(&s), FormErrors::default()).await?
        }
        None => return Err(PageError::not_found()),
    })
}

/// Adding or removing a checklist row re-shows the form; `None` saves.
fn row_change(form: &mut StageForm, pairs: &[(String, String)]) -> bool {
    if pairs.iter().any(|(k, _)| k == "add_row") {
        form.items.push(ItemRow { kind: "task".into(), required: true, ..Default::default() });
        return true;
    }
    if let Some(n) = pairs.iter().find(|(k, _)| k == "remove_row").and_then(|(_, v)| v.parse::<usize>().ok()) {
        if n < form.items.len() {
            form.items.remove(n);
        }
        return true;
    }
    false
}

async fn create_stage(request: Page, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let mut form = StageForm::parse(&pairs);
    if row_change(&mut form, &pairs) {
        return stage_form(&request, id, None, form, FormErrors::default()).await;
    }
    let result = match form.input() {
        Ok(input) => store::create_stage(request.store(), request.actor(), id, None, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(_) => redirect_flash(&format!("/admin/pipelines/{id}#stages"), "pipelines_admin.flash.stage_saved"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            stage_form(&request, id, None, form, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn update_stage(
    request: Page,
    Path(stage_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let Some((pipeline_id, _)) = find_stage(&request.state, request.actor(), stage_id).await else {
        return Err(StoreError::NotFound.into());
    };
    let mut form = StageForm::parse(&pairs);
    if row_change(&mut form, &pairs) {
        return stage_form(&request, pipeline_id, Some(stage_id), form, FormErrors::default()).await;
    }
    let result = match form.input() {
        Ok(input) => store::update_stage(request.store(), request.actor(), stage_id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => {
            Ok(redirect_flash(&format!("/admin/pipelines/{pipeline_id}#stages"), "pipelines_admin.flash.stage_saved"))
        }
        Err(refused) => stage_form(&request, pipeline_id, Some(stage_id), form, refused.errors).await,
    }
}

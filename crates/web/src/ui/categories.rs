//! The product category tree: every category under its parent, with an
//! add form, and for each one a rename / move form and delete.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path};
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_store::products::{self, CategoryView};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/product-categories", get(tree_page).post(create))
        .route("/product-categories/{id}", post(update))
        .route("/product-categories/{id}/delete", post(delete))
}

#[derive(Debug, Deserialize, Default, Clone)]
struct CategoryForm {
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    version: i64,
}

impl CategoryForm {
    fn parent(&self) -> Result<Option<i64>, salesflow_domain::Invalid> {
        super::opt_id(&self.parent_id).map_err(|_| salesflow_domain::Invalid::one("parent_id", "invalid_choice"))
    }
}

#[derive(Template)]
#[template(path = "categories/tree.html")]
struct TreePage {
    ctx: PageCtx,
    /// Depth-first, each with its depth.
    rows: Vec<(usize, CategoryView)>,
    can_create: bool,
    can_edit: bool,
    can_delete: bool,
    form: CategoryForm,
    errors: FormErrors,
}

impl TreePage {
    /// Every field error, as one notice above the tree.
    fn messages(&self) -> Vec<String> {
        self.errors.others(&[])
    }

    fn indent(&self, depth: &usize) -> String {
        format!("padding-left: {}rem", depth * 2)
    }

    fn parent_value(&self, c: &CategoryView) -> String {
        c.parent_id.map(|p| p.to_string()).unwrap_or_default()
    }
}

/// Depth-first order: roots by name, each followed by its children.
fn depth_first(all: Vec<CategoryView>) -> Vec<(usize, CategoryView)> {
    fn walk(parent: Option<i64>, depth: usize, all: &[CategoryView], out: &mut Vec<(usize, CategoryView)>) {
        for c in all.iter().filter(|c| c.parent_id == parent) {
            if out.iter().any(|(_, seen)| seen.id == c.id) {
                continue;
            }
            out.push((depth, c.clone()));
            walk(Some(c.id), depth + 1, all, out);
        }
    }
    let mut out = Vec::with_capacity(all.len());
    walk(None, 0, &all, &mut out);
    // A parent that no longer exists: shown at the top level.
    for c in &all {
        if !out.iter().any(|(_, seen)| seen.id == c.id) {
            out.push((0, c.clone()));
        }
    }
    out
}

async fn page(request: &Page, form: CategoryForm, errors: FormErrors) -> PageResult<TreePage> {
    let actor = request.actor();
    let all = products::list_categories(request.store(), actor).await?;
    Ok(TreePage {
        ctx: request.ctx("/products").await,
        rows: depth_first(all),
        can_create: actor.can(Module::Products, Action::Create),
        can_edit: actor.can(Module::Products, Action::Edit),
        can_delete: actor.can(Module::Products, Action::Delete),
        form,
        errors,
    })
}

async fn tree_page(request: Page) -> PageResult {
    let p = page(&request, CategoryForm::default(), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn answer(request: Page, form: CategoryForm, result: salesflow_store::StoreResult<()>) -> PageResult {
    match request.saved(result)? {
        Ok(()) => Ok(redirect_flash("/product-categories", "flash.saved")),
        Err(refused) => {
            let p = page(&request, form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

async fn create(request: Page, Form(form): Form<CategoryForm>) -> PageResult {
    let result = match form.parent() {
        Ok(parent) => products::create_category(request.store(), request.actor(), &form.name, parent).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    answer(request, form, result).await
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<CategoryForm>) -> PageResult {
    let result = match form.parent() {
        Ok(parent) => products::update_category(request.store(), request.actor(), id, form.version, &form.name, parent)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    answer(request, CategoryForm::default(), result).await
}

async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    let result = products::delete_category(request.store(), request.actor(), id).await;
    answer(request, CategoryForm::default(), result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, name: &str, parent: Option<i64>) -> CategoryView {
        CategoryView { id, name: name.into(), parent_id: parent, version: 1 }
    }

    #[test]
    fn the_tree_lists_each_category_under_its_parent() {
        let all = vec![
            c(1, "传感器", None),
            c(2, "控制器", None),
            c(3, "温度", Some(1)),
            c(4, "PLC", Some(2)),
            c(5, "孤儿", Some(99)),
        ];
        let order: Vec<(usize, i64)> = depth_first(all).into_iter().map(|(d, c)| (d, c.id)).collect();
        assert_eq!(order, [(0, 1), (1, 3), (0, 2), (1, 4), (0, 5)]);
    }
}

//! Warehouse pages: the list with its add form, a warehouse's edit form,
//! and deleting one no stock movement names.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path};
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_store::inventory::{self, WarehouseInput, WarehouseView};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/warehouses", get(list_page).post(create))
        .route("/warehouses/{id}", get(edit_page).post(update))
        .route("/warehouses/{id}/delete", post(delete))
}

#[derive(Debug, Deserialize, Default, Clone)]
struct WarehouseForm {
    code: String,
    name: String,
    #[serde(default)]
    address: String,
    /// The checkbox: present when ticked.
    active: Option<String>,
    #[serde(default)]
    version: i64,
}

impl WarehouseForm {
    /// The text fields: name, label key, value, required.
    fn fields(&self) -> Vec<(&'static str, &'static str, String, bool)> {
        vec![
            ("code", "warehouses.code", self.code.clone(), true),
            ("name", "warehouses.name", self.name.clone(), true),
            ("address", "warehouses.address", self.address.clone(), false),
        ]
    }

    fn input(&self) -> WarehouseInput {
        WarehouseInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            active: self.active.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "warehouses/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<WarehouseView>,
    can_create: bool,
    can_edit: bool,
    form: WarehouseForm,
    /// Where the form posts.
    action: String,
    errors: FormErrors,
}

async fn list(request: &Page, form: WarehouseForm, errors: FormErrors) -> PageResult<ListPage> {
    let actor = request.actor();
    Ok(ListPage {
        ctx: request.ctx("/warehouses").await,
        items: inventory::list_warehouses(request.store(), actor).await?,
        can_create: actor.can(Module::Inventory, Action::Create),
        can_edit: actor.can(Module::Inventory, Action::Edit),
        form,
        action: "/warehouses".to_owned(),
        errors,
    })
}

async fn list_page(request: Page) -> PageResult {
    let form = WarehouseForm { active: Some("1".into()), ..Default::default() };
    let page = list(&request, form, FormErrors::default()).await?;
    Ok(render(&page.ctx, &page))
}

async fn create(request: Page, Form(form): Form<WarehouseForm>) -> PageResult {
    let result = inventory::create_warehouse(request.store(), request.actor(), form.input()).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash("/warehouses", "flash.saved")),
        Err(refused) => {
            let page = list(&request, form, refused.errors).await?;
            let mut response = render(&page.ctx, &page);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

#[derive(Template)]
#[template(path = "warehouses/form.html")]
struct FormPage {
    ctx: PageCtx,
    id: i64,
    form: WarehouseForm,
    action: String,
    can_delete: bool,
    errors: FormErrors,
}

async fn form_page(request: &Page, id: i64, form: WarehouseForm, errors: FormErrors) -> FormPage {
    FormPage {
        ctx: request.ctx("/warehouses").await,
        id,
        form,
        action: format!("/warehouses/{id}"),
        can_delete: request.actor().can(Module::Inventory, Action::Delete),
        errors,
    }
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let w = inventory::get_warehouse(request.store(), request.actor(), id).await?;
    let form = WarehouseForm {
        code: w.code,
        name: w.name,
        address: w.address,
        active: w.active.then(|| "1".to_owned()),
        version: w.version,
    };
    let page = form_page(&request, id, form, FormErrors::default()).await;
    Ok(render(&page.ctx, &page))
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<WarehouseForm>) -> PageResult {
    let result = inventory::update_warehouse(request.store(), request.actor(), id, form.version, form.input()).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash("/warehouses", "flash.saved")),
        Err(refused) => {
            let page = form_page(&request, id, form, refused.errors).await;
            let mut response = render(&page.ctx, &page);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

/// Deletes it, or shows the form again with the reason it cannot go.
async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    let result = inventory::delete_warehouse(request.store(), request.actor(), id).await;
    match request.saved(result)? {
        Ok(()) => Ok(redirect_flash("/warehouses", "flash.saved")),
        Err(refused) => {
            let w = inventory::get_warehouse(request.store(), request.actor(), id).await?;
            let form = WarehouseForm {
                code: w.code,
                name: w.name,
                address: w.address,
                active: w.active.then(|| "1".to_owned()),
                version: w.version,
            };
            let page = form_page(&request, id, form, refused.errors).await;
            let mut response = render(&page.ctx, &page);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

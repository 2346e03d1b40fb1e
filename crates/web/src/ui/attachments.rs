//! The files of a customer, a contact or a deal on its page: list, upload, download,
//! delete. Forms post and come back to the record's page with a message.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path};
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::attachments::{ALLOWED, Holder};
use salesflow_store::StoreError;
use salesflow_store::attachments::{self, AttachmentView};

use super::page::Page;
use super::{PageCtx, redirect_flash};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    let uploads = Router::new()
        .route("/customers/{id}/attachments", post(upload_to_customer))
        .route("/contacts/{id}/attachments", post(upload_to_contact))
        .route("/opportunities/{id}/attachments", post(upload_to_opportunity))
        .route("/contracts/{id}/attachments", post(upload_to_contract))
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .merge(uploads)
        .route("/attachments/{id}/download", get(download))
        .route("/attachments/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "attachments/section.html")]
pub struct Files {
    pub ctx: PageCtx,
    pub area: &'static str,
    pub holder_id: i64,
    pub files: Vec<AttachmentView>,
    pub can_upload: bool,
    pub allowed: &'static str,
    pub max_mb: u64,
}

fn area(kind: Holder) -> &'static str {
    match kind {
        Holder::Customer => "customers",
        Holder::Contact => "contacts",
        Holder::Opportunity => "opportunities",
        Holder::Contract => "contracts",
    }
}

impl Files {
    /// The section of a record the caller can read; `can_upload` as the page decided.
    pub async fn load(
        request: &Page,
        ctx: PageCtx,
        kind: Holder,
        id: i64,
        can_upload: bool,
    ) -> Result<Files, StoreError> {
        let files = attachments::list(request.store(), request.actor(), kind, id).await?;
        Ok(Files {
            ctx,
            area: area(kind),
            holder_id: id,
            files,
            can_upload,
            allowed: ALLOWED,
            max_mb: request.state.config.attachment_max_bytes / (1024 * 1024),
        })
    }

    pub fn html(&self) -> String {
        self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "attachments template failed");
            String::new()
        })
    }

    /// `340 B`, `12.5 KB`, `3.2 MB`.
    pub fn size(&self, bytes: &i64) -> String {
        let b = *bytes as f64;
        if b < 1024.0 {
            format!("{bytes} B")
        } else if b < 1024.0 * 1024.0 {
            format!("{:.1} KB", b / 1024.0)
        } else {
            format!("{:.1} MB", b / (1024.0 * 1024.0))
        }
    }
}

fn back(kind: Holder, id: i64) -> String {
    format!("/{}/{id}#attachments", area(kind))
}

async fn upload(request: Page, kind: Holder, id: i64, multipart: Result<Multipart, MultipartRejection>) -> PageResult {
    let Ok(multipart) = multipart else {
        return Ok(redirect_flash(&back(kind, id), "flash.attachment_failed"));
    };
    // The record first (404 outside the scope), then the file.
    attachments::list(request.store(), request.actor(), kind, id).await?;
    let received = crate::files::receive(&request.state, multipart, Some(&request.meta.csrf_token)).await;
    let file = match received {
        Ok(f) => f,
        Err(invalid) => {
            let flash = match invalid.0.first().map(|e| e.code.as_str()) {
                Some("file_too_large") => "flash.attachment_too_large",
                Some("file_type_not_allowed") | Some("file_type_mismatch") => "flash.attachment_type",
                Some("csrf") => "flash.attachment_failed",
                _ => "flash.attachment_failed",
            };
            return Ok(redirect_flash(&back(kind, id), flash));
        }
    };
    let stored = file.stored_name.clone();
    match attachments::create(request.store(), request.actor(), kind, id, file).await {
        Ok(_) => Ok(redirect_flash(&back(kind, id), "flash.attachment_added")),
        Err(e) => {
            crate::files::remove(&request.state, &stored).await;
            Err(e.into())
        }
    }
}

async fn upload_to_customer(
    request: Page,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    upload(request, Holder::Customer, id, multipart).await
}

async fn upload_to_contact(
    request: Page,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    upload(request, Holder::Contact, id, multipart).await
}

async fn upload_to_opportunity(
    request: Page,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    upload(request, Holder::Opportunity, id, multipart).await
}

async fn upload_to_contract(
    request: Page,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    upload(request, Holder::Contract, id, multipart).await
}

async fn download(request: Page, Path(id): Path<i64>) -> PageResult {
    let a = attachments::get(request.store(), request.actor(), id).await?;
    Ok(crate::files::download(&request.state, &a).await)
}

async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    let a = attachments::delete(request.store(), request.actor(), id).await?;
    crate::files::remove(&request.state, &a.stored_name).await;
    let kind = Holder::parse(&a.holder_type).unwrap_or(Holder::Customer);
    Ok(redirect_flash(&back(kind, a.holder_id), "flash.attachment_deleted"))
}

/// Whether the caller may attach files to a record of this area.
pub fn may_upload(request: &Page, kind: Holder) -> bool {
    let module = match kind {
        Holder::Opportunity => Module::Opportunities,
        Holder::Contract => Module::Contracts,
        _ => Module::Customers,
    };
    request.actor().can(module, Action::Edit)
}

//! Files attached to customers, contacts, deals and contracts: the rows (the bytes are
//! the web layer's, under the data directory). Listed and downloaded inside
//! the caller's data scope; uploaded by those who may edit the record;
//! deleted by the uploader or whoever administers the area. Audited.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::attachments::{self as rules, FileKind, Holder};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{attachment, opportunity};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::shared::owner_names;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    /// `customer`, `contact`, `opportunity` or `contract`.
    pub holder_type: String,
    pub holder_id: i64,
    pub file_name: String,
    /// `pdf`, `png`, `jpeg`, `gif`, `webp`, `office`, `office_legacy`, `text` or `zip`.
    pub kind: String,
    /// Bytes.
    pub size: i64,
    pub uploader_id: i64,
    pub uploader_name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether the caller may delete it.
    pub deletable: bool,
    /// Where the file is downloaded.
    pub download_url: String,
    /// The random name of the bytes (the web layer's business, not the API's).
    #[serde(skip)]
    pub stored_name: String,
}

fn module(holder: Holder) -> Module {
    match holder {
        Holder::Customer | Holder::Contact => Module::Customers,
        Holder::Opportunity => Module::Opportunities,
        Holder::Contract => Module::Contracts,
    }
}

fn view(m: attachment::Model, names: &HashMap<i64, String>, actor: &Actor) -> AttachmentView {
    let administers = Holder::parse(&m.holder_type).is_some_and(|h| actor.can(module(h), Action::Administer));
    AttachmentView {
        uploader_name: names.get(&m.uploader_id).cloned(),
        deletable: rules::may_delete(m.uploader_id, actor.user_id, administers),
        download_url: format!("/api/v1/attachments/{}", m.id),
        id: m.id,
        holder_type: m.holder_type,
        holder_id: m.holder_id,
        file_name: m.file_name,
        kind: m.kind,
        size: m.size,
        uploader_id: m.uploader_id,
        created_at: m.created_at,
        stored_name: m.stored_name,
    }
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    rows: Vec<attachment::Model>,
) -> StoreResult<Vec<AttachmentView>> {
    let names = owner_names(conn, rows.iter().map(|a| a.uploader_id)).await?;
    Ok(rows.into_iter().map(|m| view(m, &names, actor)).collect())
}

/// The record, read inside the caller's rights and scope: `NotFound`
/// outside it (or deleted). With `change`, the caller must also be allowed
/// to change it.
async fn holder<C: ConnectionTrait>(conn: &C, actor: &Actor, kind: Holder, id: i64, change: bool) -> StoreResult<()> {
    actor.require(module(kind), Action::View)?;
    if change {
        actor.require(module(kind), Action::Edit)?;
    }
    match kind {
        Holder::Customer => {
            let c = crate::customers::find_visible(conn, actor, id).await?;
            if c.deleted_at.is_some() {
                return Err(StoreError::NotFound);
            }
            if change {
                crate::customers::require_owned(actor, &c)?;
            }
        }
        Holder::Contact => {
            let (_, c) = crate::customers::find_contact(conn, actor, id).await?;
            if c.deleted_at.is_some() {
                return Err(StoreError::NotFound);
            }
            if change {
                crate::customers::require_owned(actor, &c)?;
            }
        }
        Holder::Opportunity => {
            opportunity::Entity::find_by_id(id)
                .filter(actor.scope_condition(opportunity::Column::OwnerId))
                .filter(opportunity::Column::DeletedAt.is_null())
                .one(conn)
                .await?
                .ok_or(StoreError::NotFound)?;
        }
        Holder::Contract => {
            // A contract follows its customer's scope.
            crate::contracts::find_in_scope(conn, actor, id).await?;
        }
    }
    Ok(())
}

/// A record's files, newest first (at most 200).
pub async fn list(store: &Store, actor: &Actor, kind: Holder, id: i64) -> StoreResult<Vec<AttachmentView>> {
    holder(store.reader(), actor, kind, id, false).await?;
    let rows = attachment::Entity::find()
        .filter(attachment::Column::HolderType.eq(kind.code()))
        .filter(attachment::Column::HolderId.eq(id))
        .filter(attachment::Column::DeletedAt.is_null())
        .order_by_desc(attachment::Column::Id)
        .limit(200)
        .all(store.reader())
        .await?;
    views(store.reader(), actor, rows).await
}

/// What the web layer stored: the checked kind, the cleaned name, the size.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub file_name: String,
    pub stored_name: String,
    pub kind: FileKind,
    pub size: u64,
}

/// Records a stored file on a record the caller may change.
pub async fn create(store: &Store, actor: &Actor, kind: Holder, id: i64, file: NewFile) -> StoreResult<AttachmentView> {
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let permit = store.permit(actor, module(kind), Action::Edit)?;
    let unit = permit.begin().await?;
    holder(&unit, actor, kind, id, true).await?;
    let now = unit.now();
    let m = attachment::ActiveModel {
        holder_type: Set(kind.code().to_owned()),
        holder_id: Set(id),
        file_name: Set(rules::clean_name(&file.file_name)),
        stored_name: Set(file.stored_name),
        kind: Set(file.kind.code().to_owned()),
        size: Set(i64::try_from(file.size).unwrap_or(i64::MAX)),
        uploader_id: Set(me),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let v = views(&unit, actor, vec![m]).await?.remove(0);
    unit.commit(AuditEvent::new("attachment.create", kind.code(), Some(id)).after(&v)).await?;
    Ok(v)
}

/// One file, inside the caller's scope (for the download).
pub async fn get(store: &Store, actor: &Actor, attachment_id: i64) -> StoreResult<AttachmentView> {
    let m = attachment::Entity::find_by_id(attachment_id)
        .filter(attachment::Column::DeletedAt.is_null())
        .one(store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    let kind = Holder::parse(&m.holder_type).ok_or(StoreError::NotFound)?;
    holder(store.reader(), actor, kind, m.holder_id, false).await?;
    Ok(views(store.reader(), actor, vec![m]).await?.remove(0))
}

/// Deletes a file (the uploader, or whoever administers the area): the row
/// is kept, marked deleted; the answer names the bytes to remove.
pub async fn delete(store: &Store, actor: &Actor, attachment_id: i64) -> StoreResult<AttachmentView> {
    let unit = store.permit_own(actor).begin().await?;
    let m = attachment::Entity::find_by_id(attachment_id)
        .filter(attachment::Column::DeletedAt.is_null())
        .one(&unit)
        .await?
        .ok_or(StoreError::NotFound)?;
    let kind = Holder::parse(&m.holder_type).ok_or(StoreError::NotFound)?;
    holder(&unit, actor, kind, m.holder_id, false).await?;
    let administers = actor.can(module(kind), Action::Administer);
    if !rules::may_delete(m.uploader_id, actor.user_id, administers) {
        return Err(StoreError::Forbidden);
    }
    let now = unit.now();
    unit.update::<attachment::Entity>(m.id, m.version)
        .set(attachment::Column::DeletedAt, Expr::value(now))
        .exec()
        .await?;
    let v = views(&unit, actor, vec![m]).await?.remove(0);
    unit.commit(AuditEvent::new("attachment.delete", kind.code(), Some(v.holder_id)).before(&v)).await?;
    Ok(v)
}

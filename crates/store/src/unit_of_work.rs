//! The one way to write: a unit of work.
//!
//! A change starts with a [`Permit`] (the permission check), which begins
//! the unit (the transaction). Inside it, rows change through the unit's
//! versioned update ([`UnitOfWork::update`]), the hooks that must follow a
//! change run on the unit (search index, funnel summary), and the unit
//! commits only with an [`AuditEvent`]: a write that forgets its audit row
//! does not compile. Dropping a unit without committing rolls it back.

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, ExecResult, QueryFilter,
    QueryResult, Statement, UpdateMany,
};

use crate::Store;
use crate::audit::{self, AuditEvent};
use crate::entity;
use crate::error::{StoreError, StoreResult};
use crate::reports::rollup;
use crate::scope::Actor;
use crate::search::{self, Kind};

/// The right to start a unit of work: made only by checking the actor's
/// permission (or by naming the change as one that needs none).
#[must_use = "a permit does nothing until the unit begins"]
pub struct Permit<'a> {
    store: &'a Store,
    actor: &'a Actor,
}

impl Store {
    /// `Forbidden` unless the actor's role grants `action` on `module`;
    /// otherwise the permit to begin the change.
    pub fn permit<'a>(&'a self, actor: &'a Actor, module: Module, action: Action) -> StoreResult<Permit<'a>> {
        actor.require(module, action)?;
        Ok(Permit { store: self, actor })
    }

    /// A change that needs no right from a role: a person's own sign-in,
    /// sign-out and password, and the system's own jobs. The rule of who
    /// may is the caller's (e.g. "the password of the signed-in user").
    pub fn permit_own<'a>(&'a self, actor: &'a Actor) -> Permit<'a> {
        Permit { store: self, actor }
    }
}

impl Store {
    /// A change whose right depends on the record (an import's target, a
    /// task's creator): the caller checks it once it has read the record
    /// inside the unit.
    pub fn permit_by_record<'a>(&'a self, actor: &'a Actor) -> Permit<'a> {
        Permit { store: self, actor }
    }
}

impl<'a> Permit<'a> {
    /// Begins the transaction the whole change runs in.
    pub async fn begin(self) -> StoreResult<UnitOfWork<'a>> {
        let txn = self.store.begin().await?;
        Ok(UnitOfWork { txn, actor: self.actor, now: self.store.now() })
    }
}

/// Why a unit may commit without an audit row: written out at the commit,
/// so that it cannot happen by forgetting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unaudited {
    /// An import's own status and counts when no record of the business
    /// changed (a dry run, a failure before any row was written).
    ImportBookkeeping,
    /// One batch of an import's rows: the import's one audit row
    /// (`import.<target>`, with its counts) is written when it ends or fails.
    ImportBatch,
    /// A person's own list preferences (saved views, chosen columns).
    OwnPreference,
    /// Reminders the system schedules (in-app notices are not business
    /// records; what they remind of is audited where it changed).
    Reminders,
}

/// One change: its transaction, its actor and its instant.
///
/// It commits only with its audit event:
///
/// ```no_run
/// # async fn saved(unit: salesflow_store::UnitOfWork<'_>) {
/// unit.commit(salesflow_store::AuditEvent::new("customer.update", "customer", Some(1))).await.unwrap();
/// # }
/// ```
///
/// and without one, the change does not compile:
///
/// ```compile_fail
/// # async fn forgotten(unit: salesflow_store::UnitOfWork<'_>) {
/// unit.commit().await.unwrap();
/// # }
/// ```
pub struct UnitOfWork<'a> {
    txn: DatabaseTransaction,
    actor: &'a Actor,
    now: DateTime<Utc>,
}

/// Proof that an audit row was written in a unit (see
/// [`UnitOfWork::record`]): only the unit makes one.
#[derive(Debug)]
pub struct Audited(());

impl<'a> UnitOfWork<'a> {
    pub fn actor(&self) -> &'a Actor {
        self.actor
    }

    /// The instant of this change: every timestamp it writes is this one.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Writes an audit row now, in this transaction; for units that record
    /// several (a merge, a batch). Commit with [`UnitOfWork::commit_recorded`].
    pub async fn record(&self, event: AuditEvent) -> StoreResult<Audited> {
        audit::write(&self.txn, self.actor, self.now, event).await?;
        Ok(Audited(()))
    }

    /// Writes the change's audit row and commits.
    pub async fn commit(self, event: AuditEvent) -> StoreResult<()> {
        let audited = self.record(event).await?;
        self.commit_recorded(audited).await
    }

    /// Commits a unit whose audit rows were written with [`UnitOfWork::record`].
    pub async fn commit_recorded(self, _audited: Audited) -> StoreResult<()> {
        self.txn.commit().await?;
        Ok(())
    }

    /// Commits a unit that changed only its own bookkeeping, which the
    /// reason names; the audit row of the whole comes with another unit.
    pub async fn commit_without_audit(self, _reason: Unaudited) -> StoreResult<()> {
        self.txn.commit().await?;
        Ok(())
    }

    /// Changes the row `id` of `E` if its version is still `version`: the
    /// version goes one up and `updated_at` becomes the unit's instant.
    pub fn update<E: Versioned>(&self, id: i64, version: i64) -> VersionedUpdate<'_, 'a, E> {
        let query = E::update_many()
            .col_expr(E::VERSION, Expr::value(version + 1))
            .col_expr(E::UPDATED_AT, Expr::value(self.now))
            .filter(E::ID.eq(id))
            .filter(E::VERSION.eq(version));
        VersionedUpdate { unit: self, id, query, conflict: "stale version", db_error: StoreError::from }
    }

    /// Changes every row of `E` that `rows` selects (a hand-over), each one
    /// version up; returns how many changed.
    pub fn update_all<E: Versioned>(&self, rows: impl IntoCondition) -> BulkUpdate<'_, 'a, E> {
        let query = E::update_many()
            .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
            .col_expr(E::UPDATED_AT, Expr::value(self.now))
            .filter(rows);
        BulkUpdate { unit: self, query }
    }

    // ------------------------------------------------------------ hooks

    /// Search index: replaces a row's entries with those of its new texts.
    pub async fn index(&self, kind: Kind, id: i64, texts: &[&str]) -> StoreResult<()> {
        search::index(&self.txn, kind, id, texts).await
    }

    /// Funnel summary: takes the opportunities' contribution out before
    /// they change (and locks them on PostgreSQL); finish with
    /// [`UnitOfWork::funnel_finish`].
    pub(crate) async fn funnel_begin(&self, ids: &[i64]) -> StoreResult<rollup::Change> {
        rollup::Change::begin(&self.txn, ids).await
    }

    /// Funnel summary: puts the changed opportunities' contribution back in.
    pub(crate) async fn funnel_finish(&self, change: rollup::Change) -> StoreResult<()> {
        change.finish(&self.txn).await
    }

    /// Funnel summary: adds new opportunities.
    pub(crate) async fn funnel_add(&self, ids: &[i64]) -> StoreResult<()> {
        rollup::add_new(&self.txn, ids).await
    }

    /// Funnel summary: counts one pipeline (or all) again.
    pub(crate) async fn funnel_rebuild(&self, pipeline: Option<i64>) -> StoreResult<()> {
        rollup::rebuild_in(&self.txn, pipeline).await
    }
}

/// An update of one versioned row, built on [`UnitOfWork::update`].
#[must_use = "an update does nothing until it runs"]
pub struct VersionedUpdate<'u, 'a, E: Versioned> {
    unit: &'u UnitOfWork<'a>,
    id: i64,
    query: UpdateMany<E>,
    conflict: &'static str,
    db_error: fn(DbErr) -> StoreError,
}

impl<E: Versioned> VersionedUpdate<'_, '_, E> {
    pub fn set(mut self, column: E::Column, value: SimpleExpr) -> Self {
        self.query = self.query.col_expr(column, value);
        self
    }

    /// A further condition the row must meet (e.g. "still in the pool").
    pub fn only_if(mut self, condition: SimpleExpr) -> Self {
        self.query = self.query.filter(condition);
        self
    }

    /// The conflict's message when no row matched (default "stale version").
    pub fn conflict(mut self, message: &'static str) -> Self {
        self.conflict = message;
        self
    }

    /// How a database error becomes a store error (a unique index that
    /// names a field, say); by default as every other.
    pub fn map_db_error(mut self, map: fn(DbErr) -> StoreError) -> Self {
        self.db_error = map;
        self
    }

    /// Runs it and reads the row again.
    pub async fn exec(self) -> StoreResult<E::Model> {
        let (unit, id) = (self.unit, self.id);
        self.exec_without_reading().await?;
        E::find_by_id_i64(id).one(&unit.txn).await?.ok_or(StoreError::NotFound)
    }

    /// Runs it; `Conflict` when the row changed meanwhile (or the
    /// condition no longer holds).
    pub async fn exec_without_reading(self) -> StoreResult<()> {
        let res = self.query.exec(&self.unit.txn).await.map_err(self.db_error)?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict(self.conflict.into()));
        }
        Ok(())
    }
}

/// An update of many versioned rows, built on [`UnitOfWork::update_all`].
#[must_use = "an update does nothing until it runs"]
pub struct BulkUpdate<'u, 'a, E: Versioned> {
    unit: &'u UnitOfWork<'a>,
    query: UpdateMany<E>,
}

impl<E: Versioned> BulkUpdate<'_, '_, E> {
    pub fn set(mut self, column: E::Column, value: SimpleExpr) -> Self {
        self.query = self.query.col_expr(column, value);
        self
    }

    /// Runs it; how many rows changed.
    pub async fn exec(self) -> StoreResult<u64> {
        Ok(self.query.exec(&self.unit.txn).await?.rows_affected)
    }
}

/// A table whose rows carry an `id`, a `version` (optimistic locking) and
/// an `updated_at`.
pub trait Versioned: EntityTrait {
    const ID: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;

    fn find_by_id_i64(id: i64) -> sea_orm::Select<Self> {
        Self::find().filter(Self::ID.eq(id))
    }
}

macro_rules! versioned {
    ($($module:ident),*) => {$(
        impl Versioned for entity::$module::Entity {
            const ID: Self::Column = entity::$module::Column::Id;
            const VERSION: Self::Column = entity::$module::Column::Version;
            const UPDATED_AT: Self::Column = entity::$module::Column::UpdatedAt;
        }
    )*};
}

versioned!(
    customer,
    contact,
    lead,
    opportunity,
    task,
    activity,
    user,
    department,
    role,
    pipeline,
    pipeline_stage,
    company_settings,
    picklist_entry,
    comment,
    attachment,
    product,
    product_category,
    price_list_entry,
    warehouse,
    supplier,
    purchase_order,
    approval_rule,
    approval_request,
    order,
    quote,
    payment,
    invoice,
    return_order,
    contract
);

// The unit is the connection its area code reads and writes through.
#[async_trait::async_trait]
impl ConnectionTrait for UnitOfWork<'_> {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

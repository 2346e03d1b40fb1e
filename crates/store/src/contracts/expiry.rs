//! The daily side of contracts, run by the housekeeping job under its
//! lease: the owner of a contract in force hears, once, that it ends within
//! the configured number of days (an in-app notice, e-mailed too when mail
//! is set up); a contract in force past its end date expires. And past
//! contracts in bulk for `salesflow demo` and `salesflow gen`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use salesflow_domain::contracts::{self as rules, ContractAction, ContractStatus};
use salesflow_domain::money::Money;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::LINK;
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::contract;
use crate::entity::notification::NotificationKind;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryRun {
    pub reminded: u64,
    pub expired: u64,
}

const IN_FORCE: [&str; 2] = ["signed", "executing"];

/// Reminds the owners of contracts in force that end within the setting's
/// days (each contract once: `reminded_at` is set in the statement that
/// claims it), and expires those past their end date (audited), at most
/// `batch` of each per call.
pub async fn remind_and_expire(store: &Store, batch: u64) -> StoreResult<ExpiryRun> {
    debug_assert!(IN_FORCE.iter().all(|s| ContractStatus::parse(s).is_some_and(ContractStatus::in_force)));
    let system = Actor::system();
    let unit = store.permit_own(&system).begin().await?;
    let now = unit.now();
    let settings = crate::settings::current(&unit).await?;
    let today = salesflow_domain::time::local_day(&settings, now);
    let days = settings.contract_reminder_days;
    let until = today + chrono::Duration::days(i64::from(days));
    let ending = contract::Entity::find()
        .filter(contract::Column::Status.is_in(IN_FORCE))
        .filter(contract::Column::RemindedAt.is_null())
        .filter(contract::Column::EndDate.gte(today))
        .filter(contract::Column::EndDate.lte(until))
        .order_by_asc(contract::Column::EndDate)
        .limit(batch)
        .all(&unit)
        .await?;
    let mut run = ExpiryRun::default();
    for c in &ending {
        let Some(end) = c.end_date.filter(|end| rules::reminder_due(*end, today, days)) else { continue };
        let claimed = contract::Entity::update_many()
            .col_expr(contract::Column::RemindedAt, Expr::value(Some(now)))
            .filter(contract::Column::Id.eq(c.id))
            .filter(contract::Column::RemindedAt.is_null())
            .exec(&unit)
            .await?;
        if claimed.rows_affected == 0 {
            continue;
        }
        let title = format!("{} {} · {}", c.number, c.title, end);
        let link = format!("{LINK}{}", c.id);
        crate::notifications::remind(&unit, c.owner_id, NotificationKind::ContractExpiring, &title, &link, now, now)
            .await?;
        run.reminded += 1;
    }
    let past = contract::Entity::find()
        .filter(contract::Column::Status.is_in(IN_FORCE))
        .filter(contract::Column::EndDate.lt(today))
        .order_by_asc(contract::Column::Id)
        .limit(batch)
        .all(&unit)
        .await?;
    let mut audited = None;
    for c in &past {
        let status = super::status_of(c);
        let Ok(next) = rules::transition(status, ContractAction::Expire, false) else { continue };
        unit.update::<contract::Entity>(c.id, c.version)
            .set(contract::Column::Status, Expr::value(next.code()))
            .exec_without_reading()
            .await?;
        let event = AuditEvent::new("contract.expire", "contract", Some(c.id))
            .note("number", serde_json::json!(c.number))
            .note("from", serde_json::json!(status.code()))
            .note("to", serde_json::json!(next.code()));
        audited = Some(unit.record(event).await?);
        run.expired += 1;
    }
    match audited {
        Some(a) => unit.commit_recorded(a).await?,
        // Reminders only (or nothing): notices are not audited.
        None => unit.commit_without_audit(crate::unit_of_work::Unaudited::Reminders).await?,
    }
    Ok(run)
}

/// A contract as `salesflow demo` and `salesflow gen` write it.
#[derive(Debug, Clone)]
pub struct PastContract {
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    pub order_id: Option<i64>,
    pub owner_id: i64,
    pub title: String,
    pub amount: Money,
    pub terms: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub signed_date: NaiveDate,
    pub status: ContractStatus,
    pub created_at: DateTime<Utc>,
}

/// Writes contracts in one transaction (no audit rows, as every bulk
/// load), numbered from the per-year counter in the order given.
pub async fn load_past(store: &Store, contracts: &[PastContract]) -> StoreResult<usize> {
    let txn = store.begin().await?;
    let mut per_year: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for c in contracts {
        *per_year.entry(c.created_at.year()).or_default() += 1;
    }
    let mut next: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for (year, count) in &per_year {
        next.insert(*year, crate::orders::take_numbers(&txn, rules::NUMBER_PREFIX, *year, *count).await?);
    }
    for chunk in contracts.chunks(200) {
        let mut rows = Vec::with_capacity(chunk.len());
        for c in chunk {
            let year = c.created_at.year();
            let seq = next.get_mut(&year).ok_or_else(|| StoreError::Internal("year".into()))?;
            let number = rules::number(year, *seq);
            *seq += 1;
            rows.push(contract::ActiveModel {
                number: Set(number),
                customer_id: Set(c.customer_id),
                opportunity_id: Set(c.opportunity_id),
                order_id: Set(c.order_id),
                owner_id: Set(c.owner_id),
                title: Set(c.title.clone()),
                amount: Set(c.amount.0),
                terms: Set(c.terms.clone()),
                start_date: Set(Some(c.start_date)),
                end_date: Set(Some(c.end_date)),
                signed_date: Set(Some(c.signed_date)),
                status: Set(c.status.code().to_owned()),
                revision: Set(1),
                termination_reason: Set(String::new()),
                reminded_at: Set(None),
                created_by: Set(c.owner_id),
                version: Set(1),
                created_at: Set(c.created_at),
                updated_at: Set(c.created_at),
                ..Default::default()
            });
        }
        contract::Entity::insert_many(rows).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(contracts.len())
}

//! The company settings row.

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::settings::{DateFormat, Settings};
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::company_settings::{self, Column, Entity};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

const ROW: i64 = 1;

/// The settings with the version an update must name.
#[derive(Debug, Clone, Serialize)]
pub struct VersionedSettings {
    #[serde(flatten)]
    pub settings: Settings,
    pub version: i64,
}

pub(crate) fn from_model(m: company_settings::Model) -> VersionedSettings {
    VersionedSettings {
        settings: Settings {
            company_name: m.company_name,
            currency: m.currency,
            currency_symbol: m.currency_symbol,
            date_format: DateFormat::parse(&m.date_format).unwrap_or(DateFormat::Iso),
            time_zone: m.time_zone,
            fiscal_year_start_month: m.fiscal_year_start_month.clamp(1, 12) as u32,
            default_locale: m.default_locale,
            pool_return_days: m.pool_return_days.max(1) as u32,
            pool_claim_limit: m.pool_claim_limit.max(1) as u32,
            short_amounts: m.short_amounts,
            allow_negative_stock: m.allow_negative_stock,
            contract_reminder_days: m.contract_reminder_days.clamp(1, 365) as u32,
        },
        version: m.version,
    }
}

/// Inserts the default row when there is none (first start).
pub(crate) async fn ensure<C: ConnectionTrait>(conn: &C) -> StoreResult<()> {
    // Only the key is read and only the oldest columns are written (later
    // ones take their defaults), so that this also runs on a database
    // whose later migrations have not run yet.
    let found: Option<i64> = Entity::find_by_id(ROW).select_only().column(Column::Id).into_tuple().one(conn).await?;
    if found.is_some() {
        return Ok(());
    }
    let d = Settings::default();
    let row = company_settings::ActiveModel {
        id: Set(ROW),
        company_name: Set(d.company_name),
        currency: Set(d.currency),
        currency_symbol: Set(d.currency_symbol),
        date_format: Set(d.date_format.code().to_owned()),
        time_zone: Set(d.time_zone),
        fiscal_year_start_month: Set(d.fiscal_year_start_month as i32),
        default_locale: Set(d.default_locale),
        pool_return_days: Set(d.pool_return_days as i32),
        pool_claim_limit: Set(d.pool_claim_limit as i32),
        short_amounts: Set(d.short_amounts),
        version: Set(1),
        // The first start-up creating the defaults: bookkeeping, not business time.
        updated_at: Set(Utc::now()),
        // `allow_negative_stock`, `contract_reminder_days`: the columns' defaults.
        ..Default::default()
    };
    Entity::insert(row).exec_without_returning(conn).await?;
    Ok(())
}

/// Everyone signed in reads the settings: they shape how pages render.
pub async fn get(store: &Store) -> StoreResult<VersionedSettings> {
    let row = Entity::find_by_id(ROW).one(store.reader()).await?.ok_or(StoreError::NotFound)?;
    Ok(from_model(row))
}

/// The settings inside a caller's transaction.
pub(crate) async fn current<C: ConnectionTrait>(conn: &C) -> StoreResult<Settings> {
    let row = Entity::find_by_id(ROW).one(conn).await?.ok_or(StoreError::NotFound)?;
    Ok(from_model(row).settings)
}

/// The company-time day of `now` (the store's clock).
pub(crate) async fn today<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> StoreResult<chrono::NaiveDate> {
    Ok(salesflow_domain::time::local_day(&current(conn).await?, now))
}

/// Replaces the settings if `version` is still current.
pub async fn update(store: &Store, actor: &Actor, new: Settings, version: i64) -> StoreResult<VersionedSettings> {
    let permit = store.permit(actor, Module::Settings, Action::Edit)?;
    new.validate()?;
    let unit = permit.begin().await?;
    let before = Entity::find_by_id(ROW).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let after = unit
        .update::<Entity>(ROW, version)
        .set(Column::CompanyName, Expr::value(new.company_name.trim()))
        .set(Column::Currency, Expr::value(new.currency.clone()))
        .set(Column::CurrencySymbol, Expr::value(new.currency_symbol.trim()))
        .set(Column::DateFormat, Expr::value(new.date_format.code()))
        .set(Column::TimeZone, Expr::value(new.time_zone.clone()))
        .set(Column::FiscalYearStartMonth, Expr::value(new.fiscal_year_start_month as i32))
        .set(Column::DefaultLocale, Expr::value(new.default_locale.clone()))
        .set(Column::PoolReturnDays, Expr::value(new.pool_return_days as i32))
        .set(Column::PoolClaimLimit, Expr::value(new.pool_claim_limit as i32))
        .set(Column::ShortAmounts, Expr::value(new.short_amounts))
        .set(Column::AllowNegativeStock, Expr::value(new.allow_negative_stock))
        .set(Column::ContractReminderDays, Expr::value(new.contract_reminder_days as i32))
        .exec()
        .await?;
    let (before, after) = (from_model(before), from_model(after));
    if before.settings.time_zone != after.settings.time_zone {
        // The funnel summary counts by local days: count them again.
        unit.funnel_rebuild(None).await?;
    }
    unit.commit(AuditEvent::new("settings.update", "settings", Some(ROW)).before(&before).after(&after)).await?;
    Ok(after)
}

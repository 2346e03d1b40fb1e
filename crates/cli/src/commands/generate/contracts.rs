//! `salesflow gen --contracts N`: contracts on owned customers over two
//! years (a year long each; most completed or executing, some expired or
//! terminated, a few ending soon).

use chrono::{Duration, Utc};
use rand::Rng;
use salesflow_domain::contracts::ContractStatus;
use salesflow_domain::money::Money;
use salesflow_store::Store;
use salesflow_store::contracts::{self, PastContract};
use salesflow_store::entity::customer;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{BATCH, progress};

pub(super) async fn generate_contracts(store: &Store, count: u64) -> anyhow::Result<()> {
    let customers: Vec<(i64, Option<i64>)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::OwnerId)
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .limit(50_000)
        .into_tuple()
        .all(store.reader())
        .await?;
    anyhow::ensure!(!customers.is_empty(), "contracts need owned customers: generate them first");
    let bar = progress(count, "contracts");
    let now = Utc::now();
    let mut rng = rand::rng();
    let mut done = 0;
    while done < count {
        let n = (BATCH * 4).min(count - done);
        let mut batch: Vec<PastContract> = (0..n)
            .map(|_| {
                let (customer_id, owner) = customers[rng.random_range(0..customers.len())];
                let start = now - Duration::days(rng.random_range(0..730));
                let end = start + Duration::days(364);
                let status = if end.date_naive() < now.date_naive() {
                    match rng.random_range(0..10) {
                        0 => ContractStatus::Expired,
                        1 => ContractStatus::Terminated,
                        _ => ContractStatus::Completed,
                    }
                } else {
                    ContractStatus::Executing
                };
                PastContract {
                    customer_id,
                    opportunity_id: None,
                    order_id: None,
                    owner_id: owner.unwrap_or_default(),
                    title: "年度供货合同".into(),
                    amount: Money(rng.random_range(10_000..2_000_000) * 100),
                    terms: "按订单供货，货到 30 天付款。".into(),
                    start_date: start.date_naive(),
                    end_date: end.date_naive(),
                    signed_date: start.date_naive(),
                    status,
                    created_at: start - Duration::days(7),
                }
            })
            .collect();
        batch.sort_by_key(|c| c.created_at);
        contracts::load_past(store, &batch).await?;
        done += n;
        bar.inc(n);
    }
    bar.finish();
    Ok(())
}

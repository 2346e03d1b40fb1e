//! `salesflow gen --returns N`: returns of the generated orders' shipped
//! lines (one line each, a unit or two), at dates after their orders;
//! most settled, some received, registered or cancelled.

use chrono::Duration;
use rand::Rng;
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::quantity::Quantity;
use salesflow_domain::returns::ReturnStatus;
use salesflow_store::Store;
use salesflow_store::entity::{order, order_line, warehouse};
use salesflow_store::returns::{self, PastReturn};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{BATCH, progress};

pub(super) async fn generate_returns(store: &Store, count: u64) -> anyhow::Result<()> {
    let db = store.reader();
    let warehouse = warehouse::Entity::find().order_by_asc(warehouse::Column::Id).one(db).await?;
    let Some(warehouse) = warehouse else {
        anyhow::bail!("returns need a warehouse: add products first (--products N)")
    };
    let mut after = 0i64;
    let bar = progress(count, "returns");
    let mut rng = rand::rng();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        // The next shipped orders, each with one of its lines.
        let orders: Vec<order::Model> = order::Entity::find()
            .filter(order::Column::Id.gt(after))
            .filter(order::Column::Status.is_in([OrderStatus::Completed.code(), OrderStatus::Shipped.code()]))
            .order_by_asc(order::Column::Id)
            .limit(n)
            .all(db)
            .await?;
        anyhow::ensure!(!orders.is_empty(), "returns need shipped orders: generate more (--orders N)");
        after = orders.last().map(|o| o.id).unwrap_or(after);
        let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
        let lines: Vec<order_line::Model> =
            order_line::Entity::find().filter(order_line::Column::OrderId.is_in(ids)).all(db).await?;
        let batch: Vec<PastReturn> = orders
            .iter()
            .filter_map(|o| {
                let l = lines.iter().find(|l| l.order_id == o.id && l.shipped > l.returned)?;
                let status = match rng.random_range(0..10) {
                    0 => ReturnStatus::Cancelled,
                    1 => ReturnStatus::Draft,
                    2 => ReturnStatus::Received,
                    _ => ReturnStatus::Completed,
                };
                Some(PastReturn {
                    order_id: o.id,
                    warehouse_id: l.warehouse_id.unwrap_or(warehouse.id),
                    created_at: o.created_at + Duration::days(rng.random_range(8..40)),
                    status,
                    reason: "到货破损".into(),
                    lines: vec![(l.id, Quantity(1_000.min(l.shipped - l.returned)))],
                })
            })
            .collect();
        returns::load_past(store, &batch).await?;
        done += orders.len() as u64;
        bar.inc(orders.len() as u64);
    }
    bar.finish();
    Ok(())
}

//! `salesflow gen --orders N`: closed sales orders in bulk (about three
//! lines each) over two years, on owned customers and active products.

use chrono::{Duration, Utc};
use rand::Rng;
use salesflow_domain::money::Money;
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_store::entity::{customer, product};
use salesflow_store::orders::{self, PastLine, PastOrder};
use salesflow_store::{LoadStatistics, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{BATCH, progress};

pub(super) async fn generate_orders(store: &Store, count: u64) -> anyhow::Result<()> {
    let db = store.reader();
    let customers: Vec<(i64, Option<i64>)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::OwnerId)
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .limit(50_000)
        .into_tuple()
        .all(db)
        .await?;
    let products: Vec<(i64, i64, i32)> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::ListPrice)
        .column(product::Column::TaxRate)
        .filter(product::Column::Active.eq(true))
        .limit(10_000)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(
        !customers.is_empty() && !products.is_empty(),
        "orders need owned customers and products: generate them first"
    );
    let bar = progress(count, "orders");
    let now = Utc::now();
    let mut rng = rand::rng();
    let mut done = 0;
    let mut statistics = LoadStatistics::new(&["orders", "order_lines", "stock_movements"]);
    while done < count {
        let n = (BATCH * 4).min(count - done);
        let mut batch = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (customer_id, owner) = customers[rng.random_range(0..customers.len())];
            let status = match rng.random_range(0..20) {
                0 => OrderStatus::Rejected,
                1 | 2 => OrderStatus::Cancelled,
                3 => OrderStatus::Shipped,
                _ => OrderStatus::Completed,
            };
            let lines = (0..rng.random_range(2..=4))
                .map(|_| {
                    let (product_id, price, tax) = products[rng.random_range(0..products.len())];
                    PastLine {
                        product_id,
                        warehouse_id: None,
                        quantity: Quantity::units(rng.random_range(1..20)),
                        unit_price: Money(price),
                        discount: Percent(rng.random_range(0..4) * 250),
                        tax_rate: Percent(tax),
                    }
                })
                .collect();
            batch.push(PastOrder {
                customer_id,
                created_by: owner.unwrap_or_default(),
                created_at: now - Duration::minutes(rng.random_range(60 * 24 * 20..60 * 24 * 730)),
                status,
                delivery_address: String::new(),
                carrier: "顺丰速运".into(),
                lines,
            });
        }
        orders::load_past(store, &batch).await?;
        done += n;
        bar.inc(n);
        statistics.loaded(store, done).await?;
    }
    bar.finish();
    Ok(())
}

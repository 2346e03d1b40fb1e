//! `salesflow gen --purchase-orders N`: suppliers and purchase orders in
//! bulk over two years, on the active products already there.

use chrono::{Duration, Utc};
use rand::Rng;
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Quantity;
use salesflow_store::entity::product;
use salesflow_store::inventory::{self, WarehouseInput};
use salesflow_store::purchasing::{self, PastPurchaseOrder, SupplierInput};
use salesflow_store::{Actor, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::progress;

/// Orders per bulk-load transaction (each re-balances the stock cards it joins).
const ORDERS_PER_LOAD: u64 = 2000;

/// Twenty suppliers and `count` purchase orders (one to five lines of the
/// active products, at their cost), ordered over two years: four in five
/// received into a warehouse, the rest still on order.
pub(super) async fn generate_purchase_orders(store: &Store, count: u64) -> anyhow::Result<()> {
    let system = Actor::system();
    let products: Vec<(i64, i64)> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::Cost)
        .filter(product::Column::Active.eq(true))
        .limit(5000)
        .into_tuple()
        .all(store.reader())
        .await?;
    anyhow::ensure!(!products.is_empty(), "purchase orders need products: add some first (--products N)");
    let stamp = Utc::now().timestamp();
    let warehouse = match inventory::list_warehouses(store, &system).await?.into_iter().find(|w| w.active) {
        Some(w) => w.id,
        None => {
            let input = WarehouseInput {
                code: format!("GPO{stamp}"),
                name: format!("采购收货仓 {stamp}"),
                address: String::new(),
                active: true,
            };
            inventory::create_warehouse(store, &system, input).await?.id
        }
    };
    let names = ["华东精密", "Northwind Parts", "岭南电子", "Baltic Components", "川渝机电"];
    let mut suppliers = Vec::new();
    for i in 0..20 {
        let input = SupplierInput {
            name: format!("{} {i} ({stamp})", names[i % names.len()]),
            contact: if i % 2 == 0 { "王磊".into() } else { "Anna Berg".into() },
            phone: format!("021-6{:03}-{:04}", i, stamp % 10_000),
            ..Default::default()
        };
        suppliers.push(purchasing::create_supplier(store, &system, input).await?.id);
    }
    let now = Utc::now();
    let span = 730 * 24 * 60;
    let mut rng = rand::rng();
    let mut orders: Vec<PastPurchaseOrder> = (0..count)
        .map(|i| {
            let ordered_at =
                now - Duration::minutes(span - (i as i64 * span / count.max(1) as i64)) - Duration::days(14);
            let lines = (0..rng.random_range(1..=5))
                .map(|_| {
                    let (id, cost) = products[rng.random_range(0..products.len())];
                    (id, Quantity::units(rng.random_range(1..200)), Money(cost))
                })
                .collect();
            PastPurchaseOrder {
                supplier_id: suppliers[(i % 20) as usize],
                ordered_at,
                expected_date: Some((ordered_at + Duration::days(10)).date_naive()),
                received_at: (i % 5 != 4).then(|| ordered_at + Duration::days(rng.random_range(5..20))),
                warehouse_id: warehouse,
                notes: String::new(),
                lines,
            }
        })
        .collect();
    orders.sort_by_key(|o| o.ordered_at);
    let bar = progress(count, "POs");
    let mut done = 0;
    for chunk in orders.chunks(ORDERS_PER_LOAD as usize) {
        done += purchasing::load_purchase_orders(store, chunk).await? as u64;
        bar.set_position(done);
    }
    bar.finish();
    Ok(())
}

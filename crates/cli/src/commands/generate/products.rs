//! `salesflow gen --products N --movements M`: products in bulk and their
//! stock movements.

use chrono::Utc;
use rand::Rng;
use salesflow_store::search::{self, Kind};
use salesflow_store::{Actor, Store};
use sea_orm::{EntityTrait, Set};

use super::{BATCH, progress};

/// Products in bulk (indexed for search) and their stock movements over two
/// years in two new warehouses.
pub(super) async fn generate_products(store: &Store, count: u64, movements: u64) -> anyhow::Result<()> {
    use salesflow_domain::inventory::MovementKind;
    use salesflow_domain::quantity::Quantity;
    use salesflow_store::entity::product;
    use salesflow_store::inventory::{self, PastMovement, WarehouseInput};

    let system = Actor::system();
    let stamp = Utc::now().timestamp();
    let mut warehouses = Vec::new();
    for (code, name) in [("GSH", "上海仓"), ("GBJ", "北京仓")] {
        let input = WarehouseInput {
            code: format!("{code}{stamp}"),
            name: format!("{name} {stamp}"),
            address: String::new(),
            active: true,
        };
        warehouses.push(inventory::create_warehouse(store, &system, input).await?.id);
    }
    let bar = progress(count, "products");
    let now = Utc::now();
    let names = ["工业传感器", "PLC控制器", "触摸屏", "变频器", "伺服电机", "继电器", "电源模块", "网关"];
    let mut rng = rand::rng();
    let mut ids = Vec::new();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let rows: Vec<product::ActiveModel> = (done..done + n)
            .map(|i| product::ActiveModel {
                code: Set(format!("GEN{stamp}-{i:06}")),
                name: Set(format!("{} {}型", names[(i % 8) as usize], i)),
                category_id: Set(None),
                specification: Set(format!("Model {i}, 24 V DC")),
                unit: Set("台".into()),
                list_price: Set(rng.random_range(100..5_000_000)),
                cost: Set(rng.random_range(50..2_000_000)),
                tax_rate: Set(1300),
                active: Set(true),
                reorder_point: Set(rng.random_range(0..50) * 1000),
                safety_stock: Set(0),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        let codes: Vec<String> =
            (done..done + n).map(|i| format!("GEN{stamp}-{i:06} {}", names[(i % 8) as usize])).collect();
        let txn = store.begin().await?;
        let new_ids = product::Entity::insert_many(rows).exec_with_returning_keys(&txn).await?;
        let texts: Vec<(i64, String)> = new_ids.iter().copied().zip(codes).collect();
        search::index_new(&txn, Kind::Product, &texts).await?;
        txn.commit().await?;
        ids.extend(texts.iter().map(|(id, _)| *id));
        done += n;
        bar.set_position(done);
    }
    bar.finish();
    if movements == 0 || ids.is_empty() {
        return Ok(());
    }
    let per = (movements / (ids.len() as u64 * 2)).max(1) as i64;
    let bar = progress(ids.len() as u64, "stock cards");
    for (k, id) in ids.iter().enumerate() {
        for w in &warehouses {
            let history: Vec<PastMovement> = (0..per)
                .map(|j| {
                    let at = now - chrono::Duration::minutes((per - j) * 730 * 24 * 60 / per.max(1));
                    if j % 3 == 0 {
                        PastMovement {
                            at,
                            kind: MovementKind::Receipt,
                            quantity: Quantity::units(30),
                            reason: String::new(),
                        }
                    } else {
                        PastMovement {
                            at,
                            kind: MovementKind::Shipment,
                            quantity: -Quantity::units(10),
                            reason: String::new(),
                        }
                    }
                })
                .collect();
            inventory::load_history(store, *id, *w, &history).await?;
        }
        bar.set_position(k as u64 + 1);
    }
    bar.finish();
    Ok(())
}

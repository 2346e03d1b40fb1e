//! The demo's suppliers (Chinese and English) and two years of purchase
//! orders: received ones whose receipts join the stock cards, the latest
//! of each supplier still on order, and one draft.

use anyhow::Context;
use chrono::{Duration, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Quantity;
use salesflow_store::entity::product;
use salesflow_store::inventory;
use salesflow_store::purchasing::{self, LineInput, PastPurchaseOrder, PurchaseOrderInput, SupplierInput};
use salesflow_store::{Actor, Store};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// (name, contact, phone, e-mail, address, notes, product codes it supplies)
type DemoSupplier =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static [&'static str]);

const SUPPLIERS: [DemoSupplier; 4] = [
    (
        "上海精测传感器有限公司",
        "周敏",
        "021-5888 1234",
        "sales@jingce-sensor.cn",
        "上海市闵行区莘庄工业区春东路 508 号",
        "月结 30 天；温度与压力传感器",
        &["SEN-T100", "SEN-P200"],
    ),
    (
        "Northbridge Vibration Systems Ltd.",
        "Oliver Grant",
        "+44 20 7946 0321",
        "orders@northbridge-vs.co.uk",
        "14 Harbour Road, Bristol BS1 5TT, United Kingdom",
        "Prepayment 30 %, rest on delivery; lead time 6 weeks",
        &["SEN-V300"],
    ),
    (
        "深圳华控自动化设备有限公司",
        "陈刚",
        "0755-2660 8899",
        "chen.gang@huakong-auto.com",
        "深圳市南山区科技园高新南七道 9 号",
        "PLC 与触摸屏；季度返利 2 %",
        &["PLC-S7", "PLC-S9", "HMI-10"],
    ),
    ("Acme Industrial Supply Co.", "Maria Lopez", "+1 312 555 0186", "maria.lopez@acme-supply.com", "", "", &[]),
];

/// Suppliers, products' default suppliers, and purchase orders over two years.
pub(super) async fn load_purchasing(store: &Store, system: &Actor) -> anyhow::Result<usize> {
    let warehouses = inventory::list_warehouses(store, system).await?;
    let warehouse = warehouses.first().context("the demo's warehouses")?.id;
    let now = Utc::now();
    let mut past = Vec::new();
    let mut draft = None;
    for (s, (name, contact, phone, email, address, notes, codes)) in SUPPLIERS.iter().enumerate() {
        let input = SupplierInput {
            name: (*name).into(),
            contact: (*contact).into(),
            phone: (*phone).into(),
            email: (*email).into(),
            address: (*address).into(),
            notes: (*notes).into(),
        };
        let supplier =
            purchasing::create_supplier(store, system, input).await.with_context(|| format!("supplier {name}"))?;
        let products = product::Entity::find()
            .filter(product::Column::Code.is_in(codes.iter().copied()))
            .all(store.reader())
            .await?;
        if products.is_empty() {
            continue;
        }
        let txn = store.begin().await?;
        product::Entity::update_many()
            .col_expr(product::Column::DefaultSupplierId, Expr::value(supplier.id))
            .filter(product::Column::Id.is_in(products.iter().map(|p| p.id)))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        // Every eight weeks for two years, staggered by supplier; received
        // about ten days after ordering, the latest still on its way.
        for round in (0..13i64).rev() {
            let ordered_at = now - Duration::weeks(round * 8 + 1) - Duration::days(s as i64 * 3);
            let lines = products
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let quantity = Quantity::units((p.reorder_point * 2 / 1000).max(2) + ((round + k as i64) % 3) * 5);
                    (p.id, quantity, Money(p.cost))
                })
                .collect();
            let received_at = (round > 0).then(|| ordered_at + Duration::days(10));
            past.push(PastPurchaseOrder {
                supplier_id: supplier.id,
                ordered_at,
                expected_date: Some((ordered_at + Duration::days(10)).date_naive()),
                received_at,
                warehouse_id: warehouse,
                notes: if round == 0 { "请按合同交期发货".into() } else { String::new() },
                lines,
            });
        }
        if draft.is_none() {
            draft = Some((supplier.id, products[0].id, products[0].cost));
        }
    }
    past.sort_by_key(|o| o.ordered_at);
    let count = purchasing::load_purchase_orders(store, &past).await?;
    if let Some((supplier_id, product_id, cost)) = draft {
        let input = PurchaseOrderInput {
            supplier_id,
            expected_date: (now + Duration::days(14)).date_naive().format("%Y-%m-%d").to_string(),
            notes: "下季度备货，待主管确认".into(),
            lines: vec![LineInput { product_id, quantity: "50".into(), unit_cost: Money(cost).to_string() }],
        };
        purchasing::create_purchase_order(store, system, input).await.context("the draft purchase order")?;
    }
    Ok(count + usize::from(draft.is_some()))
}

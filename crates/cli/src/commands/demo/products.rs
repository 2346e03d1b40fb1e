//! The demo's product catalogue (categories, products, grade prices) and
//! its stock history in two warehouses.

use anyhow::Context;
use salesflow_store::{Actor, Store};

/// (category, code, name, specification (English), unit, list price, cost, reorder point)
type DemoProduct =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str, i64);

const PRODUCTS: [DemoProduct; 8] = [
    ("传感器", "SEN-T100", "工业温度传感器", "PT100, -50–400 °C, 4–20 mA output, IP67", "个", "680.00", "410.00", 40),
    ("传感器", "SEN-P200", "工业压力传感器", "0–10 MPa, 0.25 % FS, M20×1.5 thread", "个", "1280.00", "760.00", 30),
    ("传感器", "SEN-V300", "振动监测传感器", "3-axis, 10 kHz, Modbus RTU", "个", "2350.00", "1420.00", 20),
    (
        "控制器",
        "PLC-S7",
        "PLC控制器 标准型",
        "24 DI / 16 DO, 2 AI, Ethernet, Modbus TCP",
        "台",
        "12800.00",
        "7600.00",
        10,
    ),
    (
        "控制器",
        "PLC-S9",
        "PLC控制器 高性能型",
        "64 I/O, dual Ethernet, PROFINET, redundant power",
        "台",
        "26800.00",
        "16800.00",
        5,
    ),
    ("控制器", "HMI-10", "10 英寸触摸屏", "10.1\" TFT, 1024×600, IP65 front panel", "台", "4600.00", "2750.00", 8),
    (
        "软件与服务",
        "SW-SCADA",
        "SCADA 监控软件许可",
        "Per-site license, 5,000 tags, 1 year updates",
        "套",
        "38000.00",
        "6000.00",
        0,
    ),
    (
        "软件与服务",
        "SV-INST",
        "现场安装调试服务",
        "On-site installation and commissioning, per engineer-day",
        "人天",
        "2800.00",
        "1200.00",
        0,
    ),
];

/// The product catalogue (categories, products, grade prices), two
/// warehouses and two years of stock movements.
pub(super) async fn load_products(store: &Store, system: &Actor) -> anyhow::Result<usize> {
    use chrono::{Duration, Utc};
    use salesflow_domain::inventory::MovementKind;
    use salesflow_domain::products::ProductText;
    use salesflow_domain::quantity::Quantity;
    use salesflow_store::inventory::{self, PastMovement, WarehouseInput};
    use salesflow_store::products::{self, PriceInput, ProductInput};

    let mut categories = std::collections::HashMap::new();
    for name in ["传感器", "控制器", "软件与服务"] {
        let c = products::create_category(store, system, name, None).await?;
        categories.insert(name, c.id);
    }
    let mut warehouses = Vec::new();
    for (code, name, address) in
        [("SH", "上海仓", "上海市嘉定区安亭镇园区路 88 号"), ("BJ", "北京仓", "北京市大兴区经济技术开发区科创街 16 号")]
    {
        let w = inventory::create_warehouse(
            store,
            system,
            WarehouseInput { code: code.into(), name: name.into(), address: address.into(), active: true },
        )
        .await?;
        warehouses.push(w.id);
    }
    let now = Utc::now();
    for (i, (category, code, name, spec, unit, price, cost, reorder)) in PRODUCTS.iter().enumerate() {
        let text = ProductText {
            code: (*code).into(),
            name: (*name).into(),
            specification: (*spec).into(),
            unit: (*unit).into(),
            list_price: (*price).into(),
            cost: (*cost).into(),
            tax_rate: if category == &"软件与服务" { "6".into() } else { "13".into() },
            reorder_point: reorder.to_string(),
            safety_stock: (reorder / 2).to_string(),
        };
        let input = ProductInput {
            text,
            category_id: categories.get(category).copied(),
            active: true,
            default_supplier_id: None,
            // Installation is delivered, not taken from stock.
            service: *code == "SV-INST",
        };
        let p = products::create_product(store, system, input).await.with_context(|| format!("product {code}"))?;
        // Grade A customers pay 5 % less this year.
        let list: i64 = price.split('.').next().unwrap_or("0").parse().unwrap_or(0);
        let grade_a = PriceInput {
            customer_id: None,
            grade: Some("A".into()),
            price: format!("{}.00", list * 95 / 100),
            valid_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
            valid_to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
        };
        products::add_price(store, system, p.id, grade_a).await?;
        if *reorder == 0 {
            continue; // Software and services are not stocked.
        }
        for (w, warehouse) in warehouses.iter().enumerate() {
            // Two years: a receipt every four weeks, shipments every week,
            // a count adjustment each quarter.
            let mut history = Vec::new();
            for week in (0..104i64).rev() {
                let at = now - Duration::weeks(week) - Duration::hours((i * 3 + w) as i64);
                if week % 4 == 0 {
                    history.push(PastMovement {
                        at,
                        kind: MovementKind::Receipt,
                        quantity: Quantity::units(reorder * 2),
                        reason: String::new(),
                    });
                }
                history.push(PastMovement {
                    at: at + Duration::days(2),
                    kind: MovementKind::Shipment,
                    quantity: -Quantity::units(((week + i as i64) % 5 + 1) * (reorder / 10).max(1)),
                    reason: String::new(),
                });
                if week % 13 == 6 {
                    history.push(PastMovement {
                        at: at + Duration::days(3),
                        kind: MovementKind::Adjustment,
                        quantity: -Quantity::units(1),
                        reason: "季度盘点：盘亏".into(),
                    });
                }
            }
            history.retain(|m| m.at <= now);
            history.sort_by_key(|m| m.at);
            inventory::load_history(store, p.id, *warehouse, &history).await?;
        }
    }
    Ok(PRODUCTS.len())
}

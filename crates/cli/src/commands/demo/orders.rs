//! The demo's sales orders: the approval rules (orders of ¥500,000 or more
//! need the manager; ¥2,000,000 or more also an administrator), two years
//! of closed orders (completed, shipped, rejected, cancelled) with their
//! shipments, and this month's orders in every open state, made through
//! the live rules (reservations, approvals waiting in "my approvals").

use anyhow::Context;
use chrono::{Duration, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_store::access;
use salesflow_store::approvals::{self, RuleInput, StepView};
use salesflow_store::entity::{customer, product, user, warehouse};
use salesflow_store::orders::{self, LineInput, OrderInput, PastLine, PastOrder, ShipInput, ShipLine};
use salesflow_store::{Actor, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

const CARRIERS: [&str; 4] = ["顺丰速运", "京东物流", "德邦快递", "中通快运"];

/// Loads the rules and the orders; answers how many orders there are.
pub(super) async fn load_orders(store: &Store, system: &Actor) -> anyhow::Result<usize> {
    for (min, steps) in [
        ("500000", vec![StepView { role: None, manager: Some(1) }]),
        ("2000000", vec![StepView { role: Some("admin".into()), manager: None }]),
    ] {
        let input = RuleInput {
            document_type: "order".into(),
            min_amount: Some(min.into()),
            steps,
            active: true,
            ..Default::default()
        };
        approvals::create_rule(store, system, input).await?;
    }
    let db = store.reader();
    let products: Vec<product::Model> = product::Entity::find()
        .filter(product::Column::ReorderPoint.gt(0))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    anyhow::ensure!(!products.is_empty(), "the demo products come first");
    let warehouses: Vec<i64> = warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let customers: Vec<customer::Model> = customer::Entity::find()
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::Id)
        .all(db)
        .await?;
    let people: Vec<user::Model> = user::Entity::find().filter(user::Column::Active.eq(true)).all(db).await?;

    // Two years of closed orders, about three a week.
    let now = Utc::now();
    let mut past = Vec::new();
    for n in 0..300i64 {
        let c = &customers[(n as usize * 7) % customers.len()];
        let at = now - Duration::days(730 - n * 2) - Duration::hours(n % 9);
        if at > now - Duration::days(20) {
            break;
        }
        let status = match n % 20 {
            0 => OrderStatus::Rejected,
            1 | 2 => OrderStatus::Cancelled,
            3 => OrderStatus::Shipped,
            _ => OrderStatus::Completed,
        };
        let lines = (0..(n % 3 + 1))
            .map(|k| {
                let p = &products[((n + k * 3) as usize) % products.len()];
                PastLine {
                    product_id: p.id,
                    warehouse_id: warehouses.get(((n + k) % 2) as usize).copied(),
                    quantity: Quantity::units((n + k) % 12 + 1),
                    unit_price: Money(p.list_price),
                    discount: Percent(((n % 4) * 250) as i32),
                    tax_rate: Percent(p.tax_rate),
                }
            })
            .collect();
        past.push(PastOrder {
            customer_id: c.id,
            created_by: c.owner_id.unwrap_or_default(),
            created_at: at,
            status,
            delivery_address: c.address.clone().unwrap_or_default(),
            carrier: CARRIERS[(n % 4) as usize].into(),
            lines,
        });
    }
    let mut count = orders::load_past(store, &past).await?;

    // This month's orders, through the live rules, by their customers' owners.
    let actor_of = |id: i64| {
        let people = &people;
        async move {
            let u = people.iter().find(|u| u.id == id).context("owner")?;
            anyhow::Ok(access::actor_for(store.reader(), u).await?)
        }
    };
    // (customer index, product index, quantity, discount %, what happens)
    let live: [(usize, usize, i64, &str, &str); 8] = [
        (0, 0, 20, "0", "draft"),
        (1, 1, 10, "5", "approved"),
        (2, 3, 4, "0", "partially_shipped"),
        (3, 4, 3, "0", "shipped"),
        (0, 3, 45, "2", "submitted"), // ¥500,000+ : waits for the manager
        (6, 4, 80, "0", "submitted"), // ¥2,000,000+ : manager, then an administrator
        (4, 1, 30, "12", "cancelled"),
        (5, 2, 6, "0", "approved"),
    ];
    for (ci, pi, quantity, discount, what) in live {
        let c = &customers[ci % customers.len()];
        let Some(owner) = c.owner_id else { continue };
        let actor = actor_of(owner).await?;
        let p = &products[pi % products.len()];
        let input = OrderInput {
            customer_id: c.id,
            warehouse_id: warehouses.first().copied(),
            delivery_address: c.address.clone().unwrap_or_default(),
            delivery_date: Some((now + Duration::days(10)).date_naive()),
            lines: vec![LineInput {
                product_id: p.id,
                quantity: quantity.to_string(),
                discount_percent: Some(discount.into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let o = orders::create(store, &actor, input).await.with_context(|| format!("order for {}", c.name))?;
        count += 1;
        if what == "draft" {
            continue;
        }
        let o = match orders::submit(store, &actor, o.id).await {
            Ok(o) => o,
            // Not enough stock in the demo warehouse: it stays a draft.
            Err(salesflow_store::StoreError::Invalid(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let line = o.lines[0].id;
        let ship = |q: i64| ShipInput {
            carrier: CARRIERS[ci % 4].into(),
            tracking_number: format!("JD{}{:04}", now.format("%Y%m%d"), o.id),
            lines: vec![ShipLine { order_line_id: line, quantity: q.to_string() }],
        };
        match what {
            "partially_shipped" => {
                orders::ship(store, &actor, o.id, ship(quantity / 2)).await?;
            }
            "shipped" => {
                orders::ship(store, &actor, o.id, ship(quantity)).await?;
            }
            "cancelled" => {
                orders::cancel(store, &actor, o.id).await?;
            }
            _ => {}
        }
    }
    Ok(count)
}

//! The stock functions documents will call (reserve, release, ship) inside
//! their own unit of work: never below zero, the reservation ends when the
//! goods leave, and a unit that does not commit changes nothing.

mod support;

use salesflow_domain::access::{Action, Module};
use salesflow_domain::inventory::{MovementKind, Stock};
use salesflow_domain::products::ProductText;
use salesflow_domain::quantity::Quantity;
use salesflow_store::entity::{stock, stock_movement};
use salesflow_store::inventory::{self, Source, WarehouseInput};
use salesflow_store::products::{self, ProductInput};
use salesflow_store::{Actor, AuditEvent, StoreError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use support::TestStore;

fn q(units: i64) -> Quantity {
    Quantity::units(units)
}

async fn setup(t: &TestStore) -> (i64, i64) {
    let system = Actor::system();
    let text = ProductText {
        code: "PLC-200".into(),
        name: "PLC控制器".into(),
        unit: "台".into(),
        list_price: "100".into(),
        cost: "60".into(),
        ..Default::default()
    };
    let p = products::create_product(
        &t.store,
        &system,
        ProductInput { text, category_id: None, active: true, default_supplier_id: None, service: false },
    )
    .await
    .expect("product");
    let w = inventory::create_warehouse(
        &t.store,
        &system,
        WarehouseInput { code: "SH".into(), name: "上海仓".into(), address: String::new(), active: true },
    )
    .await
    .expect("warehouse");
    (p.id, w.id)
}

async fn row(t: &TestStore, p: i64, w: i64) -> Stock {
    let s = stock::Entity::find_by_id((p, w)).one(t.store.reader()).await.unwrap().unwrap();
    Stock { on_hand: Quantity(s.on_hand), reserved: Quantity(s.reserved) }
}

fn available_in(e: StoreError) -> String {
    match e {
        StoreError::Invalid(i) => {
            assert_eq!(i.0[0].code, "insufficient_stock");
            i.0[0].params.iter().find(|(k, _)| k == "available").map(|(_, v)| v.clone()).unwrap_or_default()
        }
        other => panic!("expected insufficient stock, got {other:?}"),
    }
}

#[tokio::test]
async fn reserve_release_and_ship_keep_available_at_or_above_zero() {
    let t = TestStore::new().await;
    let (p, w) = setup(&t).await;
    let system = Actor::system();
    let order = Source { document_type: Some("order".into()), document_id: Some(42) };

    let unit = t.store.permit(&system, Module::Inventory, Action::Create).unwrap().begin().await.unwrap();
    inventory::change_on_hand(&unit, MovementKind::Receipt, p, w, q(10), &Source::default(), "").await.unwrap();
    assert_eq!(inventory::reserve(&unit, p, w, q(6)).await.unwrap(), Stock { on_hand: q(10), reserved: q(6) });
    // Only 4 are left to reserve; the refusal says so and changes nothing.
    assert_eq!(available_in(inventory::reserve(&unit, p, w, q(5)).await.unwrap_err()), "4");
    assert_eq!(inventory::release(&unit, p, w, q(2)).await.unwrap(), Stock { on_hand: q(10), reserved: q(4) });
    // Shipping 5 of which 4 were reserved: the reservation ends, 1 more comes from what is free.
    let shipped = inventory::ship(&unit, p, w, q(5), q(4), &order).await.unwrap();
    assert_eq!((shipped.kind.as_str(), shipped.quantity, shipped.balance_after), ("shipment", -5_000, 5_000));
    assert_eq!((shipped.source_type.as_deref(), shipped.source_id), (Some("order"), Some(42)));
    // Shipping beyond what is free (nothing reserved for it) is refused.
    assert_eq!(available_in(inventory::ship(&unit, p, w, q(6), q(0), &order).await.unwrap_err()), "5");
    // Releasing more than is reserved stops at zero.
    assert_eq!(inventory::release(&unit, p, w, q(9)).await.unwrap(), Stock { on_hand: q(5), reserved: q(0) });
    unit.commit(AuditEvent::new("test.stock", "product", Some(p))).await.unwrap();
    assert_eq!(row(&t, p, w).await, Stock { on_hand: q(5), reserved: q(0) });
    let kinds: Vec<String> = stock_movement::Entity::find()
        .filter(stock_movement::Column::ProductId.eq(p))
        .order_by_asc(stock_movement::Column::Id)
        .all(t.store.reader())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["receipt", "shipment"], "reservations move no goods");
}

#[tokio::test]
async fn a_reservation_in_a_unit_that_does_not_commit_leaves_nothing() {
    let t = TestStore::new().await;
    let (p, w) = setup(&t).await;
    let system = Actor::system();
    let unit = t.store.permit(&system, Module::Inventory, Action::Create).unwrap().begin().await.unwrap();
    inventory::change_on_hand(&unit, MovementKind::Receipt, p, w, q(3), &Source::default(), "").await.unwrap();
    unit.commit(AuditEvent::new("test.receipt", "product", Some(p))).await.unwrap();
    {
        let unit = t.store.permit(&system, Module::Inventory, Action::Create).unwrap().begin().await.unwrap();
        inventory::reserve(&unit, p, w, q(3)).await.unwrap();
        // Dropped without commit: rolled back.
    }
    assert_eq!(row(&t, p, w).await, Stock { on_hand: q(3), reserved: q(0) });
}

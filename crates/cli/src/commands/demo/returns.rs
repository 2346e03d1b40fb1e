//! The demo's returns: a few of the past two years' completed orders took
//! goods back (most settled, one cancelled), at their own dates, and one
//! of this month's shipped orders has a return registered through the live
//! rules, waiting for the goods.

use chrono::Duration;
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::quantity::Quantity;
use salesflow_domain::returns::ReturnStatus;
use salesflow_store::entity::{order, order_line, warehouse};
use salesflow_store::returns::{self, PastReturn, ReturnInput, ReturnLineInput};
use salesflow_store::{Actor, Store, access};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

const REASONS: [&str; 6] = [
    "包装破损，客户拒收两台",
    "型号发错，退回换货",
    "Customer ordered too many; two units returned unopened",
    "到货检测不合格",
    "Damaged in transit (carrier report attached to the ticket)",
    "项目延期，客户退回多余备件",
];

/// Loads the returns; answers how many there are.
pub(super) async fn load_returns(store: &Store) -> anyhow::Result<usize> {
    let db = store.reader();
    let Some(warehouse) = warehouse::Entity::find().order_by_asc(warehouse::Column::Id).one(db).await? else {
        return Ok(0);
    };
    let completed = order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::Completed.code()))
        .order_by_asc(order::Column::Id)
        .limit(400)
        .all(db)
        .await?;
    let mut past = Vec::new();
    for (n, o) in completed.iter().step_by(37).take(8).enumerate() {
        let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(o.id)).all(db).await?;
        let Some(l) = lines.first() else { continue };
        // One unit, or a whole small line.
        let q = if l.shipped >= 2_000 { Quantity(1_000 * (1 + n as i64 % 2)) } else { Quantity(l.shipped) };
        past.push(PastReturn {
            order_id: o.id,
            warehouse_id: l.warehouse_id.unwrap_or(warehouse.id),
            created_at: o.created_at + Duration::days(12 + n as i64),
            status: match n {
                3 => ReturnStatus::Cancelled,
                _ => ReturnStatus::Completed,
            },
            reason: REASONS[n % REASONS.len()].into(),
            lines: vec![(l.id, q)],
        });
    }
    let mut count = returns::load_past(store, &past).await?;
    // This month's shipped order: a return waiting for the goods.
    let shipped = order::Entity::find()
        .filter(order::Column::Status.is_in([OrderStatus::Shipped.code(), OrderStatus::PartiallyShipped.code()]))
        .order_by_desc(order::Column::Id)
        .one(db)
        .await?;
    if let Some(o) = shipped
        && let Some(l) = order_line::Entity::find()
            .filter(order_line::Column::OrderId.eq(o.id))
            .filter(order_line::Column::Shipped.gt(0))
            .one(db)
            .await?
        && let Some(owner) = salesflow_store::entity::user::Entity::find_by_id(o.created_by).one(db).await?
    {
        let actor: Actor = access::actor_for(db, &owner).await?;
        let input = ReturnInput {
            order_id: o.id,
            warehouse_id: l.warehouse_id.unwrap_or(warehouse.id),
            reason: REASONS[0].into(),
            lines: vec![ReturnLineInput { order_line_id: l.id, quantity: "1".into() }],
        };
        returns::create(store, &actor, input).await?;
        count += 1;
    }
    Ok(count)
}

//! Bulk loads keep the planner's statistics in step as they grow: with
//! autovacuum off, PostgreSQL otherwise plans every batch with the empty
//! tables' statistics (`gen` read every loaded deal for each batch).

mod support;

use salesflow_store::{Actor, Backend, LoadStatistics};
use sea_orm::ConnectionTrait;
use support::TestStore;

/// The planner's idea of the customers' row count.
async fn planned_customers(t: &TestStore) -> f64 {
    let row = t
        .store
        .reader()
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT reltuples::float8 FROM pg_class WHERE relname = 'customers'",
        ))
        .await
        .expect("read pg_class")
        .expect("the customers table");
    row.try_get_by_index(0).expect("reltuples")
}

#[tokio::test]
async fn a_bulk_load_analyses_its_tables_each_time_it_doubled() {
    let t = TestStore::new().await;
    if t.store.backend() != Backend::Postgres {
        return;
    }
    let actor = Actor::system();
    for name in ["上海华信科技有限公司", "北京远航贸易有限公司", "Golden Panda Co., Ltd."] {
        t.customer(&actor, name).await;
    }
    let mut statistics = LoadStatistics::new(&["customers"]);
    statistics.loaded(&t.store, 19_999).await.expect("below the first refresh");
    assert!(planned_customers(&t).await < 1.0, "not analysed before the first refresh");
    statistics.loaded(&t.store, 20_000).await.expect("the first refresh");
    assert_eq!(planned_customers(&t).await, 3.0, "analysed at the first refresh");

    for name in ["深圳锦程电子有限公司", "杭州青禾茶业有限公司"] {
        t.customer(&actor, name).await;
    }
    statistics.loaded(&t.store, 39_999).await.expect("not doubled yet");
    assert_eq!(planned_customers(&t).await, 3.0, "not analysed again before the load doubled");
    statistics.loaded(&t.store, 40_000).await.expect("doubled");
    assert_eq!(planned_customers(&t).await, 5.0, "analysed again once the load doubled");
}

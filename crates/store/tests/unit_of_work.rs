//! Scenarios of the unit of work, on the store alone (a fresh SQLite file
//! per test, the clock fixed): a write that does not commit leaves nothing,
//! a stale version changes nothing, and the hooks share the transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, DataScope, Module, Permissions};
use salesflow_domain::time::Clock;
use salesflow_store::audit::{self, AuditFilter};
use salesflow_store::customers::{self, CustomerInput};
use salesflow_store::entity::{audit_entry, customer, search_gram};
use salesflow_store::paging::PageRequest;
use salesflow_store::search::Kind;
use salesflow_store::{Actor, AuditEvent, Store, StoreError, access};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

/// A migrated store on a file of its own, removed when the test ends.
struct TestStore {
    store: Store,
    file: std::path::PathBuf,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.file.display()));
        }
    }
}

fn noon() -> DateTime<Utc> {
    "2026-03-02T04:00:00Z".parse().expect("an instant")
}

async fn fresh_store() -> TestStore {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("salesflow-uow-{}-{n}.db", std::process::id()));
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.expect("connect");
    let store = store.with_clock(Clock::fixed(noon()));
    store.migrate().await.expect("migrate");
    access::bootstrap(&store).await.expect("bootstrap");
    TestStore { store, file }
}

fn input(name: &str) -> CustomerInput {
    CustomerInput { name: name.to_owned(), to_pool: true, ..Default::default() }
}

async fn audit_rows(store: &Store, action: &str) -> u64 {
    audit_entry::Entity::find().filter(audit_entry::Column::Action.eq(action)).count(store.reader()).await.unwrap()
}

async fn grams_of(store: &Store, id: i64) -> Vec<String> {
    search_gram::Entity::find()
        .filter(search_gram::Column::Kind.eq(Kind::Customer as i16))
        .filter(search_gram::Column::EntityId.eq(id))
        .order_by_asc(search_gram::Column::Gram)
        .all(store.reader())
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.gram)
        .collect()
}

#[tokio::test]
async fn a_unit_that_does_not_commit_leaves_nothing() {
    let t = fresh_store().await;
    let system = Actor::system();
    let created = customers::create_customer(&t.store, &system, input("杭州绿叶")).await.unwrap();

    // A change without its audit event cannot commit (`commit` takes the
    // event; see the compile_fail example on `UnitOfWork`): ending the unit
    // there rolls the change back.
    let unit = t.store.permit(&system, Module::Customers, Action::Edit).unwrap().begin().await.unwrap();
    unit.update::<customer::Entity>(created.id, created.version)
        .set(customer::Column::Name, Expr::value("改了名"))
        .exec()
        .await
        .unwrap();
    drop(unit);

    let now = customers::get_customer(&t.store, &system, created.id).await.unwrap();
    assert_eq!((now.name.as_str(), now.version), ("杭州绿叶", created.version));
    assert_eq!(audit_rows(&t.store, "customer.update").await, 0);

    // With its event it commits, at the unit's instant (the store's clock).
    let unit = t.store.permit(&system, Module::Customers, Action::Edit).unwrap().begin().await.unwrap();
    let after = unit
        .update::<customer::Entity>(created.id, created.version)
        .set(customer::Column::Name, Expr::value("改了名"))
        .exec()
        .await
        .unwrap();
    unit.commit(AuditEvent::new("customer.update", "customer", Some(created.id)).after(&after.name)).await.unwrap();
    let now = customers::get_customer(&t.store, &system, created.id).await.unwrap();
    assert_eq!((now.name.as_str(), now.version, now.updated_at), ("改了名", created.version + 1, noon()));
    let entries = audit::list(&t.store, &system, &AuditFilter::default(), &PageRequest::default()).await.unwrap();
    let entry = entries.items.iter().find(|e| e.action == "customer.update").expect("the audit row");
    assert_eq!(entry.at, noon());
}

#[tokio::test]
async fn a_permit_needs_the_right() {
    let t = fresh_store().await;
    let reader = Actor {
        user_id: Some(1),
        permissions: Permissions::from_codes(&BTreeMap::from([(
            Module::Customers.code().to_owned(),
            vec![Action::View.code().to_owned()],
        )])),
        scope: DataScope::All,
        ..Actor::system()
    };
    assert!(reader.can(Module::Customers, Action::View));
    assert!(matches!(t.store.permit(&reader, Module::Customers, Action::Edit), Err(StoreError::Forbidden)));
}

#[tokio::test]
async fn a_stale_version_changes_nothing() {
    let t = fresh_store().await;
    let system = Actor::system();
    let created = customers::create_customer(&t.store, &system, input("宁波海风")).await.unwrap();
    let edited = customers::update_customer(&t.store, &system, created.id, created.version, input("宁波海风贸易"))
        .await
        .unwrap();
    assert_eq!(edited.version, created.version + 1);

    // The first version again: someone saves what they read before the edit.
    let stale = customers::update_customer(&t.store, &system, created.id, created.version, input("旧的名字")).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let now = customers::get_customer(&t.store, &system, created.id).await.unwrap();
    assert_eq!((now.name.as_str(), now.version), ("宁波海风贸易", edited.version));
    assert_eq!(audit_rows(&t.store, "customer.update").await, 1, "only the edit that happened");
    assert_eq!(grams_of(&t.store, created.id).await, grams_of_text("宁波海风贸易"));

    // The same through the unit's helper directly.
    let unit = t.store.permit(&system, Module::Customers, Action::Edit).unwrap().begin().await.unwrap();
    let stale = unit
        .update::<customer::Entity>(created.id, created.version)
        .set(customer::Column::Name, Expr::value("旧的名字"))
        .exec()
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
}

fn grams_of_text(text: &str) -> Vec<String> {
    // A set: sorted, each once, as the index holds them.
    salesflow_domain::search::index_grams(text).into_iter().collect()
}

#[tokio::test]
async fn hooks_run_in_the_units_transaction() {
    let t = fresh_store().await;
    let system = Actor::system();
    let created = customers::create_customer(&t.store, &system, input("温州东方")).await.unwrap();
    let indexed = grams_of(&t.store, created.id).await;
    assert_eq!(indexed, grams_of_text("温州东方"));

    // The index hook writes in the unit: rolled back with it.
    let unit = t.store.permit(&system, Module::Customers, Action::Edit).unwrap().begin().await.unwrap();
    unit.index(Kind::Customer, created.id, &["完全不同"]).await.unwrap();
    let inside: Vec<String> = search_gram::Entity::find()
        .filter(search_gram::Column::Kind.eq(Kind::Customer as i16))
        .filter(search_gram::Column::EntityId.eq(created.id))
        .order_by_asc(search_gram::Column::Gram)
        .all(&unit)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.gram)
        .collect();
    assert_eq!(inside, grams_of_text("完全不同"), "seen inside the unit");
    drop(unit);
    assert_eq!(grams_of(&t.store, created.id).await, indexed, "undone with the unit");
}

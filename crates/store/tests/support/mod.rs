//! What the store's scenario tests share: a fresh, migrated database per
//! test (an SQLite file, or a new PostgreSQL database when
//! `SALESFLOW_TEST_DATABASE_URL` is set) and the records most scenarios
//! start from, written through the store's own functions.
//!
//! A test file takes it with `mod support;`.
#![allow(dead_code)] // each test file uses a part of it

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use salesflow_store::access::{self, DepartmentInput, NewUser};
use salesflow_store::customers::{self, CustomerInput};
use salesflow_store::entity::user;
use salesflow_store::{Actor, Store};
use sea_orm::{ConnectionTrait, EntityTrait};

/// A store on a database of its own, deleted (for SQLite) when dropped.
pub struct TestStore {
    pub store: Store,
    sqlite_file: Option<PathBuf>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(f) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

/// A name no other test of this run, nor of an earlier one, uses. The
/// PostgreSQL databases start with `sf_test_`, which `scripts/test.sh` drops.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock after 1970").as_nanos();
    format!("{prefix}{}_{nanos}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

impl TestStore {
    /// A migrated database with the built-in rows (roles, pipelines, settings).
    pub async fn new() -> TestStore {
        let t = TestStore::unmigrated().await;
        t.store.migrate().await.expect("migrate");
        access::bootstrap(&t.store).await.expect("bootstrap");
        t
    }

    /// A database with the migrations before `first_not_run` only, for
    /// tests of a data migration (they write rows in the old shape, then
    /// call `Store::migrate`).
    pub async fn migrated_before(first_not_run: &str) -> TestStore {
        let t = TestStore::unmigrated().await;
        t.store.migrate_before(first_not_run).await.expect("migrate before");
        t
    }

    async fn unmigrated() -> TestStore {
        let (url, sqlite_file) = match std::env::var("SALESFLOW_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(server) => {
                let name = unique("sf_test_");
                let admin = sea_orm::Database::connect(&server).await.expect("connect to the PostgreSQL test server");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
                (format!("{base}/{name}"), None)
            }
            None => {
                let file = std::env::temp_dir().join(format!("{}.db", unique("salesflow-store-test-")));
                (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
            }
        };
        let store = Store::connect(&url).await.expect("connect");
        TestStore { store, sqlite_file }
    }

    /// A department at the top of the tree: its id.
    pub async fn department(&self, name: &str) -> i64 {
        let input = DepartmentInput { name: name.into(), parent_id: None, manager_id: None };
        access::create_department(&self.store, &Actor::system(), input).await.expect("create department").id
    }

    /// A new user of `role` (a role code) in `department`, as the actor the
    /// store sees when that user signs in.
    pub async fn user(&self, username: &str, role: &str, department: Option<i64>) -> Actor {
        let role = access::role_by_code(&self.store, role).await.expect("read role").expect("a built-in role");
        let new = NewUser {
            username: username.into(),
            email: format!("{username}@example.com"),
            display_name: username.into(),
            password: "password-123".into(),
            role_id: role.id,
            department_id: department,
            ..Default::default()
        };
        let created = access::create_user(&self.store, &Actor::system(), new).await.expect("create user");
        let model = user::Entity::find_by_id(created.id).one(self.store.reader()).await.expect("read user");
        access::actor_for(self.store.reader(), &model.expect("the new user")).await.expect("actor")
    }

    /// A customer named `name`, created by `actor` (so owned by a
    /// salesperson who creates it): its id.
    pub async fn customer(&self, actor: &Actor, name: &str) -> i64 {
        let input = CustomerInput { name: name.into(), ..Default::default() };
        customers::create_customer(&self.store, actor, input).await.expect("create customer").id
    }
}

//! How the store opens an SQLite file.

use salesflow_store::{DbSettings, Store};
use sea_orm::{ConnectionTrait, Statement};

/// Every connection reads the file through a memory map as large as the
/// settings ask: SQLite silently caps `mmap_size` at its compile-time
/// `SQLITE_MAX_MMAP_SIZE` (2 GiB unless `.cargo/config.toml` raises it), and
/// a capped map leaves most of a large file to per-connection page caches.
#[tokio::test]
async fn every_connection_maps_the_file_as_asked() {
    let file = std::env::temp_dir().join(format!("salesflow-mmap-{}.db", std::process::id()));
    let settings = DbSettings::default();
    assert!(settings.sqlite_mmap_mib > 2048, "the default maps more than SQLite's own cap");
    let store = Store::connect_with(&format!("sqlite://{}?mode=rwc", file.display()), &settings).await.unwrap();
    let asked = settings.sqlite_mmap_mib * 1024 * 1024;
    let pragma = || Statement::from_string(store.reader().get_database_backend(), "PRAGMA mmap_size");
    let mapped: i64 = store.reader().query_one_raw(pragma()).await.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(mapped as u64, asked, "the reader's map (SQLite caps it at SQLITE_MAX_MMAP_SIZE)");
    let txn = store.begin().await.unwrap();
    let written: i64 = txn.query_one_raw(pragma()).await.unwrap().unwrap().try_get_by_index(0).unwrap();
    txn.commit().await.unwrap();
    assert_eq!(written as u64, asked, "the writer's map");
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

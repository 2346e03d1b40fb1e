//! One migration set, portable across SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

mod m20261127_000001_foundation;
mod m20261127_000002_customers;
mod m20261127_000003_activities;
mod m20261127_000004_pool_settings;
mod m20261127_000005_leads;
mod m20261127_000006_tasks;
mod m20261127_000007_imports;
mod m20261127_000008_views;
mod m20261127_000009_pipelines;
mod m20261127_000010_bulk_imports;
mod m20261128_000010_funnel_indexes;
mod m20261129_000011_funnel_rollup;
mod m20261130_000012_board_index;
mod m20261206_000013_hardening;
mod m20261206_000014_sort_indexes;
mod m20261206_000015_search_sets;
mod m20261207_000016_search_keys;
mod m20261207_000017_amount_display;
mod m20261207_000018_customer_tags;
mod m20261207_000019_stored_codes;
mod m20261207_000020_handover_requests;
mod m20261208_000022_user_pinyin;
mod m20261208_000026_customer_record;
mod m20261208_000027_comments;
mod m20261208_000028_attachments;
mod m20261208_000030_products;
mod m20261208_000031_inventory;
mod m20261209_000032_customer_names;
mod m20261209_000040_orders_approvals;
mod m20261209_000050_purchasing;
mod m20261209_000060_customer_phone_key;
mod m20261210_000061_product_service;
mod m20261210_000062_warehouse_scope;
mod m20261210_000070_quotes;
mod m20261210_000080_collections;
mod m20261210_000090_returns;
mod m20261210_000091_contracts;
mod m20261211_000100_owner_figures;
mod m20261211_000101_scope_probes;
mod m20261212_000110_audit_owner;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_foundation::Migration),
            Box::new(m20261127_000002_customers::Migration),
            Box::new(m20261127_000003_activities::Migration),
            Box::new(m20261127_000004_pool_settings::Migration),
            Box::new(m20261127_000005_leads::Migration),
            Box::new(m20261127_000006_tasks::Migration),
            Box::new(m20261127_000007_imports::Migration),
            Box::new(m20261127_000008_views::Migration),
            Box::new(m20261127_000009_pipelines::Migration),
            Box::new(m20261128_000010_funnel_indexes::Migration),
            // After 000009 (the sales pipeline), whatever the names say.
            Box::new(m20261127_000010_bulk_imports::Migration),
            Box::new(m20261129_000011_funnel_rollup::Migration),
            Box::new(m20261130_000012_board_index::Migration),
            Box::new(m20261206_000013_hardening::Migration),
            Box::new(m20261206_000014_sort_indexes::Migration),
            Box::new(m20261206_000015_search_sets::Migration),
            Box::new(m20261207_000016_search_keys::Migration),
            Box::new(m20261207_000017_amount_display::Migration),
            Box::new(m20261207_000018_customer_tags::Migration),
            Box::new(m20261207_000019_stored_codes::Migration),
            Box::new(m20261207_000020_handover_requests::Migration),
            Box::new(m20261208_000022_user_pinyin::Migration),
            Box::new(m20261208_000026_customer_record::Migration),
            Box::new(m20261208_000027_comments::Migration),
            Box::new(m20261208_000028_attachments::Migration),
            Box::new(m20261208_000030_products::Migration),
            Box::new(m20261208_000031_inventory::Migration),
            Box::new(m20261209_000032_customer_names::Migration),
            Box::new(m20261209_000040_orders_approvals::Migration),
            Box::new(m20261209_000050_purchasing::Migration),
            Box::new(m20261209_000060_customer_phone_key::Migration),
            Box::new(m20261210_000061_product_service::Migration),
            Box::new(m20261210_000062_warehouse_scope::Migration),
            Box::new(m20261210_000070_quotes::Migration),
            Box::new(m20261210_000080_collections::Migration),
            Box::new(m20261210_000090_returns::Migration),
            Box::new(m20261210_000091_contracts::Migration),
            Box::new(m20261211_000100_owner_figures::Migration),
            Box::new(m20261211_000101_scope_probes::Migration),
            Box::new(m20261212_000110_audit_owner::Migration),
        ]
    }
}

/// Shorthands for the column kinds every table uses.
pub(crate) mod cols {
    use sea_orm_migration::prelude::*;

    /// `CREATE TABLE IF NOT EXISTS <name>`, to add columns to.
    pub fn table(name: &str) -> TableCreateStatement {
        Table::create().table(Alias::new(name)).if_not_exists().to_owned()
    }

    pub fn id() -> ColumnDef {
        ColumnDef::new(Alias::new("id")).big_integer().not_null().auto_increment().primary_key().to_owned()
    }

    pub fn text(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).string().not_null().to_owned()
    }

    pub fn text_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).string().null().to_owned()
    }

    pub fn long_text_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).text().null().to_owned()
    }

    pub fn long_text(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
    }

    pub fn int(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).integer().not_null().to_owned()
    }

    pub fn big(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
    }

    pub fn big_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
    }

    pub fn flag(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).boolean().not_null().to_owned()
    }

    pub fn time(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().not_null().to_owned()
    }

    pub fn time_null(name: &str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().to_owned()
    }

    pub fn version() -> ColumnDef {
        ColumnDef::new(Alias::new("version")).big_integer().not_null().default(1).to_owned()
    }

    /// `CREATE INDEX idx_<table>_<cols> ON <table> (<cols>)`.
    pub fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
        let mut stmt = Index::create();
        stmt.name(format!("idx_{table}_{}", columns.join("_"))).table(Alias::new(table));
        for c in columns {
            stmt.col(Alias::new(*c));
        }
        if unique {
            stmt.unique();
        }
        stmt.to_owned()
    }
}

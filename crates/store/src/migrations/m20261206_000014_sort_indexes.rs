//! Every sort a list offers, served by an index for its common filters, so
//! that a page reads about one page of rows instead of reading and sorting
//! all of an owner's (a salesperson's customers by `created_at` or `name`
//! took 21–26 ms on SQLite and 41 req/s under 8 connections).
//!
//! Each index is the filter's columns, then the sort column, then `id` (the
//! keyset's tie-break). Lists and their filters:
//! - customers: owner (the scope, `owner_id IS NULL` for the public pool),
//!   grade, owner and grade; sorts `last_activity_at` (indexed before),
//!   `created_at`, `updated_at`, `name`, `id`;
//! - leads: owner; sorts `created_at`, `updated_at`, `name` (indexed
//!   before), `id`;
//! - tasks: assignee; sorts `due_at` (indexed before), `priority`,
//!   `created_at`, `updated_at`;
//! - opportunities: owner; sorts `updated_at` (the default), `created_at`,
//!   `amount`, `name`, `closed_at`;
//! - contacts: everyone's, by `name` (the default) or `created_at`.

use sea_orm_migration::prelude::*;

use super::cols::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000014_sort_indexes"
    }
}

const INDEXES: &[(&str, &[&str])] = &[
    ("customers", &["updated_at", "id"]),
    ("customers", &["owner_id", "id"]),
    ("customers", &["owner_id", "created_at", "id"]),
    ("customers", &["owner_id", "updated_at", "id"]),
    ("customers", &["owner_id", "name", "id"]),
    ("customers", &["grade", "id"]),
    ("customers", &["grade", "created_at", "id"]),
    ("customers", &["grade", "updated_at", "id"]),
    ("customers", &["grade", "name", "id"]),
    ("customers", &["owner_id", "grade", "id"]),
    ("customers", &["owner_id", "grade", "created_at", "id"]),
    ("customers", &["owner_id", "grade", "updated_at", "id"]),
    ("customers", &["owner_id", "grade", "name", "id"]),
    ("leads", &["owner_id", "id"]),
    ("tasks", &["assignee_id", "priority", "id"]),
    ("tasks", &["assignee_id", "created_at", "id"]),
    ("tasks", &["assignee_id", "updated_at", "id"]),
    ("tasks", &["updated_at", "id"]),
    ("opportunities", &["owner_id", "updated_at", "id"]),
    ("opportunities", &["owner_id", "created_at", "id"]),
    ("opportunities", &["owner_id", "amount", "id"]),
    ("opportunities", &["owner_id", "name", "id"]),
    ("opportunities", &["owner_id", "closed_at", "id"]),
    ("contacts", &["name", "id"]),
    ("contacts", &["created_at", "id"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            m.create_index(index(table, columns, false).if_not_exists().to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            let name = format!("idx_{table}_{}", columns.join("_"));
            m.drop_index(Index::drop().name(name).table(Alias::new(*table)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

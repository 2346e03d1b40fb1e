//! Salesflow's persistence: SeaORM entities, migrations and one module per
//! business area. Every write is a [`UnitOfWork`]: one transaction, its
//! permission check, its hooks and its audit row; every list takes the
//! caller's data scope.
#![forbid(unsafe_code)]

pub mod access;
pub mod activities;
pub mod approvals;
pub mod attachments;
pub mod audit;
pub mod clashes;
pub mod comments;
pub mod contracts;
pub mod customers;
mod db;
pub mod entity;
mod error;
pub mod finance;
pub mod global_search;
pub mod handover;
pub mod home;
pub mod idempotency;
pub mod imports;
pub mod inventory;
pub mod jobs;
pub mod leads;
mod locks;
mod migrations;
pub mod notifications;
pub mod opportunities;
pub mod orders;
pub mod paging;
pub mod picklists;
pub mod pipelines;
pub mod products;
pub mod purchasing;
pub mod quotes;
pub mod reports;
pub mod returns;
pub mod saved_views;
pub mod scope;
pub mod search;
pub mod settings;
mod shared;
pub mod tasks;
pub mod unit_of_work;

pub use audit::AuditEvent;
pub use db::{Backend, DbSettings, LoadStatistics, Store};
pub use error::{StoreError, StoreResult};
pub use scope::Actor;
pub use unit_of_work::{Permit, UnitOfWork};

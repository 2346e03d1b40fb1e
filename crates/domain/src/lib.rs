//! Salesflow's business rules: pure Rust, no I/O, no database.
//!
//! Every rule lives here once; the store and the web layer call it.
#![forbid(unsafe_code)]

pub mod access;
pub mod activities;
pub mod approvals;
pub mod attachments;
pub mod cells;
pub mod clashes;
pub mod comments;
pub mod contracts;
pub mod customers;
pub mod finance;
pub mod imports;
pub mod inventory;
pub mod leads;
pub mod money;
pub mod opportunities;
pub mod orders;
pub mod people;
pub mod pipelines;
pub mod products;
pub mod purchasing;
pub mod quantity;
pub mod quotes;
pub mod records;
pub mod regions;
pub mod returns;
pub mod search;
pub mod settings;
pub mod tasks;
pub mod time;
pub mod validation;

pub use validation::{FieldError, Invalid};

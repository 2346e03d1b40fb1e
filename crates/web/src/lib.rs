//! Salesflow's web layer: the HTML UI (askama + htmx) and the JSON API
//! (`/api/v1`, OpenAPI), one router, one process.
#![forbid(unsafe_code)]

rust_i18n::i18n!("locales", fallback = "en");

pub mod api;
mod assets;
pub mod auth;
pub mod config;
pub mod error;
mod export;
mod files;
pub mod history;
pub mod i18n;
mod input;
mod jobs;
mod list_columns;
pub mod mail;
mod server;
pub mod ui;

pub use config::WebConfig;
pub use server::{AppState, router, send_due_reminders, serve};

//! What the tests share: fixtures (`app.department(…)`, `app.customer(…)`,
//! `app.signed_in(…)`), typed calls on the API's collections
//! (`app.customers().by(&token).create(&body)`) and readers of their answers.

pub mod browser;
mod fixtures;
mod resources;
mod values;

pub use values::{audit_actions, csv_export, field_codes, ids, post_ok, urlencode};

//! What requests say, parsed the same way for the JSON API and the pages:
//! dates, bulk actions, settings fields, report queries.

pub mod bulk;
pub mod dates;
pub mod reports;
pub mod settings;

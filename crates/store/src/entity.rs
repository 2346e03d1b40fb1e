//! SeaORM entities, one file per table. Business rows carry `version`
//! for optimistic concurrency and `deleted_at` for soft delete.

pub mod activity;
pub mod api_token;
pub mod audit_entry;
pub mod company_settings;
pub mod contact;
pub mod customer;
pub mod customer_tag;
pub mod department;
pub mod idempotency_key;
pub mod import_job;
pub mod import_mapping;
pub mod job_lease;
pub mod lead;
pub mod list_column;
pub mod login_attempt;
pub mod lost_reason;
pub mod notification;
pub mod opportunity;
pub mod opportunity_change;
pub mod opportunity_check;
pub mod opportunity_contact;
pub mod opportunity_stage;
pub mod outbox_message;
pub mod password_reset;
pub mod pipeline;
pub mod pipeline_stage;
pub mod pool_claim;
pub mod role;
pub mod saved_view;
pub mod search_gram;
pub mod search_gram_pending;
pub mod session;
pub mod stage_item;
pub mod task;
pub mod user;

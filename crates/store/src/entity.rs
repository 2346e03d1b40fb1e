//! SeaORM entities, one module per table. Business rows carry `version`
//! for optimistic concurrency and `deleted_at` for soft delete.

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub parent_id: Option<i64>,
        pub manager_id: Option<i64>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod role {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub name: String,
        pub data_scope: String,
        /// JSON: `{"module": ["action", …]}`.
        pub permissions: String,
        pub built_in: bool,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub username: String,
        /// Lower-cased username, unique: sign-in ignores case.
        pub username_key: String,
        pub email: String,
        pub email_key: String,
        pub display_name: String,
        pub password_hash: String,
        pub role_id: i64,
        pub department_id: Option<i64>,
        pub locale: Option<String>,
        pub active: bool,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub last_login_at: Option<DateTimeUtc>,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    /// A browser session (`kind = "cookie"`) or a bearer token from
    /// `POST /auth/login` (`kind = "bearer"`). Only the SHA-256 of the token
    /// is stored, so a copy of the database opens no session.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub token_hash: String,
        pub kind: String,
        pub user_id: i64,
        pub csrf_token: String,
        pub ip: Option<String>,
        pub user_agent: Option<String>,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub token_hash: String,
        /// The first characters of the token, to recognise it in a list.
        pub prefix: String,
        pub user_id: i64,
        pub created_by: i64,
        pub created_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub actor_id: Option<i64>,
        pub actor_name: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: Option<i64>,
        pub before: Option<String>,
        pub after: Option<String>,
        pub ip: Option<String>,
        pub request_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod company_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "company_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub company_name: String,
        pub currency: String,
        pub currency_symbol: String,
        pub date_format: String,
        pub time_zone: String,
        pub fiscal_year_start_month: i32,
        pub default_locale: String,
        pub version: i64,
        pub updated_at: DateTimeUtc,
        pub pool_return_days: i32,
        pub pool_claim_limit: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_attempts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub username_key: String,
        pub ip: String,
        pub success: bool,
        pub at: DateTimeUtc,
        /// The account the identifier named (none for unknown names): the
        /// throttle counts per account, whichever identifier was used.
        pub user_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod password_reset {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "password_resets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outbox_message {
    use sea_orm::entity::prelude::*;

    /// An e-mail to send. Kept after sending; `sent_at` stays empty while no
    /// SMTP server is configured, and administrators read it in the UI.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub to_address: String,
        pub subject: String,
        pub body: String,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Who asked (user id), so keys of different callers never collide.
        pub user_id: i64,
        pub key: String,
        pub request_path: String,
        /// 0 while the first request is still running.
        pub status: i32,
        pub body: String,
        pub created_at: DateTimeUtc,
        /// SHA-256 of method, path, query and body of the first request.
        pub request_hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pool_claim {
    use sea_orm::entity::prelude::*;

    /// One claim from the public pool; kept when the customer is released,
    /// so the daily claim limit counts claims, not customers held now.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pool_claims")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub customer_id: i64,
        pub claimed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod job_lease {
    use sea_orm::entity::prelude::*;

    /// A background job's lease: the node that holds it until `expires_at`
    /// runs the job; the others skip it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_leases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub holder: String,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod customer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        /// Normalised name for duplicate checks.
        pub name_key: String,
        pub grade: Option<String>,
        pub industry: Option<String>,
        pub province: Option<String>,
        pub city: Option<String>,
        pub address: Option<String>,
        pub source: Option<String>,
        pub kind: Option<String>,
        /// Comma-separated.
        pub tags: String,
        /// Minor units.
        pub credit_limit: i64,
        /// `None`: in the public pool.
        pub owner_id: Option<i64>,
        pub notes: String,
        pub last_activity_at: DateTimeUtc,
        pub claimed_at: Option<DateTimeUtc>,
        /// When the customer first closed a deal (成交); `None`: a prospect.
        pub closed_at: Option<DateTimeUtc>,
        /// Set when merged into another customer (and soft-deleted).
        pub merged_into_id: Option<i64>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub name: String,
        pub title: Option<String>,
        pub phone: Option<String>,
        pub mobile: Option<String>,
        pub phone_key: Option<String>,
        pub mobile_key: Option<String>,
        pub email: Option<String>,
        pub email_key: Option<String>,
        pub role: String,
        pub notes: String,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod search_gram {
    use sea_orm::entity::prelude::*;

    /// One bigram of a searchable row's text (see `salesflow_domain::search`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "search_grams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub gram: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: i16,
        #[sea_orm(primary_key, auto_increment = false)]
        pub entity_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod search_gram_pending {
    use sea_orm::entity::prelude::*;

    /// A bigram written by a bulk load, waiting to move into `search_grams`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "search_grams_pending")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub gram: String,
        pub kind: i16,
        pub entity_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod activity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "activities")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub contact_id: Option<i64>,
        pub kind: String,
        pub subject: String,
        pub occurred_at: DateTimeUtc,
        pub participants: Option<String>,
        pub outcome: String,
        pub next_step: Option<String>,
        pub next_at: Option<DateTimeUtc>,
        /// The prospect's intention level noted at a visit: `high|medium|low`.
        pub intention: Option<String>,
        /// The opportunity it was recorded for, if any.
        pub opportunity_id: Option<i64>,
        /// Who recorded it.
        pub owner_id: i64,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod notification {
    use sea_orm::entity::prelude::*;

    /// An in-app reminder or notice for one user, shown from `due_at` on.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub kind: String,
        pub title: String,
        pub link: Option<String>,
        pub due_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
        /// When the reminder went out by e-mail (only with SMTP configured).
        pub emailed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod saved_view {
    use sea_orm::entity::prelude::*;

    /// A list's filters saved under a name by one person.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "saved_views")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        /// `customers`, `activities`, …
        pub list: String,
        pub name: String,
        /// The list page's query string.
        pub query: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod list_column {
    use sea_orm::entity::prelude::*;

    /// The columns one person chose to see in a list.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "list_columns")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub list: String,
        /// Comma-separated column codes, in order.
        pub columns: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod task {
    use sea_orm::entity::prelude::*;

    /// A sales task (销售任务) assigned to one person.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "tasks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub title: String,
        pub description: String,
        pub assignee_id: i64,
        pub created_by: i64,
        /// The customer it concerns, directly or through a contact.
        pub customer_id: Option<i64>,
        /// `customer` or `contact`.
        pub related_kind: Option<String>,
        pub related_id: Option<i64>,
        pub start_at: Option<DateTimeUtc>,
        pub due_at: DateTimeUtc,
        /// 1 low … 4 urgent.
        pub priority: i32,
        /// `open|in_progress|done|cancelled`.
        pub status: String,
        pub completed_at: Option<DateTimeUtc>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod lead {
    use sea_orm::entity::prelude::*;

    /// A lead (线索). Always owned; converted once into a customer and contact.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "leads")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The person.
        pub name: String,
        pub company: Option<String>,
        /// Normalised company name for duplicate checks.
        pub company_key: Option<String>,
        pub title: Option<String>,
        pub phone: Option<String>,
        pub mobile: Option<String>,
        pub phone_key: Option<String>,
        pub mobile_key: Option<String>,
        pub email: Option<String>,
        pub email_key: Option<String>,
        pub province: Option<String>,
        pub city: Option<String>,
        pub source: Option<String>,
        pub campaign: Option<String>,
        /// `high|medium|low`; `None` when not assessed.
        pub intention: Option<String>,
        /// `new|contacted|qualified|disqualified`.
        pub status: String,
        pub owner_id: i64,
        pub notes: String,
        pub disqualify_reason: Option<String>,
        pub converted_customer_id: Option<i64>,
        pub converted_contact_id: Option<i64>,
        pub converted_at: Option<DateTimeUtc>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod import_job {
    use sea_orm::entity::prelude::*;

    /// An import of customers, contacts or leads from an uploaded file.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "imports")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: Option<i64>,
        pub target: String,
        pub file_name: String,
        pub file_path: String,
        pub file_format: String,
        /// JSON: `{"column header": "field"}`.
        pub mapping: String,
        pub duplicate_mode: String,
        pub dry_run: bool,
        pub status: String,
        pub total_rows: Option<i64>,
        pub processed: i64,
        pub inserted: i64,
        pub merged: i64,
        pub skipped: i64,
        pub rejected: i64,
        pub error: Option<String>,
        /// JSON: the first bad rows.
        pub sample_errors: String,
        pub report_path: Option<String>,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        /// When housekeeping removed the upload and the rejected-rows file.
        pub files_expired_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod import_mapping {
    use sea_orm::entity::prelude::*;

    /// The column mapping a user last used for a target.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "import_mappings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: i64,
        pub target: String,
        pub mapping: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pipeline {
    use sea_orm::entity::prelude::*;

    /// A sales pipeline: ordered stages an opportunity moves through.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pipelines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// `funnel` or `project` for the shipped ones.
        pub code: Option<String>,
        pub name: String,
        pub name_en: String,
        pub position: i32,
        pub retired_at: Option<DateTimeUtc>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pipeline_stage {
    use sea_orm::entity::prelude::*;

    /// A stage with its win probability and the seed's guidance texts.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pipeline_stages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub pipeline_id: i64,
        pub position: i32,
        pub code: String,
        pub name: String,
        pub name_en: String,
        pub probability: i32,
        pub expected_days: Option<i32>,
        pub success_criteria: String,
        pub success_criteria_en: String,
        pub milestone: String,
        pub milestone_en: String,
        pub input: String,
        pub input_en: String,
        pub output: String,
        pub output_en: String,
        pub retired_at: Option<DateTimeUtc>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod stage_item {
    use sea_orm::entity::prelude::*;

    /// A checklist entry of a stage: a task or a qualifying condition.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stage_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub stage_id: i64,
        pub position: i32,
        /// `task|condition`.
        pub kind: String,
        pub text: String,
        pub text_en: String,
        pub required: bool,
        pub retired_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod lost_reason {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lost_reasons")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub name_en: String,
        pub position: i32,
        pub retired_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunity {
    use sea_orm::entity::prelude::*;

    /// A sales opportunity (销售机会) moving through a pipeline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunities")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub customer_id: i64,
        pub pipeline_id: i64,
        pub stage_id: i64,
        pub owner_id: i64,
        /// Minor units.
        pub amount: i64,
        pub currency: String,
        pub expected_close_date: Option<Date>,
        pub probability: i32,
        /// Set when the probability is overridden.
        pub probability_reason: Option<String>,
        pub source: Option<String>,
        pub campaign: Option<String>,
        pub competitors: String,
        pub product_lines: String,
        pub next_step: String,
        pub notes: String,
        /// `open|won|lost`.
        pub status: String,
        pub lost_reason_id: Option<i64>,
        pub lost_note: Option<String>,
        pub closed_at: Option<DateTimeUtc>,
        pub stage_entered_at: DateTimeUtc,
        pub last_activity_at: DateTimeUtc,
        pub lead_id: Option<i64>,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunity_contact {
    use sea_orm::entity::prelude::*;

    /// A contact taking part in a deal, with their role in it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunity_contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opportunity_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub contact_id: i64,
        pub role: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunity_check {
    use sea_orm::entity::prelude::*;

    /// A ticked checklist item of an opportunity.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunity_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub opportunity_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub item_id: i64,
        pub done_by: Option<i64>,
        pub done_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunity_stage {
    use sea_orm::entity::prelude::*;

    /// One stay of an opportunity in a stage (funnel analysis).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunity_stages")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub opportunity_id: i64,
        pub pipeline_id: i64,
        pub stage_id: i64,
        pub owner_id: i64,
        pub amount: i64,
        pub entered_at: DateTimeUtc,
        pub left_at: Option<DateTimeUtc>,
        pub entered_by: Option<i64>,
        pub passed: bool,
        pub override_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod opportunity_change {
    use sea_orm::entity::prelude::*;

    /// A change of stage, probability, amount, owner, close date or status.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "opportunity_changes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub opportunity_id: i64,
        pub field: String,
        pub from_value: Option<String>,
        pub to_value: Option<String>,
        pub reason: Option<String>,
        pub user_id: Option<i64>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

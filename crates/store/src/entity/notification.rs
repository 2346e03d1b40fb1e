use sea_orm::entity::prelude::*;

/// An in-app reminder or notice for one user, shown from `due_at` on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub kind: NotificationKind,
    pub title: String,
    pub link: Option<String>,
    pub due_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    /// When the reminder went out by e-mail (only with SMTP configured).
    pub emailed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

/// What a notice is about; stored as the same words as before, so the
/// column is unchanged.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum NotificationKind {
    /// A task is due (withdrawn when the task closes).
    #[sea_orm(string_value = "task_due")]
    TaskDue,
    /// The follow-up an activity asked for.
    #[sea_orm(string_value = "follow_up")]
    FollowUp,
    /// Another rep asks to take over a customer (撞单).
    #[sea_orm(string_value = "handover_request")]
    HandoverRequest,
    /// Someone mentioned the user in a comment.
    #[sea_orm(string_value = "mention")]
    Mention,
    /// A stock movement took a product to or under its reorder point.
    #[sea_orm(string_value = "low_stock")]
    LowStock,
    /// A document waits for the user's approval.
    #[sea_orm(string_value = "approval_request")]
    ApprovalRequest,
    /// The user's document was approved (its last step).
    #[sea_orm(string_value = "approval_approved")]
    ApprovalApproved,
    /// The user's document was rejected.
    #[sea_orm(string_value = "approval_rejected")]
    ApprovalRejected,
    /// An instalment of a collection plan was not paid by its due date
    /// (once per instalment, the day after).
    #[sea_orm(string_value = "collection_overdue")]
    CollectionOverdue,
    /// A contract the user owns ends soon (once per contract).
    #[sea_orm(string_value = "contract_expiring")]
    ContractExpiring,
}

impl NotificationKind {
    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::TaskDue => "task_due",
            NotificationKind::FollowUp => "follow_up",
            NotificationKind::HandoverRequest => "handover_request",
            NotificationKind::Mention => "mention",
            NotificationKind::LowStock => "low_stock",
            NotificationKind::ApprovalRequest => "approval_request",
            NotificationKind::ApprovalApproved => "approval_approved",
            NotificationKind::ApprovalRejected => "approval_rejected",
            NotificationKind::CollectionOverdue => "collection_overdue",
            NotificationKind::ContractExpiring => "contract_expiring",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

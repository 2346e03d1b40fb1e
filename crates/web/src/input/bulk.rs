//! Bulk actions on selected rows, as a form or a request names them.

use salesflow_domain::Invalid;
use salesflow_store::customers::BulkAction;
use salesflow_store::leads::LeadBulkAction;
use salesflow_store::tasks::TaskBulkAction;

/// The bulk action named by a form or request, with what it needs.
pub fn customer_action(action: &str, owner_id: Option<i64>, tag: Option<&str>) -> Result<BulkAction, Invalid> {
    match action {
        "assign_owner" => owner_id.map(BulkAction::AssignOwner).ok_or_else(|| Invalid::one("owner_id", "required")),
        "add_tag" => Ok(BulkAction::AddTag(tag.unwrap_or_default().to_owned())),
        "delete" => Ok(BulkAction::Delete),
        _ => Err(Invalid::one("action", "invalid_choice")),
    }
}

/// The lead bulk action named by a form or request, with what it needs.
pub fn lead_action(action: &str, owner_id: Option<i64>) -> Result<LeadBulkAction, Invalid> {
    match action {
        "assign_owner" => owner_id.map(LeadBulkAction::AssignOwner).ok_or_else(|| Invalid::one("owner_id", "required")),
        "delete" => Ok(LeadBulkAction::Delete),
        _ => Err(Invalid::one("action", "invalid_choice")),
    }
}

/// The task bulk action named by a form or request, with what it needs.
pub fn task_action(action: &str, assignee_id: Option<i64>) -> Result<TaskBulkAction, Invalid> {
    match action {
        "assign" => assignee_id.map(TaskBulkAction::Assign).ok_or_else(|| Invalid::one("assignee_id", "required")),
        "mark_done" => Ok(TaskBulkAction::MarkDone),
        "delete" => Ok(TaskBulkAction::Delete),
        _ => Err(Invalid::one("action", "invalid_choice")),
    }
}

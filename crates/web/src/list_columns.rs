//! The optional columns of each list: what its column chooser offers and
//! what a saved view may name (checked by the API and the pages alike).

/// Columns the customer list can show besides the name, which always shows.
pub const CUSTOMERS: [&str; 11] = [
    "grade",
    "industry",
    "region",
    "owner",
    "last_activity_at",
    "source",
    "kind",
    "tags",
    "credit_limit",
    "closed_at",
    "created_at",
];

/// Columns the contact list can show besides the name, which always shows.
pub const CONTACTS: [&str; 6] = ["customer", "role", "phones", "email", "title", "created_at"];

/// Columns the list can show besides the time and the customer.
pub const ACTIVITIES: [&str; 8] =
    ["kind", "subject", "participants", "intention", "outcome", "next_step", "next_at", "recorded_by"];

/// Columns the lead list can show besides the name, which always shows.
pub const LEADS: [&str; 11] = [
    "company",
    "status",
    "intention",
    "campaign",
    "source",
    "owner",
    "phones",
    "email",
    "region",
    "created_at",
    "updated_at",
];

/// Columns the task list can show besides the title, which always shows.
pub const TASKS: [&str; 9] =
    ["due_at", "assignee", "priority", "status", "customer", "created_by", "start_at", "completed_at", "created_at"];

/// Columns the list can show besides the name, which always shows.
pub const OPPORTUNITIES: [&str; 12] = [
    "customer",
    "stage",
    "status",
    "amount",
    "weighted",
    "probability",
    "close_date",
    "owner",
    "days_in_stage",
    "next_step",
    "source",
    "updated_at",
];

/// The column codes each list accepts.
pub fn allowed(list: &str) -> &'static [&'static str] {
    match list {
        "customers" => &CUSTOMERS,
        "contacts" => &CONTACTS,
        "activities" => &ACTIVITIES,
        "leads" => &LEADS,
        "tasks" => &TASKS,
        "opportunities" => &OPPORTUNITIES,
        _ => &[],
    }
}

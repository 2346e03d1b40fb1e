//! Who is acting, what they may do, and which records they may see.
//!
//! Every list and lookup of owned records filters through
//! [`Actor::scope_condition`], so the data scope is enforced in one place.

use salesflow_domain::access::{Action, DataScope, Module, Permissions};
use sea_orm::ColumnTrait;
use sea_orm::sea_query::Condition;

use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the system itself (command line, background jobs).
    pub user_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub role_code: String,
    /// The role's stored name: what an administrator typed, or empty for a
    /// built-in role (the reader's language names it).
    pub role_name: String,
    pub permissions: Permissions,
    pub scope: DataScope,
    pub department_id: Option<i64>,
    /// The users whose records this actor sees; `None` means everyone.
    pub visible_users: Option<Vec<i64>>,
    pub locale: Option<String>,
    /// Where the request came from, for the audit log.
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// The system acting on its own (CLI commands, jobs): every permission.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            username: "system".to_owned(),
            display_name: "system".to_owned(),
            role_code: "admin".to_owned(),
            role_name: String::new(),
            permissions: Permissions::everything(),
            scope: DataScope::All,
            department_id: None,
            visible_users: None,
            locale: None,
            ip: None,
            request_id: None,
        }
    }

    pub fn can(&self, module: Module, action: Action) -> bool {
        self.permissions.allows(module, action)
    }

    /// `Forbidden` unless the role grants the action on the module.
    pub fn require(&self, module: Module, action: Action) -> StoreResult<()> {
        if self.can(module, action) { Ok(()) } else { Err(StoreError::Forbidden) }
    }

    /// Whether a record owned by `owner` is inside this actor's scope.
    pub fn sees_owner(&self, owner: Option<i64>) -> bool {
        match &self.visible_users {
            None => true,
            Some(ids) => owner.is_some_and(|o| ids.contains(&o)),
        }
    }

    /// The filter that keeps only records whose `owner` column is in scope.
    pub fn scope_condition<C: ColumnTrait>(&self, owner: C) -> Condition {
        match &self.visible_users {
            None => Condition::all(),
            Some(ids) => Condition::all().add(owner.is_in(ids.iter().copied())),
        }
    }
}

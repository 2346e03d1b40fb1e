//! Access rules: modules, actions, data scopes, built-in roles and the
//! rules for usernames and passwords.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Invalid, is_email};

/// A business area a permission applies to. Later areas add their module here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    /// Users, departments, roles, API tokens.
    Access,
    Audit,
    Settings,
    /// Customers (companies), their contacts and the public pool.
    Customers,
    /// Pipelines (configured with `administer`), opportunities; `approve`
    /// overrides a stage gate.
    Opportunities,
    /// Changing the product catalogue, categories and price lists (everyone
    /// signed in reads them: company-wide reference data).
    Products,
    /// Warehouses and stock movements (receipts, adjustments, transfers);
    /// everyone signed in reads stock.
    Inventory,
    /// Suppliers and purchase orders; `edit` also orders, cancels and
    /// receives goods against an order.
    Purchasing,
    /// Sales orders (销售订单): `view` within the data scope (a customer's
    /// orders follow the customer), `create`/`edit` drafts, submissions,
    /// shipments and cancellations. Approving is the approval engine's
    /// business: whoever the rules name for the current step decides.
    Orders,
    /// Quotes (报价): `view` within the data scope (a customer's quotes
    /// follow the customer), `create`/`edit` drafts, new versions, sending,
    /// the customer's answer; `delete` drafts. Approving a discount is the
    /// approval engine's business, as for orders.
    Quotes,
    /// Money owed on sales orders (回款): `view` payments, invoices, plans
    /// and receivables within the data scope (they follow the order's
    /// customer); `create` records payments, invoices and collection
    /// plans; `edit` reverses a payment or voids an invoice.
    Finance,
    /// Contracts (合同): `view` within the data scope (a customer's
    /// contracts follow the customer), `create`/`edit` drafts, amendments,
    /// submissions for signing, execution, termination. Approving is the
    /// approval engine's business.
    Contracts,
}

impl Module {
    pub const ALL: [Module; 12] = [
        Module::Access,
        Module::Audit,
        Module::Settings,
        Module::Customers,
        Module::Opportunities,
        Module::Products,
        Module::Inventory,
        Module::Purchasing,
        Module::Orders,
        Module::Quotes,
        Module::Finance,
        Module::Contracts,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Module::Access => "access",
            Module::Audit => "audit",
            Module::Settings => "settings",
            Module::Customers => "customers",
            Module::Opportunities => "opportunities",
            Module::Products => "products",
            Module::Inventory => "inventory",
            Module::Purchasing => "purchasing",
            Module::Orders => "orders",
            Module::Quotes => "quotes",
            Module::Finance => "finance",
            Module::Contracts => "contracts",
        }
    }

    pub fn parse(code: &str) -> Option<Module> {
        Module::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// What a permission allows within a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    View,
    Create,
    Edit,
    Delete,
    Approve,
    Export,
    Administer,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::View,
        Action::Create,
        Action::Edit,
        Action::Delete,
        Action::Approve,
        Action::Export,
        Action::Administer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Approve => "approve",
            Action::Export => "export",
            Action::Administer => "administer",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// Which records of other people a role may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataScope {
    /// Only records the user owns.
    Own,
    /// Records owned by anyone in the user's own department or team.
    Team,
    /// The user's department and every department below it.
    Department,
    /// Everything.
    All,
}

impl DataScope {
    pub const ALL: [DataScope; 4] = [DataScope::Own, DataScope::Team, DataScope::Department, DataScope::All];

    pub fn code(self) -> &'static str {
        match self {
            DataScope::Own => "own",
            DataScope::Team => "team",
            DataScope::Department => "department",
            DataScope::All => "all",
        }
    }

    pub fn parse(code: &str) -> Option<DataScope> {
        DataScope::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The permissions of a role: for each module, the actions allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permissions(pub BTreeMap<Module, BTreeSet<Action>>);

impl Permissions {
    pub fn allows(&self, module: Module, action: Action) -> bool {
        self.0.get(&module).is_some_and(|a| a.contains(&action))
    }

    pub fn grant(&mut self, module: Module, actions: &[Action]) {
        self.0.entry(module).or_default().extend(actions.iter().copied());
    }

    /// Every action on every module.
    pub fn everything() -> Self {
        let mut p = Self::default();
        for m in Module::ALL {
            p.grant(m, &Action::ALL);
        }
        p
    }

    /// Reads the stored form, `{"module": ["action", …]}`, ignoring codes
    /// this version does not know (a newer node may have written them).
    pub fn from_codes(codes: &BTreeMap<String, Vec<String>>) -> Self {
        let mut p = Self::default();
        for (module, actions) in codes {
            if let Some(m) = Module::parse(module) {
                let actions: Vec<Action> = actions.iter().filter_map(|a| Action::parse(a)).collect();
                if !actions.is_empty() {
                    p.grant(m, &actions);
                }
            }
        }
        p
    }

    pub fn to_codes(&self) -> BTreeMap<String, Vec<String>> {
        self.0
            .iter()
            .filter(|(_, a)| !a.is_empty())
            .map(|(m, a)| (m.code().to_owned(), a.iter().map(|a| a.code().to_owned()).collect()))
            .collect()
    }
}

/// A role shipped with the product; administrators may edit them afterwards.
pub struct BuiltInRole {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub scope: DataScope,
    pub permissions: Permissions,
}

impl BuiltInRole {
    /// Whether `name` is this role's shipped name (in either language, or
    /// both as built-in roles were once stored): a built-in role keeps no
    /// name of its own then, and each reader sees it in their language.
    pub fn is_shipped_name(&self, name: &str) -> bool {
        let name = name.trim();
        name.is_empty()
            || name == self.name_zh
            || name == self.name_en
            || name == format!("{} {}", self.name_zh, self.name_en)
    }
}

/// The built-in role with this code.
pub fn built_in_role(code: &str) -> Option<BuiltInRole> {
    built_in_roles().into_iter().find(|r| r.code == code)
}

/// The roles every installation starts with. Later areas add their grants here.
pub fn built_in_roles() -> Vec<BuiltInRole> {
    use Action::*;
    use Module::*;
    let view_all = {
        let mut p = Permissions::default();
        for m in Module::ALL {
            p.grant(m, &[View, Export]);
        }
        p
    };
    let mut manager = Permissions::default();
    manager.grant(Access, &[View]);
    manager.grant(Audit, &[View]);
    manager.grant(Settings, &[View]);
    manager.grant(Customers, &[View, Create, Edit, Delete, Export, Administer]);
    manager.grant(Opportunities, &[View, Create, Edit, Delete, Approve, Export]);
    manager.grant(Products, &[View, Create, Edit, Delete, Export]);
    manager.grant(Purchasing, &[View]);
    manager.grant(Orders, &[View, Create, Edit, Delete, Approve, Export]);
    manager.grant(Quotes, &[View, Create, Edit, Delete, Approve, Export]);
    manager.grant(Finance, &[View, Create, Edit, Export]);
    manager.grant(Contracts, &[View, Create, Edit, Delete, Approve, Export]);
    let mut staff = Permissions::default();
    staff.grant(Settings, &[View]);
    let mut sales = staff.clone();
    sales.grant(Customers, &[View, Create, Edit, Export]);
    sales.grant(Opportunities, &[View, Create, Edit, Export]);
    sales.grant(Orders, &[View, Create, Edit, Export]);
    sales.grant(Quotes, &[View, Create, Edit, Delete, Export]);
    sales.grant(Finance, &[View, Create]);
    sales.grant(Contracts, &[View, Create, Edit, Export]);
    let mut support = staff.clone();
    support.grant(Customers, &[View]);
    support.grant(Opportunities, &[View]);
    let mut warehouse = staff.clone();
    warehouse.grant(Products, &[View, Export]);
    warehouse.grant(Inventory, &[View, Create, Edit, Delete, Export]);
    warehouse.grant(Purchasing, &[View, Create, Edit, Delete, Export]);
    warehouse.grant(Orders, &[View, Edit]);
    let mut finance = staff.clone();
    finance.grant(Customers, &[View]);
    finance.grant(Orders, &[View, Export]);
    finance.grant(Finance, &[View, Create, Edit, Export]);
    vec![
        BuiltInRole {
            code: "admin",
            name_zh: "系统管理员",
            name_en: "Administrator",
            scope: DataScope::All,
            permissions: Permissions::everything(),
        },
        BuiltInRole {
            code: "sales_manager",
            name_zh: "销售主管",
            name_en: "Sales manager",
            scope: DataScope::Department,
            permissions: manager,
        },
        BuiltInRole {
            code: "salesperson",
            name_zh: "销售顾问",
            name_en: "Salesperson",
            scope: DataScope::Own,
            permissions: sales.clone(),
        },
        BuiltInRole {
            code: "marketing",
            name_zh: "营销管理",
            name_en: "Marketing",
            scope: DataScope::Team,
            permissions: sales,
        },
        BuiltInRole {
            code: "warehouse",
            name_zh: "仓库管理",
            name_en: "Warehouse",
            // Ships every department's orders.
            scope: DataScope::All,
            permissions: warehouse,
        },
        BuiltInRole {
            code: "after_sales",
            name_zh: "售后服务",
            name_en: "After-sales",
            scope: DataScope::All,
            permissions: support,
        },
        BuiltInRole {
            code: "management",
            name_zh: "公司管理层",
            name_en: "Management",
            scope: DataScope::All,
            permissions: view_all,
        },
        BuiltInRole {
            code: "finance",
            name_zh: "财务",
            name_en: "Finance",
            scope: DataScope::All,
            permissions: finance,
        },
    ]
}

/// An area of the product a role works in that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwaitedArea {
    /// Service tickets, returns, repairs (售后).
    AfterSales,
}

impl AwaitedArea {
    pub fn code(self) -> &'static str {
        match self {
            AwaitedArea::AfterSales => "after_sales",
        }
    }
}

/// The area a built-in role's home page should show but which is not
/// built yet: its users get a page saying what they will find there,
/// not an empty sales home. `None` for roles whose areas exist.
pub fn awaited_area(role_code: &str) -> Option<AwaitedArea> {
    match role_code {
        "after_sales" => Some(AwaitedArea::AfterSales),
        _ => None,
    }
}

pub const USERNAME_MAX: usize = 50;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;

/// Usernames: 2–50 letters (any script), digits, `.`, `_` or `-`; never an `@`,
/// so that sign-in can tell a username from an e-mail address.
pub fn check_username(invalid: &mut Invalid, username: &str) {
    let n = username.chars().count();
    if username.trim().is_empty() {
        invalid.push(FieldError::new("username", "required"));
    } else if n > USERNAME_MAX {
        invalid.push(FieldError::new("username", "too_long").with("max", USERNAME_MAX));
    } else if n < 2 || !username.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        invalid.push(FieldError::new("username", "invalid_username"));
    }
}

pub fn check_email(invalid: &mut Invalid, field: &str, email: &str) {
    if email.trim().is_empty() {
        invalid.push(FieldError::new(field, "required"));
    } else if email.chars().count() > EMAIL_MAX {
        invalid.push(FieldError::new(field, "too_long").with("max", EMAIL_MAX));
    } else if !is_email(email) {
        invalid.push(FieldError::new(field, "invalid_email"));
    }
}

/// Password policy: 8–128 characters, not the username itself.
pub fn check_password(invalid: &mut Invalid, field: &str, password: &str, username: &str) {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        invalid.push(FieldError::new(field, "password_too_short").with("min", PASSWORD_MIN));
    } else if n > PASSWORD_MAX {
        invalid.push(FieldError::new(field, "too_long").with("max", PASSWORD_MAX));
    } else if !username.is_empty() && password.eq_ignore_ascii_case(username) {
        invalid.push(FieldError::new(field, "password_is_username"));
    }
}

/// How many wrong passwords in a row lock an account for a while.
pub const ACCOUNT_FAILURE_LIMIT: u64 = 5;
/// How long an account stays throttled after the limit is reached.
pub const ACCOUNT_LOCK_MINUTES: i64 = 15;
/// Failed sign-ins allowed from one address within a minute.
pub const ADDRESS_FAILURE_LIMIT: u64 = 20;
/// A password-reset link is valid this long.
pub const RESET_LINK_MINUTES: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_after_sales_waits_for_its_area() {
        assert_eq!(awaited_area("after_sales"), Some(AwaitedArea::AfterSales));
        for code in
            ["admin", "sales_manager", "salesperson", "marketing", "warehouse", "management", "finance", "custom"]
        {
            assert_eq!(awaited_area(code), None, "{code}");
        }
        // Every awaited area is a built-in role's.
        assert!(built_in_role(AwaitedArea::AfterSales.code()).is_some());
    }

    #[test]
    fn permissions_round_trip_and_ignore_unknown() {
        let mut codes = BTreeMap::new();
        codes.insert("access".to_owned(), vec!["view".to_owned(), "fly".to_owned()]);
        codes.insert("spaceships".to_owned(), vec!["view".to_owned()]);
        let p = Permissions::from_codes(&codes);
        assert!(p.allows(Module::Access, Action::View));
        assert!(!p.allows(Module::Access, Action::Edit));
        assert!(!p.allows(Module::Audit, Action::View));
        let back = p.to_codes();
        assert_eq!(back.len(), 1);
        assert_eq!(back["access"], vec!["view".to_owned()]);
    }

    #[test]
    fn built_in_roles_know_their_shipped_names() {
        let admin = built_in_role("admin").expect("the admin role");
        for name in ["", "系统管理员", "Administrator", "系统管理员 Administrator", " Administrator "] {
            assert!(admin.is_shipped_name(name), "{name}");
        }
        assert!(!admin.is_shipped_name("超级管理员"));
        assert!(built_in_role("nobody").is_none());
    }

    #[test]
    fn built_in_roles_are_complete() {
        let roles = built_in_roles();
        let codes: Vec<&str> = roles.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            ["admin", "sales_manager", "salesperson", "marketing", "warehouse", "after_sales", "management", "finance"]
        );
        let admin = &roles[0];
        assert!(admin.permissions.allows(Module::Access, Action::Administer));
        let sales = &roles[2];
        assert_eq!(sales.scope, DataScope::Own);
        assert!(!sales.permissions.allows(Module::Access, Action::View));
        let management = &roles[6];
        assert!(management.permissions.allows(Module::Audit, Action::View));
        assert!(!management.permissions.allows(Module::Access, Action::Edit));
        // The catalogue: admin and sales managers change it; stock: admin and the warehouse.
        let can = |code: &str, module| {
            roles.iter().find(|r| r.code == code).unwrap().permissions.allows(module, Action::Edit)
        };
        for (code, products, inventory, purchasing) in [
            ("admin", true, true, true),
            ("sales_manager", true, false, false),
            ("salesperson", false, false, false),
            ("warehouse", false, true, true),
            ("management", false, false, false),
        ] {
            assert_eq!(can(code, Module::Products), products, "{code}");
            assert_eq!(can(code, Module::Inventory), inventory, "{code}");
            assert_eq!(can(code, Module::Purchasing), purchasing, "{code}");
        }
        // Money: finance and managers record and reverse; salespeople record only.
        let has = |code: &str, action| {
            roles.iter().find(|r| r.code == code).unwrap().permissions.allows(Module::Finance, action)
        };
        for (code, create, edit) in [
            ("finance", true, true),
            ("sales_manager", true, true),
            ("salesperson", true, false),
            ("management", false, false),
            ("warehouse", false, false),
        ] {
            assert_eq!(has(code, Action::Create), create, "{code}");
            assert_eq!(has(code, Action::Edit), edit, "{code}");
        }
        assert_eq!(roles[7].scope, DataScope::All);
    }

    #[test]
    fn usernames_and_passwords() {
        let mut invalid = Invalid::new();
        check_username(&mut invalid, "zhang.wei");
        check_username(&mut invalid, "张伟");
        assert!(invalid.is_empty());
        check_username(&mut invalid, "a@b");
        check_username(&mut invalid, "x");
        check_username(&mut invalid, "with space");
        assert_eq!(invalid.0.len(), 3);

        let mut invalid = Invalid::new();
        check_password(&mut invalid, "password", "short", "u");
        check_password(&mut invalid, "password", "ZhangWei", "zhangwei");
        check_password(&mut invalid, "password", "correct horse", "zhangwei");
        let codes: Vec<&str> = invalid.0.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["password_too_short", "password_is_username"]);
    }
}

//! `salesflow demo`: a realistic company to look around in — 华东 and 华南
//! sales teams, key accounts, marketing, warehouse, after-sales and
//! management, with Chinese and English names.

use anyhow::Context;
use salesflow_store::access::{self, DepartmentInput, NewUser, UserPatch};
use salesflow_store::{Actor, Store};

/// Every demo account signs in with this password (printed on loading).
pub const DEMO_PASSWORD: &str = "salesflow-demo";

/// (key, name, parent key)
const DEPARTMENTS: [(&str, &str, Option<&str>); 9] = [
    ("mgmt", "管理层 Management", None),
    ("sales", "销售部 Sales", Some("mgmt")),
    ("east", "华东销售组 East China team", Some("sales")),
    ("south", "华南销售组 South China team", Some("sales")),
    ("key", "大客户部 Key accounts", Some("sales")),
    ("mkt", "营销管理部 Marketing", Some("mgmt")),
    ("wh", "仓储物流部 Warehouse & logistics", Some("mgmt")),
    ("svc", "售后服务部 After-sales service", Some("mgmt")),
    ("fin", "财务部 Finance", Some("mgmt")),
];

/// (username, display name, role, department key, locale, manages department)
type Person = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, bool);

const PEOPLE: [Person; 18] = [
    ("chen.jianguo", "陈建国", "management", "mgmt", Some("zh-CN"), true),
    ("emily.wang", "Emily Wang 王艾米", "management", "mgmt", Some("en"), false),
    ("liu.yang", "刘洋", "sales_manager", "sales", Some("zh-CN"), true),
    ("zhang.wei", "张伟", "sales_manager", "east", Some("zh-CN"), true),
    ("li.na", "李娜", "salesperson", "east", Some("zh-CN"), false),
    ("wang.fang", "王芳", "salesperson", "east", Some("zh-CN"), false),
    ("david.zhou", "David Zhou 周大卫", "salesperson", "east", Some("en"), false),
    ("huang.min", "黄敏", "sales_manager", "south", Some("zh-CN"), true),
    ("zhao.lei", "赵磊", "salesperson", "south", Some("zh-CN"), false),
    ("sun.li", "孙丽", "salesperson", "south", None, false),
    ("michael.lin", "Michael Lin 林明", "salesperson", "key", Some("en"), true),
    ("zhou.jie", "周杰", "salesperson", "key", Some("zh-CN"), false),
    ("wu.xia", "吴霞", "marketing", "mkt", Some("zh-CN"), true),
    ("sarah.chen", "Sarah Chen 陈莎", "marketing", "mkt", Some("en"), false),
    ("zheng.qiang", "郑强", "warehouse", "wh", Some("zh-CN"), true),
    ("he.ping", "何平", "after_sales", "svc", Some("zh-CN"), true),
    ("luo.jing", "罗静", "after_sales", "svc", None, false),
    ("ma.lin", "马琳", "management", "fin", Some("zh-CN"), true),
];

/// A demo account that is switched off, to show what that looks like.
const FORMER: &str = "sun.li";

pub async fn load_if_missing(store: &Store) -> anyhow::Result<()> {
    if access::role_by_code(store, "salesperson").await?.is_none() {
        anyhow::bail!("roles are missing");
    }
    let present = access::list_users(
        store,
        &Actor::system(),
        &access::UserFilter { q: Some(PEOPLE[0].0.to_owned()), ..Default::default() },
        &Default::default(),
    )
    .await?;
    if present.items.is_empty() { load(store).await } else { Ok(()) }
}

pub async fn load(store: &Store) -> anyhow::Result<()> {
    let system = Actor::system();
    let mut dept_ids = std::collections::HashMap::new();
    for (key, name, parent) in DEPARTMENTS {
        let parent_id = parent.and_then(|p| dept_ids.get(p).copied());
        let d = access::create_department(
            store,
            &system,
            DepartmentInput { name: name.into(), parent_id, manager_id: None },
        )
        .await
        .with_context(|| format!("department {name}"))?;
        dept_ids.insert(key, d.id);
    }
    let roles = access::list_roles(store, &system).await?;
    for (username, name, role, dept, locale, manages) in PEOPLE {
        let role_id = roles.iter().find(|r| r.code == role).map(|r| r.id).context("role missing")?;
        let department_id = dept_ids.get(dept).copied();
        let user = access::create_user(
            store,
            &system,
            NewUser {
                username: username.into(),
                email: format!("{username}@demo.salesflow.local"),
                display_name: name.into(),
                password: DEMO_PASSWORD.into(),
                role_id,
                department_id,
                locale: locale.map(str::to_owned),
            },
        )
        .await
        .with_context(|| format!("user {username}"))?;
        if manages && let Some(d) = department_id {
            let (dname, parent) =
                DEPARTMENTS.iter().find(|(k, _, _)| *k == dept).map(|(_, n, p)| (*n, *p)).unwrap_or_default();
            let parent_id = parent.and_then(|p| dept_ids.get(p).copied());
            let input = DepartmentInput { name: dname.into(), parent_id, manager_id: Some(user.id) };
            access::update_department(store, &system, d, 1, input).await?;
        }
        if username == FORMER {
            let patch = UserPatch { version: user.version, active: Some(false), ..Default::default() };
            access::update_user(store, &system, user.id, patch).await?;
        }
    }
    println!(
        "Loaded the demo company: {} departments, {} people. Sign in as e.g. zhang.wei (sales manager) or li.na (salesperson) with the password: {DEMO_PASSWORD}",
        DEPARTMENTS.len(),
        PEOPLE.len()
    );
    Ok(())
}

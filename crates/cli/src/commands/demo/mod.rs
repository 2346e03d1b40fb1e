//! `salesflow demo`: a realistic company to look around in — 华东 and 华南
//! sales teams, key accounts, marketing, warehouse, after-sales and
//! management, with Chinese and English names.

use anyhow::Context;
use salesflow_domain::money::Money;
use salesflow_store::access::{self, DepartmentInput, NewUser, UserPatch};
use salesflow_store::customers::{self, ContactInput, CustomerInput};
use salesflow_store::{Actor, Store};

mod comments;
mod contracts;
mod orders;
mod products;
mod purchasing;
mod quotes;
mod returns;

use comments::load_comments_and_files;
use orders::load_orders;
use products::load_products;
use purchasing::load_purchasing;
use quotes::load_quotes;
use returns::load_returns;

/// Every demo account signs in with this password (printed on loading).
pub const DEMO_PASSWORD: &str = "salesflow-demo";

/// (key, name, parent key): one language per name, the company's own
/// (Chinese); a name is data, not a label the reader's language renders.
const DEPARTMENTS: [(&str, &str, Option<&str>); 9] = [
    ("mgmt", "管理层", None),
    ("sales", "销售部", Some("mgmt")),
    ("east", "华东销售组", Some("sales")),
    ("south", "华南销售组", Some("sales")),
    ("key", "大客户部", Some("sales")),
    ("mkt", "营销管理部", Some("mgmt")),
    ("wh", "仓储物流部", Some("mgmt")),
    ("svc", "售后服务部", Some("mgmt")),
    ("fin", "财务部", Some("mgmt")),
];

/// (username, display name, role, department key, locale, manages department)
type Person = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, bool);

const PEOPLE: [Person; 18] = [
    ("chen.jianguo", "陈建国", "management", "mgmt", Some("zh-CN"), true),
    ("emily.wang", "Emily Wang", "management", "mgmt", Some("en"), false),
    ("liu.yang", "刘洋", "sales_manager", "sales", Some("zh-CN"), true),
    ("zhang.wei", "张伟", "sales_manager", "east", Some("zh-CN"), true),
    ("li.na", "李娜", "salesperson", "east", Some("zh-CN"), false),
    ("wang.fang", "王芳", "salesperson", "east", Some("zh-CN"), false),
    ("david.zhou", "David Zhou", "salesperson", "east", Some("en"), false),
    ("huang.min", "黄敏", "sales_manager", "south", Some("zh-CN"), true),
    ("zhao.lei", "赵磊", "salesperson", "south", Some("zh-CN"), false),
    ("sun.li", "孙丽", "salesperson", "south", None, false),
    ("michael.lin", "Michael Lin", "salesperson", "key", Some("en"), true),
    ("zhou.jie", "周杰", "salesperson", "key", Some("zh-CN"), false),
    ("wu.xia", "吴霞", "marketing", "mkt", Some("zh-CN"), true),
    ("sarah.chen", "Sarah Chen", "marketing", "mkt", Some("en"), false),
    ("zheng.qiang", "郑强", "warehouse", "wh", Some("zh-CN"), true),
    ("he.ping", "何平", "after_sales", "svc", Some("zh-CN"), true),
    ("luo.jing", "罗静", "after_sales", "svc", None, false),
    ("ma.lin", "马琳", "management", "fin", Some("zh-CN"), true),
];

/// A demo account that is switched off, to show what that looks like.
const FORMER: &str = "sun.li";

pub async fn load_if_missing(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<()> {
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
    if present.items.is_empty() { load(store, data_dir).await } else { Ok(()) }
}

pub async fn load(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<()> {
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
    load_customers(store, &system).await?;
    load_tasks(store).await?;
    load_leads(store).await?;
    let deals = load_deals(store).await?;
    load_handover_request(store).await?;
    load_comments_and_files(store, data_dir).await?;
    let products = load_products(store, &system).await?;
    let purchase_orders = load_purchasing(store, &system).await?;
    let orders = load_orders(store, &system).await?;
    let quotes = load_quotes(store, &system).await?;
    let returns = load_returns(store).await?;
    let contracts = contracts::load_contracts(store, &system).await?;
    // Payments, invoices and collection plans for the two years of orders.
    salesflow_store::finance::load_past_money(store, salesflow_store::finance::Ledger::Realistic).await?;
    println!(
        "Loaded the demo company: {} departments, {} people, {} customers, {deals} opportunities, {products} products in two warehouses, {orders} sales orders, {quotes} quotes, {returns} returns, {contracts} contracts, {purchase_orders} purchase orders. Sign in as e.g. zhang.wei (sales manager) or li.na (salesperson) with the password: {DEMO_PASSWORD}",
        DEPARTMENTS.len(),
        PEOPLE.len(),
        CUSTOMERS.len()
    );
    Ok(())
}

/// (name, grade, industry, province, city, source, owner username or pool, credit limit in yuan)
type DemoCustomer =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, Option<&'static str>, i64);

const CUSTOMERS: [DemoCustomer; 16] = [
    ("上海华信科技有限公司", "A", "制造业", "上海", "上海", "展会", Some("li.na"), 800_000),
    ("杭州云帆网络科技有限公司", "A", "互联网", "浙江", "杭州", "转介绍", Some("li.na"), 500_000),
    ("苏州精工机械股份有限公司", "B", "制造业", "江苏", "苏州", "电话营销", Some("wang.fang"), 300_000),
    ("Shanghai Bright Pharma Co., Ltd.", "A", "医药", "上海", "上海", "官网", Some("david.zhou"), 1_200_000),
    ("南京金陵建设集团", "B", "建筑", "江苏", "南京", "广告", Some("zhang.wei"), 400_000),
    ("广州南方贸易有限公司", "B", "批发贸易", "广东", "广州", "展会", Some("zhao.lei"), 200_000),
    ("深圳创新电子有限公司", "A", "电子", "广东", "深圳", "转介绍", Some("zhao.lei"), 900_000),
    ("Pearl River Logistics Ltd.", "C", "物流", "广东", "广州", "官网", Some("huang.min"), 100_000),
    ("中国能源投资集团", "A", "能源", "北京", "北京", "合作伙伴", Some("michael.lin"), 3_000_000),
    ("国药控股华北有限公司", "A", "医药", "北京", "北京", "招投标", Some("zhou.jie"), 2_000_000),
    ("宁波港口物流有限公司", "C", "物流", "浙江", "宁波", "电话营销", None, 0),
    ("厦门海润食品有限公司", "C", "食品饮料", "福建", "厦门", "广告", None, 0),
    ("Chengdu Panda Foods", "B", "食品饮料", "四川", "成都", "官网", None, 0),
    ("武汉光谷生物科技有限公司", "B", "医药", "湖北", "武汉", "展会", None, 0),
    ("合肥新能源汽车零部件有限公司", "B", "汽车", "安徽", "合肥", "转介绍", Some("wang.fang"), 600_000),
    ("青岛海景酒店管理有限公司", "C", "酒店餐饮", "山东", "青岛", "客户到访", Some("zhang.wei"), 50_000),
];

/// The customers' websites, in the order of `CUSTOMERS`.
const WEBSITES: [Option<&str>; 11] = [
    Some("www.huaxin-tech.cn"),
    Some("www.yunfan.com"),
    Some("www.jinggong.com"),
    Some("www.brightpharma.com"),
    Some("www.jinling-group.cn"),
    None,
    Some("www.cx-elec.com"),
    Some("www.pearlriver.com"),
    Some("www.cei-group.cn"),
    Some("www.sinopharm-hb.cn"),
    Some("www.nbport.cn"),
];

/// (customer index, name, title, mobile, email, role)
const CONTACTS: [(usize, &str, &str, &str, &str, &str); 14] = [
    (0, "陈静", "采购经理", "13800138001", "chen.jing@huaxin-tech.cn", "handler"),
    (0, "周国强", "总经理", "13900139002", "zhou.gq@huaxin-tech.cn", "decision_maker"),
    (1, "林晓", "IT 总监", "13600136003", "lin.xiao@yunfan.com", "evaluator"),
    (2, "王磊", "设备科长", "13700137004", "wang.lei@jinggong.com", "handler"),
    (3, "Grace Liu", "Procurement Director", "13500135005", "grace.liu@brightpharma.com", "decision_maker"),
    (4, "孙建华", "项目经理", "13300133006", "sun.jh@jinling-group.cn", "handler"),
    (5, "黄丽", "采购专员", "13200132007", "huang.li@nanfang-trade.cn", "handler"),
    (6, "张敏", "副总裁", "13100131008", "zhang.min@cx-elec.com", "executive"),
    (6, "李强", "工程师", "13000130009", "li.qiang@cx-elec.com", "supporter"),
    (7, "Tom Chan", "Operations Manager", "13800138010", "tom.chan@pearlriver.com", "handler"),
    (8, "赵海", "信息中心主任", "13900139011", "zhao.hai@cei-group.cn", "decision_maker"),
    (9, "吴芳", "采购部长", "13600136012", "wu.fang@sinopharm-hb.cn", "decision_maker"),
    (10, "郑伟", "仓储主管", "13700137013", "zheng.wei@nbport.cn", "handler"),
    (14, "何军", "技术总监", "13500135014", "he.jun@hefei-nev.cn", "evaluator"),
];

async fn load_customers(store: &Store, system: &Actor) -> anyhow::Result<()> {
    let users = access::list_users(
        store,
        system,
        &Default::default(),
        &salesflow_store::paging::PageRequest { limit: Some(500), ..Default::default() },
    )
    .await?;
    let id_of = |username: &str| users.items.iter().find(|u| u.username == username).map(|u| u.id);
    let mut ids = Vec::new();
    for (n, (name, grade, industry, province, city, source, owner, credit)) in CUSTOMERS.into_iter().enumerate() {
        let owner_id = owner.and_then(id_of);
        // Every third owned customer has closed a deal (成交客户档案).
        let closed_at = (owner_id.is_some() && n % 3 == 0)
            .then(|| chrono::Utc::now() - chrono::Duration::days(30 + (n as i64 * 47) % 600));
        let province_code =
            salesflow_domain::regions::province(province).map(|p| p.code.clone()).unwrap_or_else(|| "31".into());
        let first17 = format!("91{province_code}0100MA{:07}", (n as u64 * 7_919 + 1_234) % 10_000_000);
        let credit_code = salesflow_domain::records::credit_code_check_char(&first17).map(|c| format!("{first17}{c}"));
        let input = CustomerInput {
            name: name.into(),
            phone: Some(format!("400-820-{:04}", 1_000 + n * 37)),
            website: WEBSITES.get(n).copied().flatten().map(str::to_owned),
            credit_code,
            grade: Some(grade.into()),
            industry: Some(industry.into()),
            province: Some(province.into()),
            city: Some(city.into()),
            source: Some(source.into()),
            credit_limit: Money(credit * 100),
            owner_id,
            to_pool: owner_id.is_none(),
            tags: if grade == "A" { vec!["重点客户".into()] } else { Vec::new() },
            closed_at,
            ..Default::default()
        };
        let c = customers::create_customer(store, system, input).await.with_context(|| format!("customer {name}"))?;
        ids.push(c.id);
    }
    load_history(store, &ids).await?;
    // Logging history only moves "last activity" forward, and the customers
    // were created today: set it to the newest record, as it really was.
    {
        use sea_orm::ConnectionTrait;
        let txn = store.begin().await?;
        txn.execute_unprepared(
            "UPDATE customers SET last_activity_at = (SELECT MAX(a.occurred_at) FROM activities a \
             WHERE a.customer_id = customers.id) WHERE EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = customers.id)",
        )
        .await?;
        txn.commit().await?;
    }
    for (index, name, title, mobile, email, role) in CONTACTS {
        let input = ContactInput {
            customer_id: ids[index],
            name: name.into(),
            title: Some(title.into()),
            mobile: Some(mobile.into()),
            email: Some(email.into()),
            role: role.into(),
            ..Default::default()
        };
        customers::create_contact(store, system, input).await.with_context(|| format!("contact {name}"))?;
    }
    Ok(())
}

/// What salespeople wrote down over two years: (kind, subject, outcome).
const HISTORY: [(&str, &str, &str); 8] = [
    ("call", "电话邀约：介绍公司与产品", "对方有兴趣，约定上门拜访"),
    ("visit", "上门拜访，初步调研需求", "了解到明年有设备更新计划"),
    ("email", "Sent the product brochure and references", "They forwarded it to their IT director"),
    ("meeting", "方案演示与技术交流", "技术部门认可方案，需要正式报价"),
    ("call", "跟进方案反馈", "决策人出差，下周再联系"),
    ("visit", "Visit with our engineer: site survey", "Measured the plant; two open questions on power supply"),
    ("meeting", "商务谈判：价格与付款方式", "同意分期付款，等待领导审批"),
    ("note", "竞争对手也在接触该客户", "对方报价低约 8%，需突出售后优势"),
];

/// A time in working hours (09:00–17:30 company time, Monday to Friday)
/// on the day of `at` or the weekday before it; `slot` spreads the times
/// over the day in half hours.
fn working_time(
    company: &salesflow_domain::settings::Settings,
    at: chrono::DateTime<chrono::Utc>,
    slot: usize,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::{Datelike, Duration, Weekday};
    use salesflow_domain::time::{local_day, start_of_day};
    let mut day = local_day(company, at);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.pred_opt().unwrap_or(day);
    }
    // 09:00 plus 0 to 16 half hours: the last at 17:00, over by 18:00.
    let minutes = 9 * 60 + (slot % 17) as i64 * 30;
    start_of_day(company, day).map_or(at, |midnight| midnight + Duration::minutes(minutes))
}

/// Two years of visits and calls on every owned demo customer, the last
/// one with a follow-up date (some due already, some coming).
async fn load_history(store: &Store, customer_ids: &[i64]) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use salesflow_store::activities::{self, ActivityInput};
    use salesflow_store::entity::user;
    use sea_orm::EntityTrait;
    let now = Utc::now();
    let company = salesflow_store::settings::get(store).await?.settings;
    for (n, id) in customer_ids.iter().enumerate() {
        let c = customers::get_customer(store, &Actor::system(), *id).await?;
        let Some(owner) = c.owner_id else { continue };
        let Some(owner) = user::Entity::find_by_id(owner).one(store.reader()).await? else { continue };
        let actor = access::actor_for(store.reader(), &owner).await?;
        let count = 3 + n % 6;
        for i in 0..count {
            // Spread from two years ago to a few days ago, oldest first (the
            // last within the pool's 30 days, so nobody loses the customer).
            let days_ago = 720 * (count - 1 - i) as i64 / (count - 1) as i64 + 2 + (n as i64 % 15);
            let (kind, subject, outcome) = HISTORY[(n + i) % HISTORY.len()];
            let last = i + 1 == count;
            let occurred_at = working_time(&company, now - Duration::days(days_ago), n * 7 + i * 5);
            let next_at = last.then(|| now + Duration::days(n as i64 % 7 - 2));
            let input = ActivityInput {
                customer_id: *id,
                contact_id: None,
                kind: kind.into(),
                subject: subject.into(),
                occurred_at,
                participants: (kind == "visit" || kind == "meeting").then(|| c.owner_name.clone()).flatten(),
                outcome: outcome.into(),
                next_step: last.then(|| "再次跟进 / follow up".to_owned()),
                next_at: next_at.filter(|n| *n >= occurred_at),
                // The intention noted at each visit (到访客户意向登记表).
                intention: (kind == "visit").then(|| ["high", "medium", "low"][(n + i) % 3].to_owned()),
                opportunity_id: None,
            };
            activities::create_activity(store, &actor, input)
                .await
                .with_context(|| format!("history of {}", c.name))?;
        }
    }
    Ok(())
}

/// Open work for the coming weeks: (assigned by, assignee, customer index,
/// title, days until due, priority). Negative days: already overdue.
type DemoTask = (&'static str, &'static str, Option<usize>, &'static str, i64, &'static str);

const OPEN_TASKS: [DemoTask; 13] = [
    ("zhang.wei", "li.na", Some(0), "准备华信科技年度采购方案", 3, "high"),
    ("zhang.wei", "wang.fang", Some(2), "回访苏州精工设备科，确认更新计划", 6, "normal"),
    ("zhang.wei", "david.zhou", Some(3), "Send the revised quote to Bright Pharma", 10, "urgent"),
    ("zhang.wei", "li.na", Some(1), "云帆网络：安排技术交流会", 14, "normal"),
    ("huang.min", "zhao.lei", Some(6), "深圳创新电子：确认合同条款", 2, "urgent"),
    ("huang.min", "zhao.lei", Some(5), "广州南方贸易季度回访", 20, "low"),
    ("liu.yang", "michael.lin", Some(8), "中国能源投资集团：高层拜访准备", 5, "high"),
    ("liu.yang", "zhou.jie", Some(9), "国药控股：准备招投标文件", 12, "urgent"),
    ("li.na", "li.na", None, "整理本月拜访记录", 1, "normal"),
    ("zhang.wei", "zhang.wei", None, "华东组周例会：复盘商机", 4, "normal"),
    ("zhang.wei", "wang.fang", Some(14), "合肥新能源：提交样品测试报告", -3, "high"),
    ("huang.min", "huang.min", Some(7), "Pearl River: follow up on the open invoice", -2, "normal"),
    ("zhang.wei", "li.na", Some(0), "华信科技：催收第二期款项", -1, "urgent"),
];

/// What the teams did over the last two years (all done).
const DONE_TITLES: [&str; 6] = [
    "提交报价单",
    "安排产品演示",
    "Collect the signed contract",
    "确认交货时间",
    "季度客户回访",
    "Prepare the renewal proposal",
];

/// (manager, team member) pairs that hand out the done work.
const TEAMS: [(&str, &str); 6] = [
    ("zhang.wei", "li.na"),
    ("zhang.wei", "wang.fang"),
    ("zhang.wei", "david.zhou"),
    ("huang.min", "zhao.lei"),
    ("liu.yang", "michael.lin"),
    ("liu.yang", "zhou.jie"),
];

/// Sales tasks: open ones in the next weeks (a few overdue) assigned by
/// managers to their team, and two years of done ones.
async fn load_tasks(store: &Store) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use salesflow_store::entity::{customer, task, user};
    use salesflow_store::tasks::{self, TaskInput};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let people = user::Entity::find().all(store.reader()).await?;
    let mut actors = std::collections::HashMap::new();
    for p in &people {
        actors.insert(p.username.clone(), (p.id, access::actor_for(store.reader(), p).await?));
    }
    let actor = |username: &str| actors.get(username).context("demo user missing");
    let mut customer_ids = Vec::new();
    for (name, ..) in CUSTOMERS {
        let c = customer::Entity::find().filter(customer::Column::Name.eq(name)).one(store.reader()).await?;
        customer_ids.push(c.context("demo customer missing")?.id);
    }
    let now = Utc::now();
    // Due dates are days: by the end of the day, company time.
    let company = salesflow_store::settings::get(store).await?.settings;
    let end_of_day = |days: i64| {
        let day = salesflow_domain::tasks::local_day(&company, now + Duration::days(days));
        salesflow_domain::tasks::end_of_day(&company, day).unwrap_or(now + Duration::days(days))
    };
    for (by, to, customer, title, days, priority) in OPEN_TASKS {
        let (_, assigner) = actor(by)?;
        let (assignee, _) = actor(to)?;
        let input = TaskInput {
            title: title.into(),
            description: String::new(),
            assignee_id: Some(*assignee),
            related_kind: customer.map(|_| "customer".to_owned()),
            related_id: customer.map(|i| customer_ids[i]),
            start_at: Some(end_of_day(days - 5) - Duration::minutes(14 * 60 + 59)),
            due_at: end_of_day(days),
            priority: priority.into(),
            status: None,
            in_progress: None,
        };
        tasks::create_task(store, assigner, input).await.with_context(|| format!("task {title}"))?;
    }
    for i in 0..36usize {
        let (by, to) = TEAMS[i % TEAMS.len()];
        let (_, assigner) = actor(by)?;
        let (assignee, _) = actor(to)?;
        let due = end_of_day(-10 - 20 * i as i64);
        let customer = customer_ids[i % 10];
        let input = TaskInput {
            title: DONE_TITLES[i % DONE_TITLES.len()].into(),
            description: String::new(),
            assignee_id: Some(*assignee),
            related_kind: Some("customer".into()),
            related_id: Some(customer),
            start_at: Some(due - Duration::days(7)),
            due_at: due,
            priority: ["normal", "high", "low"][i % 3].into(),
            status: Some("done".into()),
            in_progress: None,
        };
        // The assigner may not see every customer; such tasks stand alone.
        let t = match tasks::create_task(store, assigner, input.clone()).await {
            Ok(t) => t,
            Err(salesflow_store::StoreError::Invalid(_)) => {
                let alone = TaskInput { related_kind: None, related_id: None, ..input };
                tasks::create_task(store, assigner, alone).await?
            }
            Err(e) => return Err(e.into()),
        };
        // Back-date it as if it had been done then.
        let txn = store.begin().await?;
        task::Entity::update_many()
            .col_expr(task::Column::CreatedAt, Expr::value(due - Duration::days(8)))
            .col_expr(task::Column::CompletedAt, Expr::value(Some(due - Duration::days(1))))
            .filter(task::Column::Id.eq(t.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    Ok(())
}

/// (name, company, title, mobile, e-mail, source, campaign, intention,
/// status, owner, days ago, disqualify reason, convert)
type DemoLead = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static str,
    bool,
);

#[rustfmt::skip]
const LEADS: [DemoLead; 30] = [
    // Converted into the demo customers (found by the duplicate check) and one new customer.
    ("周国强", "上海华信科技", "总经理", "13900139002", "", "展会", "2025 秋季工业展", "high", "qualified", "li.na", 700, "", true),
    ("林晓", "杭州云帆网络科技有限公司", "IT 总监", "13600136003", "", "官网", "官网咨询", "high", "qualified", "li.na", 650, "", true),
    ("何军", "合肥新能源汽车零部件", "技术总监", "13500135014", "", "转介绍", "老客户推荐", "high", "qualified", "wang.fang", 540, "", true),
    ("Grace Liu", "Shanghai Bright Pharma Co., Ltd.", "Procurement Director", "13500135005", "grace.liu@brightpharma.com", "官网", "官网咨询", "high", "qualified", "david.zhou", 480, "", true),
    ("张敏", "深圳创新电子有限公司", "副总裁", "13100131008", "", "展会", "2025 秋季工业展", "medium", "qualified", "zhao.lei", 400, "", true),
    ("陆海涛", "苏州工业园区智造科技有限公司", "厂长", "13812345601", "lu.ht@sip-smart.cn", "展会", "2026 春季展会", "high", "qualified", "zhang.wei", 210, "", true),
    // Qualified, waiting to be converted.
    ("钱志远", "无锡华光电力设备有限公司", "采购经理", "13912345602", "qian.zy@huaguang-power.cn", "展会", "2026 春季展会", "high", "qualified", "li.na", 60, "", false),
    ("Kevin Zhang", "Ningbo Ocean Shipping", "Operations Director", "13712345603", "kevin.zhang@nbocean.com", "官网", "官网咨询", "medium", "qualified", "david.zhou", 45, "", false),
    ("冯雪", "东莞精密模具有限公司", "总经理助理", "13612345604", "", "转介绍", "老客户推荐", "high", "qualified", "zhao.lei", 30, "", false),
    ("唐宁", "北京中关村软件园发展公司", "信息部主任", "13512345605", "tang.ning@zgc-soft.cn", "合作伙伴", "", "medium", "qualified", "michael.lin", 25, "", false),
    // Contacted.
    ("杨帆", "常州天合光能配件厂", "采购主管", "13412345606", "", "展会", "2026 春季展会", "medium", "contacted", "wang.fang", 20, "", false),
    ("Linda Wu", "Xiamen Harbor Foods", "Purchasing Manager", "13312345607", "linda.wu@harborfoods.cn", "官网", "官网咨询", "medium", "contacted", "sarah.chen", 18, "", false),
    ("许文博", "温州正泰电器经销部", "老板", "13212345608", "", "电话营销", "", "low", "contacted", "li.na", 15, "", false),
    ("曹丽", "佛山美的配套电器", "设备经理", "13112345609", "", "展会", "2025 秋季工业展", "medium", "contacted", "huang.min", 120, "", false),
    ("Peter Liang", "Guangzhou Summit Trading", "CEO", "13012345610", "peter@summit-gz.com", "转介绍", "老客户推荐", "high", "contacted", "zhao.lei", 12, "", false),
    ("邓超", "重庆长江物流有限公司", "运营总监", "15012345611", "", "广告", "", "low", "contacted", "zhou.jie", 90, "", false),
    ("谢婷", "西安博远医疗器械有限公司", "采购专员", "15112345612", "xie.ting@boyuan-med.cn", "官网", "官网咨询", "medium", "contacted", "michael.lin", 8, "", false),
    // New.
    ("马骏", "天津港瑞丰贸易", "", "15212345613", "", "展会", "2026 春季展会", "", "new", "wu.xia", 5, "", false),
    ("James Lee", "Suzhou Jade Electronics", "Engineer", "15312345614", "james.lee@jade-elec.com", "展会", "2026 春季展会", "", "new", "sarah.chen", 4, "", false),
    ("王磊", "", "", "15512345615", "", "客户到访", "", "medium", "new", "zhang.wei", 3, "", false),
    ("范冰", "青岛明珠酒店用品有限公司", "行政经理", "15612345616", "", "官网", "官网咨询", "", "new", "wu.xia", 2, "", false),
    ("孔令辉", "南昌鼎盛化工有限公司", "技术部长", "15712345617", "kong.lh@dingsheng-chem.cn", "转介绍", "老客户推荐", "high", "new", "wang.fang", 1, "", false),
    ("Anna Zhou", "Hangzhou Lotus Tea Co.", "Founder", "15812345618", "anna@lotustea.cn", "官网", "官网咨询", "", "new", "david.zhou", 1, "", false),
    ("韩梅", "沈阳东方机床厂", "设备科", "15912345619", "", "展会", "2026 春季展会", "", "new", "huang.min", 6, "", false),
    // Disqualified, with the reason.
    ("罗伟", "昆明高原花卉合作社", "社长", "18012345620", "", "广告", "", "low", "disqualified", "zhou.jie", 300, "采购规模太小，不符合目标客户", false),
    ("Tony Ma", "Shenzhen Golden Gate Tech", "Student", "18112345621", "tony.ma@example.edu", "官网", "官网咨询", "low", "disqualified", "sarah.chen", 250, "学生调研，非采购需求", false),
    ("蒋涛", "大连恒通船舶配件", "采购员", "18212345622", "", "展会", "2025 秋季工业展", "low", "disqualified", "li.na", 420, "已与竞争对手签订三年合同", false),
    ("秦月", "贵阳新能源开发公司", "项目经理", "18312345623", "", "电话营销", "", "medium", "disqualified", "zhao.lei", 180, "项目取消，预算冻结", false),
    ("白雪", "长沙中科检测技术有限公司", "实验室主任", "18412345624", "bai.xue@zk-test.cn", "转介绍", "老客户推荐", "medium", "disqualified", "wang.fang", 360, "联系不上，多次电话未接", false),
    ("Ryan Xu", "Wuhan Harbor Logistics", "Manager", "18512345625", "ryan.xu@whharbor.com", "官网", "官网咨询", "low", "disqualified", "zhou.jie", 600, "Only wanted a price list; no project", false),
];

/// One pending hand-over request (撞单): zhao.lei met 上海华信科技, li.na's
/// customer, and asked his manager to hand it over.
async fn load_handover_request(store: &Store) -> anyhow::Result<()> {
    use salesflow_store::clashes::{HandoverRequestInput, request_handover};
    use salesflow_store::entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let zhao = user::Entity::find()
        .filter(user::Column::Username.eq("zhao.lei"))
        .one(store.reader())
        .await?
        .context("zhao.lei")?;
    let actor = access::actor_for(store.reader(), &zhao).await?;
    let input = HandoverRequestInput {
        name: Some("上海华信科技".to_owned()),
        message: "展会上华信的周总主动找我，想谈华南分厂的项目。".to_owned(),
        ..Default::default()
    };
    request_handover(store, &actor, input).await.context("hand-over request")?;
    Ok(())
}

/// Leads from several campaigns over two years, in every status; the
/// converted ones join the demo customers (or become a new one) through
/// the same conversion the app offers, done by their owners.
async fn load_leads(store: &Store) -> anyhow::Result<()> {
    use chrono::{Duration, Utc};
    use salesflow_store::entity::{lead, user};
    use salesflow_store::leads::{self, ConvertInput, LeadInput};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let opt = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let now = Utc::now();
    for (name, company, title, mobile, email, source, campaign, intention, status, owner, days_ago, reason, convert) in
        LEADS
    {
        let owner = user::Entity::find()
            .filter(user::Column::Username.eq(owner))
            .one(store.reader())
            .await?
            .with_context(|| format!("owner {owner}"))?;
        let actor = access::actor_for(store.reader(), &owner).await?;
        let input = LeadInput {
            name: name.into(),
            company: opt(company),
            title: opt(title),
            mobile: opt(mobile),
            email: opt(email),
            source: opt(source),
            campaign: opt(campaign),
            intention: opt(intention),
            status: Some(status.into()),
            disqualify_reason: opt(reason),
            // Several demo leads are the demo customers' people on purpose.
            allow_duplicate: true,
            ..Default::default()
        };
        let l = leads::create_lead(store, &actor, input).await.with_context(|| format!("lead {name}"))?;
        let created = now - Duration::days(days_ago) - Duration::hours(days_ago % 9);
        let worked = created + Duration::days((days_ago / 10).min(14));
        // Demo history: the lead came in `days_ago` days ago.
        lead::Entity::update_many()
            .col_expr(lead::Column::CreatedAt, Expr::value(created))
            .col_expr(lead::Column::UpdatedAt, Expr::value(worked))
            .filter(lead::Column::Id.eq(l.id))
            .exec(store.reader())
            .await?;
        if convert {
            leads::convert(store, &actor, l.id, ConvertInput::default())
                .await
                .with_context(|| format!("converting lead {name}"))?;
            lead::Entity::update_many()
                .col_expr(lead::Column::ConvertedAt, Expr::value(worked))
                .col_expr(lead::Column::UpdatedAt, Expr::value(worked))
                .filter(lead::Column::Id.eq(l.id))
                .exec(store.reader())
                .await?;
        }
    }
    Ok(())
}

/// (Chinese, English) names of what the demo customers buy.
const DEALS: [(&str, &str); 10] = [
    ("ERP 系统升级", "ERP upgrade"),
    ("智能仓储 WMS", "Smart warehouse WMS"),
    ("年度维保服务", "Annual maintenance"),
    ("产线自动化改造", "Line automation"),
    ("CRM 实施", "CRM roll-out"),
    ("数据中心扩容", "Data centre expansion"),
    ("安防监控项目", "Security monitoring"),
    ("能源管理平台", "Energy management platform"),
    ("设备采购", "Equipment purchase"),
    ("移动办公平台", "Mobile workplace"),
];

/// The short form of a customer's name used in deal names.
/// The whole name without its legal form (有限公司, Co., Ltd.), never cut
/// short: "苏州精工机械 产线自动化改造", not "苏州精工机械股 …".
fn short_name(name: &str) -> String {
    if name.is_ascii() {
        name.split(" Co.").next().unwrap_or(name).trim_end_matches(" Ltd.").trim().to_owned()
    } else {
        name.trim_end_matches("有限公司").trim_end_matches("股份").to_owned()
    }
}

/// 二, 三, … for the phases of a repeated deal (up to 十).
fn chinese_number(n: usize) -> &'static str {
    ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"].get(n.saturating_sub(1)).copied().unwrap_or("十")
}

/// Two years of opportunities on the owned demo customers: most closed
/// (won or lost on the way), the recent ones open across the stages.
async fn load_deals(store: &Store) -> anyhow::Result<usize> {
    use chrono::{Duration, Utc};
    use rand::{Rng, SeedableRng};
    use salesflow_store::entity::{contact, customer};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let owned = customer::Entity::find()
        .filter(customer::Column::OwnerId.is_not_null())
        .order_by_asc(customer::Column::Id)
        .all(store.reader())
        .await?;
    let contacts = contact::Entity::find().order_by_asc(contact::Column::Id).all(store.reader()).await?;
    let planner = super::deals::Planner::load(store).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let now = Utc::now();
    let (older, recent) = (60, 26);
    let mut seeds = Vec::new();
    let mut names = std::collections::HashSet::new();
    for n in 0..older + recent {
        let c = &owned[n % owned.len()];
        let (zh, en) = DEALS[(n * 7 + n / owned.len()) % DEALS.len()];
        let deal = if c.name.is_ascii() { en } else { zh };
        let days_ago =
            if n < older { 720 - n as i64 * 600 / older as i64 } else { (n - older) as i64 * 110 / recent as i64 + 3 };
        let contact = contacts.iter().find(|p| p.customer_id == c.id).map(|p| {
            let role = salesflow_domain::customers::ContactRole::parse(&p.role).map_or("handler", |r| r.code());
            (p.id, role)
        });
        // The same customer buying the same thing again: its second deal
        // says which one it is (二期 / phase 2), so no two read alike.
        let base = format!("{} {deal}", short_name(&c.name));
        let mut name = base.clone();
        let mut phase = 1;
        while names.contains(&name) {
            phase += 1;
            name = if c.name.is_ascii() {
                format!("{base}, phase {phase}")
            } else {
                format!("{base}（{}期）", chinese_number(phase))
            };
        }
        names.insert(name.clone());
        seeds.push(super::deals::Seed {
            name,
            customer_id: c.id,
            owner_id: c.owner_id.unwrap_or_default(),
            amount: (rng.random_range(5..300) * 10_000) * 100,
            created_at: now - Duration::days(days_ago) - Duration::hours(n as i64 % 9),
            pipeline: usize::from(n % 3 == 2).min(planner.pipelines.len() - 1),
            contact,
            // A deal's source is free text: the customer's as the demo wrote it.
            source: CUSTOMERS.iter().find(|d| d.0 == c.name).map(|d| d.5.to_owned()).or_else(|| c.source.clone()),
        });
    }
    let txn = store.begin().await?;
    let ids = super::deals::insert(&txn, &planner, &mut rng, &seeds, now).await?;
    txn.commit().await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike, Utc, Weekday};

    #[test]
    fn demo_visits_fall_in_working_hours_on_weekdays() {
        let company =
            salesflow_domain::settings::Settings { time_zone: "Asia/Shanghai".to_owned(), ..Default::default() };
        // Shanghai keeps UTC+8 all year.
        let shanghai = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        // A Sunday late in the evening, Shanghai time, and every slot.
        let sunday = Utc.with_ymd_and_hms(2026, 12, 6, 15, 0, 0).unwrap();
        for days in 0..14 {
            for slot in 0..40 {
                let at = working_time(&company, sunday - chrono::Duration::days(days), slot).with_timezone(&shanghai);
                assert!(!matches!(at.weekday(), Weekday::Sat | Weekday::Sun), "{at}");
                assert!((9..18).contains(&at.hour()), "{at}");
            }
        }
    }

    #[test]
    fn deal_names_keep_the_whole_customer_name() {
        assert_eq!(short_name("苏州精工机械股份有限公司"), "苏州精工机械");
        assert_eq!(short_name("合肥新能源汽车零部件有限公司"), "合肥新能源汽车零部件");
        assert_eq!(short_name("Shanghai Bright Pharma Co., Ltd."), "Shanghai Bright Pharma");
        assert_eq!(short_name("Pearl River Logistics Ltd."), "Pearl River Logistics");
    }
}

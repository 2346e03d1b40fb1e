//! `salesflow gen`: benchmark-scale data, inserted in batches.

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use salesflow_store::access::{self, DepartmentInput};
use salesflow_store::entity::{activity, audit_entry, contact, customer, customer_tag, user};
use salesflow_store::search::{self, Kind};
use salesflow_store::{Actor, LoadStatistics, Store};
use sea_orm::{EntityTrait, Set};

mod contracts;
mod orders;
mod products;
mod purchasing;
mod quotes;
mod returns;

use orders::generate_orders;
use products::generate_products;
use purchasing::generate_purchase_orders;
use quotes::generate_quotes;
use returns::generate_returns;

#[derive(Args)]
pub struct GenArgs {
    /// How many users to add (spread over generated departments).
    #[arg(long, default_value_t = 0)]
    users: u64,
    /// How many audit-log entries to add (sign-ins and changes over two years).
    #[arg(long, default_value_t = 0)]
    audit: u64,
    /// How many customers to add (owned by the users, a fifth in the public pool).
    #[arg(long, default_value_t = 0)]
    customers: u64,
    /// How many contacts to add, spread over the generated customers.
    #[arg(long, default_value_t = 0)]
    contacts: u64,
    /// How many visits and calls to add, spread over the generated customers.
    #[arg(long, default_value_t = 0)]
    activities: u64,
    /// How many sales tasks to add (for the users, a third done, some related to customers).
    #[arg(long, default_value_t = 0)]
    tasks: u64,
    /// How many leads to add (owned by the users, from several campaigns, every status).
    #[arg(long, default_value_t = 0)]
    leads: u64,
    /// How many opportunities to add on owned customers, created over two
    /// years and walked through their pipelines (stage history, checklist
    /// ticks, wins and losses; the recent ones still open).
    #[arg(long, default_value_t = 0)]
    opportunities: u64,
    /// How many products to add (codes `GEN-000001` …, in two generated warehouses).
    #[arg(long, default_value_t = 0)]
    products: u64,
    /// How many stock movements to add, spread over the generated products
    /// and warehouses over two years (each product's stock card in time order).
    #[arg(long, default_value_t = 0)]
    movements: u64,
    /// How many purchase orders to add (twenty new suppliers, lines of the
    /// active products, over two years; most received into a warehouse).
    #[arg(long, default_value_t = 0)]
    purchase_orders: u64,
    /// How many sales orders to add (about three lines each, closed over two
    /// years) on owned customers and active products.
    #[arg(long, default_value_t = 0)]
    orders: u64,
    /// How many quotes to add (about three lines each, a third with a second
    /// version, over two years) on owned customers' opportunities.
    #[arg(long, default_value_t = 0)]
    quotes: u64,
    /// Payments, invoices and collection plans for the approved orders that
    /// have none yet (most paid, some in part, some not at all), to measure
    /// the receivables' aging (`GET /api/v1/receivables`).
    #[arg(long)]
    payments: bool,
    /// How many returns to add, one per shipped order (oldest first).
    #[arg(long, default_value_t = 0)]
    returns: u64,
    /// How many contracts to add on owned customers, over two years.
    #[arg(long, default_value_t = 0)]
    contracts: u64,
    /// Password of every generated user.
    #[arg(long, default_value = "bench-password")]
    password: String,
    /// Write a customer import file (CSV, UTF-8) of `--rows` rows here instead
    /// of generating into the database.
    #[arg(long, value_name = "PATH")]
    import_csv: Option<std::path::PathBuf>,
    /// Rows of the `--import-csv` file.
    #[arg(long, default_value_t = 1000)]
    rows: u64,
    /// Write a lead import file (CSV, UTF-8) of `--rows` rows here instead
    /// of generating into the database.
    #[arg(long, value_name = "PATH")]
    import_leads_csv: Option<std::path::PathBuf>,
}

const BATCH: u64 = 500;

fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗",
];
const GIVEN: [&str; 20] = [
    "伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "杰", "涛", "明", "超", "秀英", "华", "丽", "军", "平", "刚",
    "桂英",
];

pub async fn run(store: &Store, args: GenArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.import_csv {
        return write_import_csv(path, args.rows);
    }
    if let Some(path) = &args.import_leads_csv {
        return write_lead_import_csv(path, args.rows);
    }
    store.enlarge_write_cache(2048).await?;
    let system = Actor::system();
    let started = std::time::Instant::now();
    let mut user_ids: Vec<i64> = Vec::new();
    if args.users > 0 {
        let teams = 20;
        let root = access::create_department(
            store,
            &system,
            DepartmentInput { name: format!("Bench {}", Utc::now().timestamp()), ..Default::default() },
        )
        .await?;
        let mut depts = Vec::new();
        for i in 0..teams {
            let d = access::create_department(
                store,
                &system,
                DepartmentInput { name: format!("Bench team {i}"), parent_id: Some(root.id), manager_id: None },
            )
            .await?;
            depts.push(d.id);
        }
        let role = access::role_by_code(store, "salesperson").await?.ok_or_else(|| anyhow::anyhow!("role missing"))?;
        // One hash for all: hashing a million passwords would only measure argon2.
        let hash = access::hash_password(&args.password).await?;
        let tag = Utc::now().timestamp_millis();
        let bar = progress(args.users, "users");
        let mut rng = rand::rng();
        let mut done = 0;
        while done < args.users {
            let n = BATCH.min(args.users - done);
            let now = Utc::now();
            let rows: Vec<user::ActiveModel> = (done..done + n)
                .map(|i| {
                    let username = format!("bench{tag}_{i}");
                    let created = now - Duration::minutes(rng.random_range(0..2 * 365 * 24 * 60));
                    let name = format!(
                        "{}{} {i}",
                        SURNAMES[rng.random_range(0..SURNAMES.len())],
                        GIVEN[rng.random_range(0..GIVEN.len())]
                    );
                    let keys = salesflow_domain::people::name_keys(&name);
                    user::ActiveModel {
                        username_key: Set(username.clone()),
                        email: Set(format!("{username}@bench.local")),
                        email_key: Set(format!("{username}@bench.local")),
                        username: Set(username),
                        pinyin: Set(keys.pinyin),
                        pinyin_initials: Set(keys.initials),
                        display_name: Set(name),
                        password_hash: Set(hash.clone()),
                        role_id: Set(role.id),
                        department_id: Set(Some(depts[(i % teams) as usize])),
                        locale: Set(None),
                        active: Set(true),
                        version: Set(1),
                        created_at: Set(created),
                        updated_at: Set(created),
                        ..Default::default()
                    }
                })
                .collect();
            let txn = store.begin().await?;
            user::Entity::insert_many(rows).exec(&txn).await?;
            txn.commit().await?;
            done += n;
            bar.set_position(done);
        }
        bar.finish();
        user_ids = access::user_names(store).await?.into_iter().map(|(id, _)| id).collect();
    }
    if args.audit > 0 {
        if user_ids.is_empty() {
            user_ids = access::user_names(store).await?.into_iter().map(|(id, _)| id).collect();
        }
        anyhow::ensure!(!user_ids.is_empty(), "no users to attribute audit entries to");
        let actions =
            ["auth.login", "auth.login", "auth.logout", "user.update", "auth.login_failed", "settings.update"];
        let bar = progress(args.audit, "audit");
        let mut rng = rand::rng();
        let mut done = 0;
        let start = Utc::now() - Duration::days(730);
        while done < args.audit {
            let n = BATCH.min(args.audit - done);
            // Entries are written in time order, as the log would be.
            let rows: Vec<audit_entry::ActiveModel> = (done..done + n)
                .map(|i| {
                    let actor = user_ids[rng.random_range(0..user_ids.len())];
                    let at = start + Duration::seconds((i as i64) * (730 * 86400) / args.audit.max(1) as i64);
                    audit_entry::ActiveModel {
                        at: Set(at),
                        actor_id: Set(Some(actor)),
                        actor_name: Set(format!("user{actor}")),
                        action: Set(actions[rng.random_range(0..actions.len())].to_owned()),
                        entity_type: Set("user".to_owned()),
                        entity_id: Set(Some(actor)),
                        before: Set(None),
                        after: Set(None),
                        ip: Set(Some(format!("10.0.{}.{}", rng.random_range(0..255), rng.random_range(1..255)))),
                        request_id: Set(None),
                        ..Default::default()
                    }
                })
                .collect();
            let txn = store.begin().await?;
            audit_entry::Entity::insert_many(rows).exec(&txn).await?;
            txn.commit().await?;
            done += n;
            bar.set_position(done);
        }
        bar.finish();
    }
    if args.customers > 0 {
        if user_ids.is_empty() {
            user_ids = access::user_names(store).await?.into_iter().map(|(id, _)| id).collect();
        }
        generate_customers(store, &args, &user_ids).await?;
    }
    if args.tasks > 0 {
        generate_tasks(store, args.tasks).await?;
    }
    if args.leads > 0 {
        if user_ids.is_empty() {
            user_ids = access::user_names(store).await?.into_iter().map(|(id, _)| id).collect();
        }
        generate_leads(store, args.leads, &user_ids).await?;
    }
    if args.opportunities > 0 {
        generate_opportunities(store, args.opportunities).await?;
    }
    if args.products > 0 {
        generate_products(store, args.products, args.movements).await?;
    }
    if args.purchase_orders > 0 {
        generate_purchase_orders(store, args.purchase_orders).await?;
    }
    if args.orders > 0 {
        generate_orders(store, args.orders).await?;
    }
    if args.quotes > 0 {
        generate_quotes(store, args.quotes).await?;
    }
    if args.payments {
        let settled =
            salesflow_store::finance::load_past_money(store, salesflow_store::finance::Ledger::Stress).await?;
        println!("payments, invoices and plans for {settled} orders");
    }
    if args.returns > 0 {
        generate_returns(store, args.returns).await?;
    }
    if args.contracts > 0 {
        contracts::generate_contracts(store, args.contracts).await?;
    }
    // Fresh statistics for the planner: the tables grew by orders of magnitude.
    store.after_bulk_load().await?;
    println!(
        "generated {} users, {} audit entries, {} customers, {} contacts, {} activities and {} opportunities in {:.1?}",
        args.users,
        args.audit,
        args.customers,
        args.contacts,
        args.activities,
        args.opportunities,
        started.elapsed()
    );
    Ok(())
}

const CITIES: [&str; 16] = [
    "上海", "北京", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "重庆", "天津", "青岛", "厦门",
    "宁波", "合肥",
];
const WORDS: [&str; 20] = [
    "华信", "云帆", "精工", "金陵", "南方", "创新", "海润", "光谷", "新能", "海景", "宏达", "恒通", "瑞丰", "鼎盛",
    "天成", "博远", "中科", "东方", "长江", "明珠",
];
const TRADES: [&str; 12] =
    ["科技", "机械", "贸易", "电子", "医药", "物流", "食品", "建设", "能源", "汽车零部件", "网络", "化工"];
/// The industry of each trade above: codes of the shipped picklist.
const INDUSTRIES: [&str; 12] = [
    "it",
    "manufacturing",
    "wholesale",
    "electronics",
    "pharma",
    "logistics",
    "food",
    "construction",
    "energy",
    "automotive",
    "internet",
    "chemicals",
];
const EN: [&str; 8] = ["Bright", "Pearl River", "Panda", "Golden Gate", "Summit", "Harbor", "Jade", "Lotus"];
const EN_TRADE: [&str; 6] = ["Pharma", "Logistics", "Foods", "Trading", "Electronics", "Machinery"];
const GRADES: [&str; 3] = ["A", "B", "C"];
const TAGS: [&str; 5] = ["重点客户", "VIP", "华东", "渠道", "老客户"];

async fn generate_customers(store: &Store, args: &GenArgs, user_ids: &[i64]) -> anyhow::Result<()> {
    anyhow::ensure!(!user_ids.is_empty(), "no users to own the customers");
    let mut rng = rand::rng();
    let bar = progress(args.customers, "customers");
    let now = Utc::now();
    let mut new_ids: Vec<i64> = Vec::with_capacity(args.customers as usize);
    let mut done = 0;
    while done < args.customers {
        let n = BATCH.min(args.customers - done);
        let mut rows = Vec::with_capacity(n as usize);
        let mut names = Vec::with_capacity(n as usize);
        let mut tags: Vec<Vec<&str>> = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let name = if i % 7 == 0 {
                format!(
                    "{} {} {} Co., Ltd. {i}",
                    CITIES[rng.random_range(0..CITIES.len())],
                    EN[rng.random_range(0..EN.len())],
                    EN_TRADE[rng.random_range(0..EN_TRADE.len())]
                )
            } else {
                format!(
                    "{}{}{}有限公司{i}",
                    CITIES[rng.random_range(0..CITIES.len())],
                    WORDS[rng.random_range(0..WORDS.len())],
                    TRADES[rng.random_range(0..TRADES.len())]
                )
            };
            let created = now - Duration::minutes(rng.random_range(0..2 * 365 * 24 * 60));
            let last = created + Duration::minutes(rng.random_range(0..(now - created).num_minutes().max(1)));
            let owner = (rng.random_range(0..5) != 0).then(|| user_ids[rng.random_range(0..user_ids.len())]);
            names.push(name.clone());
            // About one customer in five carries a tag or two (the list's tag filter).
            tags.push(match rng.random_range(0..10) {
                0 => vec![TAGS[rng.random_range(0..TAGS.len())]],
                1 => vec![TAGS[0], TAGS[rng.random_range(1..TAGS.len())]],
                _ => Vec::new(),
            });
            rows.push(customer::ActiveModel {
                name_key: Set(salesflow_domain::customers::name_key(&name)),
                name: Set(name),
                grade: Set(Some(GRADES[rng.random_range(0..3)].to_owned())),
                industry: Set(Some(INDUSTRIES[rng.random_range(0..INDUSTRIES.len())].to_owned())),
                province: Set(Some(CITIES[rng.random_range(0..CITIES.len())].to_owned())),
                city: Set(None),
                address: Set(None),
                source: Set(Some("trade_show".to_owned())),
                kind: Set(None),
                credit_limit: Set(rng.random_range(0..1000) * 100_000),
                owner_id: Set(owner),
                notes: Set(String::new()),
                last_activity_at: Set(last),
                claimed_at: Set(None),
                // One in ten owned customers has closed a deal (成交客户档案).
                closed_at: Set(owner.filter(|_| rng.random_range(0..10) == 0).map(|_| last)),
                version: Set(1),
                created_at: Set(created),
                updated_at: Set(last),
                ..Default::default()
            });
        }
        let txn = store.begin().await?;
        let ids = customer::Entity::insert_many(rows).exec_with_returning_keys(&txn).await?;
        new_ids.extend(ids.iter().copied());
        let tag_rows: Vec<customer_tag::ActiveModel> = ids
            .iter()
            .zip(&tags)
            .flat_map(|(id, tags)| {
                tags.iter().enumerate().map(move |(position, tag)| customer_tag::ActiveModel {
                    customer_id: Set(*id),
                    tag: Set((*tag).to_owned()),
                    position: Set(position as i32),
                })
            })
            .collect();
        if !tag_rows.is_empty() {
            customer_tag::Entity::insert_many(tag_rows).exec_without_returning(&txn).await?;
        }
        let indexed: Vec<(i64, String)> = ids.into_iter().zip(names).collect();
        search::index_new(&txn, Kind::Customer, &indexed).await?;
        txn.commit().await?;
        done += n;
        bar.set_position(done);
    }
    bar.finish();

    let bar = progress(args.contacts, "contacts");
    let mut done = 0;
    while done < args.contacts {
        let n = BATCH.min(args.contacts - done);
        let mut rows = Vec::with_capacity(n as usize);
        let mut texts = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let name =
                format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())]);
            let mobile = format!("1{}{:09}", rng.random_range(3..9), rng.random_range(0..1_000_000_000u64));
            texts.push(format!("{name} {mobile}"));
            rows.push(contact::ActiveModel {
                customer_id: Set(new_ids[rng.random_range(0..new_ids.len())]),
                name: Set(name),
                title: Set(None),
                phone: Set(None),
                mobile_key: Set(Some(mobile.clone())),
                mobile: Set(Some(mobile)),
                phone_key: Set(None),
                email: Set(None),
                email_key: Set(None),
                role: Set("handler".to_owned()),
                notes: Set(String::new()),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
        let txn = store.begin().await?;
        let ids = contact::Entity::insert_many(rows).exec_with_returning_keys(&txn).await?;
        let indexed: Vec<(i64, String)> = ids.into_iter().zip(texts).collect();
        search::index_new(&txn, Kind::Contact, &indexed).await?;
        txn.commit().await?;
        done += n;
        bar.set_position(done);
    }
    bar.finish();

    let kinds = ["call", "visit", "meeting", "email", "note"];
    let bar = progress(args.activities, "activities");
    let mut done = 0;
    while done < args.activities {
        let n = BATCH.min(args.activities - done);
        let rows: Vec<activity::ActiveModel> = (0..n)
            .map(|_| {
                let at = now - Duration::minutes(rng.random_range(0..2 * 365 * 24 * 60));
                let kind = kinds[rng.random_range(0..kinds.len())];
                let intention = (kind == "visit").then(|| ["high", "medium", "low"][rng.random_range(0..3)].to_owned());
                activity::ActiveModel {
                    customer_id: Set(new_ids[rng.random_range(0..new_ids.len())]),
                    contact_id: Set(None),
                    kind: Set(kind.to_owned()),
                    intention: Set(intention),
                    subject: Set("电话跟进".to_owned()),
                    occurred_at: Set(at),
                    participants: Set(None),
                    outcome: Set(String::new()),
                    next_step: Set(None),
                    next_at: Set(None),
                    owner_id: Set(user_ids[rng.random_range(0..user_ids.len())]),
                    version: Set(1),
                    created_at: Set(at),
                    updated_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        let txn = store.begin().await?;
        activity::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        done += n;
        bar.set_position(done);
    }
    bar.finish();
    Ok(())
}

const TASK_TITLES: [&str; 10] = [
    "回访客户",
    "提交报价",
    "安排演示",
    "确认合同条款",
    "催收货款",
    "Send the proposal",
    "Follow up on the quote",
    "准备投标文件",
    "季度拜访",
    "Check the delivery date",
];

/// Sales tasks for existing users, spread from a year ago to two months
/// ahead; most past ones done. A tenth of the customers is sampled for the
/// related ones.
async fn generate_tasks(store: &Store, total: u64) -> anyhow::Result<()> {
    use salesflow_store::entity::task;
    use sea_orm::{QueryOrder, QuerySelect};
    let user_ids: Vec<i64> = access::user_names(store).await?.into_iter().map(|(id, _)| id).collect();
    anyhow::ensure!(!user_ids.is_empty(), "no users to assign tasks to");
    let customer_ids: Vec<i64> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .order_by_desc(customer::Column::Id)
        .limit(100_000)
        .into_tuple()
        .all(store.reader())
        .await?;
    let mut rng = rand::rng();
    let bar = progress(total, "tasks");
    let now = Utc::now();
    let mut done = 0;
    while done < total {
        let n = BATCH.min(total - done);
        let mut rows = Vec::with_capacity(n as usize);
        let mut titles = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let title = format!("{} {i}", TASK_TITLES[rng.random_range(0..TASK_TITLES.len())]);
            let due = now + Duration::minutes(rng.random_range(-365 * 24 * 60..60 * 24 * 60));
            let closed = due < now && rng.random_range(0..5) != 0;
            let assignee = user_ids[rng.random_range(0..user_ids.len())];
            let customer = (!customer_ids.is_empty() && rng.random_range(0..10) < 7)
                .then(|| customer_ids[rng.random_range(0..customer_ids.len())]);
            titles.push(title.clone());
            rows.push(task::ActiveModel {
                title: Set(title),
                description: Set(String::new()),
                assignee_id: Set(assignee),
                created_by: Set(if rng.random_range(0..3) == 0 {
                    user_ids[rng.random_range(0..user_ids.len())]
                } else {
                    assignee
                }),
                customer_id: Set(customer),
                related_kind: Set(customer.map(|_| "customer".to_owned())),
                related_id: Set(customer),
                start_at: Set(Some(due - Duration::days(rng.random_range(0..14)))),
                due_at: Set(due),
                priority: Set(rng.random_range(1..5)),
                status: Set(if closed { "done" } else { "open" }.to_owned()),
                completed_at: Set(closed.then_some(due)),
                version: Set(1),
                created_at: Set(due - Duration::days(14)),
                updated_at: Set(due - Duration::days(14)),
                ..Default::default()
            });
        }
        let txn = store.begin().await?;
        let ids = task::Entity::insert_many(rows).exec_with_returning_keys(&txn).await?;
        let indexed: Vec<(i64, String)> = ids.into_iter().zip(titles).collect();
        search::index_new(&txn, Kind::Task, &indexed).await?;
        txn.commit().await?;
        done += n;
        bar.set_position(done);
    }
    bar.finish();
    println!("generated {total} tasks");
    Ok(())
}

const CAMPAIGNS: [&str; 6] =
    ["2026 春季展会", "2025 秋季工业展", "官网咨询", "老客户推荐", "Spring Expo 2026", "百度推广"];
const LEAD_STATUSES: [&str; 4] = ["new", "contacted", "qualified", "disqualified"];
const INTENTIONS: [&str; 3] = ["high", "medium", "low"];

/// Leads in bulk, with their search index: people with Chinese or English
/// names at generated companies, spread over two years.
async fn generate_leads(store: &Store, count: u64, user_ids: &[i64]) -> anyhow::Result<()> {
    use salesflow_store::entity::lead;
    anyhow::ensure!(!user_ids.is_empty(), "no users to own the leads");
    let mut rng = rand::rng();
    let bar = progress(count, "leads");
    let now = Utc::now();
    let mut done = 0;
    while done < count {
        let n = BATCH.min(count - done);
        let mut rows = Vec::with_capacity(n as usize);
        let mut texts = Vec::with_capacity(n as usize);
        for i in done..done + n {
            let name = if i % 5 == 0 {
                format!("{} {}", EN[rng.random_range(0..EN.len())], SURNAMES[rng.random_range(0..SURNAMES.len())])
            } else {
                format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())])
            };
            let company = format!(
                "{}{}{}有限公司{i}",
                CITIES[rng.random_range(0..CITIES.len())],
                WORDS[rng.random_range(0..WORDS.len())],
                TRADES[rng.random_range(0..TRADES.len())]
            );
            let mobile = format!("1{}{:09}", rng.random_range(3..9), rng.random_range(0..1_000_000_000u64));
            let email = format!("lead{i}@{}.example.cn", rng.random_range(0..10_000));
            let status = LEAD_STATUSES[rng.random_range(0..LEAD_STATUSES.len())];
            let created = now - Duration::minutes(rng.random_range(0..2 * 365 * 24 * 60));
            texts.push(format!("{name} {company} {mobile} {email}"));
            rows.push(lead::ActiveModel {
                company_key: Set(Some(salesflow_domain::customers::name_key(&company))),
                company: Set(Some(company)),
                name: Set(name),
                title: Set(None),
                phone: Set(None),
                phone_key: Set(None),
                mobile_key: Set(Some(mobile.clone())),
                mobile: Set(Some(mobile)),
                email_key: Set(Some(email.clone())),
                email: Set(Some(email)),
                province: Set(Some(CITIES[rng.random_range(0..CITIES.len())].to_owned())),
                city: Set(None),
                source: Set(Some("展会".to_owned())),
                campaign: Set(Some(CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())].to_owned())),
                intention: Set(Some(INTENTIONS[rng.random_range(0..INTENTIONS.len())].to_owned())),
                status: Set(status.to_owned()),
                owner_id: Set(user_ids[rng.random_range(0..user_ids.len())]),
                notes: Set(String::new()),
                disqualify_reason: Set((status == "disqualified").then(|| "预算不足 / no budget".to_owned())),
                converted_customer_id: Set(None),
                converted_contact_id: Set(None),
                converted_at: Set(None),
                version: Set(1),
                created_at: Set(created),
                updated_at: Set(created),
                ..Default::default()
            });
        }
        let txn = store.begin().await?;
        let ids = lead::Entity::insert_many(rows).exec_with_returning_keys(&txn).await?;
        let indexed: Vec<(i64, String)> = ids.into_iter().zip(texts).collect();
        search::index_new(&txn, Kind::Lead, &indexed).await?;
        txn.commit().await?;
        done += n;
        bar.set_position(done);
    }
    bar.finish();
    println!("generated {count} leads");
    Ok(())
}

/// Characters of generated brand names (three of them make a name unique
/// together with the city and the trade).
const BRAND: [char; 60] = [
    '华', '信', '云', '帆', '精', '工', '金', '陵', '南', '方', '创', '新', '海', '润', '光', '谷', '能', '景', '宏',
    '达', '恒', '通', '瑞', '丰', '鼎', '盛', '天', '成', '博', '远', '中', '科', '东', '长', '江', '明', '珠', '佳',
    '和', '泰', '安', '康', '永', '兴', '德', '福', '嘉', '利', '顺', '祥', '星', '辰', '启', '航', '智', '联', '晨',
    '阳', '汇', '源',
];

/// A realistic customer import file: unique Chinese company names, grade,
/// industry, province, city, source, credit limit, tags and notes; about one
/// row in a thousand is bad (a grade that does not exist), as real files are.
fn write_import_csv(path: &std::path::Path, rows: u64) -> anyhow::Result<()> {
    use std::io::Write;
    let started = std::time::Instant::now();
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all("客户名称,等级,行业,省份,城市,来源渠道,信用额度,标签,备注\n".as_bytes())?;
    let names = (CITIES.len() * BRAND.len().pow(3) * TRADES.len()) as u64;
    anyhow::ensure!(rows <= names, "at most {names} distinct names");
    // A stride coprime to the name count visits every name once, in a mixed order.
    let stride = 7_919_u64;
    let mut rng = rand::rng();
    let bar = progress(rows, "rows");
    for i in 0..rows {
        let mut n = (i * stride) % names;
        let city = CITIES[(n % CITIES.len() as u64) as usize];
        n /= CITIES.len() as u64;
        let mut brand = String::new();
        for _ in 0..3 {
            brand.push(BRAND[(n % BRAND.len() as u64) as usize]);
            n /= BRAND.len() as u64;
        }
        let trade_index = (n % TRADES.len() as u64) as usize;
        let (trade, industry) = (TRADES[trade_index], INDUSTRIES[trade_index]);
        let grade = if i % 1000 == 999 { "D" } else { GRADES[rng.random_range(0..3)] };
        // The region picker's data knows which province a city is in.
        let province = salesflow_domain::regions::provinces()
            .iter()
            .find(|p| p.city(city).is_some())
            .map(|p| p.name.as_str())
            .unwrap_or(city);
        writeln!(
            out,
            "{city}{brand}{trade}有限公司,{grade},{industry},{province},{city},展会,{}.00,重点,第{i}行",
            rng.random_range(0..1000) * 1000
        )?;
        if i % 10_000 == 0 {
            bar.set_position(i);
        }
    }
    out.flush()?;
    bar.finish();
    println!("wrote {rows} customer rows to {} in {:.1?}", path.display(), started.elapsed());
    Ok(())
}

/// A realistic lead import file: Chinese names and companies, a distinct
/// mobile per row, e-mail, intention and status in Chinese; about one row in
/// a thousand is bad (an intention that does not exist).
fn write_lead_import_csv(path: &std::path::Path, rows: u64) -> anyhow::Result<()> {
    use std::io::Write;
    const INTENTIONS: [&str; 4] = ["高", "中", "低", ""];
    const STATUSES: [&str; 3] = ["新线索", "已联系", "已确认"];
    // Mobiles 130 0000 0000 upwards: one per row.
    anyhow::ensure!(rows <= 1_000_000_000, "at most 1,000,000,000 rows");
    let started = std::time::Instant::now();
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all("姓名,公司名称,职务,手机,邮箱,省份,城市,来源,营销活动,意向程度,状态,备注\n".as_bytes())?;
    let mut rng = rand::rng();
    let bar = progress(rows, "rows");
    for i in 0..rows {
        let name =
            format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())]);
        let city = CITIES[rng.random_range(0..CITIES.len())];
        let brand: String = (0..2).map(|_| BRAND[rng.random_range(0..BRAND.len())]).collect();
        let trade = TRADES[rng.random_range(0..TRADES.len())];
        let intention = if i % 1000 == 999 { "很想买" } else { INTENTIONS[rng.random_range(0..INTENTIONS.len())] };
        let status = STATUSES[rng.random_range(0..STATUSES.len())];
        let mobile = 13_000_000_000_u64 + i;
        writeln!(
            out,
            "{name},{city}{brand}{trade}有限公司,采购经理,{mobile},lead{i}@example.cn,{city},{city},官网,2026 春季展会,{intention},{status},第{i}行"
        )?;
        if i % 10_000 == 0 {
            bar.set_position(i);
        }
    }
    out.flush()?;
    bar.finish();
    println!("wrote {rows} lead rows to {} in {:.1?}", path.display(), started.elapsed());
    Ok(())
}

const DEAL_WORDS: [&str; 12] = [
    "ERP 升级",
    "智能仓储系统",
    "年度维保合同",
    "产线自动化改造",
    "CRM 实施",
    "数据中心扩容",
    "安防监控项目",
    "能源管理平台",
    "设备采购",
    "Cloud migration",
    "MES rollout",
    "Fleet telematics",
];

/// Opportunities on owned customers (their owner's), over two years.
async fn generate_opportunities(store: &Store, count: u64) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let owned: Vec<(i64, i64)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::OwnerId)
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .limit(2_000_000)
        .into_tuple()
        .all(store.reader())
        .await?;
    anyhow::ensure!(!owned.is_empty(), "no owned customers to open opportunities on (generate customers first)");
    let planner = super::deals::Planner::load(store).await?;
    let mut rng = rand::rng();
    let bar = progress(count, "deals");
    let now = Utc::now();
    let mut done = 0;
    // Each batch's funnel figures read its deals back by id.
    let mut statistics = LoadStatistics::new(&["opportunities", "opportunity_stages"]);
    while done < count {
        let n = BATCH.min(count - done);
        let seeds: Vec<super::deals::Seed> = (done..done + n)
            .map(|i| {
                let (customer_id, owner_id) = owned[rng.random_range(0..owned.len())];
                // Amounts from ¥20,000 to about ¥2,000,000, most of them small.
                let yuan = (20_000.0 * 100f64.powf(rng.random_range(0.0f64..1.0).powi(2))) as i64;
                super::deals::Seed {
                    name: format!("{} {i}", DEAL_WORDS[rng.random_range(0..DEAL_WORDS.len())]),
                    customer_id,
                    owner_id,
                    amount: yuan / 100 * 100 * 100,
                    created_at: now - Duration::minutes(rng.random_range(0..2 * 365 * 24 * 60)),
                    pipeline: usize::from(rng.random_range(0..4) == 0).min(planner.pipelines.len() - 1),
                    contact: None,
                    source: Some(CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())].to_owned()),
                }
            })
            .collect();
        let txn = store.begin().await?;
        super::deals::insert(&txn, &planner, &mut rng, &seeds, now).await?;
        txn.commit().await?;
        done += n;
        bar.set_position(done);
        statistics.loaded(store, done).await?;
    }
    bar.finish();
    Ok(())
}

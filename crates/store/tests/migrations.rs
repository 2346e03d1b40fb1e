//! Data migrations convert rows written in the old shape, on SQLite and
//! PostgreSQL: tags from `,a,b,` into their own table (000018); built-in
//! roles' bilingual names and stage history in the mover's language into
//! codes (000019), rendered in the reader's language; recent changes'
//! record owners (000110).

mod support;

use chrono::{DateTime, Utc};
use salesflow_store::Actor;
use salesflow_store::access;
use salesflow_store::customers::{self, CustomerFilter};
use salesflow_store::entity::{opportunity, role, user};
use salesflow_store::opportunities;
use salesflow_store::paging::PageRequest;
use salesflow_store::pipelines;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use support::TestStore;

fn noon() -> DateTime<Utc> {
    "2026-03-02T04:00:00Z".parse().expect("an instant")
}

async fn tagged(t: &TestStore, tag: &str) -> Vec<String> {
    let filter = CustomerFilter { tag: Some(tag.into()), ..Default::default() };
    let page = customers::list_customers(&t.store, &Actor::system(), &filter, &PageRequest::default())
        .await
        .expect("list customers");
    let mut names: Vec<String> = page.items.into_iter().map(|c| c.name).collect();
    names.sort();
    names
}

/// A user row as the schema before 000022 holds it: its id.
async fn old_user(t: &TestStore, username: &str, name: &str, role: &str) -> i64 {
    let db = t.store.reader();
    let role = role::Entity::find().filter(role::Column::Code.eq(role)).one(db).await.expect("read").expect("a role");
    let insert = Query::insert()
        .into_table(Alias::new("users"))
        .columns(
            [
                "username",
                "username_key",
                "email",
                "email_key",
                "display_name",
                "password_hash",
                "role_id",
                "active",
                "version",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            username.into(),
            username.into(),
            format!("{username}@example.com").into(),
            format!("{username}@example.com").into(),
            name.into(),
            "x".into(),
            role.id.into(),
            true.into(),
            1i64.into(),
            noon().into(),
            noon().into(),
        ])
        .to_owned();
    db.execute(&insert).await.expect("an old-style user");
    let id: Option<i64> = user_id_of(t, username).await;
    id.expect("the user just written")
}

async fn user_id_of(t: &TestStore, username: &str) -> Option<i64> {
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("users"))
        .and_where(Expr::col(Alias::new("username")).eq(username))
        .to_owned();
    let db = t.store.reader();
    let row = db.query_one(&select).await.expect("read user id")?;
    row.try_get::<i64>("", "id").ok()
}

/// A customer row in the old shape, owned by `owner`: its id.
async fn old_customer(t: &TestStore, name: &str, owner: i64) -> i64 {
    let db = t.store.reader();
    let insert = Query::insert()
        .into_table(Alias::new("customers"))
        .columns(
            [
                "name",
                "name_key",
                "owner_id",
                "credit_limit",
                "notes",
                "last_activity_at",
                "version",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            name.into(),
            name.into(),
            owner.into(),
            0i64.into(),
            "".into(),
            noon().into(),
            1i64.into(),
            noon().into(),
            noon().into(),
        ])
        .to_owned();
    db.execute(&insert).await.expect("an old-style customer");
    let select = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("customers"))
        .and_where(Expr::col(Alias::new("name")).eq(name))
        .to_owned();
    let row = db.query_one(&select).await.expect("read customer id").expect("the customer");
    row.try_get::<i64>("", "id").expect("an id")
}

#[tokio::test]
async fn tags_move_from_the_text_column_into_their_table() {
    let t = TestStore::migrated_before("m20261207_000018_customer_tags").await;
    let db = t.store.reader();
    for (name, tags) in [("上海华信科技", ",VIP,华东,"), ("杭州西湖茶业", ",vip, 华东 ,华东,"), ("苏州园林设计院", "")]
    {
        let insert = Query::insert()
            .into_table(Alias::new("customers"))
            .columns(
                [
                    "name",
                    "name_key",
                    "tags",
                    "credit_limit",
                    "notes",
                    "last_activity_at",
                    "version",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                name.into(),
                name.into(),
                tags.into(),
                0i64.into(),
                "".into(),
                noon().into(),
                1i64.into(),
                noon().into(),
                noon().into(),
            ])
            .to_owned();
        db.execute(&insert).await.expect("an old-style customer");
    }
    t.store.migrate().await.expect("migrate");

    assert_eq!(tagged(&t, "VIP").await, ["上海华信科技"]);
    assert_eq!(tagged(&t, "vip").await, ["杭州西湖茶业"]);
    assert_eq!(tagged(&t, " 华东").await, ["上海华信科技", "杭州西湖茶业"]);
    assert!(tagged(&t, "华").await.is_empty());
    let all =
        customers::list_customers(&t.store, &Actor::system(), &CustomerFilter::default(), &PageRequest::default())
            .await
            .expect("list");
    let tags: Vec<(String, Vec<String>)> = {
        let mut v: Vec<(String, Vec<String>)> = all.items.into_iter().map(|c| (c.name, c.tags)).collect();
        v.sort();
        v
    };
    assert_eq!(
        tags,
        [
            ("上海华信科技".to_owned(), vec!["VIP".to_owned(), "华东".to_owned()]),
            ("杭州西湖茶业".to_owned(), vec!["vip".to_owned(), "华东".to_owned()]),
            ("苏州园林设计院".to_owned(), vec![]),
        ]
    );
    // The old column is gone.
    let old = db.execute_unprepared("SELECT tags FROM customers").await;
    assert!(old.is_err(), "the tags column should be dropped");
}

#[tokio::test]
async fn role_names_and_stage_history_become_codes_rendered_in_the_readers_language() {
    let t = TestStore::migrated_before("m20261207_000019_stored_codes").await;
    access::bootstrap(&t.store).await.expect("bootstrap");
    let db = t.store.reader();
    // Roles as they were stored: the shipped bilingual name, and one an
    // administrator renamed.
    for (code, name) in
        [("admin", "系统管理员 Administrator"), ("salesperson", "销售顾问"), ("sales_manager", "大区经理")]
    {
        role::Entity::update_many()
            .col_expr(role::Column::Name, Expr::value(name))
            .filter(role::Column::Code.eq(code))
            .exec(db)
            .await
            .expect("an old-style role name");
    }

    // An opportunity moved twice, recorded in the movers' languages. The
    // user and the customer are written in the old shape (today's user
    // entity has columns that 000022 adds).
    let li_id = old_user(&t, "li.na", "李娜", "salesperson").await;
    let customer = old_customer(&t, "上海华信科技", li_id).await;
    let pipeline = pipelines::list_pipelines(&t.store, &Actor::system(), false).await.expect("pipelines").remove(0);
    let (s1, s2, s3) = (&pipeline.stages[0], &pipeline.stages[1], &pipeline.stages[2]);
    let deal = opportunity::ActiveModel {
        name: Set("华信 ERP".into()),
        customer_id: Set(customer),
        pipeline_id: Set(pipeline.id),
        stage_id: Set(s3.id),
        owner_id: Set(li_id),
        amount: Set(0),
        currency: Set("CNY".into()),
        probability: Set(s3.probability),
        competitors: Set(String::new()),
        product_lines: Set(String::new()),
        next_step: Set(String::new()),
        notes: Set(String::new()),
        status: Set("open".into()),
        stage_entered_at: Set(noon()),
        last_activity_at: Set(noon()),
        version: Set(1),
        created_at: Set(noon()),
        updated_at: Set(noon()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("an opportunity");
    let renamed = format!("{} 已改名的阶段", s2.code);
    for (from, to) in [
        (format!("{} {}", s1.code, s1.name), format!("{} {}", s2.code, s2.name_en)),
        (renamed.clone(), format!("{} {}", s3.code, s3.name)),
        ("X9 不存在".to_owned(), "X9 不存在".to_owned()),
    ] {
        let insert = Query::insert()
            .into_table(Alias::new("opportunity_changes"))
            .columns(["opportunity_id", "field", "from_value", "to_value", "user_id", "at"].map(Alias::new))
            .values_panic([deal.id.into(), "stage".into(), from.into(), to.into(), li_id.into(), noon().into()])
            .to_owned();
        db.execute(&insert).await.expect("an old-style stage change");
    }

    t.store.migrate().await.expect("migrate");
    let li_model = user::Entity::find_by_id(li_id).one(db).await.expect("read").expect("the user");
    // 000022: the names of existing users get their pinyin.
    assert_eq!((li_model.pinyin.as_str(), li_model.pinyin_initials.as_str()), ("lina", "ln"));
    let li = access::actor_for(db, &li_model).await.expect("actor");

    // Built-in roles under their shipped names keep none; a typed name stays.
    let roles = access::list_roles(&t.store, &Actor::system()).await.expect("roles");
    let name_of = |code: &str| roles.iter().find(|r| r.code == code).map(|r| r.name.clone()).expect("the role");
    assert_eq!(name_of("admin"), "");
    assert_eq!(name_of("salesperson"), "");
    assert_eq!(name_of("sales_manager"), "大区经理");
    assert_eq!(name_of("marketing"), "", "bootstrapped after 000017: no name either");

    // The history names the stages in the reader's language.
    for (locale, name) in [("zh-CN", &s2.name), ("en", &s2.name_en)] {
        let history = opportunities::history(&t.store, &li, deal.id, locale).await.expect("history");
        let moves: Vec<(Option<String>, Option<String>)> =
            history.iter().map(|h| (h.from_value.clone(), h.to_value.clone())).collect();
        let label =
            |s: &pipelines::StageView| format!("{} {}", s.code, if locale == "en" { &s.name_en } else { &s.name });
        assert_eq!(
            moves,
            [
                // No stage matches: the stored text as it was.
                (Some("X9 不存在".to_owned()), Some("X9 不存在".to_owned())),
                // Renamed since: found by its code.
                (Some(format!("{} {name}", s2.code)), Some(label(s3))),
                (Some(label(s1)), Some(label(s2))),
            ],
            "{locale}"
        );
        assert_eq!(history[2].from_stage_id, Some(s1.id));
        assert_eq!(history[2].to_stage_id, Some(s2.id));
    }

    // New moves are stored as codes too.
    let moved = opportunities::move_opportunity(
        &t.store,
        &li,
        deal.id,
        opportunities::MoveInput { stage_id: s2.id, version: Some(1), override_reason: None },
    )
    .await;
    assert!(moved.is_ok(), "moving back is always allowed: {moved:?}");
    {
        let history = opportunities::history(&t.store, &li, deal.id, "en").await.expect("history");
        let latest = history.iter().find(|h| h.field == "stage").expect("the move");
        assert_eq!(latest.from_value, Some(format!("{} {}", s3.code, s3.name_en)));
        assert_eq!((latest.from_stage_id, latest.to_stage_id), (Some(s3.id), Some(s2.id)));
    }
}

#[tokio::test]
async fn free_text_industries_sources_and_types_become_picklist_choices() {
    let t = TestStore::migrated_before("m20261208_000026_customer_record").await;
    let db = t.store.reader();
    for (name, industry, source) in
        [("上海华信科技", "制造业", "展会"), ("杭州西湖茶业", "茶叶", "Trade show"), ("苏州园林设计院", "", "")]
    {
        let insert = Query::insert()
            .into_table(Alias::new("customers"))
            .columns(
                [
                    "name",
                    "name_key",
                    "industry",
                    "source",
                    "credit_limit",
                    "notes",
                    "last_activity_at",
                    "version",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                name.into(),
                name.into(),
                industry.into(),
                source.into(),
                0i64.into(),
                "".into(),
                noon().into(),
                1i64.into(),
                noon().into(),
                noon().into(),
            ])
            .to_owned();
        db.execute(&insert).await.expect("an old-style customer");
    }
    t.store.migrate().await.expect("migrate");

    let all =
        customers::list_customers(&t.store, &Actor::system(), &CustomerFilter::default(), &PageRequest::default())
            .await
            .expect("list");
    let mut got: Vec<(String, Option<String>, Option<String>)> =
        all.items.into_iter().map(|c| (c.name, c.industry, c.source)).collect();
    got.sort();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        got,
        [
            ("上海华信科技".to_owned(), s("manufacturing"), s("trade_show")),
            ("杭州西湖茶业".to_owned(), s("茶叶"), s("trade_show")),
            ("苏州园林设计院".to_owned(), s(""), s("")),
        ],
        "shipped choices by label become their code; other values stay"
    );
    let lists = salesflow_store::picklists::all(&t.store).await.expect("picklists");
    let tea: Vec<_> = lists.entries.iter().filter(|e| e.code == "茶叶").collect();
    assert_eq!(tea.len(), 1);
    assert_eq!((tea[0].list.as_str(), tea[0].label_zh.as_str(), tea[0].active), ("industry", "茶叶", true));
    assert!(lists.entries.iter().any(|e| e.list == "kind" && e.code == "enterprise"));
    assert!(!lists.entries.iter().any(|e| e.code.is_empty()), "blank values make no choice");
}

/// 000110: the changes of the last 14 days on customers get their record's
/// owner (the home page reads recent changes by owner); older ones and
/// other kinds keep none.
#[tokio::test]
async fn recent_changes_learn_their_records_owner() {
    let t = TestStore::migrated_before("m20261212_000110_audit_owner").await;
    access::bootstrap(&t.store).await.expect("bootstrap");
    let db = t.store.reader();
    let alice = old_user(&t, "alice", "Alice", "salesperson").await;
    let customer = old_customer(&t, "上海华信科技", alice).await;
    let now = Utc::now();
    for (action, entity_type, entity_id, at) in [
        ("customer.update", "customer", customer, now - chrono::Duration::days(1)),
        ("customer.create", "customer", customer, now - chrono::Duration::days(40)),
        ("user.update", "user", alice, now - chrono::Duration::days(1)),
    ] {
        let insert = Query::insert()
            .into_table(Alias::new("audit_log"))
            .columns(["at", "actor_name", "action", "entity_type", "entity_id"].map(Alias::new))
            .values_panic([at.into(), "alice".into(), action.into(), entity_type.into(), entity_id.into()])
            .to_owned();
        db.execute(&insert).await.expect("an old-style audit entry");
    }
    t.store.migrate().await.expect("migrate");

    let select = Query::select()
        .columns(["action", "owner_id"].map(Alias::new))
        .from(Alias::new("audit_log"))
        .order_by(Alias::new("id"), sea_orm::Order::Asc)
        .to_owned();
    let mut owners = Vec::new();
    for row in db.query_all(&select).await.expect("read the log") {
        let action: String = row.try_get_by_index(0).expect("an action");
        let owner: Option<i64> = row.try_get_by_index(1).expect("an owner column");
        owners.push((action, owner));
    }
    let expected = [("customer.update", Some(alice)), ("customer.create", None), ("user.update", None)];
    assert_eq!(owners, expected.map(|(a, o)| (a.to_owned(), o)));
}

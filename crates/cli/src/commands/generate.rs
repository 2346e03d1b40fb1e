//! `salesflow gen`: benchmark-scale data, inserted in batches.

use chrono::{Duration, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use salesflow_store::access::{self, DepartmentInput};
use salesflow_store::entity::{audit_entry, user};
use salesflow_store::{Actor, Store};
use sea_orm::{EntityTrait, Set};

#[derive(Args)]
pub struct GenArgs {
    /// How many users to add (spread over generated departments).
    #[arg(long, default_value_t = 0)]
    users: u64,
    /// How many audit-log entries to add (sign-ins and changes over two years).
    #[arg(long, default_value_t = 0)]
    audit: u64,
    /// Password of every generated user.
    #[arg(long, default_value = "bench-password")]
    password: String,
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
                    user::ActiveModel {
                        username_key: Set(username.clone()),
                        email: Set(format!("{username}@bench.local")),
                        email_key: Set(format!("{username}@bench.local")),
                        username: Set(username),
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
    println!("generated {} users and {} audit entries in {:.1?}", args.users, args.audit, started.elapsed());
    Ok(())
}

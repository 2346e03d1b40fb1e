//! The demo's contracts: the larger customers (grade A first, then those
//! with the most orders) signed yearly framework and service contracts over
//! the last two years — most completed, some expired unfinished, one
//! terminated; this year's are executing, a few of them ending within the
//! month (their owners see the reminder). Contracts of ¥500,000 or more need
//! the manager's approval: one waits for it, one is still a draft.

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use salesflow_domain::contracts::ContractStatus;
use salesflow_domain::money::Money;
use salesflow_store::approvals::{self, RuleInput, StepView};
use salesflow_store::contracts::{self, ContractInput, PastContract};
use salesflow_store::entity::{customer, opportunity, user};
use salesflow_store::{Actor, Store, access};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// (Chinese title, English title, amount in yuan, terms)
const KINDS: [(&str, &str, i64, &str); 4] = [
    (
        "年度设备采购框架协议",
        "Annual equipment purchase framework agreement",
        680_000,
        "一、标的：PLC 控制器、触摸屏及配套备件，以订单为准。\n二、价格：按年度价格表执行，年内不调价。\n三、付款：货到验收后 30 天内付清。\n四、质保：自验收之日起 24 个月。",
    ),
    (
        "产线维保服务合同",
        "Production line maintenance contract",
        180_000,
        "1. Scope: quarterly inspection of the PLC lines, remote support on workdays.\n2. Response: on site within 24 hours for a line stop.\n3. Payment: quarterly in advance.\n4. Term: twelve months, renewable.",
    ),
    (
        "软件授权及实施合同",
        "Software licence and implementation contract",
        420_000,
        "一、授权：MES 系统 50 个并发用户永久授权。\n二、实施：需求调研、配置、培训、上线支持共 60 人天。\n三、付款：签约 30%，上线 60%，验收 10%。",
    ),
    (
        "备品备件年度供货合同",
        "Annual spare parts supply contract",
        96_000,
        "1. Parts: as listed in Annex 1, delivered within 5 workdays of each order.\n2. Prices: fixed for the term.\n3. Payment: monthly statement, 45 days.",
    ),
];

fn day(d: chrono::DateTime<Utc>) -> NaiveDate {
    d.date_naive()
}

/// Loads the rule and the contracts; answers how many contracts there are.
pub(super) async fn load_contracts(store: &Store, system: &Actor) -> anyhow::Result<usize> {
    let rule = RuleInput {
        document_type: "contract".into(),
        min_amount: Some("500000".into()),
        steps: vec![StepView { role: None, manager: Some(1) }],
        active: true,
        ..Default::default()
    };
    approvals::create_rule(store, system, rule).await?;
    let db = store.reader();
    let mut customers: Vec<customer::Model> = customer::Entity::find()
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::Id)
        .all(db)
        .await?;
    // The larger customers: grade A first.
    customers.sort_by_key(|c| (c.grade.as_deref() != Some("A"), c.id));
    customers.truncate(10);
    anyhow::ensure!(!customers.is_empty(), "the demo customers come first");
    let now = Utc::now();
    let mut past = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let Some(owner) = c.owner_id else { continue };
        let (zh, en, yuan, terms) = KINDS[i % KINDS.len()];
        let title = if i % 2 == 0 { zh } else { en };
        let amount = Money((yuan + (i as i64 % 3) * 12_000) * 100);
        // Two years ago, a year long: completed (one expired, one terminated).
        let start = now - Duration::days(720 - i as i64 * 9);
        let end = start + Duration::days(364);
        let status = match i {
            3 => ContractStatus::Expired,
            6 => ContractStatus::Terminated,
            _ => ContractStatus::Completed,
        };
        past.push(PastContract {
            customer_id: c.id,
            opportunity_id: None,
            order_id: None,
            owner_id: owner,
            title: format!("{} {}", start.year(), title),
            amount,
            terms: terms.into(),
            start_date: day(start),
            end_date: day(end),
            signed_date: day(start - Duration::days(5)),
            status,
            created_at: start - Duration::days(12),
        });
        // This year's: executing; every third one ends within the month.
        let ends_in = if i % 3 == 0 { 8 + i as i64 * 2 } else { 90 + i as i64 * 20 };
        let end = now + Duration::days(ends_in);
        let start = end - Duration::days(364);
        past.push(PastContract {
            customer_id: c.id,
            opportunity_id: None,
            order_id: None,
            owner_id: owner,
            title: format!("{} {}", start.year(), title),
            amount: Money(amount.0 + 1_500_000),
            terms: terms.into(),
            start_date: day(start),
            end_date: day(end),
            signed_date: day(start - Duration::days(3)),
            status: if i == 4 { ContractStatus::Signed } else { ContractStatus::Executing },
            created_at: start - Duration::days(10),
        });
    }
    past.sort_by_key(|p| p.created_at);
    let mut count = contracts::load_past(store, &past).await?;

    // This month: one waiting for the manager's approval, one still a draft.
    for (k, c) in customers.iter().take(2).enumerate() {
        let Some(owner) = c.owner_id else { continue };
        let u = user::Entity::find_by_id(owner).one(db).await?.context("owner")?;
        let actor = access::actor_for(db, &u).await?;
        let deal = opportunity::Entity::find()
            .filter(opportunity::Column::CustomerId.eq(c.id))
            .filter(opportunity::Column::DeletedAt.is_null())
            .one(db)
            .await?
            .map(|o| o.id);
        let (zh, _, _, terms) = KINDS[k];
        let input = ContractInput {
            customer_id: c.id,
            opportunity_id: deal,
            title: format!("{} {}（二期）", now.year() + 1, zh),
            amount: if k == 0 { "860000.00".into() } else { "128000.00".into() },
            terms: terms.into(),
            start_date: Some(day(now + Duration::days(20))),
            end_date: Some(day(now + Duration::days(384))),
            signed_date: Some(day(now)),
            ..Default::default()
        };
        let made = contracts::create(store, &actor, input).await.with_context(|| format!("contract for {}", c.name))?;
        if k == 0 {
            contracts::submit(store, &actor, made.id, None).await?;
        }
        count += 1;
    }
    Ok(count)
}

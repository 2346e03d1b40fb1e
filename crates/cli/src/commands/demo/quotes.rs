//! The demo's quotes: the approval rule (a discount of 10 % or more needs
//! the manager), two years of quotes for the demo opportunities (accepted,
//! declined, expired; some with two or three versions), and this month's
//! quotes made through the live rules: a draft, one waiting for approval,
//! one sent, one sent again as v2, and a few accepted into sales orders.

use anyhow::Context;
use chrono::{Duration, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::QuoteStatus;
use salesflow_store::access;
use salesflow_store::approvals::{self, RuleInput, StepView};
use salesflow_store::entity::{customer, opportunity, product, user};
use salesflow_store::quotes::{self, PastQuote, PastQuoteLine, QuoteInput, QuoteLineInput};
use salesflow_store::{Actor, Store};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

const TERMS: [&str; 3] = [
    "付款方式：合同签订后预付 30%，发货前付清余款。交货期：收到预付款后 4 周。",
    "Payment: 50% with the order, 50% before delivery. Delivery: 6 weeks ex works Suzhou.",
    "价格含 13% 增值税专用发票；运费由卖方承担；质保期 12 个月。",
];

/// Loads the rule and the quotes; answers how many quotes there are.
pub(super) async fn load_quotes(store: &Store, system: &Actor) -> anyhow::Result<usize> {
    let rule = RuleInput {
        document_type: "quote".into(),
        min_discount: Some("10".into()),
        steps: vec![StepView { role: None, manager: Some(1) }],
        active: true,
        ..Default::default()
    };
    approvals::create_rule(store, system, rule).await?;
    let db = store.reader();
    let products: Vec<product::Model> = product::Entity::find()
        .filter(product::Column::Active.eq(true))
        .filter(product::Column::ReorderPoint.gt(0))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    anyhow::ensure!(!products.is_empty(), "the demo products come first");
    let owned: Vec<i64> = customer::Entity::find()
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let deals: Vec<opportunity::Model> = opportunity::Entity::find()
        .filter(opportunity::Column::DeletedAt.is_null())
        .filter(opportunity::Column::CustomerId.is_in(owned))
        .order_by_asc(opportunity::Column::Id)
        .all(db)
        .await?;
    anyhow::ensure!(!deals.is_empty(), "the demo opportunities come first");
    let line = |n: i64, k: i64, discount: i32| {
        let p = &products[((n * 5 + k * 3) as usize) % products.len()];
        PastQuoteLine {
            product_id: p.id,
            quantity: Quantity::units((n + k) % 15 + 1),
            unit_price: Money(p.list_price),
            discount: Percent(discount),
            tax_rate: Percent(p.tax_rate),
        }
    };

    // Two years of quotes, about two a week.
    let now = Utc::now();
    let mut past = Vec::new();
    for n in 0..200i64 {
        let deal = &deals[(n as usize * 3) % deals.len()];
        let at = now - Duration::days(730 - n * 3 - n % 2) - Duration::hours(n % 7);
        if at > now - Duration::days(45) {
            break;
        }
        let status = match n % 10 {
            0..=3 => QuoteStatus::Accepted,
            4 | 5 => QuoteStatus::Rejected,
            // Sent and never answered: past their validity, they read as expired.
            _ => QuoteStatus::Sent,
        };
        let first: Vec<PastQuoteLine> = (0..(n % 3 + 1)).map(|k| line(n, k, ((n % 4) * 250) as i32)).collect();
        let mut versions = vec![first.clone()];
        if n % 3 == 0 {
            // v2: a better price on the first line.
            let mut v2 = first.clone();
            v2[0].discount = Percent(v2[0].discount.0 + 500);
            versions.push(v2);
        }
        if n % 7 == 0 {
            // v3: one more line.
            let mut v3 = versions.last().cloned().unwrap_or_default();
            v3.push(line(n, 4, 0));
            versions.push(v3);
        }
        past.push(PastQuote {
            customer_id: deal.customer_id,
            opportunity_id: Some(deal.id),
            created_by: deal.owner_id,
            created_at: at,
            valid_days: 30,
            status,
            terms: TERMS[(n % 3) as usize].into(),
            order_id: None,
            versions,
        });
    }
    let mut count = quotes::load_past(store, &past).await?;

    // This month's quotes, through the live rules, by their deals' owners.
    let people: Vec<user::Model> = user::Entity::find().filter(user::Column::Active.eq(true)).all(db).await?;
    // (deal index, discount %, what happens)
    let live: [(usize, &str, &str); 7] = [
        (0, "0", "draft"),
        (1, "15", "pending"), // a discount over 10 %: waits for the manager
        (2, "5", "sent"),
        (3, "3", "v2"),
        (4, "0", "accepted"),
        (5, "8", "accepted"),
        (6, "2", "accepted"),
    ];
    for (n, (di, discount, what)) in live.into_iter().enumerate() {
        let deal = &deals[(di * 2 + 1) % deals.len()];
        let Some(owner) = people.iter().find(|u| u.id == deal.owner_id) else { continue };
        let actor = access::actor_for(store.reader(), owner).await?;
        let input = QuoteInput {
            customer_id: deal.customer_id,
            opportunity_id: Some(deal.id),
            valid_until: Some((now + Duration::days(30)).date_naive()),
            terms: TERMS[n % 3].into(),
            lines: (0..2)
                .map(|k| {
                    let p = &products[(n * 2 + k) % products.len()];
                    QuoteLineInput {
                        product_id: p.id,
                        quantity: ((n + k) % 6 + 2).to_string(),
                        discount_percent: Some(discount.into()),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        };
        let q = match quotes::create(store, &actor, input.clone()).await {
            Ok(q) => q,
            // A deal the owner may no longer quote (e.g. handed over): skip it.
            Err(salesflow_store::StoreError::Invalid(_)) => continue,
            Err(e) => return Err(anyhow::Error::from(e).context(format!("quote for deal {}", deal.name))),
        };
        count += 1;
        if what == "draft" {
            continue;
        }
        let q = quotes::send(store, &actor, q.id).await.context("send")?;
        match what {
            "v2" => {
                let mut again = input;
                again.lines[0].discount_percent = Some("6".into());
                again.notes = "客户要求第一项再优惠 3%".into();
                let v2 = quotes::update(store, &actor, q.id, q.version, again).await.context("v2")?;
                quotes::send(store, &actor, v2.id).await.context("send v2")?;
            }
            "accepted" => {
                quotes::accept(store, &actor, q.id, false).await.context("accept")?;
            }
            _ => {}
        }
    }
    Ok(count)
}

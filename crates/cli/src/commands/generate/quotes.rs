//! `salesflow gen --quotes N`: quotes in bulk over two years on owned
//! customers' opportunities (when they have one) and active products:
//! about three lines each, a third with a second version; accepted,
//! declined, or sent and left to expire.

use chrono::{Duration, Utc};
use rand::Rng;
use salesflow_domain::money::Money;
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::QuoteStatus;
use salesflow_store::Store;
use salesflow_store::entity::{customer, opportunity, product};
use salesflow_store::quotes::{self, PastQuote, PastQuoteLine};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{BATCH, progress};

pub(super) async fn generate_quotes(store: &Store, count: u64) -> anyhow::Result<()> {
    let db = store.reader();
    let customers: Vec<(i64, Option<i64>)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::OwnerId)
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .limit(50_000)
        .into_tuple()
        .all(db)
        .await?;
    let deals: std::collections::HashMap<i64, i64> = opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::CustomerId)
        .column(opportunity::Column::Id)
        .filter(opportunity::Column::DeletedAt.is_null())
        .limit(200_000)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let products: Vec<(i64, i64, i32)> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::ListPrice)
        .column(product::Column::TaxRate)
        .filter(product::Column::Active.eq(true))
        .limit(10_000)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(
        !customers.is_empty() && !products.is_empty(),
        "quotes need owned customers and products: generate them first"
    );
    let bar = progress(count, "quotes");
    let now = Utc::now();
    let mut rng = rand::rng();
    let mut done = 0;
    while done < count {
        let n = (BATCH * 4).min(count - done);
        let mut batch = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (customer_id, owner) = customers[rng.random_range(0..customers.len())];
            let status = match rng.random_range(0..10) {
                0..=3 => QuoteStatus::Accepted,
                4 | 5 => QuoteStatus::Rejected,
                _ => QuoteStatus::Sent,
            };
            let first: Vec<PastQuoteLine> = (0..rng.random_range(2..=4))
                .map(|_| {
                    let (product_id, price, tax) = products[rng.random_range(0..products.len())];
                    PastQuoteLine {
                        product_id,
                        quantity: Quantity::units(rng.random_range(1..20)),
                        unit_price: Money(price),
                        discount: Percent(rng.random_range(0..4) * 250),
                        tax_rate: Percent(tax),
                    }
                })
                .collect();
            let mut versions = vec![first.clone()];
            if rng.random_range(0..3) == 0 {
                let mut v2 = first;
                v2[0].discount = Percent((v2[0].discount.0 + 500).min(10_000));
                versions.push(v2);
            }
            batch.push(PastQuote {
                customer_id,
                opportunity_id: deals.get(&customer_id).copied(),
                created_by: owner.unwrap_or_default(),
                created_at: now - Duration::minutes(rng.random_range(60 * 24 * 45..60 * 24 * 730)),
                valid_days: 30,
                status,
                terms: String::new(),
                order_id: None,
                versions,
            });
        }
        quotes::load_past(store, &batch).await?;
        done += n;
        bar.inc(n);
    }
    bar.finish();
    Ok(())
}

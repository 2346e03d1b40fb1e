//! The shared fixtures of the store's scenario tests build what they say.

mod support;

use salesflow_domain::access::DataScope;
use salesflow_store::customers;
use support::TestStore;

#[tokio::test]
async fn fixtures_make_a_team_whose_salesperson_owns_what_they_create() {
    let t = TestStore::new().await;
    let east = t.department("华东销售组").await;
    let li = t.user("li.na", "salesperson", Some(east)).await;
    assert_eq!((li.role_code.as_str(), li.department_id, li.scope), ("salesperson", Some(east), DataScope::Own));
    let id = t.customer(&li, "上海华信科技有限公司").await;
    let seen = customers::get_customer(&t.store, &li, id).await.expect("her own customer");
    assert_eq!(seen.owner_id, li.user_id);
    // Another salesperson of the team does not see it.
    let wang = t.user("wang.fang", "salesperson", Some(east)).await;
    assert!(customers::get_customer(&t.store, &wang, id).await.is_err());
}

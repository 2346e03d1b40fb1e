//! Search finds the same records on SQLite and PostgreSQL, whose indexes
//! differ in form (bigram rows; one array per record with a GIN index):
//! both are checked against the rule itself, computed here from the
//! domain's bigrams, for names and queries of every shape.

use axum::http::{Method, StatusCode};
use salesflow_domain::search::{Lookup, index_grams, lookup};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::urlencode;

const NAMES: [&str; 10] = [
    "上海华信科技有限公司",
    "华为技术",
    "Panda Express",
    "pandas-data Co., Ltd.",
    "Anda 安达",
    "李娜",
    "(Golden) Gate",
    "电话 138-0013-8000",
    "信达 Trust",
    "A",
];

const QUERIES: [&str; 16] = [
    "华信",
    "华",
    "信",
    "panda",
    "PANDA",
    "anda",
    "and",
    "a",
    "安",
    "138",
    "0013",
    "golden gate",
    "技术有限",
    "xyz",
    "达",
    "co.,ltd",
];

/// What the rule says a query finds: every bigram of the query in the name,
/// or for one character a bigram of the name starting with it.
fn expected(query: &str) -> Vec<String> {
    let mut names: Vec<String> = NAMES
        .iter()
        .filter(|name| {
            let grams = index_grams(name);
            match lookup(query) {
                Lookup::All(wanted) => wanted.iter().all(|g| grams.contains(g)),
                Lookup::Prefix(c) => grams.iter().any(|g| g.starts_with(c.as_str())),
                Lookup::Empty => true,
            }
        })
        .map(|n| n.to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn search_finds_what_the_bigram_rule_says_on_either_backend() {
    let app = TestApp::new().await;
    for name in NAMES {
        app.customers().create(&json!({"name": name, "allow_duplicate": true})).await;
    }
    for q in QUERIES {
        for sort in ["", "&sort=name"] {
            let query = format!("limit=100&q={}{sort}", urlencode(q));
            let (s, page) = app.customers().list(&query).await;
            assert_eq!(s, StatusCode::OK, "{query}: {page}");
            let mut found: Vec<String> =
                page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
            found.sort();
            assert_eq!(found, expected(q), "{q}{sort}");
        }
    }
}

#[tokio::test]
async fn a_pasted_page_of_text_searches_without_failing() {
    let app = TestApp::new().await;
    app.customers().create(&json!({"name": "上海华信科技有限公司"})).await;
    let long: String = (0..3_000).map(|i| char::from_u32(0x4e00 + i).unwrap()).collect();
    for sort in ["", "&sort=name"] {
        let (s, page) = app.customers().list(&format!("q={}{sort}", urlencode(&long))).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(page["items"].as_array().unwrap().is_empty());
    }
    let (s, page) = app.contacts().list(&format!("q={}", urlencode(&long))).await;
    assert_eq!(s, StatusCode::OK, "{page}");
}

/// The top bar's search: every kind at once, customers also through a
/// contact's name or phone, only inside the caller's scope; the page and
/// its fragment.
#[tokio::test]
async fn one_box_finds_customers_contacts_leads_and_deals_in_scope() {
    let app = TestApp::new().await;
    let east = app.department("华东").await;
    let (_, li) = app.signed_in("li", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang", "salesperson", Some(east)).await;
    let c = app.customer(&li, "上海华信科技有限公司").await;
    let body = json!({"customer_id": c, "name": "陈静", "mobile": "13800138000", "role": "handler"});
    app.contacts().by(&li).create(&body).await;
    app.leads().by(&li).create(&json!({"name": "周华信", "company": "华信物流", "mobile": "13900139000"})).await;
    app.opportunities().by(&li).create(&json!({"name": "华信 ERP", "customer_id": c, "amount": "1000"})).await;
    app.customer(&wang, "北京华信商贸").await;

    let search = |token: String, q: &'static str| {
        let app = &app;
        async move {
            let (s, found) =
                app.api(Method::GET, &format!("/api/v1/search?q={}", urlencode(q)), Some(&token), None).await;
            assert_eq!(s, StatusCode::OK, "{found}");
            found
        }
    };
    let titles = |found: &Value, kind: &str| -> Vec<String> {
        found[kind].as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap().to_owned()).collect()
    };
    let found = search(li.clone(), "华信").await;
    assert_eq!(titles(&found, "customers"), ["上海华信科技有限公司"], "not wang's customer");
    assert_eq!(titles(&found, "leads"), ["周华信"]);
    assert_eq!(titles(&found, "opportunities"), ["华信 ERP"]);
    // A contact's phone finds the contact and, through it, the customer.
    let found = search(li.clone(), "13800138000").await;
    assert_eq!(titles(&found, "contacts"), ["陈静"]);
    assert_eq!(titles(&found, "customers"), ["上海华信科技有限公司"]);
    assert_eq!(found["contacts"][0]["link"], format!("/customers/{c}#contact-{}", found["contacts"][0]["id"]));
    let found = search(li.clone(), "陈静").await;
    assert_eq!(titles(&found, "customers"), ["上海华信科技有限公司"]);
    // Someone else's records stay out.
    let found = search(wang.clone(), "陈静").await;
    assert!(found["customers"].as_array().unwrap().is_empty() && found["contacts"].as_array().unwrap().is_empty());
    let found = search(wang.clone(), "华信").await;
    assert_eq!(titles(&found, "customers"), ["北京华信商贸"]);
    assert!(titles(&found, "opportunities").is_empty());
    // The box walks the newest matches until it has enough the caller sees:
    // a page's worth of someone else's newer matches hides nothing.
    for i in 0..25 {
        app.customer(&wang, &format!("华信商贸{i}号")).await;
    }
    let found = search(li.clone(), "华信").await;
    assert_eq!(titles(&found, "customers"), ["上海华信科技有限公司"]);
    // The newest five of eleven matches (商贸1号, 商贸10–19号).
    let mut newest = titles(&search(wang.clone(), "商贸1").await, "customers");
    newest.sort();
    assert_eq!(newest, ["华信商贸15号", "华信商贸16号", "华信商贸17号", "华信商贸18号", "华信商贸19号"]);

    // The page, and the fragment under the box.
    let (cookies, _) = crate::support::browser::sign_in(&app).await;
    let (s, _, html) = app.send(crate::support::browser::get("/search?q=%E5%8D%8E%E4%BF%A1", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.as_str().unwrap().contains("华信商贸24号"), "the administrator sees wang's newest");
    let mut request = crate::support::browser::get("/search?q=%E5%8D%8E%E4%BF%A1", &cookies);
    request.headers_mut().insert("hx-request", "true".parse().unwrap());
    let (_, _, fragment) = app.send(request).await;
    let fragment = fragment.as_str().unwrap();
    assert!(fragment.contains("search-hit") && !fragment.contains("<html"), "{fragment}");
}

/// A salesperson sees every customer of the public pool: reading contacts
/// checks each one's customer by key, never collects the customers in
/// scope first (SQLite gathered the pool's 200,000 ids for every page of
/// contacts: most of the top bar's time at 1,000,000 customers).
#[tokio::test]
async fn contacts_are_scoped_by_a_key_lookup_of_their_customer() {
    let app = TestApp::new().await;
    if app.store.backend() != salesflow_store::Backend::Sqlite {
        return;
    }
    let east = app.department("华东").await;
    let (_, li) = app.signed_in("li", "salesperson", Some(east)).await;
    let c = app.customer(&li, "上海华信科技有限公司").await;
    let body = json!({"customer_id": c, "name": "陈静", "mobile": "13800138000", "role": "handler"});
    app.contacts().by(&li).create(&body).await;
    let mut store = app.store.clone();
    let kept = store.record_statements();
    let node =
        salesflow_web::router(salesflow_web::AppState { store: store.clone(), config: crate::helpers::config() });
    for path in
        ["/api/v1/search?q=138", "/api/v1/contacts?q=138", "/api/v1/contacts", "/api/v1/contacts?sort=created_at"]
    {
        kept.lock().unwrap().clear();
        let request = axum::http::Request::get(path)
            .header("authorization", format!("Bearer {li}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let (s, _, body) = crate::helpers::send_to(&node, request).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        assert!(body.to_string().contains("陈静"), "{path}: {body}");
        let statements = kept.lock().unwrap().clone();
        let reads: Vec<_> = statements.iter().filter(|st| st.sql.contains("FROM \"contacts\"")).collect();
        assert!(!reads.is_empty(), "{path}");
        for st in reads {
            let plan = crate::helpers::sqlite_plan(&app.store, st).await;
            let customers: Vec<&String> = plan.iter().filter(|step| step.contains(" customers ")).collect();
            assert!(
                customers.iter().all(|step| step.contains("INTEGER PRIMARY KEY")),
                "{path}: each contact's customer by key\n{}\n{plan:#?}",
                st.sql
            );
        }
    }
}

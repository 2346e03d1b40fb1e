//! Search finds the same records on SQLite and PostgreSQL, whose indexes
//! differ in form (bigram rows; one array per record with a GIN index):
//! both are checked against the rule itself, computed here from the
//! domain's bigrams, for names and queries of every shape.

use axum::http::StatusCode;
use salesflow_domain::search::{Lookup, index_grams, lookup};
use serde_json::json;

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
    let (s, page) = app.customers().list(&format!("q={}", urlencode(&long))).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page["items"].as_array().unwrap().is_empty());
    let (s, page) = app.contacts().list(&format!("q={}", urlencode(&long))).await;
    assert_eq!(s, StatusCode::OK, "{page}");
}

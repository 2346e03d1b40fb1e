//! Help (帮助): the user guide in the reader's language, and the "?" of
//! each page opening its section.

use axum::http::{StatusCode, header};

use crate::helpers::TestApp;
use crate::support::browser::{get, sign_in};

#[tokio::test]
async fn help_shows_the_guide_of_the_readers_language() {
    let app = TestApp::new().await;
    let (cookies, _) = sign_in(&app).await;

    let (s, _, page) = app.send(get("/help", &format!("{cookies}; sf_lang=zh-CN"))).await;
    assert_eq!(s, StatusCode::OK);
    let zh = page.as_str().unwrap();
    assert!(zh.contains("<h1>使用指南</h1>"), "the Chinese guide's title");
    assert!(zh.contains(r#"<h2 id="faq">常见问题</h2>"#), "its FAQ");
    assert!(zh.contains(r#"<h3 id="faq-forgot-password">忘记密码怎么办？</h3>"#));
    assert!(zh.contains(r##"<a href="#public-pool">公海</a>"##), "the contents link the sections");
    assert!(!zh.contains("Frequently asked questions") && !zh.contains("{#"), "no English, no raw anchors");
    assert!(zh.contains(r#"href="/help" class="nav-link active""#), "帮助 in the sidebar, marked as the page");

    let (s, _, page) = app.send(get("/help", &format!("{cookies}; sf_lang=en"))).await;
    assert_eq!(s, StatusCode::OK);
    let en = page.as_str().unwrap();
    assert!(en.contains("<h1>User guide</h1>"));
    assert!(en.contains(r#"<h2 id="faq">Frequently asked questions</h2>"#));
    assert!(en.contains(r#"<h3 id="faq-stage-refused">Why is my stage move refused?</h3>"#));
    assert!(!en.contains("常见问题") && !en.contains("忘记密码怎么办"), "no Chinese guide text");
    assert!(en.contains(">Help</span>"));
}

#[tokio::test]
async fn help_opens_before_signing_in_and_the_login_page_links_it() {
    let app = TestApp::new().await;
    let (s, _, page) = app.send(get("/login", "sf_lang=zh-CN")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(r#"<a href="/help" class="small" data-testid="help-link">帮助</a>"#));
    let (s, _, page) = app.send(get("/login", "sf_lang=en")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(r#"data-testid="help-link">Help</a>"#));

    for (lang, title, faq) in [("zh-CN", "使用指南", "常见问题"), ("en", "User guide", "Frequently asked questions")]
    {
        let (s, h, page) = app.send(get("/help", &format!("sf_lang={lang}"))).await;
        assert_eq!(s, StatusCode::OK, "{lang}: no redirect to the sign-in page");
        assert!(h.get(header::LOCATION).is_none());
        let html = page.as_str().unwrap();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{lang}");
        assert!(html.contains(&format!(r#"<h2 id="faq">{faq}</h2>"#)), "{lang}");
        // The sign-in page's frame: no sidebar, no search, no one's name; a way to sign in.
        assert!(!html.contains("nav-link") && !html.contains("global-q"), "{lang}: no navigation");
        assert!(html.contains(r#"href="/login" data-testid="help-sign-in""#), "{lang}");
    }
    // Other pages still want a session.
    let (s, h, _) = app.send(get("/customers", "")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/login?next=%2Fcustomers");
}

#[tokio::test]
async fn each_page_links_its_help_section() {
    let app = TestApp::new().await;
    let (cookies, _) = sign_in(&app).await;
    for (path, anchor) in [
        ("/", "home"),
        ("/customers", "customers"),
        ("/customers?scope=pool", "customers"),
        ("/leads", "leads"),
        ("/opportunities", "deals"),
        ("/board", "board"),
        ("/reports/funnel", "funnel"),
        ("/imports/new", "import"),
        ("/admin/users", "users"),
        ("/admin/settings", "settings"),
        ("/admin/audit", "audit"),
        ("/help", "faq"),
    ] {
        let (s, _, page) = app.send(get(path, &cookies)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let html = page.as_str().unwrap();
        let link = format!(r#"<a href="/help#{anchor}" class="icon-btn help-link""#);
        assert!(html.contains(&link), "{path} has its ? link to /help#{anchor}");
    }
    // The section is there in both languages.
    for language in ["en", "zh-CN"] {
        let (_, _, page) = app.send(get("/help", &format!("{cookies}; sf_lang={language}"))).await;
        let html = page.as_str().unwrap();
        for id in ["home", "customers", "leads", "deals", "board", "funnel", "import", "users", "settings", "audit"] {
            assert!(html.contains(&format!(r#"<h2 id="{id}">"#)), "{language}: section {id}");
        }
    }
}

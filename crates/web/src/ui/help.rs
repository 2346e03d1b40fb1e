//! Help (帮助): the user guide of the reader's language, embedded at build
//! time and rendered once, with its table of contents. Every heading of a
//! guide carries an explicit id (`## Customers {#customers}`) that both
//! languages share, so a page's "?" link (`{% block help %}` in its
//! template) opens the same section in either.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use axum_extra::extract::cookie::CookieJar;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::page::Page;
use super::{PageCtx, public_ctx, render};
use crate::auth::{RequestMeta, Session};
use crate::server::AppState;

const GUIDE_EN: &str = include_str!("../../../../docs/user-guide.en.md");
const GUIDE_ZH: &str = include_str!("../../../../docs/user-guide.zh-CN.md");

static RENDERED_EN: LazyLock<Guide> = LazyLock::new(|| Guide::render(GUIDE_EN));
static RENDERED_ZH: LazyLock<Guide> = LazyLock::new(|| Guide::render(GUIDE_ZH));

pub fn routes() -> Router<AppState> {
    Router::new().route("/help", get(help_page))
}

/// A guide as the help page shows it.
pub struct Guide {
    /// The text of its first-level heading.
    pub title: String,
    /// Its second- and third-level headings, in order.
    pub toc: Vec<Heading>,
    /// The body as HTML, without the first-level heading.
    pub html: String,
}

pub struct Heading {
    pub id: String,
    pub title: String,
    /// 2 for a section, 3 for a part of one.
    pub level: u8,
}

impl Guide {
    /// The guide of a language (the English one for any but Chinese).
    pub fn of(locale: &str) -> &'static Guide {
        if locale == "zh-CN" { &RENDERED_ZH } else { &RENDERED_EN }
    }

    /// Markdown to HTML. The markdown is ours, still raw HTML in it shows
    /// as text and a link may only go to an anchor, a page of the app, the
    /// web or an e-mail address.
    pub fn render(markdown: &str) -> Guide {
        let options = Options::ENABLE_TABLES | Options::ENABLE_HEADING_ATTRIBUTES | Options::ENABLE_STRIKETHROUGH;
        let mut title = String::new();
        let mut toc = Vec::new();
        let mut events = Vec::new();
        // The heading being read: its level, id and text so far.
        let mut open: Option<(HeadingLevel, Option<String>, String)> = None;
        for event in Parser::new_ext(markdown, options) {
            let event = match event {
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                    let dest_url = if safe_link(&dest_url) { dest_url } else { CowStr::Borrowed("#") };
                    Event::Start(Tag::Link { link_type, dest_url, title, id })
                }
                Event::Start(Tag::Heading { level, ref id, .. }) => {
                    open = Some((level, id.as_ref().map(|i| i.to_string()), String::new()));
                    event
                }
                Event::End(TagEnd::Heading(level)) => {
                    if let Some((_, id, text)) = open.take() {
                        match (level, id) {
                            (HeadingLevel::H1, _) => {
                                title = text;
                                continue;
                            }
                            (HeadingLevel::H2 | HeadingLevel::H3, Some(id)) => {
                                let level = if level == HeadingLevel::H2 { 2 } else { 3 };
                                toc.push(Heading { id, title: text, level });
                            }
                            _ => {}
                        }
                    }
                    event
                }
                event => event,
            };
            if let Some((level, _, text)) = open.as_mut() {
                if let Event::Text(t) | Event::Code(t) = &event {
                    text.push_str(t);
                }
                // The first-level heading is the page's title, not its body.
                if *level == HeadingLevel::H1 {
                    continue;
                }
            }
            events.push(event);
        }
        let mut html = String::with_capacity(markdown.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        Guide { title, toc, html }
    }
}

/// An anchor, a path of this site, or an http(s) or mailto address.
fn safe_link(url: &str) -> bool {
    url.starts_with('#')
        || (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with("https://")
        || url.starts_with("http://")
        || url.starts_with("mailto:")
}

#[derive(Template)]
#[template(path = "help/page.html")]
struct HelpPage {
    ctx: PageCtx,
    guide: &'static Guide,
}

/// The same guide before signing in: no navigation, no data, a way back
/// to the sign-in page.
#[derive(Template)]
#[template(path = "help/public.html")]
struct PublicHelpPage {
    ctx: PageCtx,
    guide: &'static Guide,
}

/// `GET /help`: the reader's guide; `/help#<id>` lands on a section. Open
/// without a session too (the guide holds no data), then in the sign-in
/// page's frame.
async fn help_page(
    State(state): State<AppState>,
    meta: RequestMeta,
    session: Option<Extension<Session>>,
    jar: CookieJar,
) -> Response {
    let guide = Guide::of(&meta.locale);
    match session {
        Some(Extension(session)) => {
            let page = Page { state, session, meta, jar };
            let ctx = page.ctx("/help").await;
            render(&ctx, &HelpPage { ctx: ctx.clone(), guide })
        }
        None => {
            let ctx = public_ctx(&state, &meta).await;
            render(&ctx, &PublicHelpPage { ctx: ctx.clone(), guide })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    impl Guide {
        /// The ids of its sections and their parts, in order.
        fn ids(&self) -> Vec<&str> {
            self.toc.iter().map(|h| h.id.as_str()).collect()
        }
    }

    #[test]
    fn both_guides_have_the_same_sections_in_the_same_order() {
        let (en, zh) = (Guide::render(GUIDE_EN), Guide::render(GUIDE_ZH));
        assert!(en.ids().len() >= 20, "the guide has its sections: {:?}", en.ids());
        assert_eq!(en.ids(), zh.ids(), "the Chinese and English guides have the same section ids in the same order");
        for guide in [&en, &zh] {
            let unique: BTreeSet<_> = guide.ids().into_iter().collect();
            assert_eq!(unique.len(), guide.toc.len(), "every id once");
            assert!(!guide.title.is_empty());
        }
        // Each level matches too (a section in one is not a part in the other).
        let levels = |g: &Guide| g.toc.iter().map(|h| h.level).collect::<Vec<_>>();
        assert_eq!(levels(&en), levels(&zh));
    }

    #[test]
    fn every_heading_has_an_explicit_id() {
        for (name, markdown) in [("en", GUIDE_EN), ("zh-CN", GUIDE_ZH)] {
            for line in markdown.lines().filter(|l| l.starts_with("## ") || l.starts_with("### ")) {
                let id = line.rsplit_once("{#").map(|(_, rest)| rest.trim_end());
                assert!(
                    id.is_some_and(|i| i.ends_with('}') && i.len() > 1),
                    "{name}: the heading `{line}` needs an id like {{#customers}}"
                );
            }
        }
    }

    #[test]
    fn raw_html_shows_as_text_and_odd_links_go_nowhere() {
        let guide = Guide::render(
            "# T\n\n## A {#a}\n\n<script>alert(1)</script>\n\nx <b>y</b> [z](javascript:alert(1)) [w](#a)\n",
        );
        assert!(!guide.html.contains("<script>") && guide.html.contains("&lt;script&gt;"));
        assert!(!guide.html.contains("<b>"));
        assert!(!guide.html.contains("javascript:"));
        assert!(guide.html.contains(r##"<a href="#a">w</a>"##));
        assert!(guide.html.contains(r#"<h2 id="a">A</h2>"#));
        assert!(!guide.html.contains("<h1"), "the page shows the title itself");
        assert_eq!(guide.title, "T");
        assert_eq!(guide.ids(), ["a"]);
    }

    /// Every template that extends the page frame names its help section,
    /// and the section exists in the guide.
    #[test]
    fn every_page_help_link_lands_on_a_section() {
        let ids: BTreeSet<String> = Guide::render(GUIDE_EN).toc.into_iter().map(|h| h.id).collect();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut pages = 0;
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                if !text.contains(r#"{% extends "base.html" %}"#) {
                    continue;
                }
                pages += 1;
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                let anchor = text
                    .split_once("{% block help %}")
                    .and_then(|(_, rest)| rest.split_once("{% endblock %}"))
                    .map(|(a, _)| a.trim().to_owned());
                let Some(anchor) = anchor else { panic!("{name} names no help section ({{% block help %}}…)") };
                assert!(ids.contains(&anchor), "{name}: the help section `{anchor}` is not in the guide");
            }
        }
        assert!(pages >= 30, "found the page templates ({pages})");
    }
}

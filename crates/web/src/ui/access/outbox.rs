//! The outbox of e-mails.

use super::*;

#[derive(Template)]
#[template(path = "access/outbox.html")]
pub(super) struct OutboxPage {
    pub(super) ctx: PageCtx,
    pub(super) messages: Vec<OutboxMessage>,
    pub(super) next_url: Option<String>,
    pub(super) smtp: bool,
}

#[derive(Deserialize)]
pub(super) struct CursorQuery {
    pub(super) cursor: Option<String>,
}

pub(super) async fn outbox_page(request: Page, Query(q): Query<CursorQuery>) -> PageResult {
    let req = PageRequest { limit: Some(50), cursor: q.cursor, sort: None };
    Ok(match notifications::list(request.store(), request.actor(), &req).await {
        Ok(page) => {
            let ctx = request.ctx("/admin/outbox").await;
            let next_url = page.next_cursor.map(|c| format!("/admin/outbox?cursor={c}"));
            let page =
                OutboxPage { ctx, messages: page.items, next_url, smtp: request.state.config.smtp_url.is_some() };
            render(&page.ctx, &page)
        }
        Err(e) => return Err(e.into()),
    })
}

//! A contact's own page: who they are, their customer, and their files
//! (upload, list, download, delete), as the customer page has.

use super::*;
use salesflow_domain::attachments::Holder;

#[derive(Template)]
#[template(path = "customers/contact.html")]
pub(super) struct ContactPage {
    pub(super) ctx: PageCtx,
    pub(super) p: ContactView,
    pub(super) customer_name: String,
    pub(super) can_edit: bool,
    /// The files section.
    pub(super) files: String,
}

/// `GET /contacts/{id}`: a contact in the caller's scope (404 otherwise).
pub(super) async fn contact_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let actor = request.actor();
    let p = customers::get_contact(request.store(), actor, id).await?;
    let customer_name = customers::customer_names(request.store(), std::iter::once(p.customer_id))
        .await?
        .remove(&p.customer_id)
        .unwrap_or_default();
    let ctx = request.ctx("/contacts").await;
    let can_upload = crate::ui::attachments::may_upload(&request, Holder::Contact);
    let files =
        crate::ui::attachments::Files::load(&request, ctx.clone(), Holder::Contact, id, can_upload).await?.html();
    let page = ContactPage { ctx, p, customer_name, can_edit: actor.can(Module::Customers, Action::Edit), files };
    Ok(render(&page.ctx, &page))
}

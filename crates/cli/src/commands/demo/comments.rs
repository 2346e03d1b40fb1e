//! The demo's discussion with mentions and the visit notes attached as a file.

use anyhow::Context;
use salesflow_store::Store;
use salesflow_store::access;

use super::CUSTOMERS;

/// A short discussion with mentions on the first customer and its first
/// deal, the visit notes as a small text file attached to it and a
/// business card on its first contact (under the data directory, as an
/// upload would be).
pub(super) async fn load_comments_and_files(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<()> {
    use salesflow_domain::attachments::FileKind;
    use salesflow_domain::comments::Subject;
    use salesflow_store::entity::{contact, customer, opportunity, user};
    use salesflow_store::{attachments, comments};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

    let person = |username: &'static str| async move {
        let u = user::Entity::find().filter(user::Column::Username.eq(username)).one(store.reader()).await?;
        let u = u.with_context(|| username.to_owned())?;
        anyhow::Ok(access::actor_for(store.reader(), &u).await?)
    };
    let (li, zhang) = (person("li.na").await?, person("zhang.wei").await?);
    let huaxin = customer::Entity::find()
        .filter(customer::Column::Name.eq(CUSTOMERS[0].0))
        .one(store.reader())
        .await?
        .context("the first demo customer")?;
    comments::create(
        store,
        &li,
        Subject::Customer,
        huaxin.id,
        "@张伟 华信周总希望下周三前拿到正式报价，折扣需要您审批。",
    )
    .await
    .context("comment")?;
    comments::create(store, &zhang, Subject::Customer, huaxin.id, "@李娜 可以给到 9 折，报价单发我过目后再发客户。")
        .await
        .context("comment")?;
    if let Some(deal) = opportunity::Entity::find()
        .filter(opportunity::Column::CustomerId.eq(huaxin.id))
        .filter(opportunity::Column::OwnerId.eq(li.user_id))
        .order_by_asc(opportunity::Column::Id)
        .one(store.reader())
        .await?
    {
        comments::create(store, &li, Subject::Opportunity, deal.id, "技术交流已约在周四下午，@张伟 请一起参加。")
            .await
            .context("comment")?;
    }
    let notes = "拜访纪要（上海华信科技）\n\n参加：周国强（总经理）、陈静（采购经理）、李娜\n\n1. 客户计划年内上线 ERP，预算已获批。\n2. 关注实施周期与本地化服务。\n3. 下一步：下周三前提交正式报价，周四技术交流。\n";
    let dir = data_dir.join("attachments");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stored_name: String = access::new_token().chars().filter(char::is_ascii_hexdigit).take(32).collect();
    std::fs::write(dir.join(&stored_name), notes).context("the demo attachment")?;
    let file = attachments::NewFile {
        file_name: "拜访纪要.txt".to_owned(),
        stored_name,
        kind: FileKind::Text,
        size: notes.len() as u64,
    };
    attachments::create(store, &li, salesflow_domain::attachments::Holder::Customer, huaxin.id, file)
        .await
        .context("attachment")?;
    // The first contact's business card, on the contact's own page.
    if let Some(contact) = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(huaxin.id))
        .filter(contact::Column::DeletedAt.is_null())
        .order_by_asc(contact::Column::Id)
        .one(store.reader())
        .await?
    {
        let card = format!("{}\n上海华信科技有限公司\n{}\n", contact.name, contact.mobile.as_deref().unwrap_or(""));
        let stored_name: String = access::new_token().chars().filter(char::is_ascii_hexdigit).take(32).collect();
        std::fs::write(dir.join(&stored_name), &card).context("the demo business card")?;
        let file = attachments::NewFile {
            file_name: "名片.txt".to_owned(),
            stored_name,
            kind: FileKind::Text,
            size: card.len() as u64,
        };
        attachments::create(store, &li, salesflow_domain::attachments::Holder::Contact, contact.id, file)
            .await
            .context("contact attachment")?;
    }
    Ok(())
}

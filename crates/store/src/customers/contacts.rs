//! Contacts: the people at a customer.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// `handler|decision_maker|evaluator|supporter|executive|other`.
    pub role: String,
    pub notes: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn contact_view(m: contact::Model) -> ContactView {
    ContactView {
        id: m.id,
        customer_id: m.customer_id,
        name: m.name,
        title: m.title,
        phone: m.phone,
        mobile: m.mobile,
        email: m.email,
        role: m.role,
        notes: m.notes,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub role: String,
    pub notes: String,
    pub allow_duplicate: bool,
    /// Why a manager saves despite a clash (撞单) with another owner's customer.
    pub duplicate_reason: Option<String>,
}

/// What a contact is compared by for clashes (撞单).
pub(crate) fn contact_probe(input: &ContactInput) -> clashes::Probe {
    clashes::Probe::person(None, input.phone.as_deref(), input.mobile.as_deref(), input.email.as_deref())
}

pub(crate) fn check_contact(input: &ContactInput) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("name", &input.name, TEXT_MAX);
    if let Some(t) = &input.title {
        invalid.optional_text("title", t.trim(), TEXT_MAX);
    }
    check_phone(&mut invalid, "phone", input.phone.as_deref().unwrap_or(""));
    check_phone(&mut invalid, "mobile", input.mobile.as_deref().unwrap_or(""));
    check_optional_email(&mut invalid, "email", input.email.as_deref().unwrap_or(""));
    if ContactRole::parse(&input.role).is_none() {
        invalid.push(FieldError::new("role", "invalid_choice"));
    }
    invalid.optional_text("notes", &input.notes, NOTES_MAX);
    invalid
}

/// Contacts with the same phone, mobile or e-mail (excluding `except`).
pub(crate) async fn contact_duplicates<C: ConnectionTrait>(
    conn: &C,
    input: &ContactInput,
    except: Option<i64>,
) -> StoreResult<Vec<(String, Duplicate)>> {
    let phones: Vec<String> =
        [&input.phone, &input.mobile].into_iter().filter_map(|p| p.as_deref().and_then(phone_key)).collect();
    let email = clean(&input.email).map(|e| e.to_lowercase());
    let mut found = Vec::new();
    for (field, cond) in [
        (
            "phone",
            (!phones.is_empty()).then(|| {
                Condition::any()
                    .add(contact::Column::PhoneKey.is_in(phones.clone()))
                    .add(contact::Column::MobileKey.is_in(phones.clone()))
            }),
        ),
        ("email", email.map(|e| Condition::all().add(contact::Column::EmailKey.eq(e)))),
    ] {
        let Some(cond) = cond else { continue };
        let mut q = contact::Entity::find().filter(cond).filter(contact::Column::DeletedAt.is_null());
        if let Some(id) = except {
            q = q.filter(contact::Column::Id.ne(id));
        }
        for c in q.limit(5).all(conn).await? {
            found.push((
                field.to_owned(),
                Duplicate { id: c.customer_id, name: c.name, owner_name: None, owner_id: None },
            ));
        }
    }
    // Each contact is as readable as its customer: its owner decides.
    if !found.is_empty() {
        let ids: Vec<i64> = found.iter().map(|(_, d)| d.id).collect();
        let owners: HashMap<i64, Option<i64>> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::OwnerId)
            .filter(customer::Column::Id.is_in(ids))
            .into_tuple::<(i64, Option<i64>)>()
            .all(conn)
            .await?
            .into_iter()
            .collect();
        let names = owner_names(conn, owners.values().flatten().copied()).await?;
        for (_, d) in &mut found {
            d.owner_id = owners.get(&d.id).copied().flatten();
            d.owner_name = d.owner_id.and_then(|o| names.get(&o).cloned());
        }
    }
    Ok(found)
}

pub(crate) fn contact_keys(input: &ContactInput) -> (Option<String>, Option<String>, Option<String>) {
    (
        input.phone.as_deref().and_then(phone_key),
        input.mobile.as_deref().and_then(phone_key),
        clean(&input.email).map(|e| e.to_lowercase()),
    )
}

/// The columns an edit of a contact writes, from its input: the form's
/// update and an import's merge write the same.
pub(crate) fn contact_columns(input: &ContactInput) -> Vec<(contact::Column, sea_orm::sea_query::SimpleExpr)> {
    let (phone_key, mobile_key, email_key) = contact_keys(input);
    vec![
        (contact::Column::Name, Expr::value(input.name.trim())),
        (contact::Column::Title, Expr::value(clean(&input.title))),
        (contact::Column::Phone, Expr::value(clean(&input.phone))),
        (contact::Column::Mobile, Expr::value(clean(&input.mobile))),
        (contact::Column::PhoneKey, Expr::value(phone_key)),
        (contact::Column::MobileKey, Expr::value(mobile_key)),
        (contact::Column::Email, Expr::value(clean(&input.email))),
        (contact::Column::EmailKey, Expr::value(email_key)),
        (contact::Column::Role, Expr::value(input.role.clone())),
        (contact::Column::Notes, Expr::value(input.notes.trim())),
    ]
}

pub(crate) fn contact_texts(m: &contact::Model) -> Vec<String> {
    [Some(m.name.clone()), m.phone.clone(), m.mobile.clone(), m.email.clone()].into_iter().flatten().collect()
}

pub async fn create_contact(store: &Store, actor: &Actor, input: ContactInput) -> StoreResult<ContactView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let invalid = check_contact(&input);
    let txn = permit.begin().await?;
    let parent = find_visible(&txn, actor, input.customer_id)
        .await
        .map_err(|_| StoreError::Invalid(Invalid::one("customer_id", "unknown_reference")))?;
    require_owned(actor, &parent)?;
    invalid.into_result()?;
    let allow = input.allow_duplicate;
    let probe = contact_probe(&input);
    let reason = input.duplicate_reason.as_deref();
    let accepted = clashes::check(&txn, actor, &probe, parent.owner_id, (None, None), allow, reason).await?;
    if !input.allow_duplicate {
        let found = contact_duplicates(&txn, &input, None).await?;
        if let Some((field, _)) = found.first() {
            let list: Vec<Duplicate> = found.iter().map(|(_, d)| d.clone()).collect();
            return Err(duplicate_error(actor, field, &list).into());
        }
    }
    let (v, event) = insert_contact(&txn, &input).await?;
    txn.commit(clashes::Accepted::note(&accepted, event)).await?;
    Ok(v)
}

/// Writes a checked new contact with its search index in the caller's
/// unit; returns it with its audit event.
pub(crate) async fn insert_contact(
    txn: &UnitOfWork<'_>,
    input: &ContactInput,
) -> StoreResult<(ContactView, AuditEvent)> {
    let (phone_key, mobile_key, email_key) = contact_keys(input);
    let now = txn.now();
    let m = contact::ActiveModel {
        customer_id: Set(input.customer_id),
        name: Set(input.name.trim().to_owned()),
        title: Set(clean(&input.title)),
        phone: Set(clean(&input.phone)),
        mobile: Set(clean(&input.mobile)),
        phone_key: Set(phone_key),
        mobile_key: Set(mobile_key),
        email: Set(clean(&input.email)),
        email_key: Set(email_key),
        role: Set(input.role.clone()),
        notes: Set(input.notes.trim().to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let texts = contact_texts(&m);
    txn.index(Kind::Contact, m.id, &texts.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let v = contact_view(m);
    let event = AuditEvent::new("contact.create", "contact", Some(v.id)).after(&v);
    Ok((v, event))
}

pub(crate) async fn find_contact<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> StoreResult<(contact::Model, customer::Model)> {
    let c = contact::Entity::find_by_id(id)
        .filter(contact::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let parent = find_visible(conn, actor, c.customer_id).await?;
    Ok((c, parent))
}

pub async fn get_contact(store: &Store, actor: &Actor, id: i64) -> StoreResult<ContactView> {
    actor.require(Module::Customers, Action::View)?;
    Ok(contact_view(find_contact(store.reader(), actor, id).await?.0))
}

pub async fn update_contact(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: ContactInput,
) -> StoreResult<ContactView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let invalid = check_contact(&input);
    let txn = permit.begin().await?;
    let (before, parent) = find_contact(&txn, actor, id).await?;
    require_owned(actor, &parent)?;
    invalid.into_result()?;
    // Only a changed phone, mobile or e-mail can make a new clash.
    let keys_changed =
        contact_keys(&input) != (before.phone_key.clone(), before.mobile_key.clone(), before.email_key.clone());
    let accepted = if keys_changed {
        let (allow, reason) = (input.allow_duplicate, input.duplicate_reason.as_deref());
        clashes::check(&txn, actor, &contact_probe(&input), parent.owner_id, (None, Some(id)), allow, reason).await?
    } else {
        None
    };
    if !input.allow_duplicate {
        let found = contact_duplicates(&txn, &input, Some(id)).await?;
        if let Some((field, _)) = found.first() {
            let list: Vec<Duplicate> = found.iter().map(|(_, d)| d.clone()).collect();
            return Err(duplicate_error(actor, field, &list).into());
        }
    }
    let mut update = txn.update::<contact::Entity>(id, version);
    for (column, value) in contact_columns(&input) {
        update = update.set(column, value);
    }
    let after = update.exec().await?;
    let texts = contact_texts(&after);
    txn.index(Kind::Contact, id, &texts.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let (before, after) = (contact_view(before), contact_view(after));
    let event = AuditEvent::new("contact.update", "contact", Some(id)).before(&before).after(&after);
    txn.commit(clashes::Accepted::note(&accepted, event)).await?;
    Ok(after)
}

pub async fn delete_contact(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let txn = permit.begin().await?;
    let (before, parent) = find_contact(&txn, actor, id).await?;
    require_owned(actor, &parent)?;
    txn.update::<contact::Entity>(id, before.version)
        .set(contact::Column::DeletedAt, Expr::value(txn.now()))
        .exec_without_reading()
        .await?;
    txn.commit(AuditEvent::new("contact.delete", "contact", Some(id)).before(&contact_view(before))).await?;
    Ok(())
}

/// Soft-deletes selected contacts, all or none, by the rule of deleting one:
/// each contact's customer must be in the caller's scope and changeable by
/// them. Each deletion is audited. Returns how many were deleted.
pub async fn delete_contacts(store: &Store, actor: &Actor, ids: &[i64]) -> StoreResult<u64> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let ids = selection(ids)?;
    let txn = permit.begin().await?;
    let rows = contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids.iter().copied()))
        .filter(contact::Column::DeletedAt.is_null())
        .all(&txn)
        .await?;
    let mut parent_ids: Vec<i64> = rows.iter().map(|c| c.customer_id).collect();
    parent_ids.sort_unstable();
    parent_ids.dedup();
    let parents = customer::Entity::find()
        .filter(customer::Column::Id.is_in(parent_ids.iter().copied()))
        .filter(visible(actor))
        .all(&txn)
        .await?;
    if rows.len() != ids.len() || parents.len() != parent_ids.len() {
        return Err(StoreError::NotFound);
    }
    for parent in &parents {
        require_owned(actor, parent)?;
    }
    let mut audited = None;
    for c in rows {
        txn.update::<contact::Entity>(c.id, c.version)
            .set(contact::Column::DeletedAt, Expr::value(txn.now()))
            .exec_without_reading()
            .await?;
        let event = AuditEvent::new("contact.delete", "contact", Some(c.id)).before(&contact_view(c));
        audited = Some(txn.record(event.detail(serde_json::json!({ "bulk": true }))).await?);
    }
    if let Some(audited) = audited {
        txn.commit_recorded(audited).await?;
    }
    Ok(ids.len() as u64)
}

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub customer_id: Option<i64>,
    /// Part of the name, phone or e-mail.
    pub q: Option<String>,
    pub role: Option<String>,
    /// Only these contacts (an export of selected rows).
    pub ids: Option<Vec<i64>>,
}

const CONTACT_SORTS: [SortField<contact::Column>; 3] = [
    SortField { name: "name", column: contact::Column::Name },
    SortField { name: "created_at", column: contact::Column::CreatedAt },
    SortField { name: "id", column: contact::Column::Id },
];

/// Names of customers by id, for a page of contacts (one query).
pub async fn customer_names(store: &Store, ids: impl Iterator<Item = i64>) -> StoreResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::Name)
        .filter(customer::Column::Id.is_in(ids))
        .into_tuple()
        .all(store.reader())
        .await?;
    Ok(rows.into_iter().collect())
}

/// The live contacts the caller may see (those of customers in scope), as a
/// condition on one contact row: a check per row, for walks (the top bar's
/// search) where a list of every visible customer would be read in full.
pub(crate) fn visible_contact(actor: &Actor) -> sea_orm::Condition {
    let live = sea_orm::Condition::all().add(contact::Column::DeletedAt.is_null());
    if actor.visible_users.is_none() {
        return live;
    }
    use sea_orm::sea_query::ExprTrait;
    let mut customer_seen = sea_orm::sea_query::Query::select();
    customer_seen.expr(sea_orm::sea_query::Expr::val(1)).from(customer::Entity).cond_where(visible(actor)).and_where(
        sea_orm::sea_query::Expr::col((customer::Entity, customer::Column::Id))
            .equals((contact::Entity, contact::Column::CustomerId)),
    );
    live.add(sea_orm::sea_query::Expr::exists(customer_seen))
}

/// Contacts of customers in scope.
pub async fn list_contacts(
    store: &Store,
    actor: &Actor,
    filter: &ContactFilter,
    page: &PageRequest,
) -> StoreResult<Page<ContactView>> {
    actor.require(Module::Customers, Action::View)?;
    let keyset = Keyset::parse(page, &CONTACT_SORTS, "name")?;
    let mut query = contact::Entity::find().filter(contact::Column::DeletedAt.is_null());
    if let Some(id) = filter.customer_id {
        // One customer: check it is visible once instead of a sub-query.
        find_visible(store.reader(), actor, id).await?;
        query = query.filter(contact::Column::CustomerId.eq(id));
    } else {
        // Each contact's customer checked by key (`EXISTS`), never the
        // visible customers collected first: a salesperson sees the whole
        // public pool, and `IN (…)` made SQLite gather its 200,000 ids for
        // every page (the top bar's five contacts of `138` at 1,000,000
        // customers: ~80 ms of its ~95).
        query = query.filter(visible_contact(actor));
    }
    if let Some(q) = filter.q.as_deref()
        && let Some(matches) = search::all_matching(store.reader(), Kind::Contact, q, contact::Column::Id).await?
    {
        // Contacts sort by name, which a name search correlates with: walking
        // that order would skip most of the list, so the matches are fetched
        // (as the customer picker's: `李娜` among 1,000,000 contacts took
        // 553 ms on PostgreSQL through `IN (…)`).
        query = query.filter(matches);
    }
    if let Some(role) = clean(&filter.role) {
        query = query.filter(contact::Column::Role.eq(role));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(contact::Column::Id.is_in(ids.iter().copied()));
    }
    let rows = keyset.apply(query, contact::Column::Id).all(store.reader()).await?;
    let page = keyset.finish(rows, |c, field| {
        let key = match field {
            "name" => Key::Text(c.name.clone()),
            "created_at" => Key::Time(c.created_at),
            _ => Key::Int(c.id),
        };
        (key, c.id)
    });
    Ok(page.map(contact_view))
}

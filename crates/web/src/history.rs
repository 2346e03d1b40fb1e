//! Readable history: an audit entry as a sentence in the reader's language
//! ("张伟 把 12 个客户移交给 李娜" / "Zhang Wei handed 12 customers over
//! to Li Na"), from its action code and its JSON details. The one renderer
//! of the audit page and of every record's history. Each action's sentence
//! is `audit_sentences.<action>` in the locale files, with parameters:
//! `%{actor}` (who did it, by name), `%{entity}` (the kind of record),
//! `%{record}` (its name when the details hold one, else `#id`), every
//! person the details name under `PERSON_KEYS` by name (`owner_id` →
//! `%{owner}`, `to_user_id` → `%{to_user}`), and every number or short text
//! of the details (`%{customers}`, `%{tag}`). An action without a sentence,
//! or whose details lack a parameter its sentence needs, gets the generic
//! sentence (`audit_sentences.generic`).

use std::collections::HashMap;

use salesflow_store::audit::{AuditEntry, PERSON_KEYS};
use serde_json::Value;

use crate::i18n;

/// The longest detail text put into a sentence.
const TEXT_MAX: usize = 60;

fn lookup(locale: &str, key: &str) -> Option<String> {
    let text = i18n::t(locale, key);
    (!text.ends_with(key)).then_some(text)
}

fn short(text: &str) -> String {
    if text.chars().count() > TEXT_MAX {
        format!("{}…", text.chars().take(TEXT_MAX).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// The parameters of an entry's sentence; `record_name` names the record
/// when the details hold no name.
fn params(
    locale: &str,
    e: &AuditEntry,
    names: &HashMap<i64, String>,
    record_name: Option<&str>,
) -> Vec<(String, String)> {
    let person = |id: i64| names.get(&id).cloned().unwrap_or_else(|| i18n::t(locale, "audit.someone"));
    let actor = match e.actor_id {
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| e.actor_name.clone()),
        None if !e.actor_name.is_empty() => e.actor_name.clone(),
        None => i18n::t(locale, "audit.someone"),
    };
    let entity = lookup(locale, &format!("audit_entities.{}", e.entity_type)).unwrap_or_else(|| e.entity_type.clone());
    let mut out: Vec<(String, String)> = vec![("actor".into(), actor), ("entity".into(), entity)];
    let mut record: Option<String> = None;
    // `after` wins over `before` for a key both hold.
    for side in [&e.before, &e.after].into_iter().flatten() {
        let Value::Object(map) = side else { continue };
        for (k, v) in map {
            if PERSON_KEYS.contains(&k.as_str()) {
                if let Some(id) = v.as_i64() {
                    out.push((k.trim_end_matches("_id").to_owned(), person(id)));
                }
                continue;
            }
            match v {
                Value::Number(n) => out.push((k.clone(), n.to_string())),
                Value::String(s) => {
                    if matches!(k.as_str(), "name" | "display_name" | "title" | "username") && record.is_none() {
                        record = Some(short(s));
                    }
                    out.push((k.clone(), short(s)));
                }
                _ => {}
            }
        }
    }
    let record = record
        .or_else(|| record_name.map(short))
        .or_else(|| e.entity_id.map(|id| format!("#{id}")))
        .unwrap_or_default();
    out.push(("record".into(), record));
    // Later entries (after) override earlier ones (before) when filled in.
    out.reverse();
    out
}

fn fill(template: &str, params: &[(String, String)]) -> Option<String> {
    let mut text = template.to_owned();
    while let Some(start) = text.find("%{") {
        let end = start + text[start..].find('}')?;
        let key = &text[start + 2..end];
        let value = params.iter().find(|(k, _)| k == key)?.1.clone();
        text.replace_range(start..=end, &value);
    }
    Some(text)
}

/// The entry as one sentence in the reader's language, people by name.
pub fn sentence(locale: &str, e: &AuditEntry, names: &HashMap<i64, String>) -> String {
    sentence_about(locale, e, names, None)
}

/// The same, with the record's current name for entries whose details
/// hold none (a stage move, a ticked item): "李娜 moved the deal 华信 ERP
/// to another stage" rather than "… the deal #12 …".
pub fn sentence_about(locale: &str, e: &AuditEntry, names: &HashMap<i64, String>, record: Option<&str>) -> String {
    let params = params(locale, e, names, record);
    if let Some(text) = lookup(locale, &format!("audit_sentences.{}", e.action)).and_then(|t| fill(&t, &params)) {
        return text;
    }
    let action = lookup(locale, &format!("audit_actions.{}", e.action)).unwrap_or_else(|| e.action.clone());
    let mut params = params;
    params.push(("action".into(), action));
    fill(&i18n::t(locale, "audit_sentences.generic"), &params).unwrap_or_else(|| e.action.clone())
}

/// A line of a deal's history as a sentence in the reader's language:
/// who (`None`: someone) changed `field` (`stage`, `amount`, … as the
/// deal history stores it) from `from` to `to`, both already shown as the
/// reader reads them (a stage's name, an amount with its currency); a
/// ticked checklist item is `to`.
pub fn deal_change(locale: &str, field: &str, who: Option<&str>, from: &str, to: &str) -> String {
    let user = who.map(str::to_owned).unwrap_or_else(|| i18n::t(locale, "audit.someone"));
    let field_label =
        lookup(locale, &format!("opportunities.history_fields.{field}")).unwrap_or_else(|| field.to_owned());
    let params: Vec<(String, String)> = vec![
        ("user".into(), user),
        ("field".into(), field_label),
        ("from".into(), short(from)),
        ("to".into(), short(to)),
    ];
    lookup(locale, &format!("deal_history.{field}"))
        .and_then(|t| fill(&t, &params))
        .or_else(|| fill(&i18n::t(locale, "deal_history.generic"), &params))
        .unwrap_or_default()
}

/// The raw details behind the sentence ("details" toggle): `before` and
/// `after` as indented JSON; `None` when the entry has none.
pub fn details(e: &AuditEntry) -> Option<String> {
    if e.before.is_none() && e.after.is_none() {
        return None;
    }
    let value = serde_json::json!({ "before": e.before, "after": e.after });
    serde_json::to_string_pretty(&value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, actor: i64, after: Value) -> AuditEntry {
        AuditEntry {
            id: 1,
            at: chrono::Utc::now(),
            actor_id: Some(actor),
            actor_name: "zhang.wei".into(),
            action: action.into(),
            entity_type: "user".into(),
            entity_id: Some(11),
            before: None,
            after: Some(after),
            ip: None,
            request_id: None,
        }
    }

    #[test]
    fn files_and_comments_name_their_record_when_the_page_knows_it() {
        let names: HashMap<i64, String> = [(1, "李娜".to_owned())].into();
        let mut e = entry("attachment.create", 1, serde_json::json!({"file_name": "名片.txt", "size": 12}));
        e.entity_type = "contact".into();
        assert_eq!(sentence_about("zh-CN", &e, &names, Some("陈静")), "李娜 给联系人 陈静 上传了附件“名片.txt”");
        assert_eq!(sentence("en", &e, &names), "李娜 attached the file “名片.txt” to the contact #11");
        let mut c = entry("comment.create", 1, serde_json::json!({"body": "@张伟 请审批"}));
        c.entity_type = "customer".into();
        assert_eq!(sentence_about("en", &c, &names, Some("华信")), "李娜 commented on the customer 华信");
    }

    #[test]
    fn a_deal_change_reads_as_a_sentence_in_both_languages() {
        assert_eq!(
            deal_change("zh-CN", "stage", Some("李娜"), "S1 电话邀约", "S2 需求确认"),
            "李娜 把阶段从 S1 电话邀约 改为 S2 需求确认"
        );
        assert_eq!(
            deal_change("en", "stage", Some("Li Na"), "S1 Phone invite", "S2 Needs"),
            "Li Na moved the stage from S1 Phone invite to S2 Needs"
        );
        assert_eq!(
            deal_change("en", "amount", None, "¥1,000.00", "¥2,000.00"),
            "Someone changed the amount from ¥1,000.00 to ¥2,000.00"
        );
        assert_eq!(deal_change("zh-CN", "checklist_done", Some("李娜"), "—", "已确认预算"), "李娜 勾选了“已确认预算”");
        assert_eq!(deal_change("en", "checklist_undone", Some("Li Na"), "—", "Budget"), "Li Na unticked “Budget”");
        // A field without its own sentence still reads as one.
        assert_eq!(deal_change("en", "colour", Some("Li Na"), "red", "blue"), "Li Na changed colour: red → blue");
    }

    #[test]
    fn a_hand_over_reads_as_a_sentence_with_names_in_both_languages() {
        let names: HashMap<i64, String> =
            [(1, "张伟".to_owned()), (11, "张伟".to_owned()), (12, "李娜".to_owned())].into();
        let e = entry(
            "customer.transfer",
            1,
            serde_json::json!({"from_user_id": 11, "to_user_id": 12, "customers": 12, "opportunities": 3, "leads": 0, "tasks": 2}),
        );
        let zh = sentence("zh-CN", &e, &names);
        assert!(zh.starts_with("张伟 把") && zh.contains("12 个客户") && zh.contains("移交给 李娜"), "{zh}");
        let names: HashMap<i64, String> =
            [(1, "Zhang Wei".to_owned()), (11, "Zhang Wei".to_owned()), (12, "Li Na".to_owned())].into();
        let en = sentence("en", &e, &names);
        assert!(
            en.starts_with("Zhang Wei handed") && en.contains("12 customers") && en.contains("over to Li Na"),
            "{en}"
        );
        assert!(!en.contains("#11") && !en.contains("user #"), "{en}");
    }

    #[test]
    fn unknown_actions_and_missing_parameters_fall_back_to_the_generic_sentence() {
        let names: HashMap<i64, String> = [(1, "Zhang Wei".to_owned())].into();
        let e = entry("something.new", 1, serde_json::json!({"x": true}));
        let text = sentence("en", &e, &names);
        assert!(text.starts_with("Zhang Wei") && text.contains("something.new"), "{text}");
        // A hand-over without its counts: still a sentence, no placeholder left.
        let e = entry("customer.transfer", 1, serde_json::json!({}));
        let text = sentence("en", &e, &names);
        assert!(!text.contains("%{"), "{text}");
        assert!(details(&e).unwrap().contains("\"after\""));
    }
}

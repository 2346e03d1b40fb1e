//! Translation: every user-visible text comes from `locales/*.yml`.

use salesflow_domain::FieldError;

/// A translated text for a key in a locale (`zh-CN` or `en`).
pub fn t(locale: &str, key: &str) -> String {
    rust_i18n::t!(key, locale = locale).into_owned()
}

/// A field error as a sentence, e.g. "At most 100 characters".
/// A parameter `name_en` (a configured text's English version) stands in
/// for `name` when the reader reads English and it is not blank.
pub fn field_message(locale: &str, error: &FieldError) -> String {
    let mut text = t(locale, &format!("errors.{}", error.code));
    let english = locale.starts_with("en");
    for (name, value) in &error.params {
        let translated = error.params.iter().find(|(n, v)| *n == format!("{name}_en") && !v.trim().is_empty());
        let value = match translated {
            Some((_, v)) if english => v,
            _ => value,
        };
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}

/// The name of a field, for messages that stand away from the form.
pub fn field_label(locale: &str, field: &str) -> String {
    let key = format!("fields.{field}");
    let text = t(locale, &key);
    if text.ends_with(&key) { field.to_owned() } else { text }
}

/// A role's name for the reader: the name its creator typed, or for a
/// built-in role that keeps none (stored empty) its name in the reader's
/// language (`roles.<code>`).
pub fn role_name(locale: &str, code: &str, name: &str) -> String {
    if !name.trim().is_empty() {
        return name.to_owned();
    }
    let key = format!("roles.{code}");
    let text = t(locale, &key);
    if text.ends_with(&key) { code.to_owned() } else { text }
}

/// A role as the reader reads it: its name in their language (see [`role_name`]).
pub fn named_role(mut role: salesflow_store::access::RoleView, locale: &str) -> salesflow_store::access::RoleView {
    role.name = role_name(locale, &role.code, &role.name);
    role
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_are_named_in_the_readers_language() {
        assert_eq!(role_name("en", "admin", ""), "Administrator");
        assert_eq!(role_name("zh-CN", "admin", ""), "系统管理员");
        assert_eq!(role_name("en", "admin", "超级管理员"), "超级管理员");
        assert_eq!(role_name("en", "field_sales", ""), "field_sales");
    }

    #[test]
    fn translates_in_both_languages() {
        assert_eq!(t("en", "nav.users"), "Users");
        assert_eq!(t("zh-CN", "nav.users"), "用户管理");
        assert_eq!(t("zh-CN", "audit_actions.auth.login"), "登录");
    }

    /// A key missing in one language shows the other language (or the bare
    /// key) to its readers: both files must name the same keys.
    #[test]
    fn both_languages_have_the_same_keys() {
        use std::collections::BTreeSet;
        let keys = |locale: &str| -> BTreeSet<String> {
            let messages = crate::_rust_i18n_backend().messages_for_locale(locale);
            messages
                .unwrap_or_else(|| panic!("no {locale} translations"))
                .into_iter()
                .map(|(k, _)| k.into_owned())
                .collect()
        };
        let (zh, en) = (keys("zh-CN"), keys("en"));
        assert!(zh.len() > 100, "the translations are loaded: {} keys", zh.len());
        let only_zh: Vec<&String> = zh.difference(&en).collect();
        let only_en: Vec<&String> = en.difference(&zh).collect();
        assert!(only_zh.is_empty() && only_en.is_empty(), "only in zh-CN: {only_zh:?}\nonly in en: {only_en:?}");
    }

    /// Every kind of notice the store can write has a name in both
    /// languages (a new kind without one showed its bare code).
    #[test]
    fn every_notice_kind_is_named_in_both_languages() {
        use salesflow_store::entity::notification::NotificationKind;
        use sea_orm::Iterable;
        for kind in NotificationKind::iter() {
            let key = format!("notice_kinds.{}", kind.code());
            for locale in ["zh-CN", "en"] {
                let messages = crate::_rust_i18n_backend().messages_for_locale(locale).unwrap();
                assert!(messages.iter().any(|(k, _)| *k == key), "{key} in {locale}");
            }
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_in_both_languages() {
        assert_eq!(t("en", "nav.users"), "Users");
        assert_eq!(t("zh-CN", "nav.users"), "用户管理");
        assert_eq!(t("zh-CN", "audit_actions.auth.login"), "登录");
    }
}

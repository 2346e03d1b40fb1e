//! Field-level validation errors shared by every area.
//!
//! A rule reports a stable `code` (translated by the web layer) for a
//! `field`, plus optional parameters such as a maximum length.

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Stable machine code, e.g. `required`, `too_long`, `invalid_email`.
    pub code: String,
    /// Parameters for the message, e.g. `("max", "100")`.
    pub params: Vec<(String, String)>,
}

impl FieldError {
    pub fn new(field: &str, code: &str) -> Self {
        Self { field: field.to_owned(), code: code.to_owned(), params: Vec::new() }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.push((name.to_owned(), value.to_string()));
        self
    }
}

/// A set of field errors; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn one(field: &str, code: &str) -> Self {
        Self(vec![FieldError::new(field, code)])
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when no error was collected.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks a required text field: trimmed, not empty, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let value = value.trim();
        if value.is_empty() {
            self.push(FieldError::new(field, "required"));
        } else {
            self.optional_text(field, value, max);
        }
    }

    /// Checks an optional text field's length.
    pub fn optional_text(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.push(FieldError::new(field, "too_long").with("max", max));
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.code)).collect();
        write!(f, "invalid input ({})", fields.join(", "))
    }
}

impl std::error::Error for Invalid {}

/// A loose but useful e-mail check: one `@`, a dot in the domain, no spaces.
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let mut invalid = Invalid::new();
        invalid.text("name", "  ", 10);
        invalid.text("title", "一二三四五六七八九十", 10);
        invalid.text("code", "一二三四五六七八九十十", 10);
        assert_eq!(invalid.0.len(), 2);
        assert_eq!(invalid.0[0].code, "required");
        assert_eq!(invalid.0[1].field, "code");
        assert_eq!(invalid.0[1].code, "too_long");
    }

    #[test]
    fn emails() {
        assert!(is_email("li.na@example.com"));
        assert!(is_email("张伟@例子.中国"));
        assert!(!is_email("no-at.example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("a@@example.com"));
        assert!(!is_email("@example.com"));
    }
}

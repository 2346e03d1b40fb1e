//! Comments on customers and deals, with @mentions: what a comment may
//! hold, whom it mentions, and who may change it.

use crate::validation::{FieldError, Invalid};

pub const BODY_MAX: usize = 2000;
/// People one comment may notify.
pub const MENTIONS_MAX: usize = 20;

/// The records comments are written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Customer,
    Opportunity,
}

impl Subject {
    pub const ALL: [Subject; 2] = [Subject::Customer, Subject::Opportunity];

    pub fn code(self) -> &'static str {
        match self {
            Subject::Customer => "customer",
            Subject::Opportunity => "opportunity",
        }
    }

    pub fn parse(code: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A comment's text: required, at most [`BODY_MAX`] characters.
pub fn check_body(body: &str) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("body", body, BODY_MAX);
    if body.contains('\0') {
        invalid.push(FieldError::new("body", "contains_nul"));
    }
    invalid
}

/// The people a comment mentions: each `@` followed by the name of one of
/// `people` (id, name). Of names that start alike the longest wins (`@张伟明`
/// is 张伟明, not 张伟); a name is matched whole, so `@张伟` does not mention
/// 张伟明. Each person once, in the order first mentioned, at most
/// [`MENTIONS_MAX`].
pub fn mentions(body: &str, people: &[(i64, String)]) -> Vec<i64> {
    let mut by_length: Vec<&(i64, String)> = people.iter().filter(|(_, n)| !n.trim().is_empty()).collect();
    by_length.sort_by_key(|(_, n)| std::cmp::Reverse(n.chars().count()));
    let mut found = Vec::new();
    for (at, _) in body.match_indices('@') {
        let rest = &body[at + 1..];
        let hit = by_length
            .iter()
            .find(|(_, name)| rest.starts_with(name.as_str()) && ends_a_name(name, rest[name.len()..].chars().next()));
        if let Some((id, _)) = hit
            && !found.contains(id)
        {
            found.push(*id);
            if found.len() == MENTIONS_MAX {
                break;
            }
        }
    }
    found
}

/// Whether a name ends where it matched: a Latin name needs something
/// other than a letter or digit after it (`@Li Nathan` is not Li Na);
/// Chinese is written without spaces, so `@张伟请跟进` mentions 张伟.
fn ends_a_name(name: &str, next: Option<char>) -> bool {
    let latin_end = name.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    match next {
        Some(c) if latin_end => !(c.is_ascii_alphanumeric() || c == '_'),
        _ => true,
    }
}

/// Only its author edits or deletes a comment.
pub fn may_change(author_id: i64, caller: Option<i64>) -> bool {
    caller == Some(author_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<(i64, String)> {
        vec![(1, "张伟".into()), (2, "张伟明".into()), (3, "Li Na".into()), (4, "王芳".into())]
    }

    #[test]
    fn mentions_find_whole_names_longest_first() {
        assert_eq!(mentions("@张伟 请跟进", &people()), [1]);
        assert_eq!(mentions("@张伟明，请看报价", &people()), [2]);
        assert_eq!(mentions("请 @Li Na 和 @王芳 看一下，@王芳 尽快", &people()), [3, 4]);
        assert_eq!(mentions("邮件 li@na.com 不是提及", &people()), Vec::<i64>::new());
        assert_eq!(mentions("@张伟请跟进", &people()), [1], "Chinese needs no space after the name");
        assert_eq!(mentions("@Li Nathan", &people()), Vec::<i64>::new(), "a Latin name ends at a word's end");
        assert_eq!(mentions("@@张伟.", &people()), [1]);
        assert_eq!(mentions("@陌生人", &people()), Vec::<i64>::new(), "only people offered");
    }

    #[test]
    fn a_comment_needs_text_and_only_its_author_changes_it() {
        assert_eq!(check_body("  ").0[0].code, "required");
        assert_eq!(check_body(&"字".repeat(BODY_MAX + 1)).0[0].code, "too_long");
        assert!(check_body("好的").is_empty());
        assert!(may_change(7, Some(7)));
        assert!(!may_change(7, Some(8)));
        assert!(!may_change(7, None));
        assert_eq!(Subject::parse("opportunity"), Some(Subject::Opportunity));
        assert_eq!(Subject::parse("lead"), None);
    }
}

//! Portable text search: every searchable text is cut into character
//! bigrams, stored in an index table beside the row. A query matches the
//! rows that hold all of its bigrams, so a two-character Chinese name, a
//! part of a phone number or of an e-mail address is found through an
//! index on both SQLite and PostgreSQL.

use std::collections::BTreeSet;

/// Marks the end of a text, so its last character forms a bigram too and a
/// one-character query can be answered from the index.
pub const END: char = '\u{1}';

/// Lower-cases and drops whitespace and punctuation that people type
/// differently (`-`, spaces, brackets).
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')' | '（' | '）' | '·' | '.' | ','))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The bigrams of a text to index (with the end marker).
pub fn index_grams(text: &str) -> BTreeSet<String> {
    let mut chars: Vec<char> = normalise(text).chars().collect();
    if chars.is_empty() {
        return BTreeSet::new();
    }
    chars.push(END);
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// What a query looks up: its bigrams, or for a single character the
/// character itself (matched as a prefix of the indexed bigrams).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Rows holding every one of these bigrams.
    All(Vec<String>),
    /// Rows holding a bigram that starts with this character.
    Prefix(String),
    /// Nothing to search for.
    Empty,
}

/// The characters of a query that are looked up: a search costs a statement
/// part per bigram, so a pasted page of text must not cost thousands (on
/// SQLite a compound statement has at most 500 parts). Longer queries match
/// by their first characters.
pub const QUERY_CHARS: usize = 64;

pub fn lookup(query: &str) -> Lookup {
    let chars: Vec<char> = normalise(query).chars().take(QUERY_CHARS).collect();
    match chars.len() {
        0 => Lookup::Empty,
        1 => Lookup::Prefix(chars[0].to_string()),
        _ => {
            let grams: BTreeSet<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
            Lookup::All(grams.into_iter().collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_character_name_is_one_bigram() {
        let grams = index_grams("李娜");
        assert!(grams.contains("李娜"));
        assert_eq!(lookup("李娜"), Lookup::All(vec!["李娜".into()]));
        assert_eq!(lookup(" 娜 "), Lookup::Prefix("娜".into()));
        assert!(grams.iter().any(|g| g.starts_with('娜')), "last character indexed with the end marker");
    }

    #[test]
    fn query_grams_are_a_subset_of_the_text_grams() {
        let text = "上海华信科技有限公司 Huaxin Tech 138-0013-8000 li.na@huaxin.cn";
        let grams = index_grams(text);
        for q in ["华信", "huaxin", "HUAXIN tech", "13800138000", "0013", "li.na@hua", "有限公司"] {
            match lookup(q) {
                Lookup::All(qs) => assert!(qs.iter().all(|g| grams.contains(g)), "{q}"),
                other => panic!("{q}: {other:?}"),
            }
        }
        assert_eq!(lookup("  "), Lookup::Empty);
    }

    #[test]
    fn a_long_query_looks_up_a_bounded_number_of_bigrams() {
        let long: String = (0..20_000).map(|i| char::from_u32(0x4e00 + i).unwrap()).collect();
        match lookup(&long) {
            Lookup::All(grams) => assert_eq!(grams.len(), QUERY_CHARS - 1),
            other => panic!("{other:?}"),
        }
    }
}

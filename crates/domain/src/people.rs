//! People's names as the person picker reads them: the full pinyin and the
//! pinyin initials of a name, worked out once when the user is saved, so
//! that "zw", "zhangwei" and "张伟" all find 张伟 and lists of people sort
//! the way Chinese users expect (by pinyin, not by character code).

use pinyin::ToPinyin;

/// The stored search and sort keys of one name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameKeys {
    /// Lower-case pinyin without tones or spaces (`zhangwei`); a Latin name
    /// lower-cased without spaces (`alicewang`).
    pub pinyin: String,
    /// The first letter of every syllable or word (`zw`, `aw`).
    pub initials: String,
}

/// The pinyin and initials of a display name. Chinese characters become
/// their (most common) plain pinyin; Latin letters and digits are kept,
/// lower-cased, one initial per word; everything else separates words.
pub fn name_keys(name: &str) -> NameKeys {
    let mut keys = NameKeys::default();
    let mut in_word = false;
    for (c, reading) in name.chars().zip(name.to_pinyin()) {
        if let Some(p) = reading {
            keys.pinyin.push_str(p.plain());
            keys.initials.push_str(p.first_letter());
            in_word = false;
        } else if c.is_alphanumeric() {
            let lower: String = c.to_lowercase().collect();
            keys.pinyin.push_str(&lower);
            if !in_word {
                keys.initials.push_str(&lower);
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    keys
}

/// What the picker compares with the stored keys: letters, digits and
/// characters of the query, lower-cased; spaces, apostrophes (`xi'an`) and
/// wildcard characters dropped. Empty when nothing is left to search by.
pub fn query_key(query: &str) -> String {
    query.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Whether a person named `name`, with its stored keys, matches what was
/// typed: part of the name, of its pinyin, or of its initials. The store
/// asks the same in SQL; this is the rule it follows.
pub fn matches(name: &str, keys: &NameKeys, query: &str) -> bool {
    let q = query_key(query);
    if q.is_empty() {
        return true;
    }
    let compact: String = name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    compact.contains(&q) || keys.pinyin.contains(&q) || keys.initials.contains(&q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_get_pinyin_and_initials() {
        assert_eq!(name_keys("张伟"), NameKeys { pinyin: "zhangwei".into(), initials: "zw".into() });
        assert_eq!(name_keys("李娜"), NameKeys { pinyin: "lina".into(), initials: "ln".into() });
        assert_eq!(name_keys("欧阳 娜娜"), NameKeys { pinyin: "ouyangnana".into(), initials: "oynn".into() });
    }

    #[test]
    fn latin_names_are_lower_cased_with_one_initial_per_word() {
        assert_eq!(name_keys("Alice Wang"), NameKeys { pinyin: "alicewang".into(), initials: "aw".into() });
        assert_eq!(name_keys("王 Lee2"), NameKeys { pinyin: "wanglee2".into(), initials: "wl".into() });
        assert_eq!(name_keys(""), NameKeys::default());
    }

    #[test]
    fn the_query_keeps_letters_and_characters_only() {
        assert_eq!(query_key(" Zhang Wei "), "zhangwei");
        assert_eq!(query_key("xi'an"), "xian");
        assert_eq!(query_key("%_"), "");
        assert_eq!(query_key("张伟"), "张伟");
    }

    #[test]
    fn initials_pinyin_and_characters_all_find_a_person() {
        let keys = name_keys("张伟");
        for q in ["zw", "ZW", "zhang", "zhangwei", "wei", "张", "张伟", ""] {
            assert!(matches("张伟", &keys, q), "{q}");
        }
        for q in ["ln", "李", "zhangx"] {
            assert!(!matches("张伟", &keys, q), "{q}");
        }
    }

    #[test]
    fn pinyin_sorts_chinese_names_alphabetically() {
        let mut names = ["张伟", "李娜", "Alice", "王芳"];
        names.sort_by_key(|n| name_keys(n).pinyin);
        assert_eq!(names, ["Alice", "李娜", "王芳", "张伟"]);
    }
}

//! Conventions of the store's SQL that no single behaviour test would notice.

use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// Groups are counted with `COUNT(*)` (`shared::rows`): counting the `id`
/// column makes PostgreSQL read every row from the table, because the
/// covering indexes of the board, the home page and the reports hold no
/// `id`, where SQLite's indexes all hold the rowid (the board's stage
/// totals: 15 ms against 3 on PostgreSQL).
#[test]
fn aggregates_count_rows_not_columns() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 50, "the store's sources are where this test expects them");
    let counted_ids = ["Column::Id).count()", "Column::Id)).count()", "COUNT(id)", "COUNT(\"id\")"];
    let offending: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| counted_ids.iter().any(|p| line.contains(p)))
                .map(move |(n, line)| format!("{path}:{}: {}", n + 1, line.trim()))
        })
        .collect();
    assert!(offending.is_empty(), "count rows with `shared::rows()`:\n{}", offending.join("\n"));
}

//! `salesflow import` and `salesflow gen --import-csv` as a user runs them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn salesflow(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_salesflow"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .env("LANG", "en_US.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run salesflow");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn a_generated_file_imports_with_a_dry_run_first() {
    let dir = std::env::temp_dir().join(format!("salesflow-cli-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("customers.csv");
    let file_arg = file.to_str().unwrap();
    let out = salesflow(&dir, &["gen", "--import-csv", file_arg, "--rows", "2500"], "");
    assert!(out.status.success(), "{}", text(&out));
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(csv.lines().count(), 2501);
    assert!(csv.starts_with("客户名称,等级"));

    let create = ["user", "create", "--username", "li.na", "--email", "li.na@example.com", "--role", "salesperson"];
    let out = salesflow(&dir, &[&create[..], &["--password-stdin"]].concat(), "password-123\n");
    assert!(out.status.success(), "{}", text(&out));

    let out =
        salesflow(&dir, &["import", "--target", "customers", "--file", file_arg, "--dry-run", "--as", "li.na"], "");
    assert!(out.status.success(), "{}", text(&out));
    let summary = text(&out);
    assert!(
        summary.contains("2500 rows") && summary.contains("2498 would be added") && summary.contains("2 rejected"),
        "{summary}"
    );
    assert!(summary.contains("客户名称 → name"), "{summary}");

    let out = salesflow(&dir, &["import", "--target", "customers", "--file", file_arg, "--as", "li.na"], "");
    let summary = text(&out);
    assert!(out.status.success() && summary.contains("2498 added"), "{summary}");
    let report = summary.split("rejected rows with their reasons: ").nth(1).unwrap().trim();
    let rejected = std::fs::read_to_string(report).unwrap();
    assert!(rejected.contains("Not one of the choices"), "{rejected}");

    // Again: every row is now a duplicate.
    let out = salesflow(&dir, &["import", "--target", "customers", "--file", file_arg, "--as", "li.na"], "");
    assert!(text(&out).contains("2498 skipped as duplicates"), "{}", text(&out));

    // Not a table, and an unknown user: a clear message, a failing exit code.
    let png = dir.join("logo.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = salesflow(&dir, &["import", "--target", "customers", "--file", png.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("not a CSV or Excel file"), "{}", text(&out));
    let out = salesflow(&dir, &["import", "--target", "customers", "--file", file_arg, "--as", "nobody"], "");
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

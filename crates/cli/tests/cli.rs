//! The `salesflow` binary as a user runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn salesflow(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_salesflow"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run salesflow");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("salesflow-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn help_describes_every_command() {
    let dir = temp_dir("help");
    let out = salesflow(&dir, &["--help"], "");
    assert!(out.status.success());
    let help = text(&out);
    for command in ["serve", "migrate", "user", "demo", "gen", "rebuild-funnel"] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    let out = salesflow(&dir, &["user", "--help"], "");
    assert!(text(&out).contains("reset-password"));
}

#[test]
fn wrong_arguments_fail_with_a_message() {
    let dir = temp_dir("wrong");
    let out = salesflow(&dir, &["serve", "--listen", "not-an-address"], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("--listen"), "{}", text(&out));
    let out = salesflow(&dir, &["user", "create", "--username", "x"], "");
    assert!(!out.status.success());
    assert!(text(&out).contains("required"), "{}", text(&out));
}

#[test]
fn users_are_created_and_reset_from_the_command_line() {
    let dir = temp_dir("users");
    let create = ["user", "create", "--username", "zhang.wei", "--email", "zhang.wei@example.com", "--role"];
    let out = salesflow(&dir, &[&create[..], &["sales_manager", "--password-stdin"]].concat(), "first-password\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created user zhang.wei"));

    let out = salesflow(&dir, &[&create[..], &["astronaut", "--password-stdin"]].concat(), "first-password\n");
    assert!(!out.status.success());
    assert!(text(&out).contains("unknown role 'astronaut'"), "{}", text(&out));

    let out = salesflow(&dir, &[&create[..], &["salesperson", "--password-stdin"]].concat(), "short\n");
    assert!(!out.status.success());
    assert!(text(&out).contains("username: already taken"), "{}", text(&out));
    assert!(text(&out).contains("password: password too short"), "{}", text(&out));

    let out = salesflow(&dir, &["user", "reset-password", "zhang.wei", "--password-stdin"], "second-password\n");
    assert!(out.status.success(), "{}", text(&out));
    let out = salesflow(&dir, &["user", "reset-password", "nobody", "--password-stdin"], "second-password\n");
    assert!(!out.status.success());
    assert!(text(&out).contains("no such user"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_and_gen_load_into_a_fresh_database() {
    let dir = temp_dir("demo");
    let out = salesflow(&dir, &["demo"], "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("16 customers, 86 opportunities"), "{}", text(&out));
    let out = salesflow(
        &dir,
        &[
            "gen",
            "--users",
            "30",
            "--audit",
            "200",
            "--customers",
            "600",
            "--contacts",
            "700",
            "--activities",
            "900",
            "--opportunities",
            "800",
            "--orders",
            "200",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "generated 30 users, 200 audit entries, 600 customers, 700 contacts, 900 activities and 800 opportunities"
        ),
        "{}",
        text(&out)
    );
    // Demo and gen kept the funnel summary in step with what they wrote:
    // counting it afresh finds the same rows.
    let rows = || {
        let url = format!("sqlite://{}?mode=rw", dir.join("salesflow.db").display());
        tokio::runtime::Runtime::new().expect("runtime").block_on(async {
            let store = salesflow_store::Store::connect(&url).await.expect("open the database");
            salesflow_store::reports::rollup::summary_rows(&store).await.expect("summary rows")
        })
    };
    let kept = rows();
    assert!(kept.len() > 1000, "{}", kept.len());
    // Both wrote tags (demo: its grade-A customers; gen: about a fifth),
    // which the list's tag filter finds.
    let tagged = |tag: &str| {
        let url = format!("sqlite://{}?mode=rw", dir.join("salesflow.db").display());
        let filter = salesflow_store::customers::CustomerFilter { tag: Some(tag.into()), ..Default::default() };
        let page = salesflow_store::paging::PageRequest { limit: Some(200), ..Default::default() };
        tokio::runtime::Runtime::new().expect("runtime").block_on(async {
            let store = salesflow_store::Store::connect(&url).await.expect("open the database");
            let actor = salesflow_store::Actor::system();
            salesflow_store::customers::list_customers(&store, &actor, &filter, &page).await.expect("list").items.len()
        })
    };
    assert!(tagged("重点客户") > 1 && tagged("VIP") > 1, "demo and gen write tags");
    let out = salesflow(&dir, &["rebuild-funnel"], "");
    assert!(out.status.success() && text(&out).contains("funnel summary rebuilt"), "{}", text(&out));
    assert!(kept == rows(), "the summary differs from a rebuild");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `salesflow serve` on a free port; returns the process and what it
/// printed up to "open … in your browser" (or until it ended).
fn start_serving(data_dir: &std::path::Path, database_url: Option<&str>) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut command = Command::new(env!("CARGO_BIN_EXE_salesflow"));
    command.arg("--data-dir").arg(data_dir).args(["serve", "--listen", "127.0.0.1:0"]);
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let mut child = command
        .env_remove("SALESFLOW_ADMIN_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run salesflow serve");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = String::new();
    for line in lines.by_ref() {
        let line = line.expect("read stdout");
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("in your browser") {
            break;
        }
    }
    (child, printed)
}

#[test]
fn nodes_starting_at_once_on_an_empty_database_create_one_administrator() {
    // SQLite always; PostgreSQL too when the test server is given.
    let mut databases: Vec<Option<String>> = vec![None];
    if let Some(server) = std::env::var("SALESFLOW_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let name = format!("sf_cli_{}_{}", std::process::id(), rand::random::<u32>());
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            use sea_orm::ConnectionTrait;
            let admin = sea_orm::Database::connect(&server).await.expect("connect to PostgreSQL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
        });
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
        databases.push(Some(format!("{base}/{name}")));
    }
    for url in databases {
        let dir = temp_dir("two-nodes");
        let nodes: Vec<_> = (0..2)
            .map(|_| {
                let (dir, url) = (dir.clone(), url.clone());
                std::thread::spawn(move || start_serving(&dir, url.as_deref()))
            })
            .collect();
        let mut created = 0;
        for node in nodes {
            let (mut child, printed) = node.join().expect("node");
            assert!(printed.contains("in your browser"), "a node did not start ({url:?}):\n{printed}");
            created += printed.matches("Created the administrator").count();
            let _ = child.kill();
            let _ = child.wait();
        }
        assert_eq!(created, 1, "exactly one node creates the administrator ({url:?})");
    }
}

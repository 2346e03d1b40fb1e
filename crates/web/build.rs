//! Installs the pinned npm packages (`assets/package-lock.json`) under
//! `OUT_DIR` and copies the files the pages load into `OUT_DIR/vendor`,
//! from where `assets.rs` embeds them into the binary (no CDN at run
//! time). Nothing is written into the source tree.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The package files the pages load, and their names under `/assets/vendor/`.
const FILES: [(&str, &str); 5] = [
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    // Charts of the reports (funnel, forecast).
    ("echarts/dist/echarts.min.js", "echarts.min.js"),
    // Drag and drop of the kanban board.
    ("sortablejs/Sortable.min.js", "Sortable.min.js"),
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui.css"),
];

const MANIFESTS: [&str; 2] = ["package.json", "package-lock.json"];

fn main() {
    // Read when the script runs, not baked in when it compiles: one compiled
    // script may serve checkouts at several paths (worktrees sharing a target).
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let assets = manifest.join("../../assets");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in MANIFESTS {
        println!("cargo:rerun-if-changed={}", assets.join(name).display());
    }
    // rust-i18n reads the locale files at compile time: rebuild when they change.
    println!("cargo:rerun-if-changed=locales");

    let npm = out.join("npm");
    let modules = npm.join("node_modules");
    let lock = std::fs::read(assets.join("package-lock.json")).expect("read assets/package-lock.json");
    let installed_lock = std::fs::read(npm.join("package-lock.json")).ok();
    let missing = FILES.iter().any(|(from, _)| !modules.join(from).exists());
    if missing || installed_lock.as_deref() != Some(lock.as_slice()) {
        install(&assets, &npm);
    }

    let vendor = out.join("vendor");
    std::fs::create_dir_all(&vendor).expect("create OUT_DIR/vendor");
    for (from, to) in FILES {
        let (src, dst) = (modules.join(from), vendor.join(to));
        std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    }
}

/// `npm ci` of the pinned packages in a directory of their own.
fn install(assets: &Path, npm: &Path) {
    std::fs::create_dir_all(npm).expect("create OUT_DIR/npm");
    for name in MANIFESTS {
        std::fs::copy(assets.join(name), npm.join(name)).unwrap_or_else(|e| panic!("copy assets/{name}: {e}"));
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline"])
        .current_dir(npm)
        .status()
        .expect("npm is needed to fetch the pinned front-end packages (apt-get install npm)");
    assert!(status.success(), "npm ci failed in {}", npm.display());
}

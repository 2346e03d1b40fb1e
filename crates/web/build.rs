//! Puts the pinned npm packages' files into `assets/vendor/`, from where
//! they are embedded into the binary (no CDN at run time).

use std::path::Path;
use std::process::Command;

const FILES: [(&str, &str); 5] = [
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    // Charts of the reports (funnel, forecast).
    ("echarts/dist/echarts.min.js", "echarts.min.js"),
    // Drag and drop of the kanban board.
    ("sortablejs/Sortable.min.js", "Sortable.min.js"),
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui.css"),
];

fn main() {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
    println!("cargo:rerun-if-changed={}", assets.join("package-lock.json").display());
    // rust-i18n reads the locale files at compile time: rebuild when they change.
    println!("cargo:rerun-if-changed=locales");
    let modules = assets.join("node_modules");
    if FILES.iter().any(|(from, _)| !modules.join(from).exists()) {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&assets)
            .status()
            .expect("npm is needed to fetch the pinned front-end packages (apt-get install npm)");
        assert!(status.success(), "npm ci failed in {}", assets.display());
    }
    let vendor = assets.join("vendor");
    std::fs::create_dir_all(&vendor).expect("create assets/vendor");
    for (from, to) in FILES {
        let (src, dst) = (modules.join(from), vendor.join(to));
        let fresh = std::fs::metadata(&dst)
            .and_then(|d| Ok((d.modified()?, std::fs::metadata(&src)?.modified()?)))
            .is_ok_and(|(d, s)| d >= s);
        if !fresh {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        }
    }
}

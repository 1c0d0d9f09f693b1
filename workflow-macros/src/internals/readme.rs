//! The README's "A wrong workflow does not compile" section quotes rustc's output for UI
//! cases; each quoted block must appear verbatim in its case's `.stderr` snapshot, so the
//! README cannot drift from what users see.

use std::path::{Path, PathBuf};

/// The `.stderr` of the UI case `tests/ui/<rest>.rs`, wherever the UI suite lives.
fn snapshot(case: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let stderr = case.replace(".rs", ".stderr");
    // `tests/ui/..` of the UI package `tests/ui` (`tests/ui/tests/ui`), or of the older
    // layout inside package `tests` (`tests/tests/ui`).
    ["tests/ui", "tests"]
        .iter()
        .map(|dir| root.join(dir).join(&stderr))
        .find(|p| p.exists())
}

#[test]
fn quoted_diagnostics_are_the_real_output() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let section = readme
        .split("## A wrong workflow does not compile")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the diagnostics section");
    let mut quoted = 0;
    for block in section.split("```text\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        let Some(case) = block
            .lines()
            .find_map(|l| l.trim().strip_prefix("--> "))
            .and_then(|l| l.split(':').next())
        else {
            continue;
        };
        let path = snapshot(case).unwrap_or_else(|| panic!("no snapshot for {case}"));
        let stderr = std::fs::read_to_string(&path).expect("readable snapshot");
        assert!(
            stderr.contains(block.trim_end()),
            "README block differs from {}:\n{block}\n--- snapshot:\n{stderr}",
            path.display()
        );
        quoted += 1;
    }
    assert!(quoted >= 3, "only {quoted} quoted diagnostics found");
}

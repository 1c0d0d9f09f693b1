//! Checks that modules follow the layers of ARCHITECTURE.md: in `lib.rs` (and in
//! `executor/mod.rs`), modules are declared by layer from the bottom up, one layer per
//! group of declarations (groups are separated by blank lines), and a module may use
//! only modules of lower layers.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules declared in `file` (`mod x;` / `pub mod x;`), each with its layer: the
/// number of its group of declarations.
fn declared(file: &Path) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut layer = 0;
    let mut in_group = false;
    for line in std::fs::read_to_string(file).unwrap().lines() {
        let l = line.trim();
        if l.is_empty() {
            if in_group {
                layer += 1;
                in_group = false;
            }
            continue;
        }
        let l = l.strip_prefix("pub ").unwrap_or(l);
        if let Some(name) = l.strip_prefix("mod ").and_then(|n| n.strip_suffix(';')) {
            out.push((name.to_owned(), layer));
            in_group = true;
        }
    }
    out
}

/// The source files of module `name` under `dir`.
fn files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = dir.join(format!("{name}.rs"));
    if file.exists() {
        out.push(file);
    }
    let sub = dir.join(name);
    if sub.is_dir() {
        let mut stack = vec![sub];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The names after `prefix` (`crate::` or `super::`) in code (not comments) of `file`.
fn uses(file: &Path, prefix: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn check(dir: &Path, layers: &[(String, usize)], prefix: &str) -> Vec<String> {
    let layer = |m: &str| layers.iter().find(|(o, _)| o == m).map(|(_, l)| *l);
    let mut wrong = Vec::new();
    for (module, at) in layers {
        for file in files(dir, module) {
            for used in uses(&file, prefix) {
                if used == *module {
                    continue;
                }
                if let Some(l) = layer(&used) {
                    if l >= *at {
                        wrong.push(format!("{} uses {prefix}{used}", file.display()));
                    }
                }
            }
        }
    }
    wrong
}

#[test]
fn modules_use_only_lower_layers() {
    let src = src();
    let order = declared(&src.join("lib.rs"));
    assert!(order.len() > 10, "modules found in lib.rs: {order:?}");
    let mut wrong = check(&src, &order, "crate::");
    let executor = src.join("executor");
    let inner = declared(&executor.join("mod.rs"));
    assert!(
        inner.len() > 5,
        "modules found in executor/mod.rs: {inner:?}"
    );
    wrong.extend(check(&executor, &inner, "super::"));
    assert!(
        wrong.is_empty(),
        "imports that reach up:\n{}",
        wrong.join("\n")
    );
}

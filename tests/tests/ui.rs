//! Compile-time diagnostics of `#[node]`, `workflow!` and `#[workflow_test]`, pinned as
//! trybuild snapshots.
//!
//! Layout: `tests/ui/<macro>/{pass,fail}/<scenario>.rs`, each failing case next to the
//! `.stderr` rustc printed for it. The snapshots were made with rustc 1.95 stable; other
//! compilers word and place diagnostics differently, so the test is ignored there instead
//! of failing on drift. To update after a deliberate change, run
//! `TRYBUILD=overwrite cargo test -p workflow-tests --test ui` and review the diff.

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "UI snapshots are pinned to rustc 1.95 stable"
)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/*/pass/*.rs");
    t.compile_fail("tests/ui/*/fail/*.rs");
}

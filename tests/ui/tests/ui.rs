//! Compile-time behaviour of `#[node]`, `workflow!` and `#[workflow_test]`, with trybuild.
//!
//! Layout: `tests/ui/<macro>/{pass,fail}/<scenario>.rs`, each failing case next to the
//! `.stderr` rustc printed for it.
//!
//! The *pass* cases must compile (and run) on every supported compiler, so they always
//! run. The *fail* snapshots were made with rustc 1.95 stable; other compilers word and
//! place diagnostics differently, so that test is ignored there instead of failing on
//! drift. To update the snapshots after a deliberate change, run
//! `TRYBUILD=overwrite cargo test -p workflow-ui-tests` and review the diff.
//!
//! Both tests share one trybuild project (its lock runs them one after the other), so
//! the dependencies are compiled once.

/// Every `pass` case compiles and runs, on any compiler.
#[test]
fn pass() {
    trybuild::TestCases::new().pass("tests/ui/*/pass/*.rs");
}

/// Every `fail` case fails to compile with exactly its pinned `.stderr`.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr snapshots are pinned to rustc 1.95 stable"
)]
#[test]
fn fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/*/fail/*.rs");
}

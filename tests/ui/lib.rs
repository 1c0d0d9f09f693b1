//! Compile-time tests of `#[node]`, `workflow!` and `#[workflow_test]`: the cases are in
//! `tests/ui/<macro>/{pass,fail}/`, the driver in `tests/ui.rs`. This library is empty; it
//! exists because a package needs a target besides its tests.

#![forbid(unsafe_code)]

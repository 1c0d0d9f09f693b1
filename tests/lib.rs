//! Integration tests live in `tests/tests/`, trybuild UI tests in the `workflow-ui-tests`
//! package (`tests/ui/`).
//!
//! This library only carries the README's code blocks as doc tests, so the README's
//! examples are compiled (and run) with the rest of the suite.

#![forbid(unsafe_code)]

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

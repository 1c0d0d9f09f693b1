//! Integration tests live in `tests/tests/`, one test binary per area, each file of an
//! area a module of its binary:
//!
//! | binary | what it covers |
//! |---|---|
//! | `engine` | scheduling, policies, resources and `Context`, DSL shapes, graph facts, panics, spawned nodes |
//! | `trace` | the execution trace, its exports, the `tracing` integration |
//! | `harness` | `workflow-test`: the `Harness`, memory probes, `#[workflow_test]` |
//! | `guide` | the guide's chapters |
//! | `corpus` | property, cancellation, stress and memory tests over the generated corpus |
//! | `store` | durable runs (resume, crash and resume across processes) and the stores: one suite for memory, SQLite and Postgres; SQLite's bad files and kills; Postgres outages |
//!
//! `cargo test -p workflow-tests --test engine` runs one area, `cargo test -p
//! workflow-tests --test engine policies::` one file of it. trybuild UI tests are in the
//! `workflow-ui-tests` package (`tests/ui/`): `cargo test -p workflow-ui-tests`.
//!
//! This library only carries the README's code blocks as doc tests, so the README's
//! examples are compiled (and run) with the rest of the suite.

#![forbid(unsafe_code)]

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

//! Durable runs: the runtime's durable runs over every store (`durable`: idempotency,
//! resume, crash and resume across processes), the same as a property over random DAGs
//! (`crash_property`) and over random shapes with a `match` and fan-outs
//! (`crash_routes`), fan-out items and sub-workflows recorded node by node (`items`,
//! `subworkflows`), one behaviour suite for every store (`conformance`), and what only
//! the SQLite store (`sqlite`) and the Postgres store (`postgres`) must show. Postgres
//! cases need `WORKFLOW_TEST_POSTGRES_URL`; without it they say they were skipped, unless
//! `WORKFLOW_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes a missing server a failure
//! (`support` reads it, and makes the temporary directories).
//!
//! One test binary per area (see `tests/lib.rs`): `cargo test -p workflow-tests --test
//! store sqlite::` runs one file.

#[path = "../support/block_on.rs"]
mod block_on;
mod conformance;
mod crash_property;
mod crash_routes;
mod durable;
mod edge_values;
mod groups;
mod harness;
mod hung;
mod inputs_changed;
mod items;
mod outputs;
mod postgres;
mod rerouted;
mod resume_rules;
mod routing;
mod slow_commit;
mod sqlite;
mod subworkflows;
mod support;

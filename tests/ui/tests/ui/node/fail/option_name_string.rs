//! `#[node("fetch_page")]`, a name as Prefect's `@task(name=..)` takes: one error saying
//! a node is named by its binding (was syn's "unexpected literal in nested attribute,
//! expected ident").
use workflow_core::prelude::*;

#[node("fetch_page")]
async fn fetch(url: String) -> String {
    url
}

fn main() {}

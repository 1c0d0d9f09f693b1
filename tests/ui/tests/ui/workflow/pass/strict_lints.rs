//! Generated code adds no warnings under strict lints (including a workflow that fails
//! fast on a node error and one with every option).
#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms,
    unused_qualifications,
    unused_results,
    trivial_casts,
    trivial_numeric_casts,
    nonstandard_style
)]

use workflow_core::prelude::*;

/// Nodes.
pub mod nodes {
    use workflow_core::prelude::*;

    /// A failure.
    #[derive(Debug, thiserror::Error)]
    #[error("failed")]
    pub struct Failed;

    /// Fetches.
    #[node(retry(max = 2), timeout = "1s")]
    pub async fn fetch(url: String) -> Result<Vec<u8>, Failed> {
        Ok(url.into_bytes())
    }

    /// Counts.
    #[node]
    pub async fn count(raw: Vec<u8>, ctx: &Context) -> usize {
        let _ = ctx.node();
        raw.len()
    }
}

workflow! {
    /// The workflow.
    #[workflow(timeout = "5s", failure = "continue")]
    pub struct Strict {
        /// The url.
        input url: String,
        page = nodes::fetch(url),
        #[output]
        a = nodes::count(raw: page),
        b = nodes::count(raw: page),
    }
}

fn main() {
    let _ = Strict;
    let _ = <Strict as Workflow>::TOPOLOGICAL_ORDER;
}

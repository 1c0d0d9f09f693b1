//! Each entry is parsed on its own: every syntax error is reported, and the entries
//! that did parse still declare the workflow's types.
use std::collections::HashMap;

use workflow_core::prelude::*;

#[node]
async fn count(n: usize) -> usize {
    n
}

#[node]
async fn size(map: HashMap<String, usize>) -> usize {
    map.len()
}

workflow! {
    struct Pipeline {
        input n: usize,
        input map: HashMap<String, usize>,
        a = count(n = n),
        b = count n,
        c = size(map),
    }
}

fn main() {
    let _ = PipelineInput {
        n: 1,
        map: HashMap::new(),
    };
}

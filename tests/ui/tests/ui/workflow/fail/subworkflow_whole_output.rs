//! A sub-workflow's whole output struct connected where one of its outputs was meant:
//! one error at the source, whose note says to connect a field (`s: r.<output>`).
use workflow_core::prelude::*;

#[node]
async fn layout(page: String) -> String {
    page
}

#[node]
async fn length(s: String) -> usize {
    s.len()
}

workflow! {
    pub struct Render {
        input page: String,
        html = layout(page),
    }
}

workflow! {
    pub struct Site {
        input page: String,
        r = Render(page),
        n = length(s: r),
    }
}

fn main() {}
